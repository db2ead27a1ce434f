/**
 * Entry point of the analysis service child process (bundled to dist/service.js): one long-lived
 * process shared by every panel. The parent forks it with the allowed runs folders as a JSON
 * argument, waits for `hello`, then sends queries; each gets progress messages and exactly one
 * `result` or `error`. Nothing a parent sends can crash it: bad messages get a typed error.
 */
import { QueryError } from './queries';
import { AnalysisEngine, asQueryError } from './engine';
import { FromService, parseToService, SERVICE_PROTOCOL_VERSION } from './protocol';

function send(m: FromService): void {
  process.send?.(m);
}

function parseRoots(arg: string | undefined): string[] {
  try {
    const v = JSON.parse(arg ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

let engine = new AnalysisEngine({ roots: parseRoots(process.argv[2]), workers: Number(process.env.CNNSLICER_WORKERS) || 2 });
const running = new Map<number, { controller: AbortController; view?: string }>();
const PROGRESS_INTERVAL_MS = 100;

process.on('message', (raw) => {
  const m = parseToService(raw);
  if (!m) return; // not ours, or without an id to answer to
  switch (m.type) {
    case 'invalid':
      if (m.id !== undefined) send({ type: 'error', id: m.id, code: 'bad-query', message: m.message });
      return;
    case 'cancel':
      running.get(m.id)?.controller.abort();
      return;
    case 'configure':
      // Queries still running belong to the old folders: they end as cancelled.
      for (const r of running.values()) r.controller.abort();
      engine.close();
      engine = new AnalysisEngine({ roots: m.roots, workers: Number(process.env.CNNSLICER_WORKERS) || 2 });
      return;
    case 'shutdown':
      engine.close();
      process.exit(0);
      return;
    case 'query': {
      if (m.view !== undefined) {
        for (const r of running.values()) if (r.view === m.view) r.controller.abort();
      }
      const controller = new AbortController();
      running.set(m.id, { controller, view: m.view });
      let last = 0;
      engine
        .answer(m.run, m.query, {
          signal: controller.signal,
          onProgress: (fraction, message) => {
            const now = performance.now();
            if (now - last < PROGRESS_INTERVAL_MS) return;
            last = now;
            send({ type: 'progress', id: m.id, fraction, message });
          },
        })
        .then(
          (r) =>
            controller.signal.aborted
              ? send({ type: 'error', id: m.id, code: 'cancelled', message: 'the query was cancelled (a newer one replaced it, or it was stopped)' })
              : send({ type: 'result', id: m.id, answer: r.answer, cached: r.cached, ms: r.ms }),
          (e) => {
            const err = controller.signal.aborted ? new QueryError('cancelled', 'the query was cancelled (a newer one replaced it, or it was stopped)') : asQueryError(e);
            send({ type: 'error', id: m.id, code: err.code, message: err.message });
          },
        )
        .finally(() => running.delete(m.id));
      return;
    }
  }
});

process.on('disconnect', () => {
  engine.close();
  process.exit(0);
});

send({ type: 'hello', protocolVersion: SERVICE_PROTOCOL_VERSION, pid: process.pid });
