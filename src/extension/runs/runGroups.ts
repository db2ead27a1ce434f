// The Recorded Runs view groups runs by the model file they recorded: with
// hundreds of runs a flat list hides the runs of the model one is working on. Pure, without VS Code,
// so the grouping is tested in plain Node (test/unit/extension/runs/runGroups.test.ts).
import { resolve } from 'node:path';
import type { RunRecord } from '../../run/store';

/** The runs of one model file, newest first. */
export interface RunGroup {
  /** The model file, absolute (where the run's model is now, runLocation.ts). */
  modelFile: string;
  runs: RunRecord[];
}

/**
 * Runs grouped by model file: groups in the order of their newest run (the model recorded last
 * comes first), runs in each group in the order given (the run index lists them newest first).
 */
export function groupRunsByModel(runs: readonly RunRecord[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  for (const record of runs) {
    const modelFile = resolve(record.manifest.model.file);
    let group = groups.get(modelFile);
    if (!group) groups.set(modelFile, (group = { modelFile, runs: [] }));
    group.runs.push(record);
  }
  const newest = (g: RunGroup) => g.runs.reduce((t, r) => (r.manifest.createdAt > t ? r.manifest.createdAt : t), '');
  return [...groups.values()].sort((a, b) => newest(b).localeCompare(newest(a)) || a.modelFile.localeCompare(b.modelFile));
}

/** How many runs a group may hold and still open expanded: a bigger one waits for a click. */
export const GROUP_EXPANDED_MAX_RUNS = 50;
