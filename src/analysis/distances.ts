/**
 * Pairwise Euclidean distances between samples, the input of the inter-sample entropy (paper
 * 4.4.1, equation 4) and of the channel capacity (paper 5.3.1). Distances come from dot products,
 * `d²_ij = |x_i|² + |x_j|² - 2 x_i·x_j`, computed in float64 by a SIMD WebAssembly kernel
 * (wasm/gram.wat; a plain-JS kernel with the same summation order stands in where WebAssembly
 * SIMD is missing). Identical samples get distance exactly 0, because the kernel and the norms
 * sum in the same order.
 */
import { bytes as gramWasmBytes } from './wasm/gramWasm';

/** Row-major float64 samples `[n, d]` with non-finite coordinates dropped (estimators.md). */
export interface CleanSamples {
  n: number;
  d: number;
  data: Float64Array;
  /** Non-finite values found in the input. */
  nonFiniteCount: number;
  /** Coordinates removed because some sample had a non-finite value there. */
  droppedCoordinates: number;
}

/**
 * Copies `n` samples of `d` values to float64, dropping every coordinate in which any sample has
 * NaN or ±Infinity (estimators.md "Numbers and bad data": such values are dropped from distances
 * and counted). `allocate` lets a caller place the copy (e.g. in shared memory). Dropping the coordinate for all samples, rather than per pair, keeps the distance
 * a true Euclidean metric on the remaining coordinates.
 */
export function cleanSamples(
  values: ArrayLike<number>,
  n: number,
  d: number,
  allocate: (length: number) => Float64Array = (length) => new Float64Array(length),
): CleanSamples {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`sample count must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(d) || d < 0) throw new RangeError(`sample size must be a non-negative integer, got ${d}`);
  if (values.length !== n * d) throw new RangeError(`${n} samples of ${d} values need ${n * d} values, got ${values.length}`);
  let nonFiniteCount = 0;
  let bad: Uint8Array | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      nonFiniteCount++;
      (bad ??= new Uint8Array(d))[i % d] = 1;
    }
  }
  if (!bad) {
    const data = allocate(values.length);
    data.set(values);
    return { n, d, data, nonFiniteCount: 0, droppedCoordinates: 0 };
  }
  const keep: number[] = [];
  for (let j = 0; j < d; j++) if (!bad[j]) keep.push(j);
  const data = allocate(n * keep.length);
  for (let i = 0, o = 0; i < n; i++) for (const j of keep) data[o++] = values[i * d + j];
  return { n, d: keep.length, data, nonFiniteCount, droppedCoordinates: d - keep.length };
}

interface GramExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  gram(x: number, d: number, i0: number, i1: number, j0: number, j1: number, out: number, ldo: number): void;
}

interface MinimalWebAssembly {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

let wasmModule: object | null | undefined;

function compileGramModule(): object | null {
  if (wasmModule !== undefined) return wasmModule;
  const wasm = (globalThis as unknown as { WebAssembly?: MinimalWebAssembly }).WebAssembly;
  try {
    wasmModule = wasm ? new wasm.Module(gramWasmBytes) : null;
  } catch {
    wasmModule = null; // no SIMD support: the JS kernel below takes over
  }
  return wasmModule;
}

/**
 * WebAssembly memories never shrink, and a fresh instance per call would leave several large ones
 * waiting for the garbage collector: disposed kernels return their instance here for reuse.
 */
const freeInstances: GramExports[] = [];

function acquireInstance(module: object, bytes: number): GramExports {
  const at = freeInstances.findIndex((e) => e.memory.buffer.byteLength >= bytes);
  const exports =
    at >= 0
      ? freeInstances.splice(at, 1)[0]
      : (new (globalThis as unknown as { WebAssembly: MinimalWebAssembly }).WebAssembly.Instance(module, {}).exports as GramExports);
  const missing = bytes - exports.memory.buffer.byteLength;
  if (missing > 0) exports.memory.grow(Math.ceil(missing / 65536));
  return exports;
}

/** Which dot-product kernel runs: `wasm-simd` normally, `js` where WebAssembly SIMD is missing. */
export type KernelKind = 'wasm-simd' | 'js';

/** Largest WebAssembly memory the kernel asks for; 32-bit addressing caps it at 4 GiB. */
const MAX_WASM_BYTES = 3.5 * 1024 ** 3;
/** Rows per block written to scratch memory. */
export const BLOCK_ROWS = 64;

/**
 * A set of samples loaded for repeated distance queries: `distances(i0, i1, j0, j1, out)` fills
 * a block of the Euclidean distance matrix. Holds one float64 copy of the samples.
 */
export class DistanceKernel {
  readonly n: number;
  readonly d: number;
  readonly kind: KernelKind;
  /** `|x_i|²`, summed in the kernel's order. */
  readonly squaredNorms: Float64Array;
  private readonly dPad: number;
  private readonly nPad: number;
  private exports?: GramExports;
  private readonly x: Float64Array;
  private readonly outPtr: number;
  private readonly outCapacity: number;

  /**
   * Loads `n` samples of `d` float64 values (already cleaned of non-finite values). `force`
   * selects a kernel (tests compare both); by default WebAssembly SIMD when available.
   */
  constructor(samples: Float64Array, n: number, d: number, force?: KernelKind) {
    this.n = n;
    this.d = d;
    this.dPad = Math.max(4, Math.ceil(d / 4) * 4);
    this.nPad = Math.max(4, Math.ceil(n / 4) * 4);
    const module = force === 'js' ? null : compileGramModule();
    if (force === 'wasm-simd' && !module) throw new Error('WebAssembly SIMD is not available in this runtime');
    const xBytes = this.nPad * this.dPad * 8;
    const outCount = (BLOCK_ROWS + 2) * this.nPad;
    if (module && xBytes + outCount * 8 <= MAX_WASM_BYTES) {
      const exports = acquireInstance(module, xBytes + outCount * 8);
      this.exports = exports;
      this.x = new Float64Array(exports.memory.buffer, 0, this.nPad * this.dPad);
      this.outPtr = xBytes;
      this.kind = 'wasm-simd';
    } else {
      this.x = new Float64Array(this.nPad * this.dPad);
      this.outPtr = 0;
      this.kind = 'js';
    }
    this.outCapacity = outCount;
    const { x, dPad } = this;
    // Reused memory may hold old values: padding must be zero for the tiles to be exact.
    if (this.exports) x.fill(0);
    for (let i = 0; i < n; i++) x.set(samples.subarray(i * d, i * d + d), i * dPad);
    this.squaredNorms = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // Same order as the kernel: even and odd coordinates in two running sums, then added.
      let even = 0;
      let odd = 0;
      for (let k = i * dPad, end = k + dPad; k < end; k += 2) {
        even += x[k] * x[k];
        odd += x[k + 1] * x[k + 1];
      }
      this.squaredNorms[i] = even + odd;
    }
  }

  /** Hands the WebAssembly instance back for reuse; the kernel must not be used afterwards. */
  dispose(): void {
    if (this.exports && !freeInstances.includes(this.exports)) freeInstances.push(this.exports);
    this.exports = undefined;
  }

  /**
   * Euclidean distances of rows `[i0, i1)` against columns `[j0, j1)` into
   * `out[outOffset + (i - i0) * ldo + (j - j0)]`. At most BLOCK_ROWS rows per call.
   */
  distances(i0: number, i1: number, j0: number, j1: number, out: Float64Array, outOffset = 0, ldo = j1 - j0): void {
    if (i1 - i0 > BLOCK_ROWS) throw new RangeError(`at most ${BLOCK_ROWS} rows per block`);
    if (i0 >= i1 || j0 >= j1) return;
    // Tiles are 2 rows × 4 columns, aligned; the padded rows exist and are zero.
    const ti0 = i0 & ~1;
    const ti1 = Math.min(this.nPad, (i1 + 1) & ~1);
    const tj0 = j0 & ~3;
    const tj1 = Math.min(this.nPad, (j1 + 3) & ~3);
    const width = tj1 - tj0;
    let gram: Float64Array;
    if (this.exports) {
      if ((ti1 - ti0) * width > this.outCapacity) throw new RangeError('distance block larger than scratch memory');
      this.exports.gram(0, this.dPad, ti0, ti1, tj0, tj1, this.outPtr, width);
      gram = new Float64Array(this.exports.memory.buffer, this.outPtr, (ti1 - ti0) * width);
    } else {
      gram = new Float64Array((ti1 - ti0) * width);
      gramJs(this.x, this.dPad, ti0, ti1, tj0, tj1, gram, width);
    }
    const norms = this.squaredNorms;
    for (let i = i0; i < i1; i++) {
      const ni = norms[i];
      const g = (i - ti0) * width - tj0;
      const o = outOffset + (i - i0) * ldo - j0;
      for (let j = j0; j < j1; j++) {
        const sq = ni + norms[j] - 2 * gram[g + j];
        out[o + j] = i === j || sq <= 0 ? 0 : Math.sqrt(sq);
      }
    }
  }
}

/** The plain-JS twin of wasm/gram.wat, summing in the same order (even/odd lanes). */
function gramJs(x: Float64Array, d: number, i0: number, i1: number, j0: number, j1: number, out: Float64Array, ldo: number): void {
  for (let i = i0; i < i1; i++) {
    const a = i * d;
    for (let j = j0; j < j1; j++) {
      const b = j * d;
      let even = 0;
      let odd = 0;
      for (let k = 0; k < d; k += 2) {
        even += x[a + k] * x[b + k];
        odd += x[a + k + 1] * x[b + k + 1];
      }
      out[(i - i0) * ldo + (j - j0)] = even + odd;
    }
  }
}

/**
 * All pairwise distances of `n` samples as a full symmetric `n × n` matrix (zero diagonal),
 * computing each block of the upper triangle once.
 */
export function distanceMatrix(kernel: DistanceKernel): Float64Array {
  const { n } = kernel;
  const out = new Float64Array(n * n);
  const block = new Float64Array(BLOCK_ROWS * BLOCK_ROWS);
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) {
      const j1 = Math.min(n, j0 + BLOCK_ROWS);
      kernel.distances(i0, i1, j0, j1, block, 0, BLOCK_ROWS);
      mirrorBlock(block, BLOCK_ROWS, out, n, i0, i1, j0, j1);
    }
  }
  return out;
}

/** Writes a distance block at (i, j) and its transpose at (j, i) of a full `n × n` matrix. */
export function mirrorBlock(block: Float64Array, ldb: number, out: Float64Array, n: number, i0: number, i1: number, j0: number, j1: number): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      const v = block[(i - i0) * ldb + (j - j0)];
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
}

/**
 * The distances of all unordered pairs `m < n` in row-major order of the upper triangle
 * (`(0,1), (0,2), …, (1,2), …`), the pair list of the channel capacity (paper 5.3.1).
 */
export function condensedDistances(kernel: DistanceKernel): Float64Array {
  const { n } = kernel;
  const out = new Float64Array((n * (n - 1)) / 2);
  const block = new Float64Array(BLOCK_ROWS * n);
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    kernel.distances(i0, i1, i0, n, block, 0, n - i0);
    for (let i = i0; i < i1; i++) {
      const start = pairIndex(i, i + 1, n);
      const row = block.subarray((i - i0) * (n - i0) + (i + 1 - i0), (i - i0) * (n - i0) + (n - i0));
      out.set(row, start);
    }
  }
  return out;
}

/** Position of the pair `(m, k)`, `m < k`, in the condensed upper-triangle order of `n` samples. */
export function pairIndex(m: number, k: number, n: number): number {
  return m * n - (m * (m + 1)) / 2 + (k - m - 1);
}
