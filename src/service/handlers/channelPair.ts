/** `channelPair`: the capacity between two channels with their joint distribution (one cell of the matrix). */
import { capacityBits, channelMatrix, distanceCodes } from '../../analysis';
import { Handler, orNull } from './handler';

export const channelPair: Handler<'channelPair'> = async (q, ctx) => {
  // Epoch and layers first: a channel is only checked against a layer that exists.
  ctx.metricsAt(q.epoch);
  ctx.checkLayer(q.layerI, 'layerI');
  ctx.checkLayer(q.layerJ, 'layerJ');
  ctx.checkChannel(q.layerI, q.channelI);
  ctx.checkChannel(q.layerJ, q.channelJ);
  const { indices, bins, a, b } = await ctx.layerPair(q);
  const codesI = distanceCodes(channelMatrix(a, q.channelI), a.count, a.units, bins);
  const codesJ = distanceCodes(channelMatrix(b, q.channelJ), b.count, b.units, bins);
  // The matrix's orientation (column channel first), so a pair equals its cell to the bit.
  const jointIJ = new Float64Array(bins * bins);
  const bits = capacityBits(codesI, codesJ, jointIJ);
  const joint = new Float64Array(bins * bins);
  for (let i = 0; i < bins; i++) for (let j = 0; j < bins; j++) joint[j * bins + i] = jointIJ[i * bins + j];
  return {
    layerI: q.layerI,
    channelI: q.channelI,
    layerJ: q.layerJ,
    channelJ: q.channelJ,
    epoch: q.epoch,
    inputCount: indices.length,
    bins,
    bits: orNull(bits),
    entropyIBits: orNull(codesI.entropyBits),
    entropyJBits: orNull(codesJ.entropyBits),
    joint: Array.from(joint),
  };
};
