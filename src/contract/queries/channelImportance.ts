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

/** Channels each layer's answer measures exactly beyond the estimate by default: the top-k by estimated Δ loss… */
export const IMPORTANCE_TOP_K = 8;
/** …and this many more drawn at random (seeded) from the rest. */
export const IMPORTANCE_SAMPLED = 8;
/** The seed of that draw. */
export const IMPORTANCE_SAMPLE_SEED = 0;
/** The two tiers' sizes for `exact` channels measured exactly: the top half (rounded up) by estimate, the rest at random. */
export function importanceTiers(exact: number = IMPORTANCE_TOP_K + IMPORTANCE_SAMPLED): { topK: number; sampled: number } {
  const topK = Math.ceil(exact / 2);
  return { topK, sampled: exact - topK };
}
/** A layer's estimates are verified when ρ(estimate, measured Δ loss) is at least this… */
export const ESTIMATE_VERIFIED_RHO = 0.8;
/** …over at least this many measured channels. */
export const ESTIMATE_VERIFIED_MIN = 8;

const ChannelAblationSchema = v.object({
  channel: v.number(),
  /** Whether the channel was ablated exactly; an unmeasured channel has only its estimate (every Δ below is null, classesLosing empty). */
  measured: v.boolean(),
  /** The first-order Taylor estimate of Δ loss from zeroing the channel (null where there is none: mean ablation, an input subset, no loss). */
  estimate: BitsSchema,
  /** Loss with this channel ablated minus the baseline loss (null without class scores, or unmeasured). */
  deltaLoss: BitsSchema,
  /** The 95 % bootstrap interval of Δ loss over the probe inputs (percentile; null when Δ loss is). */
  deltaLossLow: BitsSchema,
  deltaLossHigh: BitsSchema,
  /** Accuracy with this channel ablated minus the baseline accuracy (null when unmeasured). */
  deltaAccuracy: v.nullable(v.number()),
  /** The classes whose accuracy drops most (at most 3, largest drop first; only drops). */
  classesLosing: v.array(v.object({ class: v.number(), deltaAccuracy: v.number() })),
});
export type ChannelAblation = v.InferOutput<typeof ChannelAblationSchema>;

const MeasureCorrelationSchema = v.object({
  measure: v.picklist(IMPORTANCE_MEASURES),
  /** `[channel]`: the measure's value, null where undefined. */
  values: BitsList,
  /** Spearman's rank correlation of the values with Δ loss over the measured channels where both are defined (null with fewer than 3, or a constant). */
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

/**
 * The two tiers (docs/estimators.md "Channel importance in two tiers"): every channel estimated, the
 * {@link IMPORTANCE_TOP_K} most costly by estimate and {@link IMPORTANCE_SAMPLED} drawn from the rest
 * measured exactly, and Spearman's ρ between the estimate and the measured Δ loss over those.
 */
const EstimateTierSchema = v.object({
  /** Every channel was ablated exactly (asked with `exhaustive`, or the layer has no more channels than the two tiers measure, or there is no estimate). */
  exhaustive: v.boolean(),
  /** Channels ablated exactly. */
  measuredCount: v.number(),
  /** The top-k by estimate, the random sample's size and its seed (what the measured channels are, when not every one). */
  topK: v.number(),
  sampled: v.number(),
  seed: v.number(),
  /** Spearman's ρ between estimate and measured Δ loss over the measured channels (null with fewer than 3, a constant, or no estimate). */
  spearman: BitsSchema,
  /** ρ ≥ ESTIMATE_VERIFIED_RHO over at least ESTIMATE_VERIFIED_MIN measured channels: the estimates of the unmeasured channels can be read as an order. */
  verified: v.boolean(),
  /** Why there is no estimate, when there is none. */
  note: v.optional(v.string()),
});
export type EstimateTier = v.InferOutput<typeof EstimateTierSchema>;

export const channelImportance = defineQuery({
  kind: 'channelImportance',
  query: queryFields('channelImportance', {
    epoch: index('epoch'),
    layer: index('layer'),
    mode: AblationModeSchema,
    x: v.optional(SubsetSchema),
    /** Ablate every channel exactly (the estimate still given beside); by default the two tiers of {@link EstimateTierSchema}. */
    exhaustive: v.optional(v.boolean()),
    /**
     * How many channels the two tiers ablate exactly (default {@link IMPORTANCE_TOP_K} +
     * {@link IMPORTANCE_SAMPLED}): the top half (rounded up) by estimate, the rest drawn at random.
     * 0 gives the estimates alone: no ablation but the baseline, and no information measure (they
     * are correlated over measured channels only). Ignored where every channel is measured anyway
     * (`exhaustive`, no estimate).
     */
    exact: v.optional(
      v.pipe(
        v.number('"exact" must be a whole number of channels from 0 to 4096'),
        v.integer('"exact" must be a whole number of channels from 0 to 4096'),
        v.minValue(0, '"exact" must be a whole number of channels from 0 to 4096'),
        v.maxValue(4096, '"exact" must be a whole number of channels from 0 to 4096'),
      ),
    ),
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
    /** Which channels were measured, and how well the estimate orders them. */
    estimate: EstimateTierSchema,
    measures: v.array(MeasureCorrelationSchema),
    /** Permutations each p-value is from. */
    permutations: v.number(),
    /** How the p-values are corrected for the number of tests in the answer. */
    correction: v.literal('holm'),
    /** The bootstrap of Δ loss and ρ: resamples of the probe inputs, their seed, the intervals' coverage. */
    bootstrap: v.object({ resamples: v.number(), seed: v.number(), level: v.number() }),
    /** Channel indices, most costly first: the measured ones by Δ loss, then the others by estimate (a convenience for tables). */
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

/** "16 of 64 channels measured" or "64 channels": how many channels the answer ablated exactly. */
export function measuredText(a: { channels: readonly unknown[]; estimate: EstimateTier }): string {
  const n = a.channels.length;
  return a.estimate.measuredCount === n ? `${n} channel${n === 1 ? '' : 's'}` : `${a.estimate.measuredCount} of ${n} channels measured`;
}

/**
 * One sentence on the estimate tier, as every surface prints it: which channels were ablated, ρ
 * between the Taylor estimate and the measured Δ loss, and whether that verifies the estimates.
 */
export function estimateSentence(e: EstimateTier): string {
  const rho = e.spearman === null ? 'ρ undefined (fewer than 3 channels with both, or one is constant)' : `ρ = ${e.spearman.toFixed(2)}`;
  const over = `over the ${e.measuredCount} measured channel${e.measuredCount === 1 ? '' : 's'}`;
  if (e.note) return `Every channel ablated exactly; no Taylor estimate: ${e.note}.`;
  if (e.exhaustive) return `Every channel ablated exactly; the Taylor estimate orders them with ${rho} (Spearman, ${over}).`;
  if (e.measuredCount === 0)
    return 'Estimates only: every channel has its Taylor estimate (the first-order Δ loss of zeroing it) and none was ablated exactly, so nothing verifies their order; measure channels exactly to know.';
  const which = `Taylor estimate for every channel; the ${e.topK} it ranks most costly and ${e.sampled} more at random (seed ${e.seed}) ablated exactly`;
  if (e.verified) return `${which}: ${rho} ${over} — verified (ρ ≥ ${ESTIMATE_VERIFIED_RHO}).`;
  const why =
    e.measuredCount < ESTIMATE_VERIFIED_MIN
      ? `fewer than ${ESTIMATE_VERIFIED_MIN} channels measured`
      : e.spearman === null
        ? 'no ρ'
        : `ρ < ${ESTIMATE_VERIFIED_RHO}`;
  return `${which}: ${rho} ${over} — unverified (${why}): the unmeasured channels' estimates are not a reliable order; measure every channel to know.`;
}
