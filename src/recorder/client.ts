/**
 * The parent side of one recording, shared by the extension host and `cnn-slicer record`: forks the
 * recorder child process (dist/recorder.js), speaks its typed protocol (src/contract/protocols/recorder.ts) over the
 * channel of src/rpc, which checks every message the recorder sends against the protocol's schemas,
 * and reports progress, epochs, the run folder and one outcome. The user's model code runs in the
 * child, so a `createModel` that never returns cannot take the parent's event loop (Ctrl-C, the
 * extension host) with it. It imports neither `vscode` nor TensorFlow.js: it is tested with the real
 * recorder in plain Node (test/integration/recorder/client.test.ts).
 */
import { ChildProcess, fork } from 'node:child_process';
import type { RunStatus } from '../contract/runFormat';
import {
  RECORDER_PROTOCOL_VERSION,
  RecordFailureData,
  recordEpoch,
  recorderHello,
  recordLog,
  recordProgress,
  recordRunFolder,
  recordStart,
} from '../contract/protocols/recorder';
import type { RecordEpochEvent, RecordOptions, RecordProgress } from '../contract/protocols/recorder';
import { RpcChannel } from '../rpc/channel';
import { RpcError } from '../contract/messages';
import { childProcessPort } from '../rpc/ports';

/** Where a recording had got to when it ended: the run folder (once claimed), the epochs on disk, the last progress. */
interface Reached {
  folder?: string;
  epochs: number[];
  progress?: RecordProgress;
}

/** How a recording ended. */
export type RecordingOutcome =
  | { kind: 'done'; folder: string; status: RunStatus; epochs: number[] }
  /** The recorder answered with an error; `code` is its error code (`internal` for a bug, `cancelled` for a cancel before the run folder existed). */
  | ({ kind: 'failed'; code: string; message: string; location?: { file: string; line: number; column: number } } & Reached)
  /** Ended at once by `stop()` before the recorder answered. */
  | ({ kind: 'stopped' } & Reached)
  /** The process ended without saying how (killed, crashed): completed epochs stay in the folder. */
  | ({ kind: 'died'; message: string } & Reached);

export interface RecordingEvents {
  onProgress?(p: RecordProgress): void;
  onRunFolder?(folder: string, runId: string): void;
  onEpoch?(e: RecordEpochEvent): void;
  onLog?(line: string): void;
  /** The child's own output (the user's console.log, tfjs warnings); without it the output is only kept for crash messages. */
  onOutput?(text: string): void;
}

export interface RecorderClientOptions {
  /** dist/recorder.js */
  script: string;
  /** Node executable (default: this process's). */
  execPath?: string;
  options: Omit<RecordOptions, 'signal'>;
  events?: RecordingEvents;
  /** How long a cancelled recorder may take to finish its batch before it is killed (ms; default 15 s). */
  cancelGraceMs?: number;
  /** How long the recorder may take to say hello before it is given up (ms; default 60 s: loading TensorFlow.js takes seconds). */
  startTimeoutMs?: number;
  /** Who runs the recorder, for the protocol-mismatch message ("this extension", "dist/cli.js"). */
  parentName?: string;
}

/** One recording in a child process; `done` settles when the process has ended. */
export class RecorderClient {
  readonly done: Promise<RecordingOutcome>;
  folder?: string;
  runId?: string;
  lastProgress?: RecordProgress;
  private readonly epochs: number[] = [];
  private readonly child: ChildProcess;
  private readonly channel: RpcChannel;
  /** Aborting it cancels the `record/start` request: the recorder stops after the current batch. */
  private readonly stopRequest = new AbortController();
  private startSent = false;
  private cancelled = false;
  private killedAfterCancel = false;
  private stoppedByUs = false;
  private outputTail = '';

  constructor(private readonly o: RecorderClientOptions) {
    this.child = fork(o.script, [], { execPath: o.execPath, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    const output = (d: Buffer) => {
      const text = d.toString();
      // Only the tail matters for a message about a crash; a runaway writer must not grow memory.
      this.outputTail = (this.outputTail + text).slice(-4000);
      o.events?.onOutput?.(text);
    };
    this.child.stdout?.on('data', output);
    this.child.stderr?.on('data', output);
    // Malformed messages from the recorder are reported in the recording's log.
    this.channel = new RpcChannel(childProcessPort(this.child), { peer: 'the recorder', log: (line) => o.events?.onLog?.(line) });
    let outcome: RecordingOutcome | undefined;
    const reached = (): Reached => ({ folder: this.folder, epochs: [...this.epochs], progress: this.lastProgress });
    const startTimeoutMs = o.startTimeoutMs ?? 60_000;
    const startTimer = setTimeout(() => {
      outcome ??= {
        kind: 'failed',
        code: 'start-timeout',
        message: `the recorder did not start within ${startTimeoutMs / 1000} s; check the setting cnnSlicer.nodeExecutable`,
        ...reached(),
      };
      this.child.kill();
    }, startTimeoutMs);
    this.channel
      .onNotification(recorderHello, ({ protocolVersion }) => {
        clearTimeout(startTimer);
        if (protocolVersion !== RECORDER_PROTOCOL_VERSION) {
          outcome = {
            kind: 'failed',
            code: 'protocol',
            message: `the recorder speaks protocol ${protocolVersion}, ${o.parentName ?? 'this extension'} ${RECORDER_PROTOCOL_VERSION}: build or install CNN Slicer again`,
            ...reached(),
          };
          this.child.kill();
          return;
        }
        if (this.startSent) return;
        this.startSent = true;
        this.channel
          .request(recordStart, { protocolVersion: RECORDER_PROTOCOL_VERSION, options: o.options }, { signal: this.stopRequest.signal })
          .then(
            (r) => (outcome = { kind: 'done', folder: r.folder, status: r.status, epochs: [...this.epochs] }),
            (e: unknown) => {
              // A closed channel means the process ended without an answer: the 'exit' handler says how.
              if (RpcError.is(e, 'closed')) return;
              const data = RpcError.is(e) ? (e.data as RecordFailureData | undefined) : undefined;
              outcome = {
                kind: 'failed',
                code: RpcError.is(e) ? e.code : 'internal',
                message: (e as Error).message,
                location: data?.location,
                ...reached(),
                folder: data?.folder ?? this.folder,
              };
            },
          );
        // A cancel that came before the recorder was ready applies now.
        if (this.cancelled) this.stopRequest.abort();
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
      .onNotification(recordEpoch, (e) => {
        this.epochs.push(e.epoch);
        o.events?.onEpoch?.(e);
      })
      .onNotification(recordLog, ({ line }) => o.events?.onLog?.(line));
    this.done = new Promise((resolve) => {
      const settle = (how: string) => {
        clearTimeout(startTimer);
        this.channel.close();
        // Only the recorder's own word counts as a finished run; an exit without one is reported as
        // what it was, including a recorder that had to be stopped because it ignored a cancel.
        if (outcome) resolve(outcome);
        else if (this.stoppedByUs) resolve({ kind: 'stopped', ...reached() });
        else if (this.killedAfterCancel)
          resolve({
            kind: 'died',
            message: `the recorder did not stop within ${(o.cancelGraceMs ?? 15_000) / 1000} s of the cancel and was stopped`,
            ...reached(),
          });
        else {
          // The last line that is not a stack frame says most about why.
          const tail = this.outputTail
            .split('\n')
            .filter((l) => l.trim() !== '' && !/^\s+at /.test(l))
            .slice(-1)[0];
          resolve({ kind: 'died', message: `${how}${tail ? `: ${tail}` : ''}`, ...reached() });
        }
      };
      this.child.on('error', (e) => {
        // A process that never started sends no 'exit'.
        if (this.child.pid === undefined) settle(`could not start the recorder (${e.message}); check the setting cnnSlicer.nodeExecutable`);
      });
      this.child.on('exit', (code, signal) => settle(`the recorder stopped unexpectedly (${signal ?? `exit code ${code}`})`));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the run folder exists yet (before it, nothing is on disk and stopping at once loses nothing). */
  get hasRunFolder(): boolean {
    return this.folder !== undefined;
  }

  /** Stops after the current batch (the run is kept, marked cancelled); kills it if it does not stop in time. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.startSent) this.stopRequest.abort();
    const timer = setTimeout(() => {
      this.killedAfterCancel = true;
      this.child.kill();
    }, this.o.cancelGraceMs ?? 15_000);
    void this.done.finally(() => clearTimeout(timer));
  }

  /** Ends the recorder process now: completed epochs stay on disk; a run folder shows as interrupted. */
  stop(): void {
    this.stoppedByUs = true;
    this.child.kill('SIGKILL');
  }
}
