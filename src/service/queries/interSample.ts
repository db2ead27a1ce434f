/** `interSample`: the inter-sample entropy of a layer's activations at an epoch (paper 4.3). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsSchema, index, queryFields, SubsetSchema } from './fields';

export const interSample = defineQuery({
  kind: 'interSample',
  query: queryFields('interSample', { layer: index('layer'), epoch: index('epoch'), x: v.optional(SubsetSchema) }),
  answer: v.object({
    layer: v.number(),
    epoch: v.number(),
    inputCount: v.number(),
    K: v.number(),
    bits: BitsSchema,
    source: v.picklist(['summary', 'computed']),
  }),
  // All inputs, and each class of the run on its own, are in the summaries.
  fromRecord: (q, manifest) =>
    !q.x ||
    q.x.kind === 'all' ||
    (q.x.kind === 'classes' && q.x.classes.length === 1 && q.x.classes[0] < manifest.probe.classCounts.length),
  cached: true,
  quick: never,
  forwardPass: false,
});

export type InterSampleAnswer = v.InferOutput<typeof interSample.answer>;
