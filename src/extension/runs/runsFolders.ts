// The workspace's runs folders: where the runs tree, the lenses and the analysis service look for
// runs. Per workspace folder, the configured `cnnSlicer.runsFolder` (where the extension records);
// then the folders a Python training script records into (python/cnn_slicer/recorder.py
// `_runs_folder`: `$CNN_SLICER_RUNS`, else `.cnnslicer/runs` beside the script): the
// `CNN_SLICER_RUNS` of the integrated terminals' environment (`terminal.integrated.env.<platform>`
// of each folder, and the extension host's own environment, which the terminals inherit), and every
// `.cnnslicer/runs` folder inside the workspace that holds a run. The extension also sets
// `CNN_SLICER_RUNS` in the integrated terminals to the configured runs folder (`TerminalRunsEnv`),
// so a script run in VS Code's terminal records where the extension records.
//
// The resolving and the ordering are pure functions in runsFolderPaths.ts (unit-tested in plain
// Node); `WorkspaceRunsFolders` reads the settings and finds the `.cnnslicer/runs` folders, on first
// use (activation reads no file), and keeps them current with a file watcher and searches while
// terminal commands run and when a notebook cell has run.
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import type { L10n } from '../l10n';
import { CONFIGURATION_SECTION, readSettings } from '../settings';
import {
  composeRunsFolders,
  DISCOVERY_EXCLUDE,
  DISCOVERY_GLOB,
  resolveRunsEnv,
  RUNS_ENV,
  runsFolderOfManifest,
  terminalEnvKey,
} from './runsFolderPaths';

/** A workspace folder's configured runs folder: the setting, relative to that folder unless absolute. */
export function configuredRunsFolder(folder: vscode.WorkspaceFolder): string {
  const setting = readSettings(vscode.workspace.getConfiguration(CONFIGURATION_SECTION, folder.uri)).runsFolder;
  return isAbsolute(setting) ? setting : join(folder.uri.fsPath, setting);
}

/** The `CNN_SLICER_RUNS` a workspace folder's settings give its integrated terminals, as written (undefined: none). */
function terminalRunsSetting(folder: vscode.WorkspaceFolder): unknown {
  const env = vscode.workspace
    .getConfiguration('terminal.integrated.env', folder.uri)
    .get<Record<string, unknown>>(terminalEnvKey(process.platform));
  return env && typeof env === 'object' && RUNS_ENV in env ? env[RUNS_ENV] : undefined;
}

/** Whether a configuration change may change the runs folders. */
export function affectsRunsFolders(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${CONFIGURATION_SECTION}.runsFolder`) || e.affectsConfiguration('terminal.integrated.env');
}

/** How often the workspace is searched for new `.cnnslicer/runs` folders while a terminal command runs. */
const TERMINAL_LOOK_MS = 5000;

/**
 * The runs folders of the workspace, kept current. A `.cnnslicer/runs` folder appears when a
 * script starts recording: the file watcher reports it where VS Code's workspace watcher runs (it
 * reported nothing in code-server's tests), and the workspace is searched again every
 * {@link TERMINAL_LOOK_MS} while a command runs in a terminal (with shell integration), when one
 * ends, when a terminal closes, and on Refresh.
 */
export class WorkspaceRunsFolders implements vscode.Disposable {
  /** The `.cnnslicer/runs` folders found so far (each kept once found). */
  private readonly discovered = new Set<string>();
  private started = false;
  private searching = false;
  private readonly disposables: vscode.Disposable[] = [];
  /** Terminal commands running now, and the timer that searches while any does. */
  private running = 0;
  private poll?: ReturnType<typeof setInterval>;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a `.cnnslicer/runs` folder is found (settings changes are the configuration's events). */
  readonly onDidChange = this.changed.event;
  private readonly searched = new vscode.EventEmitter<void>();
  /**
   * Fires after each search, also while a terminal command runs: the runs index looks at the runs
   * again then, since a script may be recording where the file watcher misses its events.
   */
  readonly onDidSearch = this.searched.event;
  private closed = false;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Every runs folder of the workspace (starts the discovery of `.cnnslicer/runs` folders on first use). */
  list(): string[] {
    this.start();
    const workspaceFolders = vscode.workspace.workspaceFolders ?? [];
    return composeRunsFolders({
      folders: workspaceFolders.map((f) => ({
        configured: configuredRunsFolder(f),
        terminal: resolveRunsEnv(terminalRunsSetting(f), f.uri.fsPath, process.env),
      })),
      // The environment VS Code was started with: a terminal starts in the first workspace folder.
      processEnv: resolveRunsEnv(process.env[RUNS_ENV], workspaceFolders[0]?.uri.fsPath),
      discovered: this.discovered,
    });
  }

  /** Whether a workspace folder's settings or the extension host's environment name `CNN_SLICER_RUNS` already. */
  namesRunsEnv(folder: vscode.WorkspaceFolder): boolean {
    return terminalRunsSetting(folder) !== undefined || !!process.env[RUNS_ENV];
  }

  /** Searches the workspace for `.cnnslicer/runs` folders again (Refresh). */
  search(): void {
    if (this.searching || this.closed) return;
    this.searching = true;
    vscode.workspace.findFiles(DISCOVERY_GLOB, DISCOVERY_EXCLUDE).then(
      (uris) => {
        this.searching = false;
        this.found(uris);
        if (!this.closed) this.searched.fire();
      },
      (e: unknown) => {
        this.searching = false;
        this.log.warn(`could not look for .cnnslicer/runs folders: ${(e as Error).message}`);
      },
    );
  }

  private start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const watcher = vscode.workspace.createFileSystemWatcher(DISCOVERY_GLOB, false, true, true);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => this.found([uri])),
      vscode.window.onDidStartTerminalShellExecution(() => this.commandRuns(+1)),
      vscode.window.onDidEndTerminalShellExecution(() => {
        this.commandRuns(-1);
        this.search();
      }),
      vscode.window.onDidCloseTerminal(() => this.search()),
      // A notebook's cell that ran may have recorded, beside the notebook (python/cnn_slicer/recorder.py).
      vscode.workspace.onDidChangeNotebookDocument((e) => {
        if (e.cellChanges.some((c) => c.executionSummary !== undefined)) this.search();
      }),
    );
    this.search();
  }

  private commandRuns(delta: number): void {
    this.running = Math.max(0, this.running + delta);
    if (this.running > 0 && !this.poll) {
      this.poll = setInterval(() => this.search(), TERMINAL_LOOK_MS);
      this.poll.unref?.();
    } else if (this.running === 0 && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  private found(manifests: readonly vscode.Uri[]): void {
    if (this.closed) return;
    const before = this.list().join('\n');
    for (const uri of manifests) {
      if (uri.scheme !== 'file' || /[\\/]node_modules[\\/]/.test(uri.fsPath)) continue;
      this.discovered.add(runsFolderOfManifest(uri.fsPath));
    }
    // A folder found that is one already (the configured `.cnnslicer/runs`) changes nothing.
    if (this.list().join('\n') !== before) this.changed.fire();
  }

  dispose(): void {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    this.searched.dispose();
  }
}

/**
 * `CNN_SLICER_RUNS` in the integrated terminals VS Code opens for a workspace folder (through the
 * extension's environment variable collection, scoped to the folder): that folder's configured
 * runs folder, so `python3 train.py` in VS Code's terminal records where the extension records and
 * the runs tree shows it. Not where the user's settings or VS Code's own environment name
 * `CNN_SLICER_RUNS` already. Set in untrusted workspaces too: it is a folder name and runs nothing
 * (a script the user runs in the terminal is theirs to run).
 */
export class TerminalRunsEnv implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly collection: vscode.GlobalEnvironmentVariableCollection,
    private readonly folders: WorkspaceRunsFolders,
    private readonly l10n: L10n,
  ) {
    this.update();
    this.subscription = vscode.Disposable.from(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsRunsFolders(e)) this.update();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.update()),
    );
  }

  /**
   * Sets the variable again from the settings: for every terminal where the workspace has one
   * folder, else per workspace folder (the collection scoped to it).
   */
  update(): void {
    this.collection.clear();
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const folder of folders) {
      const target = folders.length === 1 ? this.collection : this.collection.getScoped({ workspaceFolder: folder });
      if (this.folders.namesRunsEnv(folder)) continue;
      const runsFolder = configuredRunsFolder(folder);
      target.description = this.l10n.t('CNN Slicer: Python training scripts record their runs into {0}', runsFolder);
      target.replace(RUNS_ENV, runsFolder);
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
