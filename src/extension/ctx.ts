// The extension's context: what every feature may need and nothing feature-specific — the VS Code
// extension context, the log, the settings and runs folders, the run index and the analysis
// service client (started with the first query). It imports no feature; `activate` creates it
// first and hands it (or the parts they need) to the features and command groups it builds, so
// nothing registers itself into a shared object and the order of construction is plain code.
import { join } from 'node:path';
import * as vscode from 'vscode';
import { AnalysisClient } from '../service/client';
import { RunIndex } from './runs/runIndex';
import { affectsRunsFolders, configuredRunsFolder, WorkspaceRunsFolders } from './runs/runsFolders';
import { CONFIGURATION_SECTION, readSettings, type Settings } from './settings';

export class Ctx implements vscode.Disposable {
  readonly runs: RunIndex;
  /** The workspace's runs folders: configured, named by the terminals' CNN_SLICER_RUNS, and found (runs/runsFolders.ts). */
  readonly runsFolderList: WorkspaceRunsFolders;
  private analysis?: AnalysisClient;

  constructor(
    readonly extensionContext: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.runsFolderList = new WorkspaceRunsFolders(log);
    this.runs = new RunIndex(() => this.runsFolders(), log);
    this.subscriptions.push(
      this.runsFolderList,
      this.runs,
      this.runsFolderList.onDidChange(() => this.runsFoldersChanged()),
      // While a terminal command runs (a training script may be recording), the runs are looked at again.
      this.runsFolderList.onDidSearch(() => this.runs.check()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsRunsFolders(e)) this.runsFoldersChanged();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.runsFoldersChanged()),
    );
  }

  /** Everything the extension creates and VS Code disposes of after `deactivate`. */
  get subscriptions(): { dispose(): unknown }[] {
    return this.extensionContext.subscriptions;
  }

  get extensionUri(): vscode.Uri {
    return this.extensionContext.extensionUri;
  }

  get workspaceState(): vscode.Memento {
    return this.extensionContext.workspaceState;
  }

  /** The settings, of a resource (a model file) or of the window. */
  settings(scope?: vscode.ConfigurationScope): Settings {
    return readSettings(vscode.workspace.getConfiguration(CONFIGURATION_SECTION, scope));
  }

  /**
   * Absolute runs folders: each workspace folder's configured one first, then those the terminals'
   * `CNN_SLICER_RUNS` names and the `.cnnslicer/runs` folders found in the workspace.
   */
  runsFolders(): string[] {
    return this.runsFolderList.list();
  }

  /** The runs folder a new recording of `modelFile` goes to: that of its workspace folder. */
  runsFolderFor(modelFile: vscode.Uri): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(modelFile) ?? vscode.workspace.workspaceFolders?.[0];
    return folder ? configuredRunsFolder(folder) : undefined;
  }

  /** The Node executable for child processes: the setting, else the extension host's own. */
  nodeExecutable(): string {
    return this.settings().nodeExecutable || process.execPath;
  }

  /**
   * What the processes the extension starts (the analysis service, `cnn-slicer measure`, a
   * Python script's terminal) add to their environment: the provider of the native engine
   * (`CNN_SLICER_PROVIDER`, src/native/ortRuntime.ts `providerFromEnvironment`).
   */
  childEnvironment(): Record<string, string> {
    return { CNN_SLICER_PROVIDER: this.settings().executionProvider };
  }

  /** A bundle of the extension (`dist/<name>.js`): the child processes' entry points. */
  bundle(name: 'service' | 'recorder' | 'cli'): string {
    return join(this.extensionContext.extensionPath, 'dist', `${name}.js`);
  }

  /** The analysis service client; the service process starts with the first query. */
  client(): AnalysisClient {
    this.analysis ??= new AnalysisClient({
      roots: this.runsFolders(),
      script: this.bundle('service'),
      execPath: this.nodeExecutable(),
      env: this.childEnvironment(),
      onEngine: (engine) => this.engineKnown(engine),
    });
    return this.analysis;
  }

  dispose(): void {
    this.analysis?.dispose();
  }

  /** Whether the native engine's absence has been shown in this window. */
  private engineShown = false;

  /** The service says which engine computes PyTorch runs: logged, and its absence shown once in the status bar. */
  private engineKnown(engine: { native: boolean; line: string }): void {
    this.log.info(engine.line);
    if (engine.native || this.engineShown) return;
    this.engineShown = true;
    vscode.window.setStatusBarMessage(`$(warning) CNN Slicer: ${engine.line}`, 20_000);
  }

  private runsFoldersChanged(): void {
    this.runs.refresh();
    this.analysis?.configure(this.runsFolders());
  }
}
