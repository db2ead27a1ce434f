// The capacity matrix as the heatmaps read it: sort orders, figures, the shared colour domain, the
// undefined-cell pattern and the one-pixel-per-cell image every heatmap and strip scales up.
import { rgb } from 'd3-color';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { capacityScale } from '../colours';

export type SortKey = 'original' | 'max' | 'mean';
export interface HeatmapSort {
  rows: SortKey;
  columns: SortKey;
}

/** A cell by channel indices: `r` of layer J (row), `c` of layer I (column). */
export interface CellRef {
  r: number;
  c: number;
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The displayed row and column orders for a sort; the answer carries them, so nothing is asked again. */
export function displayOrders(a: CapacityMatrixAnswer, sort: HeatmapSort): { rowOrder: number[]; columnOrder: number[] } {
  const pick = (key: SortKey, byMax: number[], byMean: number[], n: number) => {
    const order = key === 'max' ? byMax : key === 'mean' ? byMean : undefined;
    // A malformed order would silently misplace cells; the original order is always right.
    return order && order.length === n ? order : identity(n);
  };
  return {
    rowOrder: pick(sort.rows, a.orders.rowMax, a.orders.rowMean, a.rows),
    columnOrder: pick(sort.columns, a.orders.columnMax, a.orders.columnMean, a.columns),
  };
}

export interface MatrixStats {
  min: number;
  max: number;
  undefinedCount: number;
}

export function matrixStats(a: CapacityMatrixAnswer): MatrixStats {
  let min = Infinity;
  let max = -Infinity;
  let undefinedCount = 0;
  for (const v of a.values) {
    if (v === null || !Number.isFinite(v)) undefinedCount++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min === Infinity ? { min: 0, max: 0, undefinedCount } : { min, max, undefinedCount };
}

/**
 * How the colour domain of a heatmap is chosen: one for every epoch of the pair (`shared`), one for
 * every epoch of every pair the view compares (`pairs`, so depth reads across pairs), or this matrix's own.
 */
export type ScaleMode = 'shared' | 'pairs' | 'matrix';

/**
 * The top of a shared colour domain: the largest defined value over every matrix given (the
 * epochs of a pair known so far, and the other heatmaps on screen), so one value has one colour in
 * all of them. Never below the value itself would need: at least the largest of each matrix.
 */
export function sharedMaxBits(matrices: Iterable<MatrixStats>): number {
  let max = 0;
  for (const s of matrices) if (s.max > max) max = s.max;
  return max;
}

/** Base colour of undefined cells: a neutral grey, outside the magma colours of defined cells. */
export const UNDEFINED_GREY = '#8a8a8a';

/** Grey with diagonal stripes in the background colour: "no value here", never a colour of the scale. */
export function undefinedPattern(ctx: CanvasRenderingContext2D, background: string): CanvasPattern | string {
  const tile = document.createElement('canvas');
  tile.width = 6;
  tile.height = 6;
  const t = tile.getContext('2d');
  if (!t) return UNDEFINED_GREY;
  t.fillStyle = UNDEFINED_GREY;
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = background;
  t.lineWidth = 1.5;
  t.beginPath();
  t.moveTo(-1, 7);
  t.lineTo(7, -1);
  t.moveTo(-1, 1);
  t.lineTo(1, -1);
  t.moveTo(5, 7);
  t.lineTo(7, 5);
  t.stroke();
  return ctx.createPattern(tile, 'repeat') ?? UNDEFINED_GREY;
}

/** 1024 colours of the scale as bytes: calling a d3 scale per cell is too slow for 262,144 cells. */
function colourTable(maxBits: number): Uint8ClampedArray {
  const scale = capacityScale(maxBits);
  const table = new Uint8ClampedArray(1024 * 3);
  for (let i = 0; i < 1024; i++) {
    const c = rgb(scale((maxBits * i) / 1023));
    table[i * 3] = c.r;
    table[i * 3 + 1] = c.g;
    table[i * 3 + 2] = c.b;
  }
  return table;
}

/** One pixel per cell in display order, plus the list of undefined cells (display positions). The strips draw it too. */
export function cellImage(
  a: CapacityMatrixAnswer,
  rowOrder: number[],
  columnOrder: number[],
  maxBits: number,
): { image: HTMLCanvasElement; undefinedCells: number[] } {
  // Rows and columns as displayed: a slice may show only some channels of each layer.
  const rows = rowOrder.length;
  const columns = columnOrder.length;
  const { values, columns: stride } = a;
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, columns);
  canvas.height = Math.max(1, rows);
  const ctx = canvas.getContext('2d');
  const undefinedCells: number[] = [];
  if (!ctx || rows === 0 || columns === 0) return { image: canvas, undefinedCells };
  const img = ctx.createImageData(columns, rows);
  const px = img.data;
  const table = colourTable(maxBits);
  const grey = rgb(UNDEFINED_GREY);
  const k = maxBits > 0 ? 1023 / maxBits : 0;
  for (let y = 0; y < rows; y++) {
    const base = rowOrder[y] * stride;
    for (let x = 0; x < columns; x++) {
      const v = values[base + columnOrder[x]];
      const o = (y * columns + x) * 4;
      if (v === null || !Number.isFinite(v)) {
        px[o] = grey.r;
        px[o + 1] = grey.g;
        px[o + 2] = grey.b;
        undefinedCells.push(y * columns + x);
      } else {
        const t = Math.max(0, Math.min(1023, Math.round(v * k))) * 3;
        px[o] = table[t];
        px[o + 1] = table[t + 1];
        px[o + 2] = table[t + 2];
      }
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return { image: canvas, undefinedCells };
}
