/**
 * The ablations of a layer of a graph model (ablation.ts) computed from the layer's descendants
 * alone: see {@link graphTail}.
 */
import type * as tfType from '@tensorflow/tfjs';
import { CancelledError } from '../compute/pool';
import { FORWARD_CHUNK, graphPlan } from '../tfjs/forward';
import type { GraphStep } from '../tfjs/forward';
import type { QueryContext } from './queryContext';

/** The ablations of a layer computed without `forwardFrom`: by the mixing-layer shortcut (ablation.ts), or by the graph tail. */
export interface AblationShortcut {
  /** The run index of the layer whose values the blocks hold: the model's output. */
  layer: number;
  /** One block per group: the model's output with the group's channels ablated. */
  blocks(groups: readonly (readonly number[])[], onShare?: (share: number) => void): Promise<Float32Array>;
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

type SymbolicTensor = tfType.SymbolicTensor;

/**
 * In a graph model (a ResNet), the layers after the ablated layer L also read values that do not
 * depend on L — a residual block's shortcut from before L, the model's input. `forwardFrom`
 * computes those again from the inputs for every block of ablated rows, which makes each ablation
 * cost nearly a whole forward pass. Here they are read once, unablated (the activations of their
 * run layers, kept in memory across queries), and only L's descendants run per ablation, on the
 * backend's own tensors, a chunk of inputs at a time: the same layers applied to the same values,
 * so the same numbers (test/service/ablation.test.ts checks them against `forwardFrom`).
 * `ablate` gives a block of L's values with a group's channels ablated. Undefined where this does not apply (a sequential model; a layer applied more than once, as in
 * a nested model; an output that does not depend on L): the ablations then use `forwardFrom`.
 */
export async function graphTail(
  ctx: QueryContext,
  s: TailSession,
  ablate: (base: Float32Array, group: readonly number[]) => Float32Array,
): Promise<AblationShortcut | undefined> {
  const layers = ctx.manifest.layers;
  const { model } = await ctx.model(s.epoch);
  if (model.getClassName() === 'Sequential') return undefined;
  // Each run layer's symbolic tensor, where it is one node's output of this model's own graph.
  const tensorOf = (l: number): SymbolicTensor | undefined => {
    if (l === 0) return model.inputs[0];
    const layer = model.getLayer(layers[l].name);
    return layer.inboundNodes.length === 1 ? layer.inboundNodes[0].outputTensors[0] : undefined;
  };
  const runOf = new Map<number, number>();
  for (let l = 0; l < layers.length; l++) {
    const t = tensorOf(l);
    if (t) runOf.set(t.id, l);
  }
  const from = tensorOf(s.layer);
  const outTensor = tensorOf(s.output.layer);
  if (!from || !outTensor || model.inputs.length !== 1) return undefined;
  // L's descendants: the steps reading a value that depends on L, in the graph's order.
  const downstream = new Set<number>([from.id]);
  const tail: GraphStep[] = [];
  for (const step of graphPlan(model, layers, [s.output.layer], new Set([model.inputs[0].id]))) {
    if (!step.node.inputTensors.some((t) => downstream.has(t.id))) continue;
    tail.push(step);
    for (const t of step.node.outputTensors) downstream.add(t.id);
  }
  if (!downstream.has(outTensor.id)) return undefined;
  // What the tail reads besides L's descendants: every one a run layer's output, or no shortcut.
  const side = [...new Set(tail.flatMap((step) => step.node.inputTensors.map((t) => t.id)).filter((id) => !downstream.has(id)))];
  if (side.some((id) => !runOf.has(id))) return undefined;
  const { tf } = await ctx.tf();
  const n = s.indices.length;
  const sideValues = new Map<number, Float32Array>();
  for (const id of side) sideValues.set(id, (await ctx.layerOutput(s.epoch, runOf.get(id)!, s.indices)).data as Float32Array);
  const shapeOf = (id: number) => layers[runOf.get(id)!].outputShape;
  // Readers per value within the tail (the output read once more, by the copy out).
  const readers = new Map<number, number>();
  for (const step of tail) for (const t of step.node.inputTensors) readers.set(t.id, (readers.get(t.id) ?? 0) + 1);
  readers.set(outTensor.id, (readers.get(outTensor.id) ?? 0) + 1);
  const outPer = layers[s.output.layer].outputShape.reduce((x, y) => x * y, 1);
  const per = s.axis.per;
  return {
    layer: s.output.layer,
    blocks: async (groups, onShare) => {
      const out = new Float32Array(groups.length * n * outPer);
      for (let start = 0; start < n; start += FORWARD_CHUNK) {
        const end = Math.min(n, start + FORWARD_CHUNK);
        const count = end - start;
        const sides = new Map(
          side.map((id) => {
            const p = sideValues.get(id)!.length / n;
            return [id, tf.tensor(sideValues.get(id)!.subarray(start * p, end * p), [count, ...shapeOf(id)])] as const;
          }),
        );
        const base = s.activations.subarray(start * per, end * per);
        try {
          for (let g = 0; g < groups.length; g++) {
            if (ctx.control.signal?.aborted) throw new CancelledError();
            const y = runTail(tf, tail, {
              from: tf.tensor(ablate(base, groups[g]), [count, ...layers[s.layer].outputShape]),
              fromId: from.id,
              sides,
              readers,
              outId: outTensor.id,
            });
            try {
              out.set(await y.data(), (g * n + start) * outPer);
            } finally {
              y.dispose();
            }
          }
        } finally {
          tf.dispose([...sides.values()]);
        }
        onShare?.(end / n);
      }
      return out;
    },
  };
}

/**
 * The tail's steps in order on `from` (L's ablated values, disposed here) and the `sides` (kept for
 * the caller), each value disposed once its last reader has run. Returns the output's tensor.
 */
function runTail(
  tf: typeof tfType,
  tail: readonly GraphStep[],
  o: {
    from: tfType.Tensor;
    fromId: number;
    sides: ReadonlyMap<number, tfType.Tensor>;
    readers: ReadonlyMap<number, number>;
    outId: number;
  },
): tfType.Tensor {
  const values = new Map<number, tfType.Tensor>([[o.fromId, o.from]]);
  const left = new Map(o.readers);
  const owned = new Set<tfType.Tensor>([o.from]);
  const release = (id: number) => {
    const k = (left.get(id) ?? 0) - 1;
    left.set(id, k);
    const t = values.get(id);
    if (k > 0 || !t) return;
    values.delete(id);
    // A layer that is the identity at inference hands back its input tensor: disposed once no value holds it.
    if (owned.has(t) && ![...values.values()].includes(t)) {
      owned.delete(t);
      t.dispose();
    }
  };
  try {
    for (const step of tail) {
      const { node } = step;
      const inputs = node.inputTensors.map((t) => values.get(t.id) ?? o.sides.get(t.id)!);
      const args = { ...node.callArgs, training: false };
      const y = tf.tidy(() => node.outboundLayer.apply(inputs.length === 1 ? inputs[0] : inputs, args) as tfType.Tensor | tfType.Tensor[]);
      const outputs = Array.isArray(y) ? y : [y];
      node.outputTensors.forEach((t, k) => {
        if (!left.has(t.id)) {
          if (!owned.has(outputs[k]) && !inputs.includes(outputs[k])) outputs[k].dispose();
          return;
        }
        values.set(t.id, outputs[k]);
        if (!inputs.includes(outputs[k]) || !o.sides.has(node.inputTensors[inputs.indexOf(outputs[k])].id)) owned.add(outputs[k]);
      });
      for (const t of node.inputTensors) if (!o.sides.has(t.id)) release(t.id);
    }
    const result = values.get(o.outId)!;
    values.delete(o.outId);
    owned.delete(result);
    // Returned to the caller, who disposes it (a side value is cloned, so the caller never disposes one it does not own).
    return o.sides.has(o.outId) ? result.clone() : result;
  } finally {
    for (const t of owned) t.dispose();
  }
}
