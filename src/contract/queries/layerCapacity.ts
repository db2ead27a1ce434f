/** `layerCapacity`: the capacity between two whole layers (paper 4.3). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsSchema, LAYER_PAIR_ANSWER, LAYER_PAIR_FIELDS, queryFields } from './fields';

export const layerCapacity = defineQuery({
  kind: 'layerCapacity',
  query: queryFields('layerCapacity', LAYER_PAIR_FIELDS),
  answer: v.object({
    ...LAYER_PAIR_ANSWER,
    bits: BitsSchema,
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type LayerCapacityAnswer = v.InferOutput<typeof layerCapacity.answer>;
