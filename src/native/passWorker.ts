/**
 * A worker thread that runs an epoch's probe pass on the native engine (bundled to
 * dist/nativePassWorker.js), so that the thread measuring the epoch computes layer l's summaries
 * while this one computes layer l + 1 and its distances. ONNX Runtime's `run` holds the thread that
 * calls it while its own threads compute: on the measuring thread, every per-layer summary in
 * JavaScript waited for the runtime and the runtime for them. The requests and their checks are in
 * src/contract/protocols/nativePass.ts; the caller's side is nativePass.ts.
 *
 * Each layer's values are moved to the caller (their buffer is transferred, not copied); its
 * distance matrix, where the native kernel computes it, is written into shared memory the caller's
 * compute pool reads. With `recycle`, the caller moves each layer's values back once measured
 * (`nativePass/give`), and the pass writes later layers into them (layerBuffers.ts): a fresh array
 * per layer cost the CIFAR ResNet-18 epoch (probe 500) a million page faults on this thread.
 */
import { parentPort } from 'node:worker_threads';
import { RpcChannel } from '../rpc/channel';
import { threadPacer } from '../rpc/sharedBuffers';
import type { ResultIn } from '../contract/messages';
import { movingDataPort } from '../rpc/ports';
import { largestLayerBytes, LayerBuffers } from './layerBuffers';
import { NativeCheckpoint, type NativeActivations } from './nativeForward';
import { nativeDistanceMatrixOfFinite, usesNativeGram } from './nativeGram';
import { nativeRuntime, stopSpinning } from './ortRuntime';
import { nativePassGive, nativePassNext, nativePassOpen, type NativePassOpenRequest } from '../contract/protocols/nativePass';

interface Pass {
  checkpoint: NativeCheckpoint;
  layers: AsyncGenerator<{ index: number; out: NativeActivations; inUse: boolean }>;
  distances: boolean;
  /** The arrays the caller gave back, with `recycle`. */
  buffers?: LayerBuffers;
}

let current: Pass | undefined;

async function open(req: NativePassOpenRequest): Promise<{ providerReason?: string }> {
  await close();
  const checkpoint = NativeCheckpoint.open(req.bytes, req.layers, req.provider, req.layout);
  // The runtime reads no shared memory: the inputs are copied once, here.
  const inputs = new Float32Array(req.count * req.layers[0].outputShape.reduce((a, b) => a * b, 1));
  inputs.set(new Float32Array(req.inputs, 0, inputs.length));
  // The caller holds a layer while this thread computes the next segment: room for two layers' arrays.
  const buffers = req.recycle ? new LayerBuffers(2 * largestLayerBytes(req.layers, req.count, req.last)) : undefined;
  const { budgetBytes, chunkBytes } = req;
  const layers = checkpoint.forwardLayers({
    layers: req.layers,
    inputs,
    count: req.count,
    last: req.last,
    budgetBytes,
    chunkBytes,
    buffers,
    keepSessions: false,
  });
  current = { checkpoint, layers, distances: req.distances, buffers };
  const reason = checkpoint.providerReason;
  return reason ? { providerReason: reason } : {};
}

async function next(): Promise<ResultIn<typeof nativePassNext>> {
  const pass = current;
  if (!pass) throw new Error('no native pass is open');
  const step = await pass.layers.next();
  if (step.done) {
    await close();
    return { done: true };
  }
  const { index, out, inUse } = step.value;
  const n = out.shape[0] ?? 0;
  const d = n > 0 ? out.data.length / n : 0;
  let distances: SharedArrayBuffer | null = null;
  const runtime = nativeRuntime();
  if (pass.distances && 'ort' in runtime && usesNativeGram(n, d)) {
    const matrix = new SharedArrayBuffer(n * n * 8);
    // Undefined when a value is not finite: the caller's pool then cleans the samples itself.
    if (await nativeDistanceMatrixOfFinite(runtime.ort, out.data, n, d, { out: new Float64Array(matrix) })) distances = matrix;
  }
  // The values are moved to the caller, unless a later segment of the pass still reads them: then a
  // copy, which this thread is done with at once (the pass lets the array go after that segment).
  let data = out.data;
  if (inUse) {
    data = pass.buffers?.take(out.data.length) ?? new Float32Array(out.data.length);
    data.set(out.data);
    pass.buffers?.give(out.data);
  }
  return { done: false, index, shape: out.shape, data: data as Float32Array<ArrayBuffer>, distances };
}

/** A layer's values back from the caller, for a later layer of the pass. */
function give({ data }: { data: Float32Array }): void {
  current?.buffers?.adopt(data);
}

async function close(): Promise<void> {
  const pass = current;
  current = undefined;
  if (!pass) return;
  await pass.layers.return(undefined);
  await pass.checkpoint.dispose();
}

// This thread shares the cores with the measuring thread: the runtime's threads sleep between operators.
stopSpinning();
// Its layers' buffers are collected as they add up, not when its small heap would ask for it.
threadPacer.open();
if (parentPort)
  // A layer's values in an answer are transferred to the caller, which then owns them.
  new RpcChannel(movingDataPort(parentPort), { peer: 'the thread measuring the epoch' })
    .onRequest(nativePassOpen, open)
    .onRequest(nativePassNext, next)
    .onNotification(nativePassGive, give);
