/**
 * The parent side of the analysis service: forks dist/service.js once, sends typed queries, and
 * resolves each with its answer (or rejects with a QueryError). Used by the extension host, which
 * must stay free of TensorFlow.js — this module only talks to the child, over the typed channel of
 * src/rpc, and checks every answer against src/contract/protocols/service.ts and its kind's answer schema. A service that dies (or never says hello)
 * is started again on the next query; the queries it held fail with a message saying so.
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RpcChannel } from '../rpc/channel';
import { childProcessPort } from '../rpc/ports';
import { AnswerOf, checkAnswer, Query, QueryError, QueryPriority } from '../contract/queries';
import {
  SERVICE_PROTOCOL_VERSION,
  serviceConfigure,
  serviceHello,
  serviceQuery,
  serviceShutdown,
  serviceStanding,
  toQueryError,
} from '../contract/protocols/service';

export interface ClientQueryOptions {
  view?: string;
  /** How soon the answer is needed: the service computes waiting queries on-screen first (default `visible`). */
  priority?: QueryPriority;
  /** Who asks (a panel): `standing` puts its waiting queries behind the others'. */
  asker?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface ClientResult<K extends Query['kind']> {
  answer: AnswerOf[K];
  cached: boolean;
  ms: number;
}

/** The bundled service next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveServiceScript(): string {
  const candidates = [join(__dirname, 'service.js'), resolve(__dirname, '../../dist/service.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`analysis service not found (looked in ${candidates.join(', ')}); run "npm run build" first`);
  return found;
}

/** How long a new service may take to say hello before it is given up (loading TensorFlow.js takes seconds). */
const DEFAULT_START_TIMEOUT_MS = 60_000;

export interface AnalysisClientOptions {
  roots: string[];
  script?: string;
  execPath?: string;
  /** Added to the service's environment (the extension's `cnnSlicer.executionProvider` as `CNN_SLICER_PROVIDER`). */
  env?: Record<string, string>;
  workers?: number;
  /** Gives up a service that has not said hello within this many milliseconds (default 60 s). */
  startTimeoutMs?: number;
  /** Where malformed messages from the service are reported (default: stderr). */
  log?: (line: string) => void;
  /** Told, each time a service starts, which engine computes PyTorch runs (the hello's `engine`). */
  onEngine?: (engine: { native: boolean; line: string }) => void;
}

export class AnalysisClient {
  private child?: ChildProcess;
  private channel?: RpcChannel;
  private ready?: Promise<RpcChannel>;
  private roots: string[];

  constructor(private readonly options: AnalysisClientOptions) {
    this.roots = options.roots;
  }

  /** The service process id, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): Promise<RpcChannel> {
    if (this.ready) return this.ready;
    const child = fork(this.options.script ?? resolveServiceScript(), [JSON.stringify(this.roots)], {
      execPath: this.options.execPath,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...this.options.env, ...(this.options.workers ? { CNNSLICER_WORKERS: String(this.options.workers) } : {}) },
    });
    const channel = new RpcChannel(childProcessPort(child), { peer: 'the analysis service', log: this.options.log });
    this.child = child;
    this.channel = channel;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    this.ready = new Promise((resolveReady, rejectReady) => {
      const startTimeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
      const timer = setTimeout(() => {
        rejectReady(
          new QueryError(
            'internal',
            `the analysis service did not start within ${startTimeoutMs / 1000} s; it starts again with the next query (check the setting cnnSlicer.nodeExecutable)`,
          ),
        );
        child.kill();
      }, startTimeoutMs);
      timer.unref();
      channel.onNotification(serviceHello, ({ protocolVersion, engine }) => {
        clearTimeout(timer);
        if (engine) this.options.onEngine?.(engine);
        if (protocolVersion !== SERVICE_PROTOCOL_VERSION)
          rejectReady(
            new QueryError(
              'internal',
              `the analysis service speaks protocol ${protocolVersion}, expected ${SERVICE_PROTOCOL_VERSION}; reinstall CNN Slicer`,
            ),
          );
        else resolveReady(channel);
      });
      const stopped = (why: QueryError) => {
        clearTimeout(timer);
        rejectReady(why);
        channel.close(why);
        // A child replaced after dispose() must not take its successor's state with it.
        if (this.child !== child) return;
        this.child = undefined;
        this.channel = undefined;
        this.ready = undefined;
      };
      child.once('exit', (code, signal) => {
        stopped(
          new QueryError(
            'internal',
            `the analysis service stopped (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}; it starts again with the next query`,
          ),
        );
      });
      // A process that never started sends no 'exit' (and an unheard 'error' would crash the host).
      child.on('error', (e) => {
        if (child.pid === undefined)
          stopped(
            new QueryError('internal', `could not start the analysis service (${e.message}); check the setting cnnSlicer.nodeExecutable`),
          );
      });
    });
    return this.ready;
  }

  /** Asks one query about the run folder `run`. */
  async query<Q extends Query>(run: string, query: Q, options: ClientQueryOptions = {}): Promise<ClientResult<Q['kind']>> {
    if (options.signal?.aborted) throw new QueryError('cancelled', 'the query was cancelled');
    const channel = await this.start();
    const { onProgress } = options;
    try {
      const r = await channel.request(
        serviceQuery,
        {
          run,
          query,
          ...(options.view ? { view: options.view } : {}),
          ...(options.priority ? { priority: options.priority } : {}),
          ...(options.asker ? { asker: options.asker } : {}),
        },
        {
          signal: options.signal,
          onProgress: onProgress && ((p) => onProgress(p.fraction, p.message)),
        },
      );
      const checked = checkAnswer(query.kind, r.answer);
      if (checked.problem !== undefined) throw new QueryError('internal', `the analysis service sent ${checked.problem}`);
      return { ...r, answer: checked.answer } as ClientResult<Q['kind']>;
    } catch (e) {
      throw toQueryError(e);
    }
  }

  /**
   * Puts the waiting queries of `asker` behind every other asker's (its panel is not the active
   * one), or back. A service not started yet holds no query of it: nothing to tell.
   */
  standing(asker: string, behind: boolean): void {
    this.channel?.notify(serviceStanding, { asker, behind });
  }

  /** Replaces the runs folders the service may read. */
  configure(roots: string[]): void {
    this.roots = roots;
    this.channel?.notify(serviceConfigure, { roots });
  }

  dispose(): void {
    const channel = this.channel;
    channel?.notify(serviceShutdown, {});
    channel?.close(new QueryError('cancelled', 'the analysis service was shut down'));
    if (this.child) {
      const child = this.child;
      setTimeout(() => child.kill(), 2000).unref();
    }
    this.child = undefined;
    this.channel = undefined;
    this.ready = undefined;
  }
}
