/**
 * `ablation`: the model's predictions on the probe inputs with some channels of one layer removed
 * (replaced by zero, or by each channel's mean over the probe inputs), against the unablated model
 * at the same epoch. Only the part of the network after the layer runs again, from the layer's
 * activations; residual adds and concatenates read the ablated tensor (docs/estimators.md "Ablation").
 */
import * as v from 'valibot';
import { defineQuery, never } from './descriptor';
import { BitsList, BitsSchema, index, indexList, NumberList, queryFields, SubsetSchema } from './fields';

/** How an ablated channel's activations are replaced. */
export const ABLATION_MODES = ['zero', 'mean'] as const;
export type AblationMode = (typeof ABLATION_MODES)[number];

export const AblationModeSchema = v.optional(
  v.picklist(ABLATION_MODES, (issue) => `"mode" must be "zero" or "mean", got ${JSON.stringify(issue.input)}`),
);

/** What the model's predictions on a set of inputs measure (the recorded probe measures, on these inputs). */
export const PredictionMeasuresSchema = v.object({
  /** Share of inputs whose predicted class is their label. */
  accuracy: v.number(),
  /** Mean cross-entropy `−ln p(label)` (p clamped at 1e-7), as the recorded probe loss; null without class scores. */
  loss: BitsSchema,
  /** `[class]`: accuracy on the inputs of that class, null for a class with none. */
  perClassAccuracy: BitsList,
  /** `[class]`: H(label | pred = class), bits, null where undefined (a class never predicted). */
  hLabelGivenPred: BitsList,
  /** `[class]`: H(pred | label = class), bits, null where undefined (a class without inputs). */
  hPredGivenLabel: BitsList,
  /** Rows = true class, columns = predicted. */
  confusion: v.array(NumberList),
});
export type PredictionMeasures = v.InferOutput<typeof PredictionMeasuresSchema>;

/** Ablated minus baseline, field by field (null where either is undefined). */
export const PredictionDeltaSchema = v.object({
  accuracy: v.number(),
  loss: BitsSchema,
  perClassAccuracy: BitsList,
  hLabelGivenPred: BitsList,
  hPredGivenLabel: BitsList,
});
export type PredictionDelta = v.InferOutput<typeof PredictionDeltaSchema>;

export const ablation = defineQuery({
  kind: 'ablation',
  query: queryFields('ablation', {
    epoch: index('epoch'),
    layer: index('layer'),
    /** Deduplicated and sorted, so one set of channels is one query (and one cached answer). */
    channels: v.pipe(
      indexList('channels', 100000),
      v.check((c) => c.length > 0, '"channels" must name at least one channel'),
      v.transform((c) => [...new Set(c)].sort((a, b) => a - b)),
    ),
    mode: AblationModeSchema,
    x: v.optional(SubsetSchema),
  }),
  answer: v.object({
    epoch: v.number(),
    layer: v.number(),
    channels: NumberList,
    mode: v.picklist(ABLATION_MODES),
    inputCount: v.number(),
    classNames: v.array(v.string()),
    /** The unablated model at the same epoch on the same inputs. */
    baseline: PredictionMeasuresSchema,
    ablated: PredictionMeasuresSchema,
    /** ablated − baseline. */
    delta: PredictionDeltaSchema,
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type AblationAnswer = v.InferOutput<typeof ablation.answer>;
