/** `capacityMatrix`: the channel capacity of every channel pair of two layers (paper Fig. 8). */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsList, LAYER_PAIR_ANSWER, LAYER_PAIR_FIELDS, NumberList, queryFields } from './fields';

export const capacityMatrix = defineQuery({
  kind: 'capacityMatrix',
  query: queryFields('capacityMatrix', LAYER_PAIR_FIELDS),
  answer: v.object({
    ...LAYER_PAIR_ANSWER,
    /** Rows = channels of `layerJ`, columns = channels of `layerI` (paper Fig. 8). */
    rows: v.number(),
    columns: v.number(),
    /** Row-major bits; `null` where undefined. */
    values: BitsList,
    /** Orders for each sort key, descending, ties by index (paper 5.3.2): a view re-sorts without asking again. */
    orders: v.object({ rowMax: NumberList, rowMean: NumberList, columnMax: NumberList, columnMean: NumberList }),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type CapacityMatrixAnswer = v.InferOutput<typeof capacityMatrix.answer>;
