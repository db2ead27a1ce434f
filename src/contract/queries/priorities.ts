/**
 * How soon a query's answer is needed, for a burst of queries (docs/queries.md "Priority"):
 * `visible` — on screen now (the default), `soon` — what the user is likely to look at next
 * (a neighbouring epoch or layer), `background` — precomputing (a report, a prefetch). The
 * service computes waiting queries in this order, first come first within one priority; answers
 * from the summaries or the answer cache never wait.
 */
export const QUERY_PRIORITIES = ['visible', 'soon', 'background'] as const;
export type QueryPriority = (typeof QUERY_PRIORITIES)[number];
