import assert from 'node:assert/strict';
import { NEAR_DUPLICATE_SHARE } from '../../../src/analysis/nearDuplicates';
import { redundancy, redundantChannels } from '../../../src/analysis/redundancy';

// A layer of five channels: 0, 1 and 3 near-duplicates of each other (0–1 at exactly 0.9 of the
// smaller own capacity, 1–3 at 0.95), 2 unrelated, 4 dead (own capacity 0: nothing to duplicate).
function matrix(): { rows: number; columns: number; values: (number | null)[] } {
  const own = [2, 1.5, 2, 3, 0];
  const n = own.length;
  const values: (number | null)[] = new Array<number | null>(n * n).fill(0.2);
  own.forEach((v, c) => (values[c * n + c] = v));
  const set = (c: number, d: number, v: number) => (values[c * n + d] = values[d * n + c] = v);
  set(0, 1, 0.9 * 1.5);
  set(1, 3, 0.95 * 1.5);
  set(0, 3, 0.5);
  set(2, 4, 0);
  return { rows: n, columns: n, values };
}

describe('redundancy (near-duplicate channels)', function () {
  it('pairs at NEAR_DUPLICATE_SHARE of the smaller own capacity are near-duplicates; their groups are connected components', function () {
    assert.equal(NEAR_DUPLICATE_SHARE, 0.9);
    const r = redundancy(matrix());
    assert.deepEqual(r.groups, [[0, 1, 3]]);
    assert.equal(r.nearDuplicatePairs, 2);
    assert.equal(r.comparedPairs, 6); // pairs among 0–3; the dead channel 4 is not compared
    assert.equal(r.share, 2 / 6);
  });

  it('just below the share is not a near-duplicate', function () {
    const m = matrix();
    m.values[0 * 5 + 1] = m.values[1 * 5 + 0] = 0.8999 * 1.5;
    assert.deepEqual(redundancy(m).groups, [[1, 3]]);
  });

  it('all but the member of the largest own capacity of each group could go', function () {
    const m = matrix();
    assert.deepEqual(redundantChannels(m, redundancy(m).groups), [0, 1]);
    assert.deepEqual(redundantChannels(m, []), []);
  });
});
