// Small multiples of channel-capacity heatmaps (paper Figs. 10–12): a strip of one pair's heatmaps
// at several epochs, or of one layer against several later layers. Every cell of a strip is drawn
// with ONE colour domain (0 to the largest value over the strip's answers), so the same value has
// the same colour in every cell and "brighter with training / with depth" can be read across the
// strip. The strip draws the answers it is given; a cell whose answer is not there says why in its
// place (computing, not in this report, not available), neutrally.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { capacityScale } from '../colours';
import { ColourLegend, pixelRatio } from './primitives';
import { cellImage, matrixStats, sharedMaxBits } from './capacityMatrix';
import type { MatrixStats } from './capacityMatrix';
import { usePanelWidth } from './common';
import { formatBits } from '../../src/contract/format';

/** Why a cell has no answer to draw yet, as its placeholder says. */
export type StripCellStatus =
  | { kind: 'ready' }
  | { kind: 'loading'; fraction?: number }
  | { kind: 'not-in-report'; message: string }
  | { kind: 'error'; message: string };

export interface StripCell {
  /** Unique within the strip, e.g. "epoch-4" or "pair-1-3". */
  key: string;
  /** What the cell is: "epoch 4", or the pair's names. */
  label: string;
  /** How the cell names itself to a screen reader, e.g. "epoch 4 of conv1 × conv2". */
  description: string;
  /** The cell's answer, once it is known. */
  answer: CapacityMatrixAnswer | undefined;
  status: StripCellStatus;
}

/** The mean over the defined cells of a matrix, in bits (0 when none is defined). */
export function matrixMeanBits(a: CapacityMatrixAnswer): number {
  let sum = 0;
  let n = 0;
  for (const v of a.values) {
    if (v !== null && Number.isFinite(v)) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : 0;
}

export type Orders = { rowOrder: number[]; columnOrder: number[] };
type CellStats = MatrixStats & { mean: number };

/** Min, max, undefined count and mean over the cells an order shows (a slice may show only some channels). */
export function shownStats(a: CapacityMatrixAnswer, o: Orders): CellStats {
  if (o.rowOrder.length === a.rows && o.columnOrder.length === a.columns) return { ...matrixStats(a), mean: matrixMeanBits(a) };
  let min = Infinity;
  let max = -Infinity;
  let undefinedCount = 0;
  let sum = 0;
  let n = 0;
  for (const r of o.rowOrder)
    for (const c of o.columnOrder) {
      const v = a.values[r * a.columns + c];
      if (v === null || v === undefined || !Number.isFinite(v)) undefinedCount++;
      else {
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        n++;
      }
    }
  return { min: n ? min : 0, max: n ? max : 0, undefinedCount, mean: n ? sum / n : 0 };
}

// Answers are immutable and shared through the answer cache: their figures are computed once per
// set of shown channels.
const statsOf = new WeakMap<CapacityMatrixAnswer, Map<string, CellStats>>();
function stripStats(a: CapacityMatrixAnswer, o: Orders): CellStats {
  let byShown = statsOf.get(a);
  if (!byShown) statsOf.set(a, (byShown = new Map<string, CellStats>()));
  const key = `${[...o.rowOrder].sort((x, y) => x - y).join(',')}|${[...o.columnOrder].sort((x, y) => x - y).join(',')}`;
  let s = byShown.get(key);
  if (!s) byShown.set(key, (s = shownStats(a, o)));
  return s;
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The order asked for when it names only channels the matrix has (a sliced subset is fine); else channel order. */
function validOrders(a: CapacityMatrixAnswer, o: Orders | undefined): Orders {
  const ok = (order: number[], n: number) => order.length > 0 && order.every((i) => Number.isInteger(i) && i >= 0 && i < n);
  return o && ok(o.rowOrder, a.rows) && ok(o.columnOrder, a.columns) ? o : { rowOrder: identity(a.rows), columnOrder: identity(a.columns) };
}

export function HeatmapStrip(props: {
  cells: StripCell[];
  /**
   * Row and column order for a cell's answer (one order for the whole strip); channel order when
   * absent. It may name only some channels (the Query view's channel selection): the cell then
   * shows those, and its max, mean and the strip's colour scale are over the cells shown.
   */
  orderOf?: (a: CapacityMatrixAnswer) => Orders;
  /** The cell shown large in the main heatmap, outlined. */
  activeKey?: string;
  onOpen: (key: string) => void;
  testId: string;
  /** What the strip's one colour scale is shared by, said beside its legend (above the cells). */
  scaleNote?: string;
}): JSX.Element {
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  const { orderOf } = props;
  const orders = props.cells.map((c) => (c.answer ? validOrders(c.answer, orderOf?.(c.answer)) : undefined));
  const stats = props.cells.map((c, k) => (c.answer ? stripStats(c.answer, orders[k]!) : undefined));
  const maxBits = sharedMaxBits(stats.filter((s): s is CellStats => s !== undefined)) || 1;
  const colour = useMemo(() => capacityScale(maxBits), [maxBits]);
  // Up to four cells a row in the panel's width (a half-width editor gets two); they wrap, never scroll sideways.
  const perRow = Math.max(1, Math.min(props.cells.length, 4, Math.floor(panelWidth / 150)));
  const side = Math.max(60, Math.min(200, Math.floor((Math.min(panelWidth, 900) - 24) / perRow) - 16));
  const readyCount = stats.filter((s) => s).length;
  return (
    <div ref={wrap} data-testid={props.testId} data-scale-max={maxBits} data-ready={readyCount} data-cells={props.cells.length}>
      {readyCount > 0 && (
        <ColourLegend
          colour={colour}
          min={0}
          max={maxBits}
          label="Capacity (bits)"
          note={`${props.scaleNote ?? 'one scale for the whole strip'}; brighter = smaller`}
        />
      )}
      <div class="heatmap-strip" role="list" style={{ display: 'flex', flexWrap: 'wrap', gap: '8px', maxWidth: '100%' }}>
        {props.cells.map((c, k) => (
          <StripCellButton
            key={c.key}
            cell={c}
            stats={stats[k]}
            maxBits={maxBits}
            side={side}
            active={c.key === props.activeKey}
            orders={orders[k]}
            onOpen={() => props.onOpen(c.key)}
          />
        ))}
      </div>
    </div>
  );
}

function StripCellButton(props: {
  cell: StripCell;
  stats: CellStats | undefined;
  maxBits: number;
  side: number;
  active: boolean;
  orders: Orders | undefined;
  onOpen: () => void;
}): JSX.Element {
  const { stats, maxBits, side } = props;
  const a = props.cell.answer;
  const ref = useRef<HTMLCanvasElement>(null);
  // Compared by content: the strip computes the orders afresh on every render.
  const orderKey = props.orders ? `${props.orders.rowOrder.join(',')}|${props.orders.columnOrder.join(',')}` : '';
  const orders = useMemo(() => props.orders, [a, orderKey]);
  const rows = orders?.rowOrder.length ?? 0;
  const columns = orders?.columnOrder.length ?? 0;
  // Whole CSS pixels per matrix cell, so every cell of the strip is crisp and tests can find a cell.
  const cell = a ? Math.max(1, Math.floor(side / Math.max(rows, columns, 1))) : 1;
  const width = a ? columns * cell : side;
  const height = a ? rows * cell : side;
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || !a || !orders) return;
    const ratio = pixelRatio();
    c.width = Math.round(width * ratio);
    c.height = Math.round(height * ratio);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cellImage(a, orders.rowOrder, orders.columnOrder, maxBits).image, 0, 0, c.width, c.height);
    c.dataset.drawn = `${a.layerI}:${a.layerJ}@${a.epoch}/${maxBits}`;
  }, [a, orders, maxBits, width, height]);
  const status = props.cell.status;
  const box = {
    width: `${side}px`,
    height: `${side}px`,
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    textAlign: 'center',
  };
  let body: JSX.Element;
  if (a && stats) {
    body = (
      <canvas
        ref={ref}
        class="strip-canvas"
        style={{ width: `${width}px`, height: `${height}px`, imageRendering: 'pixelated' }}
        data-cell-size={cell}
        data-scale-max={maxBits}
        data-epoch={a.epoch}
        data-layer-i={a.layerI}
        data-layer-j={a.layerJ}
        data-rows={rows}
        data-columns={columns}
        aria-hidden="true"
      />
    );
  } else if (status.kind === 'not-in-report') {
    body = (
      <div class="muted strip-placeholder" style={box} data-testid="strip-not-in-report" title={status.message}>
        not in this report
      </div>
    );
  } else if (status.kind === 'error') {
    body = (
      <div class="muted strip-placeholder" style={box} title={status.message}>
        not available: {status.message}
      </div>
    );
  } else {
    body = (
      <div class="muted strip-placeholder" style={box}>
        {status.kind === 'loading' && status.fraction !== undefined ? `Computing… ${Math.round(status.fraction * 100)}%` : 'Computing…'}
      </div>
    );
  }
  const figures = stats ? `max ${formatBits(stats.max)} · mean ${formatBits(stats.mean)}` : '';
  return (
    <button
      type="button"
      role="listitem"
      class="strip-cell"
      data-key={props.cell.key}
      data-max-bits={stats?.max ?? ''}
      data-mean-bits={stats?.mean ?? ''}
      aria-current={props.active ? 'true' : undefined}
      aria-label={`${props.cell.description}${figures ? `: ${figures}` : ''}. Open it large.`}
      title={`Open ${props.cell.label} large`}
      onClick={props.onOpen}
      style={{
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'flex-start',
        gap: '2px',
        padding: '4px',
        background: 'transparent',
        color: 'inherit',
        font: 'inherit',
        cursor: 'pointer',
        maxWidth: '100%',
        border: props.active ? '2px solid var(--vscode-focusBorder, #0090f1)' : '2px solid transparent',
      }}
    >
      <strong class="strip-label" style={{ fontSize: '0.9em', overflowWrap: 'anywhere' }}>
        {props.cell.label}
      </strong>
      {body}
      <span class="muted strip-figures" style={{ fontSize: '0.85em' }}>
        {figures || '\u00a0'}
      </span>
    </button>
  );
}
