/**
 * The binned pair distances of one channel (channel capacity steps 1–2, estimators.md) at twice
 * the speed of the float64 distance kernel, with exactly its codes: the dot products are computed
 * in float32 (wasm/gram32.wat, four lanes per SIMD step instead of two), each pair's float64
 * distance is bounded from them with a proven error bound, and only the pairs whose bin that
 * bound leaves open — near a bin edge, or candidates for the range's minimum or maximum — are
 * recomputed in float64 in the float64 kernel's summation order (distances.ts: even and odd
 * coordinates in two sums, then added; gram32.wat `exact64`, and `norms64` for the norms), which
 * gives the float64 kernel's distance bit for bit.
 *
 * The bound. For float32 samples (exact in float64), let `g` be the exact dot product of rows
 * `i` and `j`, `g32` this kernel's and `g64` the float64 kernel's. In any order of summation,
 * a computed sum of products is `Σ x_ik·x_jk·(1 + θ_k)` with `|θ_k| ≤ γ(m_k)`, `m_k` the roundings
 * product k goes through (its own, then every addition it is part of), `γ(m) = m·u / (1 − m·u)`.
 * In the float32 kernel a product goes through at most `D/4 + 3` (D padded to a multiple of 8):
 * its own rounding, the `D/4` additions of its lane, and the two of `(l0 + l2) + (l1 + l3)`; a
 * fused multiply-add only merges a product's rounding into its addition's, so the same bound
 * holds for the kernel with or without fusion. In the float64 kernel, fewer than `m = D + 8`. So
 * `|g32 − g| ≤ γ32(D/4 + 3)·Σ|x_ik·x_jk|` and `|g64 − g| ≤ γ64(m)·Σ|x_ik·x_jk|` (u = 2⁻²⁴,
 * 2⁻⁵³), `Σ|x_ik·x_jk| ≤ |x_i|·|x_j|` (Cauchy–Schwarz), plus `m·2⁻¹⁴⁹` per sum for float32
 * products and sums that fall below the normal range. (Counting a lane's `D/4` additions rather
 * than `D` makes the bound four times tighter: on the 64-channel ReLU layers of 16×16 maps of
 * examples/cifar-cnn.ts, a quarter of the pairs are left open and recomputed, and no channel has
 * so many that it falls back to the float64 kernel.) A pair built so that every float32 addition
 * rounds down by almost half a unit reaches a sixth of the distance
 * bound (test/unit/analysis/distanceCodes.test.ts); random values stay far below it. The squared distance
 * `(|x_i|² + |x_j|²) − 2g` computed in float64 from either differs by `2|g32 − g64|` plus its own
 * roundings (at most `3·2⁻⁵³·(|x_i|² + |x_j|²)` together), and `|√a − √b| ≤ |a − b| / √a` and
 * `≤ √|a − b|`. The bound is inflated a little against its own roundings. A row of zeros has an
 * exact dot product in both kernels, so pairs with one get the float64 distance directly.
 *
 * The dot products may use fused multiply-adds (wasm/gram32Fma.wat, where the engine compiles
 * relaxed SIMD): the bound above holds with or without, so the codes do not depend on it.
 *
 * Bins are decided in the kernel (gram32.wat `binRow`, every row in one `binRows` call): `binOf` (binning.ts) is monotone, every
 * step being a correctly rounded operation with a fixed operand, so when the bins of the ends of
 * a pair's interval `[max(v − e, lo), min(v + e, hi)]` agree, that is the bin of its float64
 * distance; the others are recomputed. The range `lo`, `hi` is exact too: only pairs whose
 * interval reaches below every other pair's upper end (or above every lower end) can hold it.
 */
import { bytes as gram32FmaWasmBytes } from './wasm/gram32FmaWasm';
import { bytes as gram32WasmBytes } from './wasm/gram32Wasm';
import { compiledOnce, engineValidates, growTo, hasWebAssembly, instantiate, KernelMemory } from './wasmModules';

interface Gram32Exports {
  memory: KernelMemory;
  dist32(x: number, d: number, i0: number, i1: number, j0: number, j1: number, norms: number, out: number, ldo: number): void;
  binRows(
    dist: number,
    n: number,
    norms: number,
    roots: number,
    codes: number,
    lo: number,
    hi: number,
    bins: number,
    c0: number,
    c1: number,
    c2: number,
    tally: number,
  ): void;
  minMax(ptr: number, count: number, out: number): void;
  outside(ptr: number, count: number, lo: number, hi: number, out: number): number;
  norms64(x: number, d: number, n: number, out: number): void;
  exact64(x: number, d: number, i: number, j: number, ni: number, nj: number): number;
}

/**
 * Rows of distances computed per kernel call (a band of the upper triangle): a multiple of 4 (the
 * columns' tiles start at the band's first row) and of 6 (the kernels' tiles take 2 rows, or 3
 * with fused multiply-adds).
 */
const BAND_ROWS = 24;
/** Widest samples screened: beyond, the worst-case float32 bound leaves too many pairs to recompute. */
const MAX_SCREENED_D = 4096;
/** Most inputs screened: the kernel's memory (kept by the thread for reuse) holds every pair's distance. */
const MAX_SCREENED_N = 2048;
/** Most recomputed pairs, as a share of all, before the screening gives up for the float64 kernel. */
const MAX_RECOMPUTED_SHARE = 1 / 16;
/** Recomputed pairs always allowed (a small channel costs little either way). */
const FREE_RECOMPUTED = 256;
/** Largest squared norm of a sample whose float32 dot products cannot overflow (float32 tops out near 2¹²⁸). */
const MAX_SQUARED_NORM = 2 ** 120;
/** Rows of zeros are left out of the kernel when at least 1 in this many rows is one. */
const PACKED_ZERO_SHARE = 16;
/** The code binRow writes for a pair whose bin its bound leaves open. */
const OPEN = 255;

/** This thread's kernel, and the same with wasm/gram32Fma.wat's fused `dist32` where the engine compiles it. */
let gram32: { plain: Gram32Exports; fused: Gram32Exports | undefined } | null | undefined;
let fusedWanted = true;

const compileGram32Module = compiledOnce(gram32WasmBytes);
const compileGram32FmaModule = compiledOnce(gram32FmaWasmBytes);

/**
 * This thread's float32 distance kernel, or undefined where WebAssembly SIMD is missing: with
 * fused multiply-adds (wasm/gram32Fma.wat) where the engine validates relaxed SIMD when the kernel
 * is first needed — Node 20 only behind a flag, which the compute workers turn on
 * (`fusedScreeningNeedsFlag`) — else without. Both give the same codes.
 */
function gram32Kernel(): Gram32Exports | undefined {
  if (gram32 === undefined) {
    const module = compileGram32Module();
    if (module) {
      const plain = instantiate<Gram32Exports>(module);
      // Validated first: compiling a module the engine rejects would only throw.
      const fmaModule = engineValidates(gram32FmaWasmBytes) ? compileGram32FmaModule() : null;
      const fma = fmaModule ? instantiate<Pick<Gram32Exports, 'dist32'>>(fmaModule, { env: { memory: plain.memory } }) : undefined;
      gram32 = { plain, fused: fma ? { ...plain, dist32: fma.dist32 } : undefined };
    } else gram32 = null;
  }
  if (!gram32) return undefined;
  return (fusedWanted ? gram32.fused : undefined) ?? gram32.plain;
}

/**
 * Whether this WebAssembly engine compiles the fused screening kernel (wasm/gram32Fma.wat) only
 * once V8's --experimental-wasm-relaxed-simd is on (Node 20): a Node entry point that screens
 * distance codes turns the flag on, before the first screening, when this says so. The analysis
 * core itself sets no engine flag (no Node API here).
 */
export function fusedScreeningNeedsFlag(): boolean {
  return hasWebAssembly() && !engineValidates(gram32FmaWasmBytes);
}

/**
 * Whether the screening uses fused multiply-adds where the engine has them (the default); false
 * runs the unfused kernel, for comparing the two (both give the same codes). Returns whether the
 * fused kernel is available on this thread.
 */
export function useFusedScreening(enabled: boolean): boolean {
  fusedWanted = enabled;
  gram32Kernel();
  return gram32?.fused !== undefined;
}

function reserve(kernel: Gram32Exports, bytes: number): ArrayBuffer {
  return growTo(kernel.memory, bytes);
}

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * Bins the Euclidean distances of all pairs `m < k` of `n` finite float32 samples of `d` values
 * (condensed upper-triangle order) into `codes` on their own min–max range, as
 * `binDistances(condensedDistances(…))` in capacity.ts does, and returns the bin counts; or
 * `undefined` when this path does not apply (no WebAssembly SIMD, more than 255 bins, samples too
 * wide, too large or too many, a non-finite value, fewer than 2 samples, or too many pairs near
 * bin edges): the caller then
 * takes the float64 kernel, which overwrites every code. `maxRecomputedShare` bounds the pairs
 * recomputed in float64 before giving up (tests set 1 to recompute whatever it takes).
 */
export function screenedDistanceCodes(
  x: Float32Array,
  n: number,
  d: number,
  bins: number,
  codes: Uint8Array | Uint16Array,
  maxRecomputedShare = MAX_RECOMPUTED_SHARE,
): Float64Array | undefined {
  const pairs = (n * (n - 1)) / 2;
  const maxRecomputed = pairs * maxRecomputedShare + FREE_RECOMPUTED;
  if (n < 2 || n > MAX_SCREENED_N || d < 1 || d > MAX_SCREENED_D || bins >= OPEN || x.length < n * d) return undefined;
  const kernel = gram32Kernel();
  if (!kernel) return undefined;

  const screened = screenDistances(kernel, x, n, d);
  if (!screened) return undefined;
  const { mem, dist, norms, roots, nMax, c0, c1, c2, normsAt, rootsAt, distAt, codesAt, tallyAt, listAt, exact } = screened;
  const wasmCodes = new Uint8Array(mem, codesAt, pairs + 2);
  kernel.minMax(distAt, pairs, tallyAt);
  const [vMin, vMax] = new Float64Array(mem, tallyAt, 2);

  // The range: the exact least and greatest distances, among the pairs that could hold them.
  // Every pair's bound is at most √esq of the largest norms, so only pairs that close to the
  // smallest or largest screened distance are looked at. A pair with a row of zeros has its
  // float64 distance already (both kernels' dot products are exactly 0).
  const eMax = Math.sqrt(c1 * nMax + c0 + c2 * 2 * nMax) * (1 + 2 ** -10) + vMax * 2 ** -50;
  const nearLo = vMin + 2 * eMax;
  const nearHi = vMax - 2 * eMax;
  const found = kernel.outside(distAt, pairs, nearLo, nearHi, listAt);
  if (found === pairs && boundedPairs(roots, n) > DEGENERATE_SHARE * maxRecomputed) return undefined;
  const range = exactRange(exact, n, dist, norms, roots, new Int32Array(mem, listAt, found), c0, c1, c2, maxRecomputed);
  if (!range) return undefined;
  const { lo, hi } = range;

  const counts = new Float64Array(bins);
  if (hi === lo) {
    codes.fill(0, 0, pairs);
    counts[0] = pairs;
    return counts;
  }
  // Pass 2: bins decided by the bound in the kernel; the float64 distance where it leaves them open.
  const tally = new Int32Array(mem, tallyAt, 2 * 256);
  tally.fill(0);
  kernel.binRows(distAt, n, normsAt, rootsAt, codesAt, lo, hi, bins, c0, c1, c2, tallyAt);
  if (tally[OPEN] + tally[256 + OPEN] > maxRecomputed) return undefined;
  for (let b = 0; b < bins; b++) counts[b] = tally[b] + tally[256 + b];
  codes.set(wasmCodes.subarray(0, pairs));
  for (let p = wasmCodes.indexOf(OPEN), i = 0, rowStart = 0; p >= 0 && p < pairs; p = wasmCodes.indexOf(OPEN, p + 1)) {
    while (p >= rowStart + n - 1 - i) rowStart += n - 1 - i++;
    const b = binOf64(exact(i, i + 1 + p - rowStart), lo, hi, bins);
    codes[p] = b;
    counts[b]++;
  }
  return counts;
}

/** Pass 1 of `screenedDistanceCodes`: the kernel's memory laid out, the norms, the bound's constants and every pair's screened distance. */
interface Screened {
  mem: ArrayBuffer;
  /** Every pair's screened distance in condensed order, one spare entry. */
  dist: Float64Array;
  norms: Float64Array;
  roots: Float64Array;
  nMax: number;
  c0: number;
  c1: number;
  c2: number;
  normsAt: number;
  rootsAt: number;
  distAt: number;
  codesAt: number;
  tallyAt: number;
  /** Room for one i32 pair index per pair (`exactRange`'s candidates). */
  listAt: number;
  /** The float64 kernel's distance of samples `i` and `j`, neither a row of zeros (the kernel's `exact64`). */
  exact: (i: number, j: number) => number;
}

/**
 * Lays out the kernel's memory, computes the norms in the float64 kernel's order and the bound's
 * constants, and every pair's screened distance (pass 1); undefined when a sample holds a
 * non-finite value or is too large for float32 products.
 */
function screenDistances(kernel: Gram32Exports, x: Float32Array, n: number, d: number): Screened | undefined {
  const pairs = (n * (n - 1)) / 2;
  const dPad = Math.ceil(d / 8) * 8;
  // Room for the rows past n that a band's last tiles read (a band's rows are rounded up to a multiple of 6).
  const nPad = Math.ceil(n / 4) * 4 + 8;
  // Memory: [samples nPad × dPad float32][norms][roots][the kernel's rows' norms][a band of
  // distances][every pair's distance, one spare][every pair's code, one spare].
  const normsAt = align(nPad * dPad * 4);
  const rootsAt = normsAt + nPad * 8;
  const kernelNormsAt = rootsAt + nPad * 8;
  const bandAt = kernelNormsAt + nPad * 8;
  const distAt = bandAt + BAND_ROWS * nPad * 8;
  const codesAt = align(distAt + (pairs + 2) * 8);
  const tallyAt = align(codesAt + pairs + 2);
  const listAt = align(tallyAt + 2 * 256 * 4 + 16);
  const mem = reserve(kernel, listAt + pairs * 4 + 16);
  const xs = new Float32Array(mem, 0, nPad * dPad);
  const norms = new Float64Array(mem, normsAt, nPad);
  const roots = new Float64Array(mem, rootsAt, nPad);
  const kernelNorms = new Float64Array(mem, kernelNormsAt, nPad);
  const band = new Float64Array(mem, bandAt, BAND_ROWS * nPad);
  const dist = new Float64Array(mem, distAt, pairs + 2);

  // Norms in the float64 kernel's order. A NaN or ±Infinity makes a norm NaN or Infinity: such
  // samples are the float64 path's to clean. Every float32 partial sum is at most
  // |x_i||x_j|·(1 + γ) ≤ nMax·(1 + γ): far below float32's largest value.
  xs.fill(0);
  norms.fill(0);
  roots.fill(0);
  kernelNorms.fill(0);
  // Every row in place first (row i at i·dPad), for the kernel's norms; packed below.
  if (d === dPad) xs.set(x.subarray(0, n * d));
  else for (let i = 0; i < n; i++) xs.set(x.subarray(i * d, i * d + d), i * dPad);
  const nMax = normsAndRoots(kernel, n, dPad, normsAt, norms, roots);
  if (!(nMax < MAX_SQUARED_NORM)) return undefined;

  // Rows of zeros (a ReLU channel's inputs that activate nothing: a fifth to a quarter of them in
  // examples/cifar-cnn.ts) have the dot product exactly 0 with every row, in both kernels, so a
  // pair with one has the distance √((|x_i|² + |x_j|²) − 2·0) = the other row's root: where they
  // are many, only the other rows go through the kernel, packed (`kernelRow[i]`, −1 for a row of
  // zeros; a zero squared norm means a row of zeros, as every non-zero float32 squares to more
  // than 0 in float64).
  let zeroRows = 0;
  for (let i = 0; i < n; i++) if (norms[i] === 0) zeroRows++;
  const pack = zeroRows >= n / PACKED_ZERO_SHARE;
  const kernelRow = new Int32Array(n);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if (pack && norms[i] === 0) {
      kernelRow[i] = -1;
      continue;
    }
    kernelRow[i] = rows;
    // Forward, so a row moves only over rows already moved or dropped.
    if (rows !== i) xs.copyWithin(rows * dPad, i * dPad, i * dPad + dPad);
    kernelNorms[rows++] = norms[i];
  }
  // The kernel reads whole tiles: the rows past the packed ones are zeros.
  if (rows < n) xs.fill(0, rows * dPad, n * dPad);
  const exact = (i: number, j: number) => kernel.exact64(0, dPad, kernelRow[i], kernelRow[j], norms[i], norms[j]);

  const m = dPad + 8;
  const gamma = (k: number, u: number) => (k * u) / (1 - k * u);
  // |sq32 − sq64| ≤ c1·|x_i||x_j| + c0 + c2·(|x_i|² + |x_j|²), each inflated against its own rounding.
  const c1 = 2 * (gamma(dPad / 4 + 3, 2 ** -24) + gamma(m, 2 ** -53)) * (1 + 2 ** -20);
  const c0 = 2 * m * 2 ** -149 * 2;
  const c2 = 4 * 2 ** -53;

  // Pass 1: each pair's screened distance, band by band (kernel rows [i0, i1), i0 a multiple of
  // 4, against the kernel rows from i0 on), copied to the condensed order.
  const band32 = (i0: number, i1: number) =>
    kernel.dist32(0, dPad, i0, i0 + Math.ceil((i1 - i0) / 6) * 6, i0, Math.ceil(rows / 4) * 4, kernelNormsAt, bandAt, nPad);
  if (!pack) {
    for (let i0 = 0, p = 0; i0 < n; i0 += BAND_ROWS) {
      const i1 = Math.min(n, i0 + BAND_ROWS);
      band32(i0, i1);
      for (let i = i0; i < i1; i++) {
        const at = (i - i0) * nPad - i0;
        dist.set(band.subarray(at + i + 1, at + n), p);
        p += n - 1 - i;
      }
    }
  } else {
    for (let i = 0, p = 0, i0 = 0, i1 = 0; i < n; p += n - 1 - i, i++) {
      const q = kernelRow[i];
      if (q < 0) {
        dist.set(roots.subarray(i + 1, n), p);
        continue;
      }
      if (q >= i1) {
        i0 = q - (q % BAND_ROWS);
        i1 = Math.min(rows, i0 + BAND_ROWS);
        band32(i0, i1);
      }
      const at = (q - i0) * nPad - i0;
      const withZeros = roots[i];
      for (let j = i + 1, out = p; j < n; j++, out++) {
        const r = kernelRow[j];
        dist[out] = r >= 0 ? band[at + r] : withZeros;
      }
    }
  }
  dist[pairs] = 0;
  return { mem, dist, norms, roots, nMax, c0, c1, c2, normsAt, rootsAt, distAt, codesAt, tallyAt, listAt, exact };
}

/**
 * Every pair's screened distance and the error bound the screening trusts it to (binRow's
 * arithmetic, `pairBound`), in condensed order; undefined where the screening does not apply. For
 * tests: the float64 distance of every pair must lie within its bound.
 */
export function screenedDistanceBounds(
  x: Float32Array,
  n: number,
  d: number,
): { distances: Float64Array; bounds: Float64Array } | undefined {
  const kernel = gram32Kernel();
  if (!kernel || n < 2 || n > MAX_SCREENED_N || d < 1 || d > MAX_SCREENED_D || x.length < n * d) return undefined;
  const screened = screenDistances(kernel, x, n, d);
  if (!screened) return undefined;
  const { dist, norms, roots, c0, c1, c2 } = screened;
  const pairs = (n * (n - 1)) / 2;
  const distances = dist.slice(0, pairs);
  const bounds = new Float64Array(pairs);
  for (let i = 0, p = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, p++) bounds[p] = pairBound(roots[i] * roots[j], norms[i] + norms[j], distances[p], c0, c1, c2);
  }
  return { distances, bounds };
}

/**
 * `|x_i|²` of every sample in the float64 kernel's order (the kernel's `norms64`, summing as
 * distances.ts `squaredNorms` does) into `norms` (the kernel's memory at `normsAt`), their square
 * roots into `roots`; returns the largest, or NaN when a sample holds a non-finite value.
 */
function normsAndRoots(kernel: Gram32Exports, n: number, dPad: number, normsAt: number, norms: Float64Array, roots: Float64Array): number {
  kernel.norms64(0, dPad, n, normsAt);
  let nMax = 0;
  for (let i = 0; i < n; i++) {
    const norm = norms[i];
    if (!(norm < Infinity)) return NaN;
    roots[i] = Math.sqrt(norm);
    if (norm > nMax) nMax = norm;
  }
  return nMax;
}

/**
 * The exact least and greatest float64 distances. Only pairs whose screened distance lies outside
 * the band `(vMin + 2·eMax, vMax − 2·eMax)` can hold them: `outside` lists them (their condensed
 * indices, ascending; the kernel's `outside` finds them two at a time). Of those, a pair with a
 * row of zeros has its float64 distance already (both kernels' dot products are exactly 0), and
 * the others whose bounded interval reaches below every upper end (or above every lower end) are
 * recomputed — undefined when more than `maxRecomputed` would be.
 */
/**
 * Every pair near the least or the greatest distance (the distances all lie within the screen's
 * error of each other: a near-constant channel) and more pairs with a bound than this many times
 * the pairs it may recompute: the float64 path at once. Bounding them one by one to find the
 * range would recompute more than it may and give up: in 40 s of the MobileNetV2 example's
 * findings, 12,812 of the 12,836 channels this declines did (≈ 10 ms each at 200 inputs, in
 * vain). The float64 path gives the same codes, so this only chooses the faster way.
 */
const DEGENERATE_SHARE = 4;

/** The pairs of `n` samples with a bound (`pairBound`: neither a row of zeros, whose root is 0). */
function boundedPairs(roots: Float64Array, n: number): number {
  let nonzero = 0;
  for (let i = 0; i < n; i++) if (roots[i] !== 0) nonzero++;
  return (nonzero * (nonzero - 1)) / 2;
}

function exactRange(
  exact: (i: number, j: number) => number,
  n: number,
  dist: Float64Array,
  norms: Float64Array,
  roots: Float64Array,
  outside: Int32Array,
  c0: number,
  c1: number,
  c2: number,
  maxRecomputed: number,
): { lo: number; hi: number } | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  let minUpper = Infinity;
  let maxLower = -Infinity;
  // A pair's row `i` and column `j` follow from its index: the list ascends, so the row only moves forward.
  const m = outside.length;
  const rowOf = new Int32Array(m);
  const columnOf = new Int32Array(m);
  const bound = new Float64Array(m);
  for (let t = 0, i = 0, rowStart = 0; t < m; t++) {
    const p = outside[t];
    while (p >= rowStart + n - 1 - i) rowStart += n - 1 - i++;
    const j = i + 1 + p - rowStart;
    const v = dist[p];
    const e = pairBound(roots[i] * roots[j], norms[i] + norms[j], v, c0, c1, c2);
    rowOf[t] = i;
    columnOf[t] = j;
    bound[t] = e;
    if (e === 0) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (v + e < minUpper) minUpper = v + e;
    if (v - e > maxLower) maxLower = v - e;
  }
  let recomputed = 0;
  for (let t = 0; t < m; t++) {
    const v = dist[outside[t]];
    const e = bound[t];
    if (e === 0 || !(v - e <= minUpper || v + e >= maxLower)) continue;
    if (++recomputed > maxRecomputed) return undefined;
    const w = exact(rowOf[t], columnOf[t]);
    if (w < lo) lo = w;
    if (w > hi) hi = w;
  }
  return { lo, hi };
}

/** The error bound of a screened distance `v` (binRow's arithmetic); 0 when a row is all zeros (`rr` = 0). */
function pairBound(rr: number, normSum: number, v: number, c0: number, c1: number, c2: number): number {
  if (rr === 0) return 0;
  const esq = c1 * rr + c0 + c2 * normSum;
  return (v * v >= esq ? esq / v : Math.sqrt(esq)) * (1 + 2 ** -20) + v * 2 ** -50;
}

/** binning.ts `binOf` for `hi > lo`, written out so this module's hot loop inlines it. */
function binOf64(v: number, lo: number, hi: number, bins: number): number {
  const z = ((v - lo) / (hi - lo)) * 2 - 1;
  const b = Math.floor(((z + 1) / 2) * bins);
  return b < bins - 1 ? b : bins - 1;
}
