/**
 * The input gradient of a 2-D convolution (`Conv2DBackpropInput`) on the WASM backend, computed
 * through the backend's own `Conv2D` kernel (XNNPACK, WASM SIMD) one stride phase at a time, in
 * place of the stock kernel's scalar C++ loop; ./wasmKernels registers it.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeAll, runKernel, type TensorInfo, type Tf } from './wasmKernelSupport';

type Conv2DInfo = tfjs.backend_util.Conv2DInfo;

/**
 * The input gradient through the backend's `Conv2D` kernel (channels last, any stride and padding).
 *
 * `dx[b, h, w, c] = Σ_kh Σ_kw Σ_o dy[b, oh, ow, o] · W[kh, kw, c, o]` over `oh·sH + kh − top = h`
 * (likewise for w). For stride 1, with `kh' = KH − 1 − kh`, this is a convolution of `dy`, padded
 * by `KH − 1 − top` above, with the filter flipped in both spatial axes and its channel axes
 * swapped, `Wf[kh', kw', o, c] = W[KH − 1 − kh', KW − 1 − kw', c, o]`; its output is `dx` itself.
 *
 * For stride s, only the taps `kh ≡ h + top (mod s)` reach row h. The rows sharing a phase
 * `p = (h + top) mod s` are `h = h0 + s·t`; with `kh = p + s·j` and `i0 = (h0 + top − p)/s`,
 *   `dx[h0 + s·t] = Σ_j dy[i0 + t − j] · W[p + s·j]`,
 * which is again a stride-1 convolution of `dy`, with the flipped sub-filter of those taps. The
 * sH·sW phase convolutions together do the work of the forward convolution (convolving `dy` with
 * zeros inserted between its pixels would do s² times as much), and their outputs are interleaved
 * into `dx`. Rows of a phase with no tap (stride larger than the filter) get zero. Where the
 * forward pass padded beyond the filter's reach, a phase's convolution would start past `dy`'s
 * first row: it then runs unpadded and its first `skip` rows are passed over.
 */
export function inputGradientViaConv2D(tf: Tf, backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, info: Conv2DInfo): TensorInfo {
  const { batchSize, inHeight, inWidth, inChannels } = info;
  const rows = phasePlans(inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = phasePlans(inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  let dx: TensorInfo | undefined;
  try {
    for (const row of rows) {
      for (const col of cols) {
        if (row.taps === 0 || col.taps === 0 || row.count === 0 || col.count === 0) continue;
        const conv = phaseConvolution(tf, backend, dy, filter, info, row, col);
        // Stride 1 with padding within the filter's reach (always so for 'same' and 'valid'): the
        // one phase's convolution is the whole gradient, with no copy.
        const whole = rows.length === 1 && cols.length === 1 && row.skip === 0 && col.skip === 0;
        if (whole && conv.shape[1] === inHeight && conv.shape[2] === inWidth) return conv;
        try {
          if (dx === undefined) {
            dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
            // Phases without taps leave their pixels at zero; the heap is not zeroed.
            backend.typedArrayFromHeap(dx).fill(0);
          }
          // Views are taken after the last allocation, which may have moved the heap.
          const convValues = backend.typedArrayFromHeap(conv) as Float32Array;
          const dxValues = backend.typedArrayFromHeap(dx) as Float32Array;
          const [, convHeight, convWidth] = conv.shape;
          for (let b = 0; b < batchSize; b++) {
            for (let t = 0; t < row.count; t++) {
              const h = row.first + info.strideHeight * t;
              for (let u = 0; u < col.count; u++) {
                const w = col.first + info.strideWidth * u;
                const source = ((b * convHeight + t + row.skip) * convWidth + u + col.skip) * inChannels;
                dxValues.set(convValues.subarray(source, source + inChannels), ((b * inHeight + h) * inWidth + w) * inChannels);
              }
            }
          }
        } finally {
          backend.disposeData(conv.dataId);
        }
      }
    }
    if (dx === undefined) {
      // No phase has a tap in the input: the gradient is all zero (a filter entirely in padding).
      dx = backend.makeOutput([batchSize, inHeight, inWidth, inChannels], 'float32');
      backend.typedArrayFromHeap(dx).fill(0);
    }
    const result = dx;
    dx = undefined; // The output; not to be released below.
    return result;
  } finally {
    disposeAll(backend, [dx]);
  }
}

/**
 * The stride-1 convolution of `dy` for one row phase and one column phase: with the phase's taps
 * of the filter, flipped and with channel axes swapped (`[taps_h, taps_w, O, C]`, built in JS: the
 * filter is small, so one pass is cheaper than Transpose and Reverse kernels and their copies).
 */
function phaseConvolution(
  tf: Tf,
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Conv2DInfo,
  row: PhasePlan,
  col: PhasePlan,
): TensorInfo {
  const { inChannels, outChannels, filterWidth, strideHeight, strideWidth } = info;
  const subFilter = backend.makeOutput([row.taps, col.taps, outChannels, inChannels], 'float32');
  try {
    const w = backend.typedArrayFromHeap(filter) as Float32Array;
    const f = backend.typedArrayFromHeap(subFilter) as Float32Array;
    for (let jh = 0; jh < row.taps; jh++) {
      const kh = row.phase + strideHeight * (row.taps - 1 - jh);
      for (let jw = 0; jw < col.taps; jw++) {
        const kw = col.phase + strideWidth * (col.taps - 1 - jw);
        const from = (kh * filterWidth + kw) * inChannels * outChannels;
        const to = (jh * col.taps + jw) * outChannels * inChannels;
        for (let c = 0; c < inChannels; c++) {
          for (let o = 0; o < outChannels; o++) f[to + o * inChannels + c] = w[from + c * outChannels + o];
        }
      }
    }
    const pad = [
      [0, 0],
      [row.padBefore, row.padAfter],
      [col.padBefore, col.padAfter],
      [0, 0],
    ];
    return runKernel(tf, backend, 'Conv2D', { x: dy, filter: subFilter }, { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' });
  } finally {
    backend.disposeData(subFilter.dataId);
  }
}

/** How the input rows (or columns) of one stride phase are computed; see inputGradientViaConv2D. */
interface PhasePlan {
  /** `p`: the filter taps used are `p, p + s, …`. */
  phase: number;
  /** Number of those taps (0 when the stride exceeds the filter and `p` is past its end). */
  taps: number;
  /** The first input row of the phase, `h0`, and how many rows `h0, h0 + s, …` lie in the input. */
  first: number;
  count: number;
  /** Padding of `dy` for the phase's convolution, and rows of its output to pass over. */
  padBefore: number;
  padAfter: number;
  skip: number;
}

function phasePlans(inSize: number, outSize: number, filterSize: number, stride: number, padBefore: number): PhasePlan[] {
  const plans: PhasePlan[] = [];
  for (let phase = 0; phase < stride; phase++) {
    const taps = phase < filterSize ? Math.ceil((filterSize - phase) / stride) : 0;
    const first = (((phase - padBefore) % stride) + stride) % stride;
    const count = first < inSize ? Math.ceil((inSize - first) / stride) : 0;
    const firstSource = (first + padBefore - phase) / stride; // i0, an integer by the choice of `first`.
    // Row t of the phase reads dy rows start + t … start + t + taps − 1.
    const start = firstSource - (taps - 1);
    const before = Math.max(0, -start);
    const skip = Math.max(0, start);
    // The convolution's last needed output row, count − 1 + skip, must exist:
    // count − 1 + skip + taps ≤ outSize + before + after.
    const after = Math.max(0, count - 1 + skip + taps - outSize - before);
    plans.push({ phase, taps, first, count, padBefore: before, padAfter: after, skip });
  }
  return plans;
}
