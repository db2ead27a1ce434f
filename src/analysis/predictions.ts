/**
 * What a model's predictions on a set of inputs measure: accuracy, the cross-entropy loss, accuracy
 * per class, the confusion matrix and the label entropies (estimators.md "Label entropies" and
 * "Ablation"). One definition for the recorder's probe measures and the service's ablations.
 */
import { argmaxRows, confusionMatrix, labelEntropies } from './labels';

/** How a model output's values give class scores (src/contract/runFormat.ts RunOutput `kind`, without `none`). */
export type ScoreKind = 'softmax' | 'logits' | 'binary';

/**
 * Row-wise softmax of `[n, classes]` logits, in float64: a confident row's `p(label)` is near 1, and
 * its loss `−ln p` near 0 keeps its digits only if `p` does (a float32 `p` keeps about 6e-8 of the
 * loss absolutely: 2e-4 relative at a loss of 1.6e-5, where PyTorch's log-softmax keeps them all).
 */
export function softmaxRows(values: Float32Array, classes: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let base = 0; base < values.length; base += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, values[base + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += out[base + c] = Math.exp(values[base + c] - max);
    for (let c = 0; c < classes; c++) out[base + c] /= sum;
  }
  return out;
}

/**
 * Class scores `[n, classes]` (rows of probabilities) from an output's values: softmax scores as
 * they are, logits softmaxed, one sigmoid unit p as `[1 − p, p]` (whose argmax is p > 0.5).
 */
export function classScores(kind: ScoreKind, values: Float32Array, classes: number): Float32Array | Float64Array {
  switch (kind) {
    case 'softmax':
      return values;
    case 'logits':
      return softmaxRows(values, classes);
    case 'binary': {
      const scores = new Float32Array(values.length * 2);
      values.forEach((p, i) => {
        scores[2 * i] = 1 - p;
        scores[2 * i + 1] = p;
      });
      return scores;
    }
  }
}

/** The smallest probability the loss takes the log of (as Keras clamps it). */
export const LOSS_EPSILON = 1e-7;

export interface PredictionMeasures {
  /** Share of inputs whose predicted class (argmax, first on ties) is their label; 0 for no inputs. */
  accuracy: number;
  /** Mean `−ln max(p(label), 1e-7)` over the inputs (natural log, as the training loss); undefined for no inputs. */
  loss: number | undefined;
  /** `[input]`: each input's `−ln max(p(label), 1e-7)`, whose mean is `loss` (the bootstrap's values). */
  inputLosses: Float64Array;
  /** `[input]`: 1 where the predicted class is the label, else 0; its mean is `accuracy` (the bootstrap's values). */
  inputCorrect: Uint8Array;
  /** `[class]`: accuracy on that class's inputs, undefined for a class with none. */
  perClassAccuracy: (number | undefined)[];
  /** Rows = true class, columns = predicted. */
  confusion: number[][];
  hLabelGivenPred: (number | undefined)[];
  hPredGivenLabel: (number | undefined)[];
}

/**
 * The measures of class scores `[n, classes]` against `labels`.
 * @throws NonFinitePredictionError when a row of scores holds NaN (labels.ts argmaxRows).
 */
export function predictionMeasures(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): PredictionMeasures {
  const n = labels.length;
  const predicted = argmaxRows(scores, n, classes);
  const confusion = confusionMatrix(labels, predicted, classes);
  const le = labelEntropies(confusion);
  const inputLosses = new Float64Array(n);
  const inputCorrect = new Uint8Array(n);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    inputLosses[i] = -Math.log(Math.max(scores[i * classes + labels[i]], LOSS_EPSILON));
    loss += inputLosses[i];
    if (predicted[i] === labels[i]) {
      correct++;
      inputCorrect[i] = 1;
    }
  }
  return {
    accuracy: n ? correct / n : 0,
    loss: n ? loss / n : undefined,
    inputLosses,
    inputCorrect,
    perClassAccuracy: confusion.map((row, c) => {
      const total = row.reduce((a, b) => a + b, 0);
      return total ? row[c] / total : undefined;
    }),
    confusion,
    hLabelGivenPred: le.hLabelGivenPred,
    hPredGivenLabel: le.hPredGivenLabel,
  };
}
