import assert from 'node:assert/strict';
import { classScoresOf } from '../../../src/measure/classScores';

const rounded = (values: Float32Array | Float64Array) => [...values].map((v) => +v.toFixed(6));

describe('class scores from the classification output (classScores.ts)', () => {
  it('leaves softmax scores as they are', () => {
    assert.equal(classScoresOf({ kind: 'softmax', units: 3 }, 3), undefined);
  });

  it('turns one sigmoid unit into [1 - p, p] per input', () => {
    const binary = classScoresOf({ kind: 'binary', units: 1 }, 2)!;
    assert.deepEqual(rounded(binary(Float32Array.from([0.2, 0.9]))), [0.8, 0.2, 0.1, 0.9]);
  });

  it('turns logits into softmax rows, a large logit without overflow', () => {
    const logits = classScoresOf({ kind: 'logits', units: 2 }, 2)!;
    assert.deepEqual(rounded(logits(Float32Array.from([0, Math.log(3), 1000, 0]))), [0.25, 0.75, 1, 0]);
  });

  it('gives uniform scores, one row per input, for an output without class predictions', () => {
    // Two inputs of 5 values each (an embedding), 4 classes: two rows of 1/4.
    const none = classScoresOf({ kind: 'none', units: 5 }, 4)!;
    const scores = none(new Float32Array(10).fill(7));
    assert.equal(scores.length, 8);
    assert.ok(scores.every((v) => v === 0.25));
  });
});
