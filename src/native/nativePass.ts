/**
 * An epoch's probe pass on the native engine, run by the native pass worker (passWorker.ts) so that
 * the caller's thread computes each layer's summaries while the worker computes the next layer and
 * its distance matrix: the same layers, in the same order, with the same values as
 * `NativeCheckpoint.forwardLayers` on the caller's thread (the worker runs that very code on the
 * same bytes), and, where the native kernel computes them (nativeGram.ts `usesNativeGram`), each
 * layer's distances as `nativeDistanceMatrix` gives them.
 *
 * The worker runs one layer ahead of the caller: it computes layer l + 1 while the caller holds l.
 * Where a layer of the pass is too large for the memory that costs ({@link passOnWorker}) or the
 * worker's script is not there (sources run without a build), the pass runs on the caller's
 * thread, without the distances (the caller's compute pool computes them, on the same kernel).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../analysis/errors';
import { RpcChannel } from '../rpc/channel';
import { RpcError } from '../contract/messages';
import { movingDataPort } from '../rpc/ports';
import { largestLayerBytes, LayerBuffers } from './layerBuffers';
import { NativeEngineError, type NativeActivations, type NativeCheckpoint } from './nativeForward';
import { sessionsWriteShared } from './ortRuntime';
import { nativePassGive, nativePassNext, nativePassOpen } from '../contract/protocols/nativePass';

export interface NativePassOptions {
  /** Row-major `[count, ...layers[0].outputShape]`. */
  inputs: Float32Array;
  count: number;
  /** Last layer of the pass (default: the last layer). */
  last?: number;
  /** Whether the worker computes each layer's distance matrix where the native kernel takes it. */
  distances: boolean;
  signal?: AbortSignal;
  /** Most bytes of activations the pass holds at once (nativeForward.ts; tests cut passes small). */
  budgetBytes?: number;
  /**
   * Whether the pass writes later layers into the arrays of those the caller gave back
   * ({@link NativePassLayer.giveBack}; layerBuffers.ts) rather than into fresh memory. On the
   * worker, a layer given back is moved back to it (`nativePass/give`).
   */
  recycle?: boolean;
  /** Whether the sessions of a pass on the caller's thread stay open for later passes (nativeForward.ts `keepSessions`; default true). */
  keepSessions?: boolean;
  /** Bytes of the largest layer per chunk of inputs (nativeForward.ts `chunkBytes`). */
  chunkBytes?: number;
}

export interface NativePassLayer {
  index: number;
  out: NativeActivations;
  /** The full `n × n` float64 distance matrix of the layer's inputs (shared memory), where the worker computed it. */
  distances?: SharedArrayBuffer;
  /**
   * With `recycle`: the caller is done with `out.data` and keeps no view of it; the pass may write a
   * later layer into it. Called at most once; a layer not given back is left to the collector.
   */
  giveBack?: () => void;
}

/**
 * The largest layer (bytes over every input of the pass) for which the pass runs on the worker.
 * Beside what a pass on the caller's thread holds (its segment's layers and the values live across
 * the cut), the worker's pass holds about three layers more: the one the caller measures, the next
 * one, and the copy of a layer that a later segment still reads (the runtime reads no shared
 * memory, so that layer cannot be both moved and kept). Measured on torchvision's ResNet-50 at
 * 224×224, probe 100 (layers of 321 MB), at a load of about 5: 2.5–2.7 GB peak and 48–57 s on the
 * worker, against 1.5 GB and 84 s on the caller's thread; so past this size the pass stays on
 * the caller's thread, and memory stays where the goal puts it (docs/native-engine.md).
 */
export const PASS_WORKER_LAYER_BYTES = 192 * 1024 ** 2;

/** Whether a pass over `count` inputs of `layers` (1..last) runs on the worker ({@link PASS_WORKER_LAYER_BYTES}). */
export function passOnWorker(layers: readonly { outputShape: readonly number[] }[], count: number, last = layers.length - 1): boolean {
  return largestLayerBytes(layers, count, last) <= PASS_WORKER_LAYER_BYTES;
}

/** `f` called at most once. */
function once(f: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    f();
  };
}

/** The bundled worker next to the running bundle, or in dist/ when run from sources (tests). */
export function resolvePassScript(): string | undefined {
  return [join(__dirname, 'nativePassWorker.js'), resolve(__dirname, '../../dist/nativePassWorker.js')].find((p) => existsSync(p));
}

/**
 * The layers 1..last of a pass of `checkpoint` over `inputs`, in ascending order, each with its
 * distances where computed. The caller owns each layer's values.
 * @throws NativeEngineError when the runtime fails (one line); CancelledError when `signal` aborts.
 */
export async function* nativePassLayers(checkpoint: NativeCheckpoint, o: NativePassOptions): AsyncGenerator<NativePassLayer> {
  const last = o.last ?? checkpoint.layers.length - 1;
  const script = passOnWorker(checkpoint.layers, o.count, last) ? resolvePassScript() : undefined;
  if (!script) {
    const { inputs, count, signal, budgetBytes, keepSessions, chunkBytes } = o;
    // In shared memory where the sessions write there: the compute workers then read the layers in place.
    const buffers = o.recycle
      ? new LayerBuffers(largestLayerBytes(checkpoint.layers, count, last), sessionsWriteShared(checkpoint.requested))
      : undefined;
    for await (const { index, out } of checkpoint.forwardLayers({
      layers: checkpoint.layers,
      inputs,
      count,
      last,
      signal,
      budgetBytes,
      buffers,
      keepSessions,
      chunkBytes,
    }))
      yield { index, out, ...(buffers ? { giveBack: once(() => buffers.give(out.data)) } : {}) };
    return;
  }
  const worker = new Worker(script);
  // A layer given back is moved to the worker, not copied.
  const channel = new RpcChannel(movingDataPort(worker), { peer: 'the native pass worker' });
  const stopped = (e: Error) => channel.close(new NativeEngineError(`the native pass worker stopped: ${e.message}`));
  worker.on('error', stopped);
  worker.on('exit', (code) => stopped(new Error(`exit code ${code}`)));
  const failed = (e: unknown): unknown => {
    if (CancelledError.is(e) || NativeEngineError.is(e)) return e;
    return new NativeEngineError(e instanceof RpcError || e instanceof Error ? e.message : String(e));
  };
  try {
    const inputs = new SharedArrayBuffer(o.inputs.byteLength);
    new Float32Array(inputs).set(o.inputs);
    await channel
      .request(nativePassOpen, {
        bytes: checkpoint.bytes as Uint8Array<ArrayBuffer>,
        layers: [...checkpoint.layers],
        provider: checkpoint.requested,
        layout: checkpoint.layout,
        inputs,
        count: o.count,
        last,
        distances: o.distances,
        ...(o.budgetBytes === undefined ? {} : { budgetBytes: o.budgetBytes }),
        ...(o.chunkBytes === undefined ? {} : { chunkBytes: o.chunkBytes }),
        ...(o.recycle ? { recycle: true } : {}),
      })
      .catch((e: unknown) => {
        throw failed(e);
      });
    let next = channel.request(nativePassNext, {});
    for (;;) {
      const step = await next.catch((e: unknown) => {
        throw failed(e);
      });
      if (step.done) return;
      if (o.signal?.aborted) throw new CancelledError();
      // The worker goes on with the next layer while the caller holds this one.
      next = channel.request(nativePassNext, {});
      next.catch(() => undefined); // awaited above on the next turn; a pass left early must not leave it unhandled
      const data = step.data;
      yield {
        index: step.index,
        out: { shape: step.shape, data },
        ...(step.distances ? { distances: step.distances } : {}),
        // After the pass ends the channel is closed and a notification goes nowhere.
        ...(o.recycle ? { giveBack: once(() => channel.notify(nativePassGive, { data })) } : {}),
      };
    }
  } finally {
    channel.close();
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
