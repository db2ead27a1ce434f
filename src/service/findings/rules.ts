/**
 * The findings: what the recorded measures say about the model (docs/estimators.md "Findings").
 * Pure: every rule reads the manifest, the metrics and the evidence the handler gathered, and
 * returns its findings and what it could not check. The measured ablation of the channels a finding
 * names is added by {@link withAblation}.
 */
import type { AblationAnswer, Finding, FindingKind } from '../../contract/queries';
import { FINDING_KINDS } from '../../contract/queries';
import { deadChannelRule, nearDuplicateRule, uninformativeRule } from './channelRules';
import { ceilingRule, inertLayerRule, labelDropRule } from './layerRules';
import { THRESHOLDS } from './thresholds';
import { neverPredictedRule, probeLossRule } from './trainingRules';
import type { FindingRule, FindingsInput, Skipped } from './types';

/** The rules of a single run, in FINDING_KINDS order. */
export const RULES: readonly FindingRule[] = [
  neverPredictedRule,
  probeLossRule,
  deadChannelRule,
  nearDuplicateRule,
  uninformativeRule,
  labelDropRule,
  inertLayerRule,
  ceilingRule,
];

/** The kinds whose findings name channels that look removable: they carry the measured ablation of those channels. */
export const REMOVABLE_KINDS: readonly FindingKind[] = ['dead-channels', 'near-duplicate-channels', 'uninformative-channels'];

/**
 * The kinds a control experiment's transform causes by design, left out of a control run's findings
 * (docs/control.md): trained without the task's content (or with shuffled labels), its model answers
 * near chance, so some classes are never predicted, its probe loss rises as it memorises, and its
 * channels carry little label information. The control's own finding says what it measured.
 */
export const BY_DESIGN_IN_CONTROL: readonly FindingKind[] = [
  'class-never-predicted',
  'probe-loss-rising',
  'uninformative-channels',
  'label-information-drop',
];

/** Warnings first, then by kind (FINDING_KINDS order), then by layer (findings without one first). */
export function compareFindings(a: Finding, b: Finding): number {
  const severity = (f: Finding) => (f.severity === 'warning' ? 0 : 1);
  return severity(a) - severity(b) || FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) || (a.layer ?? -1) - (b.layer ?? -1);
}

/** Every rule of `rules` on `input` (RULES and then `extra`, e.g. the control experiment's), sorted. */
export function computeFindings(
  input: FindingsInput,
  extra: readonly FindingRule[] = [],
): { findings: Finding[]; skipped: Skipped[]; thresholds: Record<string, number> } {
  const findings: Finding[] = [];
  const skipped: Skipped[] = [];
  for (const rule of [...RULES, ...extra]) {
    const r = rule(input);
    findings.push(...r.findings);
    skipped.push(...r.skipped);
  }
  const control = input.manifest.control;
  if (control) {
    const reason = `this run is the control experiment ${control.spec} of run ${control.sourceRun.id}: its transform causes this by design`;
    for (const kind of BY_DESIGN_IN_CONTROL) if (!skipped.some((s) => s.kind === kind)) skipped.push({ kind, reason });
    return {
      findings: findings.filter((f) => !BY_DESIGN_IN_CONTROL.includes(f.kind)).sort(compareFindings),
      skipped,
      thresholds: { ...THRESHOLDS },
    };
  }
  return { findings: findings.sort(compareFindings), skipped, thresholds: { ...THRESHOLDS } };
}

/**
 * The finding with the measured ablation of its channels in its `ablation` field; each surface
 * writes it as one line ("zeroing these 5 channels: probe accuracy 95.6% → 95.4%, loss +0.010") beside
 * the message (src/contract/findingsText.ts `ablationLine`, src/extension/editor/findingsText.ts).
 */
export function withAblation(finding: Finding, a: Pick<AblationAnswer, 'channels' | 'mode' | 'baseline' | 'ablated'>): Finding {
  return {
    ...finding,
    ablation: {
      channels: [...a.channels],
      mode: a.mode,
      accuracyBefore: a.baseline.accuracy,
      accuracyAfter: a.ablated.accuracy,
      lossBefore: a.baseline.loss,
      lossAfter: a.ablated.loss,
    },
  };
}
