// The Layer view's strips as src/contract/plan.ts defines them: the epoch
// strip's default epochs, the depth strip's default pairs, and the report precomputing both.
import assert from 'node:assert/strict';
import { canonicalQuery } from '../../../src/contract/queries';
import { depthPairs, queries, REPORT_DEPTH_PAIRS, reportDepthPairs, reportPlan, stripEpochs } from '../../../src/contract/plan';
import type { RunManifest } from '../../../src/contract/runFormat';
import { planLayer, planManifest } from '../../support/planManifest';

const layer = planLayer;
const manifestOf = planManifest;

const lenet = manifestOf(
  [
    layer(0, 'input', 'InputLayer', 1),
    layer(1, 'dense0', 'Dense', 1),
    layer(2, 'pool0', 'MaxPooling2D', 4),
    layer(3, 'conv1', 'Conv2D', 8),
    layer(4, 'pool1', 'MaxPooling2D', 8),
    layer(5, 'conv2', 'Conv2D', 16),
    layer(6, 'flatten', 'Flatten', 1),
    layer(7, 'dense1', 'Dense', 1),
  ],
  Array.from({ length: 13 }, (_, e) => e),
);

describe('Layer view strips (plan)', () => {
  it('spreads the epoch strip over 4 epochs with the first and the last', () => {
    assert.deepEqual(stripEpochs(lenet), [0, 4, 8, 12]);
    assert.deepEqual(stripEpochs(manifestOf(lenet.layers, [0, 1, 2])), [0, 1, 2]);
  });

  it('pairs the first convolution with every later multi-channel layer, or a chosen layer instead', () => {
    assert.deepEqual(depthPairs(lenet), [
      [3, 4],
      [3, 5],
    ]);
    assert.deepEqual(depthPairs(lenet, 2), [
      [2, 3],
      [2, 4],
      [2, 5],
    ]);
    // Without a convolution, the first layer with several channels.
    assert.deepEqual(
      depthPairs(manifestOf([layer(0, 'input', 'InputLayer', 1), layer(1, 'a', 'Dense', 4), layer(2, 'b', 'Dense', 4)], [0])),
      [[1, 2]],
    );
  });

  it('has the report precompute the consecutive pairs and the depth pairs at the strip epochs', () => {
    const keys = new Set(
      reportPlan(lenet, { epochs: [0, 12], datasetDiversity: false, deconvolutionChannels: 0 }).map((p) => canonicalQuery(p.query)),
    );
    const all = { kind: 'all' } as const;
    for (const e of [0, 4, 8, 12]) {
      for (const [a, b] of [
        [2, 3],
        [3, 4],
        [4, 5],
        [3, 5],
      ])
        assert.ok(keys.has(canonicalQuery(queries.capacityMatrix(a, b, e, all))), `${a}:${b} at epoch ${e}`);
    }
  });

  it('leaves the confusion matrices out of the report of a run whose model predicts no class', () => {
    const confusions = (m: RunManifest) =>
      reportPlan(m, { epochs: [0, 12], datasetDiversity: false, deconvolutionChannels: 0 }).filter((p) => p.query.kind === 'confusion')
        .length;
    assert.equal(confusions(lenet), 2);
    assert.equal(confusions({ ...lenet, output: { ...lenet.output, labelMeasuresAbsent: 'a regression output' } } as RunManifest), 0);
  });

  it(`caps the report's depth pairs at ${REPORT_DEPTH_PAIRS}, spread over the depth with the deepest included`, () => {
    const deep = manifestOf(
      [layer(0, 'input', 'InputLayer', 3), ...Array.from({ length: 60 }, (_, k) => layer(k + 1, `conv${k}`, 'Conv2D', 64))],
      [0],
    );
    const pairs = reportDepthPairs(deep);
    assert.equal(depthPairs(deep).length, 59);
    assert.equal(pairs.length, REPORT_DEPTH_PAIRS);
    assert.deepEqual(pairs[0], [1, 2]);
    assert.deepEqual(pairs[pairs.length - 1], [1, 60]);
    assert.deepEqual(reportDepthPairs(lenet), depthPairs(lenet));
  });
});
