/** Display orders of a capacity matrix's rows and columns (paper 5.3.2). */
/** How rows or columns of a capacity matrix are ordered (paper 5.3.2). */
export type SortKey = 'none' | 'max' | 'mean';

/** Row and column display orders of a matrix: `rowOrder[k]` is the row shown in position `k`. */
export interface MatrixOrder {
  rowOrder: number[];
  columnOrder: number[];
}

/**
 * Orders the rows and columns of a `[rows, columns]` matrix by their max or mean, descending,
 * ties by index (paper 5.3.2). Undefined (NaN) cells are ignored; a row with no defined cell goes
 * last. The matrix itself is not moved, so a view can re-sort without recomputing.
 */
export function sortMatrix(
  values: ArrayLike<number>,
  rows: number,
  columns: number,
  rowKey: SortKey,
  columnKey: SortKey = rowKey,
): MatrixOrder {
  const score = (key: SortKey, count: number, len: number, at: (k: number, t: number) => number): number[] => {
    const order = Array.from({ length: count }, (_, k) => k);
    if (key === 'none') return order;
    const s = order.map((k) => {
      let best = -Infinity;
      let sum = 0;
      let defined = 0;
      for (let t = 0; t < len; t++) {
        const v = at(k, t);
        if (v !== v) continue;
        if (v > best) best = v;
        sum += v;
        defined++;
      }
      return defined === 0 ? -Infinity : key === 'max' ? best : sum / defined;
    });
    return order.sort((a, b) => s[b] - s[a] || a - b);
  };
  return {
    rowOrder: score(rowKey, rows, columns, (r, c) => values[r * columns + c]),
    columnOrder: score(columnKey, columns, rows, (c, r) => values[r * columns + c]),
  };
}
