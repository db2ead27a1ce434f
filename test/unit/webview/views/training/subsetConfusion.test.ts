import assert from 'node:assert/strict';
import type { ConfusionAnswer } from '../../../../../src/contract/queries';
import { confusionMatrix, resolveSubset } from '../../../../../src/analysis';
import { subsetConfusion } from '../../../../../webview/views/training/subsetConfusion';

// Six probe inputs of three classes: labels and predictions, and the answer the service gives.
const labels = [0, 1, 2, 0, 1, 2];
const predicted = [0, 2, 2, 1, 1, 0];
function answerOf(indices: number[]): ConfusionAnswer {
  const cells = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => [] as number[]));
  for (const i of indices) cells[labels[i]][predicted[i]].push(i);
  return {
    epoch: 4,
    classNames: ['a', 'b', 'c'],
    matrix: confusionMatrix(
      indices.map((i) => labels[i]),
      Int32Array.from(indices, (i) => predicted[i]),
      3,
    ),
    cells,
  };
}
const all = answerOf([0, 1, 2, 3, 4, 5]);

describe('webview: the confusion matrix of an input subset', () => {
  it('is the answer itself for every input', () => {
    assert.equal(subsetConfusion(all, { kind: 'all' }), all);
  });

  it('keeps the cells of the subset inputs only, for each kind of subset', () => {
    for (const x of [
      { kind: 'classes' as const, classes: [1, 2] },
      { kind: 'indices' as const, indices: [5, 0, 3] },
      { kind: 'perClass' as const, count: 1, seed: 3 },
    ]) {
      const got = subsetConfusion(all, x);
      assert.deepEqual(got, answerOf(resolveSubset(x, labels, 3)), JSON.stringify(x));
    }
  });

  it('cannot restrict an answer without cells', () => {
    assert.equal(subsetConfusion({ ...all, cells: undefined }, { kind: 'classes', classes: [0] }), undefined);
  });
});
