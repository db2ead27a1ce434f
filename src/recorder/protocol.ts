/**
 * The typed IPC protocol between the extension host (or any parent) and the recorder child
 * process (`dist/recorder.js`, started with child_process.fork). Messages are keyed by `type`;
 * the child announces its protocol version first and the parent checks it.
 */
import type { RunStatus } from '../run/format';
import type { RecordOptions, RecordProgress } from './record';

// Re-exported for parents (the extension host), which may import this file but not the recorder itself.
export type { RecordOptions, RecordProgress };

export const RECORDER_PROTOCOL_VERSION = 1;

/** Parent → recorder. */
export type ToRecorder =
  | { type: 'record/start'; protocolVersion: number; options: Omit<RecordOptions, 'signal'> }
  /** Stop after the current batch; the run is left complete and marked cancelled. */
  | { type: 'record/cancel' };

/** Recorder → parent. */
export type FromRecorder =
  | { type: 'recorder/hello'; protocolVersion: number; pid: number }
  /** Throttled (~125 ms). */
  | { type: 'record/progress'; progress: RecordProgress }
  | { type: 'record/runFolder'; folder: string; runId: string }
  | { type: 'record/epoch'; epoch: number; trainLoss: number | null; probeAccuracy: number; recordMs: number }
  | { type: 'record/log'; line: string }
  | { type: 'record/done'; folder: string; status: RunStatus }
  | { type: 'record/error'; message: string; folder?: string; location?: { file: string; line: number; column: number } };

/** Checks that an unknown message is a well-formed ToRecorder (the child trusts nothing it receives). */
export function parseToRecorder(m: unknown): ToRecorder | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const msg = m as Record<string, unknown>;
  if (msg.type === 'record/cancel') return { type: 'record/cancel' };
  if (msg.type === 'record/start' && typeof msg.protocolVersion === 'number' && msg.options && typeof msg.options === 'object') {
    const options = msg.options as Record<string, unknown>;
    if (typeof options.modelFile !== 'string') return undefined;
    return { type: 'record/start', protocolVersion: msg.protocolVersion, options: options as unknown as Omit<RecordOptions, 'signal'> };
  }
  return undefined;
}
