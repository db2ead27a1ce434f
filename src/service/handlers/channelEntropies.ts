/** `channelEntropies`: each channel's entropy at a layer and epoch, for all inputs and per class (paper 4.3). */
import { channelEntropies as measureChannelEntropies } from '../../analysis';
import { layerPerClass } from '../../run/perClass';
import { Handler, orNull } from './handler';

export const channelEntropies: Handler<'channelEntropies'> = async (q, ctx) => {
  const m = ctx.manifest;
  const metrics = ctx.metricsAt(q.epoch);
  ctx.checkLayer(q.layer);
  const classes = ctx.classes();
  if (!q.x || q.x.kind === 'all') {
    const lm = metrics.layers[q.layer];
    return {
      layer: q.layer,
      epoch: q.epoch,
      inputCount: m.probe.size,
      all: lm.channelBits,
      perClass: layerPerClass(ctx.run.folder, metrics, classes, q.layer),
      classCounts: m.probe.classCounts,
      source: 'summary',
    };
  }
  const probe = ctx.probe();
  const indices = ctx.subset(q.x);
  const acts = await ctx.layerOutput(q.epoch, q.layer, indices);
  const labels = indices.map((i) => probe.labels[i]);
  const s = measureChannelEntropies(acts, { bins: m.settings.bins, labels, classes });
  return {
    layer: q.layer,
    epoch: q.epoch,
    inputCount: indices.length,
    all: s.all.map(orNull),
    perClass: (s.perClass ?? []).map((r) => r.map(orNull)),
    classCounts: s.classCounts ?? [],
    source: 'computed',
  };
};
