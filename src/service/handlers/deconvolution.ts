/** `deconvolution`: one channel of a layer projected back to the input space for some probe inputs (paper 5.4). */
import { gatherRows } from '../../analysis';
import { deconvolve } from '../../tfjs/deconvolution';
import { loadChannelsLastTwin } from '../../tfjs/forward';
import { checkpointFolder } from '../../run/paths';
import { encodeFloat32, QueryError } from '../../contract/queries';
import type { Handler } from './handler';

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
  const { tf } = await ctx.tf();
  const per = probe.inputs.length / probe.labels.length;
  const rows = Float32Array.from(gatherRows(probe.inputs, per, indices));
  // A PyTorch model (channels first) is walked as its channels-last twin, on its inputs moved channels last.
  const twin =
    m.checkpoint?.format === 'onnx' ? await loadChannelsLastTwin(tf, checkpointFolder(ctx.run.folder, q.epoch), m.layers) : undefined;
  const model = twin ?? (await ctx.model(q.epoch)).model;
  const name = m.layers[q.layer].name;
  if (twin && !twin.layers.some((l) => l.name === name)) {
    twin.dispose();
    throw new QueryError(
      'unsupported',
      `deconvolution of layer ${q.layer} (${name}) of a PyTorch model is not available: it comes after a flatten or reshape of the maps`,
    );
  }
  const x = tf.tidy(() => {
    const t = tf.tensor(rows, [indices.length, ...m.layers[0].outputShape]);
    return twin && t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
  try {
    const d = await deconvolve(tf, model, name, q.channel, x);
    return {
      layer: q.layer,
      channel: q.channel,
      epoch: q.epoch,
      inputs: indices,
      labels: indices.map((i) => probe.labels[i]),
      // Sequences [n, T, C] are drawn as images one row high: the views read [n, H, W, C].
      projections: encodeFloat32(d.shape.length === 3 ? [d.shape[0], 1, d.shape[1], d.shape[2]] : d.shape, d.data),
      min: d.min ?? 0,
      max: d.max ?? 0,
    };
  } finally {
    x.dispose();
    twin?.dispose();
  }
};
