// The recorded runs of the workspace, read from the runs folders (manifest.json + metrics.jsonl,
// plain JSON: no TensorFlow.js), cached, and read again when a run folder changes on disk. The
// runs tree, the panels, the hovers and the CodeLens all read it. Reads are asynchronous
// (`listRunsAsync`): the extension host never waits on a run folder, however slow its disk.
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { isCheckpointFile } from '../../run/paths';
import type { RunRecord } from '../../run/store';
import { RunListing, type RunList } from '../../run/listing';
import { isRunOfModel } from '../../run/location';

/** How often runs that say they are recording are read again, to see whether their recorder still runs. */
const LIVENESS_MS = 2000;

export class RunIndex implements vscode.Disposable {
  /** The listing under way or done; undefined once it is stale, so the next reader starts another. */
  private cache?: Promise<RunList>;
  private watchers: vscode.Disposable[] = [];
  private watched = '';
  private timer?: ReturnType<typeof setTimeout>;
  /** The next look at the runs still recording, whose recorder may die without a file changing. */
  private liveness?: ReturnType<typeof setTimeout>;
  /** Folders `find` read the runs folders again for and still did not find (until the next change). */
  private readonly missing = new Set<string>();
  /** Remembers the runs read, so a refresh reads only the runs that changed on disk. */
  private readonly listing = new RunListing();
  private disposed = false;
  private checking = false;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires (throttled) after runs were added, removed or changed on disk. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly folders: () => string[],
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Whether `file` is a run's checkpoint (its model.json): the run's model, not one of the user's to annotate. */
  isCheckpointFile(file: string): boolean {
    return isCheckpointFile(this.folders(), file);
  }

  /** Every readable run, newest first, and the folders that could not be read. */
  list(): Promise<RunList> {
    this.watch();
    this.cache ??= this.read();
    return this.cache;
  }

  async runs(): Promise<RunRecord[]> {
    return (await this.list()).runs;
  }

  /**
   * The run in `folder`, if it is one: a run the index lists, or a direct child of one of the runs
   * folders that the listing missed (a recording that started a moment ago, before the watcher
   * caught up), in which case the folders are read again at once. Anything else is refused, so no
   * panel or command ever acts on an arbitrary path.
   */
  async find(folder: string): Promise<RunRecord | undefined> {
    const target = resolve(folder);
    const listed = await this.list();
    const known = listed.runs.find((r) => resolve(r.folder) === target);
    if (known) return known;
    if (!this.folders().some((f) => resolve(f) === dirname(target))) return undefined;
    // A folder known to be unreadable, or read again already without success, stays so until the
    // watcher says something changed: every reload tells the listeners, who may look again.
    if (listed.errors.some((e) => resolve(e.folder) === target) || this.missing.has(target)) return undefined;
    if (!(await hasManifest(target))) return undefined;
    const fresh = await this.reload();
    const record = fresh.runs.find((r) => resolve(r.folder) === target);
    if (!record) this.missing.add(target);
    return record;
  }

  /** Runs of a model file (any of its recorded source files), newest first. */
  async runsOfModel(modelFile: string): Promise<RunRecord[]> {
    return (await this.runs()).filter((r) => isRunOfModel(r, modelFile));
  }

  /**
   * The newest run of a model with at least one recorded epoch that is not a control experiment:
   * a control run trains the model on transformed images, so its numbers are not the model's (the
   * lenses, hovers and Problems entries read this run).
   */
  async newestOfModel(modelFile: string): Promise<RunRecord | undefined> {
    return (await this.runsOfModel(modelFile)).find((r) => r.manifest.epochs.length > 0 && !r.manifest.control);
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
      this.missing.clear();
      this.changed.fire();
    }, 150);
  }

  /** Reads the folders again now (a run that must be there is missing) and tells listeners. */
  private reload(): Promise<RunList> {
    const listing = this.read();
    this.cache = listing;
    void listing.then(() => this.changed.fire());
    return listing;
  }

  private async read(): Promise<RunList> {
    const list = await this.listing.list(this.folders());
    for (const e of list.errors) this.log.warn(`unreadable run folder ${e.folder}: ${e.message}`);
    this.checkLiveness(list);
    return list;
  }

  /**
   * Reads the runs folders again now and tells listeners when what they show changed: a run added
   * or gone, its status, its epochs. For where no file event comes: a recorder that died, and runs
   * written while the file watcher misses events (a Python script recording in a terminal; it
   * missed them in code-server's tests). Unlike {@link refresh}, a look that finds nothing new is silent.
   */
  check(): void {
    if (this.disposed || this.timer || this.checking) return;
    this.checking = true;
    const previous = this.cache;
    const fresh = this.read();
    this.cache = fresh;
    void Promise.all([previous, fresh]).then(
      ([before, after]) => {
        this.checking = false;
        if (!this.disposed && (!before || listingKey(before) !== listingKey(after))) this.changed.fire();
      },
      () => (this.checking = false),
    );
  }

  /**
   * While a run says it is recording, the runs are looked at again every {@link LIVENESS_MS}: a
   * recorder that dies (a Python training script stopped with Ctrl+C or killed) changes no file,
   * and only a read finds its process gone and shows the run interrupted (src/run/store.ts). The
   * listing reads only the recording runs again; the others come from its cache.
   */
  private checkLiveness(list: RunList): void {
    if (this.liveness || this.disposed || !list.runs.some((r) => r.manifest.status === 'recording')) return;
    this.liveness = setTimeout(() => {
      this.liveness = undefined;
      this.check();
    }, LIVENESS_MS);
    this.liveness.unref?.();
  }

  /** Watches each runs folder (they may lie outside the workspace), re-created when the folders change. */
  private watch(): void {
    const folders = this.folders();
    const key = folders.join('\n');
    if (key === this.watched) return;
    this.watched = key;
    for (const w of this.watchers) w.dispose();
    this.watchers = folders.map((folder) => {
      const w = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(folder), '**/{manifest.json,metrics.jsonl}'),
      );
      const onEvent = () => this.refresh();
      return vscode.Disposable.from(w, w.onDidCreate(onEvent), w.onDidChange(onEvent), w.onDidDelete(onEvent));
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.liveness) clearTimeout(this.liveness);
    for (const w of this.watchers) w.dispose();
    this.changed.dispose();
  }
}

/** What readers show of a listing, as one string: the runs, their status and epochs, the unreadable folders. */
function listingKey(list: RunList): string {
  const runs = list.runs.map(
    (r) => `${r.folder}\t${r.manifest.status}\t${r.manifest.epochs.join(',')}\t${(r.pending ?? []).map((p) => p.epoch).join(',')}`,
  );
  return [...runs, ...list.errors.map((e) => `${e.folder}\t${e.message}`)].join('\n');
}

/** Whether `folder` holds a manifest.json (a run, or a run being created). */
async function hasManifest(folder: string): Promise<boolean> {
  try {
    return (await stat(join(folder, 'manifest.json'))).isFile();
  } catch {
    return false;
  }
}
