/**
 * The answer cache inside a run folder (`<run>/cache/`): expensive slice answers (capacity
 * matrices, feature maps, deconvolutions, …) stored as JSON files named by a hash of the query and
 * the run's fingerprint, so they survive restarts and are never reused for another run or another
 * query vocabulary. The folder is capped in bytes; the least recently used answers go first
 * (a hit touches the file's time).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files';

/** Default cap of one run's cache folder. */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

export class AnswerCache {
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

  get<T>(key: string): T | undefined {
    const path = this.path(key);
    if (!existsSync(path)) return undefined;
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as T;
      const now = new Date();
      utimesSync(path, now, now);
      return value;
    } catch {
      // A damaged entry (disk full, manual edit) is a miss, and goes.
      rmSync(path, { force: true });
      return undefined;
    }
  }

  set(key: string, value: unknown): void {
    const text = JSON.stringify(value);
    if (text.length > this.capBytes) return; // would evict everything and still not fit
    try {
      mkdirSync(this.folder, { recursive: true });
      writeFileAtomic(this.path(key), text);
      this.evict();
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
    if (!existsSync(this.folder)) return [];
    return readdirSync(this.folder)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) => {
        try {
          const st = statSync(join(this.folder, name));
          return [{ path: join(this.folder, name), size: st.size, time: st.mtimeMs }];
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
      rmSync(f.path, { force: true });
      total -= f.size;
    }
  }
}
