// The capacity heatmap's canvas: its layout (whole pixels per cell, label bands, titles) and the
// drawing of the cells, the undefined pattern, the marked groups, the selection and the labels.
import type { ChartTheme } from './common';
import { pixelRatio } from './primitives';
import { undefinedPattern } from './capacityMatrix';
import type { CellRef } from './capacityMatrix';

export interface Layout {
  cell: number;
  left: number;
  top: number;
  width: number;
  height: number;
  /** Label every `step`-th row/column position (1 = every one). */
  step: number;
  rotateColumnLabels: boolean;
  font: string;
}

const TITLE = 18;
const PAD = 6;
const LABEL_FONT = '10px ui-monospace, "DejaVu Sans Mono", monospace';
const TITLE_FONT = '11px system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif';

let measureCtx: CanvasRenderingContext2D | null = null;
function textWidth(text: string, font: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * 6.5;
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

/** The smallest cell a reader can point at and tell from its neighbours, in CSS pixels. */
export const READABLE_CELL = 8;
/** Up to this many pixels a side, a heatmap keeps readable cells and scrolls; a larger matrix fits the space instead. */
const MAX_READABLE_SIDE = 2048;

/**
 * Whole pixels per cell: the cells that fit `maxPlot`, at most 36, and at least READABLE_CELL
 * when the matrix then stays under MAX_READABLE_SIDE (its box scrolls sideways when wider than the
 * card); a larger matrix (512 channels) fits the space, down to a pixel a cell, hover naming each.
 */
export function heatmapCellSize(rows: number, columns: number, maxPlot: number): number {
  const n = Math.max(rows, columns, 1);
  const fit = Math.floor(maxPlot / n);
  const readable = n * READABLE_CELL <= MAX_READABLE_SIDE ? READABLE_CELL : 1;
  return Math.max(1, Math.min(36, Math.max(fit, readable)));
}

export function computeLayout(rows: number, columns: number, maxPlot: number, rowTitle: string, columnTitle: string): Layout {
  // Whole pixels per cell: with a fractional size the nearest-neighbour scaling and the hover
  // arithmetic could disagree about the cell under a boundary pixel.
  const cell = heatmapCellSize(rows, columns, maxPlot);
  const step = cell >= 10 ? 1 : Math.ceil(12 / cell);
  const digitWidth = textWidth(String(Math.max(rows, columns) - 1), LABEL_FONT);
  const rotateColumnLabels = digitWidth + 3 > cell * step;
  const rowLabelWidth = digitWidth + 8;
  const columnLabelHeight = rotateColumnLabels ? digitWidth + 8 : 14;
  // Whole pixels here too, so cell edges fall on pixel edges (crisp, and mouse positions, which
  // are whole pixels, land unambiguously in one cell).
  const left = Math.ceil(TITLE + rowLabelWidth);
  const top = Math.ceil(TITLE + columnLabelHeight);
  const plotW = columns * cell;
  const plotH = rows * cell;
  const width = Math.ceil(left + Math.max(plotW, textWidth(columnTitle, TITLE_FONT)) + PAD);
  const height = Math.ceil(top + Math.max(plotH, textWidth(rowTitle, TITLE_FONT)) + PAD);
  return { cell, left, top, width, height, step, rotateColumnLabels, font: LABEL_FONT };
}

export type MarkAxis = 'rows' | 'columns';

/** A drag along a label band, in display positions, from where the button went down to where the pointer is now. */
export interface MarkDrag {
  axis: MarkAxis;
  from: number;
  to: number;
}

/** Colour of marked groups: cyan is no colour of the magma scale, so a band reads on every cell. */
export const MARK_COLOUR = '#17c3e6';

/** Runs of consecutive display positions, so a marked group outlines as few boxes as it can. */
export function positionRuns(positions: readonly number[]): [number, number][] {
  const sorted = [...positions].sort((x, y) => x - y);
  const runs: [number, number][] = [];
  for (const p of sorted) {
    const last = runs[runs.length - 1];
    if (last && p === last[1] + 1) last[1] = p;
    else if (!last || p !== last[1]) runs.push([p, p]);
  }
  return runs;
}

export interface HeatmapDrawing {
  cells: { image: CanvasImageSource; undefinedCells: number[] };
  layout: Layout;
  theme: ChartTheme;
  rowOrder: number[];
  columnOrder: number[];
  /** Display position by channel. */
  rowPos: number[];
  columnPos: number[];
  highlightRow: number | null;
  highlightColumn: number | null;
  selected: CellRef | null;
  /** The keyboard cursor, in display positions, when the heatmap has the focus. */
  cursor: { x: number; y: number } | null;
  markedRowPositions: number[];
  markedColumnPositions: number[];
  /** A drag along a label band, drawn as a dashed preview. */
  drag: MarkDrag | null;
  rowTitle: string;
  columnTitle: string;
}

/** Draws the whole heatmap on `canvas`, sized to the layout. */
export function drawHeatmap(canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D, p: HeatmapDrawing): void {
  const { cells, layout, theme, rowOrder, columnOrder, rowPos, columnPos, markedRowPositions, markedColumnPositions, drag } = p;
  const nRows = rowOrder.length;
  const nColumns = columnOrder.length;
  const ratio = pixelRatio();
  const { cell, left, top, width, height } = layout;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, width, height);
  const plotW = nColumns * cell;
  const plotH = nRows * cell;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(cells.image, left, top, plotW, plotH);

  if (cells.undefinedCells.length && cell >= 4) {
    ctx.fillStyle = undefinedPattern(ctx, theme.background);
    ctx.beginPath();
    for (const p of cells.undefinedCells) ctx.rect(left + (p % nColumns) * cell, top + Math.floor(p / nColumns) * cell, cell, cell);
    ctx.fill();
  }

  // Linked selection: the whole row / column of the focused channel.
  const hr = p.highlightRow !== null ? rowPos[p.highlightRow] : undefined;
  const hc = p.highlightColumn !== null ? columnPos[p.highlightColumn] : undefined;
  ctx.strokeStyle = theme.focus;
  ctx.lineWidth = 2;
  ctx.setLineDash([]);
  if (hr !== undefined) ctx.strokeRect(left - 1, top + hr * cell - 1, plotW + 2, cell + 2);
  if (hc !== undefined) ctx.strokeRect(left + hc * cell - 1, top - 1, cell + 2, plotH + 2);

  // Marked groups (Fig. 8B): a dark and a cyan outline around each run of marked columns / rows
  // over the cells, and a cyan bar in the label band beside each marked channel.
  const band = (axis: MarkAxis, from: number, to: number, dashed: boolean) => {
    const [x, y, w, h] =
      axis === 'columns'
        ? [left + from * cell, top, (to - from + 1) * cell, plotH]
        : [left, top + from * cell, plotW, (to - from + 1) * cell];
    ctx.setLineDash(dashed ? [4, 3] : []);
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#000000';
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = MARK_COLOUR;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    ctx.setLineDash([]);
    ctx.fillStyle = MARK_COLOUR;
    if (axis === 'columns') ctx.fillRect(x, top - 3, w, 3);
    else ctx.fillRect(left - 3, y, 3, h);
  };
  for (const [from, to] of positionRuns(markedColumnPositions)) band('columns', from, to, false);
  for (const [from, to] of positionRuns(markedRowPositions)) band('rows', from, to, false);
  if (drag) band(drag.axis, Math.min(drag.from, drag.to), Math.max(drag.from, drag.to), true);

  // Selected cell: a dark and a light ring, visible on every colour of the scale.
  if (p.selected) {
    const sy = rowPos[p.selected.r];
    const sx = columnPos[p.selected.c];
    if (sx !== undefined && sy !== undefined) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#000000';
      ctx.strokeRect(left + sx * cell - 2, top + sy * cell - 2, cell + 4, cell + 4);
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#ffffff';
      ctx.strokeRect(left + sx * cell - 0.5, top + sy * cell - 0.5, cell + 1, cell + 1);
    }
  }
  const cur = p.cursor;
  const onSelected = p.selected && cur && rowOrder[cur.y] === p.selected.r && columnOrder[cur.x] === p.selected.c;
  if (cur && !onSelected) {
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2;
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(left + cur.x * cell - 3, top + cur.y * cell - 3, cell + 6, cell + 6);
    ctx.setLineDash([]);
  }

  // Channel labels, in display order.
  ctx.font = layout.font;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (let y = 0; y < nRows; y += layout.step) {
    const ch = rowOrder[y];
    ctx.fillStyle = ch === p.highlightRow ? theme.focus : theme.muted;
    ctx.fillText(String(ch), left - 4, top + y * cell + cell / 2);
  }
  for (let x = 0; x < nColumns; x += layout.step) {
    const ch = columnOrder[x];
    ctx.fillStyle = ch === p.highlightColumn ? theme.focus : theme.muted;
    const cx = left + x * cell + cell / 2;
    if (layout.rotateColumnLabels) {
      ctx.save();
      ctx.translate(cx, top - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'left';
      ctx.fillText(String(ch), 0, 0);
      ctx.restore();
    } else {
      ctx.textAlign = 'center';
      ctx.fillText(String(ch), cx, top - 9);
    }
  }
  // Axis titles: columns above, rows rotated on the left.
  ctx.font = TITLE_FONT;
  ctx.fillStyle = theme.foreground;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(p.columnTitle, left, 12);
  ctx.save();
  ctx.translate(12, top);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'right';
  ctx.fillText(p.rowTitle, 0, 0);
  ctx.restore();
}

/**
 * Where a pointer is on the cell grid: layout pixels from the grid's corner (negative over the label
 * bands) and the cell column and row they fall in. CSS may shrink the canvas, so client pixels are
 * scaled to layout pixels first.
 */
function gridPoint(
  canvas: HTMLCanvasElement,
  layout: Layout,
  clientX: number,
  clientY: number,
): { px: number; py: number; x: number; y: number } {
  const box = canvas.getBoundingClientRect();
  const sx = box.width ? layout.width / box.width : 1;
  const sy = box.height ? layout.height / box.height : 1;
  const px = (clientX - box.left) * sx - layout.left;
  const py = (clientY - box.top) * sy - layout.top;
  return { px, py, x: Math.floor(px / layout.cell), y: Math.floor(py / layout.cell) };
}

/** The displayed cell under a pointer, in display positions, or null off the cells. */
export function cellAtPoint(
  canvas: HTMLCanvasElement | null,
  layout: Layout,
  nRows: number,
  nColumns: number,
  clientX: number,
  clientY: number,
): { x: number; y: number } | null {
  if (!canvas) return null;
  const { px, py, x, y } = gridPoint(canvas, layout, clientX, clientY);
  return px >= 0 && py >= 0 && x < nColumns && y < nRows ? { x, y } : null;
}

/** The label band under the pointer: above the cells = a column, left of them = a row. */
export function headerAtPoint(
  canvas: HTMLCanvasElement | null,
  layout: Layout,
  nRows: number,
  nColumns: number,
  clientX: number,
  clientY: number,
): { axis: MarkAxis; pos: number } | null {
  if (!canvas) return null;
  const { px, py, x, y } = gridPoint(canvas, layout, clientX, clientY);
  if (py < 0 && px >= 0 && x < nColumns) return { axis: 'columns', pos: x };
  if (px < 0 && py >= 0 && y < nRows) return { axis: 'rows', pos: y };
  return null;
}

/** Screen position of a displayed cell's lower right corner, where the keyboard cursor's tooltip goes. */
export function cellCorner(canvas: HTMLCanvasElement, layout: Layout, x: number, y: number): { x: number; y: number } {
  const box = canvas.getBoundingClientRect();
  const s = box.width / layout.width;
  return { x: box.left + (layout.left + (x + 1) * layout.cell) * s, y: box.top + (layout.top + (y + 1) * layout.cell) * s };
}

/** Where a drag along a band is now: its position on the band's axis, clamped to the matrix. */
export function dragPosition(
  canvas: HTMLCanvasElement,
  layout: Layout,
  count: number,
  axis: MarkAxis,
  clientX: number,
  clientY: number,
): number {
  const { x, y } = gridPoint(canvas, layout, clientX, clientY);
  return Math.max(0, Math.min(count - 1, axis === 'columns' ? x : y));
}
