/**
 * A worker thread that runs forward passes on a second core (bundled to dist/forwardWorker.js).
 * TensorFlow.js's WASM backend is single-threaded in Node, so the analysis service splits a probe
 * set in two: this worker takes one half while the service's own thread takes the other (each
 * input's activations do not depend on the others in its batch, so the halves join into exactly
 * what one pass gives). It runs the second half of an ablation's graph tail and of a Taylor
 * pass's chunks the same way. The requests and their checks are in src/contract/protocols/forward.ts.
 */
import { parentPort } from 'node:worker_threads';
import type * as tfType from '@tensorflow/tfjs';
import { RpcChannel } from '../rpc/channel';
import { MessagePortLike, threadPort } from '../rpc/ports';
import { collectingPort } from '../rpc/sharedBuffers';
import { initBackend } from './backend';
import { forwardLayers, loadCheckpoint } from './forward';
import {
  ForwardOutputs,
  forwardPass,
  ForwardRequest,
  forwardTail,
  ForwardTailRequest,
  forwardTaylor,
  ForwardTaylorRequest,
  taylorWidth,
} from '../contract/protocols/forward';
import { taylorSums } from './taylor';
import { runTailChunks, tailPlan, TailPlan } from './graphTail';

let backend: ReturnType<typeof initBackend> | undefined;

/** Checkpoints kept loaded; the oldest unused ones beyond this many are disposed. */
const KEPT_MODELS = 2;
/**
 * Loaded checkpoints by folder, with how many passes use each: a load in flight is shared, and a
 * model is disposed only when no pass holds it (two queries at once must not free each other's).
 */
const models = new Map<string, { model: Promise<tfType.LayersModel>; users: number }>();

async function withModel<T>(
  tf: typeof tfType,
  checkpoint: string,
  layers: ForwardRequest['layers'],
  use: (model: tfType.LayersModel) => Promise<T>,
): Promise<T> {
  let entry = models.get(checkpoint);
  if (!entry) {
    entry = { model: loadCheckpoint(tf, checkpoint, layers), users: 0 };
    models.set(checkpoint, entry);
    entry.model.catch(() => models.get(checkpoint) === entry && models.delete(checkpoint));
  }
  entry.users++;
  try {
    return await use(await entry.model);
  } finally {
    entry.users--;
    evictUnused();
  }
}

function evictUnused(): void {
  for (const [checkpoint, entry] of models) {
    if (models.size <= KEPT_MODELS) return;
    if (entry.users > 0) continue;
    models.delete(checkpoint);
    void entry.model.then(
      (m) => m.dispose(),
      () => undefined,
    );
  }
}

async function forward(req: ForwardRequest): Promise<ForwardOutputs> {
  backend ??= initBackend(req.backend);
  const { tf } = await backend;
  return withModel(tf, req.checkpoint, req.layers, (model) => forwardWith(tf, model, req));
}

async function forwardWith(tf: typeof tfType, model: tfType.LayersModel, req: ForwardRequest): Promise<ForwardOutputs> {
  const from = req.from
    ? { index: req.from.index, activations: { shape: req.from.shape, data: new Float32Array(req.from.data) } }
    : undefined;
  const outputs: ForwardOutputs = [];
  const destinations = new Map(req.destinations.map((d) => [d.index, new Float32Array(d.buffer, d.offset, d.length)]));
  for await (const { index, out } of forwardLayers({
    tf,
    model,
    layers: req.layers,
    inputs: new Float32Array(req.inputs),
    count: req.count,
    last: req.last,
    from,
    destinations,
    keep: req.keep && new Set(req.keep),
  })) {
    outputs.push({ index, shape: out.shape });
  }
  return outputs;
}

/** Tail plans by model and layers (an ablation session sends one request per block of ablations). */
const plans = new WeakMap<tfType.LayersModel, Map<string, TailPlan | undefined>>();

async function tail(req: ForwardTailRequest): Promise<void> {
  backend ??= initBackend(req.backend);
  const { tf } = await backend;
  await withModel(tf, req.checkpoint, req.layers, async (model) => {
    let byLayers = plans.get(model);
    if (!byLayers) plans.set(model, (byLayers = new Map<string, TailPlan | undefined>()));
    const key = `${req.layer}|${req.output}`;
    if (!byLayers.has(key)) byLayers.set(key, tailPlan(model, req.layers, req.layer, req.output));
    const plan = byLayers.get(key);
    if (!plan) throw new Error(`the model has no graph tail from layer ${req.layer} to layer ${req.output}`);
    const outPer = req.layers[req.output].outputShape.reduce((a, b) => a * b, 1);
    await runTailChunks(tf, plan, req.layers, {
      fromLayer: req.layer,
      blocks: req.blocks.map((b) => new Float32Array(b)),
      sides: new Map(req.sides.map((x) => [x.index, new Float32Array(x.data)])),
      count: req.count,
      outs: req.outs.map((o) => new Float32Array(o.buffer, o.offset, req.count * outPer)),
    });
  });
}

/** Chunks of a Taylor pass (taylor.ts), each chunk's sums written to the request's output, in order. */
async function taylor(req: ForwardTaylorRequest): Promise<void> {
  backend ??= initBackend(req.backend);
  const { tf } = await backend;
  await withModel(tf, req.checkpoint, req.layers, async (model) => {
    const sumsOf = taylorSums(
      {
        tf,
        model,
        layers: req.layers,
        inputs: new Float32Array(req.inputs),
        labels: req.labels,
        count: req.labels.length,
        output: req.output,
      },
      req.targets,
    );
    const out = new Float32Array(req.out);
    const width = taylorWidth(req.layers, req.targets);
    for (const [k, chunk] of req.chunks.entries()) {
      let at = k * width;
      for (const values of await sumsOf(chunk)) {
        out.set(values, at);
        at += values.length;
      }
    }
  });
}

/** Serves the service's forward requests on `port`. */
export function serveForwardRequests(port: MessagePortLike): RpcChannel {
  return new RpcChannel(port, { peer: 'the analysis service' })
    .onRequest(forwardPass, async (req) => ({ outputs: await forward(req) }))
    .onRequest(forwardTail, async (req) => (await tail(req), {}))
    .onRequest(forwardTaylor, async (req) => (await taylor(req), {}));
}

// The layers' shared buffers it is handed stay mapped until this thread collects their handles,
// which its small heap seldom makes it do (rpc/sharedBuffers.ts): it collects once they add up.
if (parentPort) serveForwardRequests(collectingPort(threadPort(parentPort)));
