/**
 * Training between two recorded epochs: the model's own compile() when the model file compiled it
 * (unless the recording's settings name an optimizer or learning rate), else the optimizer the
 * settings name with the loss that fits the output; and one epoch of `model.fit` over the training
 * inputs in an order drawn from the seed, with the recording's callbacks (src/recorder/callbacks.ts)
 * called after every batch.
 */
import type * as tfType from '@tensorflow/tfjs';
import { seededRandom } from '../analysis';
import { DEFAULT_RECORD_SETTINGS, isOptimizer, type Optimizer } from '../contract/recordSettings';
import type { RunSettings, RunTraining } from '../contract/runFormat';
import type { TrainingTargets } from '../contract/protocols/halfBatch';
import type { EpochLogs, RecordCallbackList } from './callbacks';
import { ModelError, type LoadedModel } from './modelLoader';
import type { ChosenOutput } from './outputs';

/** Each optimizer the settings can name, made at a learning rate. */
const OPTIMIZER_OF: Record<Optimizer, (tf: typeof tfType, rate: number) => tfType.Optimizer> = {
  sgd: (tf, rate) => tf.train.sgd(rate),
  adam: (tf, rate) => tf.train.adam(rate),
  rmsprop: (tf, rate) => tf.train.rmsprop(rate),
};

/** The training inputs of a recording, kept as plain arrays: tensors are made per epoch and freed. */
export interface TrainingData {
  /** `count` inputs of `shape` (without the batch axis: `[H, W, C]` images, `[T]` or `[T, C]` sequences, …), row-major. */
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
  shape: number[];
  classes: number;
  /** How labels become targets (default one-hot class vectors). */
  targets?: TrainingTargets;
}

/**
 * The manifest's `training`, and with `compiledBy: model` where the model's compile came from when
 * not its module: `source: training_config`, the model.json's (docs/run-format.md).
 */
export type PlannedTraining = RunTraining & { source?: 'training_config' };

/** What trains: the model fit runs on, how labels become its targets, and what the run says about it. */
export interface TrainingPlan {
  /** The model itself, or for a multi-output model one ending in the chosen output that shares its layers. */
  fitModel: tfType.LayersModel;
  targets: TrainingTargets;
  training: PlannedTraining;
  /** The optimizer's name and learning rate, for the run's settings. */
  optimizer: string;
  learningRate: number;
}

/** The name tfjs gives an optimizer class, as the settings spell optimizers (`Adam` → `adam`, `RMSProp` → `rmsprop`). */
function optimizerName(optimizer: tfType.Optimizer): string {
  return optimizer.getClassName().toLowerCase();
}

function lossName(loss: unknown): string {
  if (typeof loss === 'string') return loss;
  if (typeof loss === 'function') return loss.name.replace(/__op$/, '') || 'a custom loss';
  return 'a custom loss';
}

/** The model's compiled loss for output `index` (a list or a map by output name when it has several outputs). */
function compiledLossOf(model: tfType.LayersModel, index: number): unknown {
  const loss = model.loss as unknown;
  if (Array.isArray(loss)) return loss[index];
  if (loss && typeof loss === 'object') return (loss as Record<string, unknown>)[model.outputNames[index]];
  return loss;
}

/**
 * Compiles the model for training as the model file and the settings ask, and says how.
 * - The model file compiled the model and the settings name neither optimizer nor learning rate
 *   (`overrides`): its optimizer, learning rate and loss train it, untouched.
 * - Otherwise the settings' optimizer and learning rate, with the model's own loss when it compiled
 *   one, else the loss of its output: categorical cross-entropy on softmax scores, softmax
 *   cross-entropy on logits, binary cross-entropy on one sigmoid unit, mean squared error from
 *   the label's value on one unit of another kind (a regression); an output of several values that
 *   are not class scores is not trained (epochs 0 only).
 * @throws ModelError for an output of several values that are not class scores (an embedding)
 * when there are epochs to train: class labels are no target for it.
 */
export function planTraining(
  tf: typeof tfType,
  model: tfType.LayersModel,
  output: ChosenOutput,
  settings: Pick<RunSettings, 'optimizer' | 'learningRate' | 'epochs'>,
  overrides: { optimizer: boolean; learningRate: boolean },
  modelCompile?: LoadedModel['modelCompile'],
): TrainingPlan {
  // A training_config that names what TensorFlow.js cannot train with is refused, unless the settings choose the optimizer.
  if (modelCompile?.problem && !overrides.optimizer) throw new ModelError(modelCompile.problem);
  if (output.kind === 'none' && output.units !== 1 && settings.epochs > 0) {
    throw new ModelError(
      `the output ${output.layer} gives ${output.units} values per input, not a score per class, so the class labels give it nothing to train towards; ` +
        `record it with --epochs 0 to measure the model as it is, end it in dense({ units: <classes>, activation: 'softmax' }), ` +
        `or, with several outputs, name the classification one with export const classificationOutput = '<layer name>'`,
    );
  }
  const several = model.outputs.length > 1;
  const fitModel = several ? tf.model({ inputs: model.inputs, outputs: model.outputs[output.outputIndex] }) : model;
  const targets: TrainingTargets = output.kind === 'binary' ? 'binary' : output.kind === 'none' ? 'label' : 'one-hot';
  const compiled = model.optimizer as tfType.Optimizer | undefined;
  const modelLoss = compiled ? compiledLossOf(model, output.outputIndex) : undefined;
  if (compiled && modelLoss !== undefined && !overrides.optimizer && !overrides.learningRate) {
    if (several) fitModel.compile({ optimizer: compiled, loss: modelLoss as string, metrics: ['accuracy'] });
    const learningRate = (compiled.getConfig() as { learningRate?: unknown }).learningRate;
    return {
      fitModel,
      targets,
      training: {
        compiledBy: 'model',
        optimizer: optimizerName(compiled),
        loss: lossName(modelLoss),
        ...(modelCompile ? { source: modelCompile.source } : {}),
      },
      optimizer: optimizerName(compiled),
      learningRate: typeof learningRate === 'number' && learningRate > 0 ? learningRate : settings.learningRate,
    };
  }
  // The model's own optimizer kind when only the learning rate is overridden and the settings can name it.
  const compiledName = compiled ? optimizerName(compiled) : undefined;
  const name = !overrides.optimizer && isOptimizer(compiledName) ? compiledName : settings.optimizer;
  const optimizer = OPTIMIZER_OF[isOptimizer(name) ? name : DEFAULT_RECORD_SETTINGS.optimizer](tf, settings.learningRate);
  let loss: unknown = modelLoss;
  if (loss === undefined) {
    if (output.kind === 'softmax') loss = 'categoricalCrossentropy';
    else if (output.kind === 'logits') loss = tf.losses.softmaxCrossEntropy;
    else if (output.kind === 'binary') loss = 'binaryCrossentropy';
    else if (output.units === 1) loss = 'meanSquaredError';
  }
  if (loss === undefined) {
    // Several values per input and no epoch to train (checked above): measured as it is.
    return {
      fitModel,
      targets,
      training: { compiledBy: 'settings', optimizer: name, loss: 'none' },
      optimizer: name,
      learningRate: settings.learningRate,
    };
  }
  fitModel.compile({ optimizer, loss: loss as string, metrics: targets === 'label' ? [] : ['accuracy'] });
  return {
    fitModel,
    targets,
    training: { compiledBy: 'settings', optimizer: name, loss: lossName(loss) },
    optimizer: name,
    learningRate: settings.learningRate,
  };
}

/** Batches per epoch. */
export function batchesPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/**
 * Trains one epoch (`epoch` ≥ 1) in the order `shuffled(count, seed + epoch)`. The callbacks' batch
 * hook runs after every batch; their epoch hooks are the caller's to call.
 */
export async function trainEpoch(
  tf: typeof tfType,
  model: tfType.LayersModel,
  data: TrainingData,
  options: { epoch: number; seed: number; batchSize: number; callbacks: RecordCallbackList },
): Promise<EpochLogs> {
  const { count, shape, classes } = data;
  const order = shuffled(count, options.seed + options.epoch);
  const x = tf.tidy(() => tf.gather(tf.tensor(data.inputs, [count, ...shape]), tf.tensor1d(order, 'int32')));
  const y = tf.tidy(() => {
    const labels = tf.gather(tf.tensor1d(data.labels, 'int32'), tf.tensor1d(order, 'int32'));
    // One sigmoid unit and outputs trained on the label's value take the label as a number per input.
    return data.targets === 'binary' || data.targets === 'label'
      ? labels.toFloat().reshape([count, 1])
      : tf.oneHot(labels, classes).toFloat();
  });
  try {
    // A plain callback object, not a BaseCallback: tfjs wraps it in its CustomCallback, which
    // resolves the batch logs to numbers and yields to the event loop every 125 ms.
    const history = await model.fit(x, y, {
      epochs: 1,
      batchSize: options.batchSize,
      shuffle: false,
      verbose: 0,
      callbacks: { onBatchEnd: (batch, logs) => options.callbacks.onBatchEnd(batch, logs) },
    });
    return {
      loss: (history.history.loss?.[0] as number | undefined) ?? null,
      accuracy: ((history.history.acc ?? history.history.accuracy)?.[0] as number | undefined) ?? null,
    };
  } finally {
    x.dispose();
    y.dispose();
  }
}

/** A permutation of 0..n-1 drawn from `seed` (Fisher–Yates). */
export function shuffled(n: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
