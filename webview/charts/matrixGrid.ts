// The confusion matrix's grid: its cell size and label room for a number of classes, and the roving
// keyboard cursor that walks its cells (one tab stop for the whole grid).
import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { max } from 'd3-array';

/** A cell of the matrix: true class `t`, predicted class `p`. */
export interface CellRef {
  t: number;
  p: number;
}

export interface MatrixLayout {
  /** Cell size, px. */
  cs: number;
  /** Whether the column labels are rotated (a name longer than 3 characters). */
  rotate: boolean;
  labelSize: number;
  labelW: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The smallest cell, px: a matrix that would need smaller cells to fit its room scrolls instead. */
export const MIN_CELL = 8;

/**
 * The matrix's geometry for its class names: cells of up to 38 px (400 px for the whole matrix),
 * smaller where the matrix would be wider than `maxWidth` (the room its card has), down to MIN_CELL.
 */
export function matrixLayout(names: string[], maxWidth = Number.POSITIVE_INFINITY): MatrixLayout {
  const n = names.length;
  const longest = max(names, (s) => s.length) ?? 1;
  const rotate = longest > 3;
  const labelRoom = (size: number) => Math.min(130, 18 + Math.ceil(longest * size * 0.62));
  // The room for the cells, with the row labels at their largest size (smaller cells only make them smaller).
  const room = maxWidth - (20 + labelRoom(11)) - 6;
  const cs = Math.max(MIN_CELL, Math.min(38, Math.floor(400 / Math.max(1, n)), Math.floor(room / Math.max(1, n))));
  const labelSize = Math.min(11, cs);
  const labelW = labelRoom(labelSize);
  const left = 20 + labelW;
  const top = 20 + (rotate ? labelW : 20);
  return { cs, rotate, labelSize, labelW, left, top, width: left + n * cs + 6, height: top + n * cs + 6 };
}

export interface GridCursor {
  active: CellRef;
  setActive: (c: CellRef) => void;
  onKey: (e: KeyboardEvent) => void;
}

/** Arrow keys, Home and End move the cursor; Enter or Space selects its cell; Escape hides the tooltip. */
export function useGridCursor(svg: RefObject<SVGSVGElement>, n: number, onSelect: (c: CellRef) => void, hideTip: () => void): GridCursor {
  const [active, setActive] = useState<CellRef>({ t: 0, p: 0 });
  const move = (c: CellRef) => {
    setActive(c);
    const el = svg.current?.querySelector(`rect.cm-cell[data-true="${c.t}"][data-pred="${c.p}"]`) as SVGRectElement | null;
    el?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const { t, p } = active;
    const next: Record<string, CellRef> = {
      ArrowUp: { t: Math.max(0, t - 1), p },
      ArrowDown: { t: Math.min(n - 1, t + 1), p },
      ArrowLeft: { t, p: Math.max(0, p - 1) },
      ArrowRight: { t, p: Math.min(n - 1, p + 1) },
      Home: { t, p: 0 },
      End: { t, p: n - 1 },
    };
    if (next[e.key]) {
      e.preventDefault();
      move(next[e.key]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(active);
    } else if (e.key === 'Escape') hideTip();
  };
  return { active, setActive, onKey };
}
