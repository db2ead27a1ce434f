/**
 * Causal and dilated convolutions train (src/tfjs/dilatedConvolution.ts): the gradients of dilated
 * 1-D and 2-D convolutions match finite differences and, at dilation 1, tfjs's own; a causal
 * Conv1D reads only the past.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { seededRandom } from '../../../src/analysis/random';
import { initBackend } from '../../../src/tfjs/backend';
import { dilatedConv2DGradients } from '../../../src/tfjs/dilatedConvolution';

type Tf = typeof tfjs;

function randomTensor(tf: Tf, shape: number[], seed: number): tfjs.Tensor {
  const random = seededRandom(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1),
    shape,
  );
}

/**
 * Checks d(loss)/d(input) of `loss(x, f) = Σ conv(x, f) ⊙ w` against central differences at a few
 * entries. The loss is linear in each argument, so the differences are exact but for rounding.
 */
function checkAgainstFiniteDifferences(
  tf: Tf,
  conv: (x: tfjs.Tensor, f: tfjs.Tensor) => tfjs.Tensor,
  xShape: number[],
  fShape: number[],
): void {
  const x = randomTensor(tf, xShape, 1);
  const f = randomTensor(tf, fShape, 2);
  const w = tf.tidy(() => randomTensor(tf, conv(x, f).shape, 3));
  const loss = (a: tfjs.Tensor, b: tfjs.Tensor) => tf.sum(tf.mul(conv(a, b), w));
  const [gx, gf] = tf.grads(loss)([x, f]);
  const eps = 0.05;
  for (const [which, tensor, grad] of [
    ['input', x, gx],
    ['filter', f, gf],
  ] as const) {
    const values = tensor.dataSync();
    const analytic = grad.dataSync();
    const random = seededRandom(which === 'input' ? 4 : 5);
    for (let k = 0; k < 12; k++) {
      const i = Math.floor(random() * values.length);
      const at = (delta: number) =>
        tf.tidy(() => {
          const moved = Float32Array.from(values);
          moved[i] += delta;
          const t = tf.tensor(moved, tensor.shape);
          return (which === 'input' ? loss(t, f) : loss(x, t)).dataSync()[0];
        });
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      assert.ok(Math.abs(numeric - analytic[i]) < 2e-3 * Math.max(1, Math.abs(numeric)), `${which}[${i}]: ${analytic[i]} vs ${numeric}`);
    }
  }
  tf.dispose([x, f, w, gx, gf]);
}

describe('dilated and causal convolutions', function () {
  this.timeout(60_000);
  let tf: Tf;
  before(async function () {
    ({ tf } = await initBackend('wasm'));
  });

  for (const pad of ['same', 'valid'] as const) {
    it(`2-D, dilations [2, 3], padding ${pad}: input and filter gradients match finite differences`, function () {
      checkAgainstFiniteDifferences(
        tf,
        (x, f) => tf.conv2d(x as tfjs.Tensor4D, f as tfjs.Tensor4D, 1, pad, 'NHWC', [2, 3]),
        [2, 9, 10, 3],
        [3, 2, 3, 4],
      );
    });
  }

  it('1-D, dilation 4, padding same: input and filter gradients match finite differences', function () {
    checkAgainstFiniteDifferences(
      tf,
      (x, f) => tf.conv1d(x as tfjs.Tensor3D, f as tfjs.Tensor3D, 1, 'same', 'NWC', 4),
      [2, 16, 3],
      [3, 3, 5],
    );
  });

  it("at dilation 1 the dilated formula gives tfjs-core's own gradients", function () {
    const x = randomTensor(tf, [2, 7, 6, 3], 6) as tfjs.Tensor4D;
    const f = randomTensor(tf, [3, 3, 3, 4], 7) as tfjs.Tensor4D;
    for (const pad of ['same', 'valid'] as const) {
      const dy = tf.tidy(() => randomTensor(tf, tf.conv2d(x, f, [1, 2], pad).shape, 8)) as tfjs.Tensor4D;
      const [sx, sf] = tf.grads((a: tfjs.Tensor, b: tfjs.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tfjs.Tensor4D, b as tfjs.Tensor4D, [1, 2], pad), dy)),
      )([x, f]);
      const ours = dilatedConv2DGradients(tf, dy, x, f, { strides: [1, 2], pad, dataFormat: 'NHWC', dilations: [1, 1] });
      const [ox, of] = [ours.x(), ours.filter()];
      const close = (a: tfjs.Tensor, b: tfjs.Tensor) => Array.from(a.dataSync()).every((v, i) => Math.abs(v - b.dataSync()[i]) < 1e-5);
      assert.deepEqual(ox.shape, sx.shape);
      assert.deepEqual(of.shape, sf.shape);
      assert.ok(close(ox, sx), `input gradient, ${pad}`);
      assert.ok(close(of, sf), `filter gradient, ${pad}`);
      tf.dispose([dy, sx, sf, ox, of]);
    }
    tf.dispose([x, f]);
  });

  it('a causal Conv1D reads only the past: y[t] = x[t] + x[t − 2] for kernel [1, 1] at dilation 2, as long as its input', function () {
    const layer = tf.layers.conv1d({
      filters: 1,
      kernelSize: 2,
      dilationRate: 2,
      padding: 'causal',
      useBias: false,
      kernelInitializer: 'ones',
    });
    const y = layer.apply(tf.tensor([1, 2, 3, 4, 5, 6], [1, 6, 1])) as tfjs.Tensor;
    assert.deepEqual(Array.from(y.dataSync()), [1, 2, 4, 6, 8, 10]);
    assert.deepEqual(layer.computeOutputShape([null, 6, 1]), [null, 6, 1]);
    y.dispose();
  });

  it('a dilated Conv2D layer without activation (fused in tfjs) trains', async function () {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, dilationRate: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const x = randomTensor(tf, [8, 8, 8, 1], 9);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    assert.ok((history.history.loss as number[]).every(Number.isFinite));
    tf.dispose([x, y]);
    model.dispose();
  });
});
