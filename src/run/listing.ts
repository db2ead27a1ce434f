// The listing behind the run index, without VS Code: every run of the runs folders, each read where
// it is now (location.ts), newest first, and the folders that could not be read.
// A `RunListing` remembers the runs it read (listingCache.ts), so a refresh after one new
// run reads that run and only stamps the others; it keeps what it remembers in each runs folder's
// index (listingIndex.ts), so the first listing of a new window only stamps them too.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RunListingCache } from './listingCache';
import { loadListingIndex, saveListingIndex } from './listingIndex';
import { listRunsAsync, type RunReadOutcome, type RunRecord } from './store';
import { relocatedModelFile, relocateRun } from './location';

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

/** The listings of one run index: the runs read last time are read again only when they changed. */
export class RunListing {
  private readonly cache = new RunListingCache<RunReadOutcome>();
  /** Per runs folder: its index loaded, then the cache's change count the index on disk matches. */
  private readonly indexed = new Map<string, Promise<number>>();
  /** The last index write: they go one after another, after the listing that asked has answered. */
  private saving: Promise<void> = Promise.resolve();

  /** `persist: false` keeps no index on disk (every new listing reads every run once). */
  constructor(private readonly options: { persist?: boolean } = {}) {}

  /** How many runs the listing remembers: at most the runs its folders held at the last listing. */
  get rememberedRuns(): number {
    return this.cache.size;
  }

  /** Every run of `runsFolders`, newest first, and the folders that could not be read. */
  async list(runsFolders: readonly string[]): Promise<RunList> {
    if (this.options.persist === false) return listRunFolders(runsFolders, this.cache);
    // Each index loads while its folder's runs are stamped; a run's stamp is compared once it is in.
    const loading = runsFolders.map((folder) => this.loadIndex(folder));
    const list = await listRunFolders(runsFolders, this.cache, loading);
    const saved = await Promise.all(loading);
    runsFolders.forEach((folder, i) => {
      const changes = this.cache.changes(folder);
      if (changes === saved[i]) return;
      this.indexed.set(folder, Promise.resolve(changes));
      this.saving = this.saving.then(() => saveListingIndex(folder, this.cache)).catch(() => undefined);
    });
    return list;
  }

  /** Resolves once the index writes asked for so far are done (a listing does not wait for them). */
  indexWritten(): Promise<void> {
    return this.saving;
  }

  /** Loads `runsFolder`'s index once; the change count it matches. */
  private loadIndex(runsFolder: string): Promise<number> {
    let loaded = this.indexed.get(runsFolder);
    if (!loaded) {
      loaded = loadListingIndex(runsFolder, this.cache).then(() => this.cache.changes(runsFolder));
      this.indexed.set(runsFolder, loaded);
    }
    return loaded;
  }
}

/** Every run of `runsFolders`, newest first, and the folders that could not be read. */
export async function listRunFolders(
  runsFolders: readonly string[],
  cache?: RunListingCache<RunReadOutcome>,
  cacheReady?: readonly Promise<unknown>[],
): Promise<RunList> {
  const runs: RunRecord[] = [];
  const errors: RunListError[] = [];
  // One look at the disk per moved model file, not per run.
  const files = new Map<string, Promise<boolean>>();
  const isFileOnce = (path: string) => {
    let known = files.get(path);
    if (!known) files.set(path, (known = isFile(path)));
    return known;
  };
  for (const [i, folder] of runsFolders.entries()) {
    try {
      const r = await listRunsAsync(folder, { cache, cacheReady: cacheReady?.[i] });
      for (const run of r.runs) runs.push(await relocated(run, isFileOnce));
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
async function relocated(run: RunRecord, isFileOnce: (path: string) => Promise<boolean>): Promise<RunRecord> {
  const moved = relocatedModelFile(run.manifest, run.folder);
  if (moved === undefined || moved === resolve(run.manifest.model.file)) return run;
  const exists = await isFileOnce(moved);
  return relocateRun(run, () => exists);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
