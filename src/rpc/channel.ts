/**
 * A typed request/response channel over any MessagePortLike (child process or worker thread, either
 * end). Requests carry ids and get exactly one typed answer (a result or an error `{code, message}`),
 * may report progress, may be cancelled through an AbortSignal and may time out; notifications
 * carry no answer. Whatever arrives is checked against the schema of the method it names before a
 * handler or a caller sees it, so both ends of every boundary validate what they receive. A
 * malformed message is logged and, when it carries an id the sender waits on, answered with an
 * error; it never throws out of the port's listener (which would crash the receiving process).
 */
import * as v from 'valibot';
import {
  describeIssues,
  MAX_ERROR_MESSAGE_LENGTH,
  NotificationType,
  ParamsIn,
  ParamsOut,
  previewMessage,
  ProgressIn,
  ProgressOut,
  RequestType,
  ResultIn,
  ResultOut,
  RpcError,
  WireError,
  WireMessage,
  WireMessageSchema,
} from '../contract/messages';
import type { MessagePortLike } from './ports';

export interface ChannelOptions {
  /** The other end, as log lines and error messages name it: "the analysis service". */
  peer: string;
  /** Where malformed messages and failing notification handlers are reported (default: stderr). */
  log?: (line: string) => void;
  /** Turns an error a request handler threw into what is sent back (default: `describeError`). */
  describeError?: (e: unknown) => WireError;
}

export interface RequestOptions<G> {
  /** Sends a cancel to the other end; the request still settles with the answer the other end gives. */
  signal?: AbortSignal;
  /** Gives up (and sends a cancel) when no answer came within this many milliseconds. */
  timeoutMs?: number;
  onProgress?: (value: G) => void;
}

export interface HandlerContext<T extends RequestType> {
  /** Aborted when the caller cancels, or when the channel closes. */
  signal: AbortSignal;
  /** Reports progress to the caller; ignored once the request has been answered. */
  progress: (value: ProgressIn<T>) => void;
}

export type RequestHandler<T extends RequestType> = (
  params: ParamsOut<T>,
  context: HandlerContext<T>,
) => ResultIn<T> | Promise<ResultIn<T>>;
export type NotificationHandler<T extends NotificationType> = (params: ParamsOut<T>) => void | Promise<void>;

interface Pending {
  type: RequestType;
  resolve(result: unknown): void;
  reject(error: Error): void;
  onProgress?: (value: never) => void;
}

const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,99}$/;

/**
 * The default wire form of a handler's error: an error with a string `code` (every CodedError)
 * keeps it, anything else is `internal`; an RpcError's data goes along.
 */
export function describeError(e: unknown): WireError {
  if (!(e instanceof Error)) return { code: 'internal', message: String(e).slice(0, MAX_ERROR_MESSAGE_LENGTH) };
  const code = (e as { code?: unknown }).code;
  return {
    code: typeof code === 'string' && CODE_PATTERN.test(code) ? code : 'internal',
    message: e.message.slice(0, MAX_ERROR_MESSAGE_LENGTH),
    ...(RpcError.is(e) && e.data !== undefined ? { data: e.data } : {}),
  };
}

export class RpcChannel {
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, AbortController>();
  private readonly requestHandlers = new Map<string, { type: RequestType; handler: RequestHandler<RequestType> }>();
  private readonly notificationHandlers = new Map<string, { type: NotificationType; handler: NotificationHandler<NotificationType> }>();
  private nextId = 1;
  private closedWith?: Error;
  private readonly stopListening: () => void;
  private readonly log: (line: string) => void;

  constructor(
    private readonly port: MessagePortLike,
    private readonly options: ChannelOptions,
  ) {
    this.log = options.log ?? ((line) => console.error(line));
    this.stopListening = port.onMessage((m) => this.receive(m));
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Answers requests of `type`; the handler's result (or thrown error) is sent back. */
  onRequest<T extends RequestType>(type: T, handler: RequestHandler<T>): this {
    if (this.requestHandlers.has(type.method)) throw new Error(`a handler for the request "${type.method}" is already registered`);
    this.requestHandlers.set(type.method, { type, handler: handler as unknown as RequestHandler<RequestType> });
    return this;
  }

  onNotification<T extends NotificationType>(type: T, handler: NotificationHandler<T>): this {
    if (this.notificationHandlers.has(type.method))
      throw new Error(`a handler for the notification "${type.method}" is already registered`);
    this.notificationHandlers.set(type.method, { type, handler: handler as unknown as NotificationHandler<NotificationType> });
    return this;
  }

  /** Sends a request and resolves with its validated result, or rejects with an RpcError. */
  request<T extends RequestType>(type: T, params: ParamsIn<T>, options: RequestOptions<ProgressOut<T>> = {}): Promise<ResultOut<T>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const { signal, timeoutMs, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new RpcError('cancelled', `"${type.method}" was cancelled before it was sent`));
    const id = this.nextId++;
    return new Promise<ResultOut<T>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => this.post({ type: 'cancel', id });
      const settled = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const pending: Pending = {
        type,
        onProgress,
        resolve: (result) => {
          settled();
          resolve(result);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      };
      this.pending.set(id, pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.post({ type: 'cancel', id });
          pending.reject(
            new RpcError('timeout', `${this.options.peer} did not answer "${type.method}" within ${formatSeconds(timeoutMs)}`),
          );
        }, timeoutMs);
      }
      try {
        this.port.postMessage({ type: 'request', id, method: type.method, params } satisfies WireMessage);
      } catch (e) {
        pending.reject(new RpcError('bad-request', `could not send "${type.method}" to ${this.options.peer}: ${(e as Error).message}`));
      }
    });
  }

  notify<T extends NotificationType>(type: T, params: ParamsIn<T>): void {
    if (this.closedWith) return;
    this.port.postMessage({ type: 'notification', method: type.method, params } satisfies WireMessage);
  }

  /**
   * Stops the channel: pending requests reject with `error` (by default a `closed` RpcError),
   * running handlers see their signal aborted, and later messages are ignored. Call it when the
   * other end exits, with an error that says why.
   */
  close(error?: Error): void {
    if (this.closedWith) return;
    this.closedWith = error ?? new RpcError('closed', `the connection to ${this.options.peer} closed`);
    this.stopListening();
    for (const p of [...this.pending.values()]) p.reject(this.closedWith);
    this.pending.clear();
    for (const c of this.running.values()) c.abort();
    this.running.clear();
  }

  private post(m: WireMessage): void {
    if (!this.closedWith) this.port.postMessage(m);
  }

  private receive(raw: unknown): void {
    if (this.closedWith) return;
    try {
      const parsed = v.safeParse(WireMessageSchema, raw);
      if (!parsed.success) this.malformed(raw, describeIssues(parsed.issues));
      else this.dispatch(parsed.output);
    } catch (e) {
      this.log(`failed to handle a message from ${this.options.peer}: ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  private dispatch(m: WireMessage): void {
    switch (m.type) {
      case 'request':
        this.answer(m);
        return;
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return; // the answer to a request given up on (timed out, or the channel was reset)
        const result = v.safeParse(p.type.result, m.result);
        if (result.success) p.resolve(result.output);
        else this.badAnswer(p, `a malformed result (${describeIssues(result.issues)})`);
        return;
      }
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        const data = v.safeParse(p.type.errorData, m.error.data);
        if (!data.success)
          this.log(`dropped malformed error data from ${this.options.peer} for "${p.type.method}": ${describeIssues(data.issues)}`);
        p.reject(new RpcError(m.error.code, m.error.message, data.success ? data.output : undefined));
        return;
      }
      case 'progress': {
        const p = this.pending.get(m.id);
        if (!p) return;
        const value = v.safeParse(p.type.progress, m.value);
        if (value.success) p.onProgress?.(value.output as never);
        else
          this.log(`ignored a malformed progress report from ${this.options.peer} for "${p.type.method}": ${describeIssues(value.issues)}`);
        return;
      }
      case 'cancel':
        this.running.get(m.id)?.abort();
        return;
      case 'notification':
        this.notified(m);
        return;
      default: {
        const never: never = m;
        throw new Error(`unhandled wire message ${previewMessage(never)}`);
      }
    }
  }

  private answer(m: Extract<WireMessage, { type: 'request' }>): void {
    const fail = (error: WireError) => this.post({ type: 'error', id: m.id, error });
    const entry = this.requestHandlers.get(m.method);
    if (!entry) {
      this.log(`${this.options.peer} asked for "${m.method}", which this end does not answer`);
      return fail({ code: 'unknown-method', message: `unknown request "${m.method}"` });
    }
    if (this.running.has(m.id)) return fail({ code: 'bad-request', message: `request id ${m.id} is already in use` });
    const params = v.safeParse(entry.type.params, m.params);
    if (!params.success) {
      const why = describeIssues(params.issues);
      this.log(`refused a malformed "${m.method}" request from ${this.options.peer}: ${why}`);
      return fail({ code: 'bad-request', message: `malformed "${m.method}" request: ${why}` });
    }
    const controller = new AbortController();
    this.running.set(m.id, controller);
    let answered = false;
    const context: HandlerContext<RequestType> = {
      signal: controller.signal,
      progress: (value) => {
        if (!answered) this.post({ type: 'progress', id: m.id, value });
      },
    };
    const done = (message: WireMessage) => {
      answered = true;
      // A channel closed meanwhile has forgotten this request: nothing is sent.
      if (this.running.get(m.id) !== controller) return;
      this.running.delete(m.id);
      try {
        this.post(message);
      } catch (e) {
        fail({ code: 'internal', message: `could not send the answer to "${m.method}": ${(e as Error).message}` });
      }
    };
    new Promise<unknown>((resolve) => resolve(entry.handler(params.output, context))).then(
      (result) => done({ type: 'result', id: m.id, result }),
      (e: unknown) => done({ type: 'error', id: m.id, error: (this.options.describeError ?? describeError)(e) }),
    );
  }

  private notified(m: Extract<WireMessage, { type: 'notification' }>): void {
    const entry = this.notificationHandlers.get(m.method);
    if (!entry) {
      this.log(`ignored the notification "${m.method}" from ${this.options.peer}, which this end does not handle`);
      return;
    }
    const params = v.safeParse(entry.type.params, m.params);
    if (!params.success) {
      this.log(`ignored a malformed "${m.method}" notification from ${this.options.peer}: ${describeIssues(params.issues)}`);
      return;
    }
    const failed = (e: unknown) => this.log(`handling "${m.method}" from ${this.options.peer} failed: ${(e as Error)?.stack ?? String(e)}`);
    try {
      void Promise.resolve(entry.handler(params.output)).catch(failed);
    } catch (e) {
      failed(e);
    }
  }

  /** A message the envelope schema refused: logged; answered with an error when it carries an id someone waits on. */
  private malformed(raw: unknown, why: string): void {
    this.log(`ignored a malformed message from ${this.options.peer} (${why}): ${previewMessage(raw)}`);
    const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : undefined;
    const id = record?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return;
    const type = record?.type;
    const pending = this.pending.get(id);
    if (type === 'progress' || type === 'cancel') return;
    if (pending && type !== 'request') {
      // An answer gone wrong (or garbage carrying the id of a request of ours): the caller must not wait forever.
      this.badAnswer(pending, `a malformed answer (${why})`);
    } else if (type !== 'result' && type !== 'error') {
      // Most likely a request gone wrong: its sender waits for an answer to this id.
      this.post({ type: 'error', id, error: { code: 'bad-request', message: `malformed message: ${why}` } });
    }
  }

  private badAnswer(p: Pending, what: string): void {
    const message = `${this.options.peer} answered "${p.type.method}" with ${what}`;
    this.log(message);
    p.reject(new RpcError('bad-response', message));
  }
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
