/** `capacityMatrix`: the channel capacity of every channel pair of two layers (paper 5.3), with sort orders. */
import { sortMatrix } from '../../analysis';
import { CancelledError } from '../../analysis/errors';
import { answerKey } from '../answerKey';
import type { AnswerOf, QueryOf } from '../../contract/queries';
import type { QueryContext } from '../queryContext';
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

/** Throws CancelledError when the query's caller has gone. */
export function checkCancelled(ctx: QueryContext): void {
  if (ctx.control.signal?.aborted) throw new CancelledError();
}

/**
 * The `capacityMatrix` answer from the run's answer cache, or computed by its handler and stored
 * where that query will find it: the network graph and the findings read their matrices this way,
 * so the Layer view opens them at once.
 */
export async function cachedCapacityMatrix(query: QueryOf<'capacityMatrix'>, ctx: QueryContext): Promise<AnswerOf['capacityMatrix']> {
  const key = answerKey(ctx.run, query);
  const hit = ctx.run.cache.get<AnswerOf['capacityMatrix']>(key);
  if (hit) return hit;
  const answer = await capacityMatrix(query, ctx);
  checkCancelled(ctx);
  ctx.run.cache.set(key, answer);
  return answer;
}
