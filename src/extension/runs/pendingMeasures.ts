// PyTorch runs measured when VS Code finds them. A PyTorch run's epochs await their measures
// (RunRecord.pending, docs/pytorch.md) until CNN Slicer's engine computes them from the checkpoints;
// the Python recorder starts that beside the training where it can. A run whose recorder has
// stopped and whose epochs still await their measures is measured here, once per run folder per
// window, by `cnn-slicer measure` in a child process (the CLI bundled with the extension): no engine
// in the extension host. One measurer per run: while another process (the recorder's own
// `measure --follow`, a terminal's) holds the run's measuring lock (src/run/measureLock.ts), no
// measure is started; the run is looked at again when the runs change and, while one waits, every
// few seconds, so it is measured here only if the holder ends leaving epochs unmeasured. The decision
// is pendingMeasureDecision.ts. The runs index sees metrics.jsonl change, and the tree, panels and
// lenses show each epoch as it lands. It writes into the run folder, so only in a trusted workspace.
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { measureLockHolderAsync } from '../../run/measureLock';
import type { RunRecord } from '../../run/store';
import { decideMeasure, leftToAnother } from './pendingMeasureDecision';

/** What the measuring needs of the extension (ctx.ts). */
export interface MeasureHost {
  readonly runs: { runs(): Promise<RunRecord[]>; refresh(): void; readonly onDidChange: vscode.Event<void> };
  readonly log: vscode.LogOutputChannel;
  nodeExecutable(): string;
  bundle(name: 'cli'): string;
  /** Added to the measurer's environment (ctx.ts `childEnvironment`: the native engine's provider). */
  childEnvironment(): Record<string, string>;
}

/** How long after activation the runs are first looked at (the tree lists them by then anyway). */
const FIRST_LOOK_MS = 2000;

/** While a run waits for another process's measuring lock, how often it is looked at again. */
const LOCK_LOOK_MS = 3000;

export class PendingMeasures implements vscode.Disposable {
  /** Run folders measured, or being measured, in this window. */
  private readonly started = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly first: ReturnType<typeof setTimeout>;
  private again?: ReturnType<typeof setTimeout>;
  /** Runs left to another process's measure, with its pid (logged once). */
  private readonly waiting = new Map<string, number>();
  private closed = false;

  constructor(private readonly host: MeasureHost) {
    this.disposables.push(host.runs.onDidChange(() => void this.look()));
    this.first = setTimeout(() => void this.look(), FIRST_LOOK_MS);
    this.first.unref?.();
  }

  /** The runs whose epochs await their measures, measured where their recorder has stopped. */
  private async look(): Promise<void> {
    if (this.closed || !vscode.workspace.isTrusted) return;
    let wait = false;
    for (const run of await this.host.runs.runs()) {
      // The lock is read only for a run that would be measured but for it.
      if (decideMeasure(run, undefined, this.started.has(run.folder)).kind === 'skip') {
        this.waiting.delete(run.folder);
        continue;
      }
      const decision = decideMeasure(run, await measureLockHolderAsync(run.folder), this.started.has(run.folder));
      if (this.closed) return;
      if (decision.kind === 'wait') {
        wait = true;
        if (this.waiting.get(run.folder) !== decision.holder.pid)
          this.host.log.info(`the PyTorch run ${run.folder} is being measured by process ${decision.holder.pid}; not measuring it twice`);
        this.waiting.set(run.folder, decision.holder.pid);
      } else if (decision.kind === 'measure' && !this.started.has(run.folder)) {
        this.waiting.delete(run.folder);
        this.started.add(run.folder);
        this.measure(run);
      }
    }
    if (wait && !this.again && !this.closed) {
      this.again = setTimeout(() => {
        this.again = undefined;
        void this.look();
      }, LOCK_LOOK_MS);
      this.again.unref?.();
    }
  }

  private measure(run: RunRecord): void {
    const { log } = this.host;
    log.info(`measuring ${run.pending!.length} epoch(s) of the PyTorch run ${run.folder}`);
    const child = spawn(this.host.nodeExecutable(), [this.host.bundle('cli'), 'measure', run.folder], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...this.host.childEnvironment() },
    });
    let errors = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (errors = (errors + text).slice(-4000)));
    child.on('error', (e) => log.warn(`could not measure ${run.folder}: ${e.message}`));
    child.on('close', (code) => {
      // Read the run again now: file events of its last lines may have come and gone in one refresh.
      this.host.runs.refresh();
      if (code === 0 && leftToAnother(errors)) {
        // Another process took the lock first: it measures the run; look again once it lets go.
        this.started.delete(run.folder);
        log.info(errors.trim().split('\n').at(-1) ?? '');
        void this.look();
      } else if (code === 0) log.info(`measured the PyTorch run ${run.folder}`);
      else log.warn(`measuring ${run.folder} failed (exit ${code}): ${errors.trim().split('\n').at(-1) ?? ''}`);
    });
    this.disposables.push({ dispose: () => child.exitCode === null && child.kill() });
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.first);
    clearTimeout(this.again);
    for (const d of this.disposables) d.dispose();
  }
}
