/**
 * Training on two threads (src/recorder/twoCoreTraining.ts): the same small CNN from the same
 * weights, trained a few batches on one thread (tfjs's fit) and on two (half of every batch on the
 * worker), gives the same losses to 1e-5 and the same weights; two runs on two threads give
 * identical losses and weights; models the parallel path cannot train are named with why.
 * Needs dist/halfBatchWorker.js (npm run build).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { RecordCallbackList } from '../../../src/recorder/callbacks';
import { trainEpoch, TrainingData } from '../../../src/recorder/training';
import {
  activationValuesPerInput,
  defaultTrainThreads,
  startTwoCoreTrainer,
  TWO_THREAD_MIN_VALUES,
  twoCoreObstacle,
} from '../../../src/recorder/twoCoreTraining';
import { createModel as createCifarCnn } from '../../../examples/cifar-cnn';
import { createModel as createLeNet } from '../../../examples/mnist-lenet';
import { rng } from '../../support/reference';

type Tf = typeof tfjs;

const COUNT = 100;
const BATCH = 20;

function smallCnn(tf: Tf, extra?: (m: tfjs.Sequential) => void): tfjs.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, activation: 'relu', seed: 1 } as never));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  extra?.(model);
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  return model;
}

function data(): TrainingData {
  const random = rng(7);
  const inputs = Float32Array.from({ length: COUNT * 64 }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: COUNT }, (_, i) => i % 3);
  return { inputs, labels, count: COUNT, shape: [8, 8, 1], classes: 3 };
}

/** A model with fixed weights (from its own seeded stream), compiled with Adam. */
function fixedModel(tf: Tf): tfjs.Sequential {
  const model = smallCnn(tf);
  const random = rng(3);
  model.setWeights(
    model.weights.map((w) =>
      tf.tensor(
        Float32Array.from({ length: (w.shape as number[]).reduce((a, b) => a * b, 1) }, () => random() * 0.4 - 0.2),
        w.shape as number[],
      ),
    ),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function trainTwice(tf: Tf, threads: 1 | 2): Promise<{ losses: number[]; weights: Float32Array }> {
  const model = fixedModel(tf);
  const losses: number[] = [];
  const callbacks = new RecordCallbackList([]);
  callbacks.onBatchEnd = async (_batch, logs) => void losses.push(logs?.loss ?? NaN);
  const d = data();
  const options = (epoch: number) => ({ epoch, seed: 5, batchSize: BATCH, callbacks });
  if (threads === 1) {
    for (const epoch of [1, 2]) await trainEpoch(tf, model, d, options(epoch));
  } else {
    const trainer = await startTwoCoreTrainer(tf, 'wasm', model, d);
    try {
      for (const epoch of [1, 2]) await trainer.trainEpoch(options(epoch));
    } finally {
      trainer.close();
    }
  }
  const weights = Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync())));
  model.dispose();
  return { losses, weights };
}

describe('training on two threads', function () {
  this.timeout(240_000);
  let tf: Tf;
  before(async () => {
    tf = (await initBackend('wasm')).tf;
  });

  it('gives the losses and weights of one-thread training to 1e-5 on a small CNN', async () => {
    const one = await trainTwice(tf, 1);
    const two = await trainTwice(tf, 2);
    assert.equal(two.losses.length, 10);
    assert.equal(one.losses.length, 10);
    two.losses.forEach((l, i) => assert.ok(Math.abs(l - one.losses[i]) <= 1e-5, `batch ${i}: ${l} vs ${one.losses[i]}`));
    let worst = 0;
    two.weights.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - one.weights[i]))));
    assert.ok(worst <= 1e-5, `weights differ by ${worst}`);
  });

  it('is deterministic: two runs with the same seed on two threads give identical losses and weights', async () => {
    const a = await trainTwice(tf, 2);
    const b = await trainTwice(tf, 2);
    assert.deepEqual(a.losses, b.losses);
    assert.deepEqual(a.weights, b.weights);
  });

  it('names why a model falls back to one thread', () => {
    const dropout = smallCnn(tf, (m) => m.add(tf.layers.dropout({ rate: 0.5, name: 'drop' })));
    dropout.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const plan = (m: tfjs.LayersModel, loss = 'categoricalCrossentropy') => ({
      fitModel: m,
      training: { compiledBy: 'model' as const, optimizer: 'adam', loss },
    });
    assert.match(twoCoreObstacle(tf, 'wasm', plan(dropout), 64) ?? '', /layer 'drop' \(Dropout\) draws random numbers/);
    const custom = smallCnn(tf);
    custom.compile({ optimizer: 'adam', loss: (a: tfjs.Tensor, b: tfjs.Tensor) => tf.losses.meanSquaredError(a, b) });
    assert.match(twoCoreObstacle(tf, 'wasm', plan(custom, 'myLoss'), 64) ?? '', /the loss myLoss .*custom loss/);
    assert.match(twoCoreObstacle(tf, 'tensorflow', plan(custom), 64) ?? '', /tensorflow backend uses its own threads/);
    const plain = fixedModel(tf);
    assert.equal(twoCoreObstacle(tf, 'wasm', plan(plain), 64), undefined);
    assert.match(twoCoreObstacle(tf, 'wasm', plan(plain), 1) ?? '', /batch of one/);
  });
});

/**
 * A stand-in for the half-batch worker that answers an init with `init` and a step with `step`
 * (JavaScript source of the reply): the trainer must refuse what does not fit the protocol.
 */
function fakeWorker(folder: string, init: string, step: string): string {
  const script = join(folder, `fake-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(
    script,
    [
      "const { parentPort } = require('node:worker_threads');",
      `parentPort.on('message', (m) => parentPort.postMessage(m.kind === 'init' ? ${init} : ${step}));`,
    ].join('\n'),
  );
  return script;
}

describe("two-core training: the trainer parses the worker's replies", function () {
  this.timeout(120_000);
  let tf: Tf;
  let folder: string;
  before(async () => {
    tf = (await initBackend('wasm')).tf;
    folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-half-batch-'));
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('refuses a malformed reply to the init in one line', async () => {
    const model = fixedModel(tf);
    const script = fakeWorker(folder, "{ ok: 'yes' }", '{ ok: true }');
    await assert.rejects(startTwoCoreTrainer(tf, 'wasm', model, data(), Infinity, script), (e: Error) => {
      assert.match(e.message, /^a malformed reply from the second training thread: ok: /);
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    });
    model.dispose();
  });

  it('refuses a step whose gradients are not Float32Arrays, or too few, leaving the weights as they were', async () => {
    for (const [step, expected] of [
      [
        '{ ok: true, result: { grads: [[0.5]], loss: 0.1, correct: 1 } }',
        /^a malformed reply from the second training thread: result\.grads\.0: must be a Float32Array/,
      ],
      [
        '{ ok: true, result: { grads: [new Float32Array(1)], loss: 0.1, correct: 1 } }',
        /^the second training thread sent 1 gradients for 4 trainable weights$/,
      ],
      ["{ ok: false, error: 'out of memory' }", /^the second training thread failed: out of memory$/],
    ] as const) {
      const model = fixedModel(tf);
      const before = model.getWeights().map((w) => w.dataSync().slice());
      const trainer = await startTwoCoreTrainer(tf, 'wasm', model, data(), Infinity, fakeWorker(folder, '{ ok: true }', step));
      try {
        await assert.rejects(
          trainer.trainEpoch({ epoch: 1, seed: 5, batchSize: BATCH, callbacks: new RecordCallbackList([]) }),
          (e: Error) => {
            assert.match(e.message, expected);
            return true;
          },
        );
      } finally {
        trainer.close();
      }
      model.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i], `weight ${i} changed after a refused step`));
      model.dispose();
    }
  });
});

describe('two-core training: the default thread count follows the work per input', () => {
  it('one thread for LeNet (7,370 values per input), small batches or one core; two for CIFAR-CNN (114,826)', () => {
    const lenet = createLeNet();
    const cifar = createCifarCnn();
    assert.equal(activationValuesPerInput(lenet), 7370);
    assert.equal(activationValuesPerInput(cifar), 114_826);
    assert.ok(activationValuesPerInput(lenet) < TWO_THREAD_MIN_VALUES && activationValuesPerInput(cifar) >= TWO_THREAD_MIN_VALUES);
    assert.equal(defaultTrainThreads(cifar, 64, 2).threads, 2);
    const small = defaultTrainThreads(lenet, 64, 2);
    assert.equal(small.threads, 1);
    assert.match(
      small.why,
      /the model is small \(7,370 values per input; two threads pay off from 32,768, --train-threads 2 asks for them\)/,
    );
    assert.deepEqual(defaultTrainThreads(cifar, 8, 2), { threads: 1, why: 'batches of 8 are too small to split' });
    assert.deepEqual(defaultTrainThreads(cifar, 64, 1), { threads: 1, why: 'the machine has one core' });
    lenet.dispose();
    cifar.dispose();
  });
});
