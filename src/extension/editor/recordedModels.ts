// Which runs' findings the Problems panel publishes after a reload, before any model file is shown:
// the newest run of every recorded model file (the run its lenses would read: epochs recorded, not
// a control experiment) when its findings can be asked (findingsAnswerable: no longer recording, or a
// PyTorch run with a measured epoch). Pure, so it is tested in
// plain Node (test/unit/extension/editor/recordedModels.test.ts); findingsDiagnostics.ts opens the files.
import { resolve } from 'node:path';
import type { RunRecord } from '../../run/store';
import { findingsAnswerable } from './findingsRequest';

/** The most model files published at once: a workspace with more gets the newest recorded ones. */
export const MAX_PUBLISHED_MODELS = 50;

/**
 * Per model file (by its recorded path), its newest run with an epoch that is not a control
 * experiment, if its findings can be asked (findingsAnswerable); newest model first, at most
 * MAX_PUBLISHED_MODELS. `runs` is newest first, as the run index lists them.
 */
export function runsToPublish(runs: readonly RunRecord[]): RunRecord[] {
  const newest = new Map<string, RunRecord>();
  for (const r of runs) {
    if (r.manifest.epochs.length === 0 || r.manifest.control) continue;
    const key = resolve(r.manifest.model.file);
    if (!newest.has(key)) newest.set(key, r);
  }
  return [...newest.values()].filter(findingsAnswerable).slice(0, MAX_PUBLISHED_MODELS);
}
