/** `smallMultiples`: every channel's recorded entropy over the epochs, for all inputs and per class. */
import type { Handler } from './handler';

export const smallMultiples: Handler<'smallMultiples'> = (q, ctx) => {
  ctx.checkLayer(q.layer);
  const metrics = ctx.run.record.metrics;
  const channels = ctx.manifest.layers[q.layer].channels;
  const classes = ctx.classes();
  return {
    layer: q.layer,
    epochs: metrics.map((e) => e.epoch),
    channels,
    all: Array.from({ length: channels }, (_, c) => metrics.map((e) => e.layers[q.layer]?.channelBits[c] ?? null)),
    perClass: Array.from({ length: classes }, (_, k) =>
      Array.from({ length: channels }, (_, c) => metrics.map((e) => e.layers[q.layer]?.channelBitsPerClass[k]?.[c] ?? null)),
    ),
    deadChannels: metrics.map((e) => e.layers[q.layer]?.deadChannels ?? []),
  };
};
