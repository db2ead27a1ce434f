/**
 * The inter-sample entropies of one layer's samples and of subsets of them (all probe inputs and
 * each class) on the calling thread, for the measurement worker (measureWorker.ts) that measures an
 * epoch on one core while the recorder trains the next on the other. It runs the stages of the
 * compute pool's shared-matrix path (src/compute/pool.ts `interSampleEntropies`) with the same
 * functions of src/analysis, in the same order, so the results are bit-identical to the pool's:
 * one distance matrix, each subset reading its sub-block, and the matrix handed to `onDistances`
 * so that the label information does not compute the distances again.
 */
import {
  cleanSamples,
  DEFAULT_K,
  DistanceKernel,
  distanceMatrix,
  interSampleEntropy,
  InterSampleResult,
  NeighbourSelector,
  neighbourCount,
  symmetricEntropyBits,
} from '../analysis';

/**
 * Largest distance matrix (bytes) built whole, the compute pool's default: beyond it each subset is
 * measured on its own with streamed rows, as the pool does.
 */
const WHOLE_MATRIX_BYTES = 2 * 1024 ** 3;

/** What the measurement needs of an inter-sample engine: the compute pool, or this thread (`OneThreadEntropies`). */
export interface InterSampleEngine {
  interSampleEntropies(
    values: ArrayLike<number>,
    n: number,
    d: number,
    subsets: (readonly number[] | 'all')[],
    options: { k?: number; onDistances?: (matrix: Float64Array) => void },
  ): Promise<InterSampleResult[]>;
}

/** The inter-sample entropies computed on the calling thread, one subset after the other. */
export class OneThreadEntropies implements InterSampleEngine {
  interSampleEntropies(
    values: ArrayLike<number>,
    n: number,
    d: number,
    subsets: (readonly number[] | 'all')[],
    options: { k?: number; onDistances?: (matrix: Float64Array) => void } = {},
  ): Promise<InterSampleResult[]> {
    return Promise.resolve(oneThreadInterSampleEntropies(values, n, d, subsets, options));
  }
}

/** Synchronous body of {@link OneThreadEntropies.interSampleEntropies}. */
export function oneThreadInterSampleEntropies(
  values: ArrayLike<number>,
  n: number,
  d: number,
  subsets: (readonly number[] | 'all')[],
  options: { k?: number; onDistances?: (matrix: Float64Array) => void } = {},
): InterSampleResult[] {
  const k = options.k ?? DEFAULT_K;
  neighbourCount(n, k);
  if (n * n * 8 > WHOLE_MATRIX_BYTES) {
    return subsets.map((s) =>
      s === 'all' ? interSampleEntropy(values, n, d, { k }) : interSampleEntropy(gatherSamples(values, d, s), s.length, d, { k }),
    );
  }
  const clean = cleanSamples(values, n, d);
  const kernel = new DistanceKernel(clean.data, n, clean.d);
  let matrix: Float64Array;
  try {
    matrix = distanceMatrix(kernel);
  } finally {
    kernel.dispose();
  }
  options.onDistances?.(matrix);
  const base = { nonFiniteCount: clean.nonFiniteCount, droppedCoordinates: clean.droppedCoordinates, kernel: kernel.kind };
  return subsetEntropiesFromMatrix(matrix, n, subsets, k, base);
}

/**
 * The inter-sample entropies of subsets of `n` samples from their full `n × n` distance matrix,
 * each subset reading its sub-block: the compute workers' own code for a subset (src/compute,
 * `interSample/rows` with a matrix), so the results are bit-identical to the pool's. `base` gives
 * the fields that describe the samples' cleaning and the distance kernel.
 */
export function subsetEntropiesFromMatrix(
  matrix: Float64Array,
  n: number,
  subsets: (readonly number[] | 'all')[],
  k: number,
  base: Pick<InterSampleResult, 'nonFiniteCount' | 'droppedCoordinates' | 'kernel'>,
): InterSampleResult[] {
  return subsets.map((s) => {
    const m = s === 'all' ? n : s.length;
    const K = neighbourCount(m, k);
    if (K < 2) return { ...base, n: m, K, entropyBits: undefined };
    const indices = new Int32Array(m * K);
    const weights = new Float64Array(m * K);
    const selector = new NeighbourSelector(m, K);
    if (s === 'all') {
      for (let i = 0; i < n; i++) selector.select(matrix, i * n, i, indices, weights, i * K);
    } else {
      // A subset's distances are a sub-block of the full matrix: gather each row, then select.
      const row = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        const at = s[i] * n;
        for (let j = 0; j < m; j++) row[j] = matrix[at + s[j]];
        selector.select(row, 0, i, indices, weights, i * K);
      }
    }
    return { ...base, n: m, K, entropyBits: symmetricEntropyBits(m, K, indices, weights) };
  });
}

/** The rows `rows` of `[*, d]` samples, keeping a Float32Array float32 (the pool's own gathering). */
function gatherSamples(values: ArrayLike<number>, d: number, rows: readonly number[]): ArrayLike<number> {
  const out = values instanceof Float32Array ? new Float32Array(rows.length * d) : new Float64Array(rows.length * d);
  rows.forEach((row, k) => {
    for (let j = 0; j < d; j++) out[k * d + j] = values[row * d + j];
  });
  return out;
}
