// The capacity matrix on the compute pool's workers (dist/computeWorker.js): the in-process kernels
// are tested in test/unit/analysis/capacity.test.ts.
import assert from 'node:assert/strict';
import { capacityMatrix, layerActivations } from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { rng } from '../../support/reference';

const r = rng(31);

describe('capacity matrix of a layer pair (paper Fig. 8)', () => {
  const n = 30;
  const li = layerActivations([n, 2, 2, 3], Float32Array.from({ length: n * 4 * 3 }, r));
  it('is computed identically by the worker pool', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      const m = await pool.capacityMatrix(li, li);
      assert.deepEqual(Array.from(m.values), Array.from(capacityMatrix(li, li).values));
    } finally {
      pool.close();
    }
  });
  it('gives a layer with itself the same matrix on the worker pool, its columns taken from the last', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      const layer = layerActivations([50, 3, 3, 11], Float32Array.from({ length: 50 * 9 * 11 }, r));
      const codes = await pool.layerCodes(layer, 32);
      const self = await pool.capacityFromCodes(codes, codes);
      const copies = codes.map((c) => ({ ...c }));
      const oneByOne = await pool.capacityFromCodes(codes, copies);
      assert.deepEqual(Array.from(self.values), Array.from(oneByOne.values));
      assert.deepEqual(Array.from(self.values), Array.from(capacityMatrix(layer, layer).values));
    } finally {
      pool.close();
    }
  });
});
