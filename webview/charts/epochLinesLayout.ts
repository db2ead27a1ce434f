// The layout of the epoch line charts: the series and panel types, the margins, the epoch scale
// and axis, and each panel's vertical scale with the strip its undefined markers take. Pure.
import type { Axis } from 'd3-axis';
import { axisBottom } from 'd3-axis';
import { extent, max } from 'd3-array';
import { format } from 'd3-format';
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';

export interface LineSeries {
  /** Unique within the chart; what `highlight` names. */
  key: string;
  label: string;
  colour: string;
  /** One value per epoch index; `null` = undefined. */
  values: (number | null)[];
  dashed?: boolean;
  /** The class this line belongs to (written as `data-class`). */
  cls?: number;
  /**
   * Per epoch index, why the series has no value there because its run never recorded that epoch
   * ("A has no epoch 4 (3 epochs recorded)"): not an undefined value, so no marker, only this sentence.
   */
  notRecorded?: (string | undefined)[];
}

/** Whether a series' value at epoch index `i` is undefined (a null its run recorded), not a missing epoch. */
export function undefinedValue(s: LineSeries, i: number): boolean {
  return (s.values[i] === null || s.values[i] === undefined) && s.notRecorded?.[i] === undefined;
}

export interface LinePanel {
  id: string;
  /** Shown above the panel when the chart stacks several. */
  title?: string;
  yLabel: string;
  series: LineSeries[];
  /** Defaults to [0, largest value], made nice. */
  yDomain?: [number, number];
  /** Exact value with its unit, for the tooltip. */
  format(v: number): string;
  /** Axis tick labels (default: d3's). */
  tick?(v: number): string;
  /** Draw a marker on the x axis at every undefined value, not only a gap. */
  markUndefined?: boolean;
}

export const M = { left: 52, right: 14, top: 8, bottom: 34, title: 16 };
export const MAX_TOOLTIP_ROWS = 24;
export const MARKER_STEP = 13;
export const MARKER_COLUMNS = 3;
export const MAX_MARKER_ROWS = 4;
/** Space in px between the y axis (or the plot's right end) and the centre of the nearest undefined marker. */
export const MARKER_CLEARANCE = 9;
const fmtEpoch = format('d');

export function epochAxis(x: ScaleLinear<number, number>, epochs: number[]): Axis<number> {
  // Epochs are integers: never label 0.5.
  const ticks = epochs.length <= 12 ? epochs : x.ticks(8).filter((t) => Number.isInteger(t));
  return axisBottom<number>(x)
    .tickValues(ticks)
    .tickFormat((d) => fmtEpoch(d));
}

export function epochScale(epochs: number[], width: number): ScaleLinear<number, number> {
  const [lo, hi] = extent(epochs);
  const a = lo ?? 0;
  const b = hi ?? 0;
  // A single recorded epoch still gets an axis with the point in the middle.
  return scaleLinear()
    .domain(a === b ? [a - 1, b + 1] : [a, b])
    .range([M.left, width - M.right]);
}

/** Path of the undefined-value marker, centred on (0, 0): a small ×. */
export const CROSS = 'M-3.5,-3.5L3.5,3.5M-3.5,3.5L3.5,-3.5';

/** A panel's place in the stacked chart, its y scale, and how many series are undefined at each epoch. */
export interface PanelLayout {
  top: number;
  /** The y of the x axis. */
  base: number;
  y: ScaleLinear<number, number>;
  /** Undefined markers per epoch index (0 where the panel does not mark them). */
  undefinedAt: number[];
}

export function panelLayout(
  p: LinePanel,
  pi: number,
  epochs: number[],
  blockHeight: number,
  panelHeight: number,
  titled: boolean,
): PanelLayout {
  const top = pi * blockHeight + (titled ? M.title : 0);
  const values = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v !== undefined));
  const yMax = max(values) ?? 1;
  const base = top + panelHeight - M.bottom;
  // Undefined markers get their own strip between the x axis and the y = 0 line, so a marker
  // can never be read as a value of 0 bits.
  const undefinedAt = epochs.map((_, i) => (p.markUndefined ? p.series.filter((s) => undefinedValue(s, i)).length : 0));
  const stackRows = Math.min(MAX_MARKER_ROWS, Math.ceil((max(undefinedAt) ?? 0) / MARKER_COLUMNS));
  const strip = stackRows > 0 ? 6 + stackRows * MARKER_STEP : 0;
  const y = scaleLinear()
    .domain(p.yDomain ?? [0, yMax > 0 ? yMax : 1])
    .range([base - strip, top + M.top])
    .nice();
  return { top, base, y, undefinedAt };
}
