// The formats the views, the editor's hover and the Recorded Runs tree share, so a shape, a value in
// bits or the reason a run has no label measures reads the same wherever it is shown. Pure (no DOM,
// no Node), so the extension host imports it as well as the page.

/** How `formatBits` writes a value. */
export interface BitsFormat {
  /** Decimals: the views show 3; the hover's narrow channel table shows 2. */
  digits?: number;
  /** Whether " bits" follows the number: not where a translated string or a column header says the unit. */
  unit?: boolean;
}

/**
 * A value in bits, or "undefined" when there is none (null, missing, NaN, ±Infinity): an estimate
 * that is not defined is never shown as a made-up number.
 */
export function formatBits(bits: number | null | undefined, format: BitsFormat = {}): string {
  if (bits === null || bits === undefined || !Number.isFinite(bits)) return 'undefined';
  const text = bits.toFixed(format.digits ?? 3);
  return format.unit === false ? text : `${text} bits`;
}

/**
 * A shape as `24×24×8` (a dense output is just its width); a dimension the model leaves open
 * (recorded as -1) is `?`, and no shape at all is `–`. A channels-first layer's shape (the model's
 * own, channels on its first axis) says so: `48×9×9 (channels first)`.
 */
export function formatShape(shape: readonly number[] | null | undefined, dataFormat?: string): string {
  if (!shape || shape.length === 0) return '–';
  const text = shape.map((d) => (Number.isInteger(d) && d >= 0 ? String(d) : '?')).join('×');
  return dataFormat === 'channelsFirst' ? `${text} (channels first)` : text;
}

/**
 * Why a run has no label measures (probe accuracy, probe loss, the confusion matrix, the label
 * entropies), as a sentence, or undefined when it has them: a model whose output predicts no class
 * (a regression or an embedding, `manifest.output.kind` `none`). Its metrics hold 0 for the probe
 * accuracy and empty matrices, which no view or tooltip may show as measured values. The recorder
 * writes the reason as a clause; every place shows it as a sentence of its own.
 */
export function labelMeasuresAbsent(manifest: { output?: { labelMeasuresAbsent?: string } }): string | undefined {
  const why = manifest.output?.labelMeasuresAbsent?.trim();
  if (!why) return undefined;
  const sentence = why.charAt(0).toUpperCase() + why.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * A plain number with `digits` decimals (and an optional sign), or "—" when there is none: the
 * tables of numbers that are not bits (losses, shares, correlations) show an undefined value as a dash.
 */
export function formatNumber(value: number | null | undefined, o: { digits?: number; sign?: boolean } = {}): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  // A value that rounds to zero is written without a sign ("−0.000" would suggest a direction).
  const rounded = Number(value.toFixed(o.digits ?? 3)) || 0;
  const text = rounded.toFixed(o.digits ?? 3).replace('-', '−');
  return o.sign && rounded >= 0 ? `+${text}` : text;
}

/** A share as a percentage with one decimal (0.956 → "95.6%"), or "—" when there is none. */
export function formatPercent(value: number | null | undefined, o: { sign?: boolean } = {}): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const rounded = Number((value * 100).toFixed(1)) || 0;
  const text = `${rounded.toFixed(1).replace('-', '−')}%`;
  return o.sign && rounded >= 0 ? `+${text}` : text;
}

/**
 * The most intra-sample entropy a channel of `units` values can have with `bins` histogram bins
 * (docs/estimators.md, "Intra-sample entropy"): `min(log2 units, log2 bins)` bits. A 4×4 map reaches
 * at most 4 bits, a 1×1 map 0: a deep layer's lower entropy is partly its smaller maps.
 */
export function intraSampleCeiling(units: number, bins: number): number {
  if (!(units >= 1) || !(bins >= 1)) return 0;
  return Math.min(Math.log2(units), Math.log2(bins));
}

/**
 * An intra-sample entropy with its share of the ceiling, "2.90 bits · 72% of 4.0"; with a ceiling
 * of 0 (one value per channel) "1 value per channel: no spatial entropy", never "0.00 bits"; an
 * undefined value is "undefined".
 */
export function formatBitsOfCeiling(bits: number | null | undefined, ceiling: number, format: BitsFormat = {}): string {
  if (!(ceiling > 0)) return '1 value per channel: no spatial entropy';
  if (bits === null || bits === undefined || !Number.isFinite(bits)) return formatBits(bits, format);
  const share = Math.round((100 * Math.max(0, bits)) / ceiling);
  return `${formatBits(bits, { ...format, unit: true })} · ${share}% of ${ceiling.toFixed(1)}`;
}
