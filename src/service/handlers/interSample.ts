/** `interSample`: the inter-sample entropy of a layer's activations at an epoch (paper 4.3). */
import { neighbourCount } from '../../analysis';
import { recordedInterSample, withReason } from '../../contract/queries/interSample';
import { Handler, orNull } from './handler';

export const interSample: Handler<'interSample'> = async (q, ctx) => {
  const m = ctx.manifest;
  const settings = m.settings;
  const metrics = ctx.metricsAt(q.epoch);
  ctx.checkLayer(q.layer);
  const lm = metrics.layers[q.layer];
  const K = (count: number) => (count >= 2 ? neighbourCount(count, settings.k) : 0);
  // All inputs and one class are in the summaries (no probe file needed).
  const channels = m.layers[q.layer].channels;
  if (!q.x || q.x.kind === 'all')
    return {
      layer: q.layer,
      epoch: q.epoch,
      inputCount: m.probe.size,
      K: K(m.probe.size),
      ...withReason(recordedInterSample(lm, channels, m.probe.size)),
      source: 'summary',
    };
  if (q.x.kind === 'classes' && q.x.classes.length === 1 && q.x.classes[0] < m.probe.classCounts.length) {
    const count = m.probe.classCounts[q.x.classes[0]];
    return {
      layer: q.layer,
      epoch: q.epoch,
      inputCount: count,
      K: K(count),
      ...withReason(recordedInterSample(lm, channels, count, q.x.classes[0])),
      source: 'summary',
    };
  }
  const indices = ctx.subset(q.x);
  const acts = await ctx.layerOutput(q.epoch, q.layer, indices);
  ctx.control.onProgress?.(0.5, 'inter-sample entropy');
  const r = await ctx
    .computePool()
    .interSampleEntropy(acts.data, acts.count, acts.units * acts.channels, { k: settings.k, signal: ctx.control.signal });
  return {
    layer: q.layer,
    epoch: q.epoch,
    inputCount: indices.length,
    K: K(indices.length),
    ...withReason({ bits: orNull(r.entropyBits), why: r.undefinedReason }),
    source: 'computed',
  };
};
