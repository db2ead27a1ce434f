/** `interSample`: the inter-sample entropy of a layer's activations at an epoch (paper 4.3). */
import * as v from 'valibot';
import { INTER_SAMPLE_UNDEFINED_TEXT, type InterSampleUndefined } from '../../analysis/interSampleReasons';
import type { LayerEpochMetrics } from '../runFormat';
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
    /** Why `bits` is null, in words ("all probe inputs are identical here"); absent where it is a number or the run does not say. */
    reason: v.optional(v.string()),
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

/**
 * A layer's recorded inter-sample entropy over all probe inputs (`cls` absent) or one class's, with
 * why it is undefined (`why`). A layer whose every channel output 0 for every probe input has
 * identical inputs: undefined whatever was recorded, since runs recorded before that rule hold the
 * ceiling `log2(N(N−1))` there (estimators.md "Inter-sample entropy"). `inputs` is the set's size.
 */
export function recordedInterSample(
  m: LayerEpochMetrics,
  channels: number,
  inputs: number,
  cls?: number,
): { bits: number | null; why?: InterSampleUndefined } {
  if (inputs < 3) return { bits: null, why: 'too-few-samples' };
  if (channels > 0 && m.deadChannels.length >= channels) return { bits: null, why: 'identical-samples' };
  const bits = cls === undefined ? m.interSampleBits : (m.interSampleBitsPerClass[cls] ?? null);
  if (bits !== null) return { bits };
  const why = cls === undefined ? m.interSampleUndefined : m.interSampleUndefinedPerClass?.[cls];
  return why ? { bits, why } : { bits };
}

/** The answer's `bits` and `reason` (in words) of a value and why it is undefined. */
export function withReason(r: { bits: number | null; why?: InterSampleUndefined | null }): { bits: number | null; reason?: string } {
  return r.bits === null && r.why ? { bits: null, reason: INTER_SAMPLE_UNDEFINED_TEXT[r.why] } : { bits: r.bits };
}

/** "undefined (all probe inputs are identical here)", or "undefined" without a reason. */
export function undefinedWithReason(reason: string | undefined): string {
  return reason ? `undefined (${reason})` : 'undefined';
}
