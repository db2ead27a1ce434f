/**
 * The backward pass that frees the tape as it goes (src/tfjs/tapeMemory.ts): the same gradients,
 * bit for bit, as TensorFlow.js's own walk on a graph model with a residual add, batch
 * normalisation and a shared (identity-gradient) branch; a lower peak of live tensor bytes; no
 * tensor leaked or disposed under its owner (a caller's dy, the gradients asked for); and
 * higher-order gradients still right.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { freeTapeAsItGoes } from '../../../src/tfjs/tapeMemory';
import { rng } from '../../support/reference';

type Engine = { gradients: unknown; addTapeNode: unknown; cnnSlicerFreesTape?: true };

function residualModel(): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 3] });
  const a = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers
    .batchNormalization()
    .apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }).apply(a)) as tf.SymbolicTensor;
  const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(tf.layers.reLU().apply(sum)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 4, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const random = rng(4);
  model.setWeights(
    model.weights.map((w) =>
      tf.tensor(
        Float32Array.from({ length: (w.shape as number[]).reduce((a, b) => a * b, 1) }, () => random() - 0.4),
        w.shape as number[],
      ),
    ),
  );
  return model;
}

/**
 * The model's gradients on a fixed batch and the peak of live tensor bytes while computing them,
 * above what was alive before (tf.profile's peakBytes counts every tensor in the engine, and other
 * tests in the same process may keep some).
 */
async function gradientsOf(model: tf.LayersModel): Promise<{ grads: Float32Array[]; peak: number; leaked: number }> {
  const random = rng(8);
  const x = tf.tensor(
    Float32Array.from({ length: 6 * 12 * 12 * 3 }, () => random()),
    [6, 12, 12, 3],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = tf.memory().numTensors;
  const baseline = tf.memory().numBytes;
  let grads: Float32Array[] = [];
  const info = await tf.profile(() => {
    const g = tf.variableGrads(
      (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor),
      variables,
    );
    grads = variables.map((v) => g.grads[v.name].dataSync() as Float32Array);
    g.value.dispose();
    tf.dispose(g.grads);
  });
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, y]);
  return { grads, peak: info.peakBytes - baseline, leaked };
}

describe('the backward pass frees the tape as it goes', () => {
  let engine: Engine;
  let stock: { gradients: unknown; addTapeNode: unknown };

  before(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
    engine = tf.engine() as unknown as Engine;
    // This process may already have it (initBackend installs it): keep tfjs's own methods to compare with.
    stock = { gradients: Object.getPrototypeOf(engine).gradients, addTapeNode: Object.getPrototypeOf(engine).addTapeNode };
  });

  function withStockEngine<T>(run: () => Promise<T>): Promise<T> {
    const saved = { gradients: engine.gradients, addTapeNode: engine.addTapeNode, flag: engine.cnnSlicerFreesTape };
    Object.assign(engine, stock);
    delete engine.cnnSlicerFreesTape;
    return run().finally(() => {
      Object.assign(engine, { gradients: saved.gradients, addTapeNode: saved.addTapeNode });
      if (saved.flag) engine.cnnSlicerFreesTape = saved.flag;
    });
  }

  it('gives the same gradients bit for bit, with a lower peak and nothing leaked', async () => {
    const model = residualModel();
    const reference = await withStockEngine(() => gradientsOf(model));
    freeTapeAsItGoes(tf);
    freeTapeAsItGoes(tf); // twice is once
    const freed = await gradientsOf(model);
    assert.equal(freed.grads.length, reference.grads.length);
    freed.grads.forEach((g, i) => assert.deepEqual(g, reference.grads[i], `gradient ${i}`));
    assert.equal(reference.leaked, 0);
    assert.equal(freed.leaked, 0);
    assert.ok(freed.peak < reference.peak * 0.9, `peak ${freed.peak} B against tfjs's ${reference.peak} B`);
    model.dispose();
  });

  it("leaves a caller's dy and the gradients asked for alone, and higher-order gradients right", () => {
    freeTapeAsItGoes(tf);
    const x = tf.tensor1d([1, 2, 3]);
    const dy = tf.tensor1d([1, 10, 100]);
    // d/dx of x³ with dy: 3x² · dy; a clone on the way hands dy on (as an identity).
    const dx = tf.grad((t: tf.Tensor) => tf.pow(tf.clone(t), 3))(x, dy);
    assert.deepEqual(Array.from(dx.dataSync()), [3, 120, 2700]);
    assert.equal(dy.isDisposed, false);
    assert.deepEqual(Array.from(dy.dataSync()), [1, 10, 100]);
    // Second derivative of x³: 6x.
    const second = tf.grad((t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.pow(u, 3))(t))(x);
    assert.deepEqual(Array.from(second.dataSync()), [6, 12, 18]);
    tf.dispose([x, dy, dx, second]);
  });
});
