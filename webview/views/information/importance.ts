// What the channel-importance card says, as pure functions of the answer: the measures' names, the
// sentence that reads a rank correlation, the dots of the scatter plot and the rows of its table.
import type { ChannelImportanceAnswer, ImportanceMeasure, MeasureCorrelation } from '../../../src/service/queries';
import { formatNumber, formatPercent } from '../../format';
import { classLabel } from '../../charts/common';
import type { ImportancePoint } from '../../charts/importanceScatter';

/** A rank correlation counts as a prediction when its permutation p-value is below this. */
export const SIGNIFICANCE = 0.05;

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

/** How a correlation reads: predicts, predicts inversely, does not, or cannot be tested. */
export type Reading = 'predicts' | 'inversely' | 'not' | 'untested';

export function reading(m: MeasureCorrelation): Reading {
  if (m.spearman === null || m.pValue === null) return 'untested';
  if (m.pValue >= SIGNIFICANCE) return 'not';
  return m.spearman >= 0 ? 'predicts' : 'inversely';
}

/** One sentence reading a measure's rank correlation with Δ loss ("mean channel entropy predicts ablation cost: ρ = 0.62, p = 0.003"). */
export function correlationSentence(m: MeasureCorrelation, name: string): string {
  const numbers = `ρ = ${formatNumber(m.spearman, { digits: 2 })}, p ${formatP(m.pValue)}, over ${m.channelCount} channels`;
  switch (reading(m)) {
    case 'predicts':
      return `${name} predicts ablation cost: ${numbers}.`;
    case 'inversely':
      return `${name} predicts ablation cost inversely (the higher it is, the cheaper the channel is to remove): ${numbers}.`;
    case 'not':
      return `${name} does not predict ablation cost: ${numbers} (p not below ${SIGNIFICANCE}).`;
    case 'untested':
      return `${name} cannot be set against ablation cost: ${m.note ?? 'fewer than 3 channels have both values, or one of them is constant'}.`;
  }
}

/** The classes a channel's ablation costs most, by name with their accuracy change ("class 7 −12.0%, class 2 −4.5%"), or "—". */
export function classesText(c: ChannelImportanceAnswer['channels'][number], classNames: string[]): string {
  if (c.classesLosing.length === 0) return '—';
  return c.classesLosing.map((k) => `${classLabel(k.class, classNames)} ${formatPercent(k.deltaAccuracy, { sign: true })}`).join(', ');
}

/** The dots of the scatter plot for one measure: x = the measure, y = Δ loss, with their tooltip lines. */
export function importancePoints(a: ChannelImportanceAnswer, measure: MeasureCorrelation, name: string): ImportancePoint[] {
  return a.channels.map((c, i) => {
    const x = measure.values[i] ?? null;
    return {
      channel: c.channel,
      x,
      y: c.deltaLoss,
      lines: [
        `channel ${c.channel}`,
        `${name}: ${formatMeasure(measure.measure, x)}`,
        `Δ loss ${formatNumber(c.deltaLoss, { sign: true })}`,
        `Δ accuracy ${formatPercent(c.deltaAccuracy, { sign: true })}`,
        `classes losing most: ${classesText(c, a.classNames)}`,
      ],
    };
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
