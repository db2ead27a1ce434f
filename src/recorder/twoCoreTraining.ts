/**
 * Training on two cores (docs/training-kernels.md, "Training on two cores"): data-parallel over two
 * TensorFlow.js instances. A worker thread (halfBatchWorker.ts) holds a copy of the model; for every
 * batch it takes the second half, this thread the first, each computes the gradient of its half's
 * mean loss scaled by the half's share of the batch, the two are summed (this thread's first, in
 * a fixed order, so the result depends only on the seed and the thread count) and one optimizer
 * step follows here. The worker gets the weights after each step, so the copies stay identical.
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as tfType from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { EpochLogs, RecordCallbackList } from './callbacks';
import { batchGradients, compiledLossFunction } from './halfBatchGradients';
import {
  type HalfBatchInit,
  type HalfBatchLoss,
  type HalfBatchMessage,
  type HalfBatchResult,
  NAMED_LOSSES,
  parseHalfBatchReply,
} from '../contract/protocols/halfBatch';
import type { RunSettings } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';
import { startKernelThread, type RunningKernelThread } from '../tfjs/wasmTrainingInstances';
import { shuffled, trainEpoch, TrainingData, TrainingPlan } from './training';

/** Trains one epoch of a recording, on one thread or two. */
export interface EpochTrainer {
  /** The threads that train: 1 or 2. */
  readonly threads: 1 | 2;
  /** The model is memory-bound ({@link memoryBound}): the recording measures each epoch on this thread, in this heap. */
  readonly memoryBound?: true;
  /**
   * Another thread of the recording (the measurement worker) starts (true) or stops (false) its
   * work: a one-thread trainer's kernel thread leaves it the second core meanwhile.
   */
  otherThreadBusy?(busy: boolean): void;
  /** One epoch; `batches` stops it after that many (a warm-up; two threads only). */
  trainEpoch(options: {
    epoch: number;
    seed: number;
    batchSize: number;
    callbacks: RecordCallbackList;
    batches?: number;
  }): Promise<EpochLogs>;
  close(): void;
}

type LossFn = (yTrue: tfType.Tensor, yPred: tfType.Tensor) => tfType.Tensor;

/** The bundled worker next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveHalfBatchScript(): string | undefined {
  return [join(__dirname, 'halfBatchWorker.js'), resolve(__dirname, '../../dist/halfBatchWorker.js')].find((p) => existsSync(p));
}

/** Layer output values per input from which two threads train faster than one (measured: LeNet's 7,370 slower, CIFAR-CNN's 114,826 1.7× faster). */
export const TWO_THREAD_MIN_VALUES = 32_768;

/** The values every layer of `model` outputs for one input, summed: the work a training step does per input, roughly. */
export function activationValuesPerInput(model: tfType.LayersModel): number {
  return model.layers.reduce((sum, layer) => {
    const shape = layer.outputShape;
    const first = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
    return sum + first.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  }, 0);
}

/**
 * The threads a recording trains on when its settings do not say, and why: two where the machine
 * has two cores, the batches hold at least 16 inputs and the model does enough work per input
 * ({@link TWO_THREAD_MIN_VALUES}); else one. On a quiet 2-core machine (docs/training-kernels.md
 * "Training on two cores") a LeNet epoch takes 0.55 s on one thread and 0.68 s on two (each
 * half-batch pays tfjs's per-kernel dispatch again), a CIFAR-CNN epoch 18.2 s and 10.4 s.
 */
export function defaultTrainThreads(
  model: tfType.LayersModel,
  batchSize: number,
  cores = availableParallelism(),
): { threads: 1 | 2; why: string } {
  const values = activationValuesPerInput(model);
  if (cores < 2) return { threads: 1, why: 'the machine has one core' };
  if (batchSize < 16) return { threads: 1, why: `batches of ${batchSize} are too small to split` };
  if (values < TWO_THREAD_MIN_VALUES)
    return {
      threads: 1,
      why: `the model is small (${values.toLocaleString('en-US')} values per input; two threads pay off from ${TWO_THREAD_MIN_VALUES.toLocaleString('en-US')}, --train-threads 2 asks for them)`,
    };
  return { threads: 2, why: '' };
}

/**
 * Why the model cannot train on two threads, or undefined when it can. The checks are those of the
 * parallel path: the WebAssembly or CPU backend, a loss the worker can rebuild, no layer that
 * draws random numbers, a model its topology rebuilds (checked when the worker starts).
 */
export function twoCoreObstacle(
  tf: typeof tfType,
  backend: string,
  plan: Pick<TrainingPlan, 'fitModel' | 'training'>,
  batchSize: number,
): string | undefined {
  if (backend !== 'wasm' && backend !== 'cpu') return `the ${backend} backend uses its own threads`;
  if (batchSize < 2) return 'a batch of one input cannot be split';
  if (!plan.fitModel.optimizer) return 'the model is not compiled for training';
  // Layers that draw random numbers while training: two threads would draw other masks than one.
  const random = plan.fitModel.layers.find((l) => layerKind(l.getClassName()).random === true);
  if (random)
    return `layer '${random.name}' (${random.getClassName()}) draws random numbers, which two threads would draw differently from one`;
  if (lossOf(tf, plan.fitModel) === undefined)
    return `the loss ${plan.training.loss} is one the second thread cannot rebuild (a custom loss)`;
  return undefined;
}

function lossOf(tf: typeof tfType, model: tfType.LayersModel): HalfBatchLoss | undefined {
  const loss = (Array.isArray(model.loss) ? model.loss[0] : model.loss) as unknown;
  if (typeof loss === 'string') return NAMED_LOSSES.find((name) => name === loss);
  return loss === tf.losses.softmaxCrossEntropy ? 'softmaxCrossEntropy' : undefined;
}

/** Whether the model has batch normalisation (a layer normalising by batch statistics), whose batch statistics are then per half-batch. */
export function hasBatchNormalization(model: tfType.LayersModel): boolean {
  return model.layers.some((l) => layerKind(l.getClassName()).batchStatistics === true);
}

/** One thread: tfjs's own `model.fit`; `kernels` (a kernel thread) stops when the trainer closes. */
export function oneThreadTrainer(
  tf: typeof tfType,
  model: tfType.LayersModel,
  data: TrainingData,
  kernels?: RunningKernelThread,
): EpochTrainer {
  return {
    threads: 1,
    trainEpoch: (options) => trainEpoch(tf, model, data, options),
    otherThreadBusy: (busy) => kernels?.hold(busy),
    close: () => kernels?.close(),
  };
}

/**
 * A kernel thread for a recording that trains on one thread of the WebAssembly backend on a
 * machine with two cores or more (src/tfjs/kernelThread.ts: it takes a share of each convolution,
 * filter gradient and max-pooling gradient, with the same bits), unless the recording asked for one
 * thread; undefined otherwise, or when it cannot start (said in the log).
 */
export function kernelThreadFor(
  tf: typeof tfType,
  backend: string,
  asked: 1 | 2 | undefined,
  log: (line: string) => void,
  cores = availableParallelism(),
): RunningKernelThread | undefined {
  if (backend !== 'wasm' || asked === 1 || cores < 2) return undefined;
  try {
    const kernels = startKernelThread(tf.backend() as BackendWasm);
    kernels.ready.catch((e: Error) => log(`the kernel thread stopped: ${e.message}; every kernel runs on the training thread`));
    return kernels;
  } catch (e) {
    log(`no kernel thread: ${(e as Error)?.message ?? String(e)}; every kernel runs on the training thread`);
    return undefined;
  }
}

/**
 * The bytes a training step holds per input for each byte of the model's layer outputs: tfjs's
 * tape keeps every operation's inputs for the gradient (a convolution's input, batch
 * normalisation's centred values, a ReLU's input), then the backward pass adds the gradients.
 * Measured on the WebAssembly backend: a ResNet-50 (46 MB of layer outputs per 32×32 input) grows
 * the heap by 98 MB per input of a batch (2,206 MB at 16, 3,771 MB at 32).
 */
export const TAPE_BYTES_PER_OUTPUT_BYTE = 2.2;

/**
 * The most bytes the tapes of a training step may hold, over all training threads: a batch whose
 * tapes would be larger is computed in parts (halfBatchGradients.ts `batchGradients`). LeNet, the
 * CIFAR-CNN, the full-width ResNet-18 and a MobileNetV2 at a batch of 64 fit whole (≈ 1.1 and
 * 1.4 GB on two threads), as they trained before parts existed.
 */
export const TRAINING_TAPE_BYTES = 1536 * 1024 * 1024;

/**
 * The tape one heap holds at once for a memory-bound model ({@link memoryBound}): a ResNet-50 at
 * 32×32 (≈ 97 MB per input) trains in parts of 3, and its recording peaks under 2 GB
 * (docs/training-kernels.md "Batches in parts").
 */
export const MEMORY_BOUND_TAPE_BYTES = 320 * 1024 * 1024;

/** The tape bytes of one input of `model` (estimated from its layer outputs, see {@link TAPE_BYTES_PER_OUTPUT_BYTE}). */
export function tapeBytesPerInput(model: tfType.LayersModel): number {
  return activationValuesPerInput(model) * 4 * TAPE_BYTES_PER_OUTPUT_BYTE;
}

/** The most inputs each of `threads` training threads computes a gradient of at once: undefined when a whole share of the batch fits `budget`. */
export function partInputsFor(
  model: tfType.LayersModel,
  batchSize: number,
  threads: 1 | 2,
  budget = TRAINING_TAPE_BYTES,
): number | undefined {
  const share = Math.ceil(batchSize / threads);
  const fits = Math.max(1, Math.floor(budget / threads / Math.max(1, tapeBytesPerInput(model))));
  return fits < share ? fits : undefined;
}

/** Parts of fewer inputs than this within {@link MEMORY_BOUND_TAPE_BYTES} make a model memory-bound ({@link memoryBound}). */
export const MIN_PART_INPUTS = 8;

/**
 * Whether `model` is memory-bound at `batchSize`, and why: within {@link MEMORY_BOUND_TAPE_BYTES}
 * a batch would go in parts of fewer than {@link MIN_PART_INPUTS} inputs (more than 40 MB of tape
 * per input; a ResNet-50 at 32×32: parts of 3). Each thread's WebAssembly heap keeps its largest
 * size for good, so a second training thread and the measurement worker would each hold a heap of
 * their own beside this one's. Such a model trains on one thread in those parts, and its epochs
 * are measured between trainings on this thread (record.ts): one heap for everything.
 */
export function memoryBound(
  model: tfType.LayersModel,
  batchSize: number,
  budget = MEMORY_BOUND_TAPE_BYTES,
): { partInputs: number; why: string } | undefined {
  const partInputs = partInputsFor(model, batchSize, 1, budget);
  if (partInputs === undefined || partInputs >= MIN_PART_INPUTS) return undefined;
  const mb = Math.round(tapeBytesPerInput(model) / 2 ** 20);
  return {
    partInputs,
    why: `the model is large (about ${mb} MB of training tape per input), so one thread trains it in parts of ${partInputs} and each epoch is measured before the next trains, to keep the recording's memory low (--train-threads 2 asks for two threads)`,
  };
}

/**
 * The trainer of a recording: two threads when asked (or, unasked, where {@link defaultTrainThreads} says so)
 * and the model can train on them, else one, with a log line saying why; each thread's share of a
 * batch in parts when its tape would not fit {@link TRAINING_TAPE_BYTES}. Writes the threads used
 * into `settings.trainThreads`, and into `plan.training` the parts' size and, with batch
 * normalisation, that it normalised each half-batch or part by its own statistics.
 */
export async function chooseTrainer(
  tf: typeof tfType,
  backend: string,
  plan: Pick<TrainingPlan, 'fitModel' | 'training'>,
  data: TrainingData,
  settings: Pick<RunSettings, 'epochs' | 'batchSize' | 'trainThreads'>,
  asked: 1 | 2 | undefined,
  log: (line: string) => void,
  tapeBudget = TRAINING_TAPE_BYTES,
): Promise<EpochTrainer> {
  settings.trainThreads = 1;
  const one = (partInputs = partInputsFor(plan.fitModel, settings.batchSize, 1, tapeBudget)): EpochTrainer => {
    const lossFn = compiledLossFunction(plan.fitModel);
    const kernels = kernelThreadFor(tf, backend, asked, log);
    if (kernels) log('a kernel thread takes a share of every convolution, filter gradient and max-pooling gradient (the same results)');
    if (partInputs === undefined || !lossFn) return oneThreadTrainer(tf, plan.fitModel, data, kernels);
    markParts(plan, partInputs, 1, log);
    return new PartsTrainer(tf, plan.fitModel, lossFn, { ...data, targets: data.targets ?? 'one-hot' }, partInputs, undefined, kernels);
  };
  if (settings.epochs === 0) return oneThreadTrainer(tf, plan.fitModel, data);
  const bound = asked === 2 ? undefined : memoryBound(plan.fitModel, settings.batchSize);
  if (bound !== undefined) {
    log(`training on one thread: ${bound.why}`);
    const trainer = one(bound.partInputs);
    return {
      threads: 1,
      memoryBound: true,
      trainEpoch: (o) => trainer.trainEpoch(o),
      otherThreadBusy: (busy) => trainer.otherThreadBusy?.(busy),
      close: () => trainer.close(),
    };
  }
  if (asked === undefined) {
    const chosen = defaultTrainThreads(plan.fitModel, settings.batchSize);
    if (chosen.threads === 1) {
      log(`training on one thread: ${chosen.why}`);
      return one();
    }
  } else if (asked === 1) return one();
  const obstacle = twoCoreObstacle(tf, backend, plan, settings.batchSize);
  if (obstacle) {
    log(`training on one thread: ${obstacle}`);
    return one();
  }
  const partInputs = partInputsFor(plan.fitModel, settings.batchSize, 2, tapeBudget);
  try {
    const two = await startTwoCoreTrainer(tf, backend as 'wasm' | 'cpu', plan.fitModel, data, partInputs);
    settings.trainThreads = 2;
    log('training on two threads: each takes half of every batch, one optimizer step on the summed gradients');
    if (partInputs !== undefined) markParts(plan, partInputs, 2, log);
    else if (hasBatchNormalization(plan.fitModel)) {
      plan.training.batchStatistics = 'half-batch';
      log(
        'batch normalisation normalises each half-batch by its own statistics; its moving statistics follow the first half (train with --train-threads 1 for whole-batch statistics)',
      );
    }
    return two;
  } catch (e) {
    log(`training on one thread: the second thread could not take the model (${(e as Error)?.message ?? String(e)})`);
    return one();
  }
}

/** Says in the log and the run that each batch's gradient is computed in parts of `partInputs` inputs. */
function markParts(
  plan: Pick<TrainingPlan, 'fitModel' | 'training'>,
  partInputs: number,
  threads: 1 | 2,
  log: (line: string) => void,
): void {
  plan.training.partInputs = partInputs;
  const mb = Math.round((tapeBytesPerInput(plan.fitModel) * partInputs) / 2 ** 20);
  log(
    `computing each ${threads === 2 ? "thread's half of a batch" : 'batch'} in parts of at most ${partInputs} inputs (about ${mb} MB of tape each), their gradients summed before one optimizer step`,
  );
  if (hasBatchNormalization(plan.fitModel)) {
    plan.training.batchStatistics = 'parts';
    log(
      `batch normalisation normalises each part of at most ${partInputs} inputs by its own statistics; its moving statistics follow the first part`,
    );
  }
}

/**
 * Starts the worker and sets it up with the model; rejects (the caller falls back to one thread)
 * when the worker cannot start or cannot rebuild the model.
 */
export async function startTwoCoreTrainer(
  tf: typeof tfType,
  backend: 'wasm' | 'cpu',
  model: tfType.LayersModel,
  data: TrainingData,
  partInputs = Infinity,
  script = resolveHalfBatchScript(),
): Promise<EpochTrainer> {
  if (!script) throw new Error('the half-batch worker bundle is missing (run npm run build)');
  const loss = lossOf(tf, model);
  if (!loss) throw new Error('the loss cannot be rebuilt on the second thread');
  const worker = new WorkerCalls(new Worker(script));
  const inputs = new SharedArrayBuffer(data.inputs.byteLength);
  new Float32Array(inputs).set(data.inputs);
  const labels = new SharedArrayBuffer(data.labels.byteLength);
  new Int32Array(labels).set(data.labels);
  const targets = data.targets ?? 'one-hot';
  const init: HalfBatchInit = {
    kind: 'init',
    ...{ backend, loss, targets, classes: data.classes, inputs, labels, shape: data.shape, partInputs },
    topology: JSON.stringify(model.toJSON(undefined, false)),
  };
  try {
    await worker.call(init);
  } catch (e) {
    worker.close();
    throw e;
  }
  const lossFn = compiledLossFunction(model);
  if (!lossFn) throw new Error('the model is not compiled for training');
  return new PartsTrainer(tf, model, lossFn, { ...data, targets }, partInputs, worker);
}

class WorkerCalls {
  private pending?: { resolve: (r: HalfBatchResult | undefined) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private readonly worker: Worker) {
    worker.on('message', (raw: unknown) => {
      const pending = this.pending;
      this.pending = undefined;
      let reply;
      try {
        reply = parseHalfBatchReply(raw);
      } catch (e) {
        pending?.reject(e as Error);
        return;
      }
      if (reply.ok) pending?.resolve(reply.result);
      else pending?.reject(new Error(`the second training thread failed: ${reply.error}`));
    });
    const fail = (e: Error): void => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the second training thread stopped (exit code ${code})`)));
  }

  call(msg: HalfBatchMessage): Promise<HalfBatchResult | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg);
    });
  }

  close(): void {
    void this.worker.terminate();
  }
}

/**
 * Trains with one optimizer step per batch on the sum of the batch's parts' gradients
 * (halfBatchGradients.ts): on two threads, this one's half and the worker's, or on this thread
 * alone; each thread's share in parts of at most `partInputs` inputs.
 */
class PartsTrainer implements EpochTrainer {
  readonly threads: 1 | 2;

  constructor(
    private readonly tf: typeof tfType,
    private readonly model: tfType.LayersModel,
    private readonly loss: LossFn,
    private readonly data: TrainingData & { targets: NonNullable<TrainingData['targets']> },
    private readonly partInputs: number,
    private readonly worker?: WorkerCalls,
    private readonly kernels?: RunningKernelThread,
  ) {
    this.threads = worker ? 2 : 1;
  }

  async trainEpoch(options: Parameters<EpochTrainer['trainEpoch']>[0]): Promise<EpochLogs> {
    const { count } = this.data;
    const order = shuffled(count, options.seed + options.epoch);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    this.model.stopTraining = false;
    const end = Math.min(count, (options.batches ?? Infinity) * options.batchSize);
    for (let start = 0, batch = 0; start < end && !this.model.stopTraining; start += options.batchSize, batch++) {
      const indices = order.subarray(start, Math.min(count, start + options.batchSize));
      const step = await this.step(indices);
      lossSum += step.loss * indices.length;
      correct += step.correct;
      seen += indices.length;
      const logs = this.data.targets === 'label' ? { loss: step.loss } : { loss: step.loss, acc: step.correct / indices.length };
      await options.callbacks.onBatchEnd(batch, logs);
    }
    return { loss: seen ? lossSum / seen : null, accuracy: seen && this.data.targets !== 'label' ? correct / seen : null };
  }

  /** One optimizer step on the batch `indices`: this thread's half first, the worker's second (or this thread's whole batch). */
  private async step(indices: Int32Array): Promise<{ loss: number; correct: number }> {
    const { tf, model, worker } = this;
    const mine = worker ? indices.subarray(0, Math.ceil(indices.length / 2)) : indices;
    const theirs = indices.subarray(mine.length);
    // Copied by postMessage's structured clone.
    const remote =
      worker && theirs.length
        ? worker.call({
            kind: 'step',
            weights: model.weights.map((w) => w.read().dataSync() as Float32Array),
            indices: Int32Array.from(theirs),
            batchSize: indices.length,
          })
        : Promise.resolve(undefined);
    remote.catch(() => undefined);
    const part = batchGradients(tf, model, this.loss, this.data, {
      indices: mine,
      batchSize: indices.length,
      partInputs: this.partInputs,
      regularise: true,
    });
    const other = await remote.catch((e: Error) => {
      tf.dispose(part.grads);
      throw e;
    });
    if (other && other.grads.length !== model.trainableWeights.length) {
      tf.dispose(part.grads);
      throw new Error(
        `the second training thread sent ${other.grads.length} gradients for ${model.trainableWeights.length} trainable weights`,
      );
    }
    const variables = model.trainableWeights.map((w) => w.read() as tfType.Variable);
    const summed: tfType.NamedTensorMap = {};
    variables.forEach((v, i) => {
      const own = part.grads[v.name];
      summed[v.name] = other ? tf.tidy(() => tf.add(own, tf.tensor(other.grads[i], v.shape))) : own;
    });
    model.optimizer.applyGradients(summed);
    tf.dispose(Object.values(summed));
    if (other) tf.dispose(part.grads);
    return { loss: part.loss + (other?.loss ?? 0), correct: part.correct + (other?.correct ?? 0) };
  }

  otherThreadBusy(busy: boolean): void {
    this.kernels?.hold(busy);
  }

  close(): void {
    this.worker?.close();
    this.kernels?.close();
  }
}
