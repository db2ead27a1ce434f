/** `deconvolution`: a channel's activations projected back to the input pixels, for a few inputs (paper 5.4). */
import * as v from 'valibot';
import { always, defineQuery, never } from './descriptor';
import { EncodedArraySchema } from './encoding';
import { index, NumberList, queryFields, SubsetSchema } from './fields';

export const deconvolution = defineQuery({
  kind: 'deconvolution',
  query: queryFields('deconvolution', {
    layer: index('layer'),
    channel: index('channel'),
    epoch: index('epoch'),
    x: SubsetSchema,
  }),
  answer: v.object({
    layer: v.number(),
    channel: v.number(),
    epoch: v.number(),
    inputs: NumberList,
    labels: NumberList,
    /** `[inputs, H, W, C]` of the model input. */
    projections: EncodedArraySchema,
    min: v.number(),
    max: v.number(),
  }),
  fromRecord: never,
  cached: true,
  quick: always,
  forwardPass: true,
});

export type DeconvolutionAnswer = v.InferOutput<typeof deconvolution.answer>;
