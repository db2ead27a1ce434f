/**
 * The WebAssembly SIMD kernel of min–max binning on float32 layer outputs (wasm/binning.wat): the
 * finite range of a layer, the binned estimator's codes and hashes row by row, and the channel
 * histograms and entropy sums of the intra-sample entropy. Every result is bit-identical to the
 * plain-JS loops of binning.ts, intraSample.ts and labelInformation.ts, which stand in where
 * WebAssembly SIMD is missing (and for float64 data) and are the reference the tests compare with.
 */
import type { FiniteRange } from './binning';
import type { KernelKind } from './distances';
import { bytes as binningWasmBytes } from './wasm/binningWasm';
import { compiledOnce, growTo, instantiate, KernelMemory } from './wasmModules';

interface BinningExports {
  memory: KernelMemory;
  lo: { value: number };
  hi: { value: number };
  range(ptr: number, len: number): number;
  codes(ptr: number, count: number, d: number, bins: number, lo: number, span: number, out: number, hashes: number): void;
  entropies(header: number): number;
  maps(header: number): number;
  bin64(ptr: number, len: number, bins: number, codes: number, counts: number): void;
}

/** Values copied into the kernel's memory per call: 4 MB of float32, so the memory stays small. */
const CHUNK_VALUES = 1 << 18;
/** Largest histogram memory (slots × (bins + 1) int32) the channel kernel takes; beyond it the JS loop runs. */
const MAX_HISTOGRAM_BYTES = 16 * 1024 ** 2;
/** Largest memory the kernel grows to; beyond it the JS loops run. */
const MAX_KERNEL_BYTES = 512 * 1024 ** 2;
/**
 * Bytes of the channel kernels' header (wasm/binning.wat `entropies` and `maps`): 16 int32 pointers
 * and sizes, 16 bytes of scratch, and from byte 96 the 240 bytes of the invariants `maps` reads.
 */
const HEADER_BYTES = 336;

/** wasm/binning.wat compiled, or null without SIMD support: the JS loops take over. */
const compileBinningModule = compiledOnce(binningWasmBytes);

/** `x` rounded up to a multiple of 16 (vector alignment). */
function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The channel-entropy sums of one layer: per input and channel, `Σ c log2 c` and `T` (wasm/binning.wat `entropies`). */
/**
 * The fewest histogram slots of the channel entropies' kernel (wasm/binning.wat \`entropies\`): 16
 * histograms of one channel took a 100 × 256 × 56 × 56 layer's feature maps in 133 ms, against
 * 195 ms in the 4 of lcm(1, 4), where a vector of four ReLU zeros waits on the one before it.
 */
const MIN_SLOTS = 16;

export interface ChannelEntropySums {
  /** Row-major `[N, C]` pairs `(Σ_b c_b log2 c_b, T)`; `T = -1`: no finite value, `T = 0`: all finite values equal. */
  sums: Float64Array;
  nonFiniteCount: number;
  /** The least and greatest finite value of the layer ({@link BinningKernel.finiteRange}'s, Infinity and -Infinity when none). */
  lo: number;
  hi: number;
}

/**
 * One thread's binning kernel. `BinningKernel.shared()` gives this thread's instance (WebAssembly
 * memories never shrink: one instance is reused, its memory bounded by the per-call chunk), or
 * undefined where WebAssembly SIMD is missing.
 */
export class BinningKernel {
  readonly kind: KernelKind = 'wasm-simd';
  private readonly exports: BinningExports;

  private static sharedKernel: BinningKernel | null | undefined;

  /** This thread's kernel, or undefined where WebAssembly SIMD is missing. */
  static shared(): BinningKernel | undefined {
    if (BinningKernel.sharedKernel === undefined) {
      const module = compileBinningModule();
      BinningKernel.sharedKernel = module ? new BinningKernel(module) : null;
    }
    return BinningKernel.sharedKernel ?? undefined;
  }

  /** A kernel of a compiled binning module (tests pass altered modules to check that they notice). */
  constructor(module: object) {
    this.exports = instantiate<BinningExports>(module);
  }

  /** Grows the memory to at least `bytes`; false when that is more than the kernel takes. */
  private reserve(bytes: number): boolean {
    if (bytes > MAX_KERNEL_BYTES) return false;
    growTo(this.exports.memory, bytes);
    return true;
  }

  /**
   * capacity.ts `binDistances` of float64 pair distances (at most 255 bins): the same codes into
   * `codes` and the same counts, returned; undefined where the kernel would outgrow its memory cap.
   */
  binDistances(distances: Float64Array, codes: Uint8Array, bins: number): Float64Array | undefined {
    const n = distances.length;
    // [distances + one value of slack: the last pair of lanes reads past an odd count][codes][counts].
    const codesAt = align16(8 * (n + 1));
    const countsAt = align16(codesAt + n);
    if (!this.reserve(countsAt + 4 * bins)) return undefined;
    const mem = this.exports.memory.buffer;
    new Float64Array(mem, 0, n).set(distances);
    this.exports.bin64(0, n, bins, codesAt, countsAt);
    codes.set(new Uint8Array(mem, codesAt, n));
    return Float64Array.from(new Int32Array(mem, countsAt, bins));
  }

  /** binning.ts `finiteRange` of float32 values: the same lo, hi (up to the sign of a zero, which no bin depends on) and counts. */
  finiteRange(values: Float32Array, offset = 0, length = values.length - offset): FiniteRange {
    let lo = Infinity;
    let hi = -Infinity;
    let finiteCount = 0;
    const chunk = Math.min(length, CHUNK_VALUES);
    this.reserve(chunk * 4);
    const heap = new Float32Array(this.exports.memory.buffer, 0, chunk);
    for (let at = 0; at < length; at += chunk) {
      const len = Math.min(chunk, length - at);
      heap.set(values.subarray(offset + at, offset + at + len));
      finiteCount += this.exports.range(0, len);
      const l = this.exports.lo.value;
      const h = this.exports.hi.value;
      if (l < lo) lo = l;
      if (h > hi) hi = h;
    }
    return { lo, hi, finiteCount, nonFiniteCount: length - finiteCount };
  }

  /**
   * The binned estimator's codes of values `from .. to` of some inputs, each input `d` float32
   * values of `data` and `inputs` their numbers, against one range `[lo, hi]` that bounds their
   * finite values (labelInformation.ts `binRow`: `binOf`'s bins, `bins` for a non-finite value), and
   * each input's hash of them (`binRow`'s, of the `w = to − from` codes), a group of inputs at a
   * time: `visit(codes, hashes, first, rows)` sees `inputs[first .. first + rows]` (row `r`'s codes
   * at `codes[r·w ..]`; both views die with the call). False when one input's values are too many
   * for the kernel (nothing was visited).
   */
  codeBlock(
    data: Float32Array,
    d: number,
    inputs: ArrayLike<number>,
    from: number,
    to: number,
    bins: number,
    lo: number,
    hi: number,
    visit: (codes: Uint16Array, hashes: Int32Array, first: number, rows: number) => void,
  ): boolean {
    const w = to - from;
    const n = inputs.length;
    const rows = Math.max(1, Math.min(n, Math.floor(CHUNK_VALUES / Math.max(w, 1))));
    const codesPtr = align16(rows * w * 4);
    const hashesPtr = codesPtr + align16(rows * w * 2);
    if (!this.reserve(hashesPtr + align16(rows * 4))) return false;
    const { buffer } = this.exports.memory;
    const heap = new Float32Array(buffer, 0, rows * w);
    const codes = new Uint16Array(buffer, codesPtr, rows * w);
    const hashes = new Int32Array(buffer, hashesPtr, rows);
    // A span of 0 (every finite value equal) as 1: every finite value is then bin 0, as binOf has it.
    const span = hi === lo ? 1 : hi - lo;
    for (let first = 0; first < n; first += rows) {
      const count = Math.min(rows, n - first);
      for (let r = 0; r < count; r++) {
        const at = inputs[first + r] * d + from;
        heap.set(data.subarray(at, at + w), r * w);
      }
      this.exports.codes(0, count, w, bins, lo, span, codesPtr, hashesPtr);
      visit(codes, hashes, first, count);
    }
    return true;
  }

  /**
   * The histograms of every feature map of `count` inputs of `units × channels` float32 values
   * (channels last) in `bins` bins, each on its own finite min–max range, reduced to the two sums
   * the entropy needs; `cLog2c[c]` is `c · log2 c` for every count `0 .. units`. Undefined when
   * the histograms would take too much memory (the caller runs the JS loop).
   */
  channelEntropySums(
    data: Float32Array,
    count: number,
    units: number,
    channels: number,
    bins: number,
    cLog2c: Float64Array,
  ): ChannelEntropySums | undefined {
    const L = units * channels;
    // P = lcm(C, 4), doubled up to MIN_SLOTS: with few channels (a dense layer, a channels-first
    // layer's feature maps taken one at a time), equal bins in a row (ReLU zeros) then count into
    // several histograms of their channel, not one counter incremented vector after vector.
    let P = (channels * 4) / gcd(channels, 4);
    while (P < MIN_SLOTS) P *= 2;
    // Each histogram row: bins + 1 int32 rounded up to whole vectors (wasm/binning.wat folds rows vector by vector).
    const stride = (bins + 4) & ~3;
    if (P * stride * 4 > MAX_HISTOGRAM_BYTES) return undefined;
    const group = Math.max(1, Math.min(count, Math.floor(CHUNK_VALUES / Math.max(L, 1))));
    let at = HEADER_BYTES;
    const place = (bytes: number): number => {
      const ptr = at;
      at += align16(bytes);
      return ptr;
    };
    const tablePtr = place((units + 1) * 8);
    const slotOffPtr = place(P * 4);
    const slotLoPtr = place(P * 4);
    const slotHiPtr = place(P * 4);
    const laneLoPtr = place(P * 8);
    const laneSpanPtr = place(P * 8);
    const chLoPtr = place(channels * 8);
    const chHiPtr = place(channels * 8);
    const countsPtr = place(P * stride * 4);
    const outPtr = place(group * channels * 16);
    const dataPtr = place(group * L * 4);
    if (!this.reserve(at)) return undefined;
    const { buffer } = this.exports.memory;
    new Float64Array(buffer, tablePtr, units + 1).set(cLog2c.subarray(0, units + 1));
    const slotOff = new Int32Array(buffer, slotOffPtr, P);
    for (let j = 0; j < P; j++) slotOff[j] = j * stride;
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header.set([
      dataPtr,
      0,
      L,
      P,
      channels,
      bins,
      tablePtr,
      slotOffPtr,
      slotLoPtr,
      slotHiPtr,
      laneLoPtr,
      laneSpanPtr,
      chLoPtr,
      chHiPtr,
      countsPtr,
      outPtr,
    ]);
    const heap = new Float32Array(buffer, dataPtr, group * L);
    const out = new Float64Array(buffer, outPtr, group * channels * 2);
    const sums = new Float64Array(count * channels * 2);
    let nonFiniteCount = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let first = 0; first < count; first += group) {
      const g = Math.min(group, count - first);
      heap.set(data.subarray(first * L, (first + g) * L));
      header[1] = g;
      // Feature maps one at a time (one channel) have a kernel of their own, with the same results.
      nonFiniteCount += channels === 1 ? this.exports.maps(0) : this.exports.entropies(0);
      if (this.exports.lo.value < lo) lo = this.exports.lo.value;
      if (this.exports.hi.value > hi) hi = this.exports.hi.value;
      sums.set(out.subarray(0, g * channels * 2), first * channels * 2);
    }
    return { sums, nonFiniteCount, lo, hi };
  }
}

/**
 * The kernel a caller asked for: `'js'` none (the plain-JS loops), `'wasm-simd'` this thread's
 * (an Error where WebAssembly SIMD is missing), a kernel instance itself, and by default this
 * thread's where WebAssembly SIMD is available.
 */
export function binningKernelFor(kernel?: KernelKind | BinningKernel): BinningKernel | undefined {
  if (kernel instanceof BinningKernel) return kernel;
  if (kernel === 'js') return undefined;
  const shared = BinningKernel.shared();
  if (kernel === 'wasm-simd' && !shared) throw new Error('WebAssembly SIMD is not available in this runtime');
  return shared;
}
