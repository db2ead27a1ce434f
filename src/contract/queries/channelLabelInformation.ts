/** `channelLabelInformation`: each channel's mutual information with the labels, epoch by epoch (estimators.md). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { bins, BitsRows, BitsSchema, index, indexList, NumberList, queryFields, SubsetSchema } from './fields';

export const channelLabelInformation = defineQuery({
  kind: 'channelLabelInformation',
  query: queryFields('channelLabelInformation', {
    epochs: v.optional(
      v.pipe(
        indexList('epochs', 10000),
        v.check((e) => e.length > 0, '"epochs" must name at least one epoch (leave it out for every recorded epoch)'),
      ),
    ),
    layer: index('layer'),
    x: v.optional(SubsetSchema),
    bins,
  }),
  answer: v.object({
    layer: v.number(),
    /** The recorded epochs measured, ascending (default: every recorded epoch). */
    epochs: NumberList,
    /** `[epoch index][channel]`: I_pair(T_c; Y) in bits; null where undefined. */
    bits: BitsRows,
    /** H(S) of the input set: the most I_pair can be (null when undefined). */
    ceilingBits: BitsSchema,
    /** Channels below 0.01 bit at the last of `epochs`, ascending. */
    uninformative: NumberList,
    inputCount: v.number(),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type ChannelLabelInformationAnswer = v.InferOutput<typeof channelLabelInformation.answer>;
