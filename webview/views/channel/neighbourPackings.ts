// Asks and packs the epochs either side of the one shown, so stepping through the epochs is smooth.
import { useEffect } from 'preact/hooks';
import { canonicalQuery } from '../../../src/contract/queries';
import type { ChannelEntropiesAnswer } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import { cachedPack } from '../../charts/circlePackingLayout';
import { queries } from '../../../src/contract/plan';
import { useApp } from '../../state';

/**
 * Once the epoch shown is on screen (`ready`), asks the channel entropies of the epochs either side
 * of it as `soon` (a slider step or playback shows them next) and lays their circle packing out
 * while the page is idle, so that stepping through the epochs finds both ready instead of packing
 * 512 × 11 circles at each step. A report that lacks those epochs simply has nothing to prefetch.
 */
export function useNeighbourPackings(
  layer: number,
  epoch: number,
  subset: InputSubset,
  channels: number[],
  classes: number[] | undefined,
  ready: boolean,
): void {
  const { manifest, data, cache } = useApp();
  const subsetKey = JSON.stringify(subset);
  useEffect(() => {
    if (!ready) return;
    const controller = new AbortController();
    const idle: (() => void)[] = [];
    const at = manifest.epochs.indexOf(epoch);
    const neighbours = at < 0 ? [] : [manifest.epochs[at + 1], manifest.epochs[at - 1]].filter((e): e is number => e !== undefined);
    for (const e of neighbours) {
      const q = queries.channelEntropies(layer, e, subset);
      const key = canonicalQuery(q);
      const known = cache.get(key) as ChannelEntropiesAnswer | undefined;
      const asked = known
        ? Promise.resolve(known)
        : data.query(q, { view: 'channel', priority: 'soon', signal: controller.signal }).then((a) => {
            cache.set(key, a);
            return a;
          });
      asked.then(
        (a) => {
          if (controller.signal.aborted) return;
          idle.push(
            whenIdle(() =>
              cachedPack(
                a,
                channels.filter((c) => c < a.all.length),
                classes,
              ),
            ),
          );
        },
        () => undefined,
      );
    }
    return () => {
      controller.abort();
      for (const cancel of idle) cancel();
    };
    // The subset is described by `subsetKey`.
  }, [ready, layer, epoch, subsetKey, channels, classes, manifest.epochs, data, cache]);
}

/** Runs `work` when the page is idle (or within two seconds); returns its cancellation. */
function whenIdle(work: () => void): () => void {
  if (typeof window.requestIdleCallback === 'function') {
    const id = window.requestIdleCallback(work, { timeout: 2000 });
    return () => window.cancelIdleCallback(id);
  }
  const id = window.setTimeout(work, 50);
  return () => clearTimeout(id);
}
