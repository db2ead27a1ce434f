/**
 * The service's side of the forward-pass worker (forwardWorker.ts): one worker thread, started on
 * first use, that runs the second half of a probe set's forward pass while the service's thread
 * runs the first.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ForwardRequest, ForwardResponse } from './forwardProtocol';

/** The bundled worker next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveForwardScript(): string | undefined {
  return [join(__dirname, 'forwardWorker.js'), resolve(__dirname, '../../dist/forwardWorker.js')].find((p) => existsSync(p));
}

type Done = Extract<ForwardResponse, { type: 'done' }>;

export class ForwardHelper {
  private worker?: Worker;
  private readonly pending = new Map<number, { resolve: (r: Done) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(private readonly script: string) {}

  run(req: Omit<ForwardRequest, 'id'>): Promise<Done['outputs']> {
    if (!this.worker) {
      const worker = new Worker(this.script);
      worker.on('message', (res: ForwardResponse) => {
        const p = this.pending.get(res.id);
        if (!p) return;
        this.pending.delete(res.id);
        if (res.type === 'done') p.resolve(res);
        else p.reject(new Error(res.message));
      });
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => this.fail(new Error(`the forward-pass worker stopped (exit code ${code})`)));
      this.worker = worker;
    }
    const id = this.nextId++;
    const worker = this.worker;
    return new Promise((resolvePromise, reject) => {
      this.pending.set(id, { resolve: (r) => resolvePromise(r.outputs), reject });
      worker.postMessage({ ...req, id } satisfies ForwardRequest);
    });
  }

  private fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.worker = undefined;
  }

  close(): void {
    const w = this.worker;
    this.worker = undefined;
    this.pending.clear();
    void w?.terminate();
  }
}

/** A copy of `data` in shared memory, for a worker to read without another copy. */
export function shareFloat32(data: Float32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(data.byteLength);
  new Float32Array(buffer).set(data);
  return buffer;
}
