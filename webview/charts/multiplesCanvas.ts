// The small multiples' geometry and canvas drawing: where each multiple sits, and the one canvas
// that draws them all (lines of one colour as one path across every multiple) plus its overlay of
// hover and keyboard cursor.
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import type { Bits, SmallMultiplesAnswer } from '../../src/contract/queries';
import type { ChartTheme } from './common';
import { pixelRatio } from './primitives';

export interface MultiplesLayout {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
  /** Where the grid of multiples starts inside the canvas (CSS pixels); the y labels sit left of it. */
  left: number;
  top: number;
  width: number;
  height: number;
}

const GUTTER_LEFT = 34;
const GUTTER_BOTTOM = 16;
/** Gap between neighbouring multiples, so their frames do not merge. */
const GAP = 4;
/** Inside a multiple: room for the "#c" label above the plot. */
const PAD = { top: 16, right: 5, bottom: 5, left: 5 };

/** Smaller multiples for larger layers, so 512 channels stay on a few screens. */
export function multiplesLayout(width: number, count: number): MultiplesLayout {
  const target = count <= 16 ? { w: 170, h: 110 } : count <= 64 ? { w: 128, h: 84 } : count <= 200 ? { w: 96, h: 62 } : { w: 74, h: 52 };
  const avail = Math.max(target.w, width - GUTTER_LEFT - 2);
  // One row when the multiples fit at a slightly smaller size; otherwise rows of equal length, so
  // the last row is not a lonely multiple.
  let columns: number;
  if (count <= Math.floor(avail / (target.w * 0.8))) columns = Math.max(1, count);
  else {
    const max = Math.max(1, Math.floor(avail / target.w));
    columns = Math.min(max, Math.ceil(count / Math.ceil(count / max)));
  }
  const cellWidth = Math.floor(Math.min(avail / columns, target.w * 1.5));
  const rows = Math.max(1, Math.ceil(count / columns));
  return {
    columns,
    rows,
    cellWidth,
    cellHeight: target.h,
    left: GUTTER_LEFT,
    top: 0,
    width: GUTTER_LEFT + columns * cellWidth + 2,
    height: rows * target.h + GUTTER_BOTTOM,
  };
}

/** The multiple (position in the drawn order) under a point of the canvas, if any. */
export function multipleAt(l: MultiplesLayout, count: number, x: number, y: number): number | undefined {
  const col = Math.floor((x - l.left) / l.cellWidth);
  const row = Math.floor((y - l.top) / l.cellHeight);
  if (col < 0 || col >= l.columns || row < 0 || row >= l.rows) return undefined;
  const i = row * l.columns + col;
  return i < count ? i : undefined;
}

/** The plot rectangle of multiple `i` (CSS pixels). */
export function plotBox(l: MultiplesLayout, i: number): { x: number; y: number; w: number; h: number; cellX: number; cellY: number } {
  const cellX = l.left + (i % l.columns) * l.cellWidth;
  const cellY = l.top + Math.floor(i / l.columns) * l.cellHeight;
  return {
    cellX,
    cellY,
    x: cellX + GAP / 2 + PAD.left,
    y: cellY + GAP / 2 + PAD.top,
    w: l.cellWidth - GAP - PAD.left - PAD.right,
    h: l.cellHeight - GAP - PAD.top - PAD.bottom,
  };
}

export interface Series {
  label: string;
  colour: string;
  width: number;
  /** `[channel][epoch index]`. */
  values: Bits[][];
}

export function epochScale(epochs: number[], box: { x: number; w: number }): ScaleLinear<number, number> {
  const first = epochs[0] ?? 0;
  const last = epochs[epochs.length - 1] ?? 0;
  // One recorded epoch: a dot in the middle rather than a collapsed axis.
  if (first === last)
    return scaleLinear()
      .domain([first - 1, first + 1])
      .range([box.x, box.x + box.w]);
  return scaleLinear()
    .domain([first, last])
    .range([box.x, box.x + box.w]);
}

function setUpCanvas(c: HTMLCanvasElement, l: MultiplesLayout): CanvasRenderingContext2D | null {
  const dpr = pixelRatio();
  const w = Math.max(1, Math.round(l.width * dpr));
  const h = Math.max(1, Math.round(l.height * dpr));
  if (c.width !== w) c.width = w;
  if (c.height !== h) c.height = h;
  const ctx = c.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, l.width, l.height);
  return ctx;
}

export interface DrawParams {
  layout: MultiplesLayout;
  answer: SmallMultiplesAnswer;
  order: number[];
  series: Series[];
  y: ScaleLinear<number, number>;
  dead: Set<number>[];
  epochIndex: number;
  focused: number | null;
  theme: ChartTheme;
}

/** Where every multiple and epoch sits, worked out once per draw. */
interface Geometry {
  boxes: ReturnType<typeof plotBox>[];
  xs: ScaleLinear<number, number>[];
  /** An epoch's x offset inside any plot box (they all have the same size). */
  epochOffsets: number[];
  yAt: (b: { y: number; h: number }, v: number) => number;
  half: (b: { w: number }) => number;
}

export function drawMultiples(c: HTMLCanvasElement, p: DrawParams): void {
  const { layout: l, answer, order, y, theme } = p;
  const ctx = setUpCanvas(c, l);
  if (!ctx) return;
  // An opaque background, so the PNG export reads the same outside the editor's theme.
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, l.width, l.height);
  const epochs = answer.epochs;
  const boxes = order.map((_, i) => plotBox(l, i));
  const xs = boxes.map((b) => epochScale(epochs, b));
  // Every plot box has the same size, so an epoch sits at the same offset in each: computed once
  // here rather than through a scale per point (512 multiples × 21 epochs × 11 lines).
  const box0 = boxes[0] ?? plotBox(l, 0);
  const epochOffsets = epochs.map((e) => epochScale(epochs, box0)(e) - box0.x);
  const [d0, d1] = y.domain();
  const yAt = (b: { y: number; h: number }, v: number) => b.y + b.h - ((v - d0) / (d1 - d0)) * b.h;
  const half = (b: { w: number }) => (epochs.length > 1 ? b.w / (epochs.length - 1) / 2 : b.w / 2);
  const g: Geometry = { boxes, xs, epochOffsets, yAt, half };
  drawBackdrop(ctx, p, g);
  drawLines(ctx, p, g);
  drawLabels(ctx, p, g);
  // The selected channel: an outline around its multiple.
  const fi = p.focused === null ? -1 : order.indexOf(p.focused);
  if (fi >= 0) {
    const b = boxes[fi];
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.strokeRect(b.cellX + 1, b.cellY + 1, l.cellWidth - 2, l.cellHeight - 2);
  }
}

/** Behind the lines: dead epochs as tinted bands, the frames, and the selected epoch's rule. */
function drawBackdrop(ctx: CanvasRenderingContext2D, p: DrawParams, g: Geometry): void {
  const { answer, order, dead, theme } = p;
  const { boxes, xs, half } = g;
  const epochs = answer.epochs;
  // Dead epochs: a tinted band behind the lines.
  ctx.fillStyle = theme.warning;
  ctx.globalAlpha = 0.28;
  order.forEach((ch, i) => {
    const b = boxes[i];
    epochs.forEach((e, k) => {
      if (!dead[k]?.has(ch)) return;
      const x0 = Math.max(b.x, xs[i](e) - half(b));
      const x1 = Math.min(b.x + b.w, xs[i](e) + half(b));
      ctx.fillRect(x0, b.y, Math.max(1, x1 - x0), b.h);
    });
  });
  ctx.globalAlpha = 1;

  // Frames.
  ctx.strokeStyle = theme.border;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const b of boxes) ctx.rect(Math.round(b.x) + 0.5, Math.round(b.y) + 0.5, Math.round(b.w), Math.round(b.h));
  ctx.stroke();

  // The selected epoch.
  if (p.epochIndex >= 0) {
    ctx.strokeStyle = theme.focus;
    ctx.setLineDash([3, 2]);
    ctx.beginPath();
    boxes.forEach((b, i) => {
      const x = Math.round(xs[i](epochs[p.epochIndex])) + 0.5;
      ctx.moveTo(x, b.y);
      ctx.lineTo(x, b.y + b.h);
    });
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

/** The series' lines, and a warning tick under every undefined value. */
function drawLines(ctx: CanvasRenderingContext2D, p: DrawParams, g: Geometry): void {
  const { answer, order, series, theme } = p;
  const { boxes, xs, epochOffsets, yAt } = g;
  const epochs = answer.epochs;
  // One path per series across every multiple; undefined values break the line, and a defined
  // value between two undefined ones gets a dot so it does not vanish.
  ctx.lineJoin = 'round';
  for (const s of series) {
    const colour = s.colour || theme.foreground;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = s.width;
    ctx.beginPath();
    const dots: [number, number][] = [];
    order.forEach((ch, i) => {
      const values = s.values[ch] ?? [];
      let drawing = false;
      for (let k = 0; k < epochs.length; k++) {
        const v = values[k] ?? null;
        if (v === null) {
          drawing = false;
          continue;
        }
        const px = boxes[i].x + epochOffsets[k];
        const py = yAt(boxes[i], v);
        if (drawing) ctx.lineTo(px, py);
        else {
          ctx.moveTo(px, py);
          const next = values[k + 1] ?? null;
          if (next === null) dots.push([px, py]);
        }
        drawing = true;
      }
    });
    ctx.stroke();
    for (const [px, py] of dots) ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  }

  // Undefined values: a warning tick under the epoch, since a gap alone is easy to miss.
  ctx.fillStyle = theme.warning;
  order.forEach((ch, i) => {
    const b = boxes[i];
    epochs.forEach((e, k) => {
      if (!series.some((s) => (s.values[ch]?.[k] ?? null) === null)) return;
      const x = xs[i](e);
      ctx.beginPath();
      ctx.moveTo(x, b.y + b.h - 5);
      ctx.lineTo(x - 3, b.y + b.h);
      ctx.lineTo(x + 3, b.y + b.h);
      ctx.closePath();
      ctx.fill();
    });
  });
}

/** The channel labels, the shared y scale once per row, and the epochs under the last row. */
function drawLabels(ctx: CanvasRenderingContext2D, p: DrawParams, g: Geometry): void {
  const { layout: l, answer, order, y, dead, theme } = p;
  const { boxes } = g;
  const epochs = answer.epochs;
  // Labels: "#c" per multiple, "dead" when dead at the selected epoch.
  const small = l.cellWidth < 90;
  ctx.font = `${small ? 10 : 11}px ${theme.font}`;
  ctx.textBaseline = 'alphabetic';
  order.forEach((ch, i) => {
    const b = boxes[i];
    ctx.textAlign = 'left';
    ctx.fillStyle = ch === p.focused ? theme.focus : theme.foreground;
    ctx.fillText(`#${ch}`, b.x, b.y - 4);
    if (p.epochIndex >= 0 && dead[p.epochIndex]?.has(ch)) {
      ctx.textAlign = 'right';
      ctx.fillStyle = theme.warning;
      ctx.fillText('dead', b.x + b.w, b.y - 4);
    }
  });

  // The shared y scale, once per row, and the epochs under the last row.
  ctx.fillStyle = theme.muted;
  ctx.font = `10px ${theme.font}`;
  ctx.textAlign = 'right';
  const top = y.domain()[1];
  for (let r = 0; r < l.rows; r++) {
    const b = plotBox(l, r * l.columns);
    ctx.textBaseline = 'top';
    ctx.fillText(fmtTick(top), l.left - 3, b.y - 1);
    ctx.textBaseline = 'bottom';
    ctx.fillText('0', l.left - 3, b.y + b.h + 1);
  }
  ctx.save();
  ctx.translate(9, plotBox(l, 0).y + plotBox(l, 0).h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText('bits', 0, 0);
  ctx.restore();
  if (epochs.length) {
    ctx.textBaseline = 'top';
    const lastRow = Math.min(l.columns, order.length);
    for (let col = 0; col < lastRow; col++) {
      // The bottom-most multiple of this column.
      const i = col + l.columns * Math.floor((order.length - 1 - col) / l.columns);
      const b = plotBox(l, i);
      const yText = b.y + b.h + 3;
      ctx.textAlign = 'left';
      ctx.fillText(String(epochs[0]), b.x, yText);
      if (epochs.length > 1) {
        ctx.textAlign = 'right';
        ctx.fillText(String(epochs[epochs.length - 1]), b.x + b.w, yText);
      }
    }
  }
}

function fmtTick(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export function drawOverlay(
  c: HTMLCanvasElement,
  p: {
    layout: MultiplesLayout;
    answer: SmallMultiplesAnswer;
    order: number[];
    series: Series[];
    y: ScaleLinear<number, number>;
    theme: ChartTheme;
    hover: { index: number; epochIndex: number } | null;
    cursor: number | null;
  },
): void {
  const { layout: l, theme } = p;
  const ctx = setUpCanvas(c, l);
  if (!ctx) return;
  if (p.cursor !== null && p.cursor < p.order.length) {
    const b = plotBox(l, p.cursor);
    ctx.strokeStyle = theme.focus;
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1.5;
    ctx.strokeRect(b.cellX + 3.5, b.cellY + 3.5, l.cellWidth - 7, l.cellHeight - 7);
    ctx.setLineDash([]);
  }
  if (!p.hover || p.hover.index >= p.order.length) return;
  const b = plotBox(l, p.hover.index);
  const ch = p.order[p.hover.index];
  const e = p.answer.epochs[p.hover.epochIndex];
  const x = epochScale(p.answer.epochs, b)(e);
  ctx.strokeStyle = theme.muted;
  ctx.lineWidth = 1;
  ctx.strokeRect(b.cellX + 1.5, b.cellY + 1.5, l.cellWidth - 3, l.cellHeight - 3);
  ctx.beginPath();
  ctx.moveTo(Math.round(x) + 0.5, b.y);
  ctx.lineTo(Math.round(x) + 0.5, b.y + b.h);
  ctx.stroke();
  const [d0, d1] = p.y.domain();
  for (const s of p.series) {
    const v = s.values[ch]?.[p.hover.epochIndex] ?? null;
    if (v === null) continue;
    ctx.fillStyle = s.colour || theme.foreground;
    ctx.strokeStyle = theme.background;
    ctx.beginPath();
    ctx.arc(x, b.y + b.h - ((v - d0) / (d1 - d0)) * b.h, 2.5, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
  }
}
