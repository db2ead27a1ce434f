// The recorded runs of the workspace, read from the runs folders (manifest.json + metrics.jsonl,
// plain JSON: no TensorFlow.js), cached, and re-read when a run folder changes on disk. The runs
// tree, the hovers and the CodeLens all read it.
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { listRuns, RunRecord } from '../run/store';

export interface RunListError {
  folder: string;
  message: string;
}

export class RunIndex implements vscode.Disposable {
  private cache?: { runs: RunRecord[]; errors: RunListError[] };
  private watchers: vscode.Disposable[] = [];
  private watched = '';
  private timer?: ReturnType<typeof setTimeout>;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires (debounced) after runs were added, removed or changed on disk. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly folders: () => string[],
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Every readable run, newest first, and the folders that could not be read. */
  list(): { runs: RunRecord[]; errors: RunListError[] } {
    this.watch();
    if (!this.cache) {
      const runs: RunRecord[] = [];
      const errors: RunListError[] = [];
      for (const folder of this.folders()) {
        try {
          const r = listRuns(folder);
          runs.push(...r.runs);
          errors.push(...r.errors);
        } catch (e) {
          errors.push({ folder, message: e instanceof Error ? e.message : String(e) });
        }
      }
      runs.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt));
      for (const e of errors) this.log.warn(`unreadable run folder ${e.folder}: ${e.message}`);
      this.cache = { runs, errors };
    }
    return this.cache;
  }

  runs(): RunRecord[] {
    return this.list().runs;
  }

  find(folder: string): RunRecord | undefined {
    const target = resolve(folder);
    return this.runs().find((r) => resolve(r.folder) === target);
  }

  /** Runs of a model file (any of its recorded source files), newest first. */
  runsOfModel(modelFile: string): RunRecord[] {
    const target = resolve(modelFile);
    return this.runs().filter((r) => resolve(r.manifest.model.file) === target || r.manifest.model.sourceFiles.some((f) => resolve(f) === target));
  }

  /** The newest run of a model with at least one recorded epoch. */
  newestOfModel(modelFile: string): RunRecord | undefined {
    return this.runsOfModel(modelFile).find((r) => r.manifest.epochs.length > 0);
  }

  /**
   * Forget the cache and tell listeners, at most every 150 ms: a burst of file events is one
   * refresh. Throttled, not debounced — a run writing an epoch every few milliseconds would
   * otherwise postpone the refresh for as long as it records.
   */
  refresh(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.cache = undefined;
      this.changed.fire();
    }, 150);
  }

  /** Watches each runs folder (they may lie outside the workspace), re-created when the folders change. */
  private watch(): void {
    const folders = this.folders();
    const key = folders.join('\n');
    if (key === this.watched) return;
    this.watched = key;
    for (const w of this.watchers) w.dispose();
    this.watchers = folders.map((folder) => {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '**/{manifest.json,metrics.jsonl}'));
      const onEvent = () => this.refresh();
      return vscode.Disposable.from(w, w.onDidCreate(onEvent), w.onDidChange(onEvent), w.onDidDelete(onEvent));
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
    this.changed.dispose();
  }
}
