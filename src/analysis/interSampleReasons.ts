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
