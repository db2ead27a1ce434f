/**
 * `channelImportance`: every channel of a layer ablated alone (query `ablation` with one channel),
 * and how well each information measure of those channels predicts what ablating them costs: the
 * Spearman rank correlation of the measure with Δ loss over the channels, with a permutation
 * p-value (docs/estimators.md "Channel importance"). The paper's premise, tested on the user's model.
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
    /** Channel indices ascending by Δ loss, most costly first (a convenience for tables). */
    ranking: NumberList,
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type ChannelImportanceAnswer = v.InferOutput<typeof channelImportance.answer>;
