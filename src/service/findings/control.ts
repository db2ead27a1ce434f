/**
 * The findings of a control run (docs/control.md): whether a model trained on images with the
 * relevant content removed still classifies the probe better than chance, which means it learned a
 * shortcut (the border, what is left around a masked centre), and the memorisation baseline of
 * `shuffle-labels`. Pure: it reads the control run's manifest and metrics.
 *
 * A control run's probe accuracy is significantly above chance when both hold:
 * - the one-sided exact binomial test of its correct answers (k of the n probe inputs) against the
 *   majority-class rate p of the probe labels, P(X ≥ k | n, p), is below CONTROL_ALPHA;
 * - the accuracy is at least CONTROL_MIN_MARGIN above that rate (a large probe makes a tiny excess
 *   significant; the margin asks for one that matters).
 *
 * The finding says what the control kept of the probe's content (manifest `control.kept`, measured
 * by the recorder). Where that differs from the background in BORDER_CONTENT_MAX_SHARE of the probe
 * inputs or more, the warning no longer says the model classifies from the border "alone". A
 * `shuffle-pixels` control keeps every pixel, so its accuracy above chance is information.
 */
import { binomialUpperTail } from '../../analysis/binomial';
import { BORDER_CONTENT_MAX_SHARE } from '../../analysis/borderContent';
import type { RunControl } from '../../contract/controlFormat';
import type { EpochMetrics, RunManifest } from '../../contract/runFormat';
import type { Finding } from '../../contract/queries/findings';

/** The significance level of the control's binomial test. */
export const CONTROL_ALPHA = 0.001;
/** The least excess of the control's probe accuracy over chance (a rate: 0.2 is 20 percentage points) for a finding to fire. */
export const CONTROL_MIN_MARGIN = 0.2;

/** The thresholds of these rules, by name (the findings answer's `thresholds`). */
export const CONTROL_THRESHOLDS = { controlAlpha: CONTROL_ALPHA, controlMinMargin: CONTROL_MIN_MARGIN } as const;

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate >= 0.995 || rate < 0.01 ? 1 : 0)}%`;
}

/** A border width in words ("1 pixel", "4 pixels"). */
function pixels(n: number | undefined): string {
  return n === 1 ? '1 pixel' : `${n} pixels`;
}

/** A share of the probe's content, with one decimal (1.5% is not 2%: the rule's limit is 1%). */
function share(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** What the model classified from, for the message of each pixel control; `keptTask`: the control kept content, so not "alone". */
function classifiedFrom(control: RunControl, keptTask = false): string {
  switch (control.kind) {
    case 'border':
      return keptTask
        ? `this model classifies from what the ${control.parameter}-pixel border kept`
        : `this model classifies from the image border alone (${pixels(control.parameter)})`;
    case 'mask-centre':
      return keptTask
        ? `this model classifies from what the mask left (the central ${percent(control.parameter ?? 0)} of each side masked)`
        : `this model classifies with the image centre masked (the central ${percent(control.parameter ?? 0)} of each side)`;
    case 'shuffle-pixels':
      return 'this model classifies images whose pixels were shuffled (one fixed permutation)';
    case 'shuffle-labels':
      return 'this model predicts the probe labels after training on shuffled labels';
  }
}

/** The correct probe answers: the confusion matrix's diagonal when it counts the whole probe, else accuracy × n rounded. */
function correctAnswers(metrics: EpochMetrics, probeSize: number): number {
  const total = metrics.confusion.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  if (total === probeSize) return metrics.confusion.reduce((sum, row, i) => sum + (row[i] ?? 0), 0);
  return Math.round(metrics.probeAccuracy * probeSize);
}

/** What a pixel control kept of the probe's content, as a clause; undefined where the run did not measure it. */
function keptText(control: RunControl): string | undefined {
  if (control.kind === 'shuffle-pixels') return 'the control keeps every pixel, so all of the content, moved';
  const kept = control.kept;
  if (!kept) return undefined;
  const part = control.kind === 'border' ? `the ${control.parameter}-pixel border` : 'what the mask left';
  const content = kept.contentShare === null ? '' : ` and holds ${share(kept.contentShare)} of their content`;
  return `${part} differs from the background in ${share(kept.inputShare)} of the probe inputs${content}`;
}

/** Whether a pixel control removed the task's content: it kept a differing pixel in under BORDER_CONTENT_MAX_SHARE of the probe inputs (unknown in older runs: assumed). */
function removedContent(control: RunControl): boolean {
  if (control.kind === 'shuffle-pixels') return false;
  return control.kept === undefined || control.kept.inputShare < BORDER_CONTENT_MAX_SHARE;
}

/** What a pixel control measures, for the message of a control near chance. */
function measures(control: RunControl): string {
  switch (control.kind) {
    case 'border':
      return `no sign that this model classifies from the image border alone (${pixels(control.parameter)})`;
    case 'mask-centre':
      return 'no sign that this model classifies without the image centre';
    case 'shuffle-pixels':
      return 'this model needs the spatial layout of the pixels';
    case 'shuffle-labels':
      return 'this model predicts the probe no better than chance';
  }
}

/**
 * The findings of a control run at `epoch`, one for the control: for a pixel control,
 * `control-above-chance` when its probe accuracy is significantly above chance (a warning, saying what
 * the control kept; information for `shuffle-pixels`, which keeps every pixel), else `control-near-chance`
 * (information); for `shuffle-labels`, always a
 * `memorisation-baseline` finding with its probe accuracy against chance, a warning when that is
 * significantly above chance (the labels leaked, or the probe overlaps the training inputs), else
 * information. None for a run that is not a control, an epoch not recorded, or a model without
 * class predictions.
 */
export function controlFindings(control: RunManifest, metrics: readonly EpochMetrics[], epoch: number): Finding[] {
  const spec = control.control;
  const at = metrics.find((m) => m.epoch === epoch);
  const n = control.probe.size;
  if (!spec || !at || n === 0 || control.output?.kind === 'none') return [];
  const chance = spec.chanceAccuracy;
  const correct = correctAnswers(at, n);
  const accuracy = correct / n;
  const pValue = binomialUpperTail(n, correct, chance);
  const above = pValue < CONTROL_ALPHA && accuracy - chance >= CONTROL_MIN_MARGIN;
  const against = `${percent(accuracy)} against ${percent(chance)} chance`;
  const test =
    `one-sided binomial test of ${correct} correct of ${n} probe inputs against the majority-class rate: p = ${pValue.toPrecision(2)}; ` +
    `the rule needs p < ${CONTROL_ALPHA} and an accuracy at least ${CONTROL_MIN_MARGIN * 100} points above chance`;
  const base = {
    epoch,
    evidence: { accuracy, chance, pValue, probeSize: n, correct },
    view: { view: 'compare' as const, run: spec.sourceRun.id, epoch },
  };
  if (spec.kind === 'shuffle-labels') {
    return [
      {
        ...base,
        kind: 'memorisation-baseline',
        severity: above ? 'warning' : 'information',
        message: above
          ? `trained on shuffled labels, this model still predicts the probe: ${against}`
          : `memorisation baseline (shuffled training labels): probe accuracy ${against}`,
        detail: above
          ? `With its training labels shuffled a model can only memorise, so its probe accuracy should stay near chance; well above it, ` +
            `the true labels leaked into training or the probe overlaps the training inputs (${test}).`
          : `With its training labels shuffled a model can only memorise; its probe accuracy stays near chance, as it should. ` +
            `Compare its training accuracy and loss with run ${spec.sourceRun.id} to see how much of that run's fit memorisation alone reaches (${test}).`,
      },
    ];
  }
  const kept = keptText(spec);
  const keptSentence = kept
    ? ` What the control kept: ${kept}.`
    : ' The run does not say what the control kept of the content (recorded before this was measured).';
  if (!above)
    return [
      {
        ...base,
        kind: 'control-near-chance',
        severity: 'information',
        message: `control ${spec.spec}: probe accuracy ${against}: ${measures(spec)}`,
        detail:
          `Control ${spec.spec} of run ${spec.sourceRun.id} trained the same model with the same settings on the transformed images; ` +
          `its probe accuracy is not significantly above chance (${test}).${keptSentence}`,
      },
    ];
  if (spec.kind === 'shuffle-pixels')
    return [
      {
        ...base,
        kind: 'control-above-chance',
        severity: 'information',
        message: `${classifiedFrom(spec)}: ${against}; ${kept}`,
        detail:
          `Control ${spec.spec} of run ${spec.sourceRun.id} keeps every pixel of every image, only moved, so its accuracy can come from the ` +
          `task's own content: it is no evidence of a shortcut, but of what the model reaches without the layout of the pixels (${test}).`,
      },
    ];
  const keptTask = !removedContent(spec);
  return [
    {
      ...base,
      kind: 'control-above-chance',
      severity: 'warning',
      message: keptTask ? `${classifiedFrom(spec, true)}: ${against}; ${kept}` : `${classifiedFrom(spec)}: ${against}`,
      detail:
        `Control ${spec.spec} of run ${spec.sourceRun.id} trained the same model with the same settings on images with the relevant ` +
        `content removed, and its probe accuracy is still well above chance: the model can use a shortcut that has nothing to do with the task ` +
        `(${test}).${keptSentence} ` +
        (keptTask
          ? `What it kept differs from the background in ${percent(BORDER_CONTENT_MAX_SHARE)} of the probe inputs or more: if that is part of the ` +
            'object itself (the ends of strokes), the accuracy is no shortcut; a control that keeps no content tells them apart ' +
            '("Run Control Experiment…" proposes one).'
          : 'Compare the two runs, and check the data for cues in what the control kept.'),
    },
  ];
}
