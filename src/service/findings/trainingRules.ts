/** The rules about training: probe loss rising beyond chance while training loss falls, a class never predicted (docs/estimators.md "Findings"). */
import { BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, bootstrapMean, MeanInterval, pairedDifferences } from '../../analysis/bootstrap';
import type { EpochMetrics } from '../../contract/runFormat';
import type { Finding } from '../../contract/queries';
import { metricsAt, percent, skip } from './common';
import { PROBE_LOSS_RISE_SHARE, TRAIN_LOSS_FALL_SHARE } from './thresholds';
import type { FindingsInput, RuleResult } from './types';

/** The recorded epochs the `probe-loss-rising` rule compares at the input's epoch `T`, when their recorded losses make it a candidate. */
interface RiseCandidate {
  /** The epoch of the lowest probe loss before `previous`. */
  best: EpochMetrics;
  /** The recorded epoch before `T` (with a training loss). */
  previous: EpochMetrics;
  at: EpochMetrics;
}

/**
 * The epochs of a candidate rise: at `T` and at the recorded epoch before it, the probe loss is at
 * least PROBE_LOSS_RISE_SHARE above its lowest at an earlier epoch `m`, while the training loss fell
 * from `m` (by more than TRAIN_LOSS_FALL_SHARE of its value there). A string says why the rule cannot
 * be checked; undefined: no candidate.
 */
function riseCandidate(input: FindingsInput): RiseCandidate | string | undefined {
  const usable = input.metrics.filter((e) => e.epoch <= input.epoch && e.trainLoss !== null && e.probeLoss !== null);
  const at = usable.find((e) => e.epoch === input.epoch);
  if (!at || usable.length < 3)
    return `needs three recorded epochs after training started (the rise must hold at two of them), up to epoch ${input.epoch}; there are ${usable.length}`;
  const previous = usable[usable.length - 2];
  const best = usable.slice(0, -2).reduce((a, b) => (b.probeLoss! < a.probeLoss! ? b : a));
  const rises = (e: EpochMetrics) =>
    best.probeLoss! > 0 &&
    e.probeLoss! / best.probeLoss! - 1 >= PROBE_LOSS_RISE_SHARE &&
    e.trainLoss! < best.trainLoss! * (1 - TRAIN_LOSS_FALL_SHARE);
  return rises(previous) && rises(at) ? { best, previous, at } : undefined;
}

/**
 * The epochs whose per-input probe losses `probe-loss-rising` needs at the input's epoch (the best
 * epoch `m`, the one before `T`, `T`): none unless the recorded losses make a candidate, so the
 * findings handler runs those forward passes only then.
 */
export function probeLossEpochs(input: FindingsInput): number[] {
  if (input.manifest.output?.labelMeasuresAbsent) return [];
  const c = riseCandidate(input);
  return c && typeof c !== 'string' ? [c.best.epoch, c.previous.epoch, c.at.epoch] : [];
}

/**
 * `probe-loss-rising` (docs/estimators.md "Findings"): a candidate rise ({@link riseCandidate}) is a
 * warning only when, at both epochs, the rise is larger than its bootstrap standard error and its 95 %
 * bootstrap interval lies above 0 — the paired differences of each probe input's loss from epoch `m`
 * (`input.probeLosses`), resampled over the probe inputs with a fixed seed. A rise whose interval
 * holds 0 is information that says "no evidence"; without the per-input losses it is not checked.
 */
export function probeLossRule(input: FindingsInput): RuleResult {
  const kind = 'probe-loss-rising';
  const absent = input.manifest.output?.labelMeasuresAbsent;
  if (absent) return { findings: [], skipped: [skip(kind, `the model has no class output: ${absent}`)] };
  const c = riseCandidate(input);
  if (typeof c === 'string') return { findings: [], skipped: [skip(kind, c)] };
  if (!c) return { findings: [], skipped: [] };
  const { best, previous, at } = c;
  const losses = [best, previous, at].map((e) => input.probeLosses?.get(e.epoch));
  if (losses.some((l) => !l?.length || l.length !== losses[0]?.length))
    return {
      findings: [],
      skipped: [skip(kind, `the probe losses of each input at epochs ${best.epoch}, ${previous.epoch} and ${at.epoch} were not computed`)],
    };
  const [lossBest, lossPrevious, lossAt] = losses as Float64Array[];
  const risePrevious = bootstrapMean(pairedDifferences(lossPrevious, lossBest));
  const rise = bootstrapMean(pairedDifferences(lossAt, lossBest));
  const clear = (r: MeanInterval) => r.mean > r.standardError && r.low > 0;
  const evidenced = clear(risePrevious) && clear(rise);
  const n = lossAt.length;
  const share = (e: EpochMetrics) => Math.round((e.probeLoss! / best.probeLoss! - 1) * 100);
  const interval = (r: MeanInterval) => `${signed(r.mean)}, 95% interval ${signed(r.low)} to ${signed(r.high)}`;
  const rose =
    `probe loss rose ${share(at)}% since epoch ${best.epoch} (${best.probeLoss!.toFixed(3)} → ${at.probeLoss!.toFixed(3)}; ${interval(rise)}) ` +
    `while training loss fell (${best.trainLoss!.toFixed(3)} → ${at.trainLoss!.toFixed(3)})`;
  const rule =
    `Rule: probe loss at least PROBE_LOSS_RISE_SHARE = ${PROBE_LOSS_RISE_SHARE} above its lowest at an earlier epoch, at epoch ${previous.epoch} ` +
    `and at epoch ${at.epoch}, while training loss fell; at both, the rise larger than its standard error and its 95% interval above 0 ` +
    `(bootstrap over the ${n} probe inputs: ${BOOTSTRAP_RESAMPLES} resamples, seed ${BOOTSTRAP_SEED}, percentile interval). ` +
    `At epoch ${previous.epoch} the rise was ${interval(risePrevious)}.`;
  const finding: Finding = {
    kind,
    severity: evidenced ? 'warning' : 'information',
    epoch: input.epoch,
    message: evidenced ? rose : `${rose}: within what ${n} probe inputs can tell, so no evidence of overfitting yet`,
    detail: evidenced
      ? `The model fits its training inputs better and the held-out probe inputs worse, at two recorded epochs and beyond what ${n} probe inputs ` +
        `leave to chance: it is overfitting. The checkpoint of epoch ${best.epoch} generalises better; stop earlier, add data or augmentation, ` +
        `or regularise. ${rule}`
      : `The rise is no larger than what drawing other probe inputs could give: its standard error is ${rise.standardError.toFixed(4)} at epoch ${at.epoch} ` +
        `and ${risePrevious.standardError.toFixed(4)} at epoch ${previous.epoch}, and an interval holds 0. Record more epochs or a larger probe set ` +
        `before reading it as overfitting. ${rule}`,
    evidence: {
      bestEpoch: best.epoch,
      previousEpoch: previous.epoch,
      probeLossBest: best.probeLoss,
      probeLossPrevious: previous.probeLoss,
      probeLoss: at.probeLoss,
      trainLossBest: best.trainLoss,
      trainLoss: at.trainLoss,
      rise: at.probeLoss! / best.probeLoss! - 1,
      riseMean: rise.mean,
      riseStandardError: rise.standardError,
      riseLow: rise.low,
      riseHigh: rise.high,
      risePreviousMean: risePrevious.mean,
      risePreviousStandardError: risePrevious.standardError,
      risePreviousLow: risePrevious.low,
      risePreviousHigh: risePrevious.high,
      probeInputs: n,
    },
    view: { view: 'training', epoch: input.epoch },
  };
  return { findings: [finding], skipped: [] };
}

/** A loss change with its sign: "+0.016", "−0.004". */
const signed = (v: number): string => `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(3)}`;

/**
 * `class-never-predicted`: the classes no probe input is predicted as at the epoch (their columns of
 * the confusion matrix are empty), as one finding naming them all ("9 of 10 classes are never predicted").
 */
export function neverPredictedRule(input: FindingsInput): RuleResult {
  const absent = input.manifest.output?.labelMeasuresAbsent;
  if (absent) return { findings: [], skipped: [skip('class-never-predicted', `the model has no class output: ${absent}`)] };
  const at = metricsAt(input);
  const names = input.manifest.dataset.classNames;
  const never = names.map((_, c) => c).filter((c) => at.confusion.reduce((s, row) => s + (row[c] ?? 0), 0) === 0);
  if (never.length === 0) return { findings: [], skipped: [] };
  const inputsOf = never.map((c) => at.confusion[c]?.reduce((s, v) => s + v, 0) ?? 0);
  const misclassified = inputsOf.reduce((a, b) => a + b, 0);
  const probe = input.manifest.probe.size;
  const quoted = never.map((c) => `"${names[c]}"`);
  const shown = quoted.length > 12 ? `${quoted.slice(0, 12).join(', ')}, …` : quoted.join(', ');
  const message =
    never.length === 1
      ? `class ${quoted[0]} is never predicted on the ${probe} probe inputs (${inputsOf[0]} of them are ${quoted[0]})`
      : `${never.length} of ${names.length} classes are never predicted on the ${probe} probe inputs: ${shown} (${misclassified} probe inputs of these classes)`;
  const finding: Finding = {
    kind: 'class-never-predicted',
    severity: 'warning',
    epoch: input.epoch,
    message,
    detail:
      `${never.length === 1 ? 'Its column' : 'Their columns'} of the confusion matrix ${never.length === 1 ? 'is' : 'are'} empty, so H(label | pred = class) ` +
      `is undefined for ${never.length === 1 ? 'it' : 'them'} and every probe input of ${never.length === 1 ? 'the class' : 'these classes'} is misclassified` +
      `${misclassified > 0 ? ` (accuracy on ${never.length === 1 ? 'the class' : 'each'}: ${percent(0)})` : ''}. ` +
      'Look for too few training inputs of the class, class imbalance, or too little training.',
    evidence: { classes: never, probeInputsOfClasses: inputsOf, classCount: names.length },
    view: { view: 'training', epoch: input.epoch },
  };
  return { findings: [finding], skipped: [] };
}
