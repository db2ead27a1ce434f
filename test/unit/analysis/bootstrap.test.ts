import { strict as assert } from 'node:assert';
import {
  bootstrapDraws,
  bootstrapMean,
  coversZero,
  holmAdjust,
  pairedDifferences,
  percentileInterval,
  resampledMeans,
} from '../../../src/analysis/bootstrap';

describe('bootstrap over the probe inputs', () => {
  it('draws the same resamples for the same seed: mulberry32(0) gives inputs 2, 0, 2, 1, 4, 5, 6, 6, 4, 5 of 10', () => {
    assert.deepEqual([...bootstrapDraws(10, 1, 0)], [2, 0, 2, 1, 4, 5, 6, 6, 4, 5]);
    assert.deepEqual(bootstrapDraws(7, 30, 3), bootstrapDraws(7, 30, 3));
    assert.notDeepEqual(bootstrapDraws(7, 30, 3), bootstrapDraws(7, 30, 4));
    assert.throws(() => bootstrapDraws(0, 10, 0), /at least one input/);
  });

  it('takes the mean of each resample: rows of the draws', () => {
    const draws = Int32Array.from([0, 0, 1, 2, 2, 2]); // two resamples of 3 inputs
    assert.deepEqual([...resampledMeans([3, 6, 9], draws)], [(3 + 3 + 6) / 3, 9]);
  });

  it('has the nearest-rank percentile interval: of 1..2000 at 95 % the 50th and the 1,950th; of 1..10 at 80 % the 1st and 9th', () => {
    const shuffled = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 2000) + 1);
    assert.deepEqual(percentileInterval(shuffled), { low: 50, high: 1950 });
    assert.deepEqual(percentileInterval([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 0.8), { low: 1, high: 9 });
  });

  it('gives a constant list no spread, and [0, 1] the whole range (means 0, ½, 1 with chances ¼, ½, ¼)', () => {
    assert.deepEqual(bootstrapMean([3, 3, 3, 3]), { mean: 3, standardError: 0, low: 3, high: 3 });
    const r = bootstrapMean([0, 1]);
    assert.equal(r.mean, 0.5);
    assert.deepEqual([r.low, r.high], [0, 1]);
    // The standard error of the resampled means tends to the plug-in σ/√n = 0.5/√2 = 0.354.
    assert.ok(Math.abs(r.standardError - 0.5 / Math.SQRT2) < 0.01, String(r.standardError));
  });

  it('matches the textbook on 0, 0.01, …, 0.99: standard error σ/√n = 0.0289, interval ≈ mean ± 1.96 of it', () => {
    const values = Array.from({ length: 100 }, (_, i) => i / 100);
    const sigma = Math.sqrt((100 * 100 - 1) / 12) / 100;
    const r = bootstrapMean(values);
    assert.equal(r.mean, 0.495);
    assert.ok(Math.abs(r.standardError / (sigma / 10) - 1) < 0.05, String(r.standardError));
    assert.ok(Math.abs(r.low - (0.495 - 1.96 * (sigma / 10))) < 0.01, String(r.low));
    assert.ok(Math.abs(r.high - (0.495 + 1.96 * (sigma / 10))) < 0.01, String(r.high));
    // Deterministic: the pinned numbers of seed 0 and 2,000 resamples.
    assert.ok(Math.abs(r.standardError - 0.029194) < 1e-6, String(r.standardError));
    assert.deepEqual(bootstrapMean(values), r);
  });

  it('pairs differences input by input, and says whether an interval covers 0', () => {
    assert.deepEqual([...pairedDifferences([1, 2, 4], [1, 1, 1])], [0, 1, 3]);
    assert.throws(() => pairedDifferences([1], [1, 2]), /equally long/);
    assert.equal(coversZero({ low: -0.1, high: 0.2 }), true);
    assert.equal(coversZero({ low: 0, high: 0.2 }), true);
    assert.equal(coversZero({ low: 0.01, high: 0.2 }), false);
  });

  it("adjusts p-values by Holm's step-down rule, leaving out the untested", () => {
    // Sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max 0.02, 0.03, 0.06, 0.06.
    const adjusted = holmAdjust([0.01, 0.04, 0.03, null, 0.005]);
    const expected = [0.03, 0.06, 0.06, undefined, 0.02];
    adjusted.forEach((p, i) => (expected[i] === undefined ? assert.equal(p, undefined) : assert.ok(Math.abs(p! - expected[i]) < 1e-12)));
    assert.deepEqual(holmAdjust([0.6, 0.5]), [1, 1]);
    assert.deepEqual(holmAdjust([]), []);
  });
});
