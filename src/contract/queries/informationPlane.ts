/** `informationPlane`: every layer's trajectory in the information plane, I(X;T) against I(T;Y) (estimators.md). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { bins, BitsSchema, NumberList, queryFields, SubsetSchema } from './fields';

const InformationPlanePointSchema = v.object({
  epoch: v.number(),
  /** I(X; T), bits (pairwise: layer-level capacity between layer 0 and T; binned: H(T)). */
  ixt: BitsSchema,
  /** I(T; Y), bits. */
  ity: BitsSchema,
  /** Binned estimator only: every symbol distinct, so the point sits at its ceilings. Always false for pairwise. */
  saturated: v.boolean(),
});
export type InformationPlanePoint = v.InferOutput<typeof InformationPlanePointSchema>;

const ESTIMATORS = ['pairwise', 'binned'] as const;

export const informationPlane = defineQuery({
  kind: 'informationPlane',
  query: queryFields('informationPlane', {
    estimator: v.picklist(ESTIMATORS, '"estimator" must be "pairwise" or "binned"'),
    x: v.optional(SubsetSchema),
    bins,
  }),
  answer: v.object({
    estimator: v.picklist(ESTIMATORS),
    epochs: NumberList,
    /** One trajectory per layer (every layer but the input layer 0), in layer order. */
    layers: v.array(v.object({ layer: v.number(), points: v.array(InformationPlanePointSchema) })),
    /** Axis ceilings: binned ixt = log2 N, ity = H(Y); pairwise ixt = the capacity ceiling, ity = H(S). */
    ceilings: v.object({ ixt: BitsSchema, ity: BitsSchema }),
    inputCount: v.number(),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: false,
});

export type InformationPlaneAnswer = v.InferOutput<typeof informationPlane.answer>;
