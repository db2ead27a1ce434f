/**
 * The name of a query's answer in a run's answer cache (src/run/cache.ts): the engine stores and
 * finds answers under it, and a handler that reuses another kind's answer (the network graph reads
 * capacity matrices) finds the very entry the engine wrote, and writes the one the engine will find.
 */
import { DEFAULT_PLANE_BINS } from '../analysis/labelInformation';
import { AnswerCache } from '../run/cache';
import { canonicalQuery, Query, QUERY_VERSION } from '../contract/queries';
import type { RunState } from './runs';

/**
 * The cache key of `query`'s answer on `run`: query vocabulary version, run fingerprint, canonical
 * query with defaults, and — for a query that names no epoch (about the last epoch by default, or
 * every epoch) — the run's epochs now. A run gains epochs after answers were cached (a recording, a
 * PyTorch run measured epoch by epoch): its `findings` of "the last epoch" were answered from the
 * cache with the epoch before, for good (issue 66). A query that names its epoch keeps its entry.
 */
export function answerKey(run: RunState, query: Query): string {
  const namesEpoch = 'epoch' in query && typeof query.epoch === 'number';
  const epochs = namesEpoch ? [] : [`epochs:${run.record.manifest.epochs.join(',')}`];
  return AnswerCache.key([String(QUERY_VERSION), run.fingerprint, canonicalQuery(withDefaults(run, query)), ...epochs]);
}

/** The query with the run's default bins filled in, so a cached answer is found however it was asked. */
function withDefaults(run: RunState, q: Query): Query {
  const bins = run.record.manifest.settings.bins;
  if ('bins' in q || q.kind === 'capacityMatrix' || q.kind === 'layerCapacity' || q.kind === 'channelPair')
    return { ...q, bins: (q as { bins?: number }).bins ?? bins };
  // The binning estimator's default is its own (30 bins, estimators.md), not the run's.
  if (q.kind === 'channelLabelInformation' || q.kind === 'informationPlane')
    return { ...q, bins: q.kind === 'informationPlane' && q.estimator === 'binned' ? DEFAULT_PLANE_BINS : bins };
  return q;
}
