/**
 * The Gram products behind the pairwise distances on ONNX Runtime's multithreaded matrix products
 * (MLAS DGEMM) rather than the compute pool's WebAssembly kernel: several times faster on the same
 * cores (docs/native-engine.md, "Gram products"). The samples `[n, d]` are taken one block of
 * coordinates at a time, widened to float64 as they are gathered ({@link GRAM_BLOCK_BYTES} at
 * most, so the float64 copy stays small whatever `d`), and each block's products are added to those
 * of the blocks before it inside the model (`Gemm`'s `c`). Only the upper triangle is computed: the
 * rows are cut into bands, and the rows from a band's first on are multiplied by the band's (with 8
 * bands, 9/16 of the full product). The products are float64 in the runtime's own summation order:
 * the distances agree with the WebAssembly kernel's to about 1e-15 relative, not bit for bit
 * (docs/estimators.md, "Pairwise distances").
 *
 * `run` holds the thread it is called on while the runtime computes on every core (its own thread
 * pool), so the caller is the compute pool on the engine's thread: its workers have nothing to do
 * during the products, and a worker thread would only add a copy of the samples.
 */
import type * as Ort from 'onnxruntime-node';
import { distancesFromGram, type SampleArray } from '../analysis/distances';
import { GRAM_ACCUMULATOR, GRAM_COLUMNS, GRAM_OUTPUT, GRAM_ROWS, gramModel } from '../onnx/gramModel';
import { createSession, firstLine, type OrtModule, type RuntimeSession } from './ortRuntime';

/**
 * Gram work (multiply-adds, `n² · d`) from which the distance matrix is computed on the native
 * kernel rather than the compute pool's WebAssembly one, for samples of at least
 * {@link NATIVE_GRAM_COORDINATES} values: below either, the runtime's round trip and the `n²` steps
 * around the products (the accumulator in and out, the distances from the products) cost more than
 * the faster products save (measured on 2 cores: docs/native-engine.md, "Gram products").
 */
export const NATIVE_GRAM_WORK = 5e7;
export const NATIVE_GRAM_COORDINATES = 400;
/**
 * Largest distance matrix computed natively (bytes): beside the matrix, the products are held
 * about twice more while a block runs (each band's sum so far, and the runtime's new sum); larger
 * sets go to the compute pool's workers.
 */
export const NATIVE_MATRIX_BYTES = 256 * 1024 ** 2;

/** Whether the distance matrix of `n` samples of `d` values is computed on the native kernel (where the runtime loads). */
export function usesNativeGram(n: number, d: number): boolean {
  return d >= NATIVE_GRAM_COORDINATES && n * n * d >= NATIVE_GRAM_WORK && n * n * 8 <= NATIVE_MATRIX_BYTES;
}

/** Most bytes of one block of coordinates widened to float64 (`n × columns × 8`). */
export const GRAM_BLOCK_BYTES = 32 * 1024 ** 2;
/**
 * Rows per band of the upper triangle, about: fewer bands do more of the lower triangle for
 * nothing, more bands make products too thin to run at the kernel's full rate (one thread, 500
 * samples, 8,192 coordinates: 42 ms in one band, 32 in 2, 27 in 4, 25.5 in 8).
 */
const BAND_ROWS = 64;
/** Most bands: past 8, at most 1/16 of the full product is left to save. */
const MAX_BANDS = 8;

/** The error of a native product the runtime refused (out of memory, a broken installation): one line. */
export class NativeGramError extends Error {
  override readonly name = 'NativeGramError';
}

export interface NativeGramOptions {
  /** Bytes of one widened block (default {@link GRAM_BLOCK_BYTES}; tests make blocks small to cross their boundaries). */
  blockBytes?: number;
  /** Bands of rows (default: one per {@link BAND_ROWS} rows, about, at most {@link MAX_BANDS}; tests choose). */
  bands?: number;
  /** Called before each block: throws to cancel (the compute pool's CancelledError). */
  throwIfCancelled?: () => void;
}

/** One session per runtime, made at first use and kept for the process's life. */
const sessions = new WeakMap<OrtModule, Promise<RuntimeSession>>();

function sessionFor(ort: OrtModule): Promise<RuntimeSession> {
  let session = sessions.get(ort);
  if (!session) {
    session = createSession(ort, gramModel(), 'cpu').then((opened) => opened.session);
    // A failed creation is not kept: the next call tries again.
    session.catch(() => sessions.delete(ort));
    sessions.set(ort, session);
  }
  return session;
}

/** Coordinates per block for `n` samples: as many as `blockBytes` widened hold, at least one. */
export function gramBlockColumns(n: number, d: number, blockBytes = GRAM_BLOCK_BYTES): number {
  return Math.max(1, Math.min(d, Math.floor(blockBytes / (8 * Math.max(1, n)))));
}

/** The first row of each band and the end, `[0, …, n]`: `bands` bands of (nearly) equal rows. */
export function gramBands(n: number, bands = Math.min(MAX_BANDS, Math.max(1, Math.round(n / BAND_ROWS)))): number[] {
  const count = Math.max(1, Math.min(n, Math.floor(bands)));
  return Array.from({ length: count + 1 }, (_, k) => Math.round((k * n) / count));
}

/**
 * The float64 products `g_ij = x_i·x_j` for `i ≤ j` of `n` samples of `d` values (row-major
 * `samples`, float32 as activations are, or float64; cleaned of non-finite values), summed block by
 * block of coordinates in the runtime's order, written into the upper triangle and diagonal of
 * `out` (`n × n`, row-major); its lower triangle is left as it was.
 * @throws NativeGramError when the runtime fails; what `throwIfCancelled` throws.
 */
export async function nativeGramUpper(
  ort: OrtModule,
  samples: SampleArray,
  n: number,
  d: number,
  out: Float64Array,
  options: NativeGramOptions = {},
): Promise<Float64Array> {
  if (samples.length < n * d) throw new RangeError(`${n} samples of ${d} values need ${n * d} values, got ${samples.length}`);
  // The block's coordinates of every sample, widened as they are copied, row-major [n, width].
  const gather = (block: Float64Array, k0: number, width: number) => {
    for (let i = 0; i < n; i++) block.set(samples.subarray(i * d + k0, i * d + k0 + width), i * width);
  };
  return gramUpperOf(ort, gather, n, d, out, options);
}

/**
 * {@link nativeGramUpper} of samples that `gather` writes a block at a time: coordinates
 * `[k0, k0 + width)` of every sample, float64, row-major `[n, width]` into `block`.
 */
export async function gramUpperOf(
  ort: OrtModule,
  gather: (block: Float64Array, k0: number, width: number) => void,
  n: number,
  d: number,
  out: Float64Array,
  options: NativeGramOptions = {},
): Promise<Float64Array> {
  if (out.length < n * n) throw new RangeError(`the products of ${n} samples need ${n * n} values, got ${out.length}`);
  if (n === 0) return out;
  const bands = gramBands(n, options.bands);
  if (d === 0) {
    for (let i = 0; i < n; i++) out.fill(0, i * n + i, i * n + n);
    return out;
  }
  const session = await sessionFor(ort);
  const columns = gramBlockColumns(n, d, options.blockBytes);
  // Band k's products so far: the rows from r0 on against its rows [r0, r1), [n − r0, r1 − r0]. The
  // band is the product's right operand, the one the kernel packs: packing it costs its rows alone.
  const sums: Float64Array[] = bands.slice(1).map((r1, k) => new Float64Array((r1 - bands[k]) * (n - bands[k])));
  const block = takeBlock(n * columns);
  try {
    for (let k0 = 0; k0 < d; k0 += columns) {
      options.throwIfCancelled?.();
      const width = Math.min(columns, d - k0);
      gather(block, k0, width);
      for (let k = 0; k + 1 < bands.length; k++) {
        const [r0, r1] = [bands[k], bands[k + 1]];
        const feeds = {
          [GRAM_ROWS]: new ort.Tensor('float64', block.subarray(r0 * width, n * width), [n - r0, width]),
          [GRAM_COLUMNS]: new ort.Tensor('float64', block.subarray(r0 * width, r1 * width), [r1 - r0, width]),
          [GRAM_ACCUMULATOR]: new ort.Tensor('float64', sums[k], [n - r0, r1 - r0]),
        };
        sums[k] = await runProducts(session, feeds, n, (r1 - r0) * (n - r0));
      }
    }
  } finally {
    giveBlock(block);
  }
  for (let k = 0; k + 1 < bands.length; k++) {
    const [r0, r1] = [bands[k], bands[k + 1]];
    const m = r1 - r0;
    const sum = sums[k];
    for (let i = r0; i < r1; i++) for (let j = i; j < n; j++) out[i * n + j] = sum[(j - r0) * m + (i - r0)];
  }
  return out;
}

/**
 * The widened block's memory, kept between products (up to {@link GRAM_BLOCK_BYTES}): a new 32 MB
 * array per layer is 32 MB of fresh pages the kernel faults in, 2 GB over the 68 layers of a CIFAR
 * ResNet-18 epoch. One products computation at a time takes it; another one meanwhile (two queries
 * of the service) gets an array of its own.
 */
let spareBlock: Float64Array | undefined;

function takeBlock(length: number): Float64Array {
  const spare = spareBlock;
  if (spare && spare.length >= length) {
    spareBlock = undefined;
    return spare.subarray(0, length);
  }
  return new Float64Array(length);
}

function giveBlock(block: Float64Array): void {
  const whole = new Float64Array(block.buffer);
  if (!spareBlock || whole.length > spareBlock.length) spareBlock = whole;
}

async function runProducts(session: RuntimeSession, feeds: Record<string, Ort.Tensor>, n: number, length: number): Promise<Float64Array> {
  let out: Ort.InferenceSession.ReturnType;
  try {
    out = await session.run(feeds, [GRAM_OUTPUT]);
  } catch (e) {
    throw new NativeGramError(`ONNX Runtime failed on the Gram products of ${n} samples: ${firstLine(String((e as Error)?.message ?? e))}`);
  }
  const data = out[GRAM_OUTPUT]?.data;
  if (!(data instanceof Float64Array) || data.length !== length)
    throw new NativeGramError(`ONNX Runtime gave no float64 products of ${length} values`);
  return data;
}

/** The full float64 Gram matrix `G = X·Xᵀ` (`n × n`, row-major) of {@link nativeGramUpper}'s products, each `g_ij` with `i < j` also at `(j, i)`. */
export async function nativeGram(
  ort: OrtModule,
  samples: SampleArray,
  n: number,
  d: number,
  options: NativeGramOptions = {},
): Promise<Float64Array> {
  const gram = await nativeGramUpper(ort, samples, n, d, new Float64Array(n * n), options);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) gram[j * n + i] = gram[i * n + j];
  return gram;
}

/**
 * All pairwise distances of `n` samples as a full symmetric `n × n` matrix (zero diagonal), from
 * {@link nativeGramUpper}'s products (src/analysis/distances.ts `distancesFromGram`: identical
 * samples at exactly 0), written into `out` (e.g. a view of the compute pool's shared matrix) or a
 * new array.
 */
export async function nativeDistanceMatrix(
  ort: OrtModule,
  samples: SampleArray,
  n: number,
  d: number,
  options: NativeGramOptions & { out?: Float64Array } = {},
): Promise<Float64Array> {
  const out = options.out ?? new Float64Array(n * n);
  await nativeGramUpper(ort, samples, n, d, out, options);
  return distancesFromGram(out, samples, n, d, out);
}

/**
 * {@link nativeDistanceMatrix} of samples not yet checked for non-finite values, or undefined when
 * one holds any (the caller then cleans them: src/analysis/distances.ts `cleanSamples`). The check
 * costs no pass over the samples: a sample's product with itself, `g_ii`, is NaN or Infinity when
 * one of its values is, so a finite `g_ii` for every sample says that every value is finite. (A
 * finite float64 value so large that its square overflows also gives an infinite `g_ii`: then the
 * caller's check decides, as for any other set.)
 */
export async function nativeDistanceMatrixOfFinite(
  ort: OrtModule,
  samples: SampleArray,
  n: number,
  d: number,
  options: NativeGramOptions & { out?: Float64Array } = {},
): Promise<Float64Array | undefined> {
  const out = options.out ?? new Float64Array(n * n);
  await nativeGramUpper(ort, samples, n, d, out, options);
  for (let i = 0; i < n; i++) {
    const g = out[i * n + i];
    if (g - g !== 0) return undefined;
  }
  return distancesFromGram(out, samples, n, d, out);
}
