/**
 * Pairwise Euclidean distances between samples, the input of the inter-sample entropy (paper
 * 4.4.1, equation 4) and of the channel capacity (paper 5.3.1). Distances come from dot products,
 * `d²_ij = |x_i|² + |x_j|² - 2 x_i·x_j`, computed in float64 by a SIMD WebAssembly kernel
 * (wasm/gram.wat; a plain-JS kernel with the same summation order stands in where WebAssembly
 * SIMD is missing). Identical samples get distance exactly 0, because the kernel and the norms
 * sum in the same order. Samples larger than the kernel's memory budget are processed in chunks of
 * coordinates with the running sums carried across, which changes no bit.
 */
import { bytes as gramWasmBytes } from './wasm/gramWasm';
import { compiledOnce, growTo, instantiate, KernelMemory } from './wasmModules';

/** Samples as the distance kernel takes them: float32 (activations) or float64. */
export type SampleArray = Float32Array | Float64Array;

/** Row-major samples `[n, d]` with non-finite coordinates dropped (estimators.md). */
export interface CleanSamples {
  n: number;
  d: number;
  /** Float32 when the input was a Float32Array, else float64. */
  data: SampleArray;
  /** Non-finite values found in the input. */
  nonFiniteCount: number;
  /** Coordinates removed because some sample had a non-finite value there. */
  droppedCoordinates: number;
}

/**
 * Copies `n` samples of `d` values, dropping every coordinate in which any sample has NaN or
 * ±Infinity (estimators.md "Numbers and bad data": such values are dropped from distances and
 * counted). Dropping the coordinate for all samples, rather than per pair, keeps the distance a
 * true Euclidean metric on the remaining coordinates. A Float32Array stays float32 (the kernel
 * widens exactly to float64), anything else becomes float64. `allocate` lets a caller place the
 * copy (e.g. in shared memory); without it, a clean Float32Array or Float64Array is returned as
 * is, without a copy.
 */
export function cleanSamples(
  values: ArrayLike<number>,
  n: number,
  d: number,
  allocate?: (length: number, float32: boolean) => SampleArray,
): CleanSamples {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`sample count must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(d) || d < 0) throw new RangeError(`sample size must be a non-negative integer, got ${d}`);
  if (values.length !== n * d) throw new RangeError(`${n} samples of ${d} values need ${n * d} values, got ${values.length}`);
  const float32 = values instanceof Float32Array;
  const make = allocate ?? ((length: number) => (float32 ? new Float32Array(length) : new Float64Array(length)));
  // The common case, scanned by a loop that sees one array type (the general loop below reads
  // every kind of array and is several times slower per value), and copied whole when placed.
  const clean = values instanceof Float32Array ? allFinite32(values) : values instanceof Float64Array && allFinite64(values);
  if (clean) {
    if (!allocate) return { n, d, data: values as SampleArray, nonFiniteCount: 0, droppedCoordinates: 0 };
    const data = allocate(values.length, float32);
    data.set(values);
    return { n, d, data, nonFiniteCount: 0, droppedCoordinates: 0 };
  }
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
    // Any other kind of array (a plain one, say) with finite values: a typed copy.
    const data = make(values.length, float32);
    data.set(values);
    return { n, d, data, nonFiniteCount: 0, droppedCoordinates: 0 };
  }
  const keep: number[] = [];
  for (let j = 0; j < d; j++) if (!bad[j]) keep.push(j);
  const data = make(n * keep.length, float32);
  for (let i = 0, o = 0; i < n; i++) for (const j of keep) data[o++] = values[i * d + j];
  return { n, d: keep.length, data, nonFiniteCount, droppedCoordinates: d - keep.length };
}

/**
 * Whether every value is finite (float32 arrays), from the bits: a float32 is NaN or ±Infinity
 * exactly when its exponent field is all ones, and adding one to the lowest exponent bit then
 * carries into bit 31. Four values a step, one branch at the end: twice as fast as `v - v !== 0`.
 */
function allFinite32(values: Float32Array): boolean {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const EXPONENT = 0x7f800000;
  const CARRY = 0x00800000;
  const end = bits.length & ~3;
  let carried = 0;
  for (let i = 0; i < end; i += 4) {
    carried |=
      ((bits[i] & EXPONENT) + CARRY) |
      ((bits[i + 1] & EXPONENT) + CARRY) |
      ((bits[i + 2] & EXPONENT) + CARRY) |
      ((bits[i + 3] & EXPONENT) + CARRY);
  }
  for (let i = end; i < bits.length; i++) carried |= (bits[i] & EXPONENT) + CARRY;
  return (carried & 0x80000000) === 0;
}

/** Whether every value is finite (float64 arrays). */
function allFinite64(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) return false;
  }
  return true;
}

interface GramExports {
  memory: KernelMemory;
  gram(x: number, d: number, i0: number, i1: number, j0: number, j1: number, out: number, ldo: number, carry: number): void;
}

/** wasm/gram.wat compiled, or null without SIMD support: the JS kernel below takes over. */
const compileGramModule = compiledOnce(gramWasmBytes);

/**
 * WebAssembly memories never shrink, and a fresh instance per kernel would leave large ones
 * waiting for the garbage collector: a disposed kernel leaves its instance here for the next one.
 * One instance is kept, and not if a kernel grew its memory beyond that kernel's budget, so what
 * a thread keeps for good is bounded by the budgets of its kernels.
 */
let freeInstance: GramExports | undefined;

/** An instance with at least `bytes` of memory, and its memory size before this call. */
function acquireInstance(module: object, bytes: number): { exports: GramExports; sizeBefore: number } {
  const exports = freeInstance ?? instantiate<GramExports>(module);
  freeInstance = undefined;
  const sizeBefore = exports.memory.buffer.byteLength;
  growTo(exports.memory, bytes);
  return { exports, sizeBefore };
}

/** Keeps `exports` for reuse if its memory is at most `keepBytes` (rounded up to whole pages). */
function releaseInstance(exports: GramExports, keepBytes: number): void {
  const size = exports.memory.buffer.byteLength;
  if (size > Math.ceil(keepBytes / 65536) * 65536) return;
  if (!freeInstance || freeInstance.memory.buffer.byteLength < size) freeInstance = exports;
}

/** Which dot-product kernel runs: `wasm-simd` normally, `js` where WebAssembly SIMD is missing. */
export type KernelKind = 'wasm-simd' | 'js';

/** Largest WebAssembly memory the kernel asks for; 32-bit addressing caps it at 4 GiB. */
const MAX_WASM_BYTES = 3.5 * 1024 ** 3;
/** Default memory budget of a kernel's copy of the samples plus its scratch memory. */
export const DEFAULT_KERNEL_BYTES = 64 * 1024 ** 2;
/** Rows per block written to scratch memory. */
export const BLOCK_ROWS = 64;
/** Longest chunk of coordinates: 64 rows of it stay in a core's L2 cache (longer ones are no faster). */
const MAX_CHUNK = 1024;
/** Most entries of one block widened to the kernel's 2 × 4 grid. */
const MAX_BLOCK_ENTRIES = (BLOCK_ROWS + 2) * (BLOCK_ROWS + 4);

/**
 * A set of samples loaded for repeated distance queries: `distances(i0, i1, j0, j1, out)` fills
 * a block of the Euclidean distance matrix, `tiles` many blocks at once. When a float64 copy of
 * all samples fits the memory budget, the kernel holds one; otherwise it holds one chunk of
 * coordinates of every sample at a time and carries the even/odd lane sums from chunk to chunk,
 * which gives bit-identical results.
 */
export class DistanceKernel {
  readonly n: number;
  readonly d: number;
  readonly kind: KernelKind;
  /** `|x_i|²`, summed in the kernel's order. */
  readonly squaredNorms: Float64Array;
  /** Coordinates per pass: all of them (padded to 4) unless the kernel is chunked. */
  readonly chunk: number;
  /** True when the samples did not fit the budget and are processed in chunks of coordinates. */
  readonly chunked: boolean;
  private readonly dPad: number;
  private readonly nPad: number;
  /** Largest WebAssembly memory worth keeping for reuse after `dispose`. */
  private keepBytes = 0;
  private readonly samples: SampleArray;
  private exports?: GramExports;
  /** Row `r` of the current chunk at `x[r · stride]` (all coordinates, stride dPad, when unchunked). */
  private readonly x: Float64Array;
  /** Dot products (unchunked: one float64 per entry) or lane sums (chunked: two per entry). */
  private readonly scratch: Float64Array;
  /** Byte offset of `scratch` in the WebAssembly memory. */
  private readonly scratchPtr: number;
  /** Capacity of `scratch` in entries. */
  private readonly scratchEntries: number;

  /**
   * Loads `n` samples of `d` values (already cleaned of non-finite values; float32 is widened
   * exactly). `force` selects a kernel (tests compare both); by default WebAssembly SIMD when
   * available. `budgetBytes` bounds the kernel's own memory, its copy of the samples plus scratch
   * (exceeded only when even chunks of 4 coordinates would not fit; `Infinity` never chunks).
   */
  constructor(samples: SampleArray, n: number, d: number, force?: KernelKind, budgetBytes = DEFAULT_KERNEL_BYTES) {
    if (samples.length < n * d) throw new RangeError(`${n} samples of ${d} values need ${n * d} values, got ${samples.length}`);
    this.n = n;
    this.d = d;
    this.samples = samples;
    this.dPad = Math.max(4, Math.ceil(d / 4) * 4);
    this.nPad = Math.max(4, Math.ceil(n / 4) * 4);
    this.squaredNorms = squaredNorms(samples, n, d);
    const module = force === 'js' ? null : compileGramModule();
    if (force === 'wasm-simd' && !module) throw new Error('WebAssembly SIMD is not available in this runtime');
    const { nPad, dPad } = this;
    const outCount = (BLOCK_ROWS + 2) * nPad;
    let xBytes: number;
    if (nPad * dPad * 8 + outCount * 8 <= budgetBytes) {
      this.chunked = false;
      this.chunk = dPad;
      this.scratchEntries = outCount;
      xBytes = nPad * dPad * 8;
    } else {
      // At most half the budget for the chunk, the rest for the lane sums of as many blocks as fit.
      this.chunked = true;
      this.chunk = Math.min(dPad, MAX_CHUNK, Math.max(4, Math.floor(budgetBytes / 2 / (nPad * 8)) & ~3));
      xBytes = nPad * this.chunk * 8;
      this.scratchEntries = Math.max(MAX_BLOCK_ENTRIES, Math.floor((budgetBytes - xBytes) / 16));
    }
    const scratchLength = this.scratchEntries * (this.chunked ? 2 : 1);
    if (module && xBytes + scratchLength * 8 <= MAX_WASM_BYTES) {
      const { exports, sizeBefore } = acquireInstance(module, xBytes + scratchLength * 8);
      this.exports = exports;
      this.keepBytes = Math.max(budgetBytes, sizeBefore);
      this.x = new Float64Array(exports.memory.buffer, 0, xBytes / 8);
      this.scratchPtr = xBytes;
      this.scratch = new Float64Array(exports.memory.buffer, xBytes, scratchLength);
      this.kind = 'wasm-simd';
    } else {
      this.x = new Float64Array(xBytes / 8);
      this.scratchPtr = 0;
      this.scratch = new Float64Array(scratchLength);
      this.kind = 'js';
    }
    if (!this.chunked) {
      const { x } = this;
      // Reused memory may hold old values: padding must be zero for the tiles to be exact.
      if (this.exports) x.fill(0);
      for (let i = 0; i < n; i++) x.set(samples.subarray(i * d, i * d + d), i * dPad);
    }
  }

  /** Hands the WebAssembly instance back for reuse; the kernel must not be used afterwards. */
  dispose(): void {
    if (this.exports) releaseInstance(this.exports, this.keepBytes);
    this.exports = undefined;
  }

  /**
   * Euclidean distances of rows `[i0, i1)` against columns `[j0, j1)` into
   * `out[outOffset + (i - i0) * ldo + (j - j0)]`. At most BLOCK_ROWS rows per call.
   */
  distances(i0: number, i1: number, j0: number, j1: number, out: Float64Array, outOffset = 0, ldo = j1 - j0): void {
    if (i1 - i0 > BLOCK_ROWS) throw new RangeError(`at most ${BLOCK_ROWS} rows per block`);
    if (i0 >= i1 || j0 >= j1) return;
    if (this.chunked) {
      const blocks: number[] = [];
      for (let j = j0; j < j1; j += BLOCK_ROWS) blocks.push(i0, i1, j, Math.min(j1, j + BLOCK_ROWS));
      this.chunkedBlocks(blocks, (b, at, width, ti0, tj0) => {
        const j = blocks[4 * b + 2];
        this.finish(at, 2, width, ti0, tj0, i0, i1, j, blocks[4 * b + 3], out, outOffset + (j - j0), ldo);
      });
      return;
    }
    // Tiles are 2 rows × 4 columns, aligned; the padded rows exist and are zero.
    const ti0 = i0 & ~1;
    const ti1 = Math.min(this.nPad, (i1 + 1) & ~1);
    const tj0 = j0 & ~3;
    const tj1 = Math.min(this.nPad, (j1 + 3) & ~3);
    const width = tj1 - tj0;
    if ((ti1 - ti0) * width > this.scratchEntries) throw new RangeError('distance block larger than scratch memory');
    if (this.exports) this.exports.gram(0, this.dPad, ti0, ti1, tj0, tj1, this.scratchPtr, width, 0);
    else gramJs(this.x, this.dPad, ti0, ti1, tj0, tj1, this.scratch, 0, width, false);
    this.finish(0, 1, width, ti0, tj0, i0, i1, j0, j1, out, outOffset, ldo);
  }

  /**
   * Distances of many blocks: `blocks` lists `[i0, i1, j0, j1, …]`, each at most BLOCK_ROWS ×
   * BLOCK_ROWS, and `onBlock` receives them in list order as `block[(i - i0) * BLOCK_ROWS + (j - j0)]`
   * (valid during the call only; it must not use the kernel). A chunked kernel passes over the
   * coordinates once for as many blocks as its scratch memory holds.
   */
  tiles(blocks: ArrayLike<number>, onBlock: (block: Float64Array, i0: number, i1: number, j0: number, j1: number) => void): void {
    if (blocks.length % 4) throw new RangeError('blocks are given as [i0, i1, j0, j1] quadruples');
    const { n } = this;
    for (let b = 0; b < blocks.length; b += 4) {
      const [i0, i1, j0, j1] = [blocks[b], blocks[b + 1], blocks[b + 2], blocks[b + 3]];
      if (!(0 <= i0 && i0 < i1 && i1 <= n && i1 - i0 <= BLOCK_ROWS && 0 <= j0 && j0 < j1 && j1 <= n && j1 - j0 <= BLOCK_ROWS)) {
        throw new RangeError(`block [${i0}, ${i1}) × [${j0}, ${j1}) is empty, larger than ${BLOCK_ROWS}² or outside 0..${n}`);
      }
    }
    const block = new Float64Array(BLOCK_ROWS * BLOCK_ROWS);
    if (!this.chunked) {
      for (let b = 0; b < blocks.length; b += 4) {
        this.distances(blocks[b], blocks[b + 1], blocks[b + 2], blocks[b + 3], block, 0, BLOCK_ROWS);
        onBlock(block, blocks[b], blocks[b + 1], blocks[b + 2], blocks[b + 3]);
      }
      return;
    }
    this.chunkedBlocks(blocks, (b, at, width, ti0, tj0) => {
      const [i0, i1, j0, j1] = [blocks[4 * b], blocks[4 * b + 1], blocks[4 * b + 2], blocks[4 * b + 3]];
      this.finish(at, 2, width, ti0, tj0, i0, i1, j0, j1, block, 0, BLOCK_ROWS);
      onBlock(block, i0, i1, j0, j1);
    });
  }

  /**
   * Chunked mode: for each group of blocks whose lane sums fit the scratch memory, zeroes the sums,
   * adds every chunk of coordinates to them, then calls `done(b, at, width, ti0, tj0)` for each
   * block `b` of the group (its sums start at entry `at`, `width` entries per row of its 2 × 4 grid).
   */
  private chunkedBlocks(blocks: ArrayLike<number>, done: (b: number, at: number, width: number, ti0: number, tj0: number) => void): void {
    const { d, nPad } = this;
    const count = blocks.length / 4;
    const grid = new Int32Array(5 * count); // ti0, ti1, tj0, tj1, at
    for (let first = 0; first < count;) {
      let last = first;
      let used = 0;
      let lo = nPad;
      let hi = 0;
      for (; last < count; last++) {
        const g = 5 * last;
        const b = 4 * last;
        grid[g] = blocks[b] & ~1;
        grid[g + 1] = Math.min(nPad, (blocks[b + 1] + 1) & ~1);
        grid[g + 2] = blocks[b + 2] & ~3;
        grid[g + 3] = Math.min(nPad, (blocks[b + 3] + 3) & ~3);
        const need = (grid[g + 1] - grid[g]) * (grid[g + 3] - grid[g + 2]);
        if (last > first && used + need > this.scratchEntries) break;
        grid[g + 4] = used;
        used += need;
        lo = Math.min(lo, grid[g], grid[g + 2]);
        hi = Math.max(hi, grid[g + 1], grid[g + 3]);
      }
      this.scratch.fill(0, 0, 2 * used);
      for (let k0 = 0; k0 < d; k0 += this.chunk) {
        const width = Math.min(this.chunk, d - k0);
        const stride = (width + 3) & ~3;
        this.loadChunk(k0, width, stride, lo, hi);
        for (let b = first; b < last; b++) {
          const g = 5 * b;
          const ldo = grid[g + 3] - grid[g + 2];
          if (this.exports)
            this.exports.gram(0, stride, grid[g], grid[g + 1], grid[g + 2], grid[g + 3], this.scratchPtr + grid[g + 4] * 16, ldo, 1);
          else gramJs(this.x, stride, grid[g], grid[g + 1], grid[g + 2], grid[g + 3], this.scratch, 2 * grid[g + 4], ldo, true);
        }
      }
      for (let b = first; b < last; b++) {
        const g = 5 * b;
        done(b, grid[g + 4], grid[g + 3] - grid[g + 2], grid[g], grid[g + 2]);
      }
      first = last;
    }
  }

  /** Copies coordinates `[k0, k0 + width)` of rows `[lo, hi)` to `x` (row stride `stride`, zero padding). */
  private loadChunk(k0: number, width: number, stride: number, lo: number, hi: number): void {
    const { x, samples, n, d } = this;
    for (let i = lo; i < hi; i++) {
      const o = i * stride;
      if (i < n) {
        x.set(samples.subarray(i * d + k0, i * d + k0 + width), o);
        if (stride > width) x.fill(0, o + width, o + stride);
      } else x.fill(0, o, o + stride);
    }
  }

  /**
   * Distances from the dot products in scratch memory: entry `(i, j)` sits at
   * `at + (i - ti0) * width + (j - tj0)` as one sum (`lanes` 1) or two lane sums (`lanes` 2).
   */
  private finish(
    at: number,
    lanes: 1 | 2,
    width: number,
    ti0: number,
    tj0: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    out: Float64Array,
    outOffset: number,
    ldo: number,
  ): void {
    const norms = this.squaredNorms;
    const gram = this.scratch;
    for (let i = i0; i < i1; i++) {
      const ni = norms[i];
      const g = at + (i - ti0) * width - tj0;
      const o = outOffset + (i - i0) * ldo - j0;
      if (lanes === 1) {
        for (let j = j0; j < j1; j++) {
          const sq = ni + norms[j] - 2 * gram[g + j];
          out[o + j] = i === j || sq <= 0 ? 0 : Math.sqrt(sq);
        }
      } else {
        for (let j = j0; j < j1; j++) {
          const e = 2 * (g + j);
          const sq = ni + norms[j] - 2 * (gram[e] + gram[e + 1]);
          out[o + j] = i === j || sq <= 0 ? 0 : Math.sqrt(sq);
        }
      }
    }
  }
}

/**
 * `|x_i|²` in the kernel's order: even and odd coordinates in two running sums, then added. The
 * kernel's zero padding is skipped, which changes nothing (adding +0 to a sum that is never -0).
 */
export function squaredNorms(x: SampleArray, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let even = 0;
    let odd = 0;
    const end = i * d + d;
    let k = i * d;
    for (; k + 1 < end; k += 2) {
      even += x[k] * x[k];
      odd += x[k + 1] * x[k + 1];
    }
    if (k < end) even += x[k] * x[k];
    out[i] = even + odd;
  }
  return out;
}

/**
 * The plain-JS twin of wasm/gram.wat, summing in the same order (even/odd lanes). Without
 * `carry`, writes `out[outOffset + e]` for entry `e = (i - i0) * ldo + (j - j0)`; with `carry`, adds
 * to the lane sums at `out[outOffset + 2e]` and `out[outOffset + 2e + 1]`.
 */
function gramJs(
  x: Float64Array,
  d: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  out: Float64Array,
  outOffset: number,
  ldo: number,
  carry: boolean,
): void {
  for (let i = i0; i < i1; i++) {
    const a = i * d;
    for (let j = j0; j < j1; j++) {
      const b = j * d;
      const e = (i - i0) * ldo + (j - j0);
      let even = carry ? out[outOffset + 2 * e] : 0;
      let odd = carry ? out[outOffset + 2 * e + 1] : 0;
      for (let k = 0; k < d; k += 2) {
        even += x[a + k] * x[b + k];
        odd += x[a + k + 1] * x[b + k + 1];
      }
      if (carry) {
        out[outOffset + 2 * e] = even;
        out[outOffset + 2 * e + 1] = odd;
      } else out[outOffset + e] = even + odd;
    }
  }
}

/** Blocks `[i0, i1, j0, j1, …]` of at most BLOCK_ROWS² for block origins `[i0, j0, …]` in an `n × n` matrix. */
export function squareBlocks(origins: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let t = 0; t + 1 < origins.length; t += 2) {
    out.push(origins[t], Math.min(n, origins[t] + BLOCK_ROWS), origins[t + 1], Math.min(n, origins[t + 1] + BLOCK_ROWS));
  }
  return out;
}

/** Origins `[i0, j0, …]` of the blocks covering the upper triangle of an `n × n` matrix, row band by row band. */
export function upperTriangleOrigins(n: number): number[] {
  const out: number[] = [];
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) for (let j0 = i0; j0 < n; j0 += BLOCK_ROWS) out.push(i0, j0);
  return out;
}

/**
 * The memory budget for a kernel that computes the whole distance matrix of `n` samples of `d`
 * values (`distanceMatrix`) in one pass, when splitting the coordinates into chunks of 1,024 is
 * faster: with wide samples, 64 rows of all coordinates no longer stay in a core's L2 cache while
 * 64 rows of a chunk do (LeNet's first layer, 4,608 values per input, 500 inputs: ≈20% faster on
 * one core). The budget holds one chunk of every sample plus the lane sums of every block of the
 * upper triangle, so the coordinates are still read once. Undefined when the default serves as
 * well (narrower samples, or more than the default budget). Chunks change no bit.
 */
export function wholeMatrixBudget(n: number, d: number): number | undefined {
  const nPad = Math.max(4, Math.ceil(n / 4) * 4);
  const dPad = Math.max(4, Math.ceil(d / 4) * 4);
  if (dPad <= 2 * MAX_CHUNK) return undefined;
  const bands = Math.ceil(n / BLOCK_ROWS);
  const laneSumBytes = 16 * ((bands * (bands + 1)) / 2) * MAX_BLOCK_ENTRIES;
  const budget = 2 * nPad * 8 * MAX_CHUNK + laneSumBytes;
  return budget < nPad * dPad * 8 && budget <= DEFAULT_KERNEL_BYTES ? budget : undefined;
}

/**
 * All pairwise distances of `n` samples as a full symmetric `n × n` matrix (zero diagonal),
 * computing each block of the upper triangle once, the blocks on the diagonal in bands that start
 * at the diagonal (`condensedBlocks`: about a tenth less work at n = 500). The distance of a pair
 * has the same bits whichever block computes it, and whichever of `(i, j)` and `(j, i)`: the
 * products commute and are summed in the same order, and so are the two norms.
 */
export function distanceMatrix(kernel: DistanceKernel): Float64Array {
  const { n } = kernel;
  const out = new Float64Array(n * n);
  kernel.tiles(condensedBlocks(n), (block, i0, i1, j0, j1) => mirrorBlock(block, BLOCK_ROWS, out, n, i0, i1, j0, j1));
  return out;
}

/**
 * The full `n × n` distance matrix from a float64 Gram matrix `gram` (`g_ij = x_i·x_j`, row-major,
 * summed in any order: the native kernel's, src/native/nativeGram.ts) of the cleaned samples
 * `samples` `[n, d]`: `d²_ij = (g_ii + g_jj) − 2·g_ij`, `d_ij = 0` if `i = j` or `d²_ij ≤ 0`, else
 * `sqrt(d²_ij)` (estimators.md, "Pairwise distances", step 2), the norms taken from the same
 * products' diagonal. Each pair is computed once, from `g_ij` with `i < j`, and written at `(i, j)`
 * and `(j, i)`. Identical samples get exactly 0 whatever the products' summation order: a pair whose
 * `d²` is within the rounding error that any order can leave between `g_ii`, `g_jj` and `g_ij` of
 * equal rows (`2·γ_d + 1.5u` relative to `g_ii + g_jj`, bounded here by `4·(d + 2)·u`, u = 2⁻⁵³)
 * has its rows compared, and equal rows are at distance 0. `out` may be `gram` itself.
 */
export function distancesFromGram(gram: Float64Array, samples: SampleArray, n: number, d: number, out: Float64Array = gram): Float64Array {
  if (gram.length < n * n || out.length < n * n) throw new RangeError(`a Gram and a distance matrix of ${n} samples need ${n * n} values`);
  if (samples.length < n * d) throw new RangeError(`${n} samples of ${d} values need ${n * d} values, got ${samples.length}`);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = gram[i * n + i];
  const tolerance = 4 * (d + 2) * 2 ** -53;
  for (let i = 0; i < n; i++) {
    const ni = norms[i];
    const row = i * n;
    out[row + i] = 0;
    for (let j = i + 1; j < n; j++) {
      const sum = ni + norms[j];
      const sq = sum - 2 * gram[row + j];
      const v = sq <= 0 || (sq <= tolerance * sum && sameRow(samples, d, i, j)) ? 0 : Math.sqrt(sq);
      out[row + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/** Whether samples `i` and `j` of `[n, d]` are equal value for value (±0 alike, as in their products). */
function sameRow(samples: SampleArray, d: number, i: number, j: number): boolean {
  const a = i * d;
  const b = j * d;
  for (let k = 0; k < d; k++) if (samples[a + k] !== samples[b + k]) return false;
  return true;
}

/** Writes a distance block at (i, j) and its transpose at (j, i) of a full `n × n` matrix. */
export function mirrorBlock(
  block: Float64Array,
  ldb: number,
  out: Float64Array,
  n: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
): void {
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
  kernel.tiles(condensedBlocks(n), (block, i0, i1, j0, j1) => {
    for (let i = i0; i < i1; i++) {
      const from = Math.max(j0, i + 1);
      const b = (i - i0) * BLOCK_ROWS - j0;
      if (from < j1) out.set(block.subarray(b + from, b + j1), pairIndex(i, from, n));
    }
  });
  return out;
}

/** Rows per band of a block on the diagonal in `triangleBlocks`. */
const DIAGONAL_BAND_ROWS = 8;

/**
 * Blocks `[i0, i1, j0, j1, …]` covering the pairs `i < j` of `n` samples: the upper triangle's
 * blocks, except that a block on the diagonal is cut into bands of a few rows, each starting at
 * the diagonal, so that little of its lower half is computed for nothing (a whole diagonal block
 * would be 11 % of the work at n = 500). Each entry is computed alike in any block: the same bits.
 */
export function condensedBlocks(n: number): number[] {
  return triangleBlocks(upperTriangleOrigins(n), n);
}

/**
 * The blocks of `condensedBlocks` for some of the upper triangle's block origins `[i0, j0, …]`
 * (`upperTriangleOrigins`), in their order: a square block for an origin off the diagonal, bands
 * that start at the diagonal for one on it. The compute pool's workers each take a share of the
 * origins.
 */
export function triangleBlocks(origins: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let t = 0; t + 1 < origins.length; t += 2) {
    const i0 = origins[t];
    const j0 = origins[t + 1];
    const i1 = Math.min(n, i0 + BLOCK_ROWS);
    if (i0 === j0) for (let r = i0; r < i1; r += DIAGONAL_BAND_ROWS) out.push(r, Math.min(i1, r + DIAGONAL_BAND_ROWS), r, i1);
    else out.push(i0, i1, j0, Math.min(n, j0 + BLOCK_ROWS));
  }
  return out;
}

/** Position of the pair `(m, k)`, `m < k`, in the condensed upper-triangle order of `n` samples. */
export function pairIndex(m: number, k: number, n: number): number {
  return m * n - (m * (m + 1)) / 2 + (k - m - 1);
}
