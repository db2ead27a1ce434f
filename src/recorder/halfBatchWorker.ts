/**
 * A worker thread that trains on a second core (bundled to dist/halfBatchWorker.js): it holds a
 * copy of the recording's model and, for every batch, computes the gradient of its half of the
 * batch with the weights the recorder sends (twoCoreTraining.ts sums it with its own half's).
 */
import { parentPort } from 'node:worker_threads';
import type * as tfType from '@tensorflow/tfjs';
import { initBackend } from '../tfjs/backend';
import { batchGradients, compiledLossFunction } from './halfBatchGradients';
import {
  type HalfBatchInit,
  type HalfBatchReply,
  type HalfBatchResult,
  type HalfBatchStep,
  parseHalfBatchMessage,
} from '../contract/protocols/halfBatch';

type LossFn = (yTrue: tfType.Tensor, yPred: tfType.Tensor) => tfType.Tensor;

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

let state: { tf: typeof tfType; model: tfType.LayersModel; loss: LossFn; init: HalfBatchInit } | undefined;

async function init(msg: HalfBatchInit): Promise<void> {
  const { tf } = await initBackend(msg.backend);
  const model = await tf.models.modelFromJSON({ modelTopology: JSON.parse(msg.topology) as tfType.io.ModelJSON['modelTopology'] });
  const loss: LossFn =
    msg.loss === 'softmaxCrossEntropy'
      ? (y, p) => tf.losses.softmaxCrossEntropy(y, p)
      : (model.compile({ optimizer: 'sgd', loss: msg.loss }), compiledLossFunction(model) as LossFn);
  state = { tf, model, loss, init: msg };
}

function step(msg: HalfBatchStep): HalfBatchResult {
  if (!state) throw new Error('the half-batch worker was not set up');
  const { tf, model, loss, init: data } = state;
  if (msg.weights.length !== model.weights.length)
    throw new Error(`a half-batch step sent ${msg.weights.length} weights for the model's ${model.weights.length}`);
  const misfit = model.weights.findIndex((w, k) => msg.weights[k].length !== sizeOf(w.shape as number[]));
  if (misfit >= 0)
    throw new Error(
      `a half-batch step's weight ${misfit} holds ${msg.weights[misfit].length} values, the model's ${sizeOf(model.weights[misfit].shape as number[])}`,
    );
  const count = data.labels.byteLength / 4;
  if (msg.indices.some((i) => i < 0 || i >= count))
    throw new Error(`a half-batch step names an input outside the ${count} training inputs`);
  tf.tidy(() => model.weights.forEach((w, i) => w.write(tf.tensor(msg.weights[i], w.shape as number[]))));
  const part = batchGradients(
    tf,
    model,
    loss,
    { ...data, inputs: new Float32Array(data.inputs), labels: new Int32Array(data.labels) },
    { indices: msg.indices, batchSize: msg.batchSize, partInputs: data.partInputs, regularise: false },
  );
  const grads = model.trainableWeights.map((w) => (part.grads[(w.read() as tfType.Variable).name].dataSync() as Float32Array).slice());
  tf.dispose(part.grads);
  return { grads, loss: part.loss, correct: part.correct };
}

/** Parses a message from the trainer and answers it; a malformed message is answered with the error, in one line. */
async function handle(raw: unknown): Promise<HalfBatchReply> {
  try {
    const msg = parseHalfBatchMessage(raw);
    if (msg.kind === 'init') {
      await init(msg);
      return { ok: true };
    }
    return { ok: true, result: step(msg) };
  } catch (e) {
    if (process.env.CNN_SLICER_DEBUG) console.error(e);
    return { ok: false, error: (e as Error)?.message ?? String(e) };
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (msg: unknown) => {
    void handle(msg).then((reply) =>
      port.postMessage(reply, reply.ok && reply.result ? reply.result.grads.map((g) => g.buffer as ArrayBuffer) : []),
    );
  });
}
