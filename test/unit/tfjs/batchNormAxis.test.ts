/**
 * BatchNormalization over the channels-first axis (src/tfjs/batchNormAxis.ts): the stock kernels
 * step through the statistics along the last axis whatever their shape; with the fix each value is
 * normalised by its own channel's, in inference and in training, on the CPU and WebAssembly backends.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { installBatchNormAxis } from '../../../src/tfjs/batchNormAxis';

/** x of [1, 2, 2, 2]: channel 0 holds 1..4, channel 1 holds 5..8. */
const X = [1, 2, 3, 4, 5, 6, 7, 8];

function layer(): tf.layers.Layer {
  const bn = tf.layers.batchNormalization({ axis: 1, epsilon: 0, inputShape: [2, 2, 2] });
  bn.build([null, 2, 2, 2]);
  bn.setWeights([tf.tensor([2, 3]), tf.tensor([0.5, -1]), tf.tensor([1, 10]), tf.tensor([4, 1])]);
  return bn;
}

describe('batchNormAxis: BatchNormalization with its channels first', () => {
  let backend: string;
  before(async () => {
    // The engine's own set-up registers the WebAssembly backend (importing it here would make it every later test's default).
    await initBackend('wasm');
    await tf.ready();
    backend = tf.getBackend();
  });
  after(async () => {
    await tf.setBackend(backend);
  });

  for (const name of ['cpu', 'wasm']) {
    it(`${name}: inference normalises each channel by its own statistics`, async () => {
      await tf.setBackend(name);
      installBatchNormAxis(tf);
      const y = layer().apply(tf.tensor(X, [1, 2, 2, 2]), { training: false }) as tf.Tensor;
      // channel 0: (x − 1) / 2 · 2 + 0.5; channel 1: (x − 10) / 1 · 3 − 1
      const expected = [0.5, 1.5, 2.5, 3.5, -16, -13, -10, -7];
      assert.deepEqual(Array.from(y.dataSync()), expected);
    });

    it(`${name}: training normalises each channel by its batch moments`, async () => {
      await tf.setBackend(name);
      installBatchNormAxis(tf);
      const y = layer().apply(tf.tensor(X, [1, 2, 2, 2]), { training: true }) as tf.Tensor;
      // Each channel's values are 4 consecutive numbers: mean m, variance 1.25.
      const z = [-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(1.25));
      const expected = [...z.map((v) => v * 2 + 0.5), ...z.map((v) => v * 3 - 1)];
      Array.from(y.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `${i}: ${v} vs ${expected[i]}`));
    });
  }
});
