import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { oneThreadInterSampleEntropies, OneThreadEntropies } from '../../../src/measure/oneThreadEntropies';

describe('inter-sample entropies on one thread (oneThreadEntropies), for the measurement worker', function () {
  this.timeout(120000);
  // Large enough that the pool takes its shared-matrix path instead of running inline.
  const n = 300;
  const d = 300;
  const random = seededRandom(15);
  const values = Float32Array.from({ length: n * d }, () => Math.max(0, random() - 0.3));
  values[7] = NaN;
  const labels = Array.from({ length: n }, () => Math.floor(random() * 4));
  const byClass = [0, 1, 2, 3].map((c) => labels.flatMap((y, i) => (y === c ? [i] : [])));

  it('gives bit-identical entropies and distance matrix to the compute pool, for all samples and each class', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      let poolMatrix: Float64Array | undefined;
      const fromPool = await pool.interSampleEntropies(values, n, d, ['all', ...byClass], { k: 40, onDistances: (m) => (poolMatrix = m) });
      let hereMatrix: Float64Array | undefined;
      const here = oneThreadInterSampleEntropies(values, n, d, ['all', ...byClass], { k: 40, onDistances: (m) => (hereMatrix = m) });
      assert.ok(poolMatrix, 'the pool took its shared-matrix path');
      assert.ok(hereMatrix);
      assert.ok(Buffer.from(hereMatrix.buffer).equals(Buffer.from(poolMatrix.buffer)), 'the distance matrices are the same bytes');
      assert.deepEqual(
        here.map((r) => [r.n, r.K, r.entropyBits, r.nonFiniteCount]),
        fromPool.map((r) => [r.n, r.K, r.entropyBits, r.nonFiniteCount]),
      );
      assert.ok(here.every((r) => typeof r.entropyBits === 'number' && r.entropyBits > 0));
    } finally {
      pool.close();
    }
  });

  it('gives bit-identical entropies to the compute pool when every other sample is a neighbour (k ≥ N - 1, as in a LeNet recording)', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      const fromPool = await pool.interSampleEntropies(values, n, d, ['all', ...byClass], { k: 1000 });
      const here = oneThreadInterSampleEntropies(values, n, d, ['all', ...byClass], { k: 1000 });
      assert.deepEqual(
        here.map((r) => [r.n, r.K, r.entropyBits]),
        fromPool.map((r) => [r.n, r.K, r.entropyBits]),
      );
      assert.equal(here[0].K, n - 1);
      // Run again on this thread: the neighbour lists it reuses leave nothing behind.
      assert.deepEqual(oneThreadInterSampleEntropies(values, n, d, ['all', ...byClass], { k: 1000 }), here);
    } finally {
      pool.close();
    }
  });

  it('answers as an inter-sample engine does, undefined for a subset of fewer than three samples', async () => {
    const [all, pair] = await new OneThreadEntropies().interSampleEntropies(values, n, d, ['all', [0, 1]], { k: 40 });
    assert.equal(all.n, n);
    assert.equal(all.K, 40);
    assert.equal(pair.entropyBits, undefined);
  });
});
