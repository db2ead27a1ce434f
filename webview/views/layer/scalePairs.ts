// The matrices behind the heatmap's "shared across pairs" colour scale: every epoch of every pair the
// Layer view compares (the consecutive multi-channel pairs, the depth strip's pairs, and the pair
// shown), so a value keeps its colour when the user switches pairs.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { canonicalQuery } from '../../../src/contract/queries';
import type { CapacityMatrixAnswer } from '../../../src/contract/queries';
import type { InputSubset } from '../../../src/analysis/subsets';
import type { RunManifest } from '../../../src/contract/runFormat';
import { capacityPairs, queries, reportDepthPairs } from '../../../src/contract/plan';
import { useApp } from '../../state';

/**
 * The pairs the shared-across-pairs scale spans: the consecutive multi-channel pairs and the first
 * convolution against every later multi-channel layer (what a report precomputes), and the pair shown.
 * It does not depend on the pair shown unless that pair is outside the set, so switching between
 * them keeps the scale.
 */
export function scalePairs(manifest: RunManifest, layerI: number, layerJ: number): [number, number][] {
  const out: [number, number][] = [];
  const add = (i: number, j: number) => {
    if (!out.some(([a, b]) => a === i && b === j)) out.push([i, j]);
  };
  for (const [i, j] of capacityPairs(manifest)) add(i, j);
  for (const [i, j] of reportDepthPairs(manifest)) add(i, j);
  add(layerI, layerJ);
  return out;
}

const NONE: ReadonlyMap<string, CapacityMatrixAnswer> = new Map();

/** The matrices of the scale's pairs at every recorded epoch, as far as they are known. */
export interface ScaleMatrices {
  pairs: [number, number][];
  /** By canonical query. */
  answers: ReadonlyMap<string, CapacityMatrixAnswer>;
  /** How many matrices the scale spans (pairs × epochs). */
  total: number;
  /** How many could not be had (not in this report, or the service refused). */
  missing: number;
}

/**
 * Asks every matrix of the scale's pairs, one at a time, at the current epoch first, while `active`
 * (the scale mode is "shared across pairs"). Every query goes through `queries` (src/contract/plan.ts)
 * and the shared answer cache, so nothing known is asked again.
 */
export function useScaleMatrices(layerI: number, layerJ: number, subset: InputSubset, epoch: number, active: boolean): ScaleMatrices {
  const { manifest, data, cache } = useApp();
  const pairs = useMemo(() => scalePairs(manifest, layerI, layerJ), [manifest, layerI, layerJ]);
  const epochs = manifest.epochs;
  const subsetKey = JSON.stringify(subset);
  const list = useMemo(
    () => epochs.flatMap((e) => pairs.map(([i, j]) => queries.capacityMatrix(i, j, e, subset))),
    [pairs, epochs, subsetKey],
  );
  const key = list.map(canonicalQuery).join('|');
  // The current epoch's matrices are asked first; the epoch is fixed when the asks start, so
  // scrubbing does not restart them.
  const from = useRef(epoch);
  if (!active) from.current = epoch;
  const [state, setState] = useState<{ key: string; answers: Map<string, CapacityMatrixAnswer>; missing: number }>({
    key,
    answers: new Map(),
    missing: 0,
  });
  useEffect(() => {
    setState({ key, answers: new Map(), missing: 0 });
    if (!active) return;
    const controller = new AbortController();
    void (async () => {
      const first = list.filter((q) => q.epoch === from.current);
      for (const q of [...first, ...list.filter((q) => q.epoch !== from.current)]) {
        if (controller.signal.aborted) return;
        const k = canonicalQuery(q);
        let answer = cache.get(k) as CapacityMatrixAnswer | undefined;
        if (answer === undefined) {
          try {
            answer = await data.query(q, { view: 'layer', priority: 'background', signal: controller.signal });
            cache.set(k, answer);
          } catch {
            if (controller.signal.aborted) return;
            setState((old) => (old.key === key ? { ...old, missing: old.missing + 1 } : old));
            continue;
          }
        }
        if (controller.signal.aborted) return;
        const got = answer;
        setState((old) => (old.key === key ? { ...old, answers: new Map([...old.answers, [k, got]]) } : old));
      }
    })();
    return () => controller.abort();
  }, [key, active, data, cache]);
  const answers = state.key === key && active ? state.answers : NONE;
  return { pairs, answers, total: list.length, missing: state.key === key && active ? state.missing : 0 };
}
