/** `capacityMatrix`: the channel capacity of every channel pair of two layers (paper 5.3), with sort orders. */
import { sortMatrix } from '../../analysis';
import { Handler, orNull } from './handler';

export const capacityMatrix: Handler<'capacityMatrix'> = async (q, ctx) => {
  const { indices, bins, columns, rows } = await ctx.layerPairCodes(q);
  ctx.control.onProgress?.(0.8, 'capacity matrix');
  const cm = await ctx.computePool().capacityFromCodes(columns, rows, ctx.control.signal);
  const rowMax = sortMatrix(cm.values, cm.rows, cm.columns, 'max');
  const rowMean = sortMatrix(cm.values, cm.rows, cm.columns, 'mean');
  return {
    layerI: q.layerI,
    layerJ: q.layerJ,
    epoch: q.epoch,
    inputCount: indices.length,
    bins,
    rows: cm.rows,
    columns: cm.columns,
    values: Array.from(cm.values, orNull),
    orders: { rowMax: rowMax.rowOrder, rowMean: rowMean.rowOrder, columnMax: rowMax.columnOrder, columnMean: rowMean.columnOrder },
  };
};
