/** `confusion`: the recorded confusion matrix of an epoch, or with `inputs` the probe inputs in each cell. */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { index, NumberList, queryFields } from './fields';

export const confusion = defineQuery({
  kind: 'confusion',
  query: queryFields('confusion', {
    inputs: v.optional(v.boolean('"inputs" must be true or false')),
    epoch: index('epoch'),
  }),
  answer: v.object({
    epoch: v.number(),
    classNames: v.array(v.string()),
    /** Rows = true class, columns = predicted. */
    matrix: v.array(NumberList),
    /** With `inputs: true`: the probe inputs in each cell, `[true][predicted]`. */
    cells: v.optional(v.array(v.array(NumberList))),
  }),
  fromRecord: (q) => !q.inputs,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type ConfusionAnswer = v.InferOutput<typeof confusion.answer>;
