// The extension's settings (`cnnSlicer.*` in package.json) as one typed object, the runs folder a
// workspace folder's settings name, and what one recording is started with.
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';

export type Backend = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** The optimizers a recording can be told to train with (the recorder's `--optimizer`). */
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

export interface Settings {
  runsFolder: string;
  defaultDataset: string;
  epochs: number;
  batchSize: number;
  probeSize: number;
  bins: number;
  k: number;
  backend: Backend;
  nodeExecutable: string;
  /** An open run panel moves to a newer run of its model by itself (else it offers to). */
  followNewestRun: boolean;
  /** A completed recording opens its run's panel by itself. */
  openWhenRecorded: boolean;
  /** The findings of a model's newest run in the Problems panel and the lens summaries. */
  diagnostics: boolean;
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
    backend: c.get<Backend>('backend') ?? 'auto',
    nodeExecutable: c.get<string>('nodeExecutable') ?? '',
    followNewestRun: c.get<boolean>('panels.followNewestRun') ?? false,
    openWhenRecorded: c.get<boolean>('panels.openWhenRecorded') ?? true,
    diagnostics: c.get<boolean>('diagnostics.enabled') ?? true,
  };
}

/** A folder's runs folder: the setting, relative to that workspace folder unless absolute. */
export function runsFolderOf(folder: vscode.WorkspaceFolder): string {
  const setting = readSettings(folder.uri).runsFolder;
  return isAbsolute(setting) ? setting : join(folder.uri.fsPath, setting);
}

/** What a recording is started with: the Analyze CNN flow's answers (also what "Record Again" passes back). */
export interface RecordingSettings {
  /** Empty: the model's own `dataset` export, else mnist. */
  dataset: string;
  /** Undefined: the model's `training` export, else the cnnSlicer.epochs / batchSize settings. */
  epochs?: number;
  batchSize?: number;
  /** Undefined: the model's own (its compile() or training_config, its `training` export), else Adam. */
  optimizer?: Optimizer;
  /** Undefined: the model's own, as for the optimizer, else 0.001. */
  learningRate?: number;
  probeSize: number;
  bins: number;
  k: number;
  backend: Backend;
  /**
   * Set by Record Again and control experiments only, from the run recorded again (the Analyze CNN
   * flow does not ask them): the seed, the probe set drawn per class, and every how many epochs one is recorded.
   */
  seed?: number;
  probePerClass?: number;
  recordEvery?: number;
  /**
   * Set by Record Again only: the run's training inputs (`dataset.trainSize`), so it trains on the
   * same inputs whether or not the run was limited (the first N of the same seeded shuffle).
   */
  trainLimit?: number;
}
