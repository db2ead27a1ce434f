import assert from 'node:assert/strict';
import { binomialUpperTail, logBinomialProbability } from '../../../src/analysis';

/** Relative difference. */
function close(actual: number, expected: number, relative: number): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `${actual} is not within ${relative} of ${expected}`);
}

describe('binomialUpperTail: P(X ≥ k | n, p), one-sided', () => {
  // Reference values from mpmath at 40 digits (sum of exact terms).
  it('gives 2^-10 for 10 successes of 10 at p = 0.5', () => {
    close(binomialUpperTail(10, 10, 0.5), 2 ** -10, 1e-14);
  });
  it('gives 0.548709834557996 for n = 100, p = 0.1, k = 10', () => {
    close(binomialUpperTail(100, 10, 0.1), 0.5487098345579965, 1e-13);
  });
  it('stays exact at n = 100,000: the mean, a 3-sigma excess and a p-value of 1e-93', () => {
    close(binomialUpperTail(100_000, 10_000, 0.1), 0.50154191290068, 1e-12);
    close(binomialUpperTail(100_000, 10_300, 0.1), 0.000831641908945152, 1e-11);
    close(binomialUpperTail(100_000, 12_000, 0.1), 1.026237644591016e-93, 1e-10);
  });
  it('matches small and lopsided cases', () => {
    close(binomialUpperTail(200, 40, 0.1), 1.700733319727214e-5, 1e-12);
    close(binomialUpperTail(1000, 1, 0.001), 0.632304575229036, 1e-13);
    close(binomialUpperTail(500, 71, 0.1), 0.00177409368814189, 1e-12);
  });
  it('agrees with the sum of exact terms on small n for every k', () => {
    const n = 12;
    const p = 0.3;
    const choose = (a: number, b: number) => {
      let c = 1;
      for (let i = 1; i <= b; i++) c = (c * (a - b + i)) / i;
      return c;
    };
    for (let k = 0; k <= n; k++) {
      let exact = 0;
      for (let i = k; i <= n; i++) exact += choose(n, i) * p ** i * (1 - p) ** (n - i);
      close(binomialUpperTail(n, k, p), exact, 1e-12);
      close(Math.exp(logBinomialProbability(k, n, p)), choose(n, k) * p ** k * (1 - p) ** (n - k), 1e-12);
    }
  });
  it('handles the edges: k ≤ 0 is certain, k > n impossible, p of 0 and 1', () => {
    assert.equal(binomialUpperTail(5, 0, 0.2), 1);
    assert.equal(binomialUpperTail(5, -3, 0.2), 1);
    assert.equal(binomialUpperTail(5, 6, 0.2), 0);
    assert.equal(binomialUpperTail(5, 1, 0), 0);
    assert.equal(binomialUpperTail(5, 5, 1), 1);
    assert.equal(binomialUpperTail(0, 0, 0.5), 1);
  });
  it('underflows to 0 only beyond the doubles, never to NaN', () => {
    const tiny = binomialUpperTail(100_000, 100_000, 0.1);
    assert.equal(tiny, 0);
    assert.ok(binomialUpperTail(10_000, 2_000, 0.1) > 0);
  });
  it('rejects a bad n, k or p with a RangeError', () => {
    assert.throws(() => binomialUpperTail(-1, 0, 0.5), RangeError);
    assert.throws(() => binomialUpperTail(3.5, 1, 0.5), RangeError);
    assert.throws(() => binomialUpperTail(3, 1.5, 0.5), RangeError);
    assert.throws(() => binomialUpperTail(3, 1, 1.5), RangeError);
    assert.throws(() => binomialUpperTail(3, 1, NaN), RangeError);
  });
});
