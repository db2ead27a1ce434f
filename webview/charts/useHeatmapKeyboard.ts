// The capacity heatmap's keyboard cursor: arrow keys, Home/End and PageUp/PageDown move it one
// cell, a row, or an eighth of the rows; Enter or Space selects its cell; Escape hides the tooltip.
// Each move shows the cell's tooltip at the cell and announces it in the live region.
import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { cellCorner } from './capacityHeatmapCanvas';
import type { Layout } from './capacityHeatmapCanvas';
import type { CellRef } from './capacityMatrix';
import type { HeatmapTips } from './useHeatmapTips';

export type CellPosition = { x: number; y: number };

export interface HeatmapKeyboard {
  /** The cursor, in display positions, when it lies inside this matrix. */
  cursor: CellPosition | null;
  hasFocus: boolean;
  /** The live region's sentence about the last move or selection. */
  announce: string;
  /** Puts the cursor on a cell (a click does, so the keys go on from there). */
  setCursor: (p: CellPosition) => void;
  onKeyDown: (e: KeyboardEvent) => void;
  onFocus: () => void;
  onBlur: () => void;
}

/** A heatmap wider than its box scrolls in it: brings the cursor's column into the box (before the tooltip is placed). */
function scrollToColumn(canvas: HTMLCanvasElement, layout: Layout, x: number): void {
  const box = canvas.parentElement;
  if (!box || box.scrollWidth <= box.clientWidth) return;
  const from = layout.left + x * layout.cell;
  const to = from + layout.cell;
  if (from - layout.cell < box.scrollLeft) box.scrollLeft = Math.max(0, from - layout.cell);
  else if (to + layout.cell > box.scrollLeft + box.clientWidth) box.scrollLeft = to + layout.cell - box.clientWidth;
}

export function useHeatmapKeyboard(o: {
  canvas: RefObject<HTMLCanvasElement>;
  layout: Layout;
  rowOrder: number[];
  columnOrder: number[];
  /** Display position by channel. */
  rowPos: number[];
  columnPos: number[];
  selected: CellRef | null;
  onSelect: (cell: CellRef) => void;
  tips: HeatmapTips;
}): HeatmapKeyboard {
  const { rowOrder, columnOrder, tips } = o;
  const nRows = rowOrder.length;
  const nColumns = columnOrder.length;
  const [cursor, setCursor] = useState<CellPosition | null>(null);
  const [hasFocus, setHasFocus] = useState(false);
  const [announce, setAnnounce] = useState('');
  // A cursor from another matrix (other layers) may lie outside this one.
  const cur = cursor && cursor.x < nColumns && cursor.y < nRows ? cursor : null;

  const moveCursor = (x: number, y: number) => {
    const nx = Math.max(0, Math.min(nColumns - 1, x));
    const ny = Math.max(0, Math.min(nRows - 1, y));
    setCursor({ x: nx, y: ny });
    scrollToColumn(o.canvas.current!, o.layout, nx);
    const p = cellCorner(o.canvas.current!, o.layout, nx, ny);
    tips.showCell(nx, ny, p.x, p.y);
    setAnnounce(tips.describe(nx, ny).text);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (nRows === 0 || nColumns === 0) return;
    const start = cur ?? (o.selected ? { x: o.columnPos[o.selected.c] ?? 0, y: o.rowPos[o.selected.r] ?? 0 } : { x: 0, y: 0 });
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
      o.onSelect({ r: rowOrder[start.y], c: columnOrder[start.x] });
      setAnnounce(`selected ${tips.describe(start.x, start.y).text}`);
    } else if (e.key === 'Escape') {
      tips.hide();
    }
  };

  return {
    cursor: cur,
    hasFocus,
    announce,
    setCursor,
    onKeyDown,
    onFocus: () => setHasFocus(true),
    onBlur: () => {
      setHasFocus(false);
      tips.hide();
    },
  };
}
