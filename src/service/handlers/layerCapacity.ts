/** `layerCapacity`: the channel capacity between two whole layers (paper 5.3). */
import { layerCapacity as measureLayerCapacity } from '../../analysis';
import { Handler, orNull } from './handler';

export const layerCapacity: Handler<'layerCapacity'> = async (q, ctx) => {
  const { indices, bins, a, b } = await ctx.layerPair(q);
  return {
    layerI: q.layerI,
    layerJ: q.layerJ,
    epoch: q.epoch,
    inputCount: indices.length,
    bins,
    bits: orNull(measureLayerCapacity(a, b, bins)),
  };
};
