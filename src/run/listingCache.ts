/**
 * What a listing of a runs folder remembers between two listings, so a refresh of a workspace
 * with 1,000 runs reads only the runs that changed.
 *
 * Profiling the listing of 1,000 runs showed that parsing and validating manifests costs little
 * (≈ 0.1 ms a run); the time goes to the ≈ 17 file-system round trips a run's read takes (checks,
 * real paths, open, read, close, for the manifest, the metrics and each checkpoint), each waiting
 * for libuv's thread pool. A run's stamp costs two `stat` calls; a run whose stamp is unchanged is
 * not read again. Entries of folders that are gone are dropped at each listing, so the cache never
 * holds more entries than the runs folder has runs. The entries of a runs folder also outlive the
 * window in `<runsFolder>/.index.json` (./listingIndex.ts): `changes` tells when to write it again.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

interface Entry<T> {
  stamp: string;
  outcome: T;
}

/**
 * The identity of a run folder's state on disk: the manifest's inode, size and modification time
 * (the writer replaces it atomically, so every write is a new inode) and the metrics file's size and
 * time (it grows by appended lines). Undefined when the folder has no manifest.
 */
export async function runStamp(folder: string): Promise<string | undefined> {
  const [manifest, metrics] = await Promise.all([
    statOrUndefined(join(folder, 'manifest.json')),
    statOrUndefined(join(folder, 'metrics.jsonl')),
  ]);
  if (!manifest?.isFile()) return undefined;
  return `${stampOf(manifest)}|${metrics ? stampOf(metrics) : '-'}`;
}

function stampOf(s: Stats): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Outcomes of run reads (`T`: a record or why it could not be read) by folder and stamp; one
 * instance per runs index, kept across refreshes.
 */
export class RunListingCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** How many times the entries of each runs folder (the parent of the run folders) changed. */
  private readonly changeCounts = new Map<string, number>();

  /** A count that changes whenever an entry of `runsFolder` is set or forgotten. */
  changes(runsFolder: string): number {
    return this.changeCounts.get(parentKey(runsFolder)) ?? 0;
  }

  /** Every remembered run of `runsFolder` (its direct children): folder, stamp and outcome. */
  entriesOf(runsFolder: string): { folder: string; stamp: string; outcome: T }[] {
    const parent = parentKey(runsFolder);
    return [...this.entries].filter(([folder]) => dirname(folder) === parent).map(([folder, e]) => ({ folder, ...e }));
  }

  private changed(folder: string): void {
    const parent = dirname(folder);
    this.changeCounts.set(parent, (this.changeCounts.get(parent) ?? 0) + 1);
  }

  /** How many runs are remembered (never more than the runs folders listed last hold). */
  get size(): number {
    return this.entries.size;
  }

  /** The outcome remembered for `folder` if it was read at this very stamp. */
  get(folder: string, stamp: string): T | undefined {
    const entry = this.entries.get(folder);
    return entry?.stamp === stamp ? entry.outcome : undefined;
  }

  set(folder: string, stamp: string, outcome: T): void {
    this.entries.set(folder, { stamp, outcome });
    this.changed(folder);
  }

  /** Forgets `folder` (a run that must be read at every listing). */
  delete(folder: string): void {
    if (this.entries.delete(folder)) this.changed(folder);
  }

  /** Forgets every run of `runsFolder` (its direct children) that is not in `present`. */
  retainOnly(runsFolder: string, present: ReadonlySet<string>): void {
    const parent = parentKey(runsFolder);
    for (const folder of this.entries.keys()) if (dirname(folder) === parent && !present.has(folder)) this.delete(folder);
  }
}

/** `runsFolder` as the `dirname` of its run folders spells it. */
function parentKey(runsFolder: string): string {
  return dirname(join(runsFolder, 'run'));
}
