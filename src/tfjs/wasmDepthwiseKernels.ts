/**
 * The gradients of depthwise convolution for the WASM backend, which `@tensorflow/tfjs-backend-wasm`
 * 4.22 lacks: without them any model with a `depthwiseConv2d` or `separableConv2d` layer fails its
 * first training step with "Kernel 'DepthwiseConv2dNativeBackpropFilter' not registered for
 * backend 'wasm'".
 *
 * A depthwise convolution is cheap (each output channel reads one input channel), so its gradients
 * are single passes over the windows in JS, which handle every stride, padding, dilation and
 * channel multiplier. The XNNPACK route the dense convolution gradients take (./wasmKernels) does
 * not fit: the filter gradient as a `Conv2D` would compute every channel against every other and
 * keep only the diagonal, C times the work. The input gradient at stride 1 is a depthwise
 * convolution of the output gradient with the flipped filter, which the backend's own
 * `DepthwiseConv2dNative` (XNNPACK) computes; it is taken for a channel multiplier of 1 (the
 * default of both layers) and within-filter padding.
 *
 * Forward: `y[b, oh, ow, c·M + m] = Σ_kh Σ_kw x[b, oh·sH + kh·dH − top, ow·sW + kw·dW − left, c] · f[kh, kw, c, m]`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { runKernel, type KernelArgs, type TensorInfo, type Tf } from './wasmKernelSupport';

type Conv2DInfo = tfjs.backend_util.Conv2DInfo;

function depthwiseInfo(tf: Tf, inShape: number[], filterShape: number[], attrs: tfjs.NamedAttrMap): Conv2DInfo {
  const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as tfjs.DepthwiseConv2dNativeBackpropFilterAttrs;
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true,
  );
}

/**
 * `dF[kh, kw, c, m] = Σ_b Σ_oh Σ_ow x[b, ih, iw, c] · dy[b, oh, ow, c·M + m]`, accumulated in
 * float64 (the sums run over the whole batch and image) as on the CPU backend.
 */
export function depthwiseConv2dNativeBackpropFilter(tf: Tf, { inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const { filterShape } = attrs as unknown as tfjs.DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = depthwiseInfo(tf, x.shape, filterShape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = outChannels / inChannels;
  const gradient = new Float64Array(filterHeight * filterWidth * outChannels);
  const out = backend.makeOutput([filterHeight, filterWidth, inChannels, multiplier], 'float32');
  // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
  const xValues = backend.typedArrayFromHeap(x) as Float32Array;
  const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const gBase = (kh * filterWidth + kw) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) gradient[gBase + c] += xValues[xBase + c] * dyValues[dyBase + c];
            } else {
              for (let c = 0; c < inChannels; c++) {
                const xValue = xValues[xBase + c];
                const row = c * multiplier;
                for (let m = 0; m < multiplier; m++) gradient[gBase + row + m] += xValue * dyValues[dyBase + row + m];
              }
            }
          }
        }
      }
    }
  }
  (backend.typedArrayFromHeap(out) as Float32Array).set(gradient);
  return out;
}

/**
 * `dx[b, ih, iw, c] = Σ_{oh, ow, kh, kw reaching (ih, iw)} Σ_m dy[b, oh, ow, c·M + m] · f[kh, kw, c, m]`.
 */
export function depthwiseConv2dNativeBackpropInput(tf: Tf, { inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const { inputShape } = attrs as unknown as tfjs.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = depthwiseInfo(tf, inputShape, filter.shape, attrs);
  if (viaDepthwiseConvolution(info)) return inputGradientViaDepthwise(tf, backend, dy, filter, info);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo } = info;
  const multiplier = outChannels / inChannels;
  const out = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
  // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
  const dyValues = backend.typedArrayFromHeap(dy) as Float32Array;
  const f = backend.typedArrayFromHeap(filter) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0); // The heap is not zeroed on allocation.
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - padInfo.top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - padInfo.left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const fBase = (kh * filterWidth + kw) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) dx[xBase + c] += dyValues[dyBase + c] * f[fBase + c];
            } else {
              for (let c = 0; c < inChannels; c++) {
                const row = c * multiplier;
                let sum = 0;
                for (let m = 0; m < multiplier; m++) sum += dyValues[dyBase + row + m] * f[fBase + row + m];
                dx[xBase + c] += sum;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Stride 1, no dilation, multiplier 1, and padding within the filter's reach (always so for
 * 'same' and 'valid'): the input gradient is then one depthwise convolution of `dy`, padded by
 * `K − 1 − top` above (likewise for the other sides), with the filter flipped in both spatial axes.
 */
function viaDepthwiseConvolution(info: Conv2DInfo): boolean {
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, inChannels, outChannels, padInfo } = info;
  const { filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth } = info;
  if (strideHeight !== 1 || strideWidth !== 1 || dilationHeight !== 1 || dilationWidth !== 1) return false;
  if (inChannels !== outChannels || info.dataFormat !== 'channelsLast') return false;
  const top = filterHeight - 1 - padInfo.top;
  const left = filterWidth - 1 - padInfo.left;
  const bottom = inHeight + filterHeight - 1 - outHeight - top;
  const right = inWidth + filterWidth - 1 - outWidth - left;
  return top >= 0 && left >= 0 && bottom >= 0 && right >= 0;
}

function inputGradientViaDepthwise(tf: Tf, backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { filterHeight, filterWidth, inChannels, inHeight, inWidth, outHeight, outWidth, padInfo } = info;
  const flipped = backend.makeOutput([filterHeight, filterWidth, inChannels, 1], 'float32');
  try {
    const w = backend.typedArrayFromHeap(filter) as Float32Array;
    const f = backend.typedArrayFromHeap(flipped) as Float32Array;
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const from = ((filterHeight - 1 - kh) * filterWidth + (filterWidth - 1 - kw)) * inChannels;
        f.set(w.subarray(from, from + inChannels), (kh * filterWidth + kw) * inChannels);
      }
    }
    const top = filterHeight - 1 - padInfo.top;
    const left = filterWidth - 1 - padInfo.left;
    const pad = [
      [0, 0],
      [top, inHeight + filterHeight - 1 - outHeight - top],
      [left, inWidth + filterWidth - 1 - outWidth - left],
      [0, 0],
    ];
    return runKernel(
      tf,
      backend,
      'DepthwiseConv2dNative',
      { x: dy, filter: flipped },
      { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' },
    );
  } finally {
    backend.disposeData(flipped.dataId);
  }
}
