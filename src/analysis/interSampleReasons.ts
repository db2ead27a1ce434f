/** Why an inter-sample entropy is undefined, as codes (the run format's) and in words (every surface's). Its own module: the webviews import it without the estimator. */

/**
 * Why an inter-sample entropy is undefined (estimators.md "Inter-sample entropy" steps 2–3):
 * fewer than 3 samples (`K < 2`); every sample identical; or some sample whose `K` neighbours all
 * sit at distance 0 from it, whose kernel `σ_i` cannot be calibrated.
 */
export const INTER_SAMPLE_UNDEFINED = ['too-few-samples', 'identical-samples', 'tied-neighbours'] as const;
export type InterSampleUndefined = (typeof INTER_SAMPLE_UNDEFINED)[number];

/** The reasons in words, as every surface writes them after "undefined". */
export const INTER_SAMPLE_UNDEFINED_TEXT: Record<InterSampleUndefined, string> = {
  'too-few-samples': 'fewer than 3 inputs',
  'identical-samples': 'all probe inputs are identical here',
  'tied-neighbours': 'some probe input has all its k nearest neighbours identical to it, so its kernel cannot be calibrated',
};

/**
 * Why the neighbour weights of `n` samples (`K` per row, as `NeighbourSelector` writes them) leave
 * the entropy undefined, or `undefined` when it is defined. A row whose `K` weights are all exactly
 * 1 is a row whose neighbours all sit at distance 0: otherwise the weights sum to `log2 K < K` (the
 * σ search) or hold a 0 (the σ → 0 limit). When every row is such a row, the samples are all
 * identical exactly when every row but the first lists sample 0 (its lowest-index neighbour): each
 * row's neighbours are then at distance 0 from sample 0. O(N·K) at worst, one weight a row usually.
 */
export function undefinedReason(n: number, K: number, indices: Int32Array, weights: Float64Array): InterSampleUndefined | undefined {
  if (K < 2 || n < 3) return 'too-few-samples';
  let tied = 0;
  let listsFirst = true;
  for (let i = 0; i < n; i++) {
    const at = i * K;
    let j = 0;
    while (j < K && weights[at + j] === 1) j++;
    if (j < K) continue;
    tied++;
    if (i > 0 && indices[at] !== 0) listsFirst = false;
  }
  if (!tied) return undefined;
  return tied === n && listsFirst ? 'identical-samples' : 'tied-neighbours';
}
