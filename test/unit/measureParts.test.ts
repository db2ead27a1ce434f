import assert from 'node:assert/strict';
import { joinParts, splitLayers } from '../../src/recorder/measure';
import type { EpochMetrics, LayerEpochMetrics, RunLayer } from '../../src/run/format';

function layer(index: number, outputShape: number[]): RunLayer {
  return { index, name: `l${index}`, className: 'Dense', outputShape, channels: outputShape.at(-1)!, parameters: 0 };
}

describe('measuring an epoch in two parts on two threads (measure.ts splitLayers, joinParts)', () => {
  it('cuts the layers where the two parts have the most even work, the wide first layer alone against the rest', () => {
    // LeNet's layers: conv1 4,608 values per input, then 1,152, 1,024, 256, 256, 64, 10.
    const lenet = [[28, 28, 1], [24, 24, 8], [12, 12, 8], [8, 8, 16], [4, 4, 16], [256], [64], [10]].map((s, i) => layer(i, s));
    assert.equal(splitLayers(lenet, 500, 1000), 1);
    const even = [[4], [100], [100], [100], [100]].map((s, i) => layer(i, s));
    assert.equal(splitLayers(even, 500, 1000), 2);
  });

  it('does not cut a model of one layer', () => {
    assert.equal(splitLayers([layer(0, [4]), layer(1, [3])], 10, 5), undefined);
  });

  it("joins the first part's layers before the second's, with the second part's label measures and the phases summed", () => {
    const metrics = (layers: number[], probeAccuracy: number, forward: number): EpochMetrics => ({
      epoch: 3,
      trainLoss: null,
      trainAccuracy: null,
      probeLoss: probeAccuracy ? 0.5 : null,
      probeAccuracy,
      confusion: probeAccuracy ? [[1]] : [],
      hLabelGivenPred: [],
      hPredGivenLabel: [],
      layers: layers.map((l) => ({ layer: l }) as LayerEpochMetrics),
      timingsMs: { train: 0, record: 0, forward, channels: 1, inter: 2, labels: 3 },
    });
    const joined = joinParts(metrics([0, 1], 0, 10), metrics([2, 3], 0.9, 20));
    assert.deepEqual(
      joined.layers.map((l) => l.layer),
      [0, 1, 2, 3],
    );
    assert.equal(joined.probeAccuracy, 0.9);
    assert.deepEqual(joined.confusion, [[1]]);
    assert.deepEqual(joined.timingsMs, { train: 0, record: 0, forward: 30, channels: 2, inter: 4, labels: 6 });
  });
});
