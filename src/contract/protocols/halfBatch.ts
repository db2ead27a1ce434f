/**
 * The messages between the recorder and its half-batch training worker (src/recorder/halfBatchWorker.ts): the
 * worker keeps a copy of the model and, per batch, returns the gradient of its half of the batch.
 */

/** How labels become the targets training fits. */
export type TrainingTargets = 'one-hot' | 'binary' | 'label';

/** Sets the worker up: the model's topology, its loss, and the training inputs in shared memory. */
export interface HalfBatchInit {
  kind: 'init';
  backend: 'wasm' | 'cpu';
  /** `model.toJSON()` of the model that trains. */
  topology: string;
  /** A loss tfjs-layers knows by name, or `softmaxCrossEntropy` (tf.losses.softmaxCrossEntropy). */
  loss: string;
  targets: TrainingTargets;
  classes: number;
  inputs: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  shape: number[];
  /** Most inputs per gradient part: a half larger than that is computed in parts (halfBatchGradients.ts `batchGradients`). */
  partInputs: number;
}

/** One step: the weights before it (every weight, in `model.weights` order) and the worker's half. */
export interface HalfBatchStep {
  kind: 'step';
  weights: Float32Array[];
  indices: Int32Array;
  /** The inputs of the whole batch: the half's mean loss is scaled by its share of them. */
  batchSize: number;
}

/** The worker's answer to a step: the scaled gradients (`model.trainableWeights` order), its scaled loss and its correct predictions. */
export interface HalfBatchResult {
  grads: Float32Array[];
  loss: number;
  correct: number;
}

export type HalfBatchReply = { ok: true; result?: HalfBatchResult } | { ok: false; error: string };
