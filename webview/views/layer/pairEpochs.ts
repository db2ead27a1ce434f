// The capacity matrices of the Layer view's pair at every recorded epoch, asked ahead of playback.
import { useEffect, useRef, useState } from 'preact/hooks';
import { canonicalQuery } from '../../../src/contract/queries';
import type { CapacityMatrixAnswer, QueryPriority } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import { queries } from '../../../src/contract/plan';
import { useApp } from '../../state';

/** The capacity matrices of one layer pair at every recorded epoch, as far as they are known. */
export interface PairEpochs {
  /** The pair and subset they belong to (canonical query of epoch 0): never mix two pairs. */
  key: string;
  answers: ReadonlyMap<number, CapacityMatrixAnswer>;
  failed: ReadonlySet<number>;
}

/**
 * Asks the pair's matrix at every recorded epoch, one at a time (the service computes them in
 * turn anyway), starting once the current epoch's answer is shown and going forward from it, as
 * playback will. Every query goes through `queries` (src/contract/plan.ts) and the shared answer cache,
 * so the views and the prefetch never ask the same slice twice once it is known.
 */
export function usePairEpochs(layerI: number, layerJ: number, subset: InputSubset, start: boolean, fromEpoch: number): PairEpochs {
  const { manifest, data, cache } = useApp();
  const key = canonicalQuery(queries.capacityMatrix(layerI, layerJ, 0, subset));
  const [state, setState] = useState<PairEpochs>({ key, answers: new Map(), failed: new Set() });
  // The first epoch asked is fixed when the prefetch starts: scrubbing must not restart it.
  const from = useRef(fromEpoch);
  if (!start) from.current = fromEpoch;
  useEffect(() => {
    setState({ key, answers: new Map(), failed: new Set() });
    if (!start) return;
    const controller = new AbortController();
    const epochs = manifest.epochs;
    const at = Math.max(0, epochs.indexOf(from.current));
    const order = [...epochs.slice(at), ...epochs.slice(0, at)];
    void (async () => {
      for (const epoch of order) {
        if (controller.signal.aborted) return;
        const q = queries.capacityMatrix(layerI, layerJ, epoch, subset);
        const k = canonicalQuery(q);
        let answer = cache.get(k) as CapacityMatrixAnswer | undefined;
        if (answer === undefined) {
          try {
            answer = await data.query(q, { view: 'layer', priority: prefetchPriority(epochs, at, epoch), signal: controller.signal });
            cache.set(k, answer);
          } catch {
            if (controller.signal.aborted) return;
            setState((old) => (old.key === key ? { ...old, failed: new Set([...old.failed, epoch]) } : old));
            continue;
          }
        }
        if (controller.signal.aborted) return;
        const got = answer;
        setState((old) => (old.key === key ? { ...old, answers: new Map([...old.answers, [epoch, got]]) } : old));
      }
    })();
    return () => controller.abort();
    // The subset is part of `key`.
  }, [key, start, data, cache, manifest.epochs]);
  return state.key === key ? state : { key, answers: new Map(), failed: new Set() };
}

/**
 * How soon the prefetch of `epoch` is needed when the view shows `epochs[at]`: the epoch shown is
 * on screen (`visible`), its neighbours are what a slider step or playback shows next (`soon`; the
 * first epoch follows the last, as the prefetch goes round), the others are off screen
 * (`background`), so the service computes what anyone looks at first.
 */
export function prefetchPriority(epochs: number[], at: number, epoch: number): QueryPriority {
  const steps = Math.abs(epochs.indexOf(epoch) - at);
  const distance = Math.min(steps, epochs.length - steps);
  return distance === 0 ? 'visible' : distance === 1 ? 'soon' : 'background';
}
