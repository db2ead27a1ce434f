/**
 * Min–max binning shared by the intra-sample entropy (paper 4.4.2) and the channel capacity
 * (paper 5.3.1); estimators.md fixes the rule so that two implementations bin identically.
 */

/** Default number of histogram bins `B` (estimators.md). */
export const DEFAULT_BINS = 32;

/**
 * Most bins accepted: a capacity joint histogram holds bins² counts, and 4096² float64 counts are
 * already 128 MB — far past any resolution the pair counts of a probe set can fill.
 */
export const MAX_BINS = 4096;

/** Throws a RangeError unless `bins` is an integer in [2, MAX_BINS] (estimators.md "Invalid parameters"). */
export function checkBins(bins: number): void {
  if (!Number.isInteger(bins) || bins < 2 || bins > MAX_BINS)
    throw new RangeError(`bins must be an integer from 2 to ${MAX_BINS}, got ${bins}`);
}

/** The finite range of a set of values, and how many non-finite values were skipped. */
export interface FiniteRange {
  lo: number;
  hi: number;
  finiteCount: number;
  nonFiniteCount: number;
}

/** Min and max over the finite values of `values[offset .. offset+length)`; NaN and ±Infinity are counted, not used. */
export function finiteRange(values: ArrayLike<number>, offset = 0, length = values.length - offset): FiniteRange {
  let lo = Infinity;
  let hi = -Infinity;
  let finiteCount = 0;
  for (let i = offset; i < offset + length; i++) {
    const v = values[i];
    if (v - v !== 0) continue; // NaN or ±Infinity
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    finiteCount++;
  }
  return { lo, hi, finiteCount, nonFiniteCount: length - finiteCount };
}

/**
 * The bin of value `v` for the range `[lo, hi]` (estimators.md, intra-sample steps 2–3):
 * `z = (v - lo) / (hi - lo) * 2 - 1`, `b = min(B - 1, floor((z + 1) / 2 * B))`; every value goes
 * to bin 0 when `hi == lo`. The arithmetic is written exactly as the definition so that results
 * agree bit for bit with other implementations of it.
 */
export function binOf(v: number, lo: number, hi: number, bins: number): number {
  if (hi === lo) return 0;
  const z = ((v - lo) / (hi - lo)) * 2 - 1;
  const b = Math.floor(((z + 1) / 2) * bins);
  return b < bins - 1 ? b : bins - 1;
}

/**
 * Bins every finite value of `values[offset .. offset+length)` on its own min–max range into
 * `codes` (same positions); non-finite values get the code `bins` (one past the last bin), so
 * callers can skip them. Returns the range used.
 */
export function binCodes(
  values: ArrayLike<number>,
  codes: Uint8Array | Uint16Array,
  bins: number,
  offset = 0,
  length = values.length - offset,
): FiniteRange {
  checkBins(bins);
  const range = finiteRange(values, offset, length);
  const { lo, hi } = range;
  for (let i = 0; i < length; i++) {
    const v = values[offset + i];
    codes[i] = v - v !== 0 ? bins : binOf(v, lo, hi, bins);
  }
  return range;
}
