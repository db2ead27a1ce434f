/**
 * Batches in parts (src/recorder/halfBatchGradients.ts `batchGradients`, twoCoreTraining.ts
 * `PartsTrainer`): a batch whose tape would not fit the training budget is computed a few inputs at
 * a time and the parts' gradients summed before one optimizer step. One part is the single-part
 * gradient bit for bit; several give the whole batch's gradient to 1e-5 (regularisation counted
 * once); batch normalisation's moving statistics follow the first part; a training epoch in parts,
 * on one thread or two, gives fit's losses and weights to 1e-5; and the recorder chooses parts
 * from the model's size and says so in the log and the run. Needs dist/halfBatchWorker.js.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { RecordCallbackList } from '../../../src/recorder/callbacks';
import { batchGradients, compiledLossFunction, partGradients, partTensors } from '../../../src/recorder/halfBatchGradients';
import { trainEpoch, TrainingData, TrainingPlan } from '../../../src/recorder/training';
import {
  chooseTrainer,
  memoryBound,
  partInputsFor,
  startTwoCoreTrainer,
  tapeBytesPerInput,
  TRAINING_TAPE_BYTES,
} from '../../../src/recorder/twoCoreTraining';
import { createModel as createLeNet } from '../../../examples/mnist-lenet';
import { createModel as createMobileNetV2 } from '../../../examples/mobilenetv2';
import { createResNet18 } from '../../../examples/resnet18';
import { createModel as createResNet50 } from '../../fixtures/models/resnet50';
import { rng } from '../../support/reference';

type Tf = typeof tfjs;

const COUNT = 60;
const BATCH = 12;

function model(tf: Tf, o: { batchNorm?: boolean; l2?: boolean } = {}): tfjs.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [8, 8, 1],
      filters: 6,
      kernelSize: 3,
      activation: 'relu',
      ...(o.l2 ? { kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) } : {}),
    }),
  );
  if (o.batchNorm) m.add(tf.layers.batchNormalization({ momentum: 0.5 }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  const random = rng(3);
  m.setWeights(
    m.weights.map((w) => {
      const shape = w.shape as number[];
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 0.4 - 0.2);
      if (w.name.includes('moving_variance') || w.name.includes('gamma')) for (let i = 0; i < values.length; i++) values[i] += 1;
      return tf.tensor(values, shape);
    }),
  );
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

function data(): TrainingData & { targets: 'one-hot' } {
  const random = rng(7);
  const inputs = Float32Array.from({ length: COUNT * 64 }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: COUNT }, (_, i) => i % 3);
  return { inputs, labels, count: COUNT, shape: [8, 8, 1], classes: 3, targets: 'one-hot' };
}

/** The gradients in the order of the model's trainable weights (each model's variables have names of their own). */
function flat(tf: Tf, m: tfjs.LayersModel, grads: tfjs.NamedTensorMap): Float32Array[] {
  assert.equal(Object.keys(grads).length, m.trainableWeights.length);
  const out = m.trainableWeights.map((w) => grads[(w.read() as tfjs.Variable).name].dataSync() as Float32Array);
  tf.dispose(grads);
  return out;
}

function worstDifference(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((x, k) => x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k][i])))));
  return worst;
}

describe('batches in parts', function () {
  this.timeout(240_000);
  let tf: Tf;
  before(async () => {
    tf = (await initBackend('wasm')).tf;
  });

  const indices = Int32Array.from({ length: BATCH }, (_, i) => (i * 7) % COUNT);

  function whole(m: tfjs.LayersModel, regularise = true) {
    const d = data();
    const { x, y } = partTensors(tf, d, indices);
    try {
      const g = partGradients(tf, m, compiledLossFunction(m)!, { x, y, share: 1, targets: 'one-hot', regularise });
      return { ...g, grads: flat(tf, m, g.grads) };
    } finally {
      tf.dispose([x, y]);
    }
  }

  function inParts(m: tfjs.LayersModel, partInputs: number) {
    const g = batchGradients(tf, m, compiledLossFunction(m)!, data(), { indices, batchSize: BATCH, partInputs, regularise: true });
    return { ...g, grads: flat(tf, m, g.grads) };
  }

  it('one part is the single-part gradient bit for bit', () => {
    const a = whole(model(tf, { batchNorm: true }));
    const b = inParts(model(tf, { batchNorm: true }), BATCH);
    assert.equal(b.loss, a.loss);
    assert.equal(b.correct, a.correct);
    assert.equal(worstDifference(a.grads, b.grads), 0);
  });

  it('parts of 5, 5 and 2 sum to the whole batch gradient to 1e-5, with the L2 penalty counted once', () => {
    const a = whole(model(tf, { l2: true }));
    const b = inParts(model(tf, { l2: true }), 5);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-5, `loss ${b.loss} vs ${a.loss}`);
    assert.equal(b.correct, a.correct);
    const worst = worstDifference(a.grads, b.grads);
    assert.ok(worst <= 1e-5, `gradients differ by ${worst}`);
    // Counted twice, the penalty's gradient (0.02 w, w up to 0.2) would differ by far more.
    const twice = inParts(model(tf, { l2: true }), 5);
    assert.equal(worstDifference(b.grads, twice.grads), 0, 'deterministic');
  });

  it("batch normalisation's moving statistics move once per batch, as the first part's step moves them", () => {
    const m = model(tf, { batchNorm: true });
    inParts(m, 4);
    const moved = m.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const reference = model(tf, { batchNorm: true });
    const d = data();
    const { x, y } = partTensors(tf, d, indices.subarray(0, 4));
    tf.dispose(
      partGradients(tf, reference, compiledLossFunction(reference)!, { x, y, share: 1, targets: 'one-hot', regularise: true }).grads,
    );
    tf.dispose([x, y]);
    assert.equal(moved.length, 2);
    assert.deepEqual(
      moved,
      reference.nonTrainableWeights.map((w) => Array.from(w.read().dataSync())),
    );
    const initial = model(tf, { batchNorm: true }).nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    assert.notDeepEqual(moved, initial);
  });

  async function epochLosses(threads: 0 | 1 | 2, partInputs?: number): Promise<{ losses: number[]; weights: Float32Array }> {
    const m = model(tf, { l2: true });
    const losses: number[] = [];
    const callbacks = new RecordCallbackList([]);
    callbacks.onBatchEnd = async (_batch, logs) => void losses.push(logs?.loss ?? NaN);
    const d = data();
    const options = { epoch: 1, seed: 5, batchSize: BATCH, callbacks };
    if (threads === 0) await trainEpoch(tf, m, d, options);
    else if (threads === 1) {
      const plan: Pick<TrainingPlan, 'fitModel' | 'training'> = {
        fitModel: m,
        training: { compiledBy: 'model', optimizer: 'adam', loss: 'categoricalCrossentropy' },
      };
      const settings = { epochs: 1, batchSize: BATCH, trainThreads: 1 as const };
      // A budget of 3 inputs' tape: parts of 3.
      const trainer = await chooseTrainer(tf, 'wasm', plan, d, settings, 1, () => undefined, tapeBytesPerInput(m) * 3.5);
      assert.equal(plan.training.partInputs, 3);
      await trainer.trainEpoch(options);
      trainer.close();
    } else {
      const trainer = await startTwoCoreTrainer(tf, 'wasm', m, d, partInputs);
      await trainer.trainEpoch(options);
      trainer.close();
    }
    return { losses, weights: Float32Array.from(m.getWeights().flatMap((w) => Array.from(w.dataSync()))) };
  }

  it('a training epoch in parts, on one thread or two, gives the losses and weights of fit to 1e-5', async () => {
    const fit = await epochLosses(0);
    for (const [threads, part] of [
      [1, undefined],
      [2, 2],
    ] as const) {
      const parts = await epochLosses(threads, part);
      assert.equal(parts.losses.length, COUNT / BATCH);
      parts.losses.forEach((l, i) =>
        assert.ok(Math.abs(l - fit.losses[i]) <= 1e-5, `${threads} thread(s), batch ${i}: ${l} vs ${fit.losses[i]}`),
      );
      let worst = 0;
      parts.weights.forEach((w, i) => (worst = Math.max(worst, Math.abs(w - fit.weights[i]))));
      assert.ok(worst <= 1e-5, `${threads} thread(s): weights differ by ${worst}`);
    }
  });

  it('the recorder computes a batch in parts only where its tape would not fit, and says so', async () => {
    const lenet = createLeNet();
    assert.equal(partInputsFor(lenet, 64, 2), undefined, 'LeNet trains whole batches');
    const perInput = tapeBytesPerInput(lenet);
    assert.equal(partInputsFor(lenet, 64, 1, perInput * 10), 10);
    assert.equal(partInputsFor(lenet, 64, 2, perInput * 10), 5, 'two threads share the budget');
    assert.equal(partInputsFor(lenet, 8, 2, perInput * 10), undefined, 'a half of 4 fits');
    assert.ok(TRAINING_TAPE_BYTES >= perInput * 64);
    lenet.dispose();

    const m = model(tf, { batchNorm: true });
    const plan: Pick<TrainingPlan, 'fitModel' | 'training'> = {
      fitModel: m,
      training: { compiledBy: 'model', optimizer: 'adam', loss: 'categoricalCrossentropy' },
    };
    const lines: string[] = [];
    const settings = { epochs: 1, batchSize: BATCH, trainThreads: 1 as 1 | 2 };
    const trainer = await chooseTrainer(tf, 'wasm', plan, data(), settings, 1, (l) => lines.push(l), tapeBytesPerInput(m) * 4);
    trainer.close();
    assert.equal(plan.training.partInputs, 4);
    assert.equal(plan.training.batchStatistics, 'parts');
    assert.match(lines.join('\n'), /computing each batch in parts of at most 4 inputs/);
    assert.match(lines.join('\n'), /batch normalisation normalises each part of at most 4 inputs by its own statistics/);
  });

  it('only a model whose tape would crowd memory is memory-bound: the ResNet-50 in parts of 3, not the ResNet-18 or MobileNetV2', () => {
    const resnet50 = createResNet50();
    const bound = memoryBound(resnet50, 32);
    assert.equal(bound?.partInputs, 3);
    assert.match(bound?.why ?? '', /the model is large \(about \d+ MB of training tape per input\), so one thread trains it in parts of 3/);
    assert.equal(memoryBound(resnet50, 2), undefined, 'a batch of 2 fits whole');
    resnet50.dispose();
    for (const m of [createResNet18(), createMobileNetV2(), createLeNet()]) {
      assert.equal(memoryBound(m, 64), undefined, m.name);
      // As before parts existed: each thread's half of a batch of 64 in one tape.
      assert.equal(partInputsFor(m, 64, 2), undefined, m.name);
      m.dispose();
    }
  });
});
