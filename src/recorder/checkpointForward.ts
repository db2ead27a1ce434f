/**
 * The forward pass of an epoch's checkpoint on the forward-pass worker (src/tfjs/forwardWorker.ts),
 * so that the recorder measures epoch t on a second core while its own thread trains epoch t + 1.
 * The worker loads a copy of the weights from the checkpoint's bytes (the live model keeps
 * training) and writes every layer's activations into one shared buffer per layer; a shared counter
 * says how many layers are complete, so each layer is measured as soon as it is there while the
 * worker goes on with the next.
 */
import type { RunLayer } from '../run/format';
import type { CheckpointFiles } from '../run/writer';
import type { BackendName, BackendPreference } from '../tfjs/backend';
import type { Activations } from '../tfjs/forward';
import { ForwardHelper, resolveForwardScript, shareFloat32 } from '../tfjs/forwardHelper';

/**
 * Most bytes of activations a worker pass holds at once (every layer of the probe set): beyond it
 * the recorder measures on its own thread, layer by layer, as before (two layers alive at most).
 */
export const MAX_WORKER_PASS_BYTES = 512 * 1024 ** 2;

/** How long one wait for the worker's next layer lasts before the counter and the pass are checked again, ms. */
const WAIT_SLICE_MS = 500;

/** A forward pass running on the worker: its layers as they complete, and the pass's end. */
export interface WorkerPass {
  /** Layers 1.. in order, each handed out once the worker has written it; throws the worker's error. */
  layers: AsyncGenerator<{ index: number; out: Activations }>;
  /** Settles when the worker has finished the whole pass (rejects with its error). */
  done: Promise<void>;
}

export class CheckpointForward {
  private readonly helper: ForwardHelper;
  private readonly inputs: SharedArrayBuffer;

  private constructor(
    script: string,
    private readonly backend: BackendPreference,
    private readonly layers: RunLayer[],
    inputs: Float32Array,
    private readonly count: number,
    log?: (line: string) => void,
  ) {
    this.helper = new ForwardHelper(script, log);
    this.inputs = shareFloat32(inputs);
  }

  /**
   * The worker pass for these probe inputs, or why the recorder measures on its own thread: tfjs-node
   * runs its kernels on every core already (and is not known to be safe in a worker thread), an
   * open dimension leaves the shared buffers' sizes unknown, all layers together may be too big to
   * hold at once, and a build without dist/forwardWorker.js has no worker.
   */
  static create(o: {
    backend: BackendName;
    layers: RunLayer[];
    inputs: Float32Array;
    count: number;
    log?: (line: string) => void;
  }): { forward: CheckpointForward } | { reason: string } {
    if (o.backend === 'tensorflow') return { reason: 'tfjs-node uses every core for each epoch already' };
    const wanted = o.layers.slice(1);
    if (!wanted.every((l) => l.outputShape.every((v) => v > 0))) return { reason: 'a layer has an open dimension' };
    const bytes = wanted.reduce((sum, l) => sum + o.count * perInput(l) * 4, 0);
    if (bytes > MAX_WORKER_PASS_BYTES)
      return {
        reason: `the probe set's activations of all layers (${Math.round(bytes / 1024 ** 2)} MB) exceed ${MAX_WORKER_PASS_BYTES / 1024 ** 2} MB`,
      };
    const script = resolveForwardScript();
    if (!script) return { reason: 'dist/forwardWorker.js was not found (run npm run build)' };
    return { forward: new CheckpointForward(script, o.backend, o.layers, o.inputs, o.count, o.log) };
  }

  /** Starts the forward pass of `checkpoint` (named `name` in messages) over the probe inputs. */
  start(checkpoint: CheckpointFiles, name: string): WorkerPass {
    const n = this.count;
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const buffers = this.layers.map((l, index) =>
      index === 0 ? new Float32Array(0) : new Float32Array(new SharedArrayBuffer(n * perInput(l) * 4)),
    );
    const done = this.helper
      .run({
        backend: this.backend,
        checkpoint: name,
        checkpointBytes: { modelJson: checkpoint.modelJson, weights: shareBytes(checkpoint.weights) },
        layers: this.layers,
        inputs: this.inputs,
        count: n,
        last: this.layers.length - 1,
        destinations: buffers
          .slice(1)
          .map((a, k) => ({ index: k + 1, buffer: a.buffer as SharedArrayBuffer, offset: 0, length: a.length })),
        progress: counter.buffer,
      })
      .then(() => undefined);
    done.catch(() => undefined); // awaited by the caller and by the layers
    return { layers: this.completedLayers(counter, buffers, done), done };
  }

  private async *completedLayers(
    counter: Int32Array,
    buffers: Float32Array[],
    done: Promise<void>,
  ): AsyncGenerator<{ index: number; out: Activations }> {
    let ended = false;
    const end = done.then(
      () => (ended = true),
      () => (ended = true),
    );
    for (let l = 1; l < this.layers.length; l++) {
      for (let seen = Atomics.load(counter, 0); seen < l; seen = Atomics.load(counter, 0)) {
        if (ended) {
          await done; // throws the worker's error
          throw new Error(`the forward-pass worker ended after ${seen} of ${this.layers.length - 1} layers`);
        }
        const wait = waitAsync(counter, seen, WAIT_SLICE_MS);
        if (wait.async) await Promise.race([wait.value, end]);
      }
      yield { index: l, out: { shape: [this.count, ...this.layers[l].outputShape], data: buffers[l] } };
    }
    await done;
  }

  close(): void {
    this.helper.close();
  }
}

function perInput(layer: RunLayer): number {
  return layer.outputShape.reduce((a, b) => a * b, 1);
}

function shareBytes(bytes: Uint8Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

/** `Atomics.waitAsync` (Node ≥ 16), which the ES2022 library types do not declare yet. */
function waitAsync(counter: Int32Array, value: number, timeoutMs: number): { async: false } | { async: true; value: Promise<unknown> } {
  const atomics = Atomics as unknown as {
    waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false } | { async: true; value: Promise<unknown> };
  };
  return atomics.waitAsync(counter, 0, value, timeoutMs);
}
