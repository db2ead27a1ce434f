/**
 * `cnn-slicer record` records in the recorder child process (dist/recorder.js, the one the
 * extension uses), not in the CLI's own: the user's model code runs there, so a `createModel` that
 * never returns cannot take Ctrl-C away from the CLI (a SIGINT handler needs a free event loop).
 * This is the CLI's side of that process: it speaks the typed protocol of src/recorder/protocol.ts
 * and ends in one outcome the command turns into its output and exit code.
 */
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
import type { RecordOptions, RecordProgress } from '../recorder/protocol';
import { RpcChannel } from '../rpc/channel';
import { RpcError } from '../rpc/messages';
import { childProcessPort } from '../rpc/ports';

/** How a recording in the child ended. `epochs` lists the epochs on disk in `folder`. */
export type ChildOutcome =
  | { kind: 'done'; folder: string; status: RunStatus; epochs: number[] }
  /** The recorder answered with an error; `code` is its error code (`internal` for a bug). */
  | { kind: 'failed'; code: string; message: string; folder?: string; epochs: number[]; progress?: RecordProgress }
  /** Stopped by the user before the recorder answered (the process was ended). */
  | { kind: 'stopped'; folder?: string; epochs: number[]; progress?: RecordProgress }
  /** The process ended without an answer, not by us. */
  | { kind: 'died'; message: string; folder?: string; epochs: number[]; progress?: RecordProgress };

export interface ChildEvents {
  onProgress(p: RecordProgress): void;
  onRunFolder(folder: string): void;
  onLog(line: string): void;
  /** The child's own output (the user's console.log and warnings), for stderr. */
  onOutput(text: string): void;
}

/** One recording in the recorder child process. */
export class RecorderChild {
  readonly done: Promise<ChildOutcome>;
  private readonly child: ChildProcess;
  private readonly channel: RpcChannel;
  private readonly cancelRequest = new AbortController();
  private folder?: string;
  private readonly epochs: number[] = [];
  private progress?: RecordProgress;
  private stoppedByUs = false;
  private outputTail = '';

  constructor(script: string, options: Omit<RecordOptions, 'signal'>, events: ChildEvents) {
    this.child = fork(script, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    const output = (d: Buffer) => {
      const text = d.toString();
      // Only the tail matters for a message about a crash; a runaway writer must not grow memory.
      this.outputTail = (this.outputTail + text).slice(-4000);
      events.onOutput(text);
    };
    this.child.stdout?.on('data', output);
    this.child.stderr?.on('data', output);
    this.channel = new RpcChannel(childProcessPort(this.child), { peer: 'the recorder', log: (line) => events.onLog(line) });
    let answer: ChildOutcome | undefined;
    this.channel
      .onNotification(recorderHello, ({ protocolVersion }) => {
        if (protocolVersion !== RECORDER_PROTOCOL_VERSION) {
          answer = {
            kind: 'failed',
            code: 'protocol',
            message: `dist/recorder.js speaks protocol ${protocolVersion}, dist/cli.js ${RECORDER_PROTOCOL_VERSION}: build or install CNN Slicer again`,
            epochs: [],
          };
          this.child.kill();
          return;
        }
        this.channel
          .request(recordStart, { protocolVersion: RECORDER_PROTOCOL_VERSION, options }, { signal: this.cancelRequest.signal })
          .then(
            (r) => (answer = { kind: 'done', folder: r.folder, status: r.status, epochs: [...this.epochs] }),
            (e: unknown) => {
              // A closed channel means the process ended without an answer: the 'exit' handler says how.
              if (RpcError.is(e, 'closed')) return;
              const data = RpcError.is(e) ? (e.data as RecordFailureData | undefined) : undefined;
              answer = {
                kind: 'failed',
                code: RpcError.is(e) ? e.code : 'internal',
                message: (e as Error).message,
                folder: data?.folder ?? this.folder,
                epochs: [...this.epochs],
                progress: this.progress,
              };
            },
          );
      })
      .onNotification(recordProgress, (p) => {
        this.progress = p;
        events.onProgress(p);
      })
      .onNotification(recordRunFolder, ({ folder }) => {
        this.folder = folder;
        events.onRunFolder(folder);
      })
      .onNotification(recordEpoch, ({ epoch }) => {
        this.epochs.push(epoch);
      })
      .onNotification(recordLog, ({ line }) => events.onLog(line));
    this.done = new Promise((resolve) => {
      const settle = (died: string) => {
        this.channel.close();
        const common = { folder: this.folder, epochs: [...this.epochs], progress: this.progress };
        if (answer) resolve(answer);
        else if (this.stoppedByUs) resolve({ kind: 'stopped', ...common });
        else {
          // The last line that is not a stack frame says most about why.
          const tail = this.outputTail
            .split('\n')
            .filter((l) => l.trim() !== '' && !/^\s+at /.test(l))
            .slice(-1)[0];
          resolve({ kind: 'died', message: `${died}${tail ? `: ${tail}` : ''}`, ...common });
        }
      };
      this.child.on('error', (e) => {
        // A process that never started sends no 'exit'.
        if (this.child.pid === undefined) settle(`the recorder could not be started (${e.message})`);
      });
      this.child.on('exit', (code, signal) => settle(`the recorder stopped unexpectedly (${signal ?? `exit code ${code}`})`));
    });
  }

  /** Whether the run folder exists yet (before it, nothing is on disk and stopping at once loses nothing). */
  get hasRunFolder(): boolean {
    return this.folder !== undefined;
  }

  /** Asks the recorder to stop after the current batch; the run is kept, marked cancelled. */
  cancel(): void {
    this.cancelRequest.abort();
  }

  /** Ends the recorder process now: completed epochs stay on disk; a run folder shows as interrupted. */
  stop(): void {
    this.stoppedByUs = true;
    this.child.kill('SIGKILL');
  }
}
