/**
 * The half-batch training worker (dist/halfBatchWorker.js, src/recorder/halfBatchWorker.ts) parses
 * every message it receives against src/contract/protocols/halfBatch.ts and answers a malformed one,
 * or one that does not fit the model it holds, with the error in one line; it keeps serving after.
 * Needs the build (npm run build).
 */
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { initBackend } from '../../../src/tfjs/backend';
import { type HalfBatchInit, type HalfBatchReply, parseHalfBatchReply } from '../../../src/contract/protocols/halfBatch';
import { resolveHalfBatchScript } from '../../../src/recorder/twoCoreTraining';

/** Posts `message` and resolves with the worker's reply, parsed as the trainer parses it. */
function ask(worker: Worker, message: unknown): Promise<HalfBatchReply> {
  const reply = new Promise<unknown>((resolve) => worker.once('message', resolve));
  worker.postMessage(message);
  return reply.then(parseHalfBatchReply);
}

/** The error of a refused message: one line. */
function refusal(reply: HalfBatchReply): string {
  assert.equal(reply.ok, false, `accepted: ${JSON.stringify(reply)}`);
  const error = reply.ok ? '' : reply.error;
  assert.ok(!error.includes('\n'), error);
  return error;
}

describe('the half-batch worker parses what it receives', function () {
  this.timeout(120_000);
  let worker: Worker;
  let init: HalfBatchInit;
  /** The model's weights (every weight, `model.weights` order), as the trainer sends them. */
  let weights: Float32Array[];

  before(async () => {
    const script = resolveHalfBatchScript();
    assert.ok(script, 'dist/halfBatchWorker.js is missing: run npm run build');
    const { tf } = await initBackend('cpu');
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'softmax', kernelInitializer: 'zeros' })],
    });
    weights = model.weights.map((w) => w.read().dataSync() as Float32Array);
    const count = 6;
    init = {
      kind: 'init',
      backend: 'cpu',
      topology: JSON.stringify(model.toJSON(undefined, false)),
      loss: 'categoricalCrossentropy',
      targets: 'one-hot',
      classes: 3,
      inputs: new SharedArrayBuffer(count * 4 * 4),
      labels: new SharedArrayBuffer(count * 4),
      shape: [4],
      partInputs: Infinity,
    };
    new Int32Array(init.labels).set([0, 1, 2, 0, 1, 2]);
    model.dispose();
    worker = new Worker(script);
  });

  after(() => worker?.terminate());

  it('refuses a step before its init', async () => {
    const reply = await ask(worker, { kind: 'step', weights, indices: Int32Array.from([0]), batchSize: 2 });
    assert.equal(refusal(reply), 'the half-batch worker was not set up');
  });

  it('refuses a malformed init, naming the field', async () => {
    assert.match(refusal(await ask(worker, { ...init, loss: 'hinge' })), /^a malformed half-batch message: loss: /);
    assert.match(
      refusal(await ask(worker, { ...init, inputs: new ArrayBuffer(96) })),
      /^a malformed half-batch message: inputs: must be a SharedArrayBuffer/,
    );
    assert.match(refusal(await ask(worker, { kind: 'start' })), /^a malformed half-batch message: kind: /);
  });

  it('answers a good init, then a good step with one Float32Array gradient per trainable weight', async () => {
    assert.deepEqual(await ask(worker, init), { ok: true });
    const reply = await ask(worker, { kind: 'step', weights, indices: Int32Array.from([0, 4]), batchSize: 4 });
    assert.ok(reply.ok && reply.result, JSON.stringify(reply));
    assert.deepEqual(
      reply.result.grads.map((g) => g.length),
      weights.map((w) => w.length),
    );
    // Zero weights: every class scores 1/3, so the half's loss is ln 3 × its share (2 of 4) of the batch.
    assert.ok(Math.abs(reply.result.loss - Math.log(3) / 2) < 1e-6, `loss ${reply.result.loss}`);
  });

  it('refuses a step that does not fit the model or the training inputs, and keeps serving', async () => {
    const step = { kind: 'step', weights, indices: Int32Array.from([1]), batchSize: 2 };
    assert.match(
      refusal(await ask(worker, { ...step, weights: weights.map((w) => Float64Array.from(w)) })),
      /weights\.0: must be a Float32Array/,
    );
    assert.equal(refusal(await ask(worker, { ...step, weights: [weights[0]] })), "a half-batch step sent 1 weights for the model's 2");
    assert.equal(
      refusal(await ask(worker, { ...step, weights: [weights[0], new Float32Array(7)] })),
      "a half-batch step's weight 1 holds 7 values, the model's 3",
    );
    assert.equal(
      refusal(await ask(worker, { ...step, indices: Int32Array.from([6]) })),
      'a half-batch step names an input outside the 6 training inputs',
    );
    assert.equal((await ask(worker, step)).ok, true);
  });
});
