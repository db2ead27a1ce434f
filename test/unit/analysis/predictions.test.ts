import assert from 'node:assert/strict';
import { classScores, predictionMeasures } from '../../../src/analysis/predictions';

describe('prediction measures', function () {
  it('give each input its loss and whether it was right, whose means are the loss and the accuracy', function () {
    // Three inputs, two classes: right (0.9 on its label), wrong (0.3), right on a tie broken to the first class.
    const scores = [0.9, 0.1, 0.7, 0.3, 0.5, 0.5];
    const m = predictionMeasures(scores, [0, 1, 0], 2);
    assert.deepEqual([...m.inputCorrect], [1, 0, 1]);
    assert.equal(m.accuracy, 2 / 3);
    assert.deepEqual(
      [...m.inputLosses].map((v) => v.toFixed(6)),
      [-Math.log(0.9), -Math.log(0.3), -Math.log(0.5)].map((v) => v.toFixed(6)),
    );
    assert.ok(Math.abs(m.loss! - m.inputLosses.reduce((a, b) => a + b, 0) / 3) < 1e-12);
  });

  it('keep a confident input’s loss to its last digits: logits softmaxed in float64', function () {
    // p(label) = 1 / (1 + 2e−12): the loss ln(1 + 2e−12) ≈ 1.2288e−5 is 1 − p, which a float32 p keeps to 6e−8 only.
    const logits = Float32Array.from([12, 0, 0, 0, 12, 0]);
    const m = predictionMeasures(classScores('logits', logits, 3), [0, 1], 3);
    const exact = Math.log1p(2 * Math.exp(-12));
    for (const loss of m.inputLosses) assert.ok(Math.abs(loss - exact) <= 1e-9 * exact, `${loss} vs ${exact}`);
    assert.ok(Math.abs(m.loss! - exact) <= 1e-9 * exact);
  });
});
