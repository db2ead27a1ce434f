/**
 * The backward steps of a deconvolution: what one layer call sends back to its inputs given the
 * signal of its output (transposed convolutions with the layer's own kernels, ReLU, crops,
 * reshapes, merges; unpooling is pooling.ts), and how the signals of a tensor's readers add up.
 */
import type * as tfType from '@tensorflow/tfjs';
import { poolGeometry, spreadAverage, unpool } from './pooling';
import { rectify } from './rectifier';
import { assertNever, DeconvolutionError, Op, Pair, Shape4, Signal, Symbolic, Tf } from './steps';

/** The kernels of one convolution step, copied from its layer (see `prepareKernels`). */
export interface Kernels {
  kernel: tfType.Tensor4D;
  /** SeparableConv2D: the pointwise kernel `[1, 1, C·m, filters]`. */
  pointwise?: tfType.Tensor4D;
  /** Depthwise steps: the kernel turned by 180° as `[kh, kw, C·m, 1]`, built when a full signal first needs it. */
  turned?: tfType.Tensor4D;
}

export function disposeKernels(kernels: Map<Op, Kernels>): void {
  for (const k of kernels.values()) for (const t of [k.kernel, k.pointwise, k.turned]) t?.dispose();
}

/**
 * The kernels each convolution step's transposed convolutions take, `[kh, kw, in, out]`: the
 * layer's own (a copy, so the model can be disposed or trained meanwhile), dilated when the layer
 * is (zeros between the taps, `(k − 1)·d + 1` wide), a 1-D kernel as one row. Depthwise kernels
 * stay `[kh, kw, in, multiplier]`; a separable layer has its depthwise kernel, then its pointwise one.
 */
export async function prepareKernels(tf: Tf, ops: Op[]): Promise<Map<Op, Kernels>> {
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

/** Adds `signal` to what `key` already holds, widening both to every channel when they differ. */
export function accumulate(tf: Tf, signals: Map<Symbolic, Signal>, key: Symbolic, signal: Signal, shape: number[]): void {
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
export async function backward(
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
    case 'rectify': {
      // A PReLU's negative slopes are its weight.
      const alpha = step.rectifier.perChannel ? op.layer.getWeights()[0] : undefined;
      const out = rectify(tf, signal.t, step.rectifier, alpha, only);
      return keep(out === signal.t ? tf.clone(out) : out);
    }
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
        const rectified = rectify(tf, signal.t, step.rectifier);
        const k = only === undefined ? kernel : tf.slice(kernel, [0, 0, 0, only], [kernel.shape[0], kernel.shape[1], kernel.shape[2], 1]);
        const back = tf.conv2dTranspose(as4d(tf, rectified), k, shape4d(inShape), step.strides, step.padding);
        return tf.reshape(back, inShape);
      });
      return [{ t, only: undefined }];
    }
    case 'depthwise': {
      const rectified = rectify(tf, signal.t, step.rectifier);
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
        const rectified = rectify(tf, signal.t, step.rectifier);
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
