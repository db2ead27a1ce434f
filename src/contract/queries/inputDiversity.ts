/** `inputDiversity`: the inter-sample entropy of the raw inputs of subsets of growing size (paper Fig. 5(B)). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsList, index, indexList, NumberList, queryFields } from './fields';

export const inputDiversity = defineQuery({
  kind: 'inputDiversity',
  query: queryFields('inputDiversity', {
    sizes: v.pipe(
      indexList('sizes', 32),
      v.check((s) => s.length > 0 && s.every((e) => e >= 3), '"sizes" must list subset sizes of at least 3'),
    ),
    source: v.optional(v.picklist(['probe', 'dataset'], '"source" must be "probe" or "dataset"')),
    seed: v.optional(index('seed')),
  }),
  answer: v.object({
    source: v.picklist(['probe', 'dataset']),
    /** Subset sizes in inputs PER CLASS (paper Fig. 5(B): "a dataset of n per class"). */
    sizes: NumberList,
    classNames: v.array(v.string()),
    /**
     * `rows[r].bits[s]`: inter-sample entropy of the raw inputs (layer 0) of one draw at `sizes[s]`:
     * a class row draws `sizes[s]` of its inputs; the "all" row (first) is exactly the union of the
     * class rows' draws (`drawPerClass`, same seeds), `sizes[s]` × the non-empty classes inputs.
     * `null` where a class (for "all": any non-empty class) has fewer than `sizes[s]` inputs;
     * `counts[s]` = inputs drawn (0 there); `available` = inputs in the group.
     */
    rows: v.array(
      v.object({
        class: v.union([v.number(), v.literal('all')]),
        available: v.number(),
        bits: BitsList,
        counts: NumberList,
      }),
    ),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: false,
});

export type InputDiversityAnswer = v.InferOutput<typeof inputDiversity.answer>;
