/**
 * The demo's information-plane table (estimators.md "The information plane"): per layer, both
 * estimators' points at the first and last recorded epoch, read from the run's metrics, with the
 * ceilings that say how far each number can go; and how well each channel measure predicts what
 * ablating the channel costs (estimators.md "Channel importance").
 */
import { shannonEntropyBits } from '../analysis';
import type { EpochMetrics, RunManifest } from '../contract/runFormat';
import { estimateSentence, importanceReading, measuredText } from '../contract/queries';
import type { ChannelImportanceAnswer } from '../contract/queries';

/** The table as the demo prints it; `first` and `last` are recorded epochs of the run. */
export function formatInformationPlane(manifest: RunManifest, first: EpochMetrics, last: EpochMetrics): string {
  const n = manifest.probe.size;
  const counts = manifest.probe.classCounts;
  const samePairs = counts.reduce((s, c) => s + (c * (c - 1)) / 2, 0);
  const hS = shannonEntropyBits([samePairs, (n * (n - 1)) / 2 - samePairs]);
  const hY = shannonEntropyBits(counts);
  const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));
  const lines = [
    `\nInformation plane per layer at epoch ${first.epoch} → epoch ${last.epoch} (bits, ${n} probe inputs)`,
    `  pairwise (${manifest.settings.bins} distance bins): I(X;T) = capacity between the input and T (at most log2 ${manifest.settings.bins} = ` +
      `${fmt(Math.log2(manifest.settings.bins))}), I(T;Y) at most H(S) = ${fmt(hS)}`,
    `  binned (30 bins): I(X;T) at most log2 N = ${fmt(Math.log2(n))}, I(T;Y) at most H(Y) = ${fmt(hY)}; * = saturated (every input its own symbol)`,
  ];
  const header = ['layer', 'pairwise I(X;T)', 'pairwise I(T;Y)', 'binned I(X;T)', 'binned I(T;Y)'];
  const widths = [14, 20, 20, 22, 22];
  const row = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('')
      .trimEnd();
  lines.push(row(header));
  let recorded = false;
  for (const layer of manifest.layers.slice(1)) {
    const a = first.layers[layer.index];
    const b = last.layers[layer.index];
    if (a.labelInformationBits === undefined && a.binnedInformation === undefined) continue;
    recorded = true;
    const binned = (m: typeof a, key: 'ixtBits' | 'ityBits') =>
      m.binnedInformation ? fmt(m.binnedInformation[key]) + (m.binnedInformation.saturated ? '*' : '') : '—';
    lines.push(
      row([
        layer.name,
        `${fmt(a.inputCapacityBits)} → ${fmt(b.inputCapacityBits)}`,
        `${fmt(a.labelInformationBits)} → ${fmt(b.labelInformationBits)}`,
        `${binned(a, 'ixtBits')} → ${binned(b, 'ixtBits')}`,
        `${binned(a, 'ityBits')} → ${binned(b, 'ityBits')}`,
      ]),
    );
  }
  if (!recorded) lines.push('  (this run was recorded before the information plane was measured)');
  return lines.join('\n') + '\n';
}

/**
 * One layer's `channelImportance` answer as the demo prints it: per measure, Spearman's ρ with Δ loss
 * and its bootstrap interval, the permutation p-value and its Holm adjustment over the answer's
 * measures, and the reading (a verdict only where the evidence holds one: importanceReading);
 * then the costliest channels with Δ loss and its interval.
 */
export function formatImportance(layerName: string, a: ChannelImportanceAnswer): string {
  const fmt = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));
  const p = (v: number | null) => (v !== null && v < 0.001 ? '< 0.001' : '= ' + fmt(v, 3).padStart(5));
  const signed = (v: number) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(3);
  const words = { predicts: 'predicts', inversely: 'predicts inversely', 'no-evidence': 'no evidence', untested: 'untested' } as const;
  const tests = a.measures.filter((m) => m.pValue !== null).length;
  const lines = [
    `  ${layerName} (${measuredText(a)}, ${a.mode} ablation, baseline accuracy ${(a.baseline.accuracy * 100).toFixed(1)}%; ` +
      `${a.permutations} permutations, p Holm-adjusted over ${tests} tests; ${Math.round(a.bootstrap.level * 100)}% bootstrap intervals, ` +
      `${a.bootstrap.resamples} resamples of ${a.inputCount} inputs):`,
  ];
  for (const m of a.measures) {
    const interval = m.spearmanLow === null || m.spearmanHigh === null ? '' : `[${fmt(m.spearmanLow)}, ${fmt(m.spearmanHigh)}]`;
    lines.push(
      `    ${m.measure.padEnd(20)} ρ = ${fmt(m.spearman).padStart(5)} ${interval.padEnd(14)} ${('p ' + p(m.pValue)).padEnd(9)}  ` +
        `${('Holm ' + p(m.adjustedPValue)).padEnd(12)}  over ${String(m.channelCount).padStart(3)} channels: ${words[importanceReading(m, a.channels)]}` +
        (m.note ? `  (${m.note})` : ''),
    );
  }
  lines.push(`    ${estimateSentence(a.estimate)}`);
  const top = a.ranking
    .filter((c) => a.channels[c].measured)
    .slice(0, 3)
    .map((c) => {
      const ch = a.channels[c];
      const d = ch.deltaLoss;
      const interval =
        ch.deltaLossLow === null || ch.deltaLossHigh === null ? '' : ` [${signed(ch.deltaLossLow)}, ${signed(ch.deltaLossHigh)}]`;
      return `${c} (Δ loss ${d === null ? '—' : signed(d)}${interval})`;
    });
  lines.push(`    most costly to ablate: ${top.join(', ')}`);
  return lines.join('\n') + '\n';
}
