/**
 * The compute pool's stages of the inter-sample entropy (pool.ts): the distance matrix (on the
 * native Gram kernel or the workers) and the neighbour search, the O(N·K) symmetrisation on the
 * calling thread. Results are identical to src/analysis `interSampleEntropy` (same code, same
 * summation order); only the schedule differs.
 */
import {
  cleanSamples,
  DEFAULT_K,
  interSampleEntropy,
  InterSampleResult,
  neighbourCount,
  neighbourEntropy,
  checkPairwiseSize,
  CancelledError,
  gatherSampleRows,
  upperTriangleOrigins,
  type CleanSamples,
} from '../analysis';
import { interSampleRows, distanceTiles, SharedSamples } from '../contract/protocols/compute';
import { nativeDistanceMatrix, nativeDistanceMatrixOfFinite, NativeGramError, usesNativeGram } from '../native/nativeGram';
import { nativeRuntime } from '../native/ortRuntime';
import { INLINE_WORK, type StageScheduler } from './scheduler';
import { countOnlySamples, sharedArray, sharedSamples } from './sharedLayer';

/**
 * Work units of one neighbour entry (selection, the σ search's exponentials, symmetrisation)
 * against one multiply-add of the distances: with small layers the neighbour phase dominates,
 * and it is worth the threads too (measured on N = 500, D = 10 and 64).
 */
const NEIGHBOUR_WORK = 100;

function inlineWork(n: number, d: number, k: number): boolean {
  return n * n * d + NEIGHBOUR_WORK * n * Math.min(k, n - 1) < INLINE_WORK;
}

export class InterSampleStages {
  constructor(
    private readonly scheduler: StageScheduler,
    /** Largest shared distance matrix before the neighbour search streams rows. */
    private readonly sharedMatrixBytes: number,
  ) {}

  /**
   * Inter-sample entropy (paper 4.4.1) of `n` samples of `d` values on all workers: the workers
   * take the tiles of the distance matrix's upper triangle in chunks, then chunks of rows to find
   * their neighbours; the O(N·K) symmetrisation runs here.
   */
  async interSampleEntropy(
    values: ArrayLike<number>,
    n: number,
    d: number,
    options: { k?: number; signal?: AbortSignal } = {},
  ): Promise<InterSampleResult> {
    const k = options.k ?? DEFAULT_K;
    const K = neighbourCount(n, k);
    checkPairwiseSize({ kind: 'inter', n, k: K }, 'inter-sample entropy');
    if (K < 2 || inlineWork(n, d, k) || this.scheduler.size === 1) return interSampleEntropy(values, n, d, { k });
    const t0 = performance.now();
    const { clean, samples, matrix, kernel } = await this.distances(values, n, d, options.signal, n * n * 8 <= this.sharedMatrixBytes);
    const t1 = performance.now();
    const indices = new SharedArrayBuffer(n * K * 4);
    const weights = new SharedArrayBuffer(n * K * 8);
    await this.scheduler.stage(
      interSampleRows,
      n,
      this.scheduler.chunkOf(n, 8),
      (claims) => ({ matrix, samples, K, r0: 0, r1: n, indices, weights, claims }),
      options.signal,
    );
    const t2 = performance.now();
    const entropy = neighbourEntropy(n, K, new Int32Array(indices), new Float64Array(weights));
    const t3 = performance.now();
    return {
      ...entropy,
      timingsMs: { distances: t1 - t0, neighbours: t2 - t1, entropy: t3 - t2 },
      n,
      K,
      nonFiniteCount: clean.nonFiniteCount,
      droppedCoordinates: clean.droppedCoordinates,
      kernel,
    };
  }

  /**
   * Inter-sample entropies of several subsets of one sample set (e.g. all probe inputs and each
   * class): the distance matrix is computed once and every subset reads its sub-block, which gives
   * bit-identical results to computing each subset on its own. `'all'` stands for every sample.
   */
  async interSampleEntropies(
    values: ArrayLike<number>,
    n: number,
    d: number,
    subsets: (readonly number[] | 'all')[],
    options: {
      k?: number;
      signal?: AbortSignal;
      /**
       * Receives the full `n × n` distance matrix of all samples once the workers have computed it
       * (only then: not when the work runs inline), for a caller that needs the same distances.
       */
      onDistances?: (matrix: Float64Array) => void;
      /**
       * The full `n × n` float64 distance matrix of `values`, all finite, computed already on the
       * native kernel (src/native/nativePass.ts): read instead of computing the distances.
       */
      distances?: SharedArrayBuffer;
    } = {},
  ): Promise<InterSampleResult[]> {
    const k = options.k ?? DEFAULT_K;
    checkPairwiseSize({ kind: 'inter', n, k: neighbourCount(n, k) }, 'inter-sample entropy');
    if (inlineWork(n, d, k) || this.scheduler.size === 1 || n * n * 8 > this.sharedMatrixBytes) {
      const out: InterSampleResult[] = [];
      for (const s of subsets) {
        out.push(
          s === 'all'
            ? await this.interSampleEntropy(values, n, d, options)
            : await this.interSampleEntropy(gatherSampleRows(values, d, s), s.length, d, options),
        );
      }
      return out;
    }
    const given = options.distances;
    if (given && given.byteLength !== n * n * 8) throw new RangeError(`the distances of ${n} samples need ${n * n} float64 values`);
    const { clean, samples, matrix, kernel } =
      given && (values instanceof Float32Array || values instanceof Float64Array)
        ? { clean: finiteSamples(values, n, d), samples: countOnlySamples(n), matrix: given, kernel: 'native' as const }
        : await this.distances(values, n, d, options.signal, true);
    if (!matrix) throw new Error('the distance matrix was not computed');
    options.onDistances?.(new Float64Array(matrix));
    const results: InterSampleResult[] = [];
    for (const s of subsets) {
      const m = s === 'all' ? n : s.length;
      const K = neighbourCount(m, k);
      const base = {
        n: m,
        K,
        nonFiniteCount: clean.nonFiniteCount,
        droppedCoordinates: clean.droppedCoordinates,
        kernel,
      };
      if (K < 2) {
        results.push({ ...base, entropyBits: undefined, undefinedReason: 'too-few-samples' });
        continue;
      }
      const indices = new SharedArrayBuffer(m * K * 4);
      const weights = new SharedArrayBuffer(m * K * 8);
      const subset = s === 'all' ? undefined : Array.from(s);
      await this.scheduler.stage(
        interSampleRows,
        m,
        this.scheduler.chunkOf(m, 8),
        (claims) => ({ matrix, samples, K, r0: 0, r1: m, indices, weights, subset, claims }),
        options.signal,
      );
      results.push({ ...base, ...neighbourEntropy(m, K, new Int32Array(indices), new Float64Array(weights)) });
    }
    return results;
  }

  /**
   * `n` samples of `d` values cleaned of non-finite coordinates, and, with `withMatrix`, their full
   * distance matrix in shared memory: on the native kernel (src/native/nativeGram.ts) where the
   * runtime loads (not under `CNN_SLICER_ENGINE=wasm`) and the set is large enough, but not too
   * large (nativeGram.ts `usesNativeGram`), else on the workers. The native kernel runs on this thread (ONNX Runtime holds it while its own
   * threads use every core) and reads the samples where they are (no shared copy), so `samples`
   * then describes their count only: the stages after it read the matrix. A runtime failure (out
   * of memory, say) leaves the set to the workers.
   */
  private async distances(
    values: ArrayLike<number>,
    n: number,
    d: number,
    signal: AbortSignal | undefined,
    withMatrix: boolean,
  ): Promise<{ clean: CleanSamples; samples: SharedSamples; matrix?: SharedArrayBuffer; kernel: 'native' | 'wasm-simd' }> {
    const runtime = withMatrix && usesNativeGram(n, d) ? nativeRuntime() : undefined;
    if (runtime && 'ort' in runtime) {
      if (signal?.aborted) throw new CancelledError();
      const matrix = new SharedArrayBuffer(n * n * 8);
      const throwIfCancelled = () => {
        if (signal?.aborted) throw new CancelledError();
      };
      try {
        // Samples that are all finite (the usual case) go in as they are: the products say so.
        if (values instanceof Float32Array || values instanceof Float64Array) {
          const done = await nativeDistanceMatrixOfFinite(runtime.ort, values, n, d, { out: new Float64Array(matrix), throwIfCancelled });
          if (done) return { clean: finiteSamples(values, n, d), samples: countOnlySamples(n), matrix, kernel: 'native' };
        }
        const clean = cleanSamples(values, n, d);
        await nativeDistanceMatrix(runtime.ort, clean.data, n, clean.d, { out: new Float64Array(matrix), throwIfCancelled });
        return { clean, samples: countOnlySamples(n), matrix, kernel: 'native' };
      } catch (e) {
        if (!(e instanceof NativeGramError)) throw e;
        this.scheduler.log?.(`${e.message}; the WebAssembly kernel computes the distances`);
      }
    }
    const clean = cleanSamples(values, n, d, sharedArray);
    const samples = sharedSamples(clean.data, n, clean.d);
    return { clean, samples, matrix: withMatrix ? await this.distanceMatrix(samples, signal) : undefined, kernel: 'wasm-simd' };
  }

  /** The full symmetric distance matrix of shared samples, its upper triangle's tiles taken in chunks. */
  private async distanceMatrix(samples: SharedSamples, signal?: AbortSignal): Promise<SharedArrayBuffer> {
    const { n } = samples;
    const matrix = new SharedArrayBuffer(n * n * 8);
    const tiles = upperTriangleOrigins(n);
    const count = tiles.length / 2;
    await this.scheduler.stage(
      distanceTiles,
      count,
      this.scheduler.chunkOf(count),
      (claims) => ({ samples, matrix, tiles, claims }),
      signal,
    );
    return matrix;
  }
}

/** Samples known to hold finite values only, as `cleanSamples` describes them: nothing dropped. */
function finiteSamples(values: Float32Array | Float64Array, n: number, d: number): CleanSamples {
  return { n, d, data: values, nonFiniteCount: 0, droppedCoordinates: 0 };
}
