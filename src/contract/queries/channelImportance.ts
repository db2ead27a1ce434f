/**
 * `channelImportance`: every channel of a layer ablated alone (query `ablation` with one channel),
 * and how well each information measure of those channels predicts what ablating them costs: the
 * Spearman rank correlation of the measure with Δ loss over the channels, with a permutation
 * p-value adjusted by Holm's method over the answer's measures, and bootstrap intervals of Δ loss
 * and ρ over the probe inputs (docs/estimators.md "Channel importance"). The paper's premise, tested
 * on the user's model; {@link importanceReading} is the one reading of it every surface prints.
 */
import * as v from 'valibot';
import { AblationModeSchema, ABLATION_MODES } from './ablation';
import { defineQuery, never } from './descriptor';
import { BitsList, BitsSchema, index, NumberList, queryFields, SubsetSchema } from './fields';

/** The information measures of a layer's channels set against their ablation. */
export const IMPORTANCE_MEASURES = ['channelEntropy', 'labelInformation', 'capacityToNext', 'nearDuplicateShare'] as const;
export type ImportanceMeasure = (typeof IMPORTANCE_MEASURES)[number];

const ChannelAblationSchema = v.object({
  channel: v.number(),
  /** Loss with this channel ablated minus the baseline loss (null without class scores). */
  deltaLoss: BitsSchema,
  /** The 95 % bootstrap interval of Δ loss over the probe inputs (percentile; null when Δ loss is). */
  deltaLossLow: BitsSchema,
  deltaLossHigh: BitsSchema,
  /** Accuracy with this channel ablated minus the baseline accuracy. */
  deltaAccuracy: v.number(),
  /** The classes whose accuracy drops most (at most 3, largest drop first; only drops). */
  classesLosing: v.array(v.object({ class: v.number(), deltaAccuracy: v.number() })),
});
export type ChannelAblation = v.InferOutput<typeof ChannelAblationSchema>;

const MeasureCorrelationSchema = v.object({
  measure: v.picklist(IMPORTANCE_MEASURES),
  /** `[channel]`: the measure's value, null where undefined. */
  values: BitsList,
  /** Spearman's rank correlation of the values with Δ loss over the channels where both are defined (null with fewer than 3, or a constant). */
  spearman: BitsSchema,
  /** Two-sided permutation p-value of `spearman` (null when it is). */
  pValue: BitsSchema,
  /** `pValue` adjusted by Holm's method over the measures of this answer that have one (null when it is). */
  adjustedPValue: BitsSchema,
  /** The 95 % bootstrap interval of `spearman` over the probe inputs (each resample's Δ losses, the measure's values held; null when ρ is). */
  spearmanLow: BitsSchema,
  spearmanHigh: BitsSchema,
  /** Channels the correlation is over. */
  channelCount: v.number(),
  /** For `capacityToNext`: the clustered layer the capacities are to (null when the layer has none after it). */
  otherLayer: v.optional(v.nullable(v.number())),
  /** Why the measure has no values, when it has none. */
  note: v.optional(v.string()),
});
export type MeasureCorrelation = v.InferOutput<typeof MeasureCorrelationSchema>;

export const channelImportance = defineQuery({
  kind: 'channelImportance',
  query: queryFields('channelImportance', {
    epoch: index('epoch'),
    layer: index('layer'),
    mode: AblationModeSchema,
    x: v.optional(SubsetSchema),
  }),
  answer: v.object({
    epoch: v.number(),
    layer: v.number(),
    mode: v.picklist(ABLATION_MODES),
    inputCount: v.number(),
    classNames: v.array(v.string()),
    baseline: v.object({ accuracy: v.number(), loss: BitsSchema }),
    /** One per channel of the layer, in channel order. */
    channels: v.array(ChannelAblationSchema),
    measures: v.array(MeasureCorrelationSchema),
    /** Permutations each p-value is from. */
    permutations: v.number(),
    /** How the p-values are corrected for the number of tests in the answer. */
    correction: v.literal('holm'),
    /** The bootstrap of Δ loss and ρ: resamples of the probe inputs, their seed, the intervals' coverage. */
    bootstrap: v.object({ resamples: v.number(), seed: v.number(), level: v.number() }),
    /** Channel indices ascending by Δ loss, most costly first (a convenience for tables). */
    ranking: NumberList,
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type ChannelImportanceAnswer = v.InferOutput<typeof channelImportance.answer>;

/** A rank correlation counts as a prediction when its Holm-adjusted p-value is below this… */
export const IMPORTANCE_SIGNIFICANCE = 0.05;

/** How a measure's correlation with ablation cost reads: a verdict only where the evidence holds one. */
export type ImportanceReading = 'predicts' | 'inversely' | 'no-evidence' | 'untested';

/** Whether an interval (both ends known) holds 0. */
const holdsZero = (low: number | null, high: number | null): boolean => low === null || high === null || (low <= 0 && high >= 0);

/**
 * The reading of a measure (estimators.md "Channel importance"): untested without ρ or p-value;
 * "no evidence" when the Holm-adjusted p-value is not below IMPORTANCE_SIGNIFICANCE, when ρ's
 * bootstrap interval covers 0, or when every channel's Δ-loss interval covers 0 (no ablation
 * measurably changes the loss: there is no cost to predict); else predicts (ρ > 0) or inversely.
 */
export function importanceReading(m: MeasureCorrelation, channels: readonly ChannelAblation[]): ImportanceReading {
  if (m.spearman === null || m.adjustedPValue === null) return 'untested';
  if (m.adjustedPValue >= IMPORTANCE_SIGNIFICANCE || holdsZero(m.spearmanLow, m.spearmanHigh)) return 'no-evidence';
  if (channels.every((c) => holdsZero(c.deltaLossLow, c.deltaLossHigh))) return 'no-evidence';
  return m.spearman > 0 ? 'predicts' : 'inversely';
}
