// What the channel-importance card says, as pure functions of the answer: the measures' names, the
// sentence that reads a rank correlation (a verdict only where the Holm-adjusted p-value and the
// bootstrap intervals hold one, "no evidence" otherwise), Δ loss with its interval, the dots of the
// scatter plot and the rows of its table.
import { IMPORTANCE_SIGNIFICANCE, importanceReading } from '../../../src/contract/queries';
import type {
  ChannelAblation,
  ChannelImportanceAnswer,
  ImportanceMeasure,
  ImportanceReading,
  MeasureCorrelation,
} from '../../../src/contract/queries';
import { formatNumber, formatPercent } from '../../../src/contract/format';
import { classLabel } from '../../charts/common';
import type { ImportancePoint } from '../../charts/importanceScatter';

/** A rank correlation counts as a prediction when its Holm-adjusted p-value is below this (and its intervals allow it). */
export const SIGNIFICANCE = IMPORTANCE_SIGNIFICANCE;

/** Rows the ranked table shows before "Show all". */
export const TABLE_ROWS = 20;

/** A measure's name in sentences and on the x axis; `otherLayer` names the layer of the capacity. */
export function measureName(measure: ImportanceMeasure, otherLayer?: string): string {
  switch (measure) {
    case 'channelEntropy':
      return 'mean channel entropy';
    case 'labelInformation':
      return 'I_pair(T_c;Y)';
    case 'capacityToNext':
      return otherLayer ? `largest capacity to ${otherLayer}` : 'largest capacity to the next clustered layer';
    case 'nearDuplicateShare':
      return 'near-duplicate share';
  }
}

/** The unit of a measure's values: bits, or a share of the layer's other channels. */
export function measureUnit(measure: ImportanceMeasure): 'bits' | 'share' {
  return measure === 'nearDuplicateShare' ? 'share' : 'bits';
}

/** A measure's value as the table and tooltip write it ("—" when undefined). */
export function formatMeasure(measure: ImportanceMeasure, value: number | null | undefined): string {
  return measureUnit(measure) === 'share' ? formatPercent(value) : formatNumber(value);
}

/** A p-value: three decimals, or "< 0.001". */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`;
}

/** How a correlation reads: predicts, predicts inversely, no evidence either way, or cannot be tested (src/contract/queries importanceReading). */
export type Reading = ImportanceReading;

export function reading(m: MeasureCorrelation, channels: readonly ChannelAblation[]): Reading {
  return importanceReading(m, channels);
}

/** An interval as the card writes it: "−0.002 to +0.021" (signed), or "—" when undefined. */
export function intervalText(low: number | null | undefined, high: number | null | undefined, digits = 3): string {
  if (low === null || low === undefined || high === null || high === undefined) return '—';
  return `${formatNumber(low, { sign: true, digits })} to ${formatNumber(high, { sign: true, digits })}`;
}

/** Δ loss with its 95 % bootstrap interval: "+0.010 (95% interval −0.002 to +0.021)"; "not measured" for a channel only estimated. */
export function deltaLossText(c: ChannelAblation): string {
  if (!c.measured) return 'not measured';
  const value = formatNumber(c.deltaLoss, { sign: true });
  return c.deltaLoss === null || c.deltaLossLow === null
    ? value
    : `${value} (95% interval ${intervalText(c.deltaLossLow, c.deltaLossHigh)})`;
}

/** Why a correlation is "no evidence": the first of the reading's reasons that holds. */
export function noEvidenceReason(m: MeasureCorrelation): string {
  if (m.adjustedPValue !== null && m.adjustedPValue >= SIGNIFICANCE) return `Holm-adjusted p not below ${SIGNIFICANCE}`;
  if (m.spearmanLow === null || m.spearmanHigh === null || (m.spearmanLow <= 0 && m.spearmanHigh >= 0)) return 'the interval of ρ covers 0';
  return 'every channel’s Δ loss interval covers 0: no ablation measurably changes the loss';
}

/** One sentence reading a measure's rank correlation with Δ loss ("mean channel entropy predicts ablation cost: ρ = 0.62 (95% interval …), p = 0.003 (Holm-adjusted 0.012)"). */
export function correlationSentence(m: MeasureCorrelation, name: string, channels: readonly ChannelAblation[]): string {
  const rho = formatNumber(m.spearman, { digits: 2 });
  const interval = m.spearmanLow === null ? '' : ` (95% interval ${intervalText(m.spearmanLow, m.spearmanHigh, 2)})`;
  const p = `p ${formatP(m.pValue)}${m.adjustedPValue === null ? '' : ` (Holm-adjusted ${formatP(m.adjustedPValue).replace('= ', '')})`}`;
  const numbers = `ρ = ${rho}${interval}, ${p}, over ${m.channelCount} channels`;
  switch (reading(m, channels)) {
    case 'predicts':
      return `${name} predicts ablation cost: ${numbers}.`;
    case 'inversely':
      return `${name} predicts ablation cost inversely (the higher it is, the cheaper the channel is to remove): ${numbers}.`;
    case 'no-evidence':
      return `No evidence that ${name} predicts ablation cost: ${numbers} (${noEvidenceReason(m)}).`;
    case 'untested':
      return `${name} cannot be set against ablation cost: ${m.note ?? 'fewer than 3 channels have both values, or one of them is constant'}.`;
  }
}

/** The classes a channel's ablation costs most, by name with their accuracy change ("class 7 −12.0%, class 2 −4.5%"), or "—". */
export function classesText(c: ChannelImportanceAnswer['channels'][number], classNames: string[]): string {
  if (c.classesLosing.length === 0) return '—';
  return c.classesLosing.map((k) => `${classLabel(k.class, classNames)} ${formatPercent(k.deltaAccuracy, { sign: true })}`).join(', ');
}

/** The dots of the scatter plot for one measure: x = the measure, y = Δ loss, with their tooltip lines (measured channels only). */
export function importancePoints(a: ChannelImportanceAnswer, measure: MeasureCorrelation, name: string): ImportancePoint[] {
  return a.channels.flatMap((c, i) => {
    if (!c.measured) return [];
    const x = measure.values[i] ?? null;
    const point: ImportancePoint = {
      channel: c.channel,
      x,
      y: c.deltaLoss,
      lines: [
        `channel ${c.channel}`,
        `${name}: ${formatMeasure(measure.measure, x)}`,
        `Δ loss ${deltaLossText(c)}`,
        ...(c.estimate === null ? [] : [`Taylor estimate ${formatNumber(c.estimate, { sign: true })}`]),
        `Δ accuracy ${formatPercent(c.deltaAccuracy, { sign: true })}`,
        `classes losing most: ${classesText(c, a.classNames)}`,
      ],
    };
    return [point];
  });
}

/** The channels in the table's order: most costly first (the answer's ranking), each with its row index in the answer. */
export function rankedChannels(a: ChannelImportanceAnswer): { rank: number; index: number }[] {
  const byChannel = new Map(a.channels.map((c, i) => [c.channel, i]));
  return a.ranking.flatMap((channel, rank) => {
    const index = byChannel.get(channel);
    return index === undefined ? [] : [{ rank: rank + 1, index }];
  });
}
