/**
 * The typed IPC protocol between a parent (the extension host, the CLI, tests) and the analysis
 * service child process (`dist/service.js`, started with child_process.fork). The child announces
 * its protocol version first; both sides validate every message they receive.
 */
import { Answer, parseQuery, Query, QueryErrorCode } from './queries';

export const SERVICE_PROTOCOL_VERSION = 1;

/** Parent → service. */
export type ToService =
  /**
   * `view` names the asker (e.g. "layer view of run X"): a new query from the same view cancels the
   * one still running, since its answer would be stale on arrival.
   */
  | { type: 'query'; id: number; run: string; query: Query; view?: string }
  | { type: 'cancel'; id: number }
  /** Replaces the folders whose runs may be read. */
  | { type: 'configure'; roots: string[] }
  | { type: 'shutdown' };

/** Service → parent. */
export type FromService =
  | { type: 'hello'; protocolVersion: number; pid: number }
  | { type: 'progress'; id: number; fraction: number; message: string }
  | { type: 'result'; id: number; answer: Answer; cached: boolean; ms: number }
  | { type: 'error'; id: number; code: QueryErrorCode; message: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates a message to the service. A malformed query gives `{ error }` with the id (when there is
 * one) so the asker still gets an answer; anything unrecognisable gives `undefined`.
 */
export function parseToService(m: unknown): ToService | { type: 'invalid'; id?: number; message: string } | undefined {
  if (!isObject(m)) return undefined;
  switch (m.type) {
    case 'query': {
      if (typeof m.id !== 'number' || !Number.isSafeInteger(m.id)) return undefined;
      if (typeof m.run !== 'string' || m.run.length === 0) return { type: 'invalid', id: m.id, message: '"run" must be the path of a run folder' };
      if (m.view !== undefined && typeof m.view !== 'string') return { type: 'invalid', id: m.id, message: '"view" must be a string' };
      try {
        return { type: 'query', id: m.id, run: m.run, query: parseQuery(m.query), ...(m.view !== undefined ? { view: m.view as string } : {}) };
      } catch (e) {
        return { type: 'invalid', id: m.id, message: (e as Error).message };
      }
    }
    case 'cancel':
      return typeof m.id === 'number' ? { type: 'cancel', id: m.id } : undefined;
    case 'configure':
      return Array.isArray(m.roots) && m.roots.every((r) => typeof r === 'string') ? { type: 'configure', roots: m.roots as string[] } : undefined;
    case 'shutdown':
      return { type: 'shutdown' };
    default:
      return undefined;
  }
}
