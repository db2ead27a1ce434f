/**
 * Deconvolution (Shen & Shen 2021, section 5.4.1, after Zeiler & Fergus 2014, "Visualizing and
 * Understanding Convolutional Networks"): one feature map — one input, one channel of a layer of
 * the convolutional stack — projected back to input space, so that a person sees which input
 * pattern the channel responds to.
 *
 * The rules are those of docs/estimators.md ("Deconvolution") and docs/layers.md: keep only the
 * chosen channel of the target layer's output (every other channel is zero), then walk the layer
 * graph backwards to the input:
 *  - Conv2D, Conv1D → ReLU first when the layer's activation is ReLU (Zeiler & Fergus: unpool →
 *    rectify → filter), then the transposed convolution with the layer's own kernel, without the bias;
 *  - DepthwiseConv2D → the same with the transposed depthwise convolution (each channel through its
 *    own filter); SeparableConv2D → the transposed pointwise convolution, then the transposed depthwise;
 *  - MaxPooling2D/1D, GlobalMaxPooling2D/1D → unpooling: each value goes back to the position its
 *    window's maximum came from in the forward pass (the "switch");
 *  - AveragePooling2D/1D, GlobalAveragePooling2D/1D → each value spread evenly over its window;
 *  - ReLU, as a layer or an Activation layer → ReLU;
 *  - BatchNormalization, dropout and noise layers, Activation('linear') → identity;
 *  - ZeroPadding2D → its padding is cropped off, so the shapes match (the values pass unchanged);
 *  - Reshape → reshaped back (it keeps the values in order, so that is its adjoint);
 *  - Add → the signal goes unchanged to every branch (the adjoint of a sum); Average → divided by
 *    the number of branches; Concatenate (on channels) → each branch gets the channels that came
 *    from it (with one channel chosen, only the branch it came from gets anything);
 *  - a nested model is walked through layer by layer, as if its layers were the outer model's;
 *  - where a tensor feeds several layers (the input of a residual block), the signals coming back
 *    from them add up.
 * Any other layer on the way (Dense, Flatten, Multiply, an unsupported activation, …) makes the
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
import { CodedError, hasErrorCode } from '../analysis';

type Tf = typeof tfType;
type Layer = tfType.layers.Layer;
type Symbolic = tfType.SymbolicTensor;
type Pair = [number, number];
type Shape4 = [number, number, number, number];

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

/** What the walk passes back through, in words, for the message of a layer it cannot (docs/layers.md has the full list). */
const SUPPORTED_IN_WORDS =
  'it passes back through convolutions (also 1-D, depthwise and separable), pooling, ReLU, batch normalisation, dropout, padding, reshape, add, average, concatenate and nested models (docs/layers.md)';

/** The projection is not available for this model or layer; `layer` names the layer that stops it. */
export class DeconvolutionError extends CodedError {
  constructor(
    message: string,
    readonly layer?: string,
  ) {
    super('deconvolution-unsupported', message, 'DeconvolutionError');
  }
  static is(e: unknown): e is DeconvolutionError {
    return hasErrorCode(e, 'deconvolution-unsupported');
  }
}

/**
 * What the backward walk does at one layer. Spatial steps carry `oneD` when the layer works on
 * `[n, T, C]` tensors: they run as the 2-D step on `[n, 1, T, C]`.
 */
type Step =
  | { kind: 'conv'; relu: boolean; strides: Pair; padding: 'same' | 'valid'; dilation: Pair; oneD: boolean }
  | { kind: 'depthwise'; relu: boolean; strides: Pair; padding: 'same' | 'valid'; dilation: Pair; multiplier: number }
  | { kind: 'separable'; relu: boolean; strides: Pair; padding: 'same' | 'valid'; dilation: Pair; multiplier: number }
  | { kind: 'relu' }
  | { kind: 'maxPool' | 'avgPool'; pool: Pair; strides: Pair; padding: 'same' | 'valid'; oneD: boolean }
  | { kind: 'globalMaxPool' | 'globalAvgPool' }
  | { kind: 'crop'; padding: [Pair, Pair] }
  | { kind: 'identity' }
  | { kind: 'add' | 'average' }
  | { kind: 'concat' }
  | { kind: 'reshape' };

/** One call of a layer in the graph between the model input and the target, with its step. */
interface Op {
  layer: Layer;
  step: Step;
  inputs: Symbolic[];
  output: Symbolic;
}

/**
 * The signal flowing back into one tensor of the graph: `t` has the tensor's shape except for the
 * channels (the last axis). While `only` is set the signal is that one channel alone (all others
 * zero, `t` one channel wide); otherwise `t` holds every channel.
 */
interface Signal {
  t: tfType.Tensor;
  only: number | undefined;
}

/** Layers that are the identity at inference time (dropout and noise are only active in training). */
const IDENTITY_LAYERS = new Set([
  'BatchNormalization',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

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
  const chunkSize = options.chunkSize ?? 32;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be an integer >= 1, got ${chunkSize}`);
  const graph = graphTo(model, layerName);
  // Classified from the target backwards, so an error names the first layer the walk cannot pass.
  for (let i = graph.ops.length - 1; i >= 0; i--) graph.ops[i].step = classify(graph.ops[i].layer, graph.ops[i].inputs);
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
  // The run's channel convention (docs/estimators.md): an output [n, U] is one channel of U units.
  const targetRank = graph.target.shape.length;
  const channels = targetRank >= 3 ? Number(graph.target.shape.at(-1)) : 1;
  if (targetRank < 2 || !Number.isInteger(channels)) {
    throw new DeconvolutionError(`layer '${layerName}' has no output with channels`, layerName);
  }
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new RangeError(
      `channel must be an integer in [0, ${channels - 1}] (layer '${layerName}' has ${channels} channels), got ${channel}`,
    );
  }

  const n = inputs.shape[0];
  const rest = inputs.shape.slice(1);
  const per = rest.reduce((a, b) => a * b, 1);
  const c = rest[rest.length - 1];
  const data = new Float32Array(n * per);
  const kernels = await prepareKernels(tf, graph.ops);
  try {
    for (let start = 0; start < n; start += chunkSize) {
      const size = Math.min(chunkSize, n - start);
      const chunk = tf.slice(inputs, [start, ...rest.map(() => 0)], [size, ...rest]);
      const projected = await projectChunk(tf, graph, kernels, chunk, channel);
      // A projection that never crossed a convolution is still one channel wide: the others are zero.
      if (projected.only === undefined) data.set(projected.data, start * per);
      else for (let p = 0; p < (size * per) / c; p++) data[start * per + p * c + projected.only] = projected.data[p];
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

/** The layer calls from the model input (exclusive) to the target tensor (inclusive), in an order where every call follows its inputs. */
interface Graph {
  input: Symbolic;
  target: Symbolic;
  ops: Op[];
}

/** A model used as a layer: its own graph is walked instead of the call. */
function isNestedModel(layer: Layer): layer is Layer & { inputs: Symbolic[]; outputs: Symbolic[]; layers: Layer[] } {
  const l = layer as unknown as { inputs?: unknown; outputs?: unknown; layers?: unknown };
  return Array.isArray(l.layers) && Array.isArray(l.inputs) && Array.isArray(l.outputs);
}

/**
 * The part of the model's graph the target depends on, followed backwards from the target's output
 * tensor through each call's input tensors; nested models are opened up (their input tensors stand
 * for the tensors they were called on, their outputs for their calls' outputs). A layer called
 * several times appears once per call; a nested model called several times, a call with several
 * outputs or a dependency on another input is refused.
 */
function graphTo(model: tfType.LayersModel, layerName: string): Graph {
  if (model.inputs.length !== 1) {
    throw new DeconvolutionError(`deconvolution needs a model with one input; this one has ${model.inputs.length}`);
  }
  let target: Layer;
  try {
    target = model.getLayer(layerName);
  } catch {
    throw new RangeError(`the model has no layer named '${layerName}'`);
  }
  const input = model.inputs[0];
  if (target === input.sourceLayer) return { input, target: input, ops: [] };
  // The target's call in this model. A nested model also has the node of its own construction,
  // which has no inbound layers; as the first layer of a sequential model it has only that node
  // (the outer model starts at its input), which then stands for the call.
  const nodes = target.inboundNodes.filter((node) => node.inboundLayers.length > 0);
  const calls = nodes.length === 0 && isNestedModel(target) ? target.inboundNodes.slice(0, 1) : nodes;
  if (calls.length !== 1) {
    throw new DeconvolutionError(
      `deconvolution needs layer '${layerName}' (${target.getClassName()}) to be called once, but it is called ${calls.length} times`,
      layerName,
    );
  }
  const bound = new Map<Symbolic, Symbolic>();
  const resolve = (tensor: Symbolic): Symbolic => {
    let t = tensor;
    for (;;) {
      const alias = bound.get(t);
      if (alias) {
        t = alias;
        continue;
      }
      const layer = t.sourceLayer;
      if (!isNestedModel(layer)) return t;
      const node = layer.inboundNodes[t.nodeIndex];
      layer.inputs.forEach((inner, i) => {
        const outer = node.inputTensors[i];
        const known = bound.get(inner);
        if (known && known !== outer) {
          throw new DeconvolutionError(
            `deconvolution cannot walk through nested model '${layer.name}': it is called more than once`,
            layer.name,
          );
        }
        if (outer !== inner) bound.set(inner, outer);
      });
      t = layer.outputs[t.tensorIndex];
    }
  };
  const ops: Op[] = [];
  const done = new Set<Symbolic>();
  const visiting = new Set<Symbolic>();
  const visit = (tensor: Symbolic): Symbolic => {
    const t = resolve(tensor);
    if (t === input || done.has(t)) return t;
    if (visiting.has(t))
      throw new DeconvolutionError(`the graph of the model has a cycle at layer '${t.sourceLayer.name}'`, t.sourceLayer.name);
    const layer = t.sourceLayer;
    if (layer.getClassName() === 'InputLayer') {
      throw new DeconvolutionError(
        `layer '${layerName}' depends on '${layer.name}', which is not the model's input '${input.sourceLayer.name}'`,
        layerName,
      );
    }
    const node = layer.inboundNodes[t.nodeIndex];
    if (node.outputTensors.length !== 1) {
      throw new DeconvolutionError(
        `deconvolution cannot pass back through layer '${layer.name}' (${layer.getClassName()}), which has ${node.outputTensors.length} outputs`,
        layer.name,
      );
    }
    visiting.add(t);
    const inputs = node.inputTensors.map(visit);
    visiting.delete(t);
    done.add(t);
    ops.push({ layer, step: { kind: 'identity' }, inputs, output: t });
    return t;
  };
  const targetTensor = visit(calls[0].outputTensors[0]);
  return { input, target: targetTensor, ops };
}

/** What the backward walk does at `layer` (called on `inputs`), or a `DeconvolutionError` naming it. */
function classify(layer: Layer, inputs: Symbolic[]): Step {
  const type = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new DeconvolutionError(
      `deconvolution supports channels-last data only; layer '${layer.name}' (${type}) is ${configText(config.dataFormat)}`,
      layer.name,
    );
  }
  switch (type) {
    case 'Conv2D':
    case 'Conv1D': {
      const oneD = type === 'Conv1D';
      return {
        kind: 'conv',
        relu: reluOrLinear(layer, config),
        strides: pair(config.strides, 1, oneD),
        padding: paddingOf(layer, config),
        dilation: pair(config.dilationRate, 1, oneD),
        oneD,
      };
    }
    case 'DepthwiseConv2D':
    case 'SeparableConv2D':
      return {
        kind: type === 'DepthwiseConv2D' ? 'depthwise' : 'separable',
        relu: reluOrLinear(layer, config),
        strides: pair(config.strides, 1, false),
        padding: paddingOf(layer, config),
        dilation: pair(config.dilationRate, 1, false),
        multiplier: typeof config.depthMultiplier === 'number' ? config.depthMultiplier : 1,
      };
    case 'MaxPooling2D':
    case 'AveragePooling2D':
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const oneD = type.endsWith('1D');
      const pool = pair(config.poolSize, 2, oneD);
      return {
        kind: type.startsWith('Max') ? 'maxPool' : 'avgPool',
        pool,
        strides: config.strides == null ? pool : pair(config.strides, 1, oneD),
        padding: paddingOf(layer, config),
        oneD,
      };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalAveragePooling1D':
      return { kind: 'globalAvgPool' };
    case 'GlobalMaxPooling2D':
    case 'GlobalMaxPooling1D':
      return { kind: 'globalMaxPool' };
    case 'ReLU':
      // A capped or leaky ReLU is not the rectification the method undoes.
      for (const key of ['maxValue', 'negativeSlope', 'threshold']) {
        if (config[key] != null && config[key] !== 0) {
          throw new DeconvolutionError(
            `deconvolution cannot pass back through layer '${layer.name}' (ReLU with ${key} ${configText(config[key])}); only the plain ReLU is supported`,
            layer.name,
          );
        }
      }
      return { kind: 'relu' };
    case 'Activation':
      return reluOrLinear(layer, config) ? { kind: 'relu' } : { kind: 'identity' };
    case 'ZeroPadding2D': {
      const p = config.padding as number[][] | undefined;
      if (!Array.isArray(p) || p.length !== 2 || !p.every((a) => Array.isArray(a) && a.length === 2)) {
        throw new DeconvolutionError(`deconvolution cannot read the padding of layer '${layer.name}' (ZeroPadding2D)`, layer.name);
      }
      return { kind: 'crop', padding: [pair(p[0], 0, false), pair(p[1], 0, false)] };
    }
    case 'Add':
    case 'Average':
      // Broadcasting merges (a [n, 1, 1, C] branch added to a [n, H, W, C] one) are not the plain sum undone here.
      if (inputs.some((t) => t.shape.length !== inputs[0].shape.length || t.shape.some((d, i) => d !== inputs[0].shape[i]))) {
        throw new DeconvolutionError(
          `deconvolution cannot pass back through layer '${layer.name}' (${type}) whose inputs have different shapes`,
          layer.name,
        );
      }
      return { kind: type === 'Add' ? 'add' : 'average' };
    case 'Reshape':
      return { kind: 'reshape' };
    case 'Concatenate': {
      const rank = inputs[0].shape.length;
      const axis = typeof config.axis === 'number' ? config.axis : -1;
      if (axis !== -1 && axis !== rank - 1) {
        throw new DeconvolutionError(
          `deconvolution can pass back through a Concatenate on the channel axis only; layer '${layer.name}' concatenates on axis ${axis}`,
          layer.name,
        );
      }
      return { kind: 'concat' };
    }
    default:
      if (IDENTITY_LAYERS.has(type)) return { kind: 'identity' };
      throw new DeconvolutionError(
        `deconvolution cannot pass back through layer '${layer.name}' (${type}); ${SUPPORTED_IN_WORDS}`,
        layer.name,
      );
  }
}

/** Whether a layer's activation is ReLU (true) or linear (false); any other one is refused. */
function reluOrLinear(layer: Layer, config: Record<string, unknown>): boolean {
  const activation = configText(config.activation ?? 'linear');
  if (activation === 'relu') return true;
  if (activation === 'linear') return false;
  throw new DeconvolutionError(
    `deconvolution cannot pass back through layer '${layer.name}' (${layer.getClassName()}) with activation '${activation}'; supported activations: relu, linear`,
    layer.name,
  );
}

function paddingOf(layer: Layer, config: Record<string, unknown>): 'same' | 'valid' {
  const p = config.padding ?? 'valid';
  if (p === 'same' || p === 'valid') return p;
  throw new DeconvolutionError(
    `deconvolution cannot pass back through layer '${layer.name}' (${layer.getClassName()}) with padding '${configText(p)}'`,
    layer.name,
  );
}

/**
 * A `[height, width]` pair from a config value that is a number or a list. For a 1-D layer the
 * value is its length and the height is 1 (the layer runs on a map one row high).
 */
function pair(v: unknown, fallback: number, oneD: boolean): Pair {
  const list = v == null ? [fallback] : typeof v === 'number' ? [v] : (v as number[]);
  if (oneD) return [1, list[0] ?? fallback];
  return [list[0], list.length > 1 ? list[1] : list[0]];
}

/** The kernels of one convolution step, copied from its layer (see `prepareKernels`). */
interface Kernels {
  kernel: tfType.Tensor4D;
  /** SeparableConv2D: the pointwise kernel `[1, 1, C·m, filters]`. */
  pointwise?: tfType.Tensor4D;
  /** Depthwise steps: the kernel turned by 180° as `[kh, kw, C·m, 1]`, built when a full signal first needs it. */
  turned?: tfType.Tensor4D;
}

function disposeKernels(kernels: Map<Op, Kernels>): void {
  for (const k of kernels.values()) for (const t of [k.kernel, k.pointwise, k.turned]) t?.dispose();
}

/**
 * The kernels each convolution step's transposed convolutions take, `[kh, kw, in, out]`: the
 * layer's own (a copy, so the model can be disposed or trained meanwhile), dilated when the layer
 * is (zeros between the taps, `(k − 1)·d + 1` wide), a 1-D kernel as one row. Depthwise kernels
 * stay `[kh, kw, in, multiplier]`; a separable layer has its depthwise kernel, then its pointwise one.
 */
async function prepareKernels(tf: Tf, ops: Op[]): Promise<Map<Op, Kernels>> {
  const kernels = new Map<Op, Kernels>();
  try {
    for (const op of ops) {
      const step = op.step;
      if (step.kind !== 'conv' && step.kind !== 'depthwise' && step.kind !== 'separable') continue;
      const weights = op.layer.getWeights();
      const kernel = weights[0];
      const wanted = step.kind === 'conv' && step.oneD ? 3 : 4;
      if (!kernel || kernel.rank !== wanted) {
        throw new DeconvolutionError(`layer '${op.layer.name}' (${op.layer.getClassName()}) has no ${wanted}-d kernel`, op.layer.name);
      }
      const four = kernel.rank === 3 ? ([1, ...kernel.shape] as Shape4) : (kernel.shape as Shape4);
      const entry: Kernels = { kernel: await dilate(tf, kernel, four, step.dilation) };
      kernels.set(op, entry);
      if (step.kind === 'separable') {
        const pointwise = weights[1];
        if (!pointwise || pointwise.rank !== 4) {
          throw new DeconvolutionError(`layer '${op.layer.name}' (SeparableConv2D) has no pointwise kernel`, op.layer.name);
        }
        entry.pointwise = tf.clone(pointwise) as tfType.Tensor4D;
      }
    }
  } catch (e) {
    disposeKernels(kernels);
    throw e;
  }
  return kernels;
}

/** A copy of `kernel` as `shape` (`[kh, kw, a, b]`) with `dilation − 1` zeros between its taps. */
async function dilate(tf: Tf, kernel: tfType.Tensor, shape: Shape4, dilation: Pair): Promise<tfType.Tensor4D> {
  const [kh, kw, a, b] = shape;
  const [dh, dw] = dilation;
  if (dh === 1 && dw === 1) return tf.reshape(kernel, shape);
  const taps = (await kernel.data()) as Float32Array;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const dilated = new Float32Array(eh * ew * a * b);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      dilated.set(taps.subarray((y * kw + x) * a * b, (y * kw + x + 1) * a * b), (y * dh * ew + x * dw) * a * b);
    }
  }
  return tf.tensor4d(dilated, [eh, ew, a, b]);
}

/**
 * One chunk through the walk: forward to the target (keeping what unpooling needs), then back.
 * Disposes `chunk`. Returns the projection in the input's shape, one channel wide when `only` is
 * set (no convolution was crossed: the chosen channel alone), all the input's channels otherwise.
 */
async function projectChunk(
  tf: Tf,
  graph: Graph,
  kernels: Map<Op, Kernels>,
  chunk: tfType.Tensor,
  channel: number,
): Promise<{ data: Float32Array; only: number | undefined }> {
  const { ops } = graph;
  // Forward: every tensor's value, freed after its last reader; the shapes stay for the way back.
  const shapes = new Map<Symbolic, number[]>([[graph.input, chunk.shape]]);
  const poolInputs = new Map<Op, Float32Array>();
  const readers = new Map<Symbolic, number>();
  for (const op of ops) for (const t of op.inputs) readers.set(t, (readers.get(t) ?? 0) + 1);
  readers.set(graph.target, (readers.get(graph.target) ?? 0) + 1);
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
  const signals = new Map<Symbolic, Signal>();
  try {
    for (const op of ops) {
      const args = op.inputs.map((t) => values.get(t)!);
      if (op.step.kind === 'maxPool' || op.step.kind === 'globalMaxPool')
        poolInputs.set(op, Float32Array.from((await args[0].data()) as Float32Array));
      const out = tf.tidy(() => op.layer.apply(args.length === 1 ? args[0] : args, { training: false }) as tfType.Tensor);
      values.set(op.output, out);
      holders.set(out, (holders.get(out) ?? 0) + 1);
      shapes.set(op.output, out.shape);
      for (const t of op.inputs) release(t);
    }
    const target = values.get(graph.target)!;
    const rest = target.shape.slice(1, -1);
    // An output [n, U] is one channel of U units: all of them are kept.
    signals.set(
      graph.target,
      target.rank === 2
        ? { t: tf.clone(target), only: undefined }
        : { t: tf.slice(target, [0, ...rest.map(() => 0), channel], [...target.shape.slice(0, -1), 1]), only: channel },
    );
    release(graph.target);

    // Backward, from the target to the input: each call turns the signal of its output into
    // signals of its inputs, added to what other readers of those tensors sent back.
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i];
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
    if (!result) return { data: new Float32Array(chunk.size / chunk.shape[chunk.rank - 1]), only: 0 };
    signals.delete(graph.input);
    try {
      return { data: Float32Array.from((await result.t.data()) as Float32Array), only: result.only };
    } finally {
      result.t.dispose();
    }
  } finally {
    for (const value of new Set(values.values())) value.dispose();
    for (const s of signals.values()) s.t.dispose();
    if (!chunk.isDisposed) chunk.dispose();
  }
}

/** Adds `signal` to what `key` already holds, widening both to every channel when they differ. */
function accumulate(tf: Tf, signals: Map<Symbolic, Signal>, key: Symbolic, signal: Signal, shape: number[]): void {
  const known = signals.get(key);
  if (!known) {
    signals.set(key, signal);
    return;
  }
  const channels = shape[shape.length - 1];
  const sum = tf.tidy(() =>
    known.only === signal.only ? tf.add(known.t, signal.t) : tf.add(widen(tf, known, channels), widen(tf, signal, channels)),
  );
  known.t.dispose();
  signal.t.dispose();
  signals.set(key, { t: sum, only: known.only === signal.only ? known.only : undefined });
}

/** The signal with every channel: the single channel in its place, zeros elsewhere. */
function widen(tf: Tf, s: Signal, channels: number): tfType.Tensor {
  if (s.only === undefined) return s.t;
  const pads = s.t.shape.map((): [number, number] => [0, 0]);
  pads[pads.length - 1] = [s.only, channels - s.only - 1];
  return tf.pad(s.t, pads);
}

/** `[n, T, C]` as `[n, 1, T, C]`; a rank-4 tensor as it is. */
function as4d(tf: Tf, t: tfType.Tensor): tfType.Tensor4D {
  return (t.rank === 3 ? tf.reshape(t, shape4d(t.shape)) : t) as tfType.Tensor4D;
}

function shape4d(shape: number[]): Shape4 {
  return (shape.length === 3 ? [shape[0], 1, shape[1], shape[2]] : shape) as Shape4;
}

/**
 * The signals one call sends back to its inputs (undefined: none to that input), given the signal
 * of its output. Does not dispose `signal`.
 */
async function backward(
  tf: Tf,
  op: Op,
  kernels: Kernels | undefined,
  poolInput: Float32Array | undefined,
  signal: Signal,
  inShapes: number[][],
): Promise<(Signal | undefined)[]> {
  const step = op.step;
  const inShape = inShapes[0];
  const width = signal.t.shape[signal.t.rank - 1];
  const only = signal.only;
  const keep = (t: tfType.Tensor): Signal[] => [{ t, only }];
  switch (step.kind) {
    case 'identity':
      return keep(tf.clone(signal.t));
    case 'relu':
      return keep(tf.relu(signal.t));
    case 'add':
      return op.inputs.map(() => ({ t: tf.clone(signal.t), only }));
    case 'average':
      return op.inputs.map(() => ({ t: tf.div(signal.t, op.inputs.length), only }));
    case 'concat': {
      let offset = 0;
      return inShapes.map((shape) => {
        const size = shape[shape.length - 1];
        const from = offset;
        offset += size;
        if (only !== undefined) return only >= from && only < from + size ? { t: tf.clone(signal.t), only: only - from } : undefined;
        const begin = signal.t.shape.map(() => 0);
        begin[begin.length - 1] = from;
        const sizes = [...signal.t.shape];
        sizes[sizes.length - 1] = size;
        return { t: tf.slice(signal.t, begin, sizes), only: undefined };
      });
    }
    case 'reshape': {
      // Reshaping keeps the values in order, so its adjoint is the reshape back; channels mix, so the signal is widened first.
      const channels = op.output.shape[op.output.shape.length - 1] ?? 1;
      return [{ t: tf.tidy(() => tf.reshape(widen(tf, signal, channels), inShape)), only: undefined }];
    }
    case 'crop': {
      const [[top], [left]] = step.padding;
      return keep(tf.slice(signal.t, [0, top, left, 0], [inShape[0], inShape[1], inShape[2], width]));
    }
    case 'globalAvgPool': {
      // [n, width] → every position of [n, ...spatial, width] gets its share.
      const spatial = inShape.slice(1, -1);
      const positions = spatial.reduce((a, b) => a * b, 1);
      return keep(
        tf.tidy(() => {
          const shaped = tf.reshape(tf.div(signal.t, positions), [inShape[0], ...spatial.map(() => 1), width]);
          return tf.tile(shaped, [1, ...spatial, 1]);
        }),
      );
    }
    case 'globalMaxPool': {
      // Max pooling with one window covering the whole map.
      const four = shape4d(inShape);
      const values = (await signal.t.data()) as Float32Array;
      const geometry = poolGeometry({ pool: [four[1], four[2]], strides: [1, 1], padding: 'valid' }, four, [four[0], 1, 1, width]);
      return keep(tf.tensor(unpool(values, poolInput!, geometry, only), [...inShape.slice(0, -1), width]));
    }
    case 'maxPool':
    case 'avgPool': {
      const four = shape4d(inShape);
      const values = (await signal.t.data()) as Float32Array;
      const geometry = poolGeometry(step, four, shape4d(signal.t.shape));
      const back = step.kind === 'maxPool' ? unpool(values, poolInput!, geometry, only) : spreadAverage(values, geometry);
      return keep(tf.tensor(back, [...inShape.slice(0, -1), width]));
    }
    case 'conv': {
      const kernel = kernels!.kernel;
      const t = tf.tidy(() => {
        const rectified = step.relu ? tf.relu(signal.t) : signal.t;
        const k = only === undefined ? kernel : tf.slice(kernel, [0, 0, 0, only], [kernel.shape[0], kernel.shape[1], kernel.shape[2], 1]);
        const back = tf.conv2dTranspose(as4d(tf, rectified), k, shape4d(inShape), step.strides, step.padding);
        return tf.reshape(back, inShape);
      });
      return [{ t, only: undefined }];
    }
    case 'depthwise': {
      const rectified = step.relu ? tf.relu(signal.t) : signal.t;
      try {
        return [transposedDepthwise(tf, { t: rectified, only }, kernels!, inShape, step)];
      } finally {
        if (rectified !== signal.t) rectified.dispose();
      }
    }
    case 'separable': {
      const pointwise = kernels!.pointwise!;
      // The pointwise convolution is 1×1 with stride 1: its transpose keeps the map's size.
      const middle = tf.tidy(() => {
        const rectified = step.relu ? tf.relu(signal.t) : signal.t;
        const [n, h, w] = rectified.shape;
        const k = only === undefined ? pointwise : tf.slice(pointwise, [0, 0, 0, only], [1, 1, pointwise.shape[2], 1]);
        return tf.conv2dTranspose(rectified as tfType.Tensor4D, k, [n, h, w, pointwise.shape[2]], 1, 'valid');
      });
      try {
        return [transposedDepthwise(tf, { t: middle, only: undefined }, kernels!, inShape, step)];
      } finally {
        middle.dispose();
      }
    }
    default:
      return assertNever(step);
  }
}

/**
 * The transpose of a depthwise convolution (kernel `[kh, kw, C, m]`; output channel `c·m + j` is
 * input channel `c` through filter `j`). A single output channel comes back to its one input
 * channel through its one filter (the signal stays one channel wide). A full signal is spread out
 * by the strides (zeros between its values), padded so that every input position sees the taps
 * that read it, and correlated channel by channel with the kernel turned by 180° — the depthwise
 * convolution's own kernel on every backend, as many operations as the forward pass — and the `m`
 * filters of each input channel are added up.
 */
function transposedDepthwise(
  tf: Tf,
  signal: Signal,
  kernels: Kernels,
  inShape: number[],
  step: { strides: Pair; padding: 'same' | 'valid' },
): Signal {
  const kernel = kernels.kernel;
  const [kh, kw, channels, multiplier] = kernel.shape;
  const [n, h, w] = inShape;
  if (signal.only !== undefined) {
    const source = Math.floor(signal.only / multiplier);
    const j = signal.only % multiplier;
    return {
      t: tf.tidy(() =>
        tf.conv2dTranspose(
          signal.t as tfType.Tensor4D,
          tf.slice(kernel, [0, 0, source, j], [kh, kw, 1, 1]),
          [n, h, w, 1],
          step.strides,
          step.padding,
        ),
      ),
      only: source,
    };
  }
  kernels.turned ??= tf.tidy(() => tf.reshape(tf.reverse(kernel, [0, 1]), [kh, kw, channels * multiplier, 1]));
  const turned = kernels.turned;
  const [sh, sw] = step.strides;
  const [, oh, ow, width] = signal.t.shape;
  // tfjs's 'same' rule: the smaller half of the padding before the first row/column.
  const before = (out: number, stride: number, size: number, inSize: number) =>
    step.padding === 'same' ? Math.floor(Math.max(0, (out - 1) * stride + size - inSize) / 2) : 0;
  const spreadH = (oh - 1) * sh + 1;
  const spreadW = (ow - 1) * sw + 1;
  const top = kh - 1 - before(oh, sh, kh, h);
  const left = kw - 1 - before(ow, sw, kw, w);
  const t = tf.tidy(() => {
    let dy = signal.t as tfType.Tensor4D;
    if (sh > 1 || sw > 1) {
      const spaced = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, width]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      dy = tf.slice(tf.reshape<tfType.Rank.R4>(spaced, [n, oh * sh, ow * sw, width]), [0, 0, 0, 0], [n, spreadH, spreadW, width]);
    }
    // Padded to [H + kh − 1, W + kw − 1], so the 'valid' correlation gives back [H, W].
    const padded = tf.pad(dy, [
      [0, 0],
      [top, h + kh - 1 - top - spreadH],
      [left, w + kw - 1 - left - spreadW],
      [0, 0],
    ]);
    const perFilter = tf.depthwiseConv2d(padded, turned, 1, 'valid');
    return multiplier === 1 ? perFilter : tf.sum(tf.reshape(perFilter, [n, h, w, channels, multiplier]), 4);
  });
  return { t, only: undefined };
}

/** The sizes of one pooling layer: input `[n, H, W, C]`, output `[n, oh, ow, width]` of the signal. */
interface PoolGeometry {
  n: number;
  inH: number;
  inW: number;
  /** Channels of the forward input (where the switches are read). */
  inC: number;
  outH: number;
  outW: number;
  /** Channels of the backward signal: 1 or `inC`. */
  width: number;
  poolH: number;
  poolW: number;
  strideH: number;
  strideW: number;
  /** Rows/columns of 'same' padding before the first input row/column (tfjs's rule: the smaller half). */
  padTop: number;
  padLeft: number;
}

function poolGeometry(step: { pool: Pair; strides: Pair; padding: 'same' | 'valid' }, inShape: number[], outShape: number[]): PoolGeometry {
  const [n, inH, inW, inC] = inShape;
  const [, outH, outW, width] = outShape;
  const [poolH, poolW] = step.pool;
  const [strideH, strideW] = step.strides;
  const pad = (out: number, stride: number, size: number, inSize: number) =>
    step.padding === 'same' ? Math.floor(Math.max(0, (out - 1) * stride + size - inSize) / 2) : 0;
  return {
    n,
    inH,
    inW,
    inC,
    outH,
    outW,
    width,
    poolH,
    poolW,
    strideH,
    strideW,
    padTop: pad(outH, strideH, poolH, inH),
    padLeft: pad(outW, strideW, poolW, inW),
  };
}

/**
 * Max-unpooling: every signal value is added at its window's switch, the first row-major position
 * holding the window's maximum in the forward input `input` (`[n, H, W, inC]`). The signal has
 * `g.width` channels; when it is a single channel, `only` is the input channel its switches come from.
 */
function unpool(signal: Float32Array, input: Float32Array, g: PoolGeometry, only: number | undefined): Float32Array {
  const out = new Float32Array(g.n * g.inH * g.inW * g.width);
  forEachWindow(g, (b, o, y0, y1, x0, x1) => {
    for (let k = 0; k < g.width; k++) {
      const source = only ?? k;
      let best = -Infinity;
      let at = (b * g.inH + y0) * g.inW + x0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (b * g.inH + y) * g.inW + x;
          const v = input[p * g.inC + source];
          if (v > best) {
            best = v;
            at = p;
          }
        }
      }
      out[at * g.width + k] += signal[o * g.width + k];
    }
  });
  return out;
}

/** Average-unpooling: every signal value is spread evenly over the input positions of its window. */
function spreadAverage(signal: Float32Array, g: PoolGeometry): Float32Array {
  const out = new Float32Array(g.n * g.inH * g.inW * g.width);
  forEachWindow(g, (b, o, y0, y1, x0, x1) => {
    const count = (y1 - y0) * (x1 - x0);
    for (let k = 0; k < g.width; k++) {
      const share = signal[o * g.width + k] / count;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) out[((b * g.inH + y) * g.inW + x) * g.width + k] += share;
      }
    }
  });
  return out;
}

/**
 * Every non-empty pooling window: input `b`, output position `o` (flat over `[n, outH, outW]`) and
 * its input rows `[y0, y1)` and columns `[x0, x1)` clipped to the input (padding excluded).
 */
function forEachWindow(g: PoolGeometry, visit: (b: number, o: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  for (let b = 0; b < g.n; b++) {
    for (let oy = 0; oy < g.outH; oy++) {
      const y0 = Math.max(0, oy * g.strideH - g.padTop);
      const y1 = Math.min(g.inH, oy * g.strideH - g.padTop + g.poolH);
      for (let ox = 0; ox < g.outW; ox++) {
        const x0 = Math.max(0, ox * g.strideW - g.padLeft);
        const x1 = Math.min(g.inW, ox * g.strideW - g.padLeft + g.poolW);
        if (y1 > y0 && x1 > x0) visit(b, (b * g.outH + oy) * g.outW + ox, y0, y1, x0, x1);
      }
    }
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected step ${JSON.stringify(x)}`);
}

/** A layer config value as text for a message or a comparison: strings as they are, anything else as JSON. */
function configText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
