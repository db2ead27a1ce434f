/**
 * Training between two recorded epochs: the optimizer the settings name, and one epoch of
 * `model.fit` over the training inputs in an order drawn from the seed, with the recording's
 * callbacks (src/recorder/callbacks.ts) called after every batch.
 */
import type * as tfType from '@tensorflow/tfjs';
import { seededRandom } from '../analysis';
import type { RunSettings } from '../run/format';
import type { EpochLogs, RecordCallbackList } from './callbacks';

/** The training inputs of a recording, kept as plain arrays: tensors are made per epoch and freed. */
export interface TrainingData {
  /** `count` images of `shape` (height, width, channels), row-major. */
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
  shape: [number, number, number];
  classes: number;
}

/** Compiles the model with the optimizer and learning rate of the settings (cross-entropy loss, accuracy). */
export function compileModel(
  tf: typeof tfType,
  model: tfType.LayersModel,
  settings: Pick<RunSettings, 'optimizer' | 'learningRate'>,
): void {
  const optimizer =
    settings.optimizer === 'sgd'
      ? tf.train.sgd(settings.learningRate)
      : settings.optimizer === 'rmsprop'
        ? tf.train.rmsprop(settings.learningRate)
        : tf.train.adam(settings.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
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
  const x = tf.tidy(() => tf.gather(tf.tensor4d(data.inputs, [count, ...shape]), tf.tensor1d(order, 'int32')));
  const y = tf.tidy(() => tf.oneHot(tf.gather(tf.tensor1d(data.labels, 'int32'), tf.tensor1d(order, 'int32')), classes).toFloat());
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
