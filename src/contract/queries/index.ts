/**
 * The slice queries of the analysis service (paper 4.3 and 5.1–5.4) and their answers: one typed
 * request/response vocabulary shared by the service, the CLI (`cli query`), the extension host and
 * the webviews. Documented for people in docs/queries.md. Pure: no I/O, runs in browsers too.
 *
 * Each kind is one descriptor (its own file: query schema, answer schema, facts); this list is the
 * only place the kinds are named, and everything else here — `Query`, `AnswerOf`, the parser, the
 * facts the engine and the report decide by — is derived from it.
 */
import * as v from 'valibot';
import type { RunManifest } from '../runFormat';
import { capacityMatrix } from './capacityMatrix';
import { channelEntropies } from './channelEntropies';
import { ablation } from './ablation';
import { channelImportance } from './channelImportance';
export type { ChannelImportanceEstimateAnswer } from './channelImportanceEstimate';
import { channelImportanceEstimate } from './channelImportanceEstimate';
import { channelLabelInformation } from './channelLabelInformation';
import { channelPair } from './channelPair';
import { confusion } from './confusion';
import { deconvolution } from './deconvolution';
import { badQuery, QueryError } from './errors';
import { featureMaps } from './featureMaps';
import { findings } from './findings';
import { isObject, kindMessage, QUERY_NOT_OBJECT, withoutUndefined } from './fields';
import { informationPlane } from './informationPlane';
import { inputDiversity } from './inputDiversity';
import { inputs } from './inputs';
import { interSample } from './interSample';
import { layerCapacity } from './layerCapacity';
import { networkGraph } from './networkGraph';
import { run } from './run';
import { smallMultiples } from './smallMultiples';
import { training } from './training';

/** Version of the query vocabulary; cached answers from another version are never reused. */
export const QUERY_VERSION = 13;

/** Every query kind, in the order the vocabulary lists them (docs/queries.md). */
export const QUERY_DESCRIPTORS = [
  run,
  training,
  confusion,
  inputs,
  featureMaps,
  channelEntropies,
  smallMultiples,
  interSample,
  inputDiversity,
  capacityMatrix,
  layerCapacity,
  channelPair,
  deconvolution,
  networkGraph,
  channelLabelInformation,
  informationPlane,
  ablation,
  channelImportance,
  channelImportanceEstimate,
  findings,
] as const;

type Descriptor = (typeof QUERY_DESCRIPTORS)[number];

export type Query = v.InferOutput<Descriptor['query']>;
export type QueryKind = Query['kind'];
export type QueryOf<K extends QueryKind> = Extract<Query, { kind: K }>;
export type DescriptorOf<K extends QueryKind> = Extract<Descriptor, { kind: K }>;
export type AnswerOf = { [D in Descriptor as D['kind']]: v.InferOutput<D['answer']> };
export type Answer = AnswerOf[QueryKind];

export const QUERY_KINDS: readonly QueryKind[] = QUERY_DESCRIPTORS.map((d) => d.kind);

const BY_KIND = new Map<string, Descriptor>(QUERY_DESCRIPTORS.map((d) => [d.kind, d]));

/** The descriptor of `kind`. */
export function descriptorOf<K extends QueryKind>(kind: K): DescriptorOf<K> {
  return BY_KIND.get(kind) as DescriptorOf<K>;
}

/** Any query of the vocabulary, fields checked in their kind's order with their own messages. */
export const QUERY_SCHEMA = v.variant(
  'kind',
  QUERY_DESCRIPTORS.map((d) => d.query),
  kindMessage(QUERY_NOT_OBJECT, unknownKind),
) as unknown as v.GenericSchema<unknown, Query>;

function unknownKind(kind: unknown): string {
  return `unknown query kind ${JSON.stringify(kind)}; known kinds: ${QUERY_KINDS.join(', ')}`;
}

/**
 * Validates a query from untrusted JSON (a webview, the command line, another process) and returns
 * a clean copy holding only the known fields; throws QueryError('bad-query') naming what is wrong.
 */
export function parseQuery(x: unknown): Query {
  if (!isObject(x)) throw badQuery(QUERY_NOT_OBJECT);
  if (!BY_KIND.has(x.kind as string)) throw badQuery(unknownKind(x.kind));
  const r = v.safeParse(QUERY_SCHEMA, x);
  if (!r.success) throw badQuery(r.issues[0].message);
  return withoutUndefined(r.output);
}

/** A query as a message field: checked and cleaned by parseQuery, its message naming what is wrong. */
export const QueryMessageSchema = v.pipe(
  v.custom<Query>(isObject, QUERY_NOT_OBJECT),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return parseQuery(dataset.value);
    } catch (e) {
      if (!(e instanceof QueryError)) throw e;
      addIssue({ message: e.message });
      return NEVER;
    }
  }),
);

/**
 * Checks an answer of `kind` that crossed a process or webview boundary against its kind's answer
 * schema; undefined with the first issue's message when it does not fit.
 */
export function checkAnswer<K extends QueryKind>(
  kind: K,
  answer: unknown,
): { answer: AnswerOf[K]; problem?: undefined } | { answer?: undefined; problem: string } {
  const r = v.safeParse(descriptorOf(kind).answer, answer);
  if (r.success) return { answer: r.output as AnswerOf[K] };
  const issue = r.issues[0];
  const at = issue.path?.map((p) => String(p.key)).join('.');
  return { problem: `a malformed ${kind} answer${at ? ` at ${at}` : ''}: ${issue.message}` };
}

/** Whether the handler answers `query` from what the recorder wrote, without computing (never waits, never cached). */
export function answeredFromRecord(query: Query, manifest: RunManifest): boolean {
  return (descriptorOf(query.kind).fromRecord as (q: Query, m: RunManifest) => boolean)(query, manifest);
}

/** Whether `query` is a slice of a few inputs, which goes first within its priority. */
export function isQuickSlice(query: Query): boolean {
  return (descriptorOf(query.kind).quick as (q: Query) => boolean)(query);
}

/** Whether computed answers of `kind` are kept in the run's answer cache. */
export function isCachedKind(kind: QueryKind): boolean {
  return descriptorOf(kind).cached;
}

/** Whether `kind` runs the model (a forward pass or a deconvolution): a report's time budget is spent on these last. */
export function needsForwardPass(kind: QueryKind): boolean {
  return descriptorOf(kind).forwardPass;
}

/** A canonical text of a query (keys sorted), for cache keys and "same query" checks. */
export function canonicalQuery(q: Query): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : isObject(x)
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort(x[k])]),
          )
        : x;
  return JSON.stringify(sort(q));
}

export { QUERY_ERROR_CODES, QueryError } from './errors';
export type { QueryErrorCode } from './errors';
export { QUERY_PRIORITIES } from './priorities';
export type { QueryPriority } from './priorities';
export { decodeFloat32, encodeFloat32, encodedValues } from './encoding';
export type { EncodedArray } from './encoding';
export type { Bits } from './fields';
export type { QueryDescriptor } from './descriptor';
export { MAX_NETWORK_CLUSTERS } from './networkGraph';
export type { NetworkCluster, NetworkEdge, NetworkGraphAnswer, NetworkNode } from './networkGraph';
export type { RunAnswer } from './run';
export type { TrainingAnswer } from './training';
export type { ConfusionAnswer } from './confusion';
export type { InputsAnswer } from './inputs';
export type { FeatureMapsAnswer } from './featureMaps';
export type { ChannelEntropiesAnswer } from './channelEntropies';
export type { SmallMultiplesAnswer } from './smallMultiples';
export type { InterSampleAnswer } from './interSample';
export { recordedInterSample, undefinedWithReason, withReason } from './interSample';
export type { InputDiversityAnswer } from './inputDiversity';
export type { CapacityMatrixAnswer } from './capacityMatrix';
export type { LayerCapacityAnswer } from './layerCapacity';
export type { ChannelPairAnswer } from './channelPair';
export type { DeconvolutionAnswer } from './deconvolution';
export type { ChannelLabelInformationAnswer } from './channelLabelInformation';
export type { InformationPlaneAnswer, InformationPlanePoint } from './informationPlane';
export { ABLATION_MODES } from './ablation';
export type { AblationAnswer, AblationMode, PredictionDelta, PredictionMeasures } from './ablation';
export {
  ESTIMATE_VERIFIED_MIN,
  ESTIMATE_VERIFIED_RHO,
  estimateSentence,
  IMPORTANCE_MEASURES,
  IMPORTANCE_SAMPLE_SEED,
  IMPORTANCE_SAMPLED,
  IMPORTANCE_SIGNIFICANCE,
  IMPORTANCE_TOP_K,
  importanceTiers,
  importanceReading,
  measuredText,
} from './channelImportance';
export type {
  ChannelAblation,
  ChannelImportanceAnswer,
  EstimateTier,
  ImportanceMeasure,
  ImportanceReading,
  MeasureCorrelation,
} from './channelImportance';
export { FINDING_KINDS, FINDING_SEVERITIES, probeToResolve } from './findings';
export type { Finding, FindingKind, FindingSeverity, FindingsAnswer } from './findings';
