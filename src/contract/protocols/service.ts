/**
 * The messages between a parent (the extension host, the CLI, tests) and the analysis service
 * child process (`dist/service.js`, started with child_process.fork), as valibot schemas over the
 * typed channel of src/rpc: the types are inferred from the schemas, the service checks every
 * request and notification against them, the parent every answer (its envelope here, its fields
 * against the answer schema of the kind asked, in client.ts). The child announces its
 * protocol version first (`hello`); the parent refuses any other version.
 */
import * as v from 'valibot';
import { defineNotification, defineRequest, ParamsIn, ResultOut, RpcError } from '../messages';
import { Answer, QUERY_ERROR_CODES, QUERY_PRIORITIES, QueryError, QueryErrorCode, QueryMessageSchema } from '../queries';

/** Bumped whenever a message changes shape (2: the typed channel's envelope). */
export const SERVICE_PROTOCOL_VERSION = 3;

const isObject = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The answer's envelope: the request does not say which kind it answers, so the client checks the
 * answer itself against the answer schema of the kind it asked (client.ts, checkAnswer).
 */
const AnswerSchema = v.custom<Answer>(isObject, 'an answer must be an object');

/** Service → parent, first: the protocol it speaks. */
export const serviceHello = defineNotification(
  'hello',
  v.object({
    protocolVersion: v.number(),
    pid: v.number(),
    /**
     * Which engine runs the forward passes of PyTorch runs, in one line: the native engine (ONNX
     * Runtime), or why it is not in use (src/native/ortRuntime.ts `nativeRuntime`) and WebAssembly
     * answers instead. `native` says which.
     */
    engine: v.optional(v.object({ native: v.boolean(), line: v.pipe(v.string(), v.maxLength(500)) })),
  }),
);

/**
 * One query about a run folder. `view` names the asker (e.g. "layer view of run X"): a new query
 * from the same view cancels the one still running, since its answer would be stale on arrival.
 * `priority` orders a burst: waiting queries are computed on-screen first (docs/queries.md).
 */
export const serviceQuery = defineRequest('query', {
  params: v.object({
    run: v.pipe(v.string('"run" must be the path of a run folder'), v.minLength(1, '"run" must be the path of a run folder')),
    query: QueryMessageSchema,
    view: v.optional(v.string('"view" must be a string')),
    /** How soon the answer is needed (queries/priorities.ts, QUERY_PRIORITIES; default `visible`). */
    priority: v.optional(v.picklist(QUERY_PRIORITIES, `"priority" must be one of ${QUERY_PRIORITIES.join(', ')}`)),
    /** Who asks (a panel): `standing` puts all its waiting queries behind the others'. */
    asker: v.optional(v.pipe(v.string('"asker" must be a string'), v.maxLength(200))),
  }),
  result: v.object({ answer: AnswerSchema, cached: v.boolean(), ms: v.number() }),
  progress: v.object({ fraction: v.number(), message: v.string() }),
});

/**
 * Puts the waiting queries of `asker` (a panel that is not the active one) behind every other
 * asker's, whatever their priorities, or (`behind` false) back among them (queryQueue.ts).
 */
export const serviceStanding = defineNotification(
  'standing',
  v.object({ asker: v.pipe(v.string(), v.maxLength(200)), behind: v.boolean() }),
);

/** Replaces the folders whose runs may be read. */
export const serviceConfigure = defineNotification('configure', v.object({ roots: v.array(v.string()) }));

/** Ends the service. */
export const serviceShutdown = defineNotification('shutdown', v.object({}));

export type ServiceQueryParams = ParamsIn<typeof serviceQuery>;
export type ServiceQueryResult = ResultOut<typeof serviceQuery>;

/**
 * A failed query as the parent's callers know it: the service's own codes pass through, a request
 * the service found malformed is `bad-query`, and a channel failure (closed, timed out, a malformed
 * answer) is `internal`.
 */
export function toQueryError(e: unknown): QueryError {
  if (e instanceof QueryError) return e;
  if (RpcError.is(e)) {
    if (isQueryErrorCode(e.code)) return new QueryError(e.code, e.message);
    if (e.code === 'bad-request' || e.code === 'unknown-method') return new QueryError('bad-query', e.message);
    return new QueryError('internal', e.message);
  }
  return new QueryError('internal', `internal error: ${(e as Error)?.message ?? String(e)}`);
}

function isQueryErrorCode(code: string): code is QueryErrorCode {
  return (QUERY_ERROR_CODES as readonly string[]).includes(code);
}
