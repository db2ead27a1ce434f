import assert from 'node:assert/strict';
import { argmaxRows, confusionMatrix, labelEntropies } from '../../src/analysis';

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
  });
});
