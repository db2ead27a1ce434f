/**
 * PyTorch's weight layouts moved into TensorFlow.js's, and the window arithmetic of convolutions
 * and pooling (how ONNX's explicit pads compare with TensorFlow's `same`). Pure arithmetic on
 * typed arrays: the values are copied, never rounded.
 */

/** A weight as `layer.setWeights` takes it. */
export interface PlanWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** ONNX Conv's `[O, I, kh, kw]` as Conv2D's kernel `[kh, kw, I, O]`. */
export function convKernel(w: Float32Array, dims: readonly number[]): PlanWeight {
  const [o, i, kh, kw] = dims;
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = w[((a * i + b) * kh + y) * kw + x];
  return { shape: [kh, kw, i, o], data: out };
}

/**
 * A grouped convolution's `[O, I/G, kh, kw]` as one Conv2D kernel `[kh, kw, I, O]` whose entries
 * outside each output's group are 0: the same sums, since every added term is an exact 0 (the
 * inputs are finite), at G times the work of the grouped form, which TensorFlow.js's layers lack.
 */
export function groupedConvKernel(w: Float32Array, dims: readonly number[], groups: number): PlanWeight {
  const [o, ig, kh, kw] = dims;
  const i = ig * groups;
  const og = o / groups;
  const out = new Float32Array(kh * kw * i * o);
  for (let a = 0; a < o; a++) {
    const first = Math.floor(a / og) * ig;
    for (let b = 0; b < ig; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + first + b) * o + a] = w[((a * ig + b) * kh + y) * kw + x];
  }
  return { shape: [kh, kw, i, o], data: out };
}

/** A depthwise Conv's `[C·m, 1, kh, kw]` as DepthwiseConv2D's kernel `[kh, kw, C, m]` (output channel c·m + j in both). */
export function depthwiseKernel(w: Float32Array, dims: readonly number[], channels: number): PlanWeight {
  const [o, , kh, kw] = dims;
  const m = o / channels;
  const out = new Float32Array(w.length);
  for (let c = 0; c < channels; c++)
    for (let j = 0; j < m; j++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * channels + c) * m + j] = w[((c * m + j) * kh + y) * kw + x];
  return { shape: [kh, kw, channels, m], data: out };
}

/** Gemm's `B` (`[U, K]` when transposed, else `[K, U]`) times `alpha` as Dense's kernel `[K, U]`. */
export function denseKernel(b: Float32Array, dims: readonly number[], transposed: boolean, alpha: number): PlanWeight {
  const [rows, cols] = dims;
  const [k, u] = transposed ? [cols, rows] : [rows, cols];
  const out = new Float32Array(k * u);
  for (let r = 0; r < k; r++) for (let c = 0; c < u; c++) out[r * u + c] = (transposed ? b[c * cols + r] : b[r * cols + c]) * alpha;
  return { shape: [k, u], data: out };
}

/** A vector of `units` values from a bias tensor (`[U]`, `[1, U]` or one value broadcast), times `beta`. */
export function biasVector(c: Float32Array, units: number, beta: number): PlanWeight | undefined {
  if (c.length !== units && c.length !== 1) return undefined;
  return { shape: [units], data: Float32Array.from({ length: units }, (_, i) => c[c.length === 1 ? 0 : i] * beta) };
}

/** One spatial axis of a window: its input size, kernel, stride, dilation and ONNX pads. */
export interface WindowAxis {
  size: number;
  kernel: number;
  stride: number;
  dilation: number;
  before: number;
  after: number;
}

/** The output size of a window axis (floor mode). */
export function windowOutput(a: WindowAxis): number {
  return Math.floor((a.size + a.before + a.after - a.dilation * (a.kernel - 1) - 1) / a.stride) + 1;
}

/** The pads TensorFlow's `same` puts on an axis: out = ⌈size / stride⌉, the odd pad after. */
export function samePads(a: Pick<WindowAxis, 'size' | 'kernel' | 'stride' | 'dilation'>): [number, number] {
  const out = Math.ceil(a.size / a.stride);
  const total = Math.max((out - 1) * a.stride + a.dilation * (a.kernel - 1) + 1 - a.size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * How a window's ONNX pads are run: `valid` (none), `same` (exactly TensorFlow's), or `explicit`
 * (a padding step before a `valid` window).
 */
export function paddingMode(axes: readonly WindowAxis[]): 'valid' | 'same' | 'explicit' {
  if (axes.every((a) => a.before === 0 && a.after === 0)) return 'valid';
  if (
    axes.every((a) => {
      const [before, after] = samePads(a);
      return before === a.before && after === a.after;
    })
  )
    return 'same';
  return 'explicit';
}

/** The window axes of a 2-D Conv or pooling node on a `[C, H, W]` input, from its attributes. */
export function windowAxes(
  spatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[] | undefined,
  dilations: readonly number[] | undefined,
  pads: readonly number[] | undefined,
): WindowAxis[] {
  return spatial.map((size, d) => ({
    size,
    kernel: kernel[d],
    stride: strides?.[d] ?? 1,
    dilation: dilations?.[d] ?? 1,
    before: pads?.[d] ?? 0,
    after: pads?.[d + spatial.length] ?? 0,
  }));
}

/**
 * The pad after each axis that makes floor mode give ceil mode's output (PyTorch's rule: the last
 * window starts inside the input or its left pad), for max pooling with `ceil_mode`.
 */
export function ceilModeExtra(a: WindowAxis): number {
  const span = a.size + a.before + a.after - a.dilation * (a.kernel - 1) - 1;
  let out = Math.ceil(span / a.stride) + 1;
  if ((out - 1) * a.stride >= a.size + a.before) out--;
  return Math.max(0, (out - 1) * a.stride + a.dilation * (a.kernel - 1) + 1 - (a.size + a.before + a.after));
}
