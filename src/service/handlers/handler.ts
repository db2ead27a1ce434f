/**
 * The shape of a query handler: one per query kind, each answering its kind from a QueryContext,
 * its query and answer types those of the kind's descriptor (src/contract/queries/<kind>.ts).
 */
import type { AnswerOf, QueryKind, QueryOf } from '../../contract/queries';
import type { QueryContext } from '../queryContext';

export type Handler<K extends QueryKind> = (q: QueryOf<K>, ctx: QueryContext) => Promise<AnswerOf[K]> | AnswerOf[K];

/** One handler per kind: a descriptor added to the vocabulary without its handler does not compile. */
export type HandlerTable = { [K in QueryKind]: Handler<K> };

/** An entropy as the answers carry it: `null` where undefined (estimators.md: never a made-up number). */
export function orNull(v: number | undefined): number | null {
  return v === undefined || Number.isNaN(v) ? null : v;
}

/** The smallest and largest value of `a` (`[0, 0]` when empty). */
export function valueRange(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? [0, 0] : [lo, hi];
}
