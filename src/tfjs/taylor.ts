/**
 * The first-order Taylor estimate of channel importance (docs/estimators.md "The Taylor estimate";
 * Molchanov et al. 2019): for channel c of layer L,
 *
 *   estimate[c] = −(1/N) Σ_inputs x Σ_positions p  a(x, p, c) · ∂loss(x)/∂a(x, p, c)
 *
 * the first-order change of the mean loss when the channel is zeroed (zero-mode ablation, whose
 * exact value is channelImportance's Δ loss), for every channel of every layer at once.
 *
 * How one forward and one backward pass give every layer's gradient: each run layer's output `a`
 * is multiplied by a gate `g` of ones, one entry per channel (shape `[C]` channels last, `[C, 1, …]`
 * channels first, broadcast over the inputs and positions), and the rest of the network reads the
 * gated value `a·g`. At `g = 1` the network computes exactly what it computes without gates, and
 * `∂(Σ_x loss(x))/∂g[c] = Σ_x Σ_p a(x, p, c) · ∂loss(x)/∂a(x, p, c)`, the gradient with respect to
 * the activation taken where it sits in the graph (every later layer that reads it, residual
 * shortcuts included, reads the gated value). So `tf.grads` of the summed loss with respect to the
 * gates alone — a handful of small tensors — is one backward pass over the tape of one forward pass,
 * and gives the sums directly: no activation or activation gradient is copied out of the backend,
 * and no part of the network runs twice. A graph model runs node by node in its topological order
 * (forward.ts `graphPlan`, as its forward pass does), a sequential one layer after layer.
 *
 * The loss is the recorder's and the ablations' (src/analysis/predictions.ts): `−ln max(p(label),
 * 1e-7)` of the class scores the run's output gives (softmax as it is, logits softmaxed, a sigmoid
 * unit p as `[1 − p, p]`); where the clamp holds, its gradient is 0, as the clamped loss's is.
 */
import type * as tfType from '@tensorflow/tfjs';
import { LOSS_EPSILON, ScoreKind } from '../analysis';
import { CancelledError } from '../analysis/errors';
import { layerKind } from '../contract/layerKinds';
import type { RunLayer } from '../contract/runFormat';
import { gateAxis } from '../contract/runFormat';
import { FORWARD_CHUNK, graphPlan } from './forward';

/**
 * Most bytes of one chunk's forward values (every layer's output, the tape keeps them all for the
 * backward pass, with as much again for their gradients while it walks); an object so that a test
 * can make the chunks small. Each input's estimate is the same whatever the chunk, up to float rounding.
 */
export const TAYLOR_CHUNK = { bytes: 48 * 1024 * 1024 };

export interface TaylorOptions {
  tf: typeof tfType;
  model: tfType.LayersModel;
  /** The run's layer axis: 0 = the input, then the model's layers by name. */
  layers: readonly RunLayer[];
  /** Row-major `[count, ...inputShape]` (the model's own layout). */
  inputs: Float32Array;
  labels: ArrayLike<number>;
  count: number;
  /** The run layer whose values are the class scores, and how (src/service/ablation.ts `scoredOutput`). */
  output: { layer: number; kind: ScoreKind };
  /** The run layers to estimate (default: every layer from 1 to the output). Layers after the output have no estimate. */
  targets?: readonly number[];
  signal?: AbortSignal;
}

/** Inputs per chunk: every layer's output of the chunk within {@link TAYLOR_CHUNK}, at most FORWARD_CHUNK. */
export function taylorChunk(layers: readonly Pick<RunLayer, 'outputShape'>[]): number {
  const perInput = layers.reduce((t, l) => t + 4 * l.outputShape.reduce((a, b) => a * b, 1), 0);
  return Math.max(1, Math.min(FORWARD_CHUNK, Math.floor(TAYLOR_CHUNK.bytes / Math.max(1, perInput))));
}

/** Rows `[start, end)` of the inputs: one chunk of a Taylor pass. */
export interface TaylorChunk {
  start: number;
  end: number;
}

/**
 * Runs some chunks of a pass elsewhere (the forward worker, src/service/splitForward.ts): for each
 * chunk given, in order, its sums per target layer (in the targets' order), as {@link taylorSums}
 * gives them.
 */
export type TaylorElsewhere = (chunks: readonly TaylorChunk[], targets: readonly number[]) => Promise<Float32Array[][]>;

/**
 * `estimate[layer][channel]` for each target layer (a `Map` by run layer index): the Taylor
 * estimate of the Δ loss of zeroing the channel, averaged over the `count` inputs. Inputs run in
 * chunks ({@link taylorChunk}); each chunk is one forward and one backward pass, its sums over its
 * inputs and positions float32 (the backend's), added across chunks in float64, in the chunks'
 * order. With `elsewhere`, the second half of the chunks runs there while this thread runs the
 * first: the same chunks, added in the same order, so the same estimates to the bit. With no
 * inputs every estimate is undefined: NaN in the arrays.
 */
export async function taylorEstimates(o: TaylorOptions, elsewhere?: TaylorElsewhere): Promise<Map<number, Float64Array>> {
  const { layers, count: n } = o;
  const out = o.output.layer;
  const targets = [...new Set(o.targets ?? layers.map((_, l) => l).filter((l) => l >= 1 && l <= out))].sort((a, b) => a - b);
  for (const l of targets)
    if (l < 1 || l > out) throw new RangeError(`layer ${l}: the Taylor estimate is defined for layers 1..${out} (the scored output)`);
  const chunk = taylorChunk(layers.slice(0, out + 1));
  const chunks: TaylorChunk[] = [];
  for (let s = 0; s < n; s += chunk) chunks.push({ start: s, end: Math.min(n, s + chunk) });
  const here = elsewhere && chunks.length > 1 ? chunks.slice(0, Math.ceil(chunks.length / 2)) : chunks;
  const there = chunks.slice(here.length);
  const remote = there.length ? elsewhere!(there, targets) : Promise.resolve([]);
  remote.catch(() => undefined); // awaited below
  const local: Float32Array[][] = [];
  const sumsOf = taylorSums(o, targets);
  for (const c of here) {
    if (o.signal?.aborted) throw new CancelledError();
    local.push(await sumsOf(c));
  }
  const perChunk = [...local, ...(await remote)];
  if (o.signal?.aborted) throw new CancelledError();
  const sums = new Map(targets.map((l) => [l, new Float64Array(gateAxis(layers[l]).channels)]));
  for (const values of perChunk)
    targets.forEach((l, k) => {
      const sum = sums.get(l)!;
      for (let c = 0; c < sum.length; c++) sum[c] += values[k][c];
    });
  for (const sum of sums.values()) for (let c = 0; c < sum.length; c++) sum[c] = n ? -sum[c] / n : NaN;
  return sums;
}

/**
 * One chunk's pass at a time: its float32 sums `Σ_inputs Σ_positions a · ∂loss/∂a` per channel, one
 * array per target layer (sorted, validated by the caller), before the sign and the mean.
 */
export function taylorSums(o: TaylorOptions, targets: readonly number[]): (chunk: TaylorChunk) => Promise<Float32Array[]> {
  const { tf, layers } = o;
  const forward = gatedForward(o, targets);
  const inPer = layers[0].outputShape.reduce((a, b) => a * b, 1);
  return async ({ start: s, end: e }) => {
    const grads = tf.tidy(() => {
      const x = tf.tensor(o.inputs.subarray(s * inPer, e * inPer), [e - s, ...layers[0].outputShape]);
      const labels = tf.tensor1d(
        Int32Array.from({ length: e - s }, (_, i) => o.labels[s + i]),
        'int32',
      );
      const gates = targets.map((l) => {
        const { channels, first } = gateAxis(layers[l]);
        return tf.ones(first ? [channels, ...layers[l].outputShape.slice(1).map(() => 1)] : [channels]);
      });
      return tf.grads((...g: tfType.Tensor[]) => summedLoss(tf, forward(x, g), labels, o.output.kind))(gates);
    });
    try {
      const values: Float32Array[] = [];
      for (const g of grads) values.push(Float32Array.from((await g.data()) as Float32Array));
      return values;
    } finally {
      tf.dispose(grads);
    }
  };
}

/**
 * The model's output on `x` with target layer `targets[k]`'s output multiplied by `gates[k]`
 * wherever it is read: layer by layer (a sequential model) or node by node in the graph's order.
 */
function gatedForward(o: TaylorOptions, targets: readonly number[]): (x: tfType.Tensor, gates: tfType.Tensor[]) => tfType.Tensor {
  const { model, layers } = o;
  const out = o.output.layer;
  const gateOf = new Map(targets.map((l, k) => [l, k]));
  if (layerKind(model.getClassName()).sequential) {
    const sequence = layers.slice(1, out + 1).map((l) => model.getLayer(l.name));
    return (x, gates) => {
      let y = x;
      sequence.forEach((layer, k) => {
        y = layer.apply(y, { training: false }) as tfType.Tensor;
        const g = gateOf.get(k + 1);
        if (g !== undefined) y = y.mul(gates[g]);
      });
      return y;
    };
  }
  // Every run layer up to the output is a target of the plan, so each step that makes one knows its index.
  const steps = graphPlan(
    model,
    layers,
    layers.map((_, l) => l).filter((l) => l >= 1 && l <= out),
    new Set([model.inputs[0].id]),
  );
  const inputId = model.inputs[0].id;
  return (x, gates) => {
    const values = new Map<number, tfType.Tensor>([[inputId, x]]);
    let result: tfType.Tensor | undefined;
    for (const { node, runIndex } of steps) {
      const inputs = node.inputTensors.map((t) => values.get(t.id)!);
      const y = node.outboundLayer.apply(inputs.length === 1 ? inputs[0] : inputs, { ...node.callArgs, training: false }) as
        tfType.Tensor | tfType.Tensor[];
      const outputs = Array.isArray(y) ? [...y] : [y];
      const g = runIndex === undefined ? undefined : gateOf.get(runIndex);
      if (g !== undefined) outputs[0] = outputs[0].mul(gates[g]);
      node.outputTensors.forEach((t, k) => values.set(t.id, outputs[k]));
      if (runIndex === out) result = outputs[0];
    }
    if (!result) throw new RangeError(`the output layer ${out} (${layers[out].name}) is not computed by the model's graph`);
    return result;
  };
}

/** `Σ_x −ln max(p(label), 1e-7)` of the class scores `y` gives (predictions.ts `classScores`). */
function summedLoss(tf: typeof tfType, y: tfType.Tensor, labels: tfType.Tensor1D, kind: ScoreKind): tfType.Scalar {
  const rows = y.reshape([y.shape[0], -1]);
  let pLabel: tfType.Tensor;
  if (kind === 'binary') {
    const p = rows.reshape([-1]);
    const isOne = labels.cast('float32');
    pLabel = p.mul(isOne).add(tf.scalar(1).sub(p).mul(tf.scalar(1).sub(isOne)));
  } else {
    const p = kind === 'logits' ? tf.softmax(rows) : rows;
    pLabel = p.mul(tf.oneHot(labels, rows.shape[1]!).cast('float32')).sum(1);
  }
  return tf.maximum(pLabel, tf.scalar(LOSS_EPSILON)).log().sum().neg() as tfType.Scalar;
}
