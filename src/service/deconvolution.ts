/**
 * Deconvolution (Shen & Shen 2021, section 5.4.1, after Zeiler & Fergus 2014, "Visualizing and
 * Understanding Convolutional Networks"): one feature map — one input, one channel of a layer of
 * the convolutional stack — projected back to input space, so that a person sees which input
 * pattern the channel responds to.
 *
 * The rules are those of docs/estimators.md ("Deconvolution"): keep only the
 * chosen channel of the target layer's output (every other channel is zero), then walk the layers
 * backwards to the input:
 *  - Conv2D → ReLU first when the layer's activation is ReLU (Zeiler & Fergus: unpool → rectify →
 *    filter), then the transposed convolution with the layer's own kernel, without the bias;
 *  - MaxPooling2D → unpooling: each value goes back to the position its window's maximum came
 *    from in the forward pass (the "switch");
 *  - ReLU, as a layer or an Activation layer → ReLU;
 *  - AveragePooling2D → each value spread evenly over its window;
 *  - BatchNormalization, dropout and noise layers → identity; ZeroPadding2D → its padding is
 *    cropped off, so the shapes match (the values pass unchanged).
 * Any other layer on the way (Dense, Flatten, a merge, an unsupported activation, …) makes the
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
type Pair = [number, number];

/** A projection of one feature map per input, in input space. */
export interface Deconvolution {
  /** `[n, H, W, C]`: the model input's shape, one row per input given. */
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

/** The layer types the backward walk can pass through, as the error messages list them. */
export const DECONVOLUTION_SUPPORTED_LAYERS = [
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'ReLU',
  'BatchNormalization',
  'Dropout',
  'ZeroPadding2D',
] as const;

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

/** One layer of the chain, with what the backward walk needs to know about it. */
type Step =
  | { kind: 'conv'; layer: Layer; relu: boolean; strides: Pair; padding: 'same' | 'valid'; dilation: Pair }
  | { kind: 'relu'; layer: Layer }
  | { kind: 'maxPool' | 'avgPool'; layer: Layer; pool: Pair; strides: Pair; padding: 'same' | 'valid' }
  | { kind: 'crop'; layer: Layer; padding: [Pair, Pair] }
  | { kind: 'identity'; layer: Layer };

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
 * (paper 5.4.1). `inputs` is `[n, H, W, C]`, the model input's shape; it is not disposed.
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
  inputs: tfType.Tensor4D,
  options: DeconvolutionOptions = {},
): Promise<Deconvolution> {
  const chunkSize = options.chunkSize ?? 32;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be an integer >= 1, got ${chunkSize}`);
  // Classified from the target backwards, so an error names the first layer the walk cannot pass.
  const steps = chainTo(model, layerName).reverse().map(classify).reverse();
  const modelInput = model.inputs[0].shape;
  if (modelInput.length !== 4) {
    throw new DeconvolutionError(
      `deconvolution needs a model whose input is images [n, H, W, C]; this one's is [${modelInput.map(String).join(', ')}]`,
    );
  }
  if (inputs.rank !== 4 || modelInput.some((d, i) => i > 0 && d !== null && d !== inputs.shape[i])) {
    throw new RangeError(
      `inputs must have shape [n, ${modelInput.slice(1).join(', ')}] (the model input), got [${inputs.shape.join(', ')}]`,
    );
  }
  const channels = Number(steps.length > 0 ? outputShapeOf(steps[steps.length - 1].layer).at(-1) : inputs.shape[3]);
  if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
    throw new RangeError(
      `channel must be an integer in [0, ${channels - 1}] (layer '${layerName}' has ${channels} channels), got ${channel}`,
    );
  }

  const [n, h, w, c] = inputs.shape;
  const data = new Float32Array(n * h * w * c);
  const kernels = await prepareKernels(tf, steps);
  try {
    for (let start = 0; start < n; start += chunkSize) {
      const size = Math.min(chunkSize, n - start);
      const chunk = tf.slice(inputs, [start, 0, 0, 0], [size, h, w, c]);
      const projected = await projectChunk(tf, steps, kernels, chunk, channel);
      // A projection that never crossed a convolution is still one channel wide: the others are zero.
      if (projected.width === c) data.set(projected.data, start * h * w * c);
      else for (let p = 0; p < size * h * w; p++) data[(start * h * w + p) * c + channel] = projected.data[p];
    }
  } finally {
    for (const k of kernels.values()) k.dispose();
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
  return { shape: [n, h, w, c], data, min: anyFinite ? min : undefined, max: anyFinite ? max : undefined, nonFinite };
}

/**
 * The layers from the model input (exclusive) to the target (inclusive), in forward order. A
 * sequential model is its layer list; a functional model is followed backwards from the target
 * through each layer's single inbound layer, and anything other than a single chain is refused.
 */
function chainTo(model: tfType.LayersModel, layerName: string): Layer[] {
  if (model.inputs.length !== 1) {
    throw new DeconvolutionError(`deconvolution needs a model with one input; this one has ${model.inputs.length}`);
  }
  let target: Layer;
  try {
    target = model.getLayer(layerName);
  } catch {
    throw new RangeError(`the model has no layer named '${layerName}'`);
  }
  const chain: Layer[] = [];
  if (model.getClassName() === 'Sequential') {
    for (let i = model.layers.indexOf(target); i >= 0 && model.layers[i].getClassName() !== 'InputLayer'; i--) chain.push(model.layers[i]);
    return chain.reverse();
  }
  const input = model.inputs[0].sourceLayer;
  let layer = target;
  while (layer.getClassName() !== 'InputLayer') {
    chain.push(layer);
    const nodes = layer.inboundNodes;
    if (nodes.length !== 1) {
      throw new DeconvolutionError(
        `deconvolution needs a single chain of layers from the input to '${layerName}', but layer '${layer.name}' (${layer.getClassName()}) is called ${nodes.length} times`,
        layer.name,
      );
    }
    const from = nodes[0].inboundLayers;
    if (from.length !== 1) {
      throw new DeconvolutionError(
        `deconvolution needs a single chain of layers from the input to '${layerName}', but the chain branches at layer '${layer.name}' (${layer.getClassName()}), which has ${from.length} inputs`,
        layer.name,
      );
    }
    layer = from[0];
  }
  if (layer !== input) throw new DeconvolutionError(`layer '${layerName}' does not depend on the model's input '${input.name}'`, layerName);
  return chain.reverse();
}

/** What the backward walk does at `layer`, or a `DeconvolutionError` naming it. */
function classify(layer: Layer): Step {
  const type = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
    throw new DeconvolutionError(
      `deconvolution supports channels-last data only; layer '${layer.name}' (${type}) is ${configText(config.dataFormat)}`,
      layer.name,
    );
  }
  switch (type) {
    case 'Conv2D': {
      const activation = configText(config.activation ?? 'linear');
      if (activation !== 'relu' && activation !== 'linear') throw unsupportedActivation(layer, activation);
      return {
        kind: 'conv',
        layer,
        relu: activation === 'relu',
        strides: pair(config.strides, 1),
        padding: paddingOf(layer, config),
        dilation: pair(config.dilationRate, 1),
      };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const pool = pair(config.poolSize, 2);
      return {
        kind: type === 'MaxPooling2D' ? 'maxPool' : 'avgPool',
        layer,
        pool,
        strides: config.strides == null ? pool : pair(config.strides, 1),
        padding: paddingOf(layer, config),
      };
    }
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
      return { kind: 'relu', layer };
    case 'Activation': {
      const activation = configText(config.activation);
      if (activation === 'relu') return { kind: 'relu', layer };
      if (activation === 'linear') return { kind: 'identity', layer };
      throw unsupportedActivation(layer, activation);
    }
    case 'ZeroPadding2D': {
      const p = config.padding as number[][] | undefined;
      if (!Array.isArray(p) || p.length !== 2 || !p.every((a) => Array.isArray(a) && a.length === 2)) {
        throw new DeconvolutionError(`deconvolution cannot read the padding of layer '${layer.name}' (ZeroPadding2D)`, layer.name);
      }
      return { kind: 'crop', layer, padding: [pair(p[0], 0), pair(p[1], 0)] };
    }
    default:
      if (IDENTITY_LAYERS.has(type)) return { kind: 'identity', layer };
      throw new DeconvolutionError(
        `deconvolution cannot pass back through layer '${layer.name}' (${type}); supported: ${DECONVOLUTION_SUPPORTED_LAYERS.join(', ')}`,
        layer.name,
      );
  }
}

function unsupportedActivation(layer: Layer, activation: string): DeconvolutionError {
  return new DeconvolutionError(
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

/** A `[height, width]` pair from a config value that is a number or a pair. */
function pair(v: unknown, fallback: number): Pair {
  if (v == null) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0], a.length > 1 ? a[1] : a[0]];
}

function outputShapeOf(layer: Layer): (number | null)[] {
  const s = layer.outputShape;
  return (Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
}

/**
 * Each convolution's kernel `[kh, kw, in, out]` as the transposed convolution takes it: the
 * layer's own (a copy, so the model can be disposed or trained meanwhile), dilated when the layer
 * is (zeros between the taps, `(k − 1)·d + 1` wide).
 */
async function prepareKernels(tf: Tf, steps: Step[]): Promise<Map<Step, tfType.Tensor4D>> {
  const kernels = new Map<Step, tfType.Tensor4D>();
  try {
    for (const step of steps) {
      if (step.kind !== 'conv') continue;
      const kernel = step.layer.getWeights()[0];
      if (!kernel || kernel.rank !== 4)
        throw new DeconvolutionError(`layer '${step.layer.name}' (Conv2D) has no 4-d kernel`, step.layer.name);
      const [kh, kw, ci, co] = kernel.shape;
      const [dh, dw] = step.dilation;
      if (dh === 1 && dw === 1) {
        kernels.set(step, tf.clone(kernel) as tfType.Tensor4D);
        continue;
      }
      const taps = (await kernel.data()) as Float32Array;
      const eh = (kh - 1) * dh + 1;
      const ew = (kw - 1) * dw + 1;
      const dilated = new Float32Array(eh * ew * ci * co);
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          dilated.set(taps.subarray((y * kw + x) * ci * co, (y * kw + x + 1) * ci * co), (y * dh * ew + x * dw) * ci * co);
        }
      }
      kernels.set(step, tf.tensor4d(dilated, [eh, ew, ci, co]));
    }
  } catch (e) {
    for (const k of kernels.values()) k.dispose();
    throw e;
  }
  return kernels;
}

/**
 * One chunk through the walk: forward to the target (keeping what unpooling needs), then back.
 * Disposes `chunk`. Returns the projection `[size, H, W, width]`, where `width` is 1 when no
 * convolution was crossed (the chosen channel alone) and the input's channels otherwise.
 */
async function projectChunk(
  tf: Tf,
  steps: Step[],
  kernels: Map<Step, tfType.Tensor4D>,
  chunk: tfType.Tensor4D,
  channel: number,
): Promise<{ data: Float32Array; width: number }> {
  const inShapes: number[][] = [];
  const poolInputs = new Map<Step, Float32Array>();
  let x: tfType.Tensor = chunk;
  try {
    for (const step of steps) {
      inShapes.push(x.shape);
      if (step.kind === 'maxPool') poolInputs.set(step, Float32Array.from((await x.data()) as Float32Array));
      const input = x;
      x = tf.tidy(() => step.layer.apply(input, { training: false }) as tfType.Tensor);
      // Layers that are the identity at inference (Dropout) hand back their input tensor itself.
      if (x !== input) input.dispose();
    }
    if (x.rank !== 4)
      throw new DeconvolutionError(`layer '${steps.at(-1)?.layer.name}' has no [n, H, W, C] output`, steps.at(-1)?.layer.name);

    // Until the walk crosses a convolution the signal is one channel (`only`), the chosen one: the
    // other channels are zero and every layer on the way treats channels separately.
    let only: number | undefined = channel;
    const target = x;
    const [tn, th, tw] = target.shape as number[];
    x = tf.tidy(() => tf.slice(target, [0, 0, 0, channel], [tn, th, tw, 1]));
    target.dispose();
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i];
      const inShape = inShapes[i];
      const signal = x;
      const width = signal.shape[3] as number;
      switch (step.kind) {
        case 'identity':
          continue;
        case 'relu':
          x = tf.relu(signal);
          break;
        case 'crop': {
          const [[top], [left]] = step.padding;
          x = tf.slice(signal, [0, top, left, 0], [inShape[0], inShape[1], inShape[2], width]);
          break;
        }
        case 'conv': {
          const kernel = kernels.get(step)!;
          const sourceChannel = only;
          x = tf.tidy(() => {
            const rectified = step.relu ? tf.relu(signal) : signal;
            const k =
              sourceChannel === undefined
                ? kernel
                : tf.slice(kernel, [0, 0, 0, sourceChannel], [kernel.shape[0], kernel.shape[1], kernel.shape[2], 1]);
            return tf.conv2dTranspose(
              rectified as tfType.Tensor4D,
              k,
              [inShape[0], inShape[1], inShape[2], inShape[3]],
              step.strides,
              step.padding,
            );
          });
          only = undefined;
          break;
        }
        case 'maxPool':
        case 'avgPool': {
          const values = (await signal.data()) as Float32Array;
          const geometry = poolGeometry(step, inShape, signal.shape);
          const back = step.kind === 'maxPool' ? unpool(values, poolInputs.get(step)!, geometry, only) : spreadAverage(values, geometry);
          x = tf.tensor4d(back, [inShape[0], inShape[1], inShape[2], width]);
          break;
        }
        default:
          return assertNever(step);
      }
      signal.dispose();
    }
    const result = x;
    return { data: Float32Array.from((await result.data()) as Float32Array), width: result.shape[3] as number };
  } finally {
    x.dispose();
  }
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

function poolGeometry(step: Extract<Step, { kind: 'maxPool' | 'avgPool' }>, inShape: number[], outShape: number[]): PoolGeometry {
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
