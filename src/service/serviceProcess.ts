/**
 * Entry point of the analysis service child process (bundled to dist/service.js): one long-lived
 * process shared by every panel. The parent forks it with the allowed runs folders as a JSON
 * argument, waits for `hello`, then sends queries; each gets progress reports and exactly one
 * result or error. Nothing a parent sends can crash it: the channel checks every message against
 * src/contract/protocols/service.ts and answers a malformed request with an error.
 */
import { RpcChannel } from '../rpc/channel';
import { processPort } from '../rpc/ports';
import { QueryError } from '../contract/queries';
import { AnalysisEngine } from './engine';
import { asQueryError } from './queryErrors';
import { nativeRuntime, providerFromEnvironment } from '../native/ortRuntime';
import { keepOrtTelemetryOff } from '../native/ortTelemetry';
import {
  SERVICE_PROTOCOL_VERSION,
  serviceConfigure,
  serviceHello,
  serviceQuery,
  serviceShutdown,
  serviceStanding,
} from '../contract/protocols/service';

function parseRoots(arg: string | undefined): string[] {
  try {
    const v = JSON.parse(arg ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

// Before the engine's threads can start ONNX Runtime (src/native/ortTelemetry.ts).
keepOrtTelemetryOff();

const workers = () => Number(process.env.CNNSLICER_WORKERS) || 2;
let engine = new AnalysisEngine({ roots: parseRoots(process.argv[2]), workers: workers() });
/** Queries being answered, with the view that asked each (a newer query from the same view replaces it). */
const running = new Set<{ controller: AbortController; view?: string }>();
const PROGRESS_INTERVAL_MS = 100;
/** The askers standing behind the others (serviceStanding), told again to a new engine. */
const behind = new Set<string>();
const cancelled = () => new QueryError('cancelled', 'the query was cancelled (a newer one replaced it, or it was stopped)');

const channel = new RpcChannel(processPort(), {
  peer: 'the parent process',
  describeError: (e) => {
    const err = asQueryError(e);
    return { code: err.code, message: err.message };
  },
});

channel.onRequest(serviceQuery, async ({ run, query, view, priority, asker }, { signal, progress }) => {
  if (view !== undefined) {
    for (const r of running) if (r.view === view) r.controller.abort();
  }
  const entry = { controller: new AbortController(), view };
  const { controller } = entry;
  signal.addEventListener('abort', () => controller.abort(), { once: true });
  running.add(entry);
  let last = 0;
  try {
    const r = await engine.answer(run, query, {
      signal: controller.signal,
      priority,
      asker,
      onProgress: (fraction, message) => {
        const now = performance.now();
        if (now - last < PROGRESS_INTERVAL_MS) return;
        last = now;
        progress({ fraction, message });
      },
    });
    if (controller.signal.aborted) throw cancelled();
    return { answer: r.answer, cached: r.cached, ms: r.ms };
  } catch (e) {
    throw controller.signal.aborted ? cancelled() : asQueryError(e);
  } finally {
    running.delete(entry);
  }
});

channel.onNotification(serviceConfigure, ({ roots }) => {
  // Queries still running belong to the old folders: they end as cancelled.
  for (const r of running) r.controller.abort();
  engine.close();
  engine = new AnalysisEngine({ roots, workers: workers() });
  for (const asker of behind) engine.standBehind(asker, true);
});

channel.onNotification(serviceStanding, ({ asker, behind: back }) => {
  if (back) behind.add(asker);
  else behind.delete(asker);
  engine.standBehind(asker, back);
});

channel.onNotification(serviceShutdown, () => {
  engine.close();
  process.exit(0);
});

process.on('disconnect', () => {
  engine.close();
  process.exit(0);
});

channel.notify(serviceHello, { protocolVersion: SERVICE_PROTOCOL_VERSION, pid: process.pid, engine: engineLine() });

/** The hello's `engine`: whether the native engine runs PyTorch runs' forward passes here, in one line. */
function engineLine(): { native: boolean; line: string } {
  const runtime = nativeRuntime();
  if ('reason' in runtime)
    return { native: false, line: `the native engine is not in use (${runtime.reason}): PyTorch runs are computed on WebAssembly` };
  return {
    native: true,
    line: `the native engine (ONNX Runtime ${runtime.ort.env.versions.node ?? ''}) computes PyTorch runs, provider ${providerFromEnvironment()}`,
  };
}
