import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { seededRandom } from '../../../src/analysis/random';
import { initBackend } from '../../../src/tfjs/backend';
import { withTfjsRandom } from '../../../src/tfjs/tfjsRandom';

/** The first `n` draws of a fresh seeded generator. */
const draws = (seed: number, n: number) => Array.from({ length: n }, seededRandom(seed));

describe('withTfjsRandom: the one random source tfjs reads', function () {
  let native: () => number;
  beforeEach(function () {
    native = Math.random;
  });
  afterEach(function () {
    assert.equal(Math.random, native, 'Math.random was left replaced');
  });

  it('gives tfjs the source within the scope and puts the previous one back when it returns or throws', function () {
    const source = seededRandom(5);
    assert.deepEqual(
      withTfjsRandom(source, () => [Math.random(), Math.random()]),
      draws(5, 2),
    );
    assert.throws(() => withTfjsRandom(seededRandom(6), () => assert.fail('in the scope')), /in the scope/);
  });

  it('keeps an asynchronous scope across its awaits and puts the previous source back once it settles', async function () {
    const seen = await withTfjsRandom(seededRandom(7), async () => {
      const first = Math.random();
      await new Promise((resolve) => setImmediate(resolve));
      return [first, Math.random()];
    });
    assert.deepEqual(seen, draws(7, 2));
    await assert.rejects(
      withTfjsRandom(seededRandom(8), async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('later in the scope');
      }),
      /later in the scope/,
    );
  });

  it("gives an outer scope its own generator back, not moved by the inner scope's draws", function () {
    const seen = withTfjsRandom(seededRandom(9), () => {
      const first = Math.random();
      withTfjsRandom(seededRandom(10), () => [Math.random(), Math.random(), Math.random()]);
      return [first, Math.random()];
    });
    assert.deepEqual(seen, draws(9, 2));
  });

  it('leaves the latest scope still open in place when an earlier one closes first, and the original once both have', async function () {
    let releaseFirst = () => undefined as void;
    const first = withTfjsRandom(seededRandom(11), () => new Promise<void>((resolve) => (releaseFirst = resolve)));
    const second = seededRandom(12);
    let drawnAfterFirstClosed: number | undefined;
    const secondScope = withTfjsRandom(second, async () => {
      releaseFirst();
      await first;
      drawnAfterFirstClosed = Math.random();
    });
    await secondScope;
    assert.equal(drawnAfterFirstClosed, draws(12, 1)[0]);
  });

  describe('tfjs', function () {
    let tf: typeof tfjs;
    before(async function () {
      ({ tf } = await initBackend('cpu'));
    });

    it("draws an unseeded layer's initial weights and a dropout mask from the scope's source: same seed, same numbers", function () {
      const draw = (seed: number) =>
        withTfjsRandom(seededRandom(seed), () =>
          tf.tidy(() => {
            const dense = tf.layers.dense({ units: 4, inputShape: [3] });
            const model = tf.sequential({ layers: [dense, tf.layers.dropout({ rate: 0.5 })] });
            const weights = Array.from(model.getWeights()[0].dataSync());
            const mask = Array.from(tf.dropout(tf.ones([16]), 0.5).dataSync());
            model.dispose();
            return { weights, mask };
          }),
        );
      const a = draw(3);
      assert.deepEqual(draw(3), a);
      assert.notDeepEqual(draw(4).weights, a.weights);
    });
  });
});
