/**
 * `channelImportanceEstimate`: the first-order Taylor estimate of what zeroing each channel costs,
 * `−(1/N) Σ_inputs Σ_positions a · ∂loss/∂a`, for every channel of the layers asked (default: every
 * layer from 1 to the scored output), from one forward and one backward pass over the probe inputs
 * (docs/estimators.md "The Taylor estimate"). Issue 48's first tier, asked on its own: the
 * `channelImportance` answer still ablates every channel exactly.
 */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsList, index, indexList, NumberList, queryFields } from './fields';

export const channelImportanceEstimate = defineQuery({
  kind: 'channelImportanceEstimate',
  query: queryFields('channelImportanceEstimate', {
    epoch: index('epoch'),
    /** Deduplicated and sorted, so one set of layers is one query (and one cached answer). */
    layers: v.optional(
      v.pipe(
        indexList('layers', 100000),
        v.transform((l) => [...new Set(l)].sort((a, b) => a - b)),
      ),
    ),
  }),
  answer: v.object({
    epoch: v.number(),
    inputCount: v.number(),
    /** The run layer whose values are the class scores the loss reads. */
    outputLayer: v.number(),
    layers: v.array(
      v.object({
        layer: v.number(),
        /** `[channel]`: the estimated Δ loss of zeroing the channel (null where undefined). */
        estimates: BitsList,
        /** Channel indices by |estimate|, largest first (ties by index). */
        ranking: NumberList,
      }),
    ),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type ChannelImportanceEstimateAnswer = v.InferOutput<typeof channelImportanceEstimate.answer>;
