// Charts in a narrow panel (three editor columns, ≈ 300 px): the loss chart takes its card's width
// (fitWidth), and the confusion matrix shrinks its cells to fit its card, down to MIN_CELL, past
// which it is wider than its card and scrolls in its own box (webview/charts/matrixGrid.ts).
import assert from 'node:assert/strict';
import { CARD_INSET, fitWidth } from '../../../../webview/charts/common';
import { matrixLayout, MIN_CELL } from '../../../../webview/charts/matrixGrid';

const digits = Array.from({ length: 10 }, (_, k) => String(k));
const cifar = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
// A 300 px panel: the view is 276 px wide, a card's body 254 px.
const ROOM = 276 - CARD_INSET;

describe('charts in a narrow panel', () => {
  it('draws the loss chart at its card’s width, up to the width it reads best at, and no narrower than 240 px', () => {
    assert.equal(fitWidth(276, 470), 252);
    assert.ok(fitWidth(276, 470) <= 254, 'fits the card body of a 300 px panel');
    assert.equal(fitWidth(1200, 470), 470);
    assert.equal(fitWidth(120, 470), 240);
  });

  it('keeps the confusion matrix as it was where it has the room', () => {
    const wide = matrixLayout(digits);
    assert.equal(wide.cs, 38);
    assert.equal(wide.width, 431);
    assert.deepEqual(matrixLayout(digits, 1200), wide);
  });

  it('fits a matrix of ten classes to a 300 px panel, with cells big enough for their counts', () => {
    for (const names of [digits, cifar]) {
      const g = matrixLayout(names, ROOM);
      assert.ok(g.width <= ROOM, `${names[0]}…: ${g.width} px in ${ROOM} px`);
      assert.ok(g.cs >= 12, `cells of ${g.cs} px`);
      assert.ok(g.left + names.length * g.cs + 6 <= ROOM, 'the last column is inside');
    }
    assert.ok(matrixLayout(digits, ROOM).cs >= 18, 'the MNIST matrix keeps its counts (drawn from 18 px cells)');
  });

  it('stops at the smallest cell when a hundred classes cannot fit: the matrix is then wider than its card', () => {
    const names = Array.from({ length: 100 }, (_, k) => `class ${k}`);
    const g = matrixLayout(names, ROOM);
    assert.equal(g.cs, MIN_CELL);
    assert.ok(g.width > ROOM);
  });
});
