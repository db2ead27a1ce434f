/**
 * A worker thread that runs forward passes for the analysis service (bundled to
 * dist/forwardWorker.js). TensorFlow.js's WASM backend is single-threaded in Node, so the service
 * splits a probe set in two: this worker takes one half while the service's own thread takes the
 * other (each input's activations do not depend on the others in its batch, so the halves join
 * into exactly what one pass gives).
 */
import { parentPort } from 'node:worker_threads';
import type * as tfType from '@tensorflow/tfjs';
import { BackendPreference, initBackend } from '../tfjs/backend';
import { forwardLayers, loadCheckpoint } from '../tfjs/forward';
import type { ForwardRequest, ForwardResponse } from './forwardProtocol';

let backend: ReturnType<typeof initBackend> | undefined;
const models = new Map<string, tfType.LayersModel>();

async function handle(req: ForwardRequest): Promise<ForwardResponse> {
  backend ??= initBackend(req.backend as BackendPreference);
  const { tf } = await backend;
  let model = models.get(req.checkpoint);
  if (!model) {
    model = await loadCheckpoint(tf, req.checkpoint, req.layers);
    models.set(req.checkpoint, model);
    while (models.size > 2) {
      const [oldest, m] = models.entries().next().value as [string, tfType.LayersModel];
      m.dispose();
      models.delete(oldest);
    }
  }
  const from = req.from ? { index: req.from.index, activations: { shape: req.from.shape, data: new Float32Array(req.from.data) } } : undefined;
  const outputs: Extract<ForwardResponse, { type: 'done' }>['outputs'] = [];
  const destinations = new Map(req.destinations.map((d) => [d.index, new Float32Array(d.buffer, d.offset, d.length)]));
  for await (const { index, out } of forwardLayers({ tf, model, layers: req.layers, inputs: new Float32Array(req.inputs), count: req.count, last: req.last, from, destinations })) {
    outputs.push({ index, shape: out.shape });
  }
  return { id: req.id, type: 'done', outputs };
}

parentPort?.on('message', (req: ForwardRequest) => {
  handle(req).then(
    (res) => parentPort!.postMessage(res),
    (e: unknown) => parentPort!.postMessage({ id: req.id, type: 'error', message: (e as Error)?.message ?? String(e) } satisfies ForwardResponse),
  );
});
