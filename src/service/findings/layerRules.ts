/**
 * The rules about whole layers: label information dropping against the layer's input, a layer with
 * parameters that changes neither measure, and measures at their ceiling (docs/estimators.md "Findings").
 */
import { recordedInterSample, type Finding } from '../../contract/queries';
import { bits, inputsOf, labelOf, layerFields, layersAfterInput, metricsAt, plural, skip } from './common';
import {
  CEILING_HEADROOM_BITS,
  INERT_TOLERANCE_BITS,
  INTER_SAMPLE_CEILING_TOLERANCE_BITS,
  LABEL_DROP_MIN_BITS,
  LABEL_DROP_SHARE,
} from './thresholds';
import type { FindingsInput, RuleResult } from './types';
import { layerKind } from '../../contract/layerKinds';

const defined = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** `label-information-drop`: `I_pair(T; Y)` of a layer against the largest of its inputs'. */
export function labelDropRule(input: FindingsInput): RuleResult {
  const absent = input.manifest.output?.labelMeasuresAbsent;
  if (absent) return { findings: [], skipped: [skip('label-information-drop', `the model has no class output: ${absent}`)] };
  const at = metricsAt(input);
  if (at.layers.every((m) => m.labelInformationBits === undefined))
    return { findings: [], skipped: [skip('label-information-drop', 'this run was recorded before label information was measured')] };
  const findings: Finding[] = [];
  for (const { l, m } of layersAfterInput(input)) {
    const here = m.labelInformationBits;
    const before = inputsOf(input, l)
      .map((i) => ({ i, v: at.layers[i]?.labelInformationBits }))
      .filter((x): x is { i: number; v: number } => defined(x.v));
    if (!defined(here) || !before.length) continue;
    const from = before.reduce((a, b) => (b.v > a.v ? b : a));
    const drop = from.v - here;
    if (drop < LABEL_DROP_MIN_BITS || drop < LABEL_DROP_SHARE * from.v) continue;
    const name = labelOf(input.manifest, from.i);
    findings.push({
      kind: 'label-information-drop',
      severity: 'warning',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `label information drops from ${bits(from.v)} (${name}) to ${bits(here)}: ${Math.round((drop / from.v) * 100)}% lost`,
      detail:
        `I_pair(T; Y) of this layer keeps less than ${Math.round((1 - LABEL_DROP_SHARE) * 100)}% of its input's and loses at least ` +
        `LABEL_DROP_MIN_BITS = ${LABEL_DROP_MIN_BITS} bit (LABEL_DROP_SHARE = ${LABEL_DROP_SHARE}). What the layer throws away the layers after it ` +
        `cannot recover: look for a too-narrow layer, a too-large stride or pool, or (before training) a random layer.`,
      evidence: { labelBits: here, inputLabelBits: from.v, inputLayer: from.i, dropBits: drop },
      view: { view: 'information', layer: l, epoch: input.epoch },
    });
  }
  return { findings, skipped: [] };
}

/** `inert-layer`: a layer with parameters whose input capacity and label information equal its input's. */
export function inertLayerRule(input: FindingsInput): RuleResult {
  const absent = input.manifest.output?.labelMeasuresAbsent;
  if (absent) return { findings: [], skipped: [skip('inert-layer', `the model has no class output: ${absent}`)] };
  const at = metricsAt(input);
  if (at.layers.every((m) => m.inputCapacityBits === undefined || m.labelInformationBits === undefined))
    return {
      findings: [],
      skipped: [skip('inert-layer', 'this run was recorded before input capacity and label information were measured')],
    };
  const findings: Finding[] = [];
  for (const { l, m } of layersAfterInput(input)) {
    const layer = input.manifest.layers[l];
    const inputs = inputsOf(input, l);
    if (layer.parameters === 0 || layerKind(layer.className).rescales === true || inputs.length !== 1) continue;
    const p = at.layers[inputs[0]];
    // A layer that reads identical inputs (a dead layer) cannot change anything: the finding is the dead layer's.
    if (p && recordedInterSample(p, input.manifest.layers[inputs[0]].channels, input.manifest.probe.size).why === 'identical-samples')
      continue;
    const [cap, lab, capIn, labIn] = [m.inputCapacityBits, m.labelInformationBits, p?.inputCapacityBits, p?.labelInformationBits];
    if (!defined(cap) || !defined(lab) || !defined(capIn) || !defined(labIn)) continue;
    if (Math.abs(cap - capIn) > INERT_TOLERANCE_BITS || Math.abs(lab - labIn) > INERT_TOLERANCE_BITS) continue;
    findings.push({
      kind: 'inert-layer',
      severity: 'information',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `${labelOf(input.manifest, l)} (${plural(layer.parameters, 'parameter')}) changes neither its capacity from the input (${bits(cap)}) nor its label information (${bits(lab)})`,
      detail:
        `Both I_pair(X; T) and I_pair(T; Y) equal those of ${labelOf(input.manifest, inputs[0])} within INERT_TOLERANCE_BITS = ${INERT_TOLERANCE_BITS} bit. ` +
        `As far as pair distances tell, the layer passes its input on: it may be removable, or it may not be training.`,
      evidence: {
        inputCapacityBits: cap,
        labelBits: lab,
        previousInputCapacityBits: capIn,
        previousLabelBits: labIn,
        inputLayer: inputs[0],
      },
      view: { view: 'information', layer: l, epoch: input.epoch },
    });
  }
  return { findings, skipped: [] };
}

/**
 * The largest inter-sample entropy `N` inputs with neighbourhood `k` can have: `log2` of the ordered
 * pairs with a weight, `N · min(N − 1, 2K)` with `K = min(k, N − 1)` (equidistant inputs reach it).
 */
export function interSampleCeilingBits(n: number, k: number): number {
  const kk = Math.min(k, n - 1);
  return Math.log2(n * Math.min(n - 1, 2 * kk));
}

/**
 * The probe size that leaves a measure room to move: the smallest `n · 2^j` (j ≥ 1) whose ceiling is
 * at least CEILING_HEADROOM_BITS above `measured`, capped at the dataset's inputs (`capped` then).
 */
export function resolvingProbeSize(
  n: number,
  measured: number,
  ceiling: (n: number) => number,
  available: number,
): { size: number; capped: boolean } {
  let size = n * 2;
  while (ceiling(size) < measured + CEILING_HEADROOM_BITS && size < available) size *= 2;
  return size >= available ? { size: available, capped: ceiling(available) < measured + CEILING_HEADROOM_BITS } : { size, capped: false };
}

/** `measurement-ceiling`: inter-sample entropy at its ceiling (per layer), binned information saturated (one finding for the layers). */
export function ceilingRule(input: FindingsInput): RuleResult {
  const { manifest } = input;
  const n = manifest.probe.size;
  // A probe must leave at least one input to train on.
  const available = manifest.dataset.trainSize + n - 1;
  const findings: Finding[] = [];
  const interCeiling = (size: number) => interSampleCeilingBits(size, manifest.settings.k);
  const ceiling = interCeiling(n);
  const layers = layersAfterInput(input);
  for (const { l, m } of layers) {
    // Undefined where the probe inputs are identical (a dead layer), even in runs recorded with the ceiling there.
    const value = recordedInterSample(m, manifest.layers[l].channels, n).bits;
    if (!defined(value) || value < ceiling - INTER_SAMPLE_CEILING_TOLERANCE_BITS) continue;
    const suggested = resolvingProbeSize(n, value, interCeiling, available);
    findings.push({
      kind: 'measurement-ceiling',
      severity: 'information',
      ...layerFields(manifest, l),
      epoch: input.epoch,
      message: `inter-sample entropy ${bits(value)} is at its ceiling ${bits(ceiling)} for ${n} probe inputs${probeAdvice(suggested)}`,
      detail:
        `Within INTER_SAMPLE_CEILING_TOLERANCE_BITS = ${INTER_SAMPLE_CEILING_TOLERANCE_BITS} bit of log2(N·min(N−1, 2K)), the value of equidistant outputs: ` +
        `the measure cannot tell these inputs apart any more. The suggested probe puts the ceiling CEILING_HEADROOM_BITS = ${CEILING_HEADROOM_BITS} bit above the value; ` +
        `identical outputs have no inter-sample entropy at all (undefined), so they never reach this rule.`,
      evidence: { interSampleBits: value, ceilingBits: ceiling, probeSize: n, ...probeEvidence(suggested) },
      view: { view: 'query', layer: l, epoch: input.epoch },
    });
  }
  const saturated = layers.filter(({ m }) => m.binnedInformation?.saturated).map(({ l }) => l);
  if (saturated.length) {
    const suggested = resolvingProbeSize(n, Math.log2(n), Math.log2, available);
    const names = saturated.map((l) => labelOf(manifest, l));
    findings.push({
      kind: 'measurement-ceiling',
      severity: 'information',
      epoch: input.epoch,
      message: `the binning estimator is saturated at log2 ${n} = ${bits(Math.log2(n))} on ${plural(saturated.length, 'layer')} of ${layers.length} (${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''})${probeAdvice(suggested)}`,
      detail:
        `Every probe input has a symbol of its own there, so the binned I(X; T) and I(T; Y) sit at log2 N and H(Y) whatever the layer does. ` +
        `A probe of the suggested size raises that ceiling by CEILING_HEADROOM_BITS = ${CEILING_HEADROOM_BITS} bit, but continuous activations with many units ` +
        `often stay saturated: read the pairwise estimator, which does not saturate this way.`,
      evidence: { saturatedLayers: saturated, ceilingBits: Math.log2(n), probeSize: n, ...probeEvidence(suggested) },
      // The binned information plane, where the saturated points are drawn.
      view: { view: 'information', estimator: 'binned', epoch: input.epoch },
    });
  }
  return { findings, skipped: [] };
}

/**
 * The message's end when no probe resolves the ceiling; else nothing: each surface words the advice
 * from `evidence.suggestedProbeSize` (the CLI's --probe, VS Code's setting; queries/findings.ts probeToResolve).
 */
function probeAdvice(s: { size: number; capped: boolean }): string {
  return s.capped ? `: even the whole dataset (${s.size} inputs) as the probe leaves less than ${CEILING_HEADROOM_BITS} bit of room` : '';
}

/** The suggested probe size, and `probeSizeCapped: 1` when even the whole dataset does not resolve the ceiling. */
function probeEvidence(s: { size: number; capped: boolean }): Record<string, number> {
  return { suggestedProbeSize: s.size, ...(s.capped ? { probeSizeCapped: 1 } : {}) };
}
