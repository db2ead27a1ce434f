/**
 * The run index with 1,000 runs in a workspace (issue 14, "Many runs"): the first listing (every
 * run read) and a refresh after one new run (the other 999 only stamped, src/run/listingCache.ts),
 * the second with its goal. Each is the median of five.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRunFolders, RunListing } from '../src/extension/runs/runListing';
import { addManyRun, removeManyRunsTemplate, writeManyRuns } from '../test/unit/support/manyRuns';

export interface RunListingBenchLine {
  label: string;
  ms: number;
  goalMs?: number;
}

const RUN_COUNT = 1000;
const REPEATS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function benchRunListing(): Promise<RunListingBenchLine[]> {
  const root = mkdtempSync(join(tmpdir(), 'cnnslicer-bench-runs-'));
  try {
    const { runsFolder } = writeManyRuns(root, RUN_COUNT);
    const firstMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const started = performance.now();
      await listRunFolders([runsFolder]);
      firstMs.push(performance.now() - started);
    }
    const listing = new RunListing();
    await listing.list([runsFolder]);
    const template = join(root, 'template');
    const refreshMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      addManyRun(root, runsFolder, template, RUN_COUNT + i, RUN_COUNT);
      const started = performance.now();
      const list = await listing.list([runsFolder]);
      refreshMs.push(performance.now() - started);
      if (list.runs.length !== RUN_COUNT + i + 1) throw new Error(`the refresh listed ${list.runs.length} runs, not ${RUN_COUNT + i + 1}`);
    }
    removeManyRunsTemplate(root);
    return [
      { label: `1,000-run listing, first (every run read; median of ${REPEATS})`, ms: median(firstMs) },
      { label: `1,000-run listing, refresh after one new run (median of ${REPEATS})`, ms: median(refreshMs), goalMs: 200 },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
