/** `deconvolution`: one channel of a layer projected back to the input space for some probe inputs (paper 5.4). */
import { gatherRows } from '../../analysis';
import { deconvolutionForward, projectChannel } from '../../tfjs/deconvolution';
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
  const name = m.layers[q.layer].name;
  // A PyTorch model (channels first) is walked as its channels-last twin, on its inputs moved channels
  // last: one per epoch, shared by the queries (RunState.twins), pinned while each uses it.
  const twins = ctx.run.twins;
  const pinTwin = async () => {
    if (!twins) return undefined;
    const lease = await twins.acquire(q.epoch);
    if (lease.model.model && !lease.model.model.layers.some((l) => l.name === name)) {
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
    // The forward half is shared by the queries for the layer's other channels (the same inputs).
    // It holds a model of its own (a lease) while it runs: a query that joined it may be
    // cancelled, and release its own, before it is done.
    const forward = await ctx.deconvolutionForward(q.epoch, q.layer, indices, async () => {
      const ownTwin = await pinTwin();
      const lease = ownTwin?.model.model ? undefined : await ctx.run.models.acquire(q.epoch);
      const x = tf.tidy(() => {
        const t = tf.tensor(rows, [indices.length, ...m.layers[0].outputShape]);
        return ownTwin?.model.model && t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
      });
      try {
        return await deconvolutionForward(tf, ownTwin?.model.model ?? lease!.model, name, x, {}, q.channel);
      } finally {
        x.dispose();
        lease?.release();
        ownTwin?.release();
      }
    });
    const d = await projectChannel(tf, twin ?? (await ctx.model(q.epoch)).model, forward, q.channel);
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
    twinLease?.release();
  }
};
