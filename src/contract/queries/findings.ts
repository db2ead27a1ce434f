/**
 * `findings`: what the recorded measures say about the model, as rules with named thresholds
 * (src/service/findings/), each finding with its evidence numbers, the layer and its source line,
 * and the view that shows the evidence. A finding that names channels which look removable carries
 * the measured ablation of those channels together (query `ablation`): proof, not a guess.
 */
import * as v from 'valibot';
import { ABLATION_MODES } from './ablation';
import { defineQuery, never } from './descriptor';
import { BitsSchema, index, NumberList, queryFields } from './fields';
import { FINDING_VIEWS } from '../views';

/** Every kind of finding, in the order a list shows them within one severity. */
export const FINDING_KINDS = [
  'control-above-chance',
  'memorisation-baseline',
  'control-near-chance',
  'class-never-predicted',
  'probe-loss-rising',
  'dead-channels',
  'near-duplicate-channels',
  'uninformative-channels',
  'label-information-drop',
  'inert-layer',
  'measurement-ceiling',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** As VS Code's diagnostics name them: a warning asks the user to act, information explains. */
export const FINDING_SEVERITIES = ['warning', 'information'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const FindingSchema = v.object({
  kind: v.picklist(FINDING_KINDS),
  severity: v.picklist(FINDING_SEVERITIES),
  /** The run layer it is about (absent for a finding about the whole model or the training). */
  layer: v.optional(v.number()),
  /** The layer as the views name it: the user's name, else its short label ("conv2", src/contract/layerLabel.ts). */
  layerName: v.optional(v.string()),
  /** The layer's definition in the model file, as the manifest records it. */
  source: v.optional(v.object({ file: v.string(), line: v.number(), column: v.number() })),
  epoch: v.number(),
  /** One line: what was found, with its main numbers ("3 dead channels: 2, 5, 7"). */
  message: v.string(),
  /** What it means and what to do, and the rule's threshold by name. */
  detail: v.string(),
  /** The numbers the rule read, by name (bits, shares, counts); null where undefined. */
  evidence: v.record(v.string(), v.union([BitsSchema, NumberList])),
  /** The channels it names, ascending. */
  channels: v.optional(NumberList),
  /** For removable-looking channels: the measured ablation of all of them together. */
  ablation: v.optional(
    v.object({
      channels: NumberList,
      mode: v.picklist(ABLATION_MODES),
      accuracyBefore: v.number(),
      accuracyAfter: v.number(),
      lossBefore: BitsSchema,
      lossAfter: BitsSchema,
    }),
  ),
  /** Where the evidence is shown: one of the views that say so (src/contract/views.ts FINDING_VIEWS). */
  view: v.object({
    view: v.picklist(FINDING_VIEWS),
    layer: v.optional(v.number()),
    epoch: v.optional(v.number()),
    channel: v.optional(v.number()),
    /** For `compare`: the other run's id. */
    run: v.optional(v.string()),
    /** For `information`: the information plane's estimator to show (the binned one, for its saturation). */
    estimator: v.optional(v.picklist(['pairwise', 'binned'])),
  }),
});
export type Finding = v.InferOutput<typeof FindingSchema>;

/**
 * The probe size that resolves a measurement ceiling (`evidence.suggestedProbeSize`), undefined when
 * the finding suggests none or even the whole dataset does not resolve it (`probeSizeCapped`, said
 * in the message). Each surface words the advice: the command line and the report "record with
 * --probe N", VS Code its setting `cnnSlicer.probeSize`.
 */
export function probeToResolve(f: Finding): number | undefined {
  const size = f.evidence.suggestedProbeSize;
  return f.kind === 'measurement-ceiling' && typeof size === 'number' && !f.evidence.probeSizeCapped ? size : undefined;
}

export const findings = defineQuery({
  kind: 'findings',
  query: queryFields('findings', {
    /** Default: the last recorded epoch. */
    epoch: v.optional(index('epoch')),
  }),
  answer: v.object({
    epoch: v.number(),
    /** Warnings first, then by kind (FINDING_KINDS) and layer. */
    findings: v.array(FindingSchema),
    /** The thresholds the rules used, by name (docs/estimators.md "Findings"). */
    thresholds: v.record(v.string(), v.number()),
    /** Rules that could not be checked on this run, and why (a model without class output, one recorded epoch, …). */
    skipped: v.array(v.object({ kind: v.picklist(FINDING_KINDS), reason: v.string() })),
  }),
  fromRecord: never,
  cached: true,
  quick: never,
  forwardPass: true,
});

export type FindingsAnswer = v.InferOutput<typeof findings.answer>;
