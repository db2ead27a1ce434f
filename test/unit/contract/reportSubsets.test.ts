// The input subsets a report holds besides all inputs (src/contract/plan.ts): each class alone, asked by
// the views' own builders so the report's keys are the queries the views ask.
import assert from 'node:assert/strict';
import { canonicalQuery } from '../../../src/contract/queries';
import {
  canonicalSubset,
  informationQueries,
  queries,
  REPORT_CLASS_MIN_INPUTS,
  reportClassSubsets,
  reportPlan,
  subsetSteps,
} from '../../../src/contract/plan';
import type { RunManifest } from '../../../src/contract/runFormat';
import { planLayer, planManifest } from '../../support/planManifest';

const manifest = (classCounts: number[]): RunManifest => {
  const m = planManifest(
    [
      planLayer(0, 'input', 'InputLayer', 1),
      planLayer(1, 'conv1', 'Conv2D', 4),
      planLayer(2, 'pool1', 'MaxPooling2D', 4),
      planLayer(3, 'dense', 'Dense', 1),
    ],
    [0, 1],
  );
  return { ...m, probe: { ...m.probe, classCounts } };
};

describe('report input subsets (plan)', () => {
  it('holds each class with enough probe inputs alone, spelt as the picker spells one class', () => {
    assert.equal(REPORT_CLASS_MIN_INPUTS, 2);
    assert.deepEqual(reportClassSubsets(manifest([5, 1, 0, 2])), [
      { kind: 'classes', classes: [0] },
      { kind: 'classes', classes: [3] },
    ]);
  });

  it('makes equal subsets one query: classes sorted and distinct, every class = all inputs', () => {
    assert.deepEqual(canonicalSubset({ kind: 'classes', classes: [2, 0, 2] }, 4), { kind: 'classes', classes: [0, 2] });
    assert.deepEqual(canonicalSubset({ kind: 'classes', classes: [3, 1, 0, 2] }, 4), { kind: 'all' });
    assert.deepEqual(canonicalSubset({ kind: 'perClass', count: 3 }, 4), { kind: 'perClass', count: 3 });
  });

  it('asks every subset-taking query of the plan for the class, keyed as the views build it', () => {
    const m = manifest([5, 5]);
    const plan = reportPlan(m, { epochs: [0, 1], datasetDiversity: false, deconvolutionChannels: 1 });
    const x = { kind: 'classes' as const, classes: [1] };
    const keys = new Set(subsetSteps(plan, x).map((s) => canonicalQuery(s.query)));
    for (const q of [
      queries.training(x),
      queries.interSample(0, 1, x),
      queries.channelEntropies(2, 0, x),
      queries.capacityMatrix(1, 2, 1, x),
      queries.layerCapacity(1, 2, 0, x),
      informationQueries.plane('binned', x),
      informationQueries.channels(1, x),
      informationQueries.redundancy(2, 1, x),
    ])
      assert.ok(keys.has(canonicalQuery(q)), canonicalQuery(q));
    // Only subset-taking kinds, each with the class.
    for (const s of subsetSteps(plan, x)) assert.deepEqual((s.query as { x?: unknown }).x, x);
    const kinds = new Set(subsetSteps(plan, x).map((s) => s.query.kind));
    for (const kind of ['featureMaps', 'deconvolution', 'confusion', 'run', 'findings', 'smallMultiples'] as const)
      assert.ok(!kinds.has(kind), kind);
  });
});
