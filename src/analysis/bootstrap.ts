/**
 * The bootstrap over the probe inputs (estimators.md "Findings" and "Channel importance"): how far
 * a mean over the probe inputs (a loss, a change of loss) would move had other inputs been drawn.
 * Resamples of the inputs with replacement, drawn with a fixed seed, so every answer is the same
 * every time it is computed; the interval is the percentile interval of the resampled means.
 */
import { seededRandom } from './random';

/** Resamples a bootstrap draws by default. */
export const BOOTSTRAP_RESAMPLES = 2000;
/** The coverage of a bootstrap interval (two-sided, equal tails). */
export const BOOTSTRAP_LEVEL = 0.95;
/** The seed of the resamples by default. */
export const BOOTSTRAP_SEED = 0;

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  level?: number;
}

export interface MeanInterval {
  /** The mean of the values themselves. */
  mean: number;
  /** The standard deviation of the resampled means (the bootstrap standard error of the mean). */
  standardError: number;
  /** The percentile interval of the resampled means at `level`. */
  low: number;
  high: number;
}

/**
 * `resamples` resamples of `n` inputs with replacement, row `b` at `[b·n, (b + 1)·n)`: input
 * `⌊u·n⌋` for each draw `u` of mulberry32 seeded with `seed` (src/analysis/random.ts), in order.
 */
export function bootstrapDraws(n: number, resamples: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a bootstrap needs at least one input, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  const random = seededRandom(seed);
  const draws = new Int32Array(n * resamples);
  for (let k = 0; k < draws.length; k++) draws[k] = Math.floor(random() * n);
  return draws;
}

/** `[resample]`: the mean of `values` over each resample's inputs (the rows of `draws`). */
export function resampledMeans(values: ArrayLike<number>, draws: Int32Array): Float64Array {
  const n = values.length;
  const resamples = draws.length / n;
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let k = b * n; k < (b + 1) * n; k++) sum += values[draws[k]];
    means[b] = sum / n;
  }
  return means;
}

/**
 * The percentile interval of `samples` at `level`, by nearest rank: with the samples sorted
 * ascending, `low` is the ⌈B·(1 − level)/2⌉-th and `high` the ⌈B·(1 + level)/2⌉-th (1-based; with
 * 2,000 samples at 95 %, the 50th and the 1,950th). Undefined (NaN) samples sort last; none expected.
 */
export function percentileInterval(samples: ArrayLike<number>, level = BOOTSTRAP_LEVEL): { low: number; high: number } {
  const sorted = Float64Array.from(samples).sort();
  const b = sorted.length;
  if (!b) throw new RangeError('a percentile interval needs at least one sample');
  const rank = (p: number) => Math.min(b, Math.max(1, Math.ceil(b * p - 1e-9)));
  return { low: sorted[rank((1 - level) / 2) - 1], high: sorted[rank((1 + level) / 2) - 1] };
}

/** The standard deviation of `samples` (divided by their count less one; 0 for one sample). */
export function standardDeviation(samples: ArrayLike<number>): number {
  const b = samples.length;
  if (b < 2) return 0;
  let mean = 0;
  for (let i = 0; i < b; i++) mean += samples[i];
  mean /= b;
  let ss = 0;
  for (let i = 0; i < b; i++) ss += (samples[i] - mean) ** 2;
  return Math.sqrt(ss / (b - 1));
}

/** The mean of `values` with its bootstrap standard error and percentile interval (the draws of {@link bootstrapDraws}). */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions = {}): MeanInterval {
  const draws = bootstrapDraws(values.length, options.resamples ?? BOOTSTRAP_RESAMPLES, options.seed ?? BOOTSTRAP_SEED);
  return intervalOf(values, resampledMeans(values, draws), options.level);
}

/** The mean of `values` and what its resampled `means` say of it. */
export function intervalOf(values: ArrayLike<number>, means: ArrayLike<number>, level = BOOTSTRAP_LEVEL): MeanInterval {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return { mean: sum / values.length, standardError: standardDeviation(means), ...percentileInterval(means, level) };
}

/** The paired differences `after[i] − before[i]` (the same inputs measured twice). */
export function pairedDifferences(after: ArrayLike<number>, before: ArrayLike<number>): Float64Array {
  if (after.length !== before.length)
    throw new RangeError(`paired values need equally long lists, got ${after.length} and ${before.length}`);
  return Float64Array.from(after, (a, i) => a - before[i]);
}

/** Whether an interval holds 0 (its ends included): the data cannot tell the sign of what it bounds. */
export const coversZero = (i: { low: number; high: number }): boolean => i.low <= 0 && i.high >= 0;

/**
 * Holm's step-down adjustment of p-values for the family of tests given (family-wise error rate):
 * sorted ascending, the k-th smallest (1-based) of m becomes `max over j ≤ k of min(1, (m − j + 1)·p_j)`.
 * Undefined p-values are not tests: they stay undefined and do not count in m.
 */
export function holmAdjust(pValues: readonly (number | null | undefined)[]): (number | undefined)[] {
  const tested = pValues.flatMap((p, i) => (typeof p === 'number' && Number.isFinite(p) ? [{ p, i }] : []));
  tested.sort((a, b) => a.p - b.p || a.i - b.i);
  const m = tested.length;
  const out: (number | undefined)[] = pValues.map(() => undefined);
  let running = 0;
  tested.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
