/**
 * Inter-sample entropy (paper 4.4.1, equations 4–7; estimators.md "Inter-sample entropy"): the
 * diversity of a set of samples, from a UMAP-like neighbourhood distribution over sample pairs.
 *
 * The computation is split into stages so that the parallel engine (src/compute) can run the
 * expensive ones on several cores with exactly the same code:
 *   1. distances (distances.ts), 2. per row: the K nearest neighbours and their weights
 *   `P_{j|i}` (`NeighbourSelector`), 3. symmetrisation and entropy (`symmetricEntropyBits`).
 */
import { BLOCK_ROWS, cleanSamples, DistanceKernel, KernelKind } from './distances';
import { type InterSampleUndefined, undefinedReason } from './interSampleReasons';
import { checkPairwiseSize } from './pairwiseBudget';
import { bytes as weightsWasmBytes } from './wasm/weightsWasm';
import { compiledOnce, growTo, instantiate, KernelMemory } from './wasmModules';

/** Default neighbourhood size `k` (estimators.md: reproduces the magnitudes of the paper's Fig. 5(B)). */
export const DEFAULT_K = 1000;

/** Stopping rule of the σ search (estimators.md step 3). */
const SIGMA_RELATIVE_TOLERANCE = 1e-9;

/**
 * The neighbourhood size actually used, `K = min(k, N - 1)` (estimators.md step 2). Throws a
 * RangeError unless `k` is an integer ≥ 2.
 */
export function neighbourCount(n: number, k: number): number {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  return Math.max(0, Math.min(k, n - 1));
}

/**
 * Solves equation 5 for one sample: finds `β = 1/σ_i` with `Σ_j exp(-d_j β) = log2 K` over the
 * neighbour distances `d[offset .. offset+K)`, writes `P_{j|i} = exp(-d_j β)` (equation 4) to
 * `weights` at the same positions (or from `outOffset`) and returns `σ_i` (`Infinity`/`0` in the
 * degenerate cases).
 *
 * A bisection to a relative error of 1e-9 would do (estimators.md); this uses Newton's method on
 * `ln Σ exp(-d_j β)`, which is convex and decreasing in β, so iterates started at β = 0 rise
 * monotonically to the root without overshooting, reaching the same stopping rule in ~5–10 steps
 * instead of ~40. Degenerate cases: every neighbour at distance 0 → all weights 1 (estimators.md);
 * if the zero-distance neighbours alone reach `log2 K`, no finite σ exists and the limit σ → 0
 * is taken (weight 1 at distance 0, else 0).
 *
 * Each step's exponentials come from a {@link WeightPass} (WebAssembly SIMD, bit-identical to
 * Math.exp), and the weights are those of the step that met the stopping rule, which are the
 * exponentials at the final β: no pass is spent on computing them again.
 */
export function solveNeighbourWeights(d: Float64Array, offset: number, K: number, weights: Float64Array, outOffset = offset): number {
  const target = Math.log2(K);
  let zeros = 0;
  let sumD = 0;
  for (let j = offset; j < offset + K; j++) {
    if (d[j] === 0) zeros++;
    sumD += d[j];
  }
  if (zeros === K) {
    weights.fill(1, outOffset, outOffset + K);
    return Infinity;
  }
  if (zeros >= target) {
    for (let j = 0; j < K; j++) weights[outOffset + j] = d[offset + j] === 0 ? 1 : 0;
    return 0;
  }
  const pass = WeightPass.shared(K);
  if (d !== pass.distances || offset !== 0) pass.distances.set(d.subarray(offset, offset + K));
  const lnTarget = Math.log(target);
  // At β = 0 the sum is K > target; one Newton step on the sum itself gives a start below the root.
  let beta = (K - target) / sumD;
  // Whether pass.weights holds exp(-d_j β) for the current β.
  let current = false;
  for (let iter = 0; iter < 200; iter++) {
    const g = pass.run(K, beta);
    const g1 = pass.weightedSum;
    current = true;
    if (Math.abs(g - target) <= SIGMA_RELATIVE_TOLERANCE * target || g1 === 0) break;
    const next = beta + ((Math.log(g) - lnTarget) * g) / g1;
    if (!(next > beta)) break; // converged to the last bit
    beta = next;
    current = false;
  }
  if (!current) pass.run(K, beta);
  weights.set(pass.weights.subarray(0, K), outOffset);
  return 1 / beta;
}

interface WeightsExports {
  memory: KernelMemory;
  g1: { value: number };
  pass(d: number, e: number, K: number, beta: number): number;
}

/** wasm/weights.wat compiled, or null without SIMD support: the JS loop takes over. */
const compileWeightsModule = compiledOnce(weightsWasmBytes);

/**
 * One step of the σ search over up to `capacity` neighbours: `run(K, beta)` writes
 * `weights[j] = exp(-distances[j] · beta)` for `j < K` and returns `Σ weights[j]`, with
 * `weightedSum = Σ distances[j] · weights[j]`, both summed in index order. The WebAssembly SIMD
 * kernel (wasm/weights.wat: fdlibm's exponential, which is V8's Math.exp, two values at a time)
 * gives the same bits as the plain-JS loop that stands in where WebAssembly SIMD is missing.
 */
export class WeightPass {
  /** The distances of one row, filled by the caller before `run`. */
  distances: Float64Array;
  /** The weights of the last `run`. */
  weights: Float64Array;
  /** `Σ d_j · exp(-d_j β)` of the last `run`. */
  weightedSum = 0;
  readonly kind: KernelKind;
  private readonly exports?: WeightsExports;
  private capacity = 0;

  private static sharedPass?: WeightPass;

  /** This thread's pass, with room for `K` neighbours (the one instance grows as needed). */
  static shared(K: number): WeightPass {
    const pass = (WeightPass.sharedPass ??= new WeightPass(K));
    pass.reserve(K);
    return pass;
  }

  /** `force` selects a kernel (tests compare both); by default WebAssembly SIMD when available. */
  constructor(capacity: number, force?: KernelKind) {
    const module = force === 'js' ? null : compileWeightsModule();
    if (force === 'wasm-simd' && !module) throw new Error('WebAssembly SIMD is not available in this runtime');
    if (module) {
      this.exports = instantiate<WeightsExports>(module, { math: { exp: Math.exp } });
      this.kind = 'wasm-simd';
    } else this.kind = 'js';
    this.distances = new Float64Array(0);
    this.weights = new Float64Array(0);
    this.reserve(capacity);
  }

  /** Makes room for `K` neighbours (the arrays are replaced when they grow). */
  reserve(K: number): void {
    if (K <= this.capacity) return;
    const capacity = Math.max(16, Math.ceil(K / 2) * 2);
    if (this.exports) {
      const bytes = capacity * 16;
      const buffer = growTo(this.exports.memory, bytes);
      this.distances = new Float64Array(buffer, 0, capacity);
      this.weights = new Float64Array(buffer, capacity * 8, capacity);
    } else {
      this.distances = new Float64Array(capacity);
      this.weights = new Float64Array(capacity);
    }
    this.capacity = capacity;
  }

  /** Computes the weights of the first `K` distances at `beta`; returns their sum. */
  run(K: number, beta: number): number {
    if (K > this.capacity) throw new RangeError(`${K} neighbours exceed the pass's room for ${this.capacity}`);
    if (this.exports) {
      const g = this.exports.pass(0, this.capacity * 8, K, beta);
      this.weightedSum = this.exports.g1.value;
      return g;
    }
    const { distances: d, weights: e } = this;
    let g = 0;
    let g1 = 0;
    for (let j = 0; j < K; j++) {
      const w = Math.exp(-d[j] * beta);
      e[j] = w;
      g += w;
      g1 += d[j] * w;
    }
    this.weightedSum = g1;
    return g;
  }
}

/**
 * The neighbours of samples read from their full `n × n` distance matrix: of all `n` samples, or
 * of a subset of them, each subset row gathered from the matrix's sub-block (the samples of a class
 * measured from the distances of every probe input). Holds one selector and one row of scratch.
 */
export class MatrixNeighbours {
  private readonly selector: NeighbourSelector;
  private readonly row?: Float64Array;

  constructor(
    private readonly matrix: Float64Array,
    private readonly n: number,
    private readonly subset: readonly number[] | undefined,
    K: number,
  ) {
    const m = subset ? subset.length : n;
    this.selector = new NeighbourSelector(m, K);
    if (subset) this.row = new Float64Array(m);
  }

  /** Selects the neighbours of rows `[a, b)` (of the subset, if any) into `indices`/`weights` at `i·K`. */
  select(a: number, b: number, indices: Int32Array, weights: Float64Array): void {
    const { matrix, n, subset, row, selector } = this;
    const K = selector.K;
    if (!subset || !row) {
      for (let i = a; i < b; i++) selector.select(matrix, i * n, i, indices, weights, i * K);
      return;
    }
    const m = subset.length;
    for (let i = a; i < b; i++) {
      const at = subset[i] * n;
      for (let j = 0; j < m; j++) row[j] = matrix[at + subset[j]];
      selector.select(row, 0, i, indices, weights, i * K);
    }
  }
}

/**
 * Finds, for sample `i`, its K nearest other samples (ties broken by the lower index,
 * estimators.md step 2) and their weights `P_{j|i}`. Holds scratch memory for one row, so one
 * selector serves many rows.
 */
export class NeighbourSelector {
  private readonly scratch: Float64Array;
  private readonly ties: Int32Array;
  private readonly nearest: Float64Array;

  constructor(
    readonly n: number,
    readonly K: number,
  ) {
    this.scratch = new Float64Array(Math.max(0, n - 1));
    this.ties = new Int32Array(Math.max(0, n - 1));
    this.nearest = new Float64Array(K);
  }

  /**
   * Reads the distances from sample `i` to every sample (`row[rowOffset + j]`, `j < n`), writes
   * the neighbour indices to `indices[outOffset ..]` (ascending index order) and their weights to
   * `weights[outOffset ..]`; returns σ_i.
   */
  select(row: Float64Array, rowOffset: number, i: number, indices: Int32Array, weights: Float64Array, outOffset: number): number {
    const { n, K, scratch, ties, nearest } = this;
    if (K === n - 1) {
      // Every other sample is a neighbour (k ≥ N - 1, as for a probe set of up to k + 1 inputs and
      // for every class of it): no selection, and the same indices and order as the selection gives.
      const pass = WeightPass.shared(K);
      const d = pass.distances;
      for (let j = 0, t = 0; j < n; j++) {
        if (j === i) continue;
        indices[outOffset + t] = j;
        d[t++] = row[rowOffset + j];
      }
      return solveNeighbourWeights(d, 0, K, weights, outOffset);
    }
    let m = 0;
    for (let j = 0; j < n; j++) if (j !== i) scratch[m++] = row[rowOffset + j];
    const threshold = kthSmallest(scratch, m, K - 1);
    // Everything below the threshold is in; equal values fill the rest by index order.
    let taken = 0;
    let tieCount = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const v = row[rowOffset + j];
      if (v < threshold) {
        indices[outOffset + taken] = j;
        nearest[taken++] = v;
      } else if (v === threshold) ties[tieCount++] = j;
    }
    for (let t = 0; taken < K && t < tieCount; t++) {
      indices[outOffset + taken] = ties[t];
      nearest[taken++] = threshold;
    }
    // Keep the output in ascending index order (merge the tie indices in) for determinism.
    sortByIndex(indices, nearest, outOffset, K);
    const sigma = solveNeighbourWeights(nearest, 0, K, nearest);
    weights.set(nearest, outOffset);
    return sigma;
  }
}

/** In-place selection: the value that would sit at position `k` (0-based) if `a[0..m)` were sorted. */
export function kthSmallest(a: Float64Array, m: number, k: number): number {
  let lo = 0;
  let hi = m - 1;
  while (hi > lo) {
    // Median of three as pivot, Hoare partition.
    const mid = (lo + hi) >>> 1;
    let x = a[lo];
    let y = a[mid];
    const z = a[hi];
    if (x > y) [x, y] = [y, x];
    // Now x <= y: the median is y, unless z is below it, then the larger of x and z.
    const pivot = y > z ? (x > z ? x : z) : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function sortByIndex(indices: Int32Array, values: Float64Array, offset: number, K: number): void {
  // Indices are already ascending except for the tie block appended at the end: insertion merge.
  for (let a = 1; a < K; a++) {
    const idx = indices[offset + a];
    if (idx > indices[offset + a - 1]) continue;
    const v = values[a];
    let b = a - 1;
    while (b >= 0 && indices[offset + b] > idx) {
      indices[offset + b + 1] = indices[offset + b];
      values[b + 1] = values[b];
      b--;
    }
    indices[offset + b + 1] = idx;
    values[b + 1] = v;
  }
}

/**
 * Equations 6–7: symmetrises the conditional weights, `P_ij = (P_{j|i} + P_{i|j}) / 2N`,
 * normalises them to sum 1 and returns `-Σ P_ij log2 P_ij` over the non-zero entries.
 * `indices`/`weights` hold K neighbours per sample, row after row (as `NeighbourSelector`
 * writes them). Normalisation is folded in: `H = log2 S - (1/S) Σ q log2 q` with `q` the
 * unnormalised weights and `S = Σ q`, accumulated in float64. Runs in O(N·K).
 */
export function symmetricEntropyBits(n: number, K: number, indices: Int32Array, weights: Float64Array): number | undefined {
  if (K < 2 || n < 3) return undefined;
  if (K === n - 1 && everyOtherInOrder(n, indices)) return denseEntropyBits(n, weights);
  // Transpose lists: for each j, the samples i that have j among their neighbours.
  const start = new Int32Array(n + 1);
  for (let e = 0; e < n * K; e++) start[indices[e] + 1]++;
  for (let j = 0; j < n; j++) start[j + 1] += start[j];
  const fill = start.slice(0, n);
  const tSource = new Int32Array(n * K);
  const tWeight = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let e = i * K; e < i * K + K; e++) {
      const slot = fill[indices[e]]++;
      tSource[slot] = i;
      tWeight[slot] = weights[e];
    }
  }
  const acc = new Float64Array(n);
  const seen = new Uint8Array(n);
  // A sample can be the neighbour of many others (a hub), so a row can touch up to n columns.
  const touched = new Int32Array(n);
  let total = 0;
  let sumQLogQ = 0;
  for (let i = 0; i < n; i++) {
    let t = 0;
    for (let e = i * K; e < i * K + K; e++) {
      const j = indices[e];
      if (!seen[j]) {
        seen[j] = 1;
        touched[t++] = j;
      }
      acc[j] += weights[e];
    }
    for (let s = start[i]; s < start[i + 1]; s++) {
      const j = tSource[s];
      if (!seen[j]) {
        seen[j] = 1;
        touched[t++] = j;
      }
      acc[j] += tWeight[s];
    }
    for (let u = 0; u < t; u++) {
      const j = touched[u];
      const q = acc[j];
      if (q > 0) {
        total += q;
        sumQLogQ += q * Math.log2(q);
      }
      acc[j] = 0;
      seen[j] = 0;
    }
  }
  if (total === 0) return undefined;
  const h = Math.log2(total) - sumQLogQ / total;
  return h > 0 ? h : 0;
}

/** Whether row `i` of `indices` lists every other sample in ascending order, for every `i` (K = n - 1). */
function everyOtherInOrder(n: number, indices: Int32Array): boolean {
  const K = n - 1;
  for (let i = 0; i < n; i++) {
    const at = i * K;
    for (let t = 0; t < K; t++) if (indices[at + t] !== (t < i ? t : t + 1)) return false;
  }
  return true;
}

/** Largest sample count whose `q log2 q` values `denseEntropyBits` keeps for the mirrored pair (8·n² bytes, for the call). */
const DENSE_CACHE_SAMPLES = 1536;

/**
 * The q·log2 q cache of `denseEntropyBits`, kept between calls up to `KEPT_CACHE_LENGTH` entries
 * (4 MB): a fresh one costs its pages' first touch, a third of the function's time at 500 samples.
 */
let keptCache: Float64Array | undefined;
const KEPT_CACHE_LENGTH = 1 << 19;

function denseCache(length: number): Float64Array {
  if (keptCache && keptCache.length >= length) return keptCache;
  const cache = new Float64Array(length);
  if (length <= KEPT_CACHE_LENGTH) keptCache = cache;
  return cache;
}

/**
 * `symmetricEntropyBits` when every sample is every other's neighbour: the same sums in the same
 * order (row by row, columns ascending), so the same bits, without the transposed lists. `q_ij`
 * and `q_ji` are the same sum, so each `q log2 q` is computed once and read back for the mirrored
 * pair.
 */
function denseEntropyBits(n: number, weights: Float64Array): number | undefined {
  const K = n - 1;
  // Only entries written in this call are read: (j, i) is read in row i only after row j wrote it,
  // both skipping the same non-positive q.
  const cache = n <= DENSE_CACHE_SAMPLES ? denseCache(n * n) : undefined;
  let total = 0;
  let sumQLogQ = 0;
  for (let i = 0; i < n; i++) {
    const row = i * K;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      // P_{j|i} sits at position j (j < i) or j - 1 of row i; P_{i|j} likewise in row j.
      const q = weights[row + (j < i ? j : j - 1)] + weights[j * K + (i < j ? i : i - 1)];
      if (!(q > 0)) continue;
      total += q;
      if (!cache) sumQLogQ += q * Math.log2(q);
      else if (j < i) sumQLogQ += cache[j * n + i];
      else {
        const qLogQ = q * Math.log2(q);
        cache[i * n + j] = qLogQ;
        sumQLogQ += qLogQ;
      }
    }
  }
  if (total === 0) return undefined;
  const h = Math.log2(total) - sumQLogQ / total;
  return h > 0 ? h : 0;
}

/**
 * The entropy of the neighbour weights (`symmetricEntropyBits`), or why it is undefined: any
 * sample whose `K` neighbours all sit at distance 0 leaves it undefined (estimators.md step 3),
 * since the value would then count inputs (identical samples give the ceiling `log2(N(N−1))`),
 * not measure their diversity.
 */
export function neighbourEntropy(
  n: number,
  K: number,
  indices: Int32Array,
  weights: Float64Array,
): Pick<InterSampleResult, 'entropyBits' | 'undefinedReason'> {
  const reason = undefinedReason(n, K, indices, weights);
  if (reason) return { entropyBits: undefined, undefinedReason: reason };
  const entropyBits = symmetricEntropyBits(n, K, indices, weights);
  return entropyBits === undefined ? { entropyBits, undefinedReason: 'too-few-samples' } : { entropyBits };
}

/** Result of an inter-sample entropy computation. */
export interface InterSampleResult {
  /** Bits; `undefined` when fewer than 3 samples (K < 2) or a sample's neighbours are all identical to it (`undefinedReason`). Scales like log2(N·K): compare similar sizes only. */
  entropyBits: number | undefined;
  /** Why `entropyBits` is undefined; absent when it is defined. */
  undefinedReason?: InterSampleUndefined;
  n: number;
  /** Neighbourhood size used, `min(k, N - 1)`. */
  K: number;
  nonFiniteCount: number;
  droppedCoordinates: number;
  /** Which kernel computed the distances: the WebAssembly or JS one of distances.ts, or the native Gram products (src/native/nativeGram.ts, the compute pool's). */
  kernel: KernelKind | 'native';
  /** Where the time went, when measured (the parallel engine reports it). */
  timingsMs?: { distances: number; neighbours: number; entropy: number };
}

/**
 * Inter-sample entropy `H(X)` of `n` samples of `d` values each (paper 4.4.1, equations 4–7;
 * estimators.md), single-threaded. The parallel engine in src/compute runs the same stages on
 * several cores for large sets.
 */
export function interSampleEntropy(
  values: ArrayLike<number>,
  n: number,
  d: number,
  options: { k?: number; kernel?: KernelKind } = {},
): InterSampleResult {
  const K = neighbourCount(n, options.k ?? DEFAULT_K);
  checkPairwiseSize({ kind: 'inter', n, k: K }, 'inter-sample entropy');
  const clean = cleanSamples(values, n, d);
  const base = { n, K, nonFiniteCount: clean.nonFiniteCount, droppedCoordinates: clean.droppedCoordinates };
  if (K < 2) return { ...base, entropyBits: undefined, undefinedReason: 'too-few-samples', kernel: options.kernel ?? 'js' };
  const kernel = new DistanceKernel(clean.data, n, clean.d, options.kernel);
  const indices = new Int32Array(n * K);
  const weights = new Float64Array(n * K);
  conditionalRows(kernel, 0, n, K, indices, weights);
  kernel.dispose();
  return { ...base, ...neighbourEntropy(n, K, indices, weights), kernel: kernel.kind };
}

/**
 * Stage 2 for rows `[r0, r1)`: distances to every sample, block by block, then each row's
 * neighbours and weights written at `(i - r0) * K` of `indices`/`weights`.
 */
export function conditionalRows(
  kernel: DistanceKernel,
  r0: number,
  r1: number,
  K: number,
  indices: Int32Array,
  weights: Float64Array,
): void {
  const { n } = kernel;
  const band = new Float64Array(BLOCK_ROWS * n);
  const selector = new NeighbourSelector(n, K);
  const blocks: number[] = [];
  for (let i0 = r0; i0 < r1; i0 += BLOCK_ROWS) {
    for (let j0 = 0; j0 < n; j0 += BLOCK_ROWS) blocks.push(i0, Math.min(r1, i0 + BLOCK_ROWS), j0, Math.min(n, j0 + BLOCK_ROWS));
  }
  // Blocks arrive in list order: a band of rows is complete with its last column block.
  kernel.tiles(blocks, (block, i0, i1, j0, j1) => {
    for (let i = i0; i < i1; i++) band.set(block.subarray((i - i0) * BLOCK_ROWS, (i - i0) * BLOCK_ROWS + (j1 - j0)), (i - i0) * n + j0);
    if (j1 === n) for (let i = i0; i < i1; i++) selector.select(band, (i - i0) * n, i, indices, weights, (i - r0) * K);
  });
}
