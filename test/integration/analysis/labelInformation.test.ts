// The label information on the compute pool's workers (dist/computeWorker.js): the in-process
// estimators are tested in test/unit/analysis/labelInformation.test.ts.
import assert from 'node:assert/strict';
import {
  channelLabelInformation,
  distanceCodes,
  distanceCodesFromMatrix,
  layerActivations,
  layerDistanceCodes,
  pairwiseInformationFromCodes,
  sameLabelPairs,
} from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { balancedLabels } from '../../support/labels';
import { rng } from '../../support/reference';

const r = rng(16);
/** Balanced labels 0..classes-1, shuffled by the seeded generator. */
const labelsFor = (n: number, classes: number) => balancedLabels(n, classes, r);

describe('distance codes from a distance matrix already computed', () => {
  it("from the compute pool's inter-sample distance matrix are exactly the codes of distanceCodes", async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      // Large enough (N²·D above the inline threshold) that the workers compute the matrix.
      const n = 300;
      const d = 320;
      const x = Float32Array.from({ length: n * d }, r);
      let fromMatrix: ReturnType<typeof distanceCodes> | undefined;
      await pool.interSampleEntropies(x, n, d, ['all'], { k: 50, onDistances: (m) => (fromMatrix = distanceCodesFromMatrix(m, n, 32)) });
      assert.ok(fromMatrix, 'the pool computed the matrix on its workers');
      assert.deepEqual(fromMatrix.codes, distanceCodes(x, n, d, 32).codes);
    } finally {
      pool.close();
    }
  });
});

describe('mutual information with the labels: per channel', () => {
  it('gives the same bits from the compute pool as single-threaded', async () => {
    const pool = new ComputePool({ workers: 2 });
    try {
      // Large enough that the pool does not run it inline.
      const big = layerActivations(
        [300, 4, 4, 6],
        Float32Array.from({ length: 300 * 16 * 6 }, () => r()),
      );
      const labels = labelsFor(300, 10);
      const same = sameLabelPairs(labels);
      const fromPool = (await pool.layerDistanceCodes(big, { bins: 32 })).map((c) => pairwiseInformationFromCodes(c, same));
      assert.deepEqual(fromPool, channelLabelInformation(big, labels, 32));
      assert.deepEqual(
        layerDistanceCodes(big, 32).map((c) => pairwiseInformationFromCodes(c, same)),
        fromPool,
      );
    } finally {
      pool.close();
    }
  });
});
