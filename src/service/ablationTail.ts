/**
 * The ablations of a layer of a graph model (ablation.ts) computed from the layer's descendants
 * alone: see {@link graphTail}.
 */
import { channelsFirstCopy, isChannelsFirst } from '../analysis';
import { tailPlan } from '../tfjs/graphTail';
import type { QueryContext } from './queryContext';

/** The ablations of a layer computed without `forwardFrom`: by the mixing-layer shortcut (ablation.ts), or by the graph tail. */
export interface AblationShortcut {
  /** The run index of the layer whose values the blocks hold: the model's output. */
  layer: number;
  /** One block per group: the model's output with the group's channels ablated. */
  blocks(groups: readonly (readonly number[])[], onShare?: (share: number) => void): Promise<Float32Array>;
  /**
   * Bytes `blocks` holds per group while it runs besides the output blocks (the graph tail: a copy
   * of the ablated layer per group, half of it again shared with the forward worker), so that a
   * session asks for few enough groups at once (ablation.ts `ABLATION_PASS`).
   */
  bytesPerGroup: number;
}

/** What the graph tail reads of an ablation session (ablation.ts AblationSession). */
export interface TailSession {
  readonly epoch: number;
  readonly layer: number;
  readonly indices: number[];
  readonly axis: { channels: number; per: number };
  readonly output: { layer: number };
  /** The ablated layer's values, unablated, on `indices`. */
  readonly activations: Float32Array;
}

/**
 * In a graph model (a ResNet), the layers after the ablated layer L also read values that do not
 * depend on L — a residual block's shortcut from before L, the model's input. `forwardFrom`
 * computes those again from the inputs for every block of ablated rows, which makes each ablation
 * cost nearly a whole forward pass. Here they are read once, unablated (the activations of their
 * run layers, kept in memory across queries), and only L's descendants run per ablation
 * (src/tfjs/graphTail.ts), on the backend's own tensors, half of the inputs on this thread and half
 * on the forward worker: the same layers applied to the same values, so the same numbers
 * (test/integration/service/ablation.test.ts checks them against `forwardFrom`). `ablate` gives a block of
 * L's values with a group's channels ablated. Undefined where this does not apply (tailPlan): the
 * ablations then use `forwardFrom`.
 */
export async function graphTail(
  ctx: QueryContext,
  s: TailSession,
  ablate: (base: Float32Array, group: readonly number[]) => Float32Array,
): Promise<AblationShortcut | undefined> {
  const layers = ctx.manifest.layers;
  const { model } = await ctx.model(s.epoch);
  const plan = tailPlan(model, layers, s.layer, s.output.layer);
  if (!plan) return undefined;
  const n = s.indices.length;
  const sides = new Map<number, Float32Array>();
  // The tail reads these layers in the model's own layout; `layerOutput` gives every layer channels last.
  for (const { layer } of plan.sides) {
    const values = await ctx.layerOutput(s.epoch, layer, s.indices);
    const data = values.data as Float32Array;
    const first = isChannelsFirst(layers[layer].outputShape, layers[layer].dataFormat);
    sides.set(layer, first ? channelsFirstCopy(data, values.count, values.units, values.channels) : data);
  }
  const run = await ctx.tailRunner(s.epoch, { plan, layer: s.layer, count: n, sides });
  const outPer = layers[s.output.layer].outputShape.reduce((x, y) => x * y, 1);
  return {
    layer: s.output.layer,
    bytesPerGroup: s.activations.byteLength * 1.5,
    blocks: async (groups, onShare) => {
      const outs = await run(groups.map((g) => ablate(s.activations, g)));
      const out = new Float32Array(groups.length * n * outPer);
      outs.forEach((o, g) => out.set(o, g * n * outPer));
      onShare?.(1);
      return out;
    },
  };
}
