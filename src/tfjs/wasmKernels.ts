/**
 * Training kernels for the TensorFlow.js WASM backend.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 ships no `Conv2DBackpropFilter` kernel, so the first
 * `model.fit` of any CNN fails with "Kernel 'Conv2DBackpropFilter' not registered for backend
 * 'wasm'" (README.md, "How fast, and why"). This module registers one, and replaces stock
 * kernels that measured slow:
 *  - `Conv2DBackpropFilter` (missing): at stride 1 with output channels a multiple of 8,
 *    hand-written WASM SIMD (./wasmTrainingModule), with fused multiply-adds where the engine
 *    has them, as fast as the forward convolution; otherwise through the backend's own `Conv2D`
 *    kernel (XNNPACK, WASM SIMD) for every stride, 10–20× faster than a direct loop in JS but half the forward rate;
 *  - `Conv2DBackpropInput` (stock: a scalar C++ loop): through `Conv2D` too, 1.4–10× faster than
 *    stock on LeNet- and CIFAR-sized layers at stride 1 and ≈4× at stride 2;
 *  - `Conv2D` at stride 1 with output channels a multiple of 8: WebAssembly with fused
 *    multiply-adds (./wasmTrainingModule `directConvolution`), ≈1.3× XNNPACK on CIFAR-sized layers;
 *    the input gradient's convolutions go through it too;
 *  - `Add` of a bias `[…, C] + [C]` (stock: broadcast element by element): one WebAssembly pass;
 *  - ReLU's gradient: one kernel (`CnnSlicerReluGrad`) instead of `Step`, `Cast` and `Multiply`,
 *    which tfjs's gradient of `Relu` calls on this backend (./wasmTrainingModule);
 *  - `MaxPoolGrad` (stock: ≈25 ns per input element, 30% of a LeNet-like training step): a single
 *    pass over the pooling windows in WebAssembly SIMD inside tfjs's heap (./wasmTrainingModule);
 *  - and, through ./wasmTrainingModule too, one fused update kernel per weight tensor for the Adam,
 *    momentum and RMSprop optimizers, which tfjs's optimizer classes then call on this backend.
 *
 * It also registers what other layers need (./wasmDepthwiseKernels: the depthwise convolution
 * gradients, for depthwise and separable convolutions; ./wasmReductionKernels: `UnsortedSegmentSum`,
 * the gradient of embeddings) and replaces `Tile`, `Sum`, `Mean`, `BatchMatMul` and `Identity` on
 * the paths batch normalisation's and dense layers' gradients take (and `GatherV2`, which takes
 * each shuffled batch out of the training set), where the stock kernels
 * measured 5–400× slower than needed (the reasons are in that module's comment).
 *
 * The convolution gradients are convolutions in disguise (the identities are in the doc comments
 * of `filterGradientViaConv2D` and `inputGradientViaConv2D`). Inside a kernel function tfjs ops
 * cannot be called (the engine is in the middle of running a kernel), so the other kernels'
 * `kernelFunc`s are called directly and every intermediate `TensorInfo` is released with
 * `backend.disposeData`.
 *
 * Every kernel here is checked against the CPU backend's kernel by test/integration/tfjs/wasmKernels.test.ts,
 * wasmDepthwiseKernels.test.ts and wasmReductionKernels.test.ts.
 *
 * What else training needs was checked by training tiny models of every layer kind tfjs-layers
 * offers for CNNs on the WASM backend (test/unit/tfjs/trainingKernels.test.ts): nothing else is
 * missing. Two layer configurations cannot be trained on any backend in tfjs 4.22, because
 * tfjs-core itself has no gradient for them: dilated convolutions (its Conv2D and depthwise
 * gradients reject dilation rates above 1, so these kernels never see one) and `thresholdedReLU`
 * (no gradient for `Greater`). ./trainingCheck finds them before training starts.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fusedBatchNormInference, registerFusedBatchNorm } from './wasmBatchNorm';
import {
  BACKEND,
  disposeAll,
  isOwn,
  markOwn,
  runKernel,
  type KernelArgs,
  type KernelAttrs,
  type TensorInfo,
  type Tf,
  type WasmKernelFunc,
} from './wasmKernelSupport';
import { installDilatedConvolutions } from './dilatedConvolution';
import { depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './wasmDepthwiseKernels';
import { fusedOptimizerKernels, installFusedOptimizers } from './wasmOptimizerKernels';
import { inputGradientViaConv2D } from './wasmInputGradient';
import { batchMatMul, gatherV2, identity, leadingAxesReduction, tile, unsortedSegmentSum } from './wasmReductionKernels';
import {
  addBias,
  directConvolution,
  directConvolutionApplies,
  filterGradient,
  filterGradientApplies,
  filterGradientPatches,
  installFusedReluGradient,
  RELU_GRAD,
  reluGrad,
  maxPoolGrad,
  padChannelsLast,
  paddedChannels,
  patchRows,
} from './wasmTrainingModule';

type Conv2DInfo = tfjs.backend_util.Conv2DInfo;

/**
 * Registers for backend 'wasm' the training kernels it lacks and the faster replacements measured
 * to pay off. Call it after importing '@tensorflow/tfjs-backend-wasm', before or after
 * `tf.setBackend('wasm')`.
 *
 * Idempotent: a second call changes nothing. Returns the names of the 'wasm' kernels that are this
 * module's, whether this call or an earlier one registered them.
 *
 * `Conv2DBackpropFilter` is registered only where the backend has none, so that a future
 * tfjs-backend-wasm that ships its own keeps it; the two replacements take over from the stock
 * kernels (the input gradient hands channels-first tensors back to the stock kernel).
 */
export function registerWasmTrainingKernels(tf: Tf): string[] {
  const registered: string[] = [];
  const addIfMissing = (kernelName: string, kernelFunc: WasmKernelFunc): void => {
    if (registerIfMissing(tf, kernelName, kernelFunc)) registered.push(kernelName);
  };
  const replace = (kernelName: string, make: (stock: WasmKernelFunc) => WasmKernelFunc): void => {
    if (replaceKernel(tf, kernelName, make)) registered.push(kernelName);
  };
  replace('Conv2D', (stock) => (args) => conv2D(tf, stock, args));
  replace('FusedConv2D', (stock) => (args) => stock(withExplicitSamePadding(tf, args, false)));
  replace('DepthwiseConv2dNative', (stock) => (args) => stock(withExplicitSamePadding(tf, args, true)));
  replace('FusedDepthwiseConv2D', (stock) => (args) => stock(withExplicitSamePadding(tf, args, true)));
  addIfMissing('Conv2DBackpropFilter', (args) => conv2DBackpropFilter(tf, args));
  replace('Conv2DBackpropInput', (stock) => (args) => conv2DBackpropInput(tf, stock, args));
  replace('MaxPoolGrad', () => (args) => maxPoolGrad(tf, args));
  addIfMissing('DepthwiseConv2dNativeBackpropFilter', (args) => depthwiseConv2dNativeBackpropFilter(tf, args));
  addIfMissing('DepthwiseConv2dNativeBackpropInput', (args) => depthwiseConv2dNativeBackpropInput(tf, args));
  addIfMissing('UnsortedSegmentSum', unsortedSegmentSum);
  replace('Tile', (stock) => (args) => tile(stock, args));
  replace('Sum', (stock) => (args) => leadingAxesReduction(tf, stock, false, args));
  replace('Mean', (stock) => (args) => leadingAxesReduction(tf, stock, true, args));
  replace('BatchMatMul', (stock) => (args) => batchMatMul(tf, stock, args));
  replace('Identity', (stock) => (args) => identity(stock, args));
  replace('GatherV2', (stock) => (args) => gatherV2(stock, args));
  replace('Add', (stock) => (args) => addBias(args.backend, args.inputs.a, args.inputs.b) ?? stock(args));
  // One kernel per weight tensor and optimizer step; installFusedOptimizers makes tfjs's Adam,
  // momentum and RMSprop optimizers call them while the WASM backend is active.
  // ReLU's gradient in one kernel; installFusedReluGradient makes tfjs's gradient of Relu call it.
  addIfMissing(RELU_GRAD, reluGrad);
  installFusedReluGradient(tf);
  for (const [kernelName, kernelFunc] of fusedOptimizerKernels) addIfMissing(kernelName, kernelFunc as unknown as WasmKernelFunc);
  installFusedOptimizers(tf);
  registerFusedBatchNorm(tf);
  replace('FusedBatchNorm', (stock) => (args) => fusedBatchNormInference(stock, args));
  // Causal padding and the gradients of dilated convolutions, which tfjs lacks on every backend.
  installDilatedConvolutions(tf);
  return registered;
}

/**
 * Registers `kernelFunc` as `kernelName` where the backend has no such kernel, so that a future
 * tfjs-backend-wasm that ships its own keeps it; true when the kernel is (now or already) this
 * module's.
 */
function registerIfMissing(tf: Tf, kernelName: string, kernelFunc: WasmKernelFunc): boolean {
  const existing = tf.getKernel(kernelName, BACKEND);
  if (existing === undefined) tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc: markOwn(kernelFunc) });
  return existing === undefined || isOwn(existing.kernelFunc);
}

/**
 * Puts `make(stockKernelFunc)` in place of the backend's own kernel `kernelName`; true when the
 * kernel is (now or already) this module's, false when the backend has no such kernel.
 */
function replaceKernel(tf: Tf, kernelName: string, make: (stock: WasmKernelFunc) => WasmKernelFunc): boolean {
  const stock = tf.getKernel(kernelName, BACKEND);
  if (stock === undefined) return false;
  if (isOwn(stock.kernelFunc)) return true;
  const kernelFunc = markOwn(make(stock.kernelFunc as unknown as WasmKernelFunc));
  // registerKernel warns on a name that is taken, so the stock kernel is removed first. Its
  // setupFunc (which binds the C++ function the stock kernelFunc calls) is kept, because the
  // engine runs the setup functions of the kernels registered when the backend is set up.
  tf.unregisterKernel(kernelName, BACKEND);
  tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc: stock.setupFunc, disposeFunc: stock.disposeFunc });
  return true;
}

/** The `Conv2DInfo` of the forward convolution a backprop kernel belongs to. */
function forwardInfo(tf: Tf, inShape: number[], filterShape: number[], attrs: KernelAttrs): Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tfjs.Conv2DBackpropFilterAttrs;
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1, // tfjs-core's Conv2D gradient asserts dilations of 1, and these kernels get none.
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC'),
  );
}

/**
 * The forward convolution: stride 1 with output channels a multiple of 8 through the fused
 * multiply-add kernel of ./wasmTrainingModule (`directConvolution`); the stock (XNNPACK) kernel
 * runs everything else. The input gradient's convolutions reach it too, as they call `Conv2D`.
 */
function conv2D(tf: Tf, stockKernel: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tfjs.Conv2DAttrs;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4) return stockKernel(args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC'),
  );
  return (
    (directConvolutionApplies(info) ? directConvolution(backend, x, filter, info) : undefined) ??
    stockKernel(withExplicitSamePadding(tf, args, false))
  );
}

/**
 * `args` with 'same' padding spelled out. tfjs-backend-wasm hands 'same' to XNNPACK as its
 * TensorFlow-SAME flag, which computes wrong values where TensorFlow's padding,
 * max(0, (out − 1)·stride + filter − in), is clamped to 0 because the input overhangs the last
 * window — a 2×2 filter at stride 3 on 6 rows, or at stride 4 on 7 or 8 (51 of 324 small shapes at
 * strides 2–4 disagreed with a direct loop and the CPU backend). The same padding given explicitly
 * takes XNNPACK's explicit-padding path, which is right (test/integration/tfjs/wasmKernels.test.ts).
 */
function withExplicitSamePadding(tf: Tf, args: KernelArgs, depthwise: boolean): KernelArgs {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tfjs.Conv2DAttrs;
  const { x, filter } = args.inputs;
  if (pad !== 'same' || x === undefined || filter === undefined || x.shape.length !== 4) return args;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
    tf.backend_util.convertConv2DDataFormat(dataFormat ?? 'NHWC'),
  );
  if (info.dataFormat !== 'channelsLast') return args;
  const { top, bottom, left, right } = info.padInfo;
  const explicit = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  return { ...args, attrs: { ...args.attrs, pad: explicit } };
}

function conv2DBackpropFilter(tf: Tf, { inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const { filterShape } = attrs as unknown as tfjs.Conv2DBackpropFilterAttrs;
  const info = forwardInfo(tf, x.shape, filterShape, attrs);
  // The wasm Conv2D kernel takes channels-last tensors only; channels-first never reaches here in
  // practice (the forward Conv2D would have thrown), but the loop handles it rather than failing.
  // Stride 1 with output channels its SIMD tiles fit: the WebAssembly kernel, ≈2× the Conv2D route.
  if (filterGradientApplies(info)) return filterGradientPaddingChannels(tf, backend, x, dy, info);
  if (info.dataFormat === 'channelsLast') return filterGradientViaConv2D(tf, backend, x, dy, info);
  const out = backend.makeOutput([...info.filterShape], 'float32');
  // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
  const gradient = filterGradientByLoop(
    backend.typedArrayFromHeap(x) as Float32Array,
    backend.typedArrayFromHeap(dy) as Float32Array,
    info,
  );
  backend.typedArrayFromHeap(out).set(gradient);
  return out;
}

/**
 * The WebAssembly filter gradient, its input's channels first padded with zeros to a multiple of 4
 * (a first layer's 1 or 3 channels): the padded channels' gradient rows are zero work wasted, far
 * cheaper than the `Conv2D` route at so few channels (≈3.5 GFLOP/s for 3), and are sliced off;
 * where reading the input as overlapping patches wastes fewer rows, `filterGradientPatches` instead.
 */
function filterGradientPaddingChannels(tf: Tf, backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const channels = paddedChannels(info.inChannels);
  if (channels === info.inChannels) return filterGradient(backend, x, dy, info);
  // Fewer wasted rows read as patches (1 channel: 8 rows per 5-wide filter row, not 20; 3 channels
  // and 3 wide: 12 either way, and padding the channels then reads less).
  if (patchRows(info) < info.filterWidth * channels) return filterGradientPatches(backend, x, dy, info);
  let xPadded: TensorInfo | undefined;
  let gradient: TensorInfo | undefined;
  try {
    xPadded = padChannelsLast(backend, x, { top: 0, bottom: 0, left: 0, right: 0, channels });
    gradient = filterGradient(backend, xPadded, dy, { ...info, inChannels: channels });
    return runKernel(
      tf,
      backend,
      'Slice',
      { x: gradient },
      { begin: [0, 0, 0, 0], size: [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels] },
    );
  } finally {
    disposeAll(backend, [xPadded, gradient]);
  }
}

function conv2DBackpropInput(tf: Tf, stockKernel: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { inputShape } = attrs as unknown as tfjs.Conv2DBackpropInputAttrs;
  const info = forwardInfo(tf, inputShape, inputs.filter.shape, attrs);
  // The wasm Conv2D kernel takes channels-last tensors only; the stock kernel handles the rest.
  if (info.dataFormat !== 'channelsLast') return stockKernel(args);
  return inputGradientViaConv2D(tf, backend, inputs.dy, inputs.filter, info);
}

/**
 * The filter gradient through the backend's `Conv2D` kernel (channels-last only).
 *
 * With padded input rows `r = oh·s + kh` (input row `r − top`), the gradient is
 *   `dW[kh, kw, c, o] = Σ_b Σ_oh Σ_ow x[b, oh·sH + kh − top, ow·sW + kw − left, c] · dy[b, oh, ow, o]`,
 * which is a convolution of the input with batch and channels swapped, `[C, H, W, B]` (C plays the
 * batch, B the input channels), by the output gradient arranged as a filter, `[OH, OW, B, O]`: its
 * output `[C, KH, KW, O]` is transposed to `[KH, KW, C, O]`. For stride 1 it is a plain VALID
 * convolution of the padded input; for stride s the "filter" taps are s apart, which is a dilation
 * of s in the new convolution (XNNPACK supports dilation, so no JS loop is needed).
 *
 * The padding comes from the forward pass's `padInfo` ('same', 'valid', explicit, rounding): the
 * top and left are its own; the bottom and right are what makes the output exactly KH × KW. When
 * the forward pass never read the last input rows (e.g. 'valid', stride 2, an even size), that
 * bottom pad is negative: the input is then left unpadded and the extra output rows, which lie
 * beyond the filter, are sliced off.
 */
function filterGradientViaConv2D(tf: Tf, backend: BackendWasm, x: TensorInfo, dy: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  const bottom = (outHeight - 1) * strideHeight + filterHeight - padInfo.top - inHeight;
  const right = (outWidth - 1) * strideWidth + filterWidth - padInfo.left - inWidth;
  let xT: TensorInfo | undefined;
  let dyT: TensorInfo | undefined;
  let conv: TensorInfo | undefined;
  let gradient: TensorInfo | undefined;
  try {
    xT = runKernel(tf, backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] }); // [C, H, W, B]
    dyT = runKernel(tf, backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, B, O]
    // Explicit pads let XNNPACK pad implicitly, which saves copying the input through PadV2.
    const pad = [
      [0, 0],
      [padInfo.top, Math.max(bottom, 0)],
      [padInfo.left, Math.max(right, 0)],
      [0, 0],
    ];
    conv = runKernel(
      tf,
      backend,
      'Conv2D',
      { x: xT, filter: dyT },
      { strides: [1, 1], dilations: [strideHeight, strideWidth], pad, dataFormat: 'NHWC' },
    ); // [C, KH', KW', O] with KH' ≥ KH, KW' ≥ KW
    gradient = runKernel(tf, backend, 'Transpose', { x: conv }, { perm: [1, 2, 0, 3] }); // [KH', KW', C, O]
    if (gradient.shape[0] === filterHeight && gradient.shape[1] === filterWidth) {
      const result = gradient;
      gradient = undefined; // The output; not to be released below.
      return result;
    }
    return runKernel(
      tf,
      backend,
      'Slice',
      { x: gradient },
      { begin: [0, 0, 0, 0], size: [filterHeight, filterWidth, info.inChannels, info.outChannels] },
    );
  } finally {
    disposeAll(backend, [xT, dyT, conv, gradient]);
  }
}

/**
 * The filter gradient of a 2-D convolution by direct summation, accumulated in float64:
 * `dW[kh, kw, c, o] = Σ_b Σ_oh Σ_ow x[b, oh·sH + kh·dH − top, ow·sW + kw·dW − left, c] · dy[b, oh, ow, o]`,
 * terms outside the input being zero. Both data formats (`info.dataFormat`); `x` and `dy` are the
 * forward input and output gradient in that format, the result is `[KH, KW, C, O]`.
 *
 * The WASM kernel uses it only for channels-first tensors, which the WASM forward convolution
 * rejects; it is exported as a reference that tests can check the fast path against.
 */
export function filterGradientByLoop(x: Float32Array, dy: Float32Array, info: Conv2DInfo): Float64Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const channelsLast = info.dataFormat === 'channelsLast';
  // Element strides of x [B, H, W, C] or [B, C, H, W], and of dy likewise.
  const xBatch = inHeight * inWidth * inChannels;
  const xRow = channelsLast ? inWidth * inChannels : inWidth;
  const xCol = channelsLast ? inChannels : 1;
  const xChannel = channelsLast ? 1 : inHeight * inWidth;
  const dyBatch = outHeight * outWidth * outChannels;
  const dyRow = channelsLast ? outWidth * outChannels : outWidth;
  const dyCol = channelsLast ? outChannels : 1;
  const dyChannel = channelsLast ? 1 : outHeight * outWidth;

  const gradient = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = b * dyBatch + oh * dyRow + ow * dyCol;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = b * xBatch + ih * xRow + iw * xCol;
            const gradientBase = (kh * filterWidth + kw) * inChannels * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xValue = x[xBase + c * xChannel];
              // After a ReLU, many inputs are exactly zero and contribute nothing.
              if (xValue === 0) continue;
              const row = gradientBase + c * outChannels;
              for (let o = 0; o < outChannels; o++) gradient[row + o] += xValue * dy[dyBase + o * dyChannel];
            }
          }
        }
      }
    }
  }
  return gradient;
}
