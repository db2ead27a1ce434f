// What the extension's parts share: settings, the runs folders, the run index, the analysis
// service client (started on first use) and the registries of recordings and panels. Created once in
// `activate`; each feature module takes it and registers its own providers and commands.
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { AnalysisClient } from '../service/client';
import { RunIndex } from './runIndex';

export interface Settings {
  runsFolder: string;
  defaultDataset: string;
  epochs: number;
  batchSize: number;
  probeSize: number;
  bins: number;
  k: number;
  backend: 'auto' | 'tfjs-node' | 'wasm' | 'cpu';
  nodeExecutable: string;
}

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration('cnnSlicer', scope);
  return {
    runsFolder: c.get<string>('runsFolder') || '.cnnslicer/runs',
    defaultDataset: c.get<string>('defaultDataset') ?? '',
    epochs: c.get<number>('epochs') ?? 5,
    batchSize: c.get<number>('batchSize') ?? 64,
    probeSize: c.get<number>('probeSize') ?? 500,
    bins: c.get<number>('bins') ?? 32,
    k: c.get<number>('k') ?? 1000,
    backend: c.get<Settings['backend']>('backend') ?? 'auto',
    nodeExecutable: c.get<string>('nodeExecutable') ?? '',
  };
}

/** A folder's runs folder: the setting, relative to that workspace folder unless absolute. */
export function runsFolderOf(folder: vscode.WorkspaceFolder): string {
  const setting = readSettings(folder.uri).runsFolder;
  return isAbsolute(setting) ? setting : join(folder.uri.fsPath, setting);
}

/** Focus requests a panel understands (webview/protocol.ts `Focus`). */
export type { Focus } from '../../webview/protocol';

/** The run panels (src/extension/panels.ts implements it). */
export interface PanelRegistry {
  /** Opens (or reveals) the panel of a run, optionally on a view, layer and channel. */
  open(runFolder: string, focus?: import('../../webview/protocol').Focus): Promise<void>;
  /** Selects a layer in every open panel of runs of `modelFile` (the editor cursor moved onto it). */
  selectLayerOfModel(modelFile: string, layer: number): void;
  /** Closes the panel of a run (it is being deleted); false when none was open. */
  close(runFolder: string): boolean;
}

/** The recordings running in this window (src/extension/recording.ts implements it). */
export interface RecordingRegistry {
  readonly onDidChange: vscode.Event<void>;
  /** Run folders being recorded now (known once the recorder has created them). */
  activeFolders(): string[];
  cancel(runFolder?: string): Promise<void>;
}

export class Services implements vscode.Disposable {
  readonly runs: RunIndex;
  private analysis?: AnalysisClient;
  panels?: PanelRegistry;
  recordings?: RecordingRegistry;
  /** The Recorded Runs tree (src/extension/runsTree.ts), reachable for the integration tests. */
  runsTree?: import('./runsTree').RunsTree;
  /** Detection, CodeLens and hovers (src/extension/modelFeatures.ts). */
  modelFeatures?: import('./modelFeatures').ModelFeatures;

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.runs = new RunIndex(() => this.runsFolders(), log);
    context.subscriptions.push(
      this.runs,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('cnnSlicer.runsFolder')) {
          this.runs.refresh();
          this.analysis?.configure(this.runsFolders());
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.runs.refresh();
        this.analysis?.configure(this.runsFolders());
      }),
    );
  }

  /** Absolute runs folders, one per workspace folder. */
  runsFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map(runsFolderOf);
  }

  /** The runs folder a new recording of `modelFile` goes to: that of its workspace folder. */
  runsFolderFor(modelFile: vscode.Uri): string | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(modelFile) ?? vscode.workspace.workspaceFolders?.[0];
    return folder ? runsFolderOf(folder) : undefined;
  }

  /** The Node executable for child processes: the setting, else the extension host's own. */
  nodeExecutable(): string {
    return readSettings().nodeExecutable || process.execPath;
  }

  /** The analysis service client; the service process starts with the first query. */
  client(): AnalysisClient {
    this.analysis ??= new AnalysisClient({
      roots: this.runsFolders(),
      script: join(this.context.extensionPath, 'dist', 'service.js'),
      execPath: this.nodeExecutable(),
    });
    return this.analysis;
  }

  dispose(): void {
    this.analysis?.dispose();
  }
}
