/**
 * The rules about channels that look removable: dead, near-duplicate and uninformative channels
 * (docs/estimators.md "Findings"). Each names its channels; the handler adds their measured ablation.
 */
import { redundancy, redundantChannels } from '../../analysis/redundancy';
import { uninformativeChannels } from '../../analysis/labelInformation';
import type { Finding } from '../queries';
import { bits, channelList, layerFields, layersAfterInput, metricsAt, plural, skip } from './common';
import { NEAR_DUPLICATE_SHARE, UNINFORMATIVE_BITS } from './thresholds';
import type { FindingsInput, RuleResult } from './types';

/** Values per channel in a feature map of the layer (a vector layer is one channel of all its units). */
function unitsPerChannel(shape: readonly number[]): number {
  return shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * Math.max(b, 1), 1) : shape[0];
}

/**
 * `dead-channels`: channels zero on every probe input (`deadChannels`), and channels whose feature
 * map is constant on every probe input (mean channel entropy exactly 0; only where a feature map has
 * several values, since one value always has entropy 0).
 */
export function deadChannelRule(input: FindingsInput): RuleResult {
  const findings: Finding[] = [];
  for (const { l, m } of layersAfterInput(input)) {
    const layer = input.manifest.layers[l];
    const zero = new Set(m.deadChannels);
    const constant = unitsPerChannel(layer.outputShape) > 1 ? m.channelBits.flatMap((b, c) => (b === 0 && !zero.has(c) ? [c] : [])) : [];
    const channels = [...zero, ...constant].sort((a, b) => a - b);
    if (!channels.length) continue;
    const of = layer.channels;
    findings.push({
      kind: 'dead-channels',
      severity: 'warning',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `${plural(channels.length, 'dead channel')} of ${of}: ${channelList(channels)}`,
      detail:
        `${zero.size ? `${plural(zero.size, 'channel')} output 0 for every probe input` : ''}` +
        `${zero.size && constant.length ? '; ' : ''}` +
        `${constant.length ? `${plural(constant.length, 'channel')} output a constant map (entropy 0) for every probe input` : ''}. ` +
        `They pass nothing on: a dead ReLU channel usually comes from a large learning rate or a bad initialisation. ` +
        `Rule: channel entropy exactly 0 on every probe input.`,
      evidence: { deadChannels: [...zero].sort((a, b) => a - b), constantChannels: constant, channels: of },
      channels,
      view: { view: 'channel', layer: l, epoch: input.epoch, channel: channels[0] },
    });
  }
  return { findings, skipped: [] };
}

/** `near-duplicate-channels`: from the capacity matrix of each layer with itself (src/analysis/redundancy.ts). */
export function nearDuplicateRule(input: FindingsInput): RuleResult {
  const findings: Finding[] = [];
  let checked = 0;
  for (const [l, e] of [...(input.evidence ?? new Map())].sort((a, b) => a[0] - b[0])) {
    if (!e.selfCapacity) continue;
    checked++;
    const r = redundancy(e.selfCapacity);
    if (!r.nearDuplicatePairs) continue;
    const removable = redundantChannels(e.selfCapacity, r.groups);
    const groups = r.groups.map((g) => `{${g.join(', ')}}`).join(', ');
    findings.push({
      kind: 'near-duplicate-channels',
      severity: 'information',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `${plural(r.nearDuplicatePairs, 'near-duplicate channel pair')} in ${plural(r.groups.length, 'group')} ${groups}: ${plural(removable.length, 'channel')} could go (${channelList(removable)})`,
      detail:
        `Within each group the channels' pair distances tell nearly the same story: each pair's capacity is at least ` +
        `NEAR_DUPLICATE_SHARE = ${NEAR_DUPLICATE_SHARE} of the smaller channel's own capacity. All but the member with the ` +
        `largest own capacity of each group are named as removable; the ablation says what removing them costs.`,
      evidence: {
        nearDuplicatePairs: r.nearDuplicatePairs,
        comparedPairs: r.comparedPairs,
        share: r.share ?? null,
        groupSizes: r.groups.map((g) => g.length),
      },
      channels: removable,
      view: { view: 'information', layer: l, epoch: input.epoch },
    });
  }
  const skipped = checked ? [] : [skip('near-duplicate-channels', nearDuplicateReason(input))];
  return { findings, skipped };
}

function nearDuplicateReason(input: FindingsInput): string {
  const given = input.evidenceSkipped?.find((s) => s.kind === 'near-duplicate-channels');
  return given?.reason ?? 'no capacity matrix of a layer with itself was measured';
}

/** `uninformative-channels`: channels whose `I_pair(T_c; Y)` is below UNINFORMATIVE_BITS, but not dead (those are named already). */
export function uninformativeRule(input: FindingsInput): RuleResult {
  const absent = input.manifest.output?.labelMeasuresAbsent;
  if (absent) return { findings: [], skipped: [skip('uninformative-channels', `the model has no class output: ${absent}`)] };
  const findings: Finding[] = [];
  const at = metricsAt(input);
  let checked = 0;
  for (const [l, e] of [...(input.evidence ?? new Map())].sort((a, b) => a[0] - b[0])) {
    if (!e.channelLabelBits) continue;
    checked++;
    const dead = new Set([...at.layers[l].deadChannels, ...at.layers[l].channelBits.flatMap((b, c) => (b === 0 ? [c] : []))]);
    const channels = uninformativeChannels(e.channelLabelBits).filter((c) => !dead.has(c));
    if (!channels.length) continue;
    const values = channels.map((c) => e.channelLabelBits![c] as number);
    findings.push({
      kind: 'uninformative-channels',
      severity: 'information',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `${plural(channels.length, 'channel')} of ${input.manifest.layers[l].channels} ${channels.length === 1 ? 'tells' : 'tell'} almost nothing of the label on their own: ${channelList(channels)}`,
      detail:
        `Each has I_pair(T_c; Y) below UNINFORMATIVE_BITS = ${UNINFORMATIVE_BITS} bit (largest ${bits(Math.max(...values))}). ` +
        `A channel can still matter together with others: the ablation measures it.`,
      evidence: { labelBits: values },
      channels,
      view: { view: 'information', layer: l, epoch: input.epoch },
    });
  }
  const skipped = checked
    ? []
    : [skip('uninformative-channels', input.evidenceSkipped?.find((s) => s.kind === 'uninformative-channels')?.reason ?? 'no per-channel label information was measured')];
  return { findings, skipped };
}
