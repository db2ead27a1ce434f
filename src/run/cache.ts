/**
 * The answer cache inside a run folder (`<run>/cache/`): expensive slice answers (capacity
 * matrices, feature maps, deconvolutions, …) stored as JSON files named by a hash of the query and
 * the run's fingerprint, so they survive restarts and are never reused for another run or another
 * query vocabulary. The folder is capped in bytes; the least recently used answers go first
 * (a hit touches the file's time).
 *
 * The cache is an optimisation, never a condition: a read-only run folder, a damaged entry or a
 * cache folder that is not a plain folder inside the run (a link elsewhere: eviction would delete
 * files there) all give answers without a cache, never an error.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files';
import { FileReadError, readBoundedFile } from './read';

/** Default cap of one run's cache folder. */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export class AnswerCache {
  /**
   * The folder's bytes as last counted plus what was written since (an overestimate when an entry is
   * replaced): eviction lists the folder only when this passes the cap, not at every answer.
   */
  private bytesSinceCount?: number;

  constructor(
    readonly folder: string,
    readonly capBytes = DEFAULT_CACHE_BYTES,
  ) {}

  /** The file name of an answer: sha256 of everything the answer depends on. */
  static key(parts: readonly string[]): string {
    const h = createHash('sha256');
    for (const p of parts) h.update(p).update('\0');
    return h.digest('hex').slice(0, 32);
  }

  private path(key: string): string {
    return join(this.folder, `${key}.json`);
  }

  /**
   * Whether the cache folder may be used: absent (it is created on the first answer) or a real
   * folder, not a link that would send reads, writes and evictions elsewhere.
   */
  private usable(): boolean {
    try {
      const st = lstatSync(this.folder);
      return st.isDirectory() && !st.isSymbolicLink();
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT';
    }
  }

  /** Whether an entry is stored under `key` (a plain file; whether it parses is `get`'s business). */
  has(key: string): boolean {
    if (!this.usable()) return false;
    try {
      const st = lstatSync(this.path(key));
      return st.isFile();
    } catch {
      return false;
    }
  }

  get<T>(key: string): T | undefined {
    if (!this.usable()) return undefined;
    const path = this.path(key);
    let value: T;
    try {
      value = JSON.parse(readBoundedFile(path, { maxBytes: this.capBytes, within: this.folder }).toString('utf8')) as T;
    } catch (e) {
      // A damaged entry (disk full, manual edit), or anything that is not a plain file, is a miss
      // and goes if it can.
      if (!(FileReadError.is(e) && e.problem === 'missing')) quietly(() => rmSync(path, { force: true }));
      return undefined;
    }
    // Touching marks the entry recently used; a read-only folder answers without it.
    quietly(() => {
      const now = new Date();
      utimesSync(path, now, now);
    });
    return value;
  }

  set(key: string, value: unknown): void {
    const text = JSON.stringify(value);
    if (text.length > this.capBytes) return; // would evict everything and still not fit
    if (!this.usable()) return;
    try {
      // Never recursive: a run folder deleted (or moved to the trash) while a query ran is not made again.
      try {
        mkdirSync(this.folder);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return;
      }
      writeFileAtomic(this.path(key), text, { durable: false });
      this.bytesSinceCount = (this.bytesSinceCount ?? this.usage().bytes - text.length) + text.length;
      if (this.bytesSinceCount > this.capBytes) this.evict();
    } catch {
      // A read-only run folder still answers, only without a cache.
    }
  }

  /** Total bytes and entry count. */
  usage(): { bytes: number; entries: number } {
    const files = this.entries();
    return { bytes: files.reduce((s, f) => s + f.size, 0), entries: files.length };
  }

  private entries(): { path: string; size: number; time: number }[] {
    if (!this.usable()) return [];
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch {
      return [];
    }
    return names
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => {
        try {
          const st = lstatSync(join(this.folder, name));
          return st.isFile() ? [{ path: join(this.folder, name), size: st.size, time: st.mtimeMs }] : [];
        } catch {
          return [];
        }
      });
  }

  /** Removes the least recently used entries until the folder fits its cap. */
  evict(): void {
    const files = this.entries().sort((a, b) => a.time - b.time);
    let total = files.reduce((s, f) => s + f.size, 0);
    for (const f of files) {
      if (total <= this.capBytes) break;
      quietly(() => rmSync(f.path, { force: true }));
      total -= f.size;
    }
    this.bytesSinceCount = total;
  }
}

/** Runs a cache upkeep step whose failure (a read-only folder) only costs the cache. */
function quietly(step: () => void): void {
  try {
    step();
  } catch {
    // The answer does not depend on it.
  }
}
