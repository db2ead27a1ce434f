/**
 * What one query kind is, in one place: the schema of its query and of its answer, and the facts
 * the engine, the service and the report decide by. Pure (valibot only): the webviews read the
 * same schemas. Its handler (src/service/handlers/<kind>.ts) is typed from it.
 */
import type * as v from 'valibot';
import type { RunManifest } from '../runFormat';

/** An object schema of a query: `kind` a literal, the other fields checked with their own messages. */
type QueryObjectSchema<K extends string> = v.ObjectSchema<
  { readonly kind: v.LiteralSchema<K, undefined> } & v.ObjectEntries,
  v.ErrorMessage<v.ObjectIssue> | undefined
>;

export interface QueryDescriptor<
  K extends string = string,
  Q extends QueryObjectSchema<K> = QueryObjectSchema<K>,
  A extends v.GenericSchema = v.GenericSchema,
> {
  readonly kind: K;
  /** The query, from untrusted JSON; every field's message names what is wrong with it. */
  readonly query: Q;
  /** The answer, as the service's parent and the webviews check it. */
  readonly answer: A;
  /**
   * Whether the handler answers `q` by reading what the recorder wrote (the summaries, the probe
   * inputs) without computing: such a query never waits in the engine's queue, and its answer is
   * never written to the answer cache (it costs nothing to read again).
   */
  readonly fromRecord: (q: v.InferOutput<Q>, manifest: RunManifest) => boolean;
  /** Whether a computed answer is kept in the run's answer cache (src/run/cache.ts). */
  readonly cached: boolean;
  /** Whether `q` is a slice of a few inputs: it goes first within its priority (queryQueue.ts). */
  readonly quick: (q: v.InferOutput<Q>) => boolean;
  /**
   * Whether the kind runs the model (a forward pass over the probe inputs, or a deconvolution): a
   * report under a time budget computes these last, and leaves them out once the time is up.
   */
  readonly forwardPass: boolean;
}

/** A descriptor, its types kept exact (the query and answer types are inferred from its schemas). */
export function defineQuery<K extends string, Q extends QueryObjectSchema<K>, A extends v.GenericSchema>(
  descriptor: QueryDescriptor<K, Q, A>,
): QueryDescriptor<K, Q, A> {
  return descriptor;
}

export const never = (): boolean => false;
export const always = (): boolean => true;
