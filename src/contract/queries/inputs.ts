/** `inputs`: probe inputs (images) with their labels, read from the recorded probe set. */
import * as v from 'valibot';
import { always, defineQuery } from './descriptor';
import { EncodedArraySchema } from './encoding';
import { NumberList, queryFields, SubsetSchema } from './fields';

export const inputs = defineQuery({
  kind: 'inputs',
  query: queryFields('inputs', { x: SubsetSchema }),
  answer: v.object({
    inputs: NumberList,
    labels: NumberList,
    /** `[inputs, H, W, C]`. */
    images: EncodedArraySchema,
    min: v.number(),
    max: v.number(),
  }),
  fromRecord: always,
  cached: false,
  quick: always,
  forwardPass: false,
});

export type InputsAnswer = v.InferOutput<typeof inputs.answer>;
