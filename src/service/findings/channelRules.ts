/**
 * The rules about channels that look removable: dead, near-duplicate and uninformative channels
 * (docs/estimators.md "Findings"). Each names its channels; the handler adds their measured ablation.
 */
import type { ScreenedSelfCapacity } from '../../analysis/nearDuplicates';
import { unitsPerChannelOf } from '../../analysis/layout';
import { nearDuplicatePairList, redundancy, redundantChannels } from '../../analysis/redundancy';
import { uninformativeChannels } from '../../analysis/labelInformation';
import type { Finding } from '../../contract/queries';
import { nearDuplicateScreenText } from '../../contract/findingsText';
import type { LayerEpochMetrics } from '../../contract/runFormat';
import {
  bits,
  channelList,
  count,
  evidenceByLayer,
  inputsOf,
  labelOf,
  layerFields,
  layersAfterInput,
  metricsAt,
  percent,
  plural,
  skip,
} from './common';
import { channelSources, isVector, passedOn } from './passOn';
import {
  NEAR_DUPLICATE_MANY_MIN_CHANNELS,
  NEAR_DUPLICATE_MANY_PAIRS,
  NEAR_DUPLICATE_MANY_SHARE,
  NEAR_DUPLICATE_SHARE,
  UNINFORMATIVE_BITS,
} from './thresholds';
import type { FindingsInput, LayerEvidence, RuleResult } from './types';

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
 * screened (the pairs with a large Pearson |r| compared exactly) or the full matrix. A layer that
 * maps its channels 1:1 from one input (a BatchNorm's per-channel affine map keeps every pair's
 * distances, so every correlation: passOn.ts) passes on the pairs it shares with that input: where
 * every near-duplicate pair of it is one of its input's, it has no finding, and its input's finding
 * names it. A layer where most channels move together (NEAR_DUPLICATE_MANY_PAIRS or more pairs, or
 * more than NEAR_DUPLICATE_MANY_SHARE of the pairs of a layer of NEAR_DUPLICATE_MANY_MIN_CHANNELS or
 * more) says so once, as information naming no channel.
 */
export function nearDuplicateRule(input: FindingsInput): RuleResult {
  const findings: Finding[] = [];
  let checked = 0;
  const layers = evidenceByLayer(input).filter(
    (x): x is [number, LayerEvidence & { selfCapacity: SelfCapacityEvidence }] => !!x[1].selfCapacity,
  );
  const pairsOf = new Map(layers.map(([l, e]) => [l, nearDuplicatePairList(e.selfCapacity)]));
  const { passed, passers } = passedOnPairs(input, pairsOf);
  for (const [l, e] of layers) {
    checked++;
    if (passed.has(l)) continue;
    const r = redundancy(e.selfCapacity);
    if (!r.nearDuplicatePairs) continue;
    const layer = input.manifest.layers[l];
    const names = (passers.get(l) ?? []).map((p) => labelOf(input.manifest, p));
    const passedText = names.length
      ? ` ${names.join(', ')} only ${names.length === 1 ? 'passes' : 'pass'} these pairs on (not reported again there).`
      : '';
    const screen = 'pairs' in e.selfCapacity ? ` ${screenText(e.selfCapacity)}` : '';
    const evidence = {
      nearDuplicatePairs: r.nearDuplicatePairs,
      comparedPairs: r.comparedPairs,
      share: r.share ?? null,
      groupSizes: r.groups.map((g) => g.length),
      ...(names.length ? { passedOnBy: passers.get(l)! } : {}),
    };
    if (movesTogether(r.nearDuplicatePairs, r.comparedPairs, layer.channels)) {
      findings.push({
        kind: 'near-duplicate-channels',
        severity: 'information',
        ...layerFields(input.manifest, l),
        epoch: input.epoch,
        message:
          `most channels of ${labelOf(input.manifest, l)} move together: ${count(r.nearDuplicatePairs)} of ${count(r.comparedPairs)} channel pairs ` +
          `are near-duplicates (${percent(r.share ?? 0)}), typical early in training`,
        detail:
          `So many pairs tell nearly the same story (each pair's capacity at least NEAR_DUPLICATE_SHARE = ${NEAR_DUPLICATE_SHARE} of the smaller channel's own) ` +
          `that naming channels to remove would say little: NEAR_DUPLICATE_MANY_PAIRS = ${NEAR_DUPLICATE_MANY_PAIRS} pairs or more, or more than ` +
          `NEAR_DUPLICATE_MANY_SHARE = ${NEAR_DUPLICATE_MANY_SHARE} of the pairs of a layer of NEAR_DUPLICATE_MANY_MIN_CHANNELS = ${NEAR_DUPLICATE_MANY_MIN_CHANNELS} channels or more. ` +
          `Early in training the channels have not yet told their features apart; if it lasts, the layer may be wider than it needs.` +
          passedText +
          screen,
        evidence,
        view: { view: 'information', layer: l, epoch: input.epoch },
      });
      continue;
    }
    const removable = redundantChannels(e.selfCapacity, r.groups);
    findings.push({
      kind: 'near-duplicate-channels',
      severity: 'information',
      ...layerFields(input.manifest, l),
      epoch: input.epoch,
      message: `${count(r.nearDuplicatePairs)} near-duplicate channel pair${r.nearDuplicatePairs === 1 ? '' : 's'} in ${plural(r.groups.length, 'group')} ${groupList(r.groups)}: ${plural(removable.length, 'channel')} could go (${channelList(removable)})`,
      detail:
        `Within each group the channels' pair distances tell nearly the same story: each pair's capacity is at least ` +
        `NEAR_DUPLICATE_SHARE = ${NEAR_DUPLICATE_SHARE} of the smaller channel's own capacity. All but the member with the ` +
        `largest own capacity of each group are named as removable; the ablation says what removing them costs.` +
        passedText +
        screen,
      evidence,
      channels: removable,
      view: { view: 'information', layer: l, epoch: input.epoch },
    });
  }
  const skipped = checked ? [] : [skip('near-duplicate-channels', nearDuplicateReason(input))];
  return { findings, skipped };
}

type SelfCapacityEvidence = NonNullable<LayerEvidence['selfCapacity']>;

/** Whether a layer's near-duplicate pairs are so many that its channels move together (nearDuplicateRule). */
export function movesTogether(pairs: number, compared: number, channels: number): boolean {
  return (
    pairs >= NEAR_DUPLICATE_MANY_PAIRS ||
    (channels >= NEAR_DUPLICATE_MANY_MIN_CHANNELS && compared > 0 && pairs > NEAR_DUPLICATE_MANY_SHARE * compared)
  );
}

/**
 * The layers whose every near-duplicate pair comes 1:1 from a near-duplicate pair of the one layer
 * they read (passOn.ts `channelSources`: a BatchNorm, an activation, a pooling), and for each layer
 * that causes pairs the layers that pass them on, following chains (conv → bn → relu).
 */
function passedOnPairs(
  input: FindingsInput,
  pairsOf: ReadonlyMap<number, readonly [number, number][]>,
): { passed: Set<number>; passers: Map<number, number[]> } {
  const passed = new Set<number>();
  const origin = new Map<number, number>();
  const passers = new Map<number, number[]>();
  for (const [l, pairs] of [...pairsOf].sort((a, b) => a[0] - b[0])) {
    if (!pairs.length) continue;
    const sources = channelSources(input.manifest.layers, l, inputsOf(input, l));
    if (!sources) continue;
    const from = (c: number) => {
      const s = sources(c);
      return s.length === 1 ? s[0] : undefined;
    };
    const first = from(pairs[0][0]);
    const theirs = first && pairsOf.get(first.layer);
    if (!first || !theirs?.length) continue;
    const known = new Set(theirs.map(([c, d]) => `${c}:${d}`));
    const every = pairs.every(([c, d]) => {
      const [a, b] = [from(c), from(d)];
      if (!a || !b || a.layer !== first.layer || b.layer !== first.layer) return false;
      return known.has(`${Math.min(a.channel, b.channel)}:${Math.max(a.channel, b.channel)}`);
    });
    if (!every) continue;
    passed.add(l);
    const o = origin.get(first.layer) ?? first.layer;
    origin.set(l, o);
    passers.set(o, [...(passers.get(o) ?? []), l]);
  }
  return { passed, passers };
}

/** "{1, 2, 5}, {3, 4}" or, past `max` groups, "{1, 2, 5, …} (12 channels) and 8 more": each group cut to its first few channels. */
export function groupList(groups: readonly (readonly number[])[], max = 3, perGroup = 6): string {
  const one = (g: readonly number[]) =>
    g.length <= perGroup ? `{${g.join(', ')}}` : `{${g.slice(0, perGroup).join(', ')}, …} (${count(g.length)} channels)`;
  const shown = groups.slice(0, max).map(one).join(', ');
  return groups.length > max ? `${shown} and ${count(groups.length - max)} more` : shown;
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
