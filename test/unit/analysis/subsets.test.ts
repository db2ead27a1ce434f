import assert from 'node:assert/strict';
import { diversityClassSeed, drawPerClass, indicesByClass, sampleWithoutReplacement } from '../../../src/analysis';

// drawPerClass is paper Fig. 5(B)'s "dataset of n per class", shared by the inputDiversity query
// and the demo: n inputs of every class, each class drawn on its own seed, united.
describe('drawPerClass: n inputs of every class (paper Fig. 5(B))', () => {
  // Ten inputs: class 0 at 0, 3, 6, 9; class 1 at 1, 4, 7; class 2 at 2, 5, 8.
  const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
  const byClass = indicesByClass(labels, 3);
  const seedOfClass = (c: number) => diversityClassSeed(4, c);

  it("is the sorted union of each class's own draw with its own seed", () => {
    const union = drawPerClass(byClass, 2, seedOfClass)!;
    const own = byClass.map((members, c) => sampleWithoutReplacement(members, 2, seedOfClass(c)));
    assert.deepEqual(
      union,
      own.flat().sort((a, b) => a - b),
    );
    assert.deepEqual(union.map((i) => labels[i]).sort(), [0, 0, 1, 1, 2, 2]);
  });

  it('holds n × classes distinct inputs, all of them when n is the smallest class', () => {
    for (const n of [1, 2, 3]) {
      const union = drawPerClass(byClass, n, seedOfClass)!;
      assert.equal(union.length, n * 3);
      assert.equal(new Set(union).size, union.length);
    }
    assert.deepEqual(drawPerClass(byClass.slice(1), 3, seedOfClass), [1, 2, 4, 5, 7, 8]);
  });

  it('is null when a class has fewer than n inputs, rather than a smaller set that is not n per class', () => {
    assert.equal(drawPerClass(byClass, 4, seedOfClass), null);
  });

  it('leaves out classes with no inputs, and is null when every class is empty', () => {
    const withEmpty = indicesByClass(labels, 4);
    assert.deepEqual(drawPerClass(withEmpty, 2, seedOfClass), drawPerClass(byClass, 2, seedOfClass));
    assert.equal(drawPerClass([[], []], 1, seedOfClass), null);
  });

  it('draws the same inputs for the same seeds and other inputs for other seeds', () => {
    const big = indicesByClass(
      Array.from({ length: 200 }, (_, i) => i % 2),
      2,
    );
    assert.deepEqual(drawPerClass(big, 5, seedOfClass), drawPerClass(big, 5, seedOfClass));
    assert.notDeepEqual(
      drawPerClass(big, 5, seedOfClass),
      drawPerClass(big, 5, (c) => diversityClassSeed(5, c)),
    );
  });

  it('refuses a count that is not a positive integer', () => {
    assert.throws(() => drawPerClass(byClass, 0, seedOfClass), RangeError);
    assert.throws(() => drawPerClass(byClass, 1.5, seedOfClass), RangeError);
  });
});
