/**
 * The vocabulary of the typed request/response layer shared by every process and thread boundary
 * (the analysis service, the recorder, the compute pool, the forward-pass worker): the wire
 * envelope, typed request and notification definitions made from valibot schemas (the type and
 * its run-time check come from one definition, as GitLens's `IpcCommandType` and rust-analyzer's
 * `RequestType` do), and the error every failed request rejects with. Pure TypeScript: no Node,
 * no tfjs, no vscode, so the extension host and the webviews may import it.
 */
import * as v from 'valibot';
import { CodedError, hasErrorCode } from '../analysis/errors';

/** Any synchronous valibot schema. */
export type Schema = v.GenericSchema;

/** Longest method name and error code accepted on the wire. */
const MAX_NAME_LENGTH = 100;
/** Longest error message accepted on the wire (a stack trace fits). */
export const MAX_ERROR_MESSAGE_LENGTH = 20_000;

const IdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const NameSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LENGTH));

/** An error as it crosses a boundary: a stable code, a one-line message, and typed extra data where a request defines it. */
export const WireErrorSchema = v.object({
  code: NameSchema,
  message: v.pipe(v.string(), v.maxLength(MAX_ERROR_MESSAGE_LENGTH)),
  data: v.optional(v.unknown()),
});
export type WireError = v.InferOutput<typeof WireErrorSchema>;

/**
 * Every message on a channel. `params`, `result` and progress values are `unknown` here: the
 * channel checks them against the schema of the request or notification the method names. They
 * may be absent, since JSON serialisation drops a key whose value is `undefined`.
 */
export const WireMessageSchema = v.variant('type', [
  v.object({ type: v.literal('request'), id: IdSchema, method: NameSchema, params: v.optional(v.unknown()) }),
  v.object({ type: v.literal('result'), id: IdSchema, result: v.optional(v.unknown()) }),
  v.object({ type: v.literal('error'), id: IdSchema, error: WireErrorSchema }),
  v.object({ type: v.literal('progress'), id: IdSchema, value: v.optional(v.unknown()) }),
  v.object({ type: v.literal('cancel'), id: IdSchema }),
  v.object({ type: v.literal('notification'), method: NameSchema, params: v.optional(v.unknown()) }),
]);
export type WireMessage = v.InferOutput<typeof WireMessageSchema>;

/** What a request without progress reports or error data declares for them: nothing may arrive. */
const NONE = v.undefined();
type None = typeof NONE;

/** A request: its method name and the schemas of its parameters, result, progress reports and error data. */
export interface RequestType<
  M extends string = string,
  P extends Schema = Schema,
  R extends Schema = Schema,
  G extends Schema = Schema,
  E extends Schema = Schema,
> {
  readonly kind: 'request';
  readonly method: M;
  readonly params: P;
  readonly result: R;
  readonly progress: G;
  /** Extra data an error response of this request may carry (e.g. a source location). */
  readonly errorData: E;
}

/** A message without an answer. */
export interface NotificationType<M extends string = string, P extends Schema = Schema> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: P;
}

export function defineRequest<const M extends string, P extends Schema, R extends Schema, G extends Schema = None, E extends Schema = None>(
  method: M,
  schemas: { params: P; result: R; progress?: G; errorData?: E },
): RequestType<M, P, R, G, E> {
  return {
    kind: 'request',
    method,
    params: schemas.params,
    result: schemas.result,
    progress: (schemas.progress ?? NONE) as G,
    errorData: (schemas.errorData ?? NONE) as E,
  };
}

export function defineNotification<const M extends string, P extends Schema>(method: M, params: P): NotificationType<M, P> {
  return { kind: 'notification', method, params };
}

/** What a sender passes (before the schema's transformations) and what a receiver gets (after). */
export type ParamsIn<T extends { params: Schema }> = v.InferInput<T['params']>;
export type ParamsOut<T extends { params: Schema }> = v.InferOutput<T['params']>;
export type ResultIn<T extends RequestType> = v.InferInput<T['result']>;
export type ResultOut<T extends RequestType> = v.InferOutput<T['result']>;
export type ProgressIn<T extends RequestType> = v.InferInput<T['progress']>;
export type ProgressOut<T extends RequestType> = v.InferOutput<T['progress']>;
export type ErrorDataOut<T extends RequestType> = v.InferOutput<T['errorData']>;

/**
 * Codes the channel itself gives; a handler's own errors keep their codes.
 * - `bad-request`: the receiver found the request malformed (answered with this code);
 * - `bad-response`: the answer to a request was malformed;
 * - `unknown-method`: the receiver has no handler for the method;
 * - `cancelled`, `timeout`: the caller gave up;
 * - `closed`: the channel closed (the other side exited) before the answer came;
 * - `internal`: a handler failed with an error that has no code.
 */
export type RpcErrorCode = 'bad-request' | 'bad-response' | 'unknown-method' | 'cancelled' | 'timeout' | 'closed' | 'internal';

/** The error a failed request rejects with, on the caller's side; handlers may throw it to choose the code and data sent back. */
export class RpcError<D = unknown> extends CodedError {
  constructor(
    code: RpcErrorCode | (string & {}),
    message: string,
    readonly data?: D,
  ) {
    super(code, message, 'RpcError');
  }

  static is(e: unknown, code?: string): e is RpcError {
    return e instanceof Error && e.name === 'RpcError' && (code === undefined || hasErrorCode(e, code));
  }
}

/** One line naming the first problem valibot found (and how many more there are). */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues[0];
  if (!first) return 'invalid';
  const path = v.getDotPath(first);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more ${issues.length === 2 ? 'problem' : 'problems'})` : '';
  return `${path ? `${path}: ` : ''}${first.message}${more}`;
}

/** A short printable preview of an untrusted message, for log lines. */
export function previewMessage(m: unknown, maxLength = 200): string {
  let text: string;
  try {
    text = JSON.stringify(m) ?? String(m);
  } catch {
    text = Object.prototype.toString.call(m);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}

/**
 * `true` when A and B are the same type, optional keys included (a key optional on one side and
 * absent on the other makes them differ, though each is assignable to the other): `const same:
 * SameType<A, B> = true` fails to compile when a schema and a type declared elsewhere drift apart.
 */
export type SameType<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
