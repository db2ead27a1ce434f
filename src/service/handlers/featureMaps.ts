/** `featureMaps`: some channels of a layer at an epoch for a subset of the probe inputs. */
import { spatialAxesOf } from '../../analysis';
import { encodeFloat32 } from '../../contract/queries';
import { Handler, valueRange } from './handler';

export const featureMaps: Handler<'featureMaps'> = async (q, ctx) => {
  ctx.metricsAt(q.epoch);
  ctx.checkLayer(q.layer);
  for (const c of q.channels) ctx.checkChannel(q.layer, c);
  const indices = ctx.subset(q.x);
  const acts = await ctx.layerOutput(q.epoch, q.layer, indices);
  const { outputShape: shape, dataFormat } = ctx.manifest.layers[q.layer];
  // The spatial axes: after the channels when they come first.
  const spatial = spatialAxesOf(shape, dataFormat);
  const [h, w] = shape.length >= 3 ? [spatial[0], spatial.slice(1).reduce((a, b) => a * b, 1)] : [1, acts.units];
  const maps = new Float32Array(indices.length * q.channels.length * acts.units);
  const channelRanges: [number, number][] = q.channels.map(() => [Infinity, -Infinity]);
  for (let i = 0, o = 0; i < indices.length; i++) {
    q.channels.forEach((c, k) => {
      const r = channelRanges[k];
      for (let p = 0; p < acts.units; p++, o++) {
        const v = acts.data[(i * acts.units + p) * acts.channels + c];
        maps[o] = v;
        if (v < r[0]) r[0] = v;
        if (v > r[1]) r[1] = v;
      }
    });
  }
  const [min, max] = valueRange(maps);
  const labels = ctx.probe().labels;
  return {
    layer: q.layer,
    epoch: q.epoch,
    inputs: indices,
    labels: indices.map((i) => labels[i]),
    channels: q.channels,
    maps: encodeFloat32([indices.length, q.channels.length, h, w], maps),
    min,
    max,
    channelRanges: channelRanges.map(([a, b]) => (a > b ? [0, 0] : [a, b])),
  };
};
