// Small multiples of intra-sample entropy over epochs, one per channel (paper 5.4.1, Figs. 13(A)
// and 14). Layers reach hundreds of channels, so every multiple is drawn on ONE canvas and hover,
// click and keyboard work out the channel and epoch from the position instead of from DOM nodes.
// Lines of one colour are stroked as one path across all multiples: 11 strokes for 512 channels.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { scaleLinear } from 'd3-scale';
import type { SmallMultiplesAnswer } from '../../src/service/queries';
import { classColour } from '../colours';
import { useTooltip } from './primitives';
import { classLabel, useChartTheme, useMeasuredWidth } from './common';
import { drawMultiples, drawOverlay, epochScale, multipleAt, multiplesLayout, plotBox } from './multiplesCanvas';
import type { Series } from './multiplesCanvas';
import { formatBits } from '../format';

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
  return `${layerName} channel ${channel}, epoch ${a.epochs[e]}: all classes ${formatBits(a.all[channel]?.[e] ?? null)}${isDead ? ', dead' : ''}. Enter selects it.`;
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
          {formatBits(v)}
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
