import assert from 'node:assert/strict';
import {
  argmaxRows,
  channelEntropies,
  confusionMatrix,
  labelEntropies,
  layerActivations,
  NonFinitePredictionError,
} from '../../../src/analysis';

describe('label entropies (paper 5.2)', () => {
  it('builds the confusion matrix with rows = true labels, columns = predictions', () => {
    assert.deepEqual(confusionMatrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 1]), [
      [1, 1, 0],
      [0, 2, 0],
      [0, 1, 0],
    ]);
  });
  it('gives H(label|pred=i) per column and H(pred|label=i) per row, hand-computed', () => {
    const r = labelEntropies([
      [1, 1, 0],
      [0, 2, 0],
      [0, 1, 0],
    ]);
    assert.deepEqual(r.hLabelGivenPred, [0, 1.5, undefined]);
    assert.deepEqual(r.hPredGivenLabel, [1, 0, 0]);
  });
  it('keeps a class nobody predicted, or with no inputs, undefined (never 0)', () => {
    const r = labelEntropies(confusionMatrix([0, 0], [0, 0], 3));
    assert.deepEqual(r.hLabelGivenPred, [0, undefined, undefined]);
    assert.deepEqual(r.hPredGivenLabel, [0, undefined, undefined]);
  });
  it('gives log2 C when predictions are spread evenly over C classes', () => {
    const r = labelEntropies([
      [2, 2, 2, 2],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    assert.equal(r.hPredGivenLabel[0], 2);
  });
  it('rejects a non-square matrix and labels outside the classes', () => {
    assert.throws(() => labelEntropies([[1, 2]]), /square/);
    assert.throws(() => confusionMatrix([0, 3], [0, 0], 3), /outside/);
  });
  it('takes the argmax of score rows, first maximum on ties', () => {
    assert.deepEqual(Array.from(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0], 2, 3)), [1, 0]);
    assert.deepEqual(Array.from(argmaxRows([-Infinity, -Infinity, 1, Infinity], 2, 2)), [0, 1]);
  });
  it('refuses scores holding NaN instead of counting them as class 0: that input predicts nothing', () => {
    const scores = [0.1, 0.7, 0.2, NaN, NaN, NaN, 0.2, NaN, 0.9];
    assert.throws(
      () => argmaxRows(scores, 3, 3),
      (e: unknown) => {
        assert.ok(NonFinitePredictionError.is(e), String(e));
        assert.equal(e.inputs, 2);
        assert.match((e as Error).message, /^the scores of 2 of 3 inputs are NaN \(the first is input 1\), so they predict no class/);
        return true;
      },
    );
    assert.throws(() => argmaxRows([NaN, 0.5, 0.4], 1, 3), /NaN/);
  });
  it('bounds the class count: 50,000 classes would need 20 GB of confusion matrix', () => {
    assert.throws(
      () => confusionMatrix([0, 49_999], [0, 0]),
      /label 1 is 49999, so at least 50000 classes: at most 1000 classes are supported/,
    );
    assert.throws(() => confusionMatrix([0, 1], [0, 0], 50_000), /^RangeError: 50000 classes: at most 1000 classes/);
    const layer = layerActivations([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    assert.throws(() => channelEntropies(layer, { labels: [0, 60_000] }), /at most 1000 classes/);
    assert.equal(confusionMatrix([0, 999], [999, 0]).length, 1000);
  });
});
