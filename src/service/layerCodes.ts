/**
 * Results shared across queries: the binned pair-distance codes of every channel of a layer
 * (capacity stage 1, the distance pass: the capacity matrices of one layer against several others
 * — what a burst of queries from the views asks — compute the layer's distances once), and the
 * activations of a small subset of inputs (the feature maps of many channels for the same inputs
 * take one forward pass). A computation still running is joined (in-flight sharing), a finished
 * one is kept, least recently used first out beyond the budget. A query that is cancelled leaves
 * the computation to the others; it stops only when every query waiting for it has gone.
 */
import { createHash } from 'node:crypto';
import { CancelledError } from '../analysis/errors';
import type { SharedCodes } from '../contract/protocols/compute';

/** Default budget of kept codes (bytes): one byte per input pair and channel up to 255 bins. */
export const DEFAULT_CODES_BYTES = 256 * 1024 ** 2;

interface Entry<T> {
  promise: Promise<T>;
  /** Queries waiting for a pass still running; 0 once it has finished. */
  waiting: number;
  controller: AbortController;
  bytes: number;
  done: boolean;
}

export class SharedResults<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private bytes = 0;

  /** `sizeOf` gives the bytes a result holds. */
  constructor(
    private readonly budgetBytes: number,
    private readonly sizeOf: (result: T) => number,
  ) {}

  /**
   * The codes under `key`: kept, joined while being computed, or computed by `compute` (which gets
   * a signal that aborts once no query waits for it any more).
   */
  get(key: string, compute: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    let entry = this.entries.get(key);
    if (entry?.done) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.promise;
    }
    if (!entry) {
      const controller = new AbortController();
      const created: Entry<T> = { promise: compute(controller.signal), waiting: 0, controller, bytes: 0, done: false };
      entry = created;
      this.entries.set(key, created);
      created.promise.then(
        (result) => {
          created.done = true;
          created.waiting = 0;
          if (this.entries.get(key) !== created) return;
          created.bytes = this.sizeOf(result);
          this.bytes += created.bytes;
          this.trim();
        },
        () => this.entries.get(key) === created && this.entries.delete(key),
      );
    }
    const shared = entry;
    shared.waiting++;
    if (!signal) return shared.promise;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(new CancelledError());
        if (shared.done) return;
        shared.waiting--;
        if (shared.waiting > 0) return;
        // Nobody waits any more: stop the pass and forget it.
        shared.controller.abort();
        if (this.entries.get(key) === shared) this.entries.delete(key);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      shared.promise.then(
        (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (e: Error) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /**
   * Keeps `result` under `key` as if computed there (a result another computation produced on its
   * way), unless one is kept or being computed already.
   */
  put(key: string, result: T): void {
    if (this.entries.has(key)) return;
    const bytes = this.sizeOf(result);
    this.entries.set(key, { promise: Promise.resolve(result), waiting: 0, controller: new AbortController(), bytes, done: true });
    this.bytes += bytes;
    this.trim();
  }

  /** Whether a result under `key` is kept or being computed. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Forgets the results of the run in `runFolder` (computations still running finish for their queries). */
  dropRun(runFolder: string): void {
    for (const [k, e] of this.entries) {
      if (k.startsWith(runFolder + '|')) {
        this.entries.delete(k);
        this.bytes -= e.bytes;
      }
    }
  }

  clear(): void {
    for (const e of this.entries.values()) if (!e.done) e.controller.abort();
    this.entries.clear();
    this.bytes = 0;
  }

  private trim(): void {
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      if (!e.done) continue;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }
}

/** The capacity codes of whole layers, by run, epoch, layer, bins and inputs (`inputsKey`). */
export class LayerCodesCache extends SharedResults<SharedCodes[]> {
  constructor(budgetBytes = DEFAULT_CODES_BYTES) {
    super(budgetBytes, (codes) => codes.reduce((sum, c) => sum + c.codes.byteLength, 0));
  }

  static key(runFolder: string, epoch: number, layer: number, bins: number, indices: readonly number[], probeSize: number): string {
    return `${runFolder}|${epoch}|${layer}|${bins}|${inputsKey(indices, probeSize)}`;
  }
}

/** `all`, or a digest of a list of inputs (sha-256 of the indices), so a long subset makes a short key. */
export function inputsKey(indices: readonly number[], probeSize: number): string {
  return indices.length === probeSize ? 'all' : inputsDigest(indices);
}

function inputsDigest(indices: readonly number[]): string {
  return `${indices.length}:${createHash('sha256').update(Int32Array.from(indices)).digest('hex')}`;
}
