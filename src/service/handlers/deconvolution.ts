/** `deconvolution`: one channel of a layer projected back to the input space for some probe inputs (paper 5.4). */
import { finiteRange, gatherRows } from '../../analysis';
import { deconvolutionForwards, projectChannel } from '../../tfjs/deconvolution';
import type { RunManifest } from '../../contract/runFormat';
import type * as tfType from '@tensorflow/tfjs';
import { encodeFloat32, QueryError, type QueryOf } from '../../contract/queries';
import { NativeDeconvnet, type NativeProjection } from '../../native/nativeDeconvolution';
import type { NativeCheckpoint } from '../../native/nativeForward';
import { OnnxError } from '../../onnx/graph';
import type { Handler } from './handler';
import type { QueryContext } from '../queryContext';

/** Most inputs one deconvolution query may project. */
const MAX_DECONVOLUTION_INPUTS = 256;

export const deconvolution: Handler<'deconvolution'> = async (q, ctx) => {
  const m = ctx.manifest;
  ctx.metricsAt(q.epoch);
  ctx.checkLayer(q.layer);
  if (q.layer === 0) throw new QueryError('unsupported', 'deconvolution projects a layer back to the input; layer 0 is the input itself');
  ctx.checkChannel(q.layer, q.channel);
  const probe = ctx.probe();
  const indices = ctx.subset(q.x);
  if (indices.length > MAX_DECONVOLUTION_INPUTS)
    throw new QueryError(
      'bad-query',
      `deconvolution of ${indices.length} inputs at once is too many; choose at most ${MAX_DECONVOLUTION_INPUTS}`,
    );
  const per = probe.inputs.length / probe.labels.length;
  const rows = Float32Array.from(gatherRows(probe.inputs, per, indices));
  const answer = (d: { shape: number[]; data: Float32Array }) => {
    const range = finiteRange(d.data);
    return {
      layer: q.layer,
      channel: q.channel,
      epoch: q.epoch,
      inputs: indices,
      labels: indices.map((i) => probe.labels[i]),
      // Sequences [n, T, C] are drawn as images one row high: the views read [n, H, W, C].
      projections: encodeFloat32(d.shape.length === 3 ? [d.shape[0], 1, d.shape[1], d.shape[2]] : d.shape, d.data),
      min: range.finiteCount ? range.lo : 0,
      max: range.finiteCount ? range.hi : 0,
    };
  };
  // A PyTorch run's checkpoint walked back on ONNX Runtime (nativeDeconvolution.ts); a layer whose
  // walk meets an op that model does not take is projected on TensorFlow.js below, to the same rules.
  const native = await ctx.native(q.epoch);
  const projected = native ? await nativeProjection(ctx, native.model, q, indices, rows) : undefined;
  if (projected) return answer(projected);
  const { tf } = await ctx.tf();
  const name = m.layers[q.layer].name;
  // A PyTorch model (channels first) is walked as its channels-last twin, on its inputs moved channels
  // last: one per epoch, shared by the queries (RunState.twins), pinned while each uses it.
  const twins = ctx.run.twins;
  const pinTwin = async () => {
    if (!twins) return undefined;
    const lease = await twins.acquire(q.epoch);
    if (lease.model.model && !hasLayer(lease.model.model, name)) {
      lease.release();
      throw new QueryError(
        'unsupported',
        `deconvolution of layer ${q.layer} (${name}) of a PyTorch model is not available: it comes after a flatten or reshape of the maps`,
      );
    }
    return lease;
  };
  const twinLease = await pinTwin();
  const twin = twinLease?.model.model;
  try {
    // The forward half is shared by the queries for the layer's other channels (the same inputs),
    // and its pass gives the halves of the next layers too (kept for their queries: the Channel
    // view and a report ask the layers in turn). It holds a model of its own (a lease) while it
    // runs: a query that joined it may be cancelled, and release its own, before it is done.
    const { kept, key } = ctx.deconvolutionHalves(q.epoch, indices);
    const compute = async () => {
      const ownTwin = await pinTwin();
      const lease = ownTwin?.model.model ? undefined : await ctx.run.models.acquire(q.epoch);
      const model = ownTwin?.model.model ?? lease!.model;
      const x = tf.tidy(() => {
        const t = tf.tensor(rows, [indices.length, ...m.layers[0].outputShape]);
        return ownTwin?.model.model && t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
      });
      try {
        const layers = halvesInOnePass(m, q.layer, indices.length, (l) => !kept.has(key(l)) && hasLayer(model, m.layers[l].name));
        const halves = await deconvolutionForwards(tf, model, [name, ...layers.map((l) => m.layers[l].name)], x, {});
        layers.forEach((l, k) => {
          const half = halves[k + 1];
          if (half && !kept.has(key(l))) kept.put(key(l), half);
        });
        return halves[0]!;
      } finally {
        x.dispose();
        lease?.release();
        ownTwin?.release();
      }
    };
    const forward = await kept.get(key(q.layer), compute, ctx.control.signal);
    return answer(await projectChannel(tf, twin ?? (await ctx.model(q.epoch)).model, forward, q.channel));
  } finally {
    twinLease?.release();
  }
};

/**
 * The projection on the native engine, or undefined where TensorFlow.js projects it: the model
 * refuses the layer, or a value the walk starts from or unpools by is not finite (which position a
 * NaN window switches to, and what the rectification makes of a NaN, are TensorFlow.js's rules).
 * The forward values come from the engine's pass over the same inputs, which the feature maps share.
 */
async function nativeProjection(
  ctx: QueryContext,
  checkpoint: NativeCheckpoint,
  q: QueryOf<'deconvolution'>,
  indices: number[],
  rows: Float32Array,
): Promise<NativeProjection | undefined> {
  let lease: { value: NativeDeconvnet; release(): void };
  try {
    lease = await checkpoint.useDerived('deconvolution', () => NativeDeconvnet.open(checkpoint));
  } catch (e) {
    if (OnnxError.is(e)) return undefined;
    throw e;
  }
  try {
    return await projectNatively(ctx, lease.value, q, indices, rows);
  } finally {
    lease.release();
  }
}

async function projectNatively(
  ctx: QueryContext,
  net: NativeDeconvnet,
  q: QueryOf<'deconvolution'>,
  indices: number[],
  rows: Float32Array,
): Promise<NativeProjection | undefined> {
  if (net.refusal(q.layer)) return undefined;
  const valuesOf = async (layer: number): Promise<Float32Array | undefined> => {
    if (layer === 0) return rows;
    const v = await ctx.layerValues(q.epoch, layer, indices);
    if (!v.channelsFirst && ctx.manifest.layers[layer].outputShape.length >= 2) return undefined;
    return v.data instanceof Float32Array ? v.data : Float32Array.from(v.data);
  };
  const values = await valuesOf(q.layer);
  if (!values || !finite(values)) return undefined;
  const pools = new Map<number, Float32Array>();
  for (const layer of net.poolLayers(q.layer)) {
    const v = await valuesOf(layer);
    if (!v || !finite(v)) return undefined;
    pools.set(layer, v);
  }
  return net.project({ layer: q.layer, channel: q.channel, count: indices.length, values, pools, signal: ctx.control.signal });
}

function finite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) return false;
  return true;
}

/**
 * Bytes of later layers' forward halves one deconvolution's pass computes beside its own layer's:
 * half the engine's bound on kept halves (engine.ts DECONVOLUTION_FORWARD_BYTES), so that those
 * of the pass before stay while its layers' queries come. A CIFAR ResNet-18's 10 sample inputs:
 * about 6 of its layers of 64 × 32 × 32 a pass, every layer of 512 × 4 × 4.
 */
export const HALVES_BYTES = 16 * 1024 * 1024;

/**
 * The layers after `layer` (ascending, those `wanted`) whose forward halves for `count` inputs one
 * deconvolution's pass computes too: while their outputs add up to {@link HALVES_BYTES}.
 */
export function halvesInOnePass(m: RunManifest, layer: number, count: number, wanted: (layer: number) => boolean): number[] {
  const out: number[] = [];
  let bytes = 0;
  for (let l = layer + 1; l < m.layers.length; l++) {
    if (!wanted(l)) continue;
    bytes += 4 * count * m.layers[l].outputShape.reduce((a, b) => a * b, 1);
    if (bytes > HALVES_BYTES) break;
    out.push(l);
  }
  return out;
}

function hasLayer(model: tfType.LayersModel, name: string): boolean {
  return model.layers.some((l) => l.name === name);
}
