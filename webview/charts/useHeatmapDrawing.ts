// The capacity heatmap's geometry and its drawing effect. The cell picture depends on the data and
// the order only, so it is built once per answer and order; the overlays (selection, cursor, linked
// highlight, marks, a drag's preview) are redrawn over it without rebuilding it.
import type { RefObject } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { useChartTheme } from './common';
import { cellImage } from './capacityMatrix';
import type { CellRef } from './capacityMatrix';
import { computeLayout, drawHeatmap } from './capacityHeatmapCanvas';
import type { Layout, MarkDrag } from './capacityHeatmapCanvas';
import type { CellPosition } from './useHeatmapKeyboard';

export interface HeatmapGeometry {
  layout: Layout;
  /** Display position by channel. */
  rowPos: number[];
  columnPos: number[];
  /** Display positions of the marked channels, in the order they were marked. */
  markedRowPositions: number[];
  markedColumnPositions: number[];
}

export function useHeatmapGeometry(p: {
  rowOrder: number[];
  columnOrder: number[];
  maxPlot: number;
  rowTitle: string;
  columnTitle: string;
  markedRows?: readonly number[];
  markedColumns?: readonly number[];
}): HeatmapGeometry {
  const { rowOrder, columnOrder } = p;
  const nRows = rowOrder.length;
  const nColumns = columnOrder.length;
  const layout = useMemo(
    () => computeLayout(nRows, nColumns, p.maxPlot, p.rowTitle, p.columnTitle),
    [nRows, nColumns, p.maxPlot, p.rowTitle, p.columnTitle],
  );
  const rowPos = useMemo(() => inverse(rowOrder), [rowOrder]);
  const columnPos = useMemo(() => inverse(columnOrder), [columnOrder]);
  // Identities matter: the drawing effect reruns (and reports a drawn frame) when these change.
  const markedRowPositions = useMemo(
    () => (p.markedRows ?? []).map((ch) => rowPos[ch]).filter((x): x is number => x !== undefined),
    [p.markedRows, rowPos],
  );
  const markedColumnPositions = useMemo(
    () => (p.markedColumns ?? []).map((ch) => columnPos[ch]).filter((x): x is number => x !== undefined),
    [p.markedColumns, columnPos],
  );
  return { layout, rowPos, columnPos, markedRowPositions, markedColumnPositions };
}

/**
 * Draws the heatmap whenever what it shows changes, marks the canvas with the epoch it now shows
 * and calls `onDrawn`; returns how long the last drawing took, cell picture included, in ms.
 */
export function useHeatmapDrawing(
  canvasRef: RefObject<HTMLCanvasElement>,
  p: {
    answer: CapacityMatrixAnswer;
    rowOrder: number[];
    columnOrder: number[];
    maxBits: number;
    geometry: HeatmapGeometry;
    highlightRow: number | null;
    highlightColumn: number | null;
    selected: CellRef | null;
    /** The keyboard cursor, drawn only while the heatmap has the focus. */
    cursor: CellPosition | null;
    hasFocus: boolean;
    drag: MarkDrag | null;
    rowTitle: string;
    columnTitle: string;
    onDrawn?: (epoch: number) => void;
  },
): number | null {
  const { answer: a, rowOrder, columnOrder, maxBits, cursor: cur, hasFocus, drag } = p;
  const { layout, rowPos, columnPos, markedRowPositions, markedColumnPositions } = p.geometry;
  const theme = useChartTheme();
  const [drawMs, setDrawMs] = useState<number | null>(null);
  const cells = useMemo(() => {
    const t0 = performance.now();
    const out = cellImage(a, rowOrder, columnOrder, maxBits);
    return { ...out, ms: performance.now() - t0 };
  }, [a, rowOrder, columnOrder, maxBits]);

  useEffect(() => {
    const canvas = canvasRef.current;
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
      highlightRow: p.highlightRow,
      highlightColumn: p.highlightColumn,
      selected: p.selected,
      cursor: cur && hasFocus ? cur : null,
      markedRowPositions,
      markedColumnPositions,
      drag,
      rowTitle: p.rowTitle,
      columnTitle: p.columnTitle,
    });
    setDrawMs(cells.ms + performance.now() - t0);
    // Set on the element at once (not through a render): it says what the canvas shows right now.
    canvas.dataset.drawnEpoch = String(a.epoch);
    canvas.dataset.drawnColumnOrder = columnOrder.join(',');
    canvas.dataset.drawnMarkedColumns = [...markedColumnPositions].sort((x, y) => x - y).join(',');
    p.onDrawn?.(a.epoch);
  }, [
    a,
    cells,
    layout,
    theme,
    p.selected,
    p.highlightRow,
    p.highlightColumn,
    cur?.x,
    cur?.y,
    hasFocus,
    rowOrder,
    columnOrder,
    rowPos,
    columnPos,
    p.rowTitle,
    p.columnTitle,
    markedRowPositions,
    markedColumnPositions,
    drag,
  ]);
  return drawMs;
}

function inverse(order: number[]): number[] {
  const pos: number[] = [];
  order.forEach((ch, i) => (pos[ch] = i));
  return pos;
}
