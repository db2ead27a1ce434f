/**
 * The run index with 1,000 runs in a workspace: the first listing of a new window without the
 * persisted index (every run read) and with it (src/run/listingIndex.ts: every run only stamped),
 * measured alternately in this process, the second with its goal and its ratio to the first; and a
 * refresh after one new run (the other 999 only stamped, src/run/listingCache.ts). Each is the
 * median of five.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRunFolders, RunListing } from '../src/run/listing';
import { addManyRun, removeManyRunsTemplate, writeManyRuns } from '../test/support/manyRuns';

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
    // An earlier window listed the folder and left its index.
    const earlier = new RunListing();
    await earlier.list([runsFolder]);
    await earlier.indexWritten();
    const firstMs: number[] = [];
    const indexedMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      let started = performance.now();
      await listRunFolders([runsFolder]);
      firstMs.push(performance.now() - started);
      started = performance.now();
      const list = await new RunListing().list([runsFolder]);
      indexedMs.push(performance.now() - started);
      if (list.runs.length !== RUN_COUNT) throw new Error(`the indexed listing listed ${list.runs.length} runs, not ${RUN_COUNT}`);
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
    await listing.indexWritten();
    removeManyRunsTemplate(root);
    const ratio = median(indexedMs) / median(firstMs);
    return [
      { label: `1,000-run listing, new window without the index (every run read; median of ${REPEATS})`, ms: median(firstMs) },
      {
        label: `1,000-run listing, new window with the index (median of ${REPEATS}; ${ratio.toFixed(2)}× the line above)`,
        ms: median(indexedMs),
        goalMs: 100,
      },
      { label: `1,000-run listing, refresh after one new run (median of ${REPEATS})`, ms: median(refreshMs), goalMs: 200 },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
