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
  gatherSampleRows,
  interSampleEntropy,
  InterSampleResult,
  type LayerValues,
  MatrixNeighbours,
  neighbourCount,
  neighbourEntropy,
  type SampleChannelEntropies,
  SHARED_DISTANCE_MATRIX_BYTES,
  wholeMatrixBudget,
} from '../analysis';

/** What the measurement needs of an inter-sample engine: the compute pool, or this thread (`OneThreadEntropies`). */
export interface InterSampleEngine {
  interSampleEntropies(
    values: ArrayLike<number>,
    n: number,
    d: number,
    subsets: (readonly number[] | 'all')[],
    options: {
      k?: number;
      onDistances?: (matrix: Float64Array) => void;
      /**
       * The full `n × n` float64 distance matrix of `values` (finite values), computed already by the
       * native pass worker: the compute pool reads it instead of computing the distances (the one
       * thread's engine, which measures TensorFlow.js runs only, never gets one).
       */
      distances?: SharedArrayBuffer;
    },
  ): Promise<InterSampleResult[]>;
  /** Whether {@link featureMapEntropies} takes `values` (the compute pool's, for a layer in shared memory); absent: never. */
  takesFeatureMaps?(values: LayerValues): boolean;
  /** The `[N, C]` table of intra-sample entropies of every feature map of `values`, as sampleChannelEntropies gives it. */
  featureMapEntropies?(values: LayerValues, bins: number): Promise<SampleChannelEntropies>;
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
  if (n * n * 8 > SHARED_DISTANCE_MATRIX_BYTES) {
    return subsets.map((s) =>
      s === 'all' ? interSampleEntropy(values, n, d, { k }) : interSampleEntropy(gatherSampleRows(values, d, s), s.length, d, { k }),
    );
  }
  const clean = cleanSamples(values, n, d);
  const kernel = new DistanceKernel(clean.data, n, clean.d, undefined, wholeMatrixBudget(n, clean.d));
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
    if (K < 2) return { ...base, n: m, K, entropyBits: undefined, undefinedReason: 'too-few-samples' as const };
    const { indices, weights } = neighbourScratch(m * K);
    new MatrixNeighbours(matrix, n, s === 'all' ? undefined : s, K).select(0, m, indices, weights);
    return { ...base, n: m, K, ...neighbourEntropy(m, K, indices, weights) };
  });
}

/** Neighbour lists of the largest subset so far, reused: one layer's are megabytes, and a recording measures dozens. */
let scratch: { indices: Int32Array; weights: Float64Array } | undefined;

function neighbourScratch(length: number): { indices: Int32Array; weights: Float64Array } {
  if (!scratch || scratch.indices.length < length) scratch = { indices: new Int32Array(length), weights: new Float64Array(length) };
  return { indices: scratch.indices.subarray(0, length), weights: scratch.weights.subarray(0, length) };
}
