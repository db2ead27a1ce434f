/**
 * The one-sided exact binomial test: how likely it is to see at least `k` successes in `n`
 * independent trials of success probability `p`, P(X ≥ k | n, p). Used to tell a control
 * experiment's probe accuracy from chance (a probe of n inputs, k of them right, against the
 * majority-class rate p).
 *
 * Every term P(X = i) is computed in log space with Loader's saddle-point form (Stirling's error
 * and a cancellation-free deviance, as R's dbinom), and the terms are summed relative to the largest
 * one (log-sum-exp), so nothing under- or overflows and no large log-factorials cancel: accurate to
 * about 1e-13 relative for n up to 100,000 and beyond (a p-value below ~1e-308 is returned as 0,
 * the nearest double).
 */

/** log √(2π). */
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Exact log(n!) for n ≤ 15 (a running sum, no cancellation to speak of at that size). */
const SMALL_LOG_FACTORIALS: number[] = (() => {
  const table = [0];
  for (let i = 1; i <= 15; i++) table.push(table[i - 1] + Math.log(i));
  return table;
})();

/**
 * Stirling's error δ(n) = log n! − log(√(2πn) (n/e)^n), for integer n ≥ 0 (δ(0) = 0 by
 * convention): the table below 16, the asymptotic series beyond (Loader 2000, as in R's dbinom).
 */
function stirlingError(n: number): number {
  if (n === 0) return 0;
  if (n <= 15) return SMALL_LOG_FACTORIALS[n] - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
  const s0 = 1 / 12;
  const s1 = 1 / 360;
  const s2 = 1 / 1260;
  const s3 = 1 / 1680;
  const s4 = 1 / 1188;
  const nn = n * n;
  if (n > 500) return (s0 - s1 / nn) / n;
  if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n;
  if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/** The deviance term x·log(x/m) + m − x, computed without cancellation when x is near m (Loader 2000). */
function devianceTerm(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * log P(X = x) for X ~ Binomial(n, p), 0 < p < 1, integer 0 ≤ x ≤ n, to full double precision
 * for any n (Loader's saddle-point form: no log n! of size n log n is ever subtracted).
 */
export function logBinomialProbability(x: number, n: number, p: number): number {
  const q = 1 - p;
  if (x === 0) return p < 0.1 ? -devianceTerm(n, n * q) - n * p : n * Math.log1p(-p);
  if (x === n) return q < 0.1 ? -devianceTerm(n, n * p) - n * q : n * Math.log(p);
  const lc = stirlingError(n) - stirlingError(x) - stirlingError(n - x) - devianceTerm(x, n * p) - devianceTerm(n - x, n * q);
  const lf = Math.log(2 * Math.PI) + Math.log(x) + Math.log1p(-x / n);
  return lc - 0.5 * lf;
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p): the one-sided p-value of seeing k or more successes.
 * 1 for k ≤ 0, 0 for k > n; p = 0 gives 0 for k ≥ 1, p = 1 gives 1.
 * @throws RangeError for n not a non-negative integer, k not an integer, or p outside [0, 1].
 */
export function binomialUpperTail(n: number, k: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k)) throw new RangeError(`k must be an integer, got ${k}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const logTerm = (i: number) => logBinomialProbability(i, n, p);
  // The terms rise up to the mode ⌊(n + 1)p⌋ and fall after it: the largest term of the tail is at
  // max(k, mode). Summing relative to it keeps every ratio ≤ 1; terms below 1e-20 of it stop the sum.
  const mode = Math.floor((n + 1) * p);
  const peak = Math.max(k, Math.min(mode, n));
  const logPeak = logTerm(peak);
  let sum = 0;
  for (let i = peak; i <= n; i++) {
    const r = Math.exp(logTerm(i) - logPeak);
    sum += r;
    if (r < 1e-20 && i > peak) break;
  }
  for (let i = peak - 1; i >= k; i--) {
    const r = Math.exp(logTerm(i) - logPeak);
    sum += r;
    if (r < 1e-20) break;
  }
  return Math.min(1, Math.exp(logPeak + Math.log(sum)));
}
