import assert from 'node:assert/strict';
import { shannonEntropyBits } from '../../../src/analysis';

describe('shannonEntropyBits (paper eq. 2)', () => {
  it('gives log2 B for a uniform histogram of B bins', () => {
    for (const b of [2, 3, 32, 1000]) assert.ok(Math.abs(shannonEntropyBits(new Array(b).fill(7))! - Math.log2(b)) < 1e-12);
  });
  it('gives 0 when one bin holds everything, ignoring empty bins', () => {
    assert.equal(shannonEntropyBits([0, 5, 0, 0]), 0);
  });
  it('matches a hand-computed distribution: (1, 2, 1) is 1.5 bits', () => {
    assert.ok(Math.abs(shannonEntropyBits([1, 2, 1])! - 1.5) < 1e-15);
  });
  it('is undefined, not 0 or NaN, when there are no counts', () => {
    assert.equal(shannonEntropyBits([]), undefined);
    assert.equal(shannonEntropyBits([0, 0]), undefined);
  });
  it('rejects negative and non-finite counts with a RangeError', () => {
    assert.throws(() => shannonEntropyBits([1, -1]), RangeError);
    assert.throws(() => shannonEntropyBits([1, NaN]), RangeError);
    assert.throws(() => shannonEntropyBits([Infinity]), RangeError);
  });
  it('reads a window of a larger array', () => {
    assert.equal(shannonEntropyBits([9, 1, 1, 9], 1, 2), 1);
  });
});
