// The channel-capacity heatmap of the Layer view (paper 5.3.2, Fig. 8): rows = channels of layer J,
// columns = channels of layer I, brighter = smaller capacity. Drawn on one canvas because a pair
// of 512-channel layers is 262,144 cells: the cells go into an ImageData of one pixel per cell,
// scaled up once with nearest-neighbour sampling, so a redraw costs the same at any size. Hover,
// click and the keyboard cursor compute the cell from the position, so they stay exact when a
// cell is a single pixel.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../src/service/queries';
import { useChartTheme } from './common';
import { useTooltip } from './primitives';
import { cellImage, undefinedPattern } from './capacityMatrix';
import type { CellRef, MatrixStats } from './capacityMatrix';
import { cellAtPoint, computeLayout, dragPosition, drawHeatmap, headerAtPoint } from './capacityHeatmapCanvas';
import type { MarkAxis } from './capacityHeatmapCanvas';
import { formatBits } from '../format';

export { MARK_COLOUR, positionRuns } from './capacityHeatmapCanvas';
export type { MarkAxis } from './capacityHeatmapCanvas';

export { cellImage, displayOrders, matrixStats, sharedMaxBits, UNDEFINED_GREY, undefinedPattern } from './capacityMatrix';
export type { CellRef, HeatmapSort, MatrixStats, ScaleMode, SortKey } from './capacityMatrix';

/** A small canvas swatch of the undefined-cell pattern, for the legend. */
export function UndefinedSwatch(): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const theme = useChartTheme();
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.fillStyle = undefinedPattern(ctx, theme.background);
    ctx.fillRect(0, 0, c.width, c.height);
  }, [theme]);
  return <canvas ref={ref} width={18} height={12} class="legend-bar" aria-hidden="true" />;
}

export interface CapacityHeatmapProps {
  answer: CapacityMatrixAnswer;
  rowOrder: number[];
  columnOrder: number[];
  /** Layer names: rows = layer J, columns = layer I. */
  rowName: string;
  columnName: string;
  rowTitle: string;
  columnTitle: string;
  stats: MatrixStats;
  /** Top of the colour domain (0 bits is the bottom): this matrix's max, or one shared with other epochs and heatmaps. */
  maxBits: number;
  selected: CellRef | null;
  /** Channels of the linked selection to outline (a row of layer J, a column of layer I). */
  highlightRow: number | null;
  highlightColumn: number | null;
  onSelect: (cell: CellRef) => void;
  /** Largest side of the cell area in CSS pixels. */
  maxPlot: number;
  label: string;
  /** Called once the canvas shows this answer (cells and overlays painted): playback waits for it. */
  onDrawn?: (epoch: number) => void;
  /** Marked channels (Fig. 8B): rows of layer J and columns of layer I, by channel index, so sorting keeps them on their channels. */
  markedRows?: readonly number[];
  markedColumns?: readonly number[];
  /**
   * A click on a channel label toggles that channel's mark (`toggle`); a drag along the label band
   * marks every channel it passed over, in display order.
   */
  onMark?: (axis: MarkAxis, channels: number[], toggle: boolean) => void;
}

export function CapacityHeatmap(props: CapacityHeatmapProps): JSX.Element {
  const { answer: a, rowOrder, columnOrder, maxBits } = props;
  const nRows = rowOrder.length;
  const nColumns = columnOrder.length;
  const ref = useRef<HTMLCanvasElement>(null);
  const tooltip = useTooltip();
  const theme = useChartTheme();
  const [cursor, setCursor] = useState<{ x: number; y: number } | null>(null);
  const [hasFocus, setHasFocus] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [drawMs, setDrawMs] = useState<number | null>(null);
  // A drag along a label band, in display positions, drawn as a preview until the button is released.
  const [drag, setDrag] = useState<{ axis: MarkAxis; from: number; to: number } | null>(null);
  // The click that ends a mark (the button released over the cells) must not also select a cell.
  const marking = useRef(false);

  const layout = useMemo(
    () => computeLayout(nRows, nColumns, props.maxPlot, props.rowTitle, props.columnTitle),
    [nRows, nColumns, props.maxPlot, props.rowTitle, props.columnTitle],
  );
  const rowPos = useMemo(() => inverse(rowOrder), [rowOrder]);
  const columnPos = useMemo(() => inverse(columnOrder), [columnOrder]);
  // The cell picture depends on the data and order only; the overlays (selection, cursor, linked
  // highlight) are redrawn over it without rebuilding it.
  const cells = useMemo(() => {
    const t0 = performance.now();
    const out = cellImage(a, rowOrder, columnOrder, maxBits);
    return { ...out, ms: performance.now() - t0 };
  }, [a, rowOrder, columnOrder, maxBits]);

  // Identities matter: the drawing effect reruns (and reports a drawn frame) when these change.
  const markedRowPositions = useMemo(
    () => (props.markedRows ?? []).map((ch) => rowPos[ch]).filter((p): p is number => p !== undefined),
    [props.markedRows, rowPos],
  );
  const markedColumnPositions = useMemo(
    () => (props.markedColumns ?? []).map((ch) => columnPos[ch]).filter((p): p is number => p !== undefined),
    [props.markedColumns, columnPos],
  );
  // A cursor from another matrix (other layers) may lie outside this one.
  const cur = cursor && cursor.x < nColumns && cursor.y < nRows ? cursor : null;

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const t0 = performance.now();
    drawHeatmap(canvas, ctx, {
      cells,
      layout,
      theme,
      rowOrder,
      columnOrder,
      rowPos,
      columnPos,
      highlightRow: props.highlightRow,
      highlightColumn: props.highlightColumn,
      selected: props.selected,
      cursor: cur && hasFocus ? cur : null,
      markedRowPositions,
      markedColumnPositions,
      drag,
      rowTitle: props.rowTitle,
      columnTitle: props.columnTitle,
    });
    setDrawMs(cells.ms + performance.now() - t0);
    // Set on the element at once (not through a render): it says what the canvas shows right now.
    canvas.dataset.drawnEpoch = String(a.epoch);
    props.onDrawn?.(a.epoch);
  }, [
    a,
    cells,
    layout,
    theme,
    props.selected,
    props.highlightRow,
    props.highlightColumn,
    cur?.x,
    cur?.y,
    hasFocus,
    rowOrder,
    columnOrder,
    rowPos,
    columnPos,
    props.rowTitle,
    props.columnTitle,
    markedRowPositions,
    markedColumnPositions,
    drag,
  ]);

  const cellAt = (clientX: number, clientY: number) => cellAtPoint(ref.current, layout, nRows, nColumns, clientX, clientY);
  const headerAt = (clientX: number, clientY: number) => headerAtPoint(ref.current, layout, nRows, nColumns, clientX, clientY);
  const dragPos = (axis: MarkAxis, clientX: number, clientY: number) =>
    dragPosition(ref.current!, layout, axis === 'columns' ? nColumns : nRows, axis, clientX, clientY);

  const endDrag = () => {
    if (!drag) return;
    setDrag(null);
    marking.current = true;
    const order = drag.axis === 'columns' ? columnOrder : rowOrder;
    const lo = Math.min(drag.from, drag.to);
    const hi = Math.max(drag.from, drag.to);
    props.onMark?.(drag.axis, order.slice(lo, hi + 1), lo === hi);
  };

  const describe = (x: number, y: number): { text: string; extra: string } => {
    const r = rowOrder[y];
    const c = columnOrder[x];
    const v = a.values[r * a.columns + c];
    return {
      text: `${props.rowName} #${r} × ${props.columnName} #${c}: ${formatBits(v ?? null)}`,
      extra: `row ${y + 1} of ${nRows}, column ${x + 1} of ${nColumns} as displayed · epoch ${a.epoch}`,
    };
  };

  const showTip = (x: number, y: number, clientX: number, clientY: number) => {
    const d = describe(x, y);
    tooltip.show(
      clientX,
      clientY,
      <div>
        <div style={{ fontWeight: 600 }}>{d.text}</div>
        <div class="muted">{d.extra}</div>
      </div>,
    );
  };

  /** Screen position of a displayed cell's lower right corner, for the keyboard tooltip. */
  const cellClient = (x: number, y: number) => {
    const box = ref.current!.getBoundingClientRect();
    const s = box.width / layout.width;
    return { x: box.left + (layout.left + (x + 1) * layout.cell) * s, y: box.top + (layout.top + (y + 1) * layout.cell) * s };
  };

  const moveCursor = (x: number, y: number) => {
    const nx = Math.max(0, Math.min(nColumns - 1, x));
    const ny = Math.max(0, Math.min(nRows - 1, y));
    setCursor({ x: nx, y: ny });
    const p = cellClient(nx, ny);
    showTip(nx, ny, p.x, p.y);
    setAnnounce(describe(nx, ny).text);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (nRows === 0 || nColumns === 0) return;
    const start = cur ?? (props.selected ? { x: columnPos[props.selected.c] ?? 0, y: rowPos[props.selected.r] ?? 0 } : { x: 0, y: 0 });
    const page = Math.max(1, Math.round(nRows / 8));
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [start.x - 1, start.y],
      ArrowRight: [start.x + 1, start.y],
      ArrowUp: [start.x, start.y - 1],
      ArrowDown: [start.x, start.y + 1],
      Home: [0, start.y],
      End: [nColumns - 1, start.y],
      PageUp: [start.x, start.y - page],
      PageDown: [start.x, start.y + page],
    };
    const m = moves[e.key];
    if (m) {
      e.preventDefault();
      moveCursor(m[0], m[1]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      setCursor(start);
      props.onSelect({ r: rowOrder[start.y], c: columnOrder[start.x] });
      setAnnounce(`selected ${describe(start.x, start.y).text}`);
    } else if (e.key === 'Escape') {
      tooltip.hide();
    }
  };

  return (
    <div class="heatmap">
      <canvas
        ref={ref}
        class="chart heatmap-canvas"
        tabIndex={0}
        role="img"
        aria-roledescription="heatmap"
        aria-label={`${props.label} Arrow keys move a cell cursor, Enter shows the feature maps of the cell's two channels.`}
        data-rows={nRows}
        data-columns={nColumns}
        data-epoch={a.epoch}
        data-scale-max={maxBits}
        data-row-order={rowOrder.join(',')}
        data-column-order={columnOrder.join(',')}
        data-selected={props.selected ? `${props.selected.r},${props.selected.c}` : ''}
        data-highlight-row={props.highlightRow ?? ''}
        data-highlight-column={props.highlightColumn ?? ''}
        data-cell-size={layout.cell}
        data-plot-left={layout.left}
        data-plot-top={layout.top}
        data-draw-ms={drawMs !== null ? drawMs.toFixed(2) : ''}
        data-marked-rows={(props.markedRows ?? []).join(',')}
        data-marked-columns={(props.markedColumns ?? []).join(',')}
        data-marked-row-positions={[...markedRowPositions].sort((x, y) => x - y).join(',')}
        data-marked-column-positions={[...markedColumnPositions].sort((x, y) => x - y).join(',')}
        onMouseDown={(e) => {
          const h = props.onMark && e.button === 0 ? headerAt(e.clientX, e.clientY) : null;
          marking.current = false;
          if (!h) return;
          e.preventDefault();
          setDrag({ axis: h.axis, from: h.pos, to: h.pos });
        }}
        onMouseUp={endDrag}
        onMouseMove={(e) => {
          if (drag) {
            const to = dragPos(drag.axis, e.clientX, e.clientY);
            if (to !== drag.to) setDrag({ ...drag, to });
            return;
          }
          const p = cellAt(e.clientX, e.clientY);
          if (p) showTip(p.x, p.y, e.clientX, e.clientY);
          else if (props.onMark && headerAt(e.clientX, e.clientY)) {
            const h = headerAt(e.clientX, e.clientY)!;
            const ch = (h.axis === 'columns' ? columnOrder : rowOrder)[h.pos];
            const name = h.axis === 'columns' ? props.columnName : props.rowName;
            tooltip.show(
              e.clientX,
              e.clientY,
              <div>
                <div style={{ fontWeight: 600 }}>
                  {name} #{ch}
                </div>
                <div class="muted">Click to mark or unmark this channel; drag along the labels to mark several.</div>
              </div>,
            );
          } else tooltip.hide();
        }}
        onMouseLeave={() => {
          tooltip.hide();
          endDrag();
        }}
        onClick={(e) => {
          if (marking.current) {
            marking.current = false;
            return;
          }
          const p = cellAt(e.clientX, e.clientY);
          if (!p) return;
          setCursor(p);
          props.onSelect({ r: rowOrder[p.y], c: columnOrder[p.x] });
        }}
        onFocus={() => setHasFocus(true)}
        onBlur={() => {
          setHasFocus(false);
          tooltip.hide();
        }}
        onKeyDown={onKeyDown}
      />
      <div class="sr-only" aria-live="polite">
        {announce}
      </div>
    </div>
  );
}

function inverse(order: number[]): number[] {
  const pos: number[] = [];
  order.forEach((ch, i) => (pos[ch] = i));
  return pos;
}
