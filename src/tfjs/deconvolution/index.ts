/**
 * Deconvolution (Shen & Shen 2021, section 5.4.1, after Zeiler & Fergus 2014, "Visualizing and
 * Understanding Convolutional Networks"): one feature map — one input, one channel of a layer of
 * the convolutional stack — projected back to input space, so that a person sees which input
 * pattern the channel responds to.
 *
 * The rules are those of docs/estimators.md ("Deconvolution") and docs/layers.md: keep only the
 * chosen channel of the target layer's output (every other channel is zero), then walk the layer
 * graph backwards to the input:
 *  - Conv2D, Conv1D → the rectification of the layer's activation first (Zeiler & Fergus: unpool →
 *    rectify → filter; rectifier.ts: the activation's slopes at the origin, ReLU for ReLU), then the
 *    transposed convolution with the layer's own kernel, without the bias;
 *  - DepthwiseConv2D → the same with the transposed depthwise convolution (each channel through its
 *    own filter); SeparableConv2D → the transposed pointwise convolution, then the transposed depthwise;
 *  - MaxPooling2D/1D, GlobalMaxPooling2D/1D → unpooling: each value goes back to the position its
 *    window's maximum came from in the forward pass (the "switch");
 *  - AveragePooling2D/1D, GlobalAveragePooling2D/1D → each value spread evenly over its window;
 *  - activation layers (ReLU, LeakyReLU, ELU, PReLU, Activation) → their rectification;
 *  - BatchNormalization, dropout and noise layers, Activation('linear') → identity;
 *  - ZeroPadding2D → its padding is cropped off, so the shapes match (the values pass unchanged);
 *  - Reshape → reshaped back (it keeps the values in order, so that is its adjoint);
 *  - Add → the signal goes unchanged to every branch (the adjoint of a sum); Average → divided by
 *    the number of branches; Concatenate (on channels) → each branch gets the channels that came
 *    from it (with one channel chosen, only the branch it came from gets anything);
 *  - a nested model is walked through layer by layer, as if its layers were the outer model's;
 *  - where a tensor feeds several layers (the input of a residual block), the signals coming back
 *    from them add up.
 * Any other layer on the way (Dense, Flatten, Multiply, softmax, …) makes the
 * projection unavailable with a `DeconvolutionError` naming the layer: never a wrong picture.
 *
 * Choices where the spec is silent:
 *  - Switches: the first position, in row-major order (top to bottom, then left to right), holding
 *    the window's maximum; NaN never wins, and a window without a value above −∞ switches to its
 *    first position. Positions in 'same' padding are never switches (tfjs pads max-pooling with −∞).
 *  - Strides may differ from the window size; where windows overlap, the values unpooled or spread
 *    to one input position add up (the adjoint of the pooling, as for the transposed convolution).
 *  - Average pooling divides by the number of input positions the window covers, not counting
 *    'same' padding — the divisor tfjs's forward average uses, so the spread is its exact adjoint.
 *  - Dilated convolutions are supported: the kernel is dilated (zeros inserted between its taps)
 *    and transposed as an ordinary kernel of the dilated size, which is the same linear map.
 *  - One-dimensional layers (Conv1D, pooling 1D) run as their two-dimensional versions on a map one
 *    row high, which is the same computation.
 *
 * Pooling is undone in plain JS rather than with tfjs kernels: the switches must follow the tie
 * rule above on every backend (tfjs's max-pooling gradients and `maxPoolWithArgmax` pick ties by
 * backend, and not every backend has them), and the unpooled map has one channel while the
 * switches come from another. The transposed convolutions, the heavy part, run on tfjs.
 *
 * This module runs in the analysis service, a child process: it uses tfjs, never `vscode`. The tf
 * instance is a parameter, so it works with whichever backend the engine initialised
 * (src/tfjs/backend.ts `initBackend`).
 */
import type * as tfType from '@tensorflow/tfjs';
import { disposeKernels, Kernels, prepareKernels, accumulate, backward } from './backward';
import { Graph, graphTo } from './graph';
import { eventLoopTurns } from '../eventLoopTurns';
import { classify, DeconvolutionError, Op, Signal, Symbolic, Tf } from './steps';

export { DeconvolutionError } from './steps';

/** A projection of one feature map per input, in input space. */
export interface Deconvolution {
  /** `[n, ...inputShape]`: the model input's shape (`[n, H, W, C]` or `[n, T, C]`), one row per input given. */
  shape: number[];
  /** The projections, row-major over `shape` (channels last). */
  data: Float32Array;
  /** Smallest finite value of `data`; undefined when no value is finite. */
  min: number | undefined;
  /** Largest finite value of `data`; undefined when no value is finite. */
  max: number | undefined;
  /** How many values of `data` are NaN or ±Infinity (from non-finite inputs or weights). */
  nonFinite: number;
}

export interface DeconvolutionOptions {
  /** Inputs per forward/backward pass, bounding the backend's working memory; default 32. */
  chunkSize?: number;
}

/**
 * The forward half of a deconvolution: for each chunk of inputs, the target layer's output (every
 * channel) and what the way back reads of the forward pass (each max-pooling's input, every
 * tensor's shape). Plain arrays, indexed by the position of each call in `graphTo`'s order, so it
 * holds no tensor and no part of the model: the projections of several channels of one layer for
 * the same inputs (what the Channel view and a report ask, channel after channel) share one
 * forward pass, and each projection is the one `deconvolve` gives, bit for bit.
 */
export interface DeconvolutionForward {
  layerName: string;
  /** The inputs' shape, `[n, ...inputShape]`. */
  inputShape: number[];
  /** The target's channels (the run's convention: 1 for an output `[n, U]`). */
  channels: number;
  chunks: {
    /** The chunk's inputs. */
    size: number;
    /** The target's output, row-major over `targetShape`. */
    target: Float32Array;
    targetShape: number[];
    /** Per call (graphTo's order): the shape of its output, and a max-pooling's input. */
    shapes: number[][];
    poolInputs: (Float32Array | undefined)[];
  }[];
}

/** The bytes a forward half holds. */
export function deconvolutionForwardBytes(f: DeconvolutionForward): number {
  let bytes = 0;
  for (const c of f.chunks) {
    bytes += c.target.byteLength;
    for (const p of c.poolInputs) bytes += p?.byteLength ?? 0;
  }
  return bytes;
}

/**
 * Projects channel `channel` of layer `layerName`'s output back to input space for every input
 * (paper 5.4.1). Channels are the run's (docs/estimators.md): the last axis of an output of rank 3
 * or more; an output `[n, U]` (global pooling) is one channel, projected with all its units. `inputs` is `[n, ...inputShape]`, the model input's shape (images `[n, H, W, C]`
 * or sequences `[n, T, C]`); it is not disposed.
 *
 * Throws `DeconvolutionError` when the model or a layer between the input and the target (the
 * target included) is not one the walk can pass through, naming that layer; `RangeError` for an
 * unknown layer name, a channel out of range or inputs of the wrong shape.
 */
export async function deconvolve(
  tf: Tf,
  model: tfType.LayersModel,
  layerName: string,
  channel: number,
  inputs: tfType.Tensor,
  options: DeconvolutionOptions = {},
): Promise<Deconvolution> {
  const forward = await deconvolutionForward(tf, model, layerName, inputs, options, channel);
  return projectChannel(tf, model, forward, channel);
}

/** The walk's graph to `layerName`, every call classified (from the target backwards, so an error names the first layer it cannot pass). */
function classifiedGraph(model: tfType.LayersModel, layerName: string): Graph {
  const graph = graphTo(model, layerName);
  for (let i = graph.ops.length - 1; i >= 0; i--) graph.ops[i].step = classify(graph.ops[i].layer, graph.ops[i].inputs);
  return graph;
}

/**
 * The forward half of {@link deconvolve} (its errors, but for the channel's range, which
 * {@link projectChannel} checks; `channel`, when given, is checked here too, before the pass).
 */
export async function deconvolutionForward(
  tf: Tf,
  model: tfType.LayersModel,
  layerName: string,
  inputs: tfType.Tensor,
  options: DeconvolutionOptions = {},
  channel?: number,
): Promise<DeconvolutionForward> {
  const graph = checkedGraph(model, layerName, inputs);
  if (channel !== undefined) checkChannel(channel, targetChannels(graph, layerName), layerName);
  return (await forwardHalves(tf, [{ layerName, graph }], inputs, options))[0];
}

/**
 * The forward halves of several layers for the same inputs from one forward pass (to the deepest of
 * them): each the one {@link deconvolutionForward} gives for its layer alone, bit for bit. A report
 * and the Channel view ask the layers one after the other; one pass each from the input would run
 * the network's first layers again for every layer (the CIFAR ResNet-18 report: 66 partial passes,
 * 10 s of its 19 s of deconvolutions). The first layer's errors are thrown; a later layer the walk
 * cannot pass through has no half (undefined in its place).
 */
export async function deconvolutionForwards(
  tf: Tf,
  model: tfType.LayersModel,
  layerNames: readonly string[],
  inputs: tfType.Tensor,
  options: DeconvolutionOptions = {},
): Promise<(DeconvolutionForward | undefined)[]> {
  const graphs = layerNames.map((layerName, k) => {
    try {
      return { layerName, graph: checkedGraph(model, layerName, inputs) };
    } catch (e) {
      if (k === 0) throw e;
      return undefined;
    }
  });
  const walkable = graphs.filter((g): g is { layerName: string; graph: Graph } => g !== undefined);
  const halves = await forwardHalves(tf, walkable, inputs, options);
  return graphs.map((g) => (g ? halves[walkable.indexOf(g)] : undefined));
}

/** The walk's graph to `layerName`, classified, for inputs of the model input's shape (else the error {@link deconvolve} documents). */
function checkedGraph(model: tfType.LayersModel, layerName: string, inputs: tfType.Tensor): Graph {
  const graph = classifiedGraph(model, layerName);
  const modelInput = graph.input.shape;
  if (modelInput.length !== 4 && modelInput.length !== 3) {
    throw new DeconvolutionError(
      `deconvolution needs a model whose input is images [n, H, W, C] or sequences [n, T, C]; this one's is [${modelInput.map(String).join(', ')}]`,
    );
  }
  if (inputs.rank !== modelInput.length || modelInput.some((d, i) => i > 0 && d !== null && d !== inputs.shape[i])) {
    throw new RangeError(
      `inputs must have shape [n, ${modelInput.slice(1).join(', ')}] (the model input), got [${inputs.shape.join(', ')}]`,
    );
  }
  targetChannels(graph, layerName);
  return graph;
}

/** The forward halves of `targets` (graphs of one model) over `inputs`, chunk by chunk, each chunk one pass through the union of their graphs. */
async function forwardHalves(
  tf: Tf,
  targets: readonly { layerName: string; graph: Graph }[],
  inputs: tfType.Tensor,
  options: DeconvolutionOptions,
): Promise<DeconvolutionForward[]> {
  const chunkSize = options.chunkSize ?? 32;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be an integer >= 1, got ${chunkSize}`);
  // The calls of every target's graph, each once, in an order where every call follows its inputs
  // (each graph's order is one; a call met again is the same call: graphs of one model share their tensors).
  const union = new Map<Symbolic, Op>();
  for (const { graph } of targets) for (const op of graph.ops) if (!union.has(op.output)) union.set(op.output, op);
  const ops = [...union.values()];
  const n = inputs.shape[0];
  const rest = inputs.shape.slice(1);
  const halves: DeconvolutionForward[] = targets.map(({ layerName, graph }) => ({
    layerName,
    inputShape: inputs.shape.slice(),
    channels: targetChannels(graph, layerName),
    chunks: [],
  }));
  if (!targets.length) return halves;
  for (let start = 0; start < n; start += chunkSize) {
    const size = Math.min(chunkSize, n - start);
    const chunk = tf.slice(inputs, [start, ...rest.map(() => 0)], [size, ...rest]);
    const pass = await forwardChunk(
      tf,
      { input: targets[0].graph.input, ops },
      targets.map((t) => t.graph.target),
      chunk,
    );
    targets.forEach(({ graph }, k) => {
      const target = pass.targets.get(graph.target)!;
      halves[k].chunks.push({
        size,
        target: target.data,
        targetShape: target.shape,
        shapes: graph.ops.map((op) => pass.shapes.get(op.output)!),
        poolInputs: graph.ops.map((op) => pass.poolInputs.get(op.output)),
      });
    });
  }
  return halves;
}

/** The run's channel convention (docs/estimators.md): an output [n, U] is one channel of U units. */
function targetChannels(graph: Graph, layerName: string): number {
  const targetRank = graph.target.shape.length;
  const channels = targetRank >= 3 ? Number(graph.target.shape.at(-1)) : 1;
  if (targetRank < 2 || !Number.isInteger(channels)) {
    throw new DeconvolutionError(`layer '${layerName}' has no output with channels`, layerName);
  }
  return channels;
}

function checkChannel(channel: number, channels: number, layerName: string): void {
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new RangeError(
      `channel must be an integer in [0, ${channels - 1}] (layer '${layerName}' has ${channels} channels), got ${channel}`,
    );
  }
}

/**
 * The backward half of {@link deconvolve}: channel `channel` of the forward half `forward` (which
 * `deconvolutionForward` computed with this model, or one of the same architecture and weights)
 * projected back to input space.
 */
export async function projectChannel(
  tf: Tf,
  model: tfType.LayersModel,
  forward: DeconvolutionForward,
  channel: number,
): Promise<Deconvolution> {
  const graph = classifiedGraph(model, forward.layerName);
  checkChannel(channel, forward.channels, forward.layerName);
  const [n, ...rest] = forward.inputShape;
  const per = rest.reduce((a, b) => a * b, 1);
  const c = rest[rest.length - 1];
  const data = new Float32Array(n * per);
  const kernels = await prepareKernels(tf, graph.ops);
  try {
    let start = 0;
    for (const chunk of forward.chunks) {
      const projected = await backwardChunk(tf, graph, kernels, chunk, [chunk.size, ...rest], channel);
      // A projection that never crossed a convolution is still one channel wide: the others are zero.
      if (projected.only === undefined) data.set(projected.data, start * per);
      else for (let p = 0; p < (chunk.size * per) / c; p++) data[start * per + p * c + projected.only] = projected.data[p];
      start += chunk.size;
    }
  } finally {
    disposeKernels(kernels);
  }

  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (const v of data) {
    if (!Number.isFinite(v)) nonFinite++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const anyFinite = nonFinite < data.length;
  return { shape: [n, ...rest], data, min: anyFinite ? min : undefined, max: anyFinite ? max : undefined, nonFinite };
}

/**
 * One chunk forward through `ops` (every call the targets depend on, in order), keeping what the
 * way back needs: each target's output, each max-pooling's input and every call's output shape, by
 * the call's output tensor. Disposes `chunk`.
 */
async function forwardChunk(
  tf: Tf,
  graph: { input: Symbolic; ops: readonly Op[] },
  targets: readonly Symbolic[],
  chunk: tfType.Tensor,
): Promise<{
  targets: Map<Symbolic, { data: Float32Array; shape: number[] }>;
  shapes: Map<Symbolic, number[]>;
  poolInputs: Map<Symbolic, Float32Array>;
}> {
  const { ops } = graph;
  // Forward: every tensor's value, freed after its last reader.
  const shapes = new Map<Symbolic, number[]>();
  const poolInputs = new Map<Symbolic, Float32Array>();
  const outputs = new Map<Symbolic, { data: Float32Array; shape: number[] }>();
  const readers = new Map<Symbolic, number>();
  for (const op of ops) for (const t of op.inputs) readers.set(t, (readers.get(t) ?? 0) + 1);
  for (const t of targets) readers.set(t, (readers.get(t) ?? 0) + 1);
  const values = new Map<Symbolic, tfType.Tensor>([[graph.input, chunk]]);
  // Layers that are the identity at inference (Dropout) hand back their input tensor itself, so a
  // tensor is disposed only when no value still holds it.
  const holders = new Map<tfType.Tensor, number>([[chunk, 1]]);
  const release = (key: Symbolic) => {
    const left = (readers.get(key) ?? 0) - 1;
    readers.set(key, left);
    if (left > 0) return;
    const value = values.get(key);
    values.delete(key);
    if (!value) return;
    const held = (holders.get(value) ?? 1) - 1;
    holders.set(value, held);
    if (held <= 0) value.dispose();
  };
  const keep = async (t: Symbolic) => {
    if (outputs.has(t)) return;
    const value = values.get(t)!;
    outputs.set(t, { data: Float32Array.from((await value.data()) as Float32Array), shape: value.shape });
    release(t);
  };
  try {
    // A target that is the input itself (no call before it).
    for (const t of targets) if (t === graph.input) await keep(t);
    for (const op of ops) {
      const args = op.inputs.map((t) => values.get(t)!);
      if (op.step.kind === 'maxPool' || op.step.kind === 'globalMaxPool')
        poolInputs.set(op.output, Float32Array.from((await args[0].data()) as Float32Array));
      const out = tf.tidy(() => op.layer.apply(args.length === 1 ? args[0] : args, { training: false }) as tfType.Tensor);
      values.set(op.output, out);
      holders.set(out, (holders.get(out) ?? 0) + 1);
      shapes.set(op.output, out.shape);
      for (const t of op.inputs) release(t);
      if (targets.includes(op.output)) await keep(op.output);
    }
    return { targets: outputs, shapes, poolInputs };
  } finally {
    for (const value of new Set(values.values())) value.dispose();
    if (!chunk.isDisposed) chunk.dispose();
  }
}

/**
 * Lets the event loop turn once 5 ms have passed since it last did here. The walk's kernels run on
 * this thread and it awaits only settled promises, so without a turn nothing else runs on the
 * thread for a whole projection: not a cancel, nor what a query computing beside it (a report's
 * Taylor pass on ONNX Runtime: src/cli/reportCompute.ts SIDE_BY_SIDE) must do between the runtime's
 * runs, whose threads would wait idle meanwhile. Every 5 ms, a few hundred turns a second, each a
 * few microseconds.
 */
const letOthersRun = eventLoopTurns(5);

/**
 * One chunk back from the target to the input. Returns the projection in the input's shape
 * (`inputShape`), one channel wide when `only` is set (no convolution was crossed: the chosen
 * channel alone), all the input's channels otherwise.
 */
async function backwardChunk(
  tf: Tf,
  graph: Graph,
  kernels: Map<Op, Kernels>,
  forward: DeconvolutionForward['chunks'][number],
  inputShape: number[],
  channel: number,
): Promise<{ data: Float32Array; only: number | undefined }> {
  const { ops } = graph;
  const shapes = new Map<Symbolic, number[]>([[graph.input, inputShape]]);
  const poolInputs = new Map<Op, Float32Array>();
  ops.forEach((op, i) => {
    shapes.set(op.output, forward.shapes[i]);
    const pooled = forward.poolInputs[i];
    if (pooled) poolInputs.set(op, pooled);
  });
  const signals = new Map<Symbolic, Signal>();
  try {
    const rest = forward.targetShape.slice(1, -1);
    // An output [n, U] is one channel of U units: all of them are kept.
    const target = tf.tensor(forward.target, forward.targetShape);
    if (target.rank === 2) signals.set(graph.target, { t: target, only: undefined });
    else {
      try {
        signals.set(graph.target, {
          t: tf.slice(target, [0, ...rest.map(() => 0), channel], [...forward.targetShape.slice(0, -1), 1]),
          only: channel,
        });
      } finally {
        target.dispose();
      }
    }

    // Backward, from the target to the input: each call turns the signal of its output into
    // signals of its inputs, added to what other readers of those tensors sent back.
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i];
      await letOthersRun();
      const signal = signals.get(op.output);
      if (!signal) continue; // Nothing came back this way (a concatenated branch the channel did not come from).
      signals.delete(op.output);
      try {
        const inShapes = op.inputs.map((t) => shapes.get(t)!);
        const back = await backward(tf, op, kernels.get(op), poolInputs.get(op), signal, inShapes);
        back.forEach((s, k) => {
          if (s) accumulate(tf, signals, op.inputs[k], s, shapes.get(op.inputs[k])!);
        });
      } finally {
        signal.t.dispose();
      }
    }
    const result = signals.get(graph.input);
    if (!result) return { data: new Float32Array(inputShape.reduce((a, b) => a * b, 1) / inputShape[inputShape.length - 1]), only: 0 };
    signals.delete(graph.input);
    try {
      return { data: Float32Array.from((await result.t.data()) as Float32Array), only: result.only };
    } finally {
      result.t.dispose();
    }
  } finally {
    for (const s of signals.values()) s.t.dispose();
  }
}
