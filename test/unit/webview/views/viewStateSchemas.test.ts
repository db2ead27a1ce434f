// The persisted state of the Query, Training and Compare views is read back through valibot
// schemas: a value of the right shape is kept, anything else falls back to the view's default.
import assert from 'node:assert/strict';
import * as v from 'valibot';
import { EpochChoiceSchema, EstimatorSchema } from '../../../../webview/views/compare/compareState';
import { DraftSchema, OverviewSchema } from '../../../../webview/views/query/queryState';
import { DiversitySourceSchema } from '../../../../webview/views/training/trainingState';

describe('view state schemas', () => {
  it('keep a draft slice of every input subset kind and drop a malformed one', () => {
    const base = { layers: [1, 3], channels: { '1': [0, 2] }, epoch: 2 };
    for (const subset of [
      { kind: 'all' },
      { kind: 'classes', classes: [0, 4] },
      { kind: 'indices', indices: [5, 9] },
      { kind: 'perClass', count: 10, seed: 0 },
    ])
      assert.ok(v.is(DraftSchema, { ...base, subset }), subset.kind);
    assert.ok(!v.is(DraftSchema, { ...base, subset: { kind: 'classes' } }));
    assert.ok(!v.is(DraftSchema, { ...base, subset: { kind: 'all' }, layers: 'conv1' }));
    assert.ok(!v.is(DraftSchema, { ...base, subset: { kind: 'all' }, epoch: undefined }));
    assert.ok(!v.is(DraftSchema, null));
  });

  it('accept only the named overviews, diversity sources and estimators', () => {
    assert.ok(v.is(OverviewSchema, 'network') && v.is(OverviewSchema, 'table'));
    assert.ok(!v.is(OverviewSchema, 'graph'));
    assert.ok(v.is(DiversitySourceSchema, 'dataset') && !v.is(DiversitySourceSchema, 'train'));
    assert.ok(v.is(EstimatorSchema, 'pairwise') && v.is(EstimatorSchema, 'binned') && !v.is(EstimatorSchema, 'kde'));
  });

  it('take the last epoch or a whole non-negative epoch as the compared epoch', () => {
    assert.ok(v.is(EpochChoiceSchema, 'last'));
    assert.ok(v.is(EpochChoiceSchema, 0) && v.is(EpochChoiceSchema, 7));
    assert.ok(!v.is(EpochChoiceSchema, -1) && !v.is(EpochChoiceSchema, 1.5) && !v.is(EpochChoiceSchema, 'first'));
  });
});
