// The listing behind the run index, without VS Code: every run of the runs folders, each read where
// it is now (src/extension/runLocation.ts), newest first, and the folders that could not be read.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { listRunsAsync, type RunRecord } from '../run/store';
import { relocatedModelFile, relocateRun } from './runLocation';

export interface RunListError {
  folder: string;
  message: string;
}

export interface RunList {
  /** Every readable run, newest first. */
  runs: RunRecord[];
  /** The run folders that could not be read, with why. */
  errors: RunListError[];
}

/** Every run of `runsFolders`, newest first, and the folders that could not be read. */
export async function listRunFolders(runsFolders: readonly string[]): Promise<RunList> {
  const runs: RunRecord[] = [];
  const errors: RunListError[] = [];
  for (const folder of runsFolders) {
    try {
      const r = await listRunsAsync(folder);
      for (const run of r.runs) runs.push(await relocated(run));
      errors.push(...r.errors);
    } catch (e) {
      errors.push({ folder, message: e instanceof Error ? e.message : String(e) });
    }
  }
  runs.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt));
  return { runs, errors };
}

/**
 * The run with its model file where its relative path names it now (a copied or moved workspace),
 * else as recorded. Only a run whose two paths differ costs a look at the disk.
 */
async function relocated(run: RunRecord): Promise<RunRecord> {
  const moved = relocatedModelFile(run.manifest, run.folder);
  if (moved === undefined || moved === resolve(run.manifest.model.file)) return run;
  const exists = await isFile(moved);
  return relocateRun(run, () => exists);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
