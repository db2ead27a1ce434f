/**
 * Kernels of ./wasm/training.wat: hand-written WebAssembly SIMD that runs inside the heap of
 * `@tensorflow/tfjs-backend-wasm` (the module imports the backend's memory), so a kernel reads
 * its inputs and writes its outputs where tfjs keeps them, with no copy.
 *
 *  - the filter gradient of stride-1 convolutions with channel counts that are multiples of 4 (in)
 *    and 8 (out), one output row at a time with 4×8 tiles of the gradient in registers (with fused
 *    multiply-adds from ./wasm/trainingFma.wat where the engine compiles relaxed SIMD: ≈36 GFLOP/s
 *    on CIFAR-sized layers against ≈27 unfused, the ceiling of 128-bit SIMD without FMA), and
 *    through `filterGradientPatches` for 1–3 input channels;
 *  - `MaxPoolGrad`: one pass over the pooling windows, four channels at a time (the JavaScript
 *    loop it replaces was ≈14% of a LeNet epoch);
 *  - the fused ReLU gradient (`installFusedReluGradient`).
 *
 * The module's instances over tfjs's heap are wasmTrainingInstances.ts's; the convolutions, filter
 * gradients and max-pooling gradients go through its `runSplit`, which shares them with the kernel
 * thread when one runs (same bits: each chunk computes its values as the whole call does).
 *
 * The arithmetic follows tfjs-core op for op in float32 (the .wat file says how), so a fused step
 * equals the stock one to rounding; test/unit/tfjs/wasmTrainingModule.test.ts checks both against tfjs's
 * own (CPU backend) kernels and optimizers.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { SplitCall } from './kernelThread';
import { BACKEND, disposeAll, type KernelArgs, type TensorInfo, type Tf } from './wasmKernelSupport';
import { exportsFor, pointer, runSplit } from './wasmTrainingInstances';

/** Images a chunk of a call split by images takes (kernelThread.ts): about 16 chunks a batch of 64. */
const IMAGES_PER_CHUNK = 4;

/** How a call over `batch` images (argument `countArg`) splits by images, with its per-image pointer strides. */
function imageChunks(
  batch: number,
  countArg: number,
  moved: SplitCall['moved'],
): Pick<SplitCall, 'units' | 'perChunk' | 'countArg' | 'moved'> {
  return { units: batch, perChunk: IMAGES_PER_CHUNK, countArg, moved };
}

/**
 * How a filter gradient of `filterHeight` rows splits (kernelThread.ts): by filter rows, `dw`
 * (argument 2) moving a row of `rowBytes` and `top` (argument 12) one back, so that a chunk sums
 * row kh's values over the input rows oh + kh − top, in the whole call's order. (Cutting rows
 * further, by channels, was slower: each chunk streams the whole output gradient again.)
 */
function filterRowChunks(filterHeight: number, rowBytes: number): Pick<SplitCall, 'units' | 'perChunk' | 'countArg' | 'moved'> {
  return {
    units: filterHeight,
    perChunk: 1,
    countArg: 10,
    moved: [
      { arg: 2, stride: rowBytes },
      { arg: 12, stride: -1 },
    ],
  };
}

/**
 * The gradient of max pooling: each output gradient goes to the first largest input of its
 * window in row-major window order (strict `>`), the CPU backend's rule (its `maxPoolPositions`),
 * so ties (common after a ReLU) and NaNs (never chosen) go where the CPU backend sends them; where
 * windows overlap the gradients a pixel receives are summed in float32, in window order.
 */
export function maxPoolGrad(tf: Tf, { inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tfjs.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const out = backend.makeOutput([...input.shape], 'float32');
  const inImage = info.inHeight * info.inWidth * info.inChannels * 4;
  // Split by images (kernelThread.ts): each image's gradient is its own.
  runSplit(backend, {
    fn: 'maxPoolGrad',
    args: [
      pointer(backend, input),
      pointer(backend, dy),
      pointer(backend, out),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.effectiveFilterHeight,
      info.effectiveFilterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    ],
    ...imageChunks(info.batchSize, 3, [
      { arg: 0, stride: inImage },
      { arg: 1, stride: info.outHeight * info.outWidth * info.inChannels * 4 },
      { arg: 2, stride: inImage },
    ]),
  });
  return out;
}

/**
 * `x [B, H, W, C]` padded with zeros by `top`, `bottom` rows, `left`, `right` columns and to
 * `channels` channels, in one pass (tfjs's `PadV2` goes element by element, ≈5 ns each). The caller
 * owns the result.
 */
export function padChannelsLast(
  backend: BackendWasm,
  x: TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number; channels: number },
): TensorInfo {
  const [batch, height, width, channels] = x.shape;
  const { top, bottom, left, right } = pads;
  if (Math.min(top, bottom, left, right, pads.channels - channels) < 0) throw new Error(`negative padding ${JSON.stringify(pads)}`);
  const out = backend.makeOutput([batch, top + height + bottom, left + width + right, pads.channels], 'float32');
  exportsFor(backend).pad(
    pointer(backend, x),
    pointer(backend, out),
    batch,
    height,
    width,
    channels,
    top,
    bottom,
    left,
    right,
    pads.channels,
  );
  return out;
}

/**
 * Whether `filterGradient` takes a convolution: stride 1, channels last, O % 8 = 0 (input channels
 * that are not a multiple of 4 are padded with zero channels by the caller: see
 * `paddedChannels`).
 */
export function filterGradientApplies(info: tfjs.backend_util.Conv2DInfo): boolean {
  return (
    info.dataFormat === 'channelsLast' &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.outChannels % 8 === 0
  );
}

/** Input channels rounded up to the multiple of 4 the kernel's tiles take. */
export function paddedChannels(inChannels: number): number {
  return Math.ceil(inChannels / 4) * 4;
}

/**
 * The filter gradient `dW [KH, KW, C, O]` of a convolution `filterGradientApplies` takes, summed in
 * float32 one output row after another.
 */
export function filterGradient(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: tfjs.backend_util.Conv2DInfo): TensorInfo {
  if (info.inChannels % 4 !== 0) throw new Error(`the WASM filter gradient needs a multiple of 4 input channels, not ${info.inChannels}`);
  const out = backend.makeOutput([info.filterHeight, info.filterWidth, info.inChannels, info.outChannels], 'float32');
  // Split by filter rows (kernelThread.ts).
  runSplit(backend, {
    fn: 'filterGrad',
    args: [
      pointer(backend, x),
      pointer(backend, dy),
      pointer(backend, out),
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.padInfo.top,
      info.padInfo.left,
      info.inChannels,
    ],
    ...filterRowChunks(info.filterHeight, info.filterWidth * info.inChannels * info.outChannels * 4),
  });
  return out;
}

/**
 * Rows of the filter gradient per filter row that `filterGradientPatches` computes: a filter row's
 * `filterWidth × inChannels` weights, rounded up to the kernel's tiles of 4.
 */
export function patchRows(info: tfjs.backend_util.Conv2DInfo): number {
  return Math.ceil((info.filterWidth * info.inChannels) / 4) * 4;
}

/**
 * The filter gradient of a convolution with few input channels (a first layer's 1 to 3), with the
 * input's pixels read as overlapping patches rather than its channels padded to 4.
 *
 * For a filter row kh, the weights `dW[kh, kw, c, ·]` are `filterWidth × C` consecutive rows
 * `j = kw·C + c`, and the inputs they meet at output column ow are consecutive too:
 * `x[b, ih, ow + kw, c]` is value `ow·C + j` of input row ih (once the input is padded so the
 * convolution is 'valid'). So the kernel's tiles of 4 "channels" read 4 consecutive values from
 * pixel ow on and step one pixel per column: the gradient of a 5×5 filter on 1 channel is 8 rows
 * per filter row (5 real, 3 wasted) instead of 5 × 4 (5 real, 15 wasted) with padded channels.
 * The input is padded on the right as well, so that the last tile's surplus values stay in the
 * row; the surplus rows of the result are dropped.
 */
export function filterGradientPatches(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: tfjs.backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth, padInfo } = info;
  const rows = patchRows(info);
  const paddedWidth = outWidth - 1 + Math.ceil(rows / inChannels);
  let xPadded: TensorInfo | undefined;
  let patches: TensorInfo | undefined;
  try {
    xPadded = padChannelsLast(backend, x, {
      top: padInfo.top,
      bottom: Math.max(0, outHeight - 1 + filterHeight - padInfo.top - inHeight),
      left: padInfo.left,
      right: Math.max(0, paddedWidth - padInfo.left - inWidth),
      channels: inChannels,
    });
    const [, height, width] = xPadded.shape;
    patches = backend.makeOutput([filterHeight, rows, outChannels], 'float32');
    runSplit(backend, {
      fn: 'filterGrad',
      args: [
        pointer(backend, xPadded),
        pointer(backend, dy),
        pointer(backend, patches),
        batchSize,
        height,
        width,
        rows,
        outChannels,
        outHeight,
        outWidth,
        filterHeight,
        1,
        0,
        0,
        inChannels,
      ],
      ...filterRowChunks(filterHeight, rows * outChannels * 4),
    });
    const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
    // Views are taken after the last allocation, which may have moved the heap.
    const patchValues = backend.typedArrayFromHeap(patches) as Float32Array;
    const outValues = backend.typedArrayFromHeap(out) as Float32Array;
    const rowSize = filterWidth * inChannels * outChannels;
    for (let kh = 0; kh < filterHeight; kh++) {
      const from = kh * rows * outChannels;
      outValues.set(patchValues.subarray(from, from + rowSize), kh * rowSize);
    }
    return out;
  } finally {
    disposeAll(backend, [xPadded, patches]);
  }
}

/**
 * Whether `directConvolution` takes a convolution: stride 1, no dilation, channels last, output
 * channels a multiple of 8 and output rows at least 4 wide.
 */
export function directConvolutionApplies(info: tfjs.backend_util.Conv2DInfo): boolean {
  // The filter gradient's conditions (stride 1, no dilation, channels last, O % 8 = 0), plus these.
  return (
    filterGradientApplies(info) &&
    info.outWidth >= 4 &&
    info.inHeight + info.padInfo.top + info.padInfo.bottom === info.outHeight + info.filterHeight - 1 &&
    info.inWidth + info.padInfo.left + info.padInfo.right === info.outWidth + info.filterWidth - 1
  );
}

/**
 * A convolution `directConvolutionApplies` takes, with fused multiply-adds (./wasm/trainingFma.wat),
 * its input first padded with zeros where the convolution pads; undefined where the engine has no
 * fused multiply-add kernels (or they are turned off), for the caller to run the stock kernel.
 * It serves the forward pass and, through `Conv2D`, the input gradient (./wasmKernels).
 */
export function directConvolution(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  info: tfjs.backend_util.Conv2DInfo,
): TensorInfo | undefined {
  const conv2d = exportsFor(backend).conv2d;
  if (conv2d === undefined) return undefined;
  const { top, bottom, left, right } = info.padInfo;
  let xPadded: TensorInfo | undefined;
  try {
    if (top !== 0 || bottom !== 0 || left !== 0 || right !== 0) {
      xPadded = padChannelsLast(backend, x, { top, bottom, left, right, channels: info.inChannels });
    }
    const input = xPadded ?? x;
    const out = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
    // Split by images (kernelThread.ts).
    runSplit(backend, {
      fn: 'conv2d',
      args: [
        pointer(backend, input),
        pointer(backend, filter),
        pointer(backend, out),
        info.batchSize,
        input.shape[1],
        input.shape[2],
        info.inChannels,
        info.outChannels,
        info.outHeight,
        info.outWidth,
        info.filterHeight,
        info.filterWidth,
        top,
        top + info.inHeight,
      ],
      ...imageChunks(info.batchSize, 3, [
        { arg: 0, stride: input.shape[1] * input.shape[2] * info.inChannels * 4 },
        { arg: 2, stride: info.outHeight * info.outWidth * info.outChannels * 4 },
      ]),
    });
    return out;
  } finally {
    disposeAll(backend, [xPadded]);
  }
}

/**
 * `a [M, K] × b [K, N]` (or with leading axes of 1: a dense layer's product, neither operand transposed) as
 * the fused multiply-add convolution kernel's 1×1 case (M pixels of K channels, N output
 * channels). Undefined where that kernel does not apply or does not pay (N not a multiple of 8,
 * M < 4, K > 1024, several batches, no FMA), for the caller's stock route.
 */
export function matMulFma(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  const rank = a.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || rank < 2 || b.shape.length !== rank) return undefined;
  const [m, k] = a.shape.slice(-2);
  const [kB, n] = b.shape.slice(-2);
  const oneBatch = sizeOfShape(a.shape.slice(0, -2)) === 1 && sizeOfShape(b.shape.slice(0, -2)) === 1;
  // A long reduction reads b's column strips K rows apart, which XNNPACK's packed b does better
  // (64 × 4096 × 128: 4.1 ms here, 2.7 there; up to K = 256: ≈30 GFLOP/s here, ≈23 there).
  if (!oneBatch || k !== kB || n % 8 !== 0 || m < 4 || k === 0 || k > 1024) return undefined;
  const conv2d = exportsFor(backend).conv2d;
  if (conv2d === undefined) return undefined;
  const out = backend.makeOutput([...a.shape.slice(0, -1), n], 'float32');
  conv2d(pointer(backend, a), pointer(backend, b), pointer(backend, out), 1, 1, m, k, n, 1, m, 1, 1, 0, 1);
  return out;
}

/**
 * `Add` of a float32 tensor `[…, C]` and a bias `[C]` (either way round: float addition commutes),
 * in one pass; undefined for any other pair, for the caller to run the stock kernel.
 */
export function addBias(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const [x, bias] = a.shape.length >= b.shape.length ? [a, b] : [b, a];
  const channels = x.shape[x.shape.length - 1];
  if (bias.shape.length !== 1 || x.shape.length < 2 || bias.shape[0] !== channels || channels === 0) return undefined;
  const out = backend.makeOutput([...x.shape], 'float32');
  exportsFor(backend).addBias(
    pointer(backend, x),
    pointer(backend, bias),
    pointer(backend, out),
    sizeOfShape(x.shape) / channels,
    channels,
  );
  return out;
}

/** Name of the fused ReLU gradient kernel (registered for the WASM backend only). */
export const RELU_GRAD = 'CnnSlicerReluGrad';

/** `dy · step(x)`, the gradient of ReLU, in one pass (tfjs-core runs `Step`, `Cast` and `Multiply`). */
export function reluGrad({ inputs, backend }: KernelArgs): TensorInfo {
  const { dy, x } = inputs;
  const out = backend.makeOutput([...x.shape], 'float32');
  exportsFor(backend).reluGrad(pointer(backend, dy), pointer(backend, x), pointer(backend, out), sizeOfShape(x.shape));
  return out;
}

const FUSED_RELU_GRADIENT = Symbol.for('cnn-slicer.fusedReluGradient');

/**
 * Makes tfjs's gradient of `Relu` run `RELU_GRAD` while the WASM backend is active and has it, and
 * tfjs-core's own formula (`dy · step(x)` through `Step`, `Cast`, `Multiply`) otherwise, with the
 * same result to the bit. The gradient registry is global to tfjs, hence the backend check inside.
 * `RELU_GRAD` has no gradient of its own: a second derivative through ReLU (which tfjs-layers never
 * takes) would need the stock formula. Idempotent.
 */
export function installFusedReluGradient(tf: Tf): void {
  const stock = tf.getGradient('Relu');
  if (stock === undefined || (stock as unknown as Record<symbol, unknown>)[FUSED_RELU_GRADIENT] === true) return;
  const config: tfjs.GradConfig = {
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const fused = tf.getBackend() === BACKEND && x.dtype === 'float32' && tf.getKernel(RELU_GRAD, BACKEND) !== undefined;
      if (!fused) return stock.gradFunc(dy, saved, {});
      return { x: () => tf.engine().runKernel<tfjs.Tensor>(RELU_GRAD, { dy: dy as tfjs.Tensor, x }, {}) };
    },
  };
  Object.defineProperty(config, FUSED_RELU_GRADIENT, { value: true });
  tf.registerGradient(config);
}

/** Elements of a tensor of `shape`. */
export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
