/** `channelEntropies`: each channel's entropy at a layer and epoch, for all inputs and per class (paper 4.3). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsList, BitsRows, index, NumberList, queryFields, SubsetSchema } from './fields';

export const channelEntropies = defineQuery({
  kind: 'channelEntropies',
  query: queryFields('channelEntropies', { layer: index('layer'), epoch: index('epoch'), x: v.optional(SubsetSchema) }),
  answer: v.object({
    layer: v.number(),
    epoch: v.number(),
    inputCount: v.number(),
    all: BitsList,
    /** `[class][channel]`. */
    perClass: BitsRows,
    classCounts: NumberList,
    /** `summary` = read from the recorded metrics; `computed` = forward pass on the subset. */
    source: v.picklist(['summary', 'computed']),
  }),
  // All inputs are in the summaries.
  fromRecord: (q) => !q.x || q.x.kind === 'all',
  cached: true,
  quick: never,
  forwardPass: false,
});

export type ChannelEntropiesAnswer = v.InferOutput<typeof channelEntropies.answer>;
