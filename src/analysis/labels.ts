/**
 * Confusion matrix and label entropies (paper 3.2 and 5.2; estimators.md "Label entropies"):
 * `H(label | pred = i)` and `H(pred | label = i)` over the probe set at an epoch.
 */
import { checkLabels } from './intraSample';
import { shannonEntropyBits } from './shannon';

/** Confusion matrix with the two label entropies of paper 5.2. */
export interface LabelEntropies {
  classes: number;
  /** `confusion[t][p]`: inputs of true class `t` predicted as `p` (rows = true, columns = predicted). */
  confusion: number[][];
  /** `H(label | pred = i)`: entropy of column `i`; `undefined` when nothing was predicted as `i`. */
  hLabelGivenPred: (number | undefined)[];
  /** `H(pred | label = i)`: entropy of row `i`; `undefined` when class `i` has no inputs. */
  hPredGivenLabel: (number | undefined)[];
}

/**
 * The confusion matrix of true against predicted labels (paper 5.2, Fig. 4). `classes` defaults
 * to one more than the largest label seen. Labels must be integers in `[0, classes)`.
 */
export function confusionMatrix(trueLabels: ArrayLike<number>, predicted: ArrayLike<number>, classes?: number): number[][] {
  const c = Math.max(checkLabels(trueLabels, trueLabels.length, classes), checkLabels(predicted, trueLabels.length, classes));
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < trueLabels.length; i++) m[trueLabels[i]][predicted[i]]++;
  return m;
}

/**
 * `H(label | pred = i)` and `H(pred | label = i)` from a confusion matrix (paper 5.2): the Shannon
 * entropy of each column and each row. Undefined values stay `undefined` (the paper's "infinity"
 * gaps); they are never reported as 0.
 */
export function labelEntropies(confusion: number[][]): LabelEntropies {
  const classes = confusion.length;
  for (const row of confusion) {
    if (row.length !== classes)
      throw new RangeError(`the confusion matrix must be square; got a row of ${row.length} for ${classes} classes`);
  }
  const column = new Float64Array(classes);
  const hLabelGivenPred: (number | undefined)[] = [];
  for (let p = 0; p < classes; p++) {
    for (let t = 0; t < classes; t++) column[t] = confusion[t][p];
    hLabelGivenPred.push(shannonEntropyBits(column));
  }
  return {
    classes,
    confusion,
    hLabelGivenPred,
    hPredGivenLabel: confusion.map((row) => shannonEntropyBits(row)),
  };
}

/** Index of the largest value in each row of `[n, classes]` scores (the predicted class). */
export function argmaxRows(scores: ArrayLike<number>, n: number, classes: number): Int32Array {
  if (scores.length !== n * classes)
    throw new RangeError(`${n} rows of ${classes} scores need ${n * classes} values, got ${scores.length}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}
