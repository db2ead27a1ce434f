/**
 * The gradient of one part of a batch, scaled by its share of the batch, as tfjs-layers' `fit`
 * computes the whole batch's: the mean of the compiled loss over the part (times its share), plus
 * the model's regularisation losses where asked. Summing the parts' gradients gives the gradient of
 * the batch's mean loss, which is what one optimizer step of `fit` applies.
 */
import type * as tfType from '@tensorflow/tfjs';
import type { TrainingTargets } from '../contract/protocols/halfBatch';

type LossFn = (yTrue: tfType.Tensor, yPred: tfType.Tensor) => tfType.Tensor;

/** What one part of a batch gives: its scaled gradients by variable name, its scaled loss and its correct predictions. */
export interface PartGradients {
  grads: tfType.NamedTensorMap;
  loss: number;
  correct: number;
}

/** Gathers the inputs `indices` of `inputs` (rows of `rowSize`) and their targets. */
export function partTensors(
  tf: typeof tfType,
  data: { inputs: Float32Array; labels: Int32Array; shape: number[]; classes: number; targets: TrainingTargets },
  indices: Int32Array,
): { x: tfType.Tensor; y: tfType.Tensor } {
  const rowSize = data.shape.reduce((a, b) => a * b, 1);
  const rows = new Float32Array(indices.length * rowSize);
  indices.forEach((i, r) => rows.set(data.inputs.subarray(i * rowSize, (i + 1) * rowSize), r * rowSize));
  const labels = Int32Array.from(indices, (i) => data.labels[i]);
  const x = tf.tensor(rows, [indices.length, ...data.shape]);
  const y = tf.tidy(() =>
    data.targets === 'one-hot'
      ? tf.oneHot(tf.tensor1d(labels, 'int32'), data.classes).toFloat()
      : tf.tensor2d(Float32Array.from(labels), [indices.length, 1]),
  );
  return { x, y };
}

/** The scaled gradients of the part `x`, `y` of a batch (see the file comment). */
export function partGradients(
  tf: typeof tfType,
  model: tfType.LayersModel,
  loss: LossFn,
  part: { x: tfType.Tensor; y: tfType.Tensor; share: number; targets: TrainingTargets; regularise: boolean },
): PartGradients {
  let correct = 0;
  const variables = model.trainableWeights.map((w) => w.read() as tfType.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const yPred = model.apply(part.x, { training: true }) as tfType.Tensor;
    correct = countCorrect(tf, part.y, yPred, part.targets);
    let total = tf.mul<tfType.Scalar>(tf.mean(loss(part.y, yPred)), part.share);
    if (part.regularise) for (const r of model.calculateLosses()) total = tf.add(total, r);
    return total;
  }, variables);
  const lossValue = value.dataSync()[0];
  value.dispose();
  return { grads, loss: lossValue, correct };
}

function countCorrect(tf: typeof tfType, y: tfType.Tensor, yPred: tfType.Tensor, targets: TrainingTargets): number {
  if (targets === 'label') return 0;
  return tf.tidy(() => {
    const right = targets === 'binary' ? tf.equal(tf.greater(yPred, 0.5).toFloat(), y) : tf.equal(tf.argMax(yPred, -1), tf.argMax(y, -1));
    return right.toFloat().sum().dataSync()[0];
  });
}

/** The compiled loss function `fit` trains with (a Sequential keeps it on its inner model). */
export function compiledLossFunction(model: tfType.LayersModel): LossFn | undefined {
  const inner = (model as unknown as { model?: tfType.LayersModel }).model ?? model;
  return (inner.lossFunctions as LossFn[] | undefined)?.[0];
}

/**
 * The scaled gradients of the inputs `indices` of a batch of `batchSize`, computed in parts of at
 * most `partInputs` inputs (so that the tape of one part, not of all of them, is in memory at
 * once) and summed in order: one `partGradients` call, bit for bit, when they fit in one part.
 * Every part's forward pass updates batch normalisation's moving statistics; they are set back to
 * what the first part left, so that they move once per batch, as in `fit`.
 */
export function batchGradients(
  tf: typeof tfType,
  model: tfType.LayersModel,
  loss: LossFn,
  data: Parameters<typeof partTensors>[1],
  part: { indices: Int32Array; batchSize: number; partInputs: number; regularise: boolean },
): PartGradients {
  const { indices, batchSize, partInputs } = part;
  const size = Math.max(1, partInputs);
  let total: PartGradients | undefined;
  let firstMoving: tfType.Tensor[] | undefined;
  try {
    for (let start = 0; start < indices.length; start += size) {
      const chunk = indices.subarray(start, Math.min(indices.length, start + size));
      const { x, y } = partTensors(tf, data, chunk);
      let g: PartGradients;
      try {
        g = partGradients(tf, model, loss, {
          x,
          y,
          share: chunk.length / batchSize,
          targets: data.targets,
          // The regularisation losses belong to the batch once: with its first part.
          regularise: part.regularise && start === 0,
        });
      } finally {
        x.dispose();
        y.dispose();
      }
      if (!total) {
        total = g;
        if (indices.length > size) firstMoving = model.nonTrainableWeights.map((w) => w.read().clone());
        continue;
      }
      const sum = total;
      for (const name of Object.keys(sum.grads)) {
        const added = tf.add(sum.grads[name], g.grads[name]);
        sum.grads[name].dispose();
        sum.grads[name] = added;
      }
      tf.dispose(g.grads);
      sum.loss += g.loss;
      sum.correct += g.correct;
    }
  } catch (e) {
    if (total) tf.dispose(total.grads);
    throw e;
  } finally {
    if (firstMoving) {
      model.nonTrainableWeights.forEach((w, i) => w.write(firstMoving![i]));
      tf.dispose(firstMoving);
    }
  }
  return total ?? { grads: {}, loss: 0, correct: 0 };
}
