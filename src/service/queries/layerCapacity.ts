/** `layerCapacity`: the capacity between two whole layers (paper 4.3). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { bins, BitsSchema, index, queryFields, SubsetSchema } from './fields';

export const layerCapacity = defineQuery({
  kind: 'layerCapacity',
  query: queryFields('layerCapacity', {
    layerI: index('layerI'),
    layerJ: index('layerJ'),
    epoch: index('epoch'),
    x: v.optional(SubsetSchema),
    bins,
  }),
  answer: v.object({
    layerI: v.number(),
    layerJ: v.number(),
    epoch: v.number(),
    inputCount: v.number(),
    bins: v.number(),
    bits: BitsSchema,
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type LayerCapacityAnswer = v.InferOutput<typeof layerCapacity.answer>;
