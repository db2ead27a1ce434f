/**
 * The rules about channels that look removable: dead, near-duplicate and uninformative channels
 * (docs/estimators.md "Findings"). Each names its channels; the handler adds their measured ablation.
 */
import type { ScreenedSelfCapacity } from '../../analysis/nearDuplicates';
import { unitsPerChannelOf } from '../../analysis/layout';
import { redundancy, redundantChannels } from '../../analysis/redundancy';
import { uninformativeChannels } from '../../analysis/labelInformation';
import type { Finding } from '../../contract/queries';
import { nearDuplicateScreenText } from '../../contract/findingsText';
import type { LayerEpochMetrics } from '../../contract/runFormat';
import { bits, channelList, evidenceByLayer, inputsOf, labelOf, layerFields, layersAfterInput, metricsAt, plural, skip } from './common';
import { isVector, passedOn } from './passOn';
import { NEAR_DUPLICATE_SHARE, UNINFORMATIVE_BITS } from './thresholds';
import type { FindingsInput, RuleResult } from './types';

/** A layer's dead channels (0 on every probe input) and constant ones (entropy exactly 0 where a map has several values). */
function flaggedChannels(input: FindingsInput, l: number, m: LayerEpochMetrics): { zero: number[]; constant: number[] } {
  const zero = new Set(m.deadChannels);
  const { outputShape, dataFormat } = input.manifest.layers[l];
  // A channel of one value per input (a [C, 1, 1] map, a vector's one channel) has entropy 0 by construction.
  const several = unitsPerChannelOf(outputShape, dataFormat) > 1;
  const constant = several ? m.channelBits.flatMap((b, c) => (b === 0 && !zero.has(c) ? [c] : [])) : [];
  return { zero: [...zero].sort((a, b) => a - b), constant };
}

/**
 * `dead-channels`: channels zero on every probe input (`deadChannels`), and channels whose feature
 * map is constant on every probe input (mean channel entropy exactly 0; only where a feature map has
 * several values, since one value always has entropy 0). A finding sits at the layer that causes
 * it: channels a layer only passes on from its input (passOn.ts) are not a finding of their own,
 * and the finding of the layer they come from names that layer. On a vector layer the whole layer
 * is one channel: the finding counts and names its units, the ones its ablation zeroes.
 */
export function deadChannelRule(input: FindingsInput): RuleResult {
  const findings: Finding[] = [];
  const layers = layersAfterInput(input);
  const flagged = new Map(layers.map(({ l, m }) => [l, flaggedChannels(input, l, m)]));
  const { passed, passers } = passedOn(
    input.manifest.layers,
    new Map([...flagged].map(([l, f]) => [l, new Set([...f.zero, ...f.constant])])),
    (l) => inputsOf(input, l),
  );
  for (const { l } of layers) {
    const layer = input.manifest.layers[l];
    const gone = passed.get(l) ?? new Set<number>();
    const zero = flagged.get(l)!.zero.filter((c) => !gone.has(c));
    const constant = flagged.get(l)!.constant.filter((c) => !gone.has(c));
    const own = [...zero, ...constant].sort((a, b) => a - b);
    if (!own.length) continue;
    const vector = isVector(layer);
    const units = Math.max(layer.outputShape[0] ?? 0, 0);
    const channels = vector ? Array.from({ length: units }, (_, u) => u) : own;
    const names = (passers.get(l) ?? []).map((p) => labelOf(input.manifest, p));
    findings.push({
      kind: 'dead-channels',
      severity: 'warning',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: vector
        ? `all ${plural(units, 'unit')} dead: the layer outputs ${zero.length ? '0' : 'one value on all its units'} for every probe input`
        : `${plural(own.length, 'dead channel')} of ${layer.channels}: ${channelList(own)}`,
      detail:
        `${zero.length ? `${vector ? 'The layer outputs' : `${plural(zero.length, 'channel')} output`} 0 for every probe input` : ''}` +
        `${zero.length && constant.length ? '; ' : ''}` +
        `${constant.length ? `${plural(constant.length, 'channel')} output a constant map (entropy 0) for every probe input` : ''}. ` +
        `They pass nothing on: a dead ReLU channel usually comes from a large learning rate or a bad initialisation. ` +
        `${names.length ? `${names.join(', ')} only ${names.length === 1 ? 'passes' : 'pass'} ${own.length === 1 && !vector ? 'it' : 'them'} on (not reported again there). ` : ''}` +
        `Rule: channel entropy exactly 0 on every probe input.`,
      evidence: {
        deadChannels: zero,
        constantChannels: constant,
        channels: vector ? units : layer.channels,
        ...(names.length ? { passedOnBy: passers.get(l)! } : {}),
      },
      channels,
      view: { view: 'channel', layer: l, epoch: input.epoch, channel: own[0] },
    });
  }
  return { findings, skipped: [] };
}

/**
 * `near-duplicate-channels`: from the capacity of each layer with itself (src/analysis/redundancy.ts),
 * screened (the pairs with a large Pearson |r| compared exactly) or the full matrix.
 */
export function nearDuplicateRule(input: FindingsInput): RuleResult {
  const findings: Finding[] = [];
  let checked = 0;
  for (const [l, e] of evidenceByLayer(input)) {
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
        `largest own capacity of each group are named as removable; the ablation says what removing them costs.` +
        ('pairs' in e.selfCapacity ? ` ${screenText(e.selfCapacity)}` : ''),
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

/** The screen's sentence of a layer's screened evidence. */
function screenText(a: ScreenedSelfCapacity): string {
  return nearDuplicateScreenText(a.screen, a.pairs.length, (a.channels * (a.channels - 1)) / 2);
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
  const below = new Map<number, { channels: number[]; bits: readonly (number | null)[] }>();
  const everyChannel: number[] = [];
  for (const [l, e] of evidenceByLayer(input)) {
    if (!e.channelLabelBits) continue;
    checked++;
    const flagged = flaggedChannels(input, l, at.layers[l]);
    const dead = new Set([...flagged.zero, ...flagged.constant]);
    const channels = uninformativeChannels(e.channelLabelBits).filter((c) => !dead.has(c));
    if (!channels.length) continue;
    // Every live channel below the threshold: the measure singles out none of them (the layer's label
    // information is spread over its channels), so naming them all would read as "this layer is useless".
    if (channels.length === input.manifest.layers[l].channels - dead.size) everyChannel.push(l);
    else below.set(l, { channels, bits: e.channelLabelBits });
  }
  // A finding sits at the layer that causes it: a pooling (or other pass-on layer) repeats the channels of the layer it reads.
  const { passed, passers } = passedOn(input.manifest.layers, new Map([...below].map(([l, b]) => [l, new Set(b.channels)])), (l) =>
    inputsOf(input, l),
  );
  for (const [l, b] of below) {
    const gone = passed.get(l) ?? new Set<number>();
    const channels = b.channels.filter((c) => !gone.has(c));
    if (!channels.length) continue;
    const values = channels.map((c) => b.bits[c] as number);
    const names = (passers.get(l) ?? []).map((p) => labelOf(input.manifest, p));
    findings.push({
      kind: 'uninformative-channels',
      severity: 'information',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `${plural(channels.length, 'channel')} of ${input.manifest.layers[l].channels} ${channels.length === 1 ? 'tells' : 'tell'} almost nothing of the label on ${channels.length === 1 ? 'its' : 'their'} own: ${channelList(channels)}`,
      detail:
        `Each has I_pair(T_c; Y) below UNINFORMATIVE_BITS = ${UNINFORMATIVE_BITS} bit (largest ${bits(Math.max(...values))}). ` +
        `A channel can still matter together with others: the ablation measures it. ` +
        `${names.length ? `${names.join(', ')} only ${names.length === 1 ? 'passes' : 'pass'} them on (not reported again there).` : ''}`,
      evidence: { labelBits: values, ...(names.length ? { passedOnBy: passers.get(l)! } : {}) },
      channels,
      view: { view: 'information', layer: l, epoch: input.epoch },
    });
  }
  const spread = everyChannel.length
    ? [
        skip(
          'uninformative-channels',
          `on ${everyChannel.map((l) => labelOf(input.manifest, l)).join(', ')} every channel is below UNINFORMATIVE_BITS = ${UNINFORMATIVE_BITS} bit, ` +
            `so the measure singles out none of them: the label information is spread over the channels`,
        ),
      ]
    : [];
  const skipped = checked
    ? []
    : [
        skip(
          'uninformative-channels',
          input.evidenceSkipped?.find((s) => s.kind === 'uninformative-channels')?.reason ??
            'no per-channel label information was measured',
        ),
      ];
  return { findings, skipped: [...skipped, ...spread] };
}
