/**
 * The recording settings, each defined once: its schema across the recorder's boundary, default,
 * limits, CLI flag and help line, VS Code setting (key and description), and where a value may
 * come from. Everything else is derived from this table: the recorder protocol's fields and
 * picklists (src/contract/protocols/recorder.ts), `resolveSettings` and its checks (src/recorder/settings.ts),
 * the `record` command's options, checks and `--help` lines (src/cli/record.ts, usage.ts), the
 * extension's settings reader (src/extension/settings.ts), Record Again and control runs (which
 * replay a run's own values, `replayedSettings`), and package.json's `cnnSlicer.*` configuration,
 * which test/unit/contract/recordSettings.test.ts holds to it. Pure: no I/O, no Node, no vscode.
 *
 * Adding a setting: docs/vscode.md, "Adding a recording setting".
 */
import * as v from 'valibot';
import { DEFAULT_BINS, DEFAULT_K, MAX_BINS } from '../analysis';
import type { UnknownToPyTorch } from './runFormat';

/** The backends a recording may ask for (`auto`: the fastest that loads; src/tfjs/backend.ts). */
export const BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type Backend = (typeof BACKENDS)[number];

/**
 * Where the native engine's sessions run (src/native/ortRuntime.ts): the CPU (the default, first),
 * or a GPU through WebGPU or CUDA where the installation has them.
 */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/**
 * The TensorFlow.js backends a recording can run on, by TensorFlow.js's own name, fastest first
 * (what the run manifest's `backend.name` holds): `tensorflow-gpu` is tfjs-node-gpu's (whose tfjs
 * backend is also named `tensorflow`), `tensorflow` tfjs-node's.
 */
export const TFJS_BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TfjsBackendName = (typeof TFJS_BACKEND_NAMES)[number];

/** The optimizers the settings can name (a model's own compile() may use others). */
export const OPTIMIZERS = ['sgd', 'adam', 'rmsprop'] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];

/**
 * Where a value may come from besides the recorder's default, in the order that wins: the caller's
 * options (`cli`: the command line; VS Code passes its settings and the Analyze CNN answers as
 * options too), the model file's export (`modelExport`: its `training` export, or its `dataset`
 * export for the dataset), the model's own compile() or model.json `training_config`
 * (`trainingConfig`), and the VS Code setting (`vscode`; for a setting the model's export may set, a
 * fallback below the export: `RecordOptions.defaults`).
 */
export type SettingSource = 'cli' | 'modelExport' | 'trainingConfig' | 'vscode';

/** A recording setting that is also a VS Code setting, `cnnSlicer.<key>`. */
export interface VscodeSetting {
  key: string;
  /** Its description (package.nls.json's `cnnSlicer.config.<key>`). */
  description: string;
  /** The description is Markdown (`markdownDescription`). */
  markdown?: boolean;
  /** A lower bound of the editor's own, above the setting's `min`, with the reason beside it. */
  minimum?: number;
}

interface SettingBase {
  /** The setting in messages and logs: "batch size must be …", "batch size 64 from the default". */
  words: string;
  /** The `record` command's option, without `--`, and its value's placeholder in the help. */
  flag: string;
  placeholder: string;
  /** The help's line: what the setting is (the range and the default are added). */
  help: string;
  /** Further help lines. */
  helpMore?: readonly string[];
  /** The default in words, when it is not a value (the help's "(default …)"). */
  defaultHelp?: string;
  vscode?: VscodeSetting;
  sources: readonly SettingSource[];
  /** Recorded in the run manifest's `settings` (src/contract/runFormat.ts RunSettings), resolved by `resolveSettings`, replayed by Record Again. */
  run: boolean;
}

/** A whole number from `min` to `max` (no upper bound when absent). */
export interface IntegerSetting extends SettingBase {
  kind: 'integer';
  schema: v.GenericSchema<unknown, number>;
  default?: number;
  min: number;
  max?: number;
}

/** A positive finite number. */
export interface PositiveSetting extends SettingBase {
  kind: 'positive';
  schema: v.GenericSchema<unknown, number>;
  default: number;
}

/** One of a list of names. */
export interface ChoiceSetting extends SettingBase {
  kind: 'choice';
  schema: v.GenericSchema<unknown, string>;
  choices: readonly string[];
  default: string;
  /** package.nls.json's keys of the VS Code setting's `enumDescriptions`, one a choice. */
  choiceDescriptions?: readonly string[];
}

/** Free text (checked where it is used: the dataset spec by src/data). */
export interface TextSetting extends SettingBase {
  kind: 'text';
  schema: v.GenericSchema<unknown, string>;
  default?: undefined;
}

export type RecordSetting = IntegerSetting | PositiveSetting | ChoiceSetting | TextSetting;

/**
 * Every recording setting, in the order of the help and of the checks. The limits: epochs 10,000, as
 * every epoch is a checkpoint and a metrics line; bins the estimators' own limit (MAX_BINS); k
 * 1,000,000, since the estimator uses min(k, probe size − 1) anyway; probe size and probe per class
 * 100,000 inputs, whose activations are held in memory per layer; batch size and record every
 * 1,000,000. Each is checked before anything is loaded or written.
 */
export const RECORD_SETTINGS = {
  dataset: {
    kind: 'text',
    schema: v.string(),
    words: 'dataset',
    flag: 'dataset',
    placeholder: 'D',
    help: 'mnist | fashion-mnist | cifar10:<dir> | images:<dir> |',
    helpMore: ['npy:<x.npy>,<y.npy> | synthetic[:n]; at most 1000 classes'],
    defaultHelp: 'the model file\'s "dataset" export, else mnist',
    vscode: {
      key: 'defaultDataset',
      markdown: true,
      description:
        "Dataset for new recordings when the model does not name one: `mnist`, `fashion-mnist`, `cifar10:<dir>`, `images:<dir>`, `npy:<x.npy>,<y.npy>` or `synthetic[:n]`. Empty: the model's own `dataset` export, else `mnist`.",
    },
    sources: ['cli', 'modelExport', 'vscode'],
    run: false,
  },
  epochs: {
    kind: 'integer',
    schema: v.number(),
    words: 'epochs',
    flag: 'epochs',
    placeholder: 'N',
    help: 'training epochs',
    helpMore: ['epoch 0, before training, is always recorded'],
    default: 5,
    min: 0,
    max: 10_000,
    vscode: {
      key: 'epochs',
      description: "Training epochs of a new recording (the epochs of the model's training export win when it sets them).",
      // A recording started in the editor trains: epoch 0 alone is for the command line.
      minimum: 1,
    },
    sources: ['cli', 'modelExport', 'vscode'],
    run: true,
  },
  batchSize: {
    kind: 'integer',
    schema: v.number(),
    words: 'batch size',
    flag: 'batch-size',
    placeholder: 'N',
    help: 'training batch size',
    default: 64,
    min: 1,
    max: 1_000_000,
    vscode: { key: 'batchSize', description: 'Batch size of a new recording.' },
    sources: ['cli', 'modelExport', 'vscode'],
    run: true,
  },
  learningRate: {
    kind: 'positive',
    schema: v.number(),
    words: 'learning rate',
    flag: 'lr',
    placeholder: 'X',
    help: 'learning rate',
    default: 0.001,
    sources: ['cli', 'modelExport', 'trainingConfig'],
    run: true,
  },
  optimizer: {
    kind: 'choice',
    schema: v.picklist(OPTIMIZERS),
    choices: OPTIMIZERS,
    words: 'optimizer',
    flag: 'optimizer',
    placeholder: 'O',
    help: 'optimizer',
    default: 'adam' satisfies Optimizer,
    sources: ['cli', 'modelExport', 'trainingConfig'],
    run: true,
  },
  seed: {
    kind: 'integer',
    schema: v.number(),
    words: 'seed',
    flag: 'seed',
    placeholder: 'S',
    help: 'seed of the split, the shuffles and the initial weights',
    default: 1,
    min: 0,
    sources: ['cli'],
    run: true,
  },
  recordEvery: {
    kind: 'integer',
    schema: v.number(),
    words: 'record every',
    flag: 'record-every',
    placeholder: 'N',
    help: 'record every N-th epoch (the last is always recorded)',
    default: 1,
    min: 1,
    max: 1_000_000,
    sources: ['cli', 'modelExport'],
    run: true,
  },
  probeSize: {
    kind: 'integer',
    schema: v.number(),
    words: 'probe size',
    flag: 'probe',
    placeholder: 'N',
    help: 'probe inputs, the X of the hypercube',
    helpMore: ["fewer than the dataset's inputs: probe inputs are never trained on"],
    default: 500,
    min: 3,
    max: 100_000,
    vscode: { key: 'probeSize', description: 'Number of held-out probe inputs whose activations are recorded every epoch.' },
    sources: ['cli', 'vscode'],
    run: true,
  },
  probePerClass: {
    kind: 'integer',
    schema: v.number(),
    words: 'probe per class',
    flag: 'probe-per-class',
    placeholder: 'N',
    help: 'a class-balanced probe instead, N inputs of each class',
    min: 1,
    max: 100_000,
    sources: ['cli'],
    run: true,
  },
  trainLimit: {
    kind: 'integer',
    schema: v.number(),
    words: 'train limit',
    flag: 'train-limit',
    placeholder: 'N',
    help: 'train on the first N of the (shuffled) training inputs',
    defaultHelp: 'all but the probe',
    min: 1,
    sources: ['cli'],
    run: false,
  },
  trainThreads: {
    kind: 'integer',
    schema: v.picklist([1, 2]),
    words: 'train threads',
    flag: 'train-threads',
    placeholder: 'T',
    help: 'threads training runs on, 1 to 2: on two, each trains on half of every batch',
    helpMore: [
      '(default 2 for models with ≥ 32,768 layer output values per input on 2 cores, else 1;',
      "the run records which; unasked, one thread takes a kernel thread's help in its",
      'convolutions, with the same results; 1 asks for none)',
    ],
    min: 1,
    max: 2,
    sources: ['cli'],
    run: false,
  },
  backend: {
    kind: 'choice',
    schema: v.picklist(BACKENDS),
    choices: BACKENDS,
    words: 'backend',
    flag: 'backend',
    placeholder: 'B',
    help: 'TensorFlow.js backend',
    default: 'auto' satisfies Backend,
    vscode: { key: 'backend', description: 'TensorFlow.js backend of the recorder process.' },
    choiceDescriptions: [
      'cnnSlicer.config.backend.auto',
      'cnnSlicer.config.backend.nodeGpu',
      'cnnSlicer.config.backend.node',
      'cnnSlicer.config.backend.wasm',
      'cnnSlicer.config.backend.cpu',
    ],
    sources: ['cli', 'vscode'],
    run: false,
  },
  bins: {
    kind: 'integer',
    schema: v.number(),
    words: 'bins',
    flag: 'bins',
    placeholder: 'B',
    help: 'histogram bins of intra-sample entropy and channel capacity',
    default: DEFAULT_BINS,
    min: 2,
    max: MAX_BINS,
    vscode: { key: 'bins', description: 'Histogram bins for intra-sample entropy and channel capacity.' },
    sources: ['cli', 'vscode'],
    run: true,
  },
  k: {
    kind: 'integer',
    schema: v.number(),
    words: 'k',
    flag: 'k',
    placeholder: 'K',
    help: 'nearest neighbours of the inter-sample entropy',
    default: DEFAULT_K,
    min: 2,
    max: 1_000_000,
    vscode: { key: 'k', description: 'Nearest neighbours for inter-sample entropy (capped at the number of inputs minus one).' },
    sources: ['cli', 'vscode'],
    run: true,
  },
} as const satisfies Record<string, RecordSetting>;

type Table = typeof RECORD_SETTINGS;
export type RecordSettingName = keyof Table;
/** A table of the same settings (tests pass one with a changed default; everything derived takes it). */
export type RecordSettingTable = Record<RecordSettingName, RecordSetting>;
/** A setting's value, as its schema has it. */
export type SettingValue<K extends RecordSettingName> = v.InferOutput<Table[K]['schema']>;

type WithSource<S extends SettingSource> = {
  [K in RecordSettingName]: S extends Table[K]['sources'][number] ? K : never;
}[RecordSettingName];
/** The settings the run manifest's `settings` records. */
export type RunSettingName = { [K in RecordSettingName]: Table[K]['run'] extends true ? K : never }[RecordSettingName];
/** The settings a model file's `training` export may set. */
export type ExportedSettingName = Extract<RunSettingName, WithSource<'modelExport'>>;
/** The run settings that are VS Code settings and may come from the model's export: the editor's value is a fallback below the export. */
export type EditorFallbackName = Extract<ExportedSettingName, WithSource<'vscode'>>;

const NAMES = Object.keys(RECORD_SETTINGS) as RecordSettingName[];
/** The table as its general type, for the loops below. */
const TABLE: RecordSettingTable = RECORD_SETTINGS;
const has = (name: RecordSettingName, source: SettingSource): boolean => TABLE[name].sources.includes(source);

export const RUN_SETTING_NAMES = NAMES.filter((n) => TABLE[n].run) as RunSettingName[];
export const EXPORTED_SETTING_NAMES = RUN_SETTING_NAMES.filter((n) => has(n, 'modelExport')) as ExportedSettingName[];
export const EDITOR_FALLBACK_NAMES = EXPORTED_SETTING_NAMES.filter((n) => has(n, 'vscode')) as EditorFallbackName[];

/** Each setting's schema made optional: the recorder protocol's `RecordOptions` fields. */
export const RECORD_SETTING_SCHEMAS = Object.fromEntries(NAMES.map((n) => [n, v.optional(TABLE[n].schema)])) as unknown as {
  [K in RecordSettingName]: v.OptionalSchema<Table[K]['schema'], undefined>;
};

/** The fields of `RecordOptions.defaults`: the editor's fallbacks. */
export const EDITOR_FALLBACK_SCHEMAS = Object.fromEntries(
  EDITOR_FALLBACK_NAMES.map((n) => [n, v.optional(TABLE[n].schema)]),
) as unknown as { [K in EditorFallbackName]: v.OptionalSchema<Table[K]['schema'], undefined> };

/** The defaults of the settings that have one. */
export type RecordDefaults = {
  [K in RecordSettingName as Table[K] extends { default: infer D } ? (D extends undefined ? never : K) : never]: SettingValue<K>;
};
export const DEFAULT_RECORD_SETTINGS = Object.fromEntries(
  NAMES.filter((n) => TABLE[n].default !== undefined).map((n) => [n, TABLE[n].default]),
) as RecordDefaults;

export function isOptimizer(name: unknown): name is Optimizer {
  return (OPTIMIZERS as readonly unknown[]).includes(name);
}

export function isBackend(name: unknown): name is Backend {
  return (BACKENDS as readonly unknown[]).includes(name);
}

/** Whether `text` names an execution provider. */
export function isExecutionProvider(text: string): text is ExecutionProvider {
  return (EXECUTION_PROVIDERS as readonly string[]).includes(text);
}

/**
 * The backend to ask for to run on the backend a run ran on, by its TensorFlow.js name (the run
 * manifest's `backend.name`: `tensorflow-gpu` is tfjs-node-gpu's, `tensorflow` tfjs-node's); undefined
 * for a name that is none of them.
 */
export function backendOfTfjsName(name: string): Backend | undefined {
  // Fastest first in both lists, after `auto`.
  const i = (TFJS_BACKEND_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : BACKENDS[i + 1];
}

/** "sgd, adam or rmsprop": a setting's choices in a message. */
export function choicesInWords(choices: readonly string[]): string {
  return choices.length < 2 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

/** "from 1 to 1000000", ">= 0": an integer setting's range in a message. */
export function rangeInWords(s: Pick<IntegerSetting, 'min' | 'max'>): string {
  return s.max === undefined ? `>= ${s.min}` : `from ${s.min} to ${s.max}`;
}

/**
 * What is wrong with a value of a setting, in words ("must be an integer from 1 to 1000000"), or
 * undefined when it is fine. The recorder and the command line say it with their own subject.
 */
export function settingProblem(s: RecordSetting, value: unknown): string | undefined {
  switch (s.kind) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= s.min && (s.max === undefined || value <= s.max)
        ? undefined
        : `must be an integer ${rangeInWords(s)}`;
    case 'positive':
      return typeof value === 'number' && value > 0 && Number.isFinite(value) ? undefined : 'must be a positive number';
    case 'choice':
      return s.choices.includes(value as string) ? undefined : `must be ${choicesInWords(s.choices)}`;
    case 'text':
      return typeof value === 'string' ? undefined : 'must be text';
  }
}

/** What recording a run again reads of its manifest (src/contract/runFormat.ts RunManifest). */
export interface RecordedRun {
  /**
   * The run's settings as recorded (`optimizer` may name one the settings cannot: the model's own);
   * a PyTorch run (format version 2) may lack the epochs, batch size, optimizer and learning rate.
   */
  settings: { [K in Exclude<RunSettingName, 'probePerClass' | UnknownToPyTorch>]: number } & {
    [K in UnknownToPyTorch]?: K extends 'optimizer' ? string : number;
  } & { probePerClass?: number };
  dataset: { spec: string; trainSize: number };
  training?: { compiledBy: 'model' | 'settings' };
}

/** The settings recording a run again passes. */
export type ReplayedSettings = { [K in RunSettingName | 'dataset' | 'trainLimit']?: SettingValue<K> };

/**
 * What recording a run again replays (Record Again, a control run): its dataset spec, every run
 * setting as it was recorded, and its number of training inputs (the same first N of the same seeded
 * shuffle) — but the optimizer and learning rate when the model's own compile() chose them (it does
 * again) and an optimizer the settings cannot name. The backend and the training threads are not
 * replayed: the run records what ran, which is the machine's choice.
 */
export function replayedSettings(run: RecordedRun): ReplayedSettings {
  const ownTraining = run.training?.compiledBy === 'model';
  const out: Record<string, unknown> = { dataset: run.dataset.spec, trainLimit: run.dataset.trainSize };
  for (const name of RUN_SETTING_NAMES) {
    if (ownTraining && has(name, 'trainingConfig')) continue;
    const value = run.settings[name];
    if (value === undefined || (name === 'optimizer' && !isOptimizer(value))) continue;
    out[name] = value;
  }
  return out;
}

const HELP_COLUMN = 24;
export const HELP_WIDTH = 110;

/** The `record --help` lines of the settings: flag, what it is, its range or choices, its default; none over HELP_WIDTH characters. */
export function recordSettingsHelp(table: RecordSettingTable = RECORD_SETTINGS): string[] {
  const lines: string[] = [];
  for (const s of Object.values(table)) {
    const range = s.kind === 'integer' ? (s.max === undefined ? `at least ${s.min}` : `${s.min} to ${s.max}`) : undefined;
    const what =
      s.kind === 'choice' ? `${s.help}: ${s.choices.join(' | ')}` : range && !s.help.includes(range) ? `${s.help}, ${range}` : s.help;
    const byDefault = s.defaultHelp ?? (s.default === undefined ? undefined : String(s.default));
    const head = `  --${s.flag} ${s.placeholder}`.padEnd(HELP_COLUMN);
    const first = byDefault === undefined ? what : `${what} (default ${byDefault})`;
    const more = (s.helpMore ?? []).map((line) => ' '.repeat(HELP_COLUMN) + line);
    // The default ends the setting's text: on its first line when that fits, else on a line of its own.
    if (head.length + first.length <= HELP_WIDTH || byDefault === undefined) lines.push(head + first, ...more);
    else lines.push(head + what, ...more, ' '.repeat(HELP_COLUMN) + `(default ${byDefault})`);
  }
  return lines;
}
