/**
 * The parent side of the analysis service: forks dist/service.js once, sends typed queries, and
 * resolves each with its answer (or rejects with a QueryError). Used by the extension host, which
 * must stay free of TensorFlow.js — this module only talks to the child. A service that dies is
 * started again on the next query; the queries it held fail with a message saying so.
 */
import { ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AnswerOf, Query, QueryError, QueryErrorCode } from './queries';
import { FromService, SERVICE_PROTOCOL_VERSION, ToService } from './protocol';

export interface ClientQueryOptions {
  view?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface ClientResult<K extends Query['kind']> {
  answer: AnswerOf[K];
  cached: boolean;
  ms: number;
}

interface Waiting {
  resolve: (r: ClientResult<Query['kind']>) => void;
  reject: (e: Error) => void;
  onProgress?: (fraction: number, message: string) => void;
}

/** The bundled service next to the running bundle, or in dist/ when run from sources (tests). */
export function resolveServiceScript(): string {
  const candidates = [join(__dirname, 'service.js'), resolve(__dirname, '../../dist/service.js')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`analysis service not found (looked in ${candidates.join(', ')}); run "npm run build" first`);
  return found;
}

export class AnalysisClient {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private roots: string[];

  constructor(private readonly options: { roots: string[]; script?: string; execPath?: string; workers?: number }) {
    this.roots = options.roots;
  }

  /** The service process id, once started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = fork(this.options.script ?? resolveServiceScript(), [JSON.stringify(this.roots)], {
      execPath: this.options.execPath,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...(this.options.workers ? { CNNSLICER_WORKERS: String(this.options.workers) } : {}) },
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    this.ready = new Promise((resolveReady, rejectReady) => {
      child.on('message', (m: FromService) => {
        if (m?.type === 'hello') {
          if (m.protocolVersion !== SERVICE_PROTOCOL_VERSION) rejectReady(new QueryError('internal', `the analysis service speaks protocol ${m.protocolVersion}, expected ${SERVICE_PROTOCOL_VERSION}; reinstall CNN Slicer`));
          else resolveReady();
          return;
        }
        this.receive(m);
      });
      child.once('exit', (code, signal) => {
        const why = `the analysis service stopped (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-1)[0]}` : ''}; it starts again with the next query`;
        rejectReady(new QueryError('internal', why));
        // A child replaced after dispose() must not take its successor's state with it.
        if (this.child !== child) return;
        for (const w of this.waiting.values()) w.reject(new QueryError('internal', why));
        this.waiting.clear();
        this.child = undefined;
        this.ready = undefined;
      });
    });
    return this.ready;
  }

  private receive(m: FromService): void {
    if (m?.type === 'hello' || typeof m?.id !== 'number') return;
    const w = this.waiting.get(m.id);
    if (!w) return;
    if (m.type === 'progress') w.onProgress?.(m.fraction, m.message);
    else if (m.type === 'result') {
      this.waiting.delete(m.id);
      w.resolve({ answer: m.answer, cached: m.cached, ms: m.ms });
    } else if (m.type === 'error') {
      this.waiting.delete(m.id);
      w.reject(new QueryError(m.code as QueryErrorCode, m.message));
    }
  }

  private send(m: ToService): void {
    this.child?.send(m);
  }

  /** Asks one query about the run folder `run`. */
  async query<Q extends Query>(run: string, query: Q, options: ClientQueryOptions = {}): Promise<ClientResult<Q['kind']>> {
    if (options.signal?.aborted) throw new QueryError('cancelled', 'the query was cancelled');
    await this.start();
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      const onAbort = () => this.send({ type: 'cancel', id });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => options.signal?.removeEventListener('abort', onAbort);
      this.waiting.set(id, {
        resolve: (r) => {
          done();
          resolvePromise(r as ClientResult<Q['kind']>);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onProgress: options.onProgress,
      });
      this.send({ type: 'query', id, run, query, ...(options.view ? { view: options.view } : {}) });
    });
  }

  /** Replaces the runs folders the service may read. */
  configure(roots: string[]): void {
    this.roots = roots;
    if (this.child) this.send({ type: 'configure', roots });
  }

  dispose(): void {
    for (const w of this.waiting.values()) w.reject(new QueryError('cancelled', 'the analysis service was shut down'));
    this.waiting.clear();
    if (this.child) {
      this.send({ type: 'shutdown' });
      const child = this.child;
      setTimeout(() => child.kill(), 2000).unref();
    }
    this.child = undefined;
    this.ready = undefined;
  }
}
