// Small multiples of intra-sample entropy over epochs, one per channel (paper 5.4.1, Figs. 13(A)
// and 14). Layers reach hundreds of channels, so every multiple is drawn on ONE canvas and hover,
// click and keyboard work out the channel and epoch from the position instead of from DOM nodes.
// Lines of one colour are stroked as one path across all multiples: 11 strokes for 512 channels.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import type { Bits, SmallMultiplesAnswer } from '../../src/service/queries';
import { classColour } from '../colours';
import { fmtBits, pixelRatio, useTooltip } from './primitives';
import { ChartTheme, classLabel, useChartTheme, useMeasuredWidth } from './common';

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
function plotBox(l: MultiplesLayout, i: number): { x: number; y: number; w: number; h: number; cellX: number; cellY: number } {
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

interface Series {
  label: string;
  colour: string;
  width: number;
  /** `[channel][epoch index]`. */
  values: Bits[][];
}

export interface SmallMultiplesProps {
  answer: SmallMultiplesAnswer;
  /** Channels to draw, in the order drawn. */
  order: number[];
  classNames: string[];
  layerName: string;
  /** The shared selected epoch, drawn as a rule in every multiple. */
  epoch: number;
  focused: number | null;
  showAll: boolean;
  onFocus(channel: number): void;
  /**
   * Top of a y scale shared with other layers' multiples shown beside these (e.g. the max of both
   * layers), so heights compare across layers; without it the scale is this layer's own.
   */
  sharedMaxBits?: number;
}

/** The largest defined value of a layer's small multiples: what a y scale shared across layers takes the max of. */
export function multiplesMaxBits(answer: SmallMultiplesAnswer): number {
  let max = 0;
  for (const s of [answer.all, ...answer.perClass]) for (const ch of s) for (const v of ch) if (v !== null && v > max) max = v;
  return max;
}

export function SmallMultiplesChart(props: SmallMultiplesProps): JSX.Element {
  const { answer, order, classNames, epoch, focused, showAll } = props;
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  /** Whether the overlay holds a hover or cursor mark (else it is blank and need not be cleared). */
  const overlayInked = useRef(false);
  // Undefined until measured: drawing 512 multiples at a guessed width only to draw them again at
  // the real one doubled the time to the first picture.
  const measuredWidth = useMeasuredWidth(wrap);
  const width = measuredWidth ?? 800;
  const theme = useChartTheme();
  const tooltip = useTooltip();
  const layout = useMemo(() => multiplesLayout(width, order.length), [width, order.length]);
  const [hover, setHover] = useState<{ index: number; epochIndex: number } | null>(null);
  // The keyboard cursor, drawn only while the keyboard is in use (a mouse click focuses the canvas too).
  const [cursor, setCursor] = useState<number | null>(null);
  const [keyboard, setKeyboard] = useState(false);
  const [announce, setAnnounce] = useState('');
  // Undefined until the multiples are first drawn (`data-drawn` tells tests and the bench when).
  const [drawMs, setDrawMs] = useState<number | undefined>(undefined);

  const series = useMemo<Series[]>(() => {
    const s: Series[] = answer.perClass.map((values, k) => ({
      label: classLabel(k, classNames),
      colour: classColour(k, answer.perClass.length),
      // One CSS pixel, not more: Skia draws a stroke no wider than a device pixel as a hairline,
      // which rasterises about ten times faster than a 1.2-pixel stroke on a canvas without a GPU
      // (512 multiples × 10 classes took half a second to rasterise at 1.2).
      width: 1,
      values,
    }));
    if (showAll) s.push({ label: 'all classes', colour: '', width: 2, values: answer.all });
    return s;
  }, [answer, classNames, showAll]);

  const y = useMemo(() => {
    // A shared top never cuts this layer's own values off.
    const max = Math.max(multiplesMaxBits(answer), props.sharedMaxBits ?? 0);
    return scaleLinear()
      .domain([0, max > 0 ? max : 1])
      .nice();
  }, [answer, props.sharedMaxBits]);
  const dead = useMemo(() => answer.deadChannels.map((d) => new Set(d)), [answer]);
  const epochIndex = answer.epochs.indexOf(epoch);

  useEffect(() => {
    const c = canvas.current;
    if (!c || measuredWidth === undefined) return;
    const started = performance.now();
    drawMultiples(c, { layout, answer, order, series, y, dead, epochIndex, focused, theme });
    setDrawMs(performance.now() - started);
  }, [layout, answer, order, series, y, dead, epochIndex, focused, theme, measuredWidth === undefined]);

  useEffect(() => {
    const c = overlay.current;
    if (!c || measuredWidth === undefined) return;
    const shownCursor = keyboard ? cursor : null;
    // An overlay with nothing on it is left alone: sizing and clearing a canvas as large as the
    // multiples makes the browser copy its pixels to the screen again (tens of milliseconds at 512).
    if (hover === null && shownCursor === null && !overlayInked.current) return;
    drawOverlay(c, { layout, answer, order, series, y, theme, hover, cursor: shownCursor });
    overlayInked.current = hover !== null || shownCursor !== null;
  }, [layout, answer, order, series, y, theme, hover, cursor, keyboard, measuredWidth === undefined]);

  const pointIn = (e: MouseEvent) => {
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };
  const nearestEpoch = (i: number, x: number) => {
    const box = plotBox(layout, i);
    const xs = epochScale(answer.epochs, box);
    let best = 0;
    answer.epochs.forEach((e, k) => {
      if (Math.abs(xs(e) - x) < Math.abs(xs(answer.epochs[best]) - x)) best = k;
    });
    return best;
  };
  const tip = (i: number, e: number) => (
    <MultipleTip
      answer={answer}
      channel={order[i]}
      epochIndex={e}
      series={series}
      layerName={props.layerName}
      dead={dead[e]?.has(order[i]) ?? false}
    />
  );

  const onMove = (e: MouseEvent) => {
    const p = pointIn(e);
    const i = multipleAt(layout, order.length, p.x, p.y);
    if (i === undefined) {
      setHover(null);
      tooltip.hide();
      return;
    }
    const ei = nearestEpoch(i, p.x);
    if (!hover || hover.index !== i || hover.epochIndex !== ei) setHover({ index: i, epochIndex: ei });
    tooltip.show(e.clientX, e.clientY, tip(i, ei));
  };
  const onLeave = () => {
    setHover(null);
    tooltip.hide();
  };
  const onClick = (e: MouseEvent) => {
    const p = pointIn(e);
    const i = multipleAt(layout, order.length, p.x, p.y);
    if (i !== undefined) {
      setCursor(i);
      props.onFocus(order[i]);
    }
  };

  // Keyboard: a cursor walks the grid; the tooltip follows it, so the values are read the same way.
  const moveCursor = (i: number) => {
    const c = canvas.current;
    if (!c || order.length === 0) return;
    const next = Math.max(0, Math.min(order.length - 1, i));
    setCursor(next);
    const ei = epochIndex >= 0 ? epochIndex : answer.epochs.length - 1;
    const box = plotBox(layout, next);
    const rect = c.getBoundingClientRect();
    const top = rect.top + box.cellY;
    if (top < 0 || top + layout.cellHeight > window.innerHeight)
      window.scrollBy({ top: top < 0 ? top - 8 : top + layout.cellHeight - window.innerHeight + 8 });
    const after = c.getBoundingClientRect();
    tooltip.show(after.left + box.cellX + layout.cellWidth - 8, after.top + box.cellY + layout.cellHeight - 8, tip(next, ei));
    setAnnounce(describe(props.layerName, order[next], answer, ei, dead[ei]?.has(order[next]) ?? false));
  };
  const onKey = (e: KeyboardEvent) => {
    setKeyboard(true);
    const at = cursor ?? Math.max(0, focused !== null ? order.indexOf(focused) : 0);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: layout.columns, ArrowUp: -layout.columns };
    if (e.key in moves) moveCursor(cursor === null ? at : at + moves[e.key]);
    else if (e.key === 'Home') moveCursor(0);
    else if (e.key === 'End') moveCursor(order.length - 1);
    else if (e.key === 'Enter' || e.key === ' ') {
      if (order[at] !== undefined) props.onFocus(order[at]);
      setCursor(at);
    } else if (e.key === 'Escape') tooltip.hide();
    else return;
    e.preventDefault();
  };

  const maxLabel = y.domain()[1];
  return (
    <div ref={wrap} class="multiples-wrap">
      <div class="multiples-stack" style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
        <canvas
          ref={canvas}
          class="chart"
          data-y-max={y.domain()[1]}
          tabIndex={0}
          role="img"
          aria-roledescription="small multiples"
          aria-label={`Small multiples of ${props.layerName}: intra-sample entropy of ${order.length} channels over epochs ${answer.epochs[0] ?? ''}–${answer.epochs[answer.epochs.length - 1] ?? ''}, one line per class${showAll ? ' and one for all classes' : ''}, y from 0 to ${maxLabel} bits in every multiple. Arrow keys move between channels, Enter selects one.`}
          data-channels={order.length}
          data-focused={focused ?? undefined}
          data-columns={layout.columns}
          data-cell-width={layout.cellWidth}
          data-cell-height={layout.cellHeight}
          data-grid-left={layout.left}
          data-grid-top={layout.top}
          data-order={order.join(',')}
          data-draw-ms={(drawMs ?? 0).toFixed(1)}
          data-drawn={drawMs !== undefined ? '' : undefined}
          style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
          onMouseMove={onMove}
          onMouseLeave={onLeave}
          onMouseDown={() => setKeyboard(false)}
          onClick={onClick}
          onKeyDown={onKey}
          onFocus={() => setCursor((c) => c ?? Math.max(0, focused !== null ? order.indexOf(focused) : 0))}
          onBlur={() => {
            setCursor(null);
            tooltip.hide();
          }}
        />
        <canvas
          ref={overlay}
          class="multiples-overlay"
          aria-hidden="true"
          style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
        />
      </div>
      <p class="sr-only" aria-live="polite">
        {announce}
      </p>
    </div>
  );
}

function describe(layerName: string, channel: number, a: SmallMultiplesAnswer, e: number, isDead: boolean): string {
  return `${layerName} channel ${channel}, epoch ${a.epochs[e]}: all classes ${fmtBits(a.all[channel]?.[e] ?? null)}${isDead ? ', dead' : ''}. Enter selects it.`;
}

function MultipleTip(props: {
  answer: SmallMultiplesAnswer;
  channel: number;
  epochIndex: number;
  series: Series[];
  layerName: string;
  dead: boolean;
}): JSX.Element {
  const { answer, channel, epochIndex } = props;
  const rows: ComponentChildren[] = [];
  // "all classes" first: it is the number most people look for.
  const ordered = [...props.series.filter((s) => !s.colour), ...props.series.filter((s) => s.colour)];
  for (const s of ordered) {
    const v = s.values[channel]?.[epochIndex] ?? null;
    rows.push(
      <tr key={s.label}>
        <td style={{ paddingRight: '10px' }}>
          <span class="swatch" style={{ background: s.colour || 'var(--vscode-foreground)' }} />
          {s.label}
        </td>
        <td class={v === null ? 'warning' : undefined} style={{ textAlign: 'right' }}>
          {fmtBits(v)}
        </td>
      </tr>,
    );
  }
  return (
    <div class="multiples-tip">
      <strong>
        {props.layerName} #{channel}
      </strong>{' '}
      · epoch {answer.epochs[epochIndex]}
      {props.dead && <span class="warning"> · dead (0 for every probe input)</span>}
      <table style={{ borderCollapse: 'collapse', margin: '3px 0', fontVariantNumeric: 'tabular-nums' }}>
        <tbody>{rows}</tbody>
      </table>
      <span class="muted">click to select this channel</span>
    </div>
  );
}

function epochScale(epochs: number[], box: { x: number; w: number }): ScaleLinear<number, number> {
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

interface DrawParams {
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

function drawMultiples(c: HTMLCanvasElement, p: DrawParams): void {
  const { layout: l, answer, order, series, y, dead, theme } = p;
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

  // The selected channel: an outline around its multiple.
  const fi = p.focused === null ? -1 : order.indexOf(p.focused);
  if (fi >= 0) {
    const b = boxes[fi];
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.strokeRect(b.cellX + 1, b.cellY + 1, l.cellWidth - 2, l.cellHeight - 2);
  }
}

function fmtTick(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function drawOverlay(
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
