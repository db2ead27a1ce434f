// The inter-sample entropy on the compute pool's workers (dist/computeWorker.js): the in-process
// estimator and its kernels are tested in test/unit/analysis/interSample.test.ts.
import assert from 'node:assert/strict';
import { interSampleEntropy } from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { CancelledError } from '../../../src/analysis/errors';
import { oneThreadInterSampleEntropies } from '../../../src/measure/oneThreadEntropies';
import { rng } from '../../support/reference';

describe('ComputePool (all cores)', () => {
  const pool = new ComputePool({ workers: 2 });
  after(() => pool.close());
  it('gives bit-identical inter-sample entropy to the single-threaded function', async () => {
    const r = rng(21);
    const n = 700;
    const d = 60;
    const x = Float64Array.from({ length: n * d }, () => r());
    const parallel = await pool.interSampleEntropy(x, n, d, { k: 100 });
    assert.equal(parallel.entropyBits, interSampleEntropy(x, n, d, { k: 100 }).entropyBits);
    assert.ok(parallel.timingsMs && parallel.timingsMs.distances >= 0);
  });
  it('stops with a CancelledError when aborted, and works again afterwards', async () => {
    const r = rng(22);
    const x = Float64Array.from({ length: 2000 * 50 }, () => r());
    const controller = new AbortController();
    const pending = pool.interSampleEntropy(x, 2000, 50, { k: 100, signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await assert.rejects(pending, (e) => CancelledError.is(e));
    const again = await pool.interSampleEntropy(x.subarray(0, 500 * 50), 500, 50, { k: 100 });
    assert.equal(again.entropyBits, interSampleEntropy(x.subarray(0, 500 * 50), 500, 50, { k: 100 }).entropyBits);
  });
});

describe('ComputePool.interSampleEntropies (subsets from one distance matrix)', () => {
  it('gives bit-identical results to computing each subset on its own', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      const r = rng(23);
      const n = 400;
      const d = 150;
      const x = Float64Array.from({ length: n * d }, () => r());
      const odd = Array.from({ length: 200 }, (_, i) => 2 * i + 1);
      const tiny = [5, 9];
      const [all, sub, none] = await pool.interSampleEntropies(x, n, d, ['all', odd, tiny], { k: 50 });
      assert.equal(all.entropyBits, interSampleEntropy(x, n, d, { k: 50 }).entropyBits);
      const gathered = Float64Array.from(odd.flatMap((i) => Array.from(x.subarray(i * d, i * d + d))));
      assert.equal(sub.entropyBits, interSampleEntropy(gathered, 200, d, { k: 50 }).entropyBits);
      assert.equal(none.entropyBits, undefined);
      assert.equal(none.undefinedReason, 'too-few-samples');
    } finally {
      pool.close();
    }
  });
  it('says a dead layer (every output 0) is undefined because its inputs are identical, on the workers and on one thread', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      const n = 400;
      const d = 150;
      const x = new Float32Array(n * d);
      // Half of the second subset alive: each of its dead inputs still has 99 dead neighbours at k = 50.
      for (let i = 1; i < n; i += 2) x[i * d] = i;
      const evens = Array.from({ length: 200 }, (_, i) => 2 * i);
      const [all, dead] = await pool.interSampleEntropies(x, n, d, ['all', evens], { k: 50 });
      assert.deepEqual([all.entropyBits, all.undefinedReason], [undefined, 'tied-neighbours']);
      assert.deepEqual([dead.entropyBits, dead.undefinedReason], [undefined, 'identical-samples']);
      const whole = await pool.interSampleEntropy(new Float32Array(n * d), n, d, { k: 50 });
      assert.deepEqual([whole.entropyBits, whole.undefinedReason], [undefined, 'identical-samples']);
      const alone = oneThreadInterSampleEntropies(x, n, d, ['all', evens], { k: 50 });
      assert.deepEqual(
        alone.map((r) => r.undefinedReason),
        ['tied-neighbours', 'identical-samples'],
      );
    } finally {
      pool.close();
    }
  });
});
