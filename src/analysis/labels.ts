/**
 * Confusion matrix and label entropies (paper 3.2 and 5.2; estimators.md "Label entropies"):
 * `H(label | pred = i)` and `H(pred | label = i)` over the probe set at an epoch.
 */
import { CodedError, hasErrorCode } from './errors';
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

/**
 * Scores with no prediction in them: a row holding NaN has no largest value, so no class can be
 * named for that input. Counting it as any class (the first, as a plain argmax would) would make a
 * diverged model look like one that predicts class 0.
 */
export class NonFinitePredictionError extends CodedError {
  constructor(
    message: string,
    /** Inputs whose scores hold NaN. */
    readonly inputs: number,
  ) {
    super('non-finite-prediction', message, 'NonFinitePredictionError');
  }
  static is(e: unknown): e is NonFinitePredictionError {
    return hasErrorCode(e, 'non-finite-prediction');
  }
}

/**
 * Index of the largest value in each row of `[n, classes]` scores (the predicted class); the first
 * on ties. Infinities are values like any other.
 * @throws NonFinitePredictionError when a row holds NaN: that input has no prediction.
 */
export function argmaxRows(scores: ArrayLike<number>, n: number, classes: number): Int32Array {
  if (scores.length !== n * classes)
    throw new RangeError(`${n} rows of ${classes} scores need ${n * classes} values, got ${scores.length}`);
  const out = new Int32Array(n);
  let firstNaN = -1;
  let nanRows = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let nan = false;
    for (let c = 0; c < classes; c++) {
      const v = scores[i * classes + c];
      if (v !== v) nan = true;
      else if (v > scores[i * classes + best]) best = c;
    }
    if (nan) {
      nanRows++;
      if (firstNaN < 0) firstNaN = i;
    }
    out[i] = best;
  }
  if (nanRows > 0) {
    throw new NonFinitePredictionError(
      `the scores of ${nanRows} of ${n} inputs are NaN (the first is input ${firstNaN}), so they predict no class: ` +
        'the model outputs NaN, which usually means training diverged; lower the learning rate or check the model',
      nanRows,
    );
  }
  return out;
}
