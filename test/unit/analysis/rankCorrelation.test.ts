import { strict as assert } from 'node:assert';
import { averageRanks, spearman } from '../../../src/analysis/rankCorrelation';

describe('spearman rank correlation', () => {
  it('ranks ties by the mean of the ranks they span', () => {
    assert.deepEqual([...averageRanks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
  });

  it('is 1 and −1 for monotone relations whatever their shape, and leaves out undefined pairs', () => {
    assert.equal(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125], { permutations: 10 }).rho, 1);
    assert.equal(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], { permutations: 10 }).rho, -1);
    const r = spearman([1, null, 3, 4, NaN, 6], [2, 9, 4, 5, 1, 7], { permutations: 10 });
    assert.equal(r.count, 4);
    assert.equal(r.rho, 1);
  });

  it('matches a hand computation with ties: x = [1,2,2,3], y = [1,3,2,4] → ρ = 0.9487 (Pearson of the average ranks)', () => {
    const r = spearman([1, 2, 2, 3], [1, 3, 2, 4], { permutations: 10 });
    // ranks x [1, 2.5, 2.5, 4], y [1, 3, 2, 4]: cov 2.5 (sums of products), var 4.5 and 5.
    assert.ok(Math.abs(r.rho! - 4.5 / Math.sqrt(4.5 * 5)) < 1e-12, String(r.rho));
  });

  it('is undefined for a constant side or fewer than 3 pairs, with no p-value', () => {
    assert.deepEqual(spearman([1, 1, 1], [1, 2, 3]), { rho: undefined, pValue: undefined, count: 3, permutations: 9999 });
    assert.equal(spearman([1, 2], [1, 2]).rho, undefined);
  });

  it('gives the permutation p-value: 3 points in order have |ρ| = 1 in 2 of 6 orders (p → 1/3), 10 points almost never', () => {
    const small = spearman([1, 2, 3], [1, 2, 3], { permutations: 20000, seed: 1 });
    assert.ok(Math.abs(small.pValue! - 1 / 3) < 0.02, String(small.pValue));
    const ten = Array.from({ length: 10 }, (_, i) => i);
    const large = spearman(ten, ten, { permutations: 999, seed: 1 });
    assert.equal(large.pValue, 1 / 1000, 'only the observed order reaches |ρ| = 1 (10! orders)');
    assert.deepEqual(spearman(ten, ten, { permutations: 99, seed: 7 }), spearman(ten, ten, { permutations: 99, seed: 7 }), 'seeded');
  });
});
