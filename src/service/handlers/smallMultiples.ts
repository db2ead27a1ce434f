/** `smallMultiples`: every channel's recorded entropy over the epochs, for all inputs and per class. */
import { layerPerClass } from '../../run/perClass';
import type { Handler } from './handler';

export const smallMultiples: Handler<'smallMultiples'> = (q, ctx) => {
  ctx.checkLayer(q.layer);
  const metrics = ctx.run.record.metrics;
  const channels = ctx.manifest.layers[q.layer].channels;
  const classes = ctx.classes();
  // Each epoch's block of this layer alone (its per-class file, or its line in older runs).
  const perClass = metrics.map((e) => (e.layers[q.layer] ? layerPerClass(ctx.run.folder, e, classes, q.layer) : undefined));
  return {
    layer: q.layer,
    epochs: metrics.map((e) => e.epoch),
    channels,
    all: Array.from({ length: channels }, (_, c) => metrics.map((e) => e.layers[q.layer]?.channelBits[c] ?? null)),
    perClass: Array.from({ length: classes }, (_, k) =>
      Array.from({ length: channels }, (_, c) => perClass.map((rows) => rows?.[k]?.[c] ?? null)),
    ),
    deadChannels: metrics.map((e) => e.layers[q.layer]?.deadChannels ?? []),
  };
};
