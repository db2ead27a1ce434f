/**
 * The caller's side of the forward-pass worker (forwardWorker.ts): one worker thread, started on
 * first use, that runs a forward pass on a second core — the second half of a probe set while the
 * analysis service's thread runs the first. It speaks src/contract/protocols/forward.ts over the typed channel of src/rpc.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { RpcChannel } from '../rpc/channel';
import { workerPort } from '../rpc/ports';
import {
  ForwardOutputs,
  forwardPass,
  ForwardRequest,
  forwardTail,
  ForwardTailRequest,
  forwardTaylor,
  ForwardTaylorRequest,
} from '../contract/protocols/forward';

/** The bundled worker next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveForwardScript(): string | undefined {
  return [join(__dirname, 'forwardWorker.js'), resolve(__dirname, '../../dist/forwardWorker.js')].find((p) => existsSync(p));
}

export class ForwardHelper {
  private current?: { worker: Worker; channel: RpcChannel };

  constructor(
    private readonly script: string,
    private readonly log?: (line: string) => void,
  ) {}

  run(req: ForwardRequest): Promise<ForwardOutputs> {
    return this.start()
      .channel.request(forwardPass, req)
      .then((r) => r.outputs);
  }

  /** The tail of a graph model on the worker's share of the inputs (src/contract/protocols/forward.ts `forwardTail`). */
  tail(req: ForwardTailRequest): Promise<void> {
    return this.start()
      .channel.request(forwardTail, req)
      .then(() => undefined);
  }

  /** Chunks of a Taylor pass on the worker's share of the inputs (src/contract/protocols/forward.ts `forwardTaylor`). */
  taylor(req: ForwardTaylorRequest): Promise<void> {
    return this.start()
      .channel.request(forwardTaylor, req)
      .then(() => undefined);
  }

  private start(): { worker: Worker; channel: RpcChannel } {
    if (this.current) return this.current;
    const worker = new Worker(this.script);
    const current = { worker, channel: new RpcChannel(workerPort(worker), { peer: 'the forward-pass worker', log: this.log }) };
    // A worker replaced after close() must not take its successor with it.
    const fail = (e: Error) => {
      current.channel.close(e);
      if (this.current === current) this.current = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the forward-pass worker stopped (exit code ${code})`)));
    this.current = current;
    return current;
  }

  close(): void {
    const current = this.current;
    this.current = undefined;
    current?.channel.close();
    void current?.worker.terminate();
  }
}

/** A copy of `data` in shared memory, for a worker to read without another copy. */
export function shareFloat32(data: Float32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(data.byteLength);
  new Float32Array(buffer).set(data);
  return buffer;
}
