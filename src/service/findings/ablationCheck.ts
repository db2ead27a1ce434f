/**
 * Whether a finding's own ablation contradicts it (docs/estimators.md "Findings", "A finding its
 * ablation contradicts"): channels called dead pass nothing on, so zeroing them must leave the
 * model's predictions as they were. The change of the probe accuracy and of the probe loss is
 * bootstrapped over the probe inputs, paired (each input before and after, the same resamples for
 * both); an interval at BOOTSTRAP_LEVEL that excludes 0 is a change the probe inputs can tell, and
 * the finding is not shown. Pure: the handler measures the ablation (evidence.ts addAblations).
 */
import { bootstrapMean, coversZero, pairedDifferences, type MeanInterval } from '../../analysis/bootstrap';
import type { Finding } from '../../contract/queries';

/** Each probe input's loss and correctness, in probe order (src/analysis/predictions.ts). */
export interface InputMeasures {
  inputLosses: ArrayLike<number>;
  inputCorrect: ArrayLike<number>;
  loss: number | undefined;
}

export interface AblationEffect {
  /** The change of the probe accuracy (after − before, a share), with its paired bootstrap interval. */
  accuracy: MeanInterval;
  /** The change of the probe loss (after − before), with its interval; undefined without a loss. */
  loss?: MeanInterval;
}

/** The paired bootstrap of the change an ablation makes to the probe accuracy and loss (same seed and resamples for both). */
export function ablationEffect(before: InputMeasures, after: InputMeasures): AblationEffect {
  const accuracy = bootstrapMean(pairedDifferences(after.inputCorrect, before.inputCorrect));
  if (before.loss === undefined || after.loss === undefined || !before.inputLosses.length) return { accuracy };
  return { accuracy, loss: bootstrapMean(pairedDifferences(after.inputLosses, before.inputLosses)) };
}

/** Whether the effect is one the probe inputs can tell from none: the accuracy's or the loss's interval excludes 0. */
export function effectShows(e: AblationEffect): boolean {
  return !coversZero(e.accuracy) || (e.loss !== undefined && !coversZero(e.loss));
}

/** The kinds a measured effect of their ablation contradicts: channels that pass nothing on. */
export const CONTRADICTED_BY_EFFECT: readonly Finding['kind'][] = ['dead-channels'];

const signed = (v: number, digits: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
const points = (v: number) => `${signed(v * 100, 1)} points`;

/**
 * Why a finding is not shown (the findings answer's `skipped`): "avg_pool2d: 512 channels read as
 * dead, but zeroing them moved the probe accuracy by −4.8 points (95% interval −7.0 to −2.6) …".
 */
export function contradictionReason(f: Finding, e: AblationEffect): string {
  const n = f.ablation?.channels.length ?? f.channels?.length ?? 0;
  const moved: string[] = [];
  if (!coversZero(e.accuracy))
    moved.push(`the probe accuracy by ${points(e.accuracy.mean)} (95% interval ${points(e.accuracy.low)} to ${points(e.accuracy.high)})`);
  if (e.loss && !coversZero(e.loss))
    moved.push(`the probe loss by ${signed(e.loss.mean, 3)} (95% interval ${signed(e.loss.low, 3)} to ${signed(e.loss.high, 3)})`);
  return (
    `${f.layerName ?? `layer ${f.layer}`}: ${n} channel${n === 1 ? '' : 's'} read as dead, but zeroing ${n === 1 ? 'it' : 'them'} moved ` +
    `${moved.join(' and ')} over the probe inputs: ${n === 1 ? 'it is' : 'they are'} not dead, and the finding is not shown`
  );
}
