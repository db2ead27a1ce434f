/**
 * The compute pool's scheduler (pool.ts): worker threads started on first use, each stage cut into
 * small chunks that the workers take on demand (src/contract/protocols/compute.ts, ClaimsSchema), so
 * a core busy with another process slows a stage by its share, not by holding up a fixed half. A
 * failed worker rejects every pending computation and the next one starts new workers. The stages
 * themselves are interSampleStages.ts and capacityStages.ts.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../analysis';
import { ParamsIn, RequestType, ResultOut, RpcError } from '../contract/messages';
import { CANCELLED_CLAIM, Claims, RANGE_ERROR_CODE } from '../contract/protocols/compute';
import { RpcChannel } from '../rpc/channel';
import { workerPort } from '../rpc/ports';

/** Work below this many multiply-adds runs inline: starting threads would cost more than it saves. */
export const INLINE_WORK = 2e7;
/**
 * Chunks per worker a stage is cut into: enough that a worker slowed by another process costs
 * the stage at most about one chunk of waiting, few enough that taking a chunk (one atomic add)
 * and a chunk's own set-up stay negligible.
 */
const CHUNKS_PER_WORKER = 16;

/** The scheduler's part of ComputePoolOptions (pool.ts). */
export interface SchedulerOptions {
  workers?: number;
  workerScript?: string;
  log?: (line: string) => void;
  /** Chunks per worker of each stage (default 16; tests choose uneven counts). */
  chunksPerWorker?: number;
}

/** Where the bundled worker lives: next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveWorkerScript(): string {
  const candidates = [join(__dirname, 'computeWorker.js'), resolve(__dirname, '../../dist/computeWorker.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`compute worker not found (looked in ${candidates.join(', ')}); run "npm run build" first`);
  return found;
}

/** A worker's error as the pool's callers expect it: a RangeError stays a RangeError (bad parameters, not a bug). */
function fromWorker(e: unknown): unknown {
  return RpcError.is(e, RANGE_ERROR_CODE) ? new RangeError(e.message) : e;
}

export class StageScheduler {
  readonly size: number;
  private workers: { worker: Worker; channel: RpcChannel }[] = [];
  private readonly script: string;
  readonly log?: (line: string) => void;
  private readonly chunksPerWorker: number;

  constructor(options: SchedulerOptions) {
    this.size = Math.max(1, options.workers ?? Math.min(availableParallelism(), 8));
    this.script = options.workerScript ?? resolveWorkerScript();
    this.log = options.log;
    this.chunksPerWorker = Math.max(1, Math.floor(options.chunksPerWorker ?? CHUNKS_PER_WORKER));
  }

  /** Items per chunk for a stage of `total` items, at least `least`. */
  chunkOf(total: number, least = 1): number {
    return Math.max(least, Math.ceil(total / (this.size * this.chunksPerWorker)));
  }

  ensureWorkers(): RpcChannel[] {
    if (!this.workers.length) {
      for (let w = 0; w < this.size; w++) {
        const worker = new Worker(this.script);
        const channel = new RpcChannel(workerPort(worker), { peer: `compute worker ${w + 1}`, log: this.log });
        const entry = { worker, channel };
        // A worker replaced after a failure must not take its successors with it.
        const fail = (e: Error) => this.workers.includes(entry) && this.failAll(e);
        worker.on('error', fail);
        worker.on('exit', (code) => fail(new Error(`compute worker ${w + 1} stopped unexpectedly (exit code ${code})`)));
        this.workers.push(entry);
      }
    }
    return this.workers.map((w) => w.channel);
  }

  /** Rejects every pending computation with `e` and stops the workers (the next computation starts new ones). */
  private failAll(e: Error): void {
    const workers = this.workers;
    this.workers = [];
    for (const { worker, channel } of workers) {
      channel.close(e);
      void worker.terminate();
    }
  }

  /**
   * One stage on every worker, its `total` items taken in chunks of `chunk` on demand (compute.ts,
   * ClaimsSchema): `params(claims)` builds the request each worker gets. Cancelling rejects at once
   * and pushes the stage's counter past the end, so the workers stop after the chunk in hand and
   * the other computations on the pool go on.
   */
  async stage<T extends RequestType>(
    type: T,
    total: number,
    chunk: number,
    params: (claims: Claims) => ParamsIn<T>,
    signal?: AbortSignal,
  ): Promise<ResultOut<T>[]> {
    if (signal?.aborted) throw new CancelledError();
    if (total <= 0) return [];
    const buffer = new SharedArrayBuffer(4);
    const counter = new Int32Array(buffer);
    const claims: Claims = { counter: buffer, chunk };
    const channels = this.ensureWorkers().slice(0, Math.ceil(total / chunk));
    const work = Promise.all(
      channels.map(async (channel) => {
        try {
          return await channel.request(type, params(claims));
        } catch (e) {
          throw fromWorker(e);
        }
      }),
    );
    if (!signal) return work;
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        Atomics.store(counter, 0, CANCELLED_CLAIM);
        reject(new CancelledError());
      };
    });
    signal.addEventListener('abort', onAbort, { once: true });
    // After a cancel, the workers' answers (or failures) are nobody's concern.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the workers; pending computations reject. */
  close(): void {
    this.failAll(new CancelledError());
  }
}
