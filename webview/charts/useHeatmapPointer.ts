// The capacity heatmap's mouse: hovering a cell shows its tooltip and a click selects it; over a
// label band (when channels can be marked) a click toggles that channel's mark and a drag along
// the band marks every channel it passes over, in display order, previewed until the release.
import type { RefObject } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { cellAtPoint, dragPosition, headerAtPoint } from './capacityHeatmapCanvas';
import type { Layout, MarkAxis, MarkDrag } from './capacityHeatmapCanvas';
import type { CellRef } from './capacityMatrix';
import type { CellPosition } from './useHeatmapKeyboard';
import type { HeatmapTips } from './useHeatmapTips';

export interface HeatmapPointer {
  /** The drag under way along a label band, if any. */
  drag: MarkDrag | null;
  onMouseDown: (e: MouseEvent) => void;
  onMouseUp: () => void;
  onMouseMove: (e: MouseEvent) => void;
  onMouseLeave: () => void;
  onClick: (e: MouseEvent) => void;
}

export function useHeatmapPointer(o: {
  canvas: RefObject<HTMLCanvasElement>;
  layout: Layout;
  rowOrder: number[];
  columnOrder: number[];
  onSelect: (cell: CellRef) => void;
  onMark?: (axis: MarkAxis, channels: number[], toggle: boolean) => void;
  /** Moves the keyboard cursor to a clicked cell. */
  setCursor: (p: CellPosition) => void;
  tips: HeatmapTips;
}): HeatmapPointer {
  const { canvas, layout, rowOrder, columnOrder, tips } = o;
  const nRows = rowOrder.length;
  const nColumns = columnOrder.length;
  const [drag, setDrag] = useState<MarkDrag | null>(null);
  // The click that ends a mark (the button released over the cells) must not also select a cell.
  const marking = useRef(false);

  const cellAt = (clientX: number, clientY: number) => cellAtPoint(canvas.current, layout, nRows, nColumns, clientX, clientY);
  const headerAt = (clientX: number, clientY: number) => headerAtPoint(canvas.current, layout, nRows, nColumns, clientX, clientY);
  const dragPos = (axis: MarkAxis, clientX: number, clientY: number) =>
    dragPosition(canvas.current!, layout, axis === 'columns' ? nColumns : nRows, axis, clientX, clientY);

  const endDrag = () => {
    if (!drag) return;
    setDrag(null);
    marking.current = true;
    const order = drag.axis === 'columns' ? columnOrder : rowOrder;
    const lo = Math.min(drag.from, drag.to);
    const hi = Math.max(drag.from, drag.to);
    o.onMark?.(drag.axis, order.slice(lo, hi + 1), lo === hi);
  };

  return {
    drag,
    onMouseDown: (e) => {
      const h = o.onMark && e.button === 0 ? headerAt(e.clientX, e.clientY) : null;
      marking.current = false;
      if (!h) return;
      e.preventDefault();
      setDrag({ axis: h.axis, from: h.pos, to: h.pos });
    },
    onMouseUp: endDrag,
    onMouseMove: (e) => {
      if (drag) {
        const to = dragPos(drag.axis, e.clientX, e.clientY);
        if (to !== drag.to) setDrag({ ...drag, to });
        return;
      }
      const p = cellAt(e.clientX, e.clientY);
      if (p) tips.showCell(p.x, p.y, e.clientX, e.clientY);
      else if (o.onMark && headerAt(e.clientX, e.clientY)) {
        const h = headerAt(e.clientX, e.clientY)!;
        tips.showHeader(h.axis, h.pos, e.clientX, e.clientY);
      } else tips.hide();
    },
    onMouseLeave: () => {
      tips.hide();
      endDrag();
    },
    onClick: (e) => {
      if (marking.current) {
        marking.current = false;
        return;
      }
      const p = cellAt(e.clientX, e.clientY);
      if (!p) return;
      o.setCursor(p);
      o.onSelect({ r: rowOrder[p.y], c: columnOrder[p.x] });
    },
  };
}
