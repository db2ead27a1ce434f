/** `featureMaps`: a layer's activations on a few inputs, channel by channel (paper 5.4). */
import * as v from 'valibot';
import { always, defineQuery, never } from './descriptor';
import { EncodedArraySchema } from './encoding';
import { index, indexList, NumberList, queryFields, SubsetSchema } from './fields';

export const featureMaps = defineQuery({
  kind: 'featureMaps',
  query: queryFields('featureMaps', {
    channels: v.pipe(
      indexList('channels', 4096),
      v.check((c) => c.length > 0, '"channels" must name at least one channel'),
    ),
    layer: index('layer'),
    epoch: index('epoch'),
    x: SubsetSchema,
  }),
  answer: v.object({
    layer: v.number(),
    epoch: v.number(),
    inputs: NumberList,
    labels: NumberList,
    channels: NumberList,
    /** `[inputs, channels, H, W]` (a dense layer is one channel of U units: H = 1, W = U). */
    maps: EncodedArraySchema,
    min: v.number(),
    max: v.number(),
    /** `[min, max]` per requested channel. */
    channelRanges: v.array(v.tuple([v.number(), v.number()])),
  }),
  fromRecord: never,
  cached: true,
  quick: always,
  forwardPass: true,
});

export type FeatureMapsAnswer = v.InferOutput<typeof featureMaps.answer>;
