// The Information view's pure parts: what a report precomputes for it (src/contract/plan.ts)
// and the redundancy number and block order of a layer's capacity matrix with itself
// (webview/charts/redundancy.ts).
import assert from 'node:assert/strict';
import { canonicalQuery } from '../../../../../src/contract/queries';
import type { Bits } from '../../../../../src/contract/queries';
import { comparePlan, informationLayers, informationPlan, REPORT_REDUNDANCY_LAYERS, reportPlan } from '../../../../../src/contract/plan';
import { redundancy } from '../../../../../src/analysis/redundancy';
import { groupsText } from '../../../../../webview/charts/redundancy';
import { planLayer, planManifest } from '../../../../support/planManifest';

const layer = planLayer;
const manifestOf = planManifest;

const lenet = manifestOf(
  [
    layer(0, 'input', 'InputLayer', 1),
    layer(1, 'conv1', 'Conv2D', 8),
    layer(2, 'pool1', 'MaxPooling2D', 8),
    layer(3, 'conv2', 'Conv2D', 16),
    layer(4, 'flatten', 'Flatten', 1),
    layer(5, 'dense1', 'Dense', 1),
  ],
  [0, 1, 2],
);

/** A symmetric matrix from its upper triangle and diagonal, row-major. */
function symmetric(n: number, cell: (r: number, c: number) => Bits): { rows: number; columns: number; values: Bits[] } {
  const values: Bits[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) values.push(r <= c ? cell(r, c) : cell(c, r));
  return { rows: n, columns: n, values };
}

describe('Information view: the report plan', () => {
  it('precomputes the plane for both estimators, the channel heatmap of each multi-channel layer and their redundancy at the last epoch', () => {
    const keys = informationPlan(lenet).map((p) => canonicalQuery(p.query));
    assert.deepEqual(informationLayers(lenet), [1, 2, 3]);
    assert.ok(keys.includes(canonicalQuery({ kind: 'informationPlane', estimator: 'pairwise' })));
    assert.ok(keys.includes(canonicalQuery({ kind: 'informationPlane', estimator: 'binned' })));
    for (const l of [1, 2, 3]) {
      assert.ok(keys.includes(canonicalQuery({ kind: 'channelLabelInformation', layer: l })), `channels of layer ${l}`);
      assert.ok(keys.includes(canonicalQuery({ kind: 'capacityMatrix', layerI: l, layerJ: l, epoch: 2 })), `redundancy of layer ${l}`);
    }
    // One-channel layers have no channel heatmap and no redundancy.
    assert.ok(!keys.some((k) => k.includes('"layer":4') || k.includes('"layer":5')));
    assert.ok(informationPlan(lenet).every((p) => p.view === 'information'));
  });

  it('is part of the report plan and of the comparison plan', () => {
    const report = reportPlan(lenet, { epochs: [2], datasetDiversity: false, deconvolutionChannels: 0 }).map((p) =>
      canonicalQuery(p.query),
    );
    for (const step of informationPlan(lenet)) assert.ok(report.includes(canonicalQuery(step.query)));
    const compare = comparePlan(lenet, [lenet]).map((p) => canonicalQuery(p.query));
    assert.ok(compare.includes(canonicalQuery({ kind: 'informationPlane', estimator: 'pairwise' })));
    assert.ok(compare.includes(canonicalQuery({ kind: 'informationPlane', estimator: 'binned' })));
  });

  it('bounds the redundancy matrices of a deep model, keeping the first and the last layer', () => {
    const deep = manifestOf(
      [layer(0, 'input', 'InputLayer', 3), ...Array.from({ length: 40 }, (_, k) => layer(k + 1, `c${k}`, 'Conv2D', 64))],
      [0, 1],
    );
    const redundancyLayers = informationPlan(deep)
      .map((p) => p.query)
      .filter((q) => q.kind === 'capacityMatrix')
      .map((q) => (q.kind === 'capacityMatrix' ? q.layerI : -1));
    assert.equal(redundancyLayers.length, REPORT_REDUNDANCY_LAYERS);
    assert.equal(redundancyLayers[0], 1);
    assert.equal(redundancyLayers[redundancyLayers.length - 1], 40);
    // Every layer still gets its channel heatmap (small: channels × epochs numbers).
    assert.equal(informationPlan(deep).filter((p) => p.query.kind === 'channelLabelInformation').length, 40);
  });

  it('has no redundancy matrix for a run without a recorded epoch', () => {
    assert.ok(!informationPlan(manifestOf(lenet.layers, [])).some((p) => p.query.kind === 'capacityMatrix'));
  });
});

describe('Information view: redundancy of a layer with itself', () => {
  it('finds two groups of duplicate filters, counts their pairs and orders them into blocks', () => {
    // Channels 0, 3, 5 duplicate each other; 1 and 4 duplicate each other; 2 and 6 are unrelated.
    const groupOf = [0, 1, 2, 0, 1, 0, 3];
    const m = symmetric(7, (r, c) => (r === c ? 2 : groupOf[r] === groupOf[c] && groupOf[r] !== 2 && groupOf[r] !== 3 ? 1.9 : 0.3));
    const r = redundancy(m);
    assert.deepEqual(r.groups, [
      [0, 3, 5],
      [1, 4],
    ]);
    assert.equal(r.comparedPairs, 21);
    assert.equal(r.nearDuplicatePairs, 4);
    assert.equal(r.share, 4 / 21);
    // Blocks: the three duplicates together, then the pair, then the rest by index.
    assert.deepEqual(new Set(r.order.slice(0, 3)), new Set([0, 3, 5]));
    assert.deepEqual(new Set(r.order.slice(3, 5)), new Set([1, 4]));
    assert.deepEqual(r.order.slice(5), [2, 6]);
    assert.equal(groupsText(r.groups), '{0, 3, 5}, {1, 4}');
  });

  it('compares with the smaller diagonal: a pair at 90% of it counts, just below does not', () => {
    const at = (v: number) => redundancy(symmetric(2, (r, c) => (r === c ? (r === 0 ? 1 : 3) : v)));
    assert.equal(at(0.9).nearDuplicatePairs, 1);
    assert.equal(at(0.899).nearDuplicatePairs, 0);
  });

  it('leaves out dead channels (own capacity 0) and undefined cells, and is undefined with nothing to compare', () => {
    const m = symmetric(3, (r, c) => (r === c ? (r === 2 ? 0 : 1) : r === 0 && c === 1 ? null : 1));
    const r = redundancy(m);
    assert.equal(r.comparedPairs, 0);
    assert.equal(r.share, undefined);
    assert.deepEqual(r.order, [0, 1, 2]);
  });
});
