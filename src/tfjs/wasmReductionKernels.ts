/**
 * WASM kernels that replace stock kernels of `@tensorflow/tfjs-backend-wasm` 4.22 measured slow on
 * the paths training takes, and `UnsortedSegmentSum`, which the backend lacks.
 *
 * Why: profiling one training step of a batch-normalised convnet (test/fixtures/models/fashionBn.ts)
 * per kernel with `tf.profile` put half of its time in the batch normalisation's gradient, which
 * tfjs-core composes of `Tile` (a broadcast of the `[C]` scale to the whole `[B, H, W, C]` batch),
 * `Sum` and `Mean` over the batch and spatial axes, and element-wise ops; and a fifth in the dense
 * layers' gradients, whose `BatchMatMul` calls carry a transpose flag. In the stock kernels:
 *  - `Tile` computes every output element's source index in a generic loop: ≈40 ns per element,
 *    60 ms to broadcast 32 channels over a 64×28×28 batch. Here: block copies (`set`,
 *    `copyWithin`), ≈0.1 ns per element.
 *  - `Sum` and `Mean` over leading axes (the `[B, H, W]` of `[B, H, W, C]`) transpose the input so
 *    that the reduced axes come last, then reduce: 10–18 ms for that batch. Here: one average
 *    pooling over the whole `[B·H, W]` window, ≈0.3 ms.
 *  - `Identity` copies its input; here it shares it, as on the CPU backend.
 *  - `BatchMatMul` with `transposeA` or `transposeB` runs 5–20× slower than without (24–32 ms
 *    against 2 ms for a 64×3136 by 3136×128 product). Here: the flagged operand is transposed
 *    first, then multiplied without flags: ≈6 ms.
 *  - `GatherV2` (how `model.fit` takes each shuffled batch out of the whole training set) copies
 *    element by element at ≈25 ns each: 1.3 ms per LeNet batch, ≈5% of its epoch. Here: one block
 *    copy per gathered slice.
 *
 * All other cases are handed to the stock kernel unchanged.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { disposeAll, runKernel, sizeOf, type KernelArgs, type TensorInfo, type Tf, type WasmKernelFunc } from './wasmKernelSupport';
import { matMulFma } from './wasmTrainingModule';

/**
 * `Tile` by block copies: the input's innermost run of axes that are not repeated is copied as one
 * block, and each repeated axis then copies what it has written so far (doubling each time).
 * Strings go to the stock kernel.
 */
export function tile(stock: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { reps } = attrs as unknown as tfjs.TileAttrs;
  if (x.dtype === 'string') return stock(args);
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);

  const sourceStride = new Array<number>(rank);
  const targetBlock = new Array<number>(rank + 1); // Elements of the output below axis i.
  sourceStride[rank - 1] = 1;
  targetBlock[rank] = 1;
  for (let i = rank - 1; i >= 0; i--) {
    if (i < rank - 1) sourceStride[i] = sourceStride[i + 1] * x.shape[i + 1];
    targetBlock[i] = targetBlock[i + 1] * outShape[i];
  }
  // From this axis on nothing repeats, so the input's block there is copied as it is.
  let copyFrom = rank;
  while (copyFrom > 0 && reps[copyFrom - 1] === 1) copyFrom--;

  const write = (axis: number, sourceOffset: number, targetOffset: number): void => {
    if (axis === copyFrom) {
      const n = targetBlock[axis];
      if (n === 1) target[targetOffset] = source[sourceOffset];
      else target.set(source.subarray(sourceOffset, sourceOffset + n), targetOffset);
      return;
    }
    const inner = targetBlock[axis + 1];
    for (let a = 0; a < x.shape[axis]; a++) write(axis + 1, sourceOffset + a * sourceStride[axis], targetOffset + a * inner);
    const chunk = x.shape[axis] * inner;
    const total = chunk * reps[axis];
    for (let filled = chunk; filled < total;) {
      const n = Math.min(filled, total - filled);
      target.copyWithin(targetOffset + filled, targetOffset, targetOffset + n);
      filled += n;
    }
  };
  write(0, 0, 0);
  return out;
}

/**
 * `Sum` or `Mean` of float32 tensors over leading axes `0 … k − 1`: the input seen as an image
 * `[1, n₁, n₂, m]` (n₂ the last reduced axis, n₁ the others) averaged over one `n₁ × n₂` window by
 * the backend's `AvgPool` (XNNPACK, SIMD), ≈10× faster than a pass in JS and ≈30× faster than the
 * stock kernel's transpose; a sum is that mean times n. (A product with a row of ones through
 * XNNPACK is as fast on a reused tensor, but XNNPACK packs the matrix anew for every fresh one.)
 * Other axes, dtypes and reductions over every axis (which the stock kernel does without a
 * transpose) go to the stock kernel.
 */
export function leadingAxesReduction(tf: Tf, stock: WasmKernelFunc, mean: boolean, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { axis, keepDims } = attrs as unknown as tfjs.SumAttrs;
  const rank = x.shape.length;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (!leading || x.dtype !== 'float32') return stock(args);
  const windowWidth = x.shape[axes.length - 1];
  const windowHeight = sizeOf(x.shape.slice(0, axes.length - 1));
  const cols = sizeOf(x.shape.slice(axes.length));
  if (windowWidth * windowHeight === 0 || cols === 0) return stock(args);
  const outShape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);

  let image: TensorInfo | undefined;
  let pooled: TensorInfo | undefined;
  try {
    image = runKernel(tf, backend, 'Reshape', { x }, { shape: [1, windowHeight, windowWidth, cols] });
    pooled = runKernel(
      tf,
      backend,
      'AvgPool',
      { x: image },
      { filterSize: [windowHeight, windowWidth], strides: [windowHeight, windowWidth], pad: 'valid' },
    ); // [1, 1, 1, cols]
    if (mean) {
      const result = pooled;
      pooled = undefined; // The output; not to be released below.
      // The stock kernels set the shape of their outputs this way (BatchMatMul does).
      result.shape = outShape;
      return result;
    }
    const out = backend.makeOutput(outShape, 'float32');
    // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
    const means = backend.typedArrayFromHeap(pooled);
    const sums = backend.typedArrayFromHeap(out);
    const count = windowHeight * windowWidth;
    for (let c = 0; c < cols; c++) sums[c] = means[c] * count;
    return out;
  } finally {
    disposeAll(backend, [image, pooled]);
  }
}

/**
 * `Identity` sharing its input's buffer, as the CPU backend's does (tensors are immutable and the
 * backend counts references), instead of the stock kernel's copy: batch normalisation's training
 * step copied ≈20 MB per batch through it. Strings go to the stock kernel.
 */
export function identity(stock: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype === 'string') return stock(args);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * `BatchMatMul` with a transpose flag: the flagged operands are transposed (their last two axes)
 * first and multiplied without flags, which the stock kernel does several times faster.
 */
export function batchMatMul(tf: Tf, stock: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs as unknown as tfjs.BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
  if (!transposeA && !transposeB) return matMulFma(backend, a, b) ?? stock(args);
  let aT: TensorInfo | undefined;
  let bT: TensorInfo | undefined;
  try {
    if (transposeA) aT = transposeLastTwo(tf, backend, a);
    if (transposeB) bT = transposeLastTwo(tf, backend, b);
    return (
      matMulFma(backend, aT ?? a, bT ?? b) ??
      stock({ inputs: { a: aT ?? a, b: bT ?? b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } })
    );
  } finally {
    disposeAll(backend, [aT, bT]);
  }
}

function transposeLastTwo(tf: Tf, backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));
  return runKernel(tf, backend, 'Transpose', { x }, { perm });
}

/**
 * `UnsortedSegmentSum` (the gradient of `gather`, so of embeddings), which the WASM backend lacks:
 * `out[s, …] = Σ_i [ids[i] = s] · x[i, …]`, ids outside `[0, numSegments)` dropped. For ids of
 * rank k > 1 it follows the CPU backend: the ids select per element of x's first k axes and the
 * sum runs over axis 0 only. Sums in float64, as the CPU backend does.
 */
export function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, segmentIds } = inputs;
  const { numSegments } = attrs as unknown as tfjs.UnsortedSegmentSumAttrs;
  const idsRank = segmentIds.shape.length;
  const rows = x.shape[0];
  const middle = sizeOf(x.shape.slice(1, idsRank));
  const inner = sizeOf(x.shape.slice(idsRank));
  const outShape = [numSegments, ...x.shape.slice(1)];
  const segmentSize = middle * inner;
  const sums = new Float64Array(numSegments * segmentSize);
  const out = backend.makeOutput(outShape, x.dtype);
  // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
  const values = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < rows; i++) {
    for (let m = 0; m < middle; m++) {
      const id = ids[i * middle + m];
      if (!(id >= 0 && id < numSegments)) continue;
      const from = (i * middle + m) * inner;
      const to = id * segmentSize + m * inner;
      for (let t = 0; t < inner; t++) sums[to + t] += values[from + t];
    }
  }
  const target = backend.typedArrayFromHeap(out);
  target.set(sums);
  return out;
}

/**
 * `GatherV2` without batch dimensions by block copies: `out[o, i, s] = x[o, indices[i], s]` over
 * the axes before, at and after `axis`. Strings and `batchDims` > 0 go to the stock kernel; an
 * index outside the axis throws, as the stock kernel does.
 */
export function gatherV2(stock: WasmKernelFunc, args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs;
  const { axis, batchDims } = attrs as unknown as tfjs.GatherV2Attrs;
  if (x.dtype === 'string' || (batchDims ?? 0) !== 0) return stock(args);
  const rank = x.shape.length;
  const at = axis < 0 ? axis + rank : axis;
  const outer = sizeOf(x.shape.slice(0, at));
  const dim = x.shape[at];
  const slice = sizeOf(x.shape.slice(at + 1));
  const ids = backend.typedArrayFromHeap(indices);
  const count = ids.length;
  for (let i = 0; i < count; i++) {
    const id = ids[i];
    if (!(id >= 0 && id <= dim - 1)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${dim - 1}]`);
  }
  const out = backend.makeOutput([...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)], x.dtype);
  // Views into the heap are taken after makeOutput, which may grow (and so move) the heap.
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  const indexValues = backend.typedArrayFromHeap(indices);
  let to = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < count; i++) {
      const from = (o * dim + indexValues[i]) * slice;
      // Short slices are copied in a loop: a subarray per slice would cost more than the copy.
      if (slice < 16) for (let s = 0; s < slice; s++) target[to + s] = source[from + s];
      else target.set(source.subarray(from, from + slice), to);
      to += slice;
    }
  }
  return out;
}
