import assert from 'node:assert/strict';
import {
  checkPairwiseSize,
  hasErrorCode,
  layerActivations,
  layerDistanceCodes,
  maxPairwiseInputs,
  pairCount,
  pairwiseBytes,
  PairwiseSizeError,
  PAIRWISE_MEMORY_BUDGET_BYTES,
  sameLabelPairs,
  SHARED_DISTANCE_MATRIX_BYTES,
} from '../../../src/analysis';
import { asQueryError } from '../../../src/service/queryErrors';

describe('pairwise budget: memory of the N² measures, bounded before they allocate', () => {
  it('counts pairs and estimates bytes by the documented rules (known answers)', () => {
    assert.equal(pairCount(0), 0);
    assert.equal(pairCount(1), 0);
    assert.equal(pairCount(2), 1);
    assert.equal(pairCount(70_000), 2_449_965_000);
    // Binned codes: 20 bytes per pair in flight, 3 per pair per stream kept.
    assert.equal(pairwiseBytes({ kind: 'codes', n: 1000, streams: 2 }), 499_500 * 26);
    assert.equal(pairwiseBytes({ kind: 'codes', n: 1000, streams: 0 }), 499_500 * 23, 'at least one stream');
    // Inter-sample entropy: the whole matrix where it is kept (8 n²), and 32 bytes per neighbour (k ≤ n − 1).
    assert.equal(pairwiseBytes({ kind: 'inter', n: 1000, k: 10 }), 8 * 1000 * 1000 + 32 * 1000 * 10);
    assert.equal(pairwiseBytes({ kind: 'inter', n: 1000, k: 5000 }), 8 * 1000 * 1000 + 32 * 1000 * 999);
    // Beyond the shared matrix, rows are streamed: only the neighbours count.
    const big = Math.ceil(Math.sqrt(SHARED_DISTANCE_MATRIX_BYTES / 8)) + 1;
    assert.equal(pairwiseBytes({ kind: 'inter', n: big, k: 100 }), 32 * big * 100);
  });

  it('the most inputs that fit is exact at the boundary', () => {
    for (const work of [
      { kind: 'codes', n: 100_000, streams: 2 },
      { kind: 'codes', n: 100_000, streams: 129 },
      { kind: 'inter', n: 1_000_000, k: 1_000_000 },
    ] as const) {
      const most = maxPairwiseInputs(work);
      assert.ok(pairwiseBytes({ ...work, n: most }) <= PAIRWISE_MEMORY_BUDGET_BYTES, `${work.kind}: ${most} fits`);
      assert.ok(pairwiseBytes({ ...work, n: most + 1 }) > PAIRWISE_MEMORY_BUDGET_BYTES, `${work.kind}: ${most + 1} does not`);
    }
    assert.equal(maxPairwiseInputs({ kind: 'codes', n: 500, streams: 2 }), 500, 'a size that fits is its own most');
    assert.equal(maxPairwiseInputs({ kind: 'codes', n: 70_000, streams: 2 }), 18_176);
  });

  it('refuses above the budget with a coded error that says the need, the limit and how many fit', () => {
    assert.doesNotThrow(() => checkPairwiseSize({ kind: 'codes', n: 500, streams: 64 }, 'capacity'));
    assert.throws(
      () => checkPairwiseSize({ kind: 'codes', n: 70_000, streams: 2 }, 'mi pairwise'),
      (e: unknown) => {
        assert.ok(PairwiseSizeError.is(e));
        assert.ok(hasErrorCode(e, 'too-many-pairs'));
        assert.equal(e.maxInputs, 18_176);
        assert.equal(
          (e as Error).message,
          'mi pairwise on 70,000 inputs would need about 59 GB of memory (it looks at every pair of inputs, 2,449,965,000 pairs), ' +
            'above the limit of 4.0 GB: use at most 18,176 inputs (a subset of them)',
        );
        return true;
      },
    );
    assert.throws(
      () => checkPairwiseSize({ kind: 'codes', n: 30, streams: 1 }, 'x', (m) => `probe at most ${m}`, 1000),
      /above the limit of 0\.0 GB: probe at most 9$/,
    );
  });

  it('the analysis functions check before they allocate, and a query reports it as out of range', () => {
    // Refused at once: 70,000 labels would have asked for 2.4 GB of same-label flags, and 1,000
    // channels of 20,000 inputs for 200 GB of codes.
    const labels = new Int32Array(70_000);
    assert.throws(
      () => sameLabelPairs(labels),
      (e: unknown) => PairwiseSizeError.is(e) && /pairing the labels on 70,000 inputs/.test((e as Error).message),
    );
    const layer = layerActivations([20_000, 1, 1, 1000], new Float32Array(20_000 * 1000));
    assert.throws(
      () => layerDistanceCodes(layer),
      (e: unknown) => PairwiseSizeError.is(e) && /the pair distances of 1000 channels/.test((e as Error).message),
    );
    const asQuery = asQueryError(new PairwiseSizeError('too many', 10));
    assert.equal(asQuery.code, 'out-of-range');
    assert.equal(asQuery.message, 'too many');
    // A stack overflow is a RangeError too, but a bug: internal, not a subset too large.
    let overflow: unknown;
    const deep = (k: number): number => deep(k + 1) + 1;
    try {
      deep(0);
    } catch (e) {
      overflow = e;
    }
    assert.ok(overflow instanceof RangeError);
    assert.equal(asQueryError(overflow).code, 'internal');
  });
});
