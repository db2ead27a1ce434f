// The extension's settings (`cnnSlicer.*` in package.json) as one typed object, read from VS Code's
// configuration (or anything with its `get`, for tests), and what one recording is started with.
// The recording settings' defaults are their descriptors' (src/contract/recordSettings.ts).
import { type Backend, type Optimizer, RECORD_SETTINGS, type RecordSettingTable } from '../contract/recordSettings';

/** The section of the extension's settings: `cnnSlicer.<key>`. */
export const CONFIGURATION_SECTION = 'cnnSlicer';

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
  /** Where the native engine runs PyTorch runs' forward passes: `cpu`, `webgpu` or `cuda` (checked by the process that reads it, src/native/ortRuntime.ts). */
  executionProvider: string;
  /** An open run panel moves to a newer run of its model by itself (else it offers to). */
  followNewestRun: boolean;
  /** A completed recording opens its run's panel by itself. */
  openWhenRecorded: boolean;
  /** The findings of a model's newest run in the Problems panel and the lens summaries. */
  diagnostics: boolean;
}

/** What the settings are read from: `vscode.workspace.getConfiguration('cnnSlicer', scope)`. */
export interface ConfigurationReader {
  get<T>(key: string): T | undefined;
}

/** The recording settings that are VS Code settings, by their name in `Settings`. */
type RecordingKey = 'epochs' | 'batchSize' | 'probeSize' | 'bins' | 'k' | 'backend';

/**
 * The settings, each recording setting from its VS Code setting, else its descriptor's default
 * (`table` is the descriptors: tests pass one with a changed default).
 */
export function readSettings(c: ConfigurationReader, table: RecordSettingTable = RECORD_SETTINGS): Settings {
  const recording = <K extends RecordingKey>(name: K): Settings[K] => {
    const s = table[name];
    return c.get<Settings[K]>(s.vscode?.key ?? name) ?? (s.default as Settings[K]);
  };
  return {
    runsFolder: c.get<string>('runsFolder') || '.cnnslicer/runs',
    defaultDataset: c.get<string>(table.dataset.vscode?.key ?? 'defaultDataset') ?? '',
    epochs: recording('epochs'),
    batchSize: recording('batchSize'),
    probeSize: recording('probeSize'),
    bins: recording('bins'),
    k: recording('k'),
    backend: recording('backend'),
    nodeExecutable: c.get<string>('nodeExecutable') ?? '',
    executionProvider: c.get<string>('executionProvider') ?? 'cpu',
    followNewestRun: c.get<boolean>('panels.followNewestRun') ?? false,
    openWhenRecorded: c.get<boolean>('panels.openWhenRecorded') ?? true,
    diagnostics: c.get<boolean>('diagnostics.enabled') ?? true,
  };
}

/** What a recording is started with: the Analyze CNN flow's answers (also what "Record Again" passes back). */
export interface RecordingSettings {
  /** Empty: the model's own `dataset` export, else mnist. */
  dataset: string;
  /** Undefined: the model's `training` export, else the cnnSlicer.epochs / batchSize settings. */
  epochs?: number;
  batchSize?: number;
  /** Undefined: the model's own (its compile() or training_config, its `training` export), else the default (Adam). */
  optimizer?: Optimizer;
  /** Undefined: the model's own, as for the optimizer, else the default (0.001). */
  learningRate?: number;
  probeSize: number;
  bins: number;
  k: number;
  backend: Backend;
  /** The seed: the descriptor's default in the Analyze CNN flow (it does not ask it), a run's own when it is recorded again. */
  seed: number;
  /**
   * Set by Record Again and control experiments only, from the run recorded again (the Analyze CNN
   * flow does not ask them): the probe set drawn per class, and every how many epochs one is recorded.
   */
  probePerClass?: number;
  recordEvery?: number;
  /**
   * Set by Record Again only: the run's training inputs (`dataset.trainSize`), so it trains on the
   * same inputs whether or not the run was limited (the first N of the same seeded shuffle).
   */
  trainLimit?: number;
}
