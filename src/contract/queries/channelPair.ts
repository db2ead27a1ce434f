/** `channelPair`: the capacity between two channels, with the joint histogram it comes from. */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { bins, BitsSchema, index, NumberList, queryFields, SubsetSchema } from './fields';

export const channelPair = defineQuery({
  kind: 'channelPair',
  query: queryFields('channelPair', {
    layerI: index('layerI'),
    channelI: index('channelI'),
    layerJ: index('layerJ'),
    channelJ: index('channelJ'),
    epoch: index('epoch'),
    x: v.optional(SubsetSchema),
    bins,
  }),
  answer: v.object({
    layerI: v.number(),
    channelI: v.number(),
    layerJ: v.number(),
    channelJ: v.number(),
    epoch: v.number(),
    inputCount: v.number(),
    bins: v.number(),
    bits: BitsSchema,
    entropyIBits: BitsSchema,
    entropyJBits: BitsSchema,
    /** Joint histogram of binned pair distances, `[bin of layerJ's channel][bin of layerI's channel]`, row-major counts. */
    joint: NumberList,
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type ChannelPairAnswer = v.InferOutput<typeof channelPair.answer>;
