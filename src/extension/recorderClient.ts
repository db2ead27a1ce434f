// The parent side of one recording: forks the recorder child process (dist/recorder.js), speaks
// its typed protocol (src/recorder/protocol.ts) over the channel of src/rpc, which checks every
// message the recorder sends against the protocol's schemas, and reports progress, epochs, the
// run folder and the outcome. It imports no `vscode`, so it is tested with the real recorder in plain Node
// (test/unit/recorderClient.test.ts); src/extension/recording.ts puts a UI on it.
import { ChildProcess, fork } from 'node:child_process';
import type { RunStatus } from '../run/format';
import {
  RECORDER_PROTOCOL_VERSION,
  RecordFailureData,
  recordEpoch,
  recorderHello,
  recordLog,
  recordProgress,
  recordRunFolder,
  recordStart,
} from '../recorder/protocol';
import type { RecordEpochEvent, RecordOptions, RecordProgress } from '../recorder/protocol';
import { RpcChannel } from '../rpc/channel';
import { RpcError } from '../rpc/messages';
import { childProcessPort } from '../rpc/ports';

export type RecordingOutcome =
  | { kind: 'done'; folder: string; status: RunStatus }
  | { kind: 'failed'; message: string; folder?: string; location?: { file: string; line: number; column: number } }
  /** The process ended without saying how (killed, crashed): completed epochs stay in the folder. */
  | { kind: 'died'; message: string; folder?: string };

export interface RecordingEvents {
  onProgress?(p: RecordProgress): void;
  onRunFolder?(folder: string, runId: string): void;
  onEpoch?(e: RecordEpochEvent): void;
  onLog?(line: string): void;
}

export interface RecorderClientOptions {
  /** dist/recorder.js */
  script: string;
  /** Node executable (default: this process's). */
  execPath?: string;
  options: Omit<RecordOptions, 'signal'>;
  events?: RecordingEvents;
  /** How long a cancelled recorder may take to finish its batch before it is killed (ms). */
  cancelGraceMs?: number;
  /** How long the recorder may take to say hello before it is given up (ms; default 60 s: loading TensorFlow.js takes seconds). */
  startTimeoutMs?: number;
}

/** One recording in a child process; `done` settles when the process has ended. */
export class RecorderClient {
  readonly done: Promise<RecordingOutcome>;
  folder?: string;
  runId?: string;
  lastProgress?: RecordProgress;
  private readonly child: ChildProcess;
  private readonly channel: RpcChannel;
  /** Aborting it cancels the `record/start` request: the recorder stops after the current batch. */
  private readonly stop = new AbortController();
  private startSent = false;
  private cancelled = false;
  private killedAfterCancel = false;
  private stderr = '';

  constructor(private readonly o: RecorderClientOptions) {
    this.child = fork(o.script, [], { execPath: o.execPath, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child.stderr?.on('data', (d: Buffer) => {
      // Only the tail matters for a message; a runaway writer must not grow memory.
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    // Malformed messages from the recorder are reported in the recording's log.
    this.channel = new RpcChannel(childProcessPort(this.child), { peer: 'the recorder', log: (line) => o.events?.onLog?.(line) });
    let outcome: RecordingOutcome | undefined;
    const startTimeoutMs = o.startTimeoutMs ?? 60_000;
    const startTimer = setTimeout(() => {
      outcome ??= {
        kind: 'failed',
        message: `the recorder did not start within ${startTimeoutMs / 1000} s; check the setting cnnSlicer.nodeExecutable`,
      };
      this.child.kill();
    }, startTimeoutMs);
    this.channel
      .onNotification(recorderHello, ({ protocolVersion }) => {
        clearTimeout(startTimer);
        if (protocolVersion !== RECORDER_PROTOCOL_VERSION) {
          outcome = {
            kind: 'failed',
            message: `the recorder speaks protocol ${protocolVersion}, this extension ${RECORDER_PROTOCOL_VERSION}: reinstall CNN Slicer`,
          };
          this.child.kill();
          return;
        }
        if (this.startSent) return;
        this.startSent = true;
        this.channel
          .request(recordStart, { protocolVersion: RECORDER_PROTOCOL_VERSION, options: o.options }, { signal: this.stop.signal })
          .then(
            (r) => (outcome = { kind: 'done', folder: r.folder, status: r.status }),
            (e: unknown) => {
              // A closed channel means the process ended without an answer: the 'exit' handler says how.
              if (RpcError.is(e, 'closed')) return;
              const data = RpcError.is(e) ? (e.data as RecordFailureData | undefined) : undefined;
              outcome = { kind: 'failed', message: (e as Error).message, folder: data?.folder ?? this.folder, location: data?.location };
            },
          );
        // A cancel that came before the recorder was ready applies now.
        if (this.cancelled) this.stop.abort();
      })
      .onNotification(recordProgress, (progress) => {
        this.lastProgress = progress;
        o.events?.onProgress?.(progress);
      })
      .onNotification(recordRunFolder, ({ folder, runId }) => {
        this.folder = folder;
        this.runId = runId;
        o.events?.onRunFolder?.(folder, runId);
      })
      .onNotification(recordEpoch, (e) => o.events?.onEpoch?.(e))
      .onNotification(recordLog, ({ line }) => o.events?.onLog?.(line));
    this.done = new Promise((resolve) => {
      this.child.on('error', (e) => {
        outcome ??= { kind: 'failed', message: `could not start the recorder (${e.message}); check the setting cnnSlicer.nodeExecutable` };
        // A process that never started sends no 'exit'.
        if (this.child.pid === undefined) {
          clearTimeout(startTimer);
          this.channel.close();
          resolve(outcome);
        }
      });
      this.child.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        this.channel.close();
        const tail = this.stderr.trim().split('\n').slice(-1)[0];
        // Only the recorder's own word counts as a finished run; an exit without one is reported as
        // what it was, including a recorder that had to be stopped because it ignored a cancel.
        resolve(
          outcome ?? {
            kind: 'died',
            folder: this.folder,
            message: this.killedAfterCancel
              ? `the recorder did not stop within ${(this.o.cancelGraceMs ?? 15_000) / 1000} s of the cancel and was stopped; completed epochs are kept in the run folder`
              : `the recorder stopped unexpectedly (${signal ?? `exit code ${code}`})${tail ? `: ${tail}` : ''}; completed epochs are kept in the run folder`,
          },
        );
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops after the current batch (the run is kept, marked cancelled); kills it if it does not stop in time. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.startSent) this.stop.abort();
    const timer = setTimeout(() => {
      this.killedAfterCancel = true;
      this.child.kill();
    }, this.o.cancelGraceMs ?? 15_000);
    void this.done.finally(() => clearTimeout(timer));
  }
}

/** "1m05s", "42s": an ETA for the status bar. */
export function formatEta(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The status bar text of one recording: model, epoch n/N, percentage, ETA. */
export function describeProgress(model: string, p: RecordProgress | undefined): string {
  if (!p) return `${model}: starting…`;
  if (p.phase === 'loading') return `${model}: ${p.message ?? 'loading'}`;
  const eta = formatEta(p.etaMs);
  return `${model}: epoch ${p.epoch}/${p.epochs} · ${Math.round(p.fraction * 100)}%${eta ? ` · ${eta} left` : ''}`;
}
