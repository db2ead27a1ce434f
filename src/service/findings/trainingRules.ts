/** The rules about training: probe loss rising while training loss falls, a class never predicted (docs/estimators.md "Findings"). */
import type { Finding } from '../queries';
import { metricsAt, percent, skip } from './common';
import { PROBE_LOSS_RISE_SHARE, TRAIN_LOSS_FALL_SHARE } from './thresholds';
import type { FindingsInput, RuleResult } from './types';

/**
 * `probe-loss-rising`: at the epoch, the probe loss is at least PROBE_LOSS_RISE_SHARE above its
 * lowest value at an earlier recorded epoch `m`, while the training loss fell from `m` (by more than
 * TRAIN_LOSS_FALL_SHARE of its value there). Epochs without a training loss (epoch 0) do not count.
 */
export function probeLossRule(input: FindingsInput): RuleResult {
  const absent = input.manifest.output?.labelMeasuresAbsent;
  if (absent) return { findings: [], skipped: [skip('probe-loss-rising', `the model has no class output: ${absent}`)] };
  const usable = input.metrics.filter((e) => e.epoch <= input.epoch && e.trainLoss !== null && e.probeLoss !== null);
  const at = usable.find((e) => e.epoch === input.epoch);
  if (!at || usable.length < 2)
    return {
      findings: [],
      skipped: [
        skip(
          'probe-loss-rising',
          `needs two recorded epochs after training started, up to epoch ${input.epoch}; there are ${usable.length}`,
        ),
      ],
    };
  const earlier = usable.filter((e) => e.epoch < input.epoch);
  const best = earlier.reduce((a, b) => (b.probeLoss! < a.probeLoss! ? b : a));
  const rise = at.probeLoss! / best.probeLoss! - 1;
  const fell = at.trainLoss! < best.trainLoss! * (1 - TRAIN_LOSS_FALL_SHARE);
  if (!(best.probeLoss! > 0 && rise >= PROBE_LOSS_RISE_SHARE && fell)) return { findings: [], skipped: [] };
  const finding: Finding = {
    kind: 'probe-loss-rising',
    severity: 'warning',
    epoch: input.epoch,
    message: `probe loss rose ${Math.round(rise * 100)}% since epoch ${best.epoch} (${best.probeLoss!.toFixed(3)} → ${at.probeLoss!.toFixed(3)}) while training loss fell (${best.trainLoss!.toFixed(3)} → ${at.trainLoss!.toFixed(3)})`,
    detail:
      `The model fits its training inputs better and the held-out probe inputs worse: it is overfitting. The checkpoint of epoch ${best.epoch} ` +
      `generalises better; stop earlier, add data or augmentation, or regularise. Rule: probe loss at least PROBE_LOSS_RISE_SHARE = ${PROBE_LOSS_RISE_SHARE} ` +
      `above its lowest at an earlier epoch while training loss fell from that epoch.`,
    evidence: {
      bestEpoch: best.epoch,
      probeLossBest: best.probeLoss,
      probeLoss: at.probeLoss,
      trainLossBest: best.trainLoss,
      trainLoss: at.trainLoss,
      rise,
    },
    view: { view: 'training', epoch: input.epoch },
  };
  return { findings: [finding], skipped: [] };
}

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
