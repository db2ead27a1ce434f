/**
 * The run folder format, versions 1 and 2: the dCNN hypercube on disk (paper 4.2; docs/run-format.md).
 * Version 2 is a PyTorch run (python/cnn_slicer): ONNX checkpoints (the manifest's `checkpoint`),
 * settings the training loop may not know, and metrics lines whose measures are pending.
 * A run stores what regenerates every slice exactly (weights checkpoints, the probe inputs) plus
 * cheap per-epoch summaries. These are the schema types and the validation of what a reader finds on
 * disk (every reader goes through it, so a damaged but parseable file is a run-format error, never a
 * crash further on); limits.ts holds the size limits of each file. Pure: the webviews import the types.
 *
 * The checks are written out rather than declared with a schema library because most of them depend on the manifest (a metrics
 * line has one entry per manifest layer, one per class, one per channel of that layer), which a fixed schema does not express.
 */
import { CodedError, hasErrorCode } from '../analysis/errors';
import { INTER_SAMPLE_UNDEFINED, type InterSampleUndefined } from '../analysis/interSampleReasons';
import { channelsOf } from '../analysis/layout';
import { controlProblem, type RunControl } from './controlFormat';

/** Format version written by this code (the TypeScript recorder). */
export const RUN_FORMAT_VERSION = 1;

/** A PyTorch run's format version: version 1 plus ONNX checkpoints (python/cnn_slicer writes it). */
export const PYTORCH_RUN_FORMAT_VERSION = 2;

/** The newest format version readers read; they refuse newer ones with a clear message. */
export const READ_RUN_FORMAT_VERSION = PYTORCH_RUN_FORMAT_VERSION;

/**
 * A PyTorch run's checkpoint (format version 2): `checkpoints/epoch-NNNN/<file>`, an ONNX model whose
 * graph outputs are the model's output (`output`) and then each manifest layer 1..L, named as the layer.
 */
export interface RunCheckpoint {
  format: 'onnx';
  /** The file's name inside each epoch's checkpoint folder (`model.onnx`). */
  file: string;
  opset: number;
  /** What wrote it, e.g. `pytorch 1.13.0a0`. */
  producer: string;
}

/**
 * Whether a run was recorded by the PyTorch recorder (python/cnn_slicer): its checkpoints are ONNX,
 * its model is trained by the user's script (not by CNN Slicer), and its layers' source columns are
 * Python's, counted in UTF-8 bytes (1-based) rather than UTF-16 code units.
 */
export function isPythonRun(manifest: { checkpoint?: { format: string } }): boolean {
  return manifest.checkpoint?.format === 'onnx';
}

export type RunStatus = 'recording' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

/**
 * Where a layer is defined: a 1-based line and column of `file`; in a notebook (`file` an `.ipynb`),
 * of the cell `cell` (docs/run-format.md "Source lines").
 */
export interface RunLayerSource {
  file: string;
  line: number;
  column: number;
  cell?: NotebookCellRef;
}

/**
 * A notebook cell as the recorder saw it run: `digest` is `cellDigest` of its text, `index` its
 * 0-based place among the notebook's cells as saved, where exactly one cell had that text.
 */
export interface NotebookCellRef {
  digest: string;
  index?: number;
}

export interface RunLayer {
  index: number;
  name: string;
  className: string;
  outputShape: number[];
  channels: number;
  parameters: number;
  source?: RunLayerSource;
  dataFormat?: 'channelsFirst'; // the output is [C, H, W] (docs/run-format.md); absent: channels last
  args?: Record<string, string | number | number[]>; // a source's options (kernelSize, padding, …) as tfjs holds them: docs/run-format.md
}

export interface RunSettings {
  epochs: number;
  batchSize: number;
  optimizer: string;
  learningRate: number;
  seed: number;
  recordEvery: number;
  probeSize: number;
  probePerClass?: number;
  bins: number;
  k: number;
  /** Threads the training ran on: 1, or 2 (data-parallel, half of every batch each); absent in older runs: 1. */ trainThreads?: 1 | 2;
}

/** The settings a PyTorch recorder (format version 2) may not know: absent there when the user's loop did not say. */
export const UNKNOWN_TO_PYTORCH = ['epochs', 'batchSize', 'optimizer', 'learningRate'] as const;
export type UnknownToPyTorch = (typeof UNKNOWN_TO_PYTORCH)[number];

/**
 * A manifest's `settings`: every one of them in runs CNN Slicer trained (format version 1); in a
 * PyTorch run (version 2) those of {@link UnknownToPyTorch} only where the user's loop gave them.
 */
export type RecordedSettings = Omit<RunSettings, UnknownToPyTorch> & Partial<Pick<RunSettings, UnknownToPyTorch>>;

/** The model output the label measures read (absent in runs recorded before it was written: those read the model's only output as softmax class scores). */
export interface RunOutput {
  /** The name of the layer whose output it is. */
  layer: string;
  /**
   * `softmax`: one probability per class; `logits`: one unnormalised score per class (softmaxed for
   * the measures); `binary`: one sigmoid unit P(class 1) on a 2-class dataset (thresholded at 0.5);
   * `none`: no class prediction (a regression or an embedding), see `labelMeasuresAbsent`.
   */
  kind: 'softmax' | 'logits' | 'binary' | 'none';
  /** How it was chosen: the model's only output, the first output of a class-score shape, or named by the model file's `classificationOutput` export. */
  chosenBy: 'only' | 'shape' | 'export';
  /** Why probe accuracy, probe loss, the confusion matrix and the label entropies were not measured (kind `none`). */
  labelMeasuresAbsent?: string;
}

/** How the model was trained (absent in runs recorded before it was written: the settings' optimizer with categorical cross-entropy). */
export interface RunTraining {
  /** `model`: the optimizer, learning rate and loss of the model file's own compile(); `settings`: the recording's settings chose the optimizer. */
  compiledBy: 'model' | 'settings';
  /** The optimizer's name (`adam`, `sgd`, …) as trained with; the model's own may be one the settings cannot name. */
  optimizer: string;
  /** The loss trained on, by name (`categoricalCrossentropy`, `binaryCrossentropy`, a custom function's name). */
  loss: string;
  /**
   * `half-batch`: trained on two threads, batch normalisation used each half-batch's statistics;
   * `parts`: each batch's gradient was computed in parts of at most `partInputs` inputs, and batch
   * normalisation used each part's (absent: the whole batch's).
   */
  batchStatistics?: 'half-batch' | 'parts';
  /** The most inputs of a batch whose gradient was computed at once, when a batch's tape did not fit in memory (absent: whole batches, or halves on two threads). */
  partInputs?: number;
}

/**
 * The script or notebook that trained a PyTorch run's model (docs/run-format.md "PyTorch runs"):
 * `file` absolute as recorded, `relativeFile` the same file from the run folder (`/`-separated; absent
 * where no relative path exists, another drive), as the model's. Absent where the recorder could not
 * tell (`python -c`, a kernel that does not name its notebook), and in TF.js runs, which the
 * extension trains from the model file itself: there the model file is what records again.
 */
export interface RunTrainingScript {
  file: string;
  relativeFile?: string;
  kind: 'script' | 'notebook';
  /** A script's Python (`sys.executable`): Record Again runs the script with the interpreter that trained the run. */
  python?: string;
}

export interface RunManifest {
  formatVersion: number;
  id: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  /**
   * `file` is the model file's absolute path when recorded; `relativeFile` (absent in older runs)
   * is the same file relative to the run folder, `/`-separated, so a copied or moved workspace
   * still finds its model.
   */
  model: { file: string; relativeFile?: string; fingerprint: string; name: string; sourceFiles: string[] };
  layers: RunLayer[];
  dataset: { spec: string; name: string; fingerprint: string; classNames: string[]; inputShape: number[]; trainSize: number };
  probe: { size: number; inputsFile: string; labelsFile: string; classCounts: number[] };
  settings: RecordedSettings;
  backend: { name: string; fallbackReasons: string[] };
  /** The output the label measures read (absent in older runs: the only output, softmax). */
  output?: RunOutput;
  /** Whose compile() trained the model (absent in older runs). */
  training?: RunTraining;
  /** Present in PyTorch runs (format version 2): what each epoch's checkpoint is. */
  checkpoint?: RunCheckpoint;
  /** Present when this run is a control experiment of another run (controlFormat.ts). */
  control?: RunControl;
  /** What trained the model, where it is not the model file (PyTorch runs: the user's script or notebook; see {@link RunTrainingScript}). */
  trainingScript?: RunTrainingScript;
  /** Recorded epochs, ascending; epoch 0 is the model before training. */
  epochs: number[];
  /** Present when status is failed or interrupted. */
  error?: { message: string; location?: { file: string; line: number; column: number } };
  /** Process id of the recorder while status is recording (to tell a live run from a dead one). */
  pid?: number;
  /**
   * When the recorder's process started, as its operating system reports it (Linux: clock ticks
   * since boot, field 22 of /proc/<pid>/stat), while status is recording. With it, a process that
   * got the recorder's pid after the recorder died is not taken for the recorder. Absent in runs
   * recorded before it was written and on systems that do not report it.
   */
  pidStartTime?: string;
}

/** Summaries of one layer at one epoch (null = undefined measure). */
export interface LayerEpochMetrics {
  layer: number;
  /** Inter-sample entropy of the layer output over all probe inputs, bits. */
  interSampleBits: number | null;
  /** Per class. */
  interSampleBitsPerClass: (number | null)[];
  /**
   * Why `interSampleBits` is null (src/analysis/interSampleReasons.ts): absent where it is a number,
   * and in runs recorded before the reasons were written.
   */
  interSampleUndefined?: InterSampleUndefined;
  /** Per class, why `interSampleBitsPerClass` is null there (null where it is a number); absent when every class's is a number. */
  interSampleUndefinedPerClass?: (InterSampleUndefined | null)[];
  /** Mean intra-sample entropy per channel over all probe inputs, bits. */
  channelBits: (number | null)[];
  /** `[class][channel]`. */
  channelBitsPerClass: (number | null)[][];
  /** Channels whose every activation was 0 for every probe input. */
  deadChannels: number[];
  nonFiniteCount: number;
  /**
   * Layer-level `I_pair(T; Y)` over all probe inputs, bits, at the run's `settings.bins`
   * (estimators.md "Pairwise estimator"); absent in runs recorded before it was measured.
   */
  labelInformationBits?: number | null;
  /**
   * Layer-level capacity between the input (layer 0) and this layer over all probe inputs at the
   * run's `settings.bins`: the pairwise estimator's `I_pair(X; T)`; absent in older runs.
   */
  inputCapacityBits?: number | null;
  /**
   * The binning estimator's information-plane point over all probe inputs at 30 bins
   * (estimators.md "Binning estimator"); absent in runs recorded before it was measured.
   */
  binnedInformation?: { ixtBits: number | null; ityBits: number | null; saturated: boolean };
}

/** One line of metrics.jsonl: everything measured at one recorded epoch. */
export interface EpochMetrics {
  epoch: number;
  /** Mean training loss of the epoch (null at epoch 0). */
  trainLoss: number | null;
  trainAccuracy: number | null;
  probeLoss: number | null;
  probeAccuracy: number;
  confusion: number[][];
  hLabelGivenPred: (number | null)[];
  hPredGivenLabel: (number | null)[];
  layers: LayerEpochMetrics[];
  /**
   * Wall-clock milliseconds: training the epoch, recording it, and (since they overlap, not parts
   * of `record` that add up) the time spent in probe forward passes, channel entropies and
   * inter-sample entropies.
   */
  timingsMs: { train: number; record: number; forward?: number; channels?: number; inter?: number; labels?: number };
}

/**
 * A metrics line of a PyTorch run (format version 2) as its recorder writes it: the probe's loss,
 * accuracy and confusion matrix, and `pending: 'measures'` for every per-layer measure and the label
 * entropies, which CNN Slicer computes from the checkpoint later.
 */
export type PendingEpochMetrics = Omit<EpochMetrics, 'layers' | 'hLabelGivenPred' | 'hPredGivenLabel'> & { pending: 'measures' };

/** A run folder that cannot be read, with what to do about it. */
export class RunFormatError extends CodedError {
  constructor(message: string) {
    super('run-format', message, 'RunFormatError');
  }
  static is(e: unknown): e is RunFormatError {
    return hasErrorCode(e, 'run-format');
  }
}

const STATUSES: RunStatus[] = ['recording', 'completed', 'cancelled', 'failed', 'interrupted'];

/** What to tell the user about a run whose files contradict the format. */
const DAMAGED = 'the run folder is damaged — record the run again';

type Json = Record<string, unknown>;

/** A validator's view of one file: every failure names the file (and line) and the field. */
class Checker {
  constructor(readonly where: string) {}

  fail(field: string, what: string): never {
    throw new RunFormatError(`${this.where}: ${field} ${what}; ${DAMAGED}`);
  }

  object(value: unknown, field: string): Json {
    if (!value || typeof value !== 'object' || Array.isArray(value)) this.fail(field, 'is missing or not an object');
    return value as Json;
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string') this.fail(field, 'is missing or not a string');
    return value;
  }

  number(value: unknown, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, 'is missing or not a number');
    return value;
  }

  numberOrNull(value: unknown, field: string): number | null {
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, 'is neither a number nor null');
    return value;
  }

  integer(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      this.fail(field, max === Number.MAX_SAFE_INTEGER ? `is not an integer >= ${min}` : `is not an integer in [${min}, ${max}]`);
    }
    return value as number;
  }

  /** An array, of `length` entries when given. */
  array(value: unknown, field: string, length?: number, lengthMeans = ''): unknown[] {
    if (!Array.isArray(value)) this.fail(field, 'is missing or not an array');
    if (length !== undefined && value.length !== length) this.fail(field, `has ${value.length} entries, not ${length}${lengthMeans}`);
    return value;
  }

  numbersOrNulls(value: unknown, field: string, length?: number, lengthMeans = ''): void {
    this.array(value, field, length, lengthMeans).forEach((v, i) => this.numberOrNull(v, `${field}[${i}]`));
  }
}

/** A status value worth repeating in a message: a short plain word, never arbitrary content. */
function quotedIfPlain(value: unknown): string {
  return typeof value === 'string' && /^[a-z-]{1,20}$/.test(value) ? ` "${value}"` : '';
}

/**
 * One probe input as an image: height, width and channels, and whether the probe stores it channels
 * first (`[C, H, W]`, as a PyTorch run or a channels-first model's input layer reads it) or last
 * (`[H, W, C]`, or `[H, W]` for one channel). Undefined for inputs that are not images.
 */
export function probeImageShape(
  manifest: Pick<RunManifest, 'dataset' | 'layers'>,
): { height: number; width: number; channels: number; channelsFirst: boolean } | undefined {
  const shape = manifest.dataset.inputShape;
  if (shape.length === 2) return { height: shape[0], width: shape[1], channels: 1, channelsFirst: false };
  if (shape.length !== 3) return undefined;
  if (manifest.layers[0]?.dataFormat === 'channelsFirst')
    return { channels: shape[0], height: shape[1], width: shape[2], channelsFirst: true };
  return { height: shape[0], width: shape[1], channels: shape[2], channelsFirst: false };
}

/**
 * The layer whose outputs are the class scores a loss reads: the one `output.layer` names (after the
 * input), else the last layer.
 */
export function scoredOutputLayer(manifest: Pick<RunManifest, 'output' | 'layers'>): number {
  const named = manifest.output ? manifest.layers.findIndex((l) => l.name === manifest.output!.layer) : -1;
  return named > 0 ? named : manifest.layers.length - 1;
}

/** A layer's `source` (RunLayerSource): a position, and in a notebook its cell. */
function checkLayerSource(c: Checker, value: unknown, field: string): void {
  const source = c.object(value, field);
  c.string(source.file, `${field}.file`);
  c.integer(source.line, `${field}.line`, 0);
  c.integer(source.column, `${field}.column`, 0);
  if (source.cell === undefined) return;
  const cell = c.object(source.cell, `${field}.cell`);
  if (typeof cell.digest !== 'string' || !/^[0-9a-f]{16}$/.test(cell.digest)) c.fail(`${field}.cell.digest`, 'is not 16 hex digits');
  if (cell.index !== undefined) c.integer(cell.index, `${field}.cell.index`, 0);
}

/** Checks the parsed manifest.json of a run; throws RunFormatError naming the first problem. */
export function validateManifest(value: unknown, where = 'manifest.json'): RunManifest {
  const c: Checker = new Checker(where);
  const m = c.object(value, 'the manifest');
  if (typeof m.formatVersion !== 'number') c.fail('formatVersion', 'is missing');
  if (m.formatVersion > READ_RUN_FORMAT_VERSION) {
    throw new RunFormatError(
      `${where}: written by a newer CNN Slicer (format ${m.formatVersion}, this version reads up to ${READ_RUN_FORMAT_VERSION}); update CNN Slicer to open it`,
    );
  }
  const pytorch = m.formatVersion === PYTORCH_RUN_FORMAT_VERSION;
  c.string(m.id, 'id');
  if (!STATUSES.includes(m.status as RunStatus)) c.fail('status', `is unknown${quotedIfPlain(m.status)}`);
  c.string(m.createdAt, 'createdAt');
  c.string(m.updatedAt, 'updatedAt');

  const model = c.object(m.model, 'model');
  for (const key of ['file', 'fingerprint', 'name']) c.string(model[key], `model.${key}`);
  if (model.relativeFile !== undefined) c.string(model.relativeFile, 'model.relativeFile');
  c.array(model.sourceFiles, 'model.sourceFiles').forEach((f, i) => c.string(f, `model.sourceFiles[${i}]`));

  const dataset = c.object(m.dataset, 'dataset');
  for (const key of ['spec', 'name', 'fingerprint']) c.string(dataset[key], `dataset.${key}`);
  const classNames = c.array(dataset.classNames, 'dataset.classNames');
  if (classNames.length === 0) c.fail('dataset.classNames', 'is empty');
  classNames.forEach((name, i) => c.string(name, `dataset.classNames[${i}]`));
  const inputShape = c.array(dataset.inputShape, 'dataset.inputShape');
  if (inputShape.length === 0) c.fail('dataset.inputShape', 'is empty');
  inputShape.forEach((d, i) => c.integer(d, `dataset.inputShape[${i}]`, 1));
  c.integer(dataset.trainSize, 'dataset.trainSize', 0);

  const layers = c.array(m.layers, 'layers');
  if (layers.length === 0) c.fail('layers', 'is empty (there is not even the input)');
  layers.forEach((entry, i) => {
    const field = `layers[${i}]`;
    const l = c.object(entry, field);
    if (l.index !== i) c.fail(`${field}.index`, `is not ${i}`);
    c.string(l.name, `${field}.name`);
    c.string(l.className, `${field}.className`);
    // -1 stands for a dimension the model leaves open.
    const shape = c.array(l.outputShape, `${field}.outputShape`).map((d, k) => c.integer(d, `${field}.outputShape[${k}]`, -1));
    if (shape.length === 0 || shape.includes(0)) c.fail(`${field}.outputShape`, 'is empty or has a zero dimension');
    if (l.dataFormat !== undefined && l.dataFormat !== 'channelsFirst') c.fail(`${field}.dataFormat`, `is not "channelsFirst"`);
    const [channels, axis] = [channelsOf(shape, l.dataFormat), l.dataFormat === 'channelsFirst' ? 'first' : 'last'];
    if (l.channels !== channels) c.fail(`${field}.channels`, `is not ${channels} (the ${axis} axis of its output shape)`);
    c.integer(l.parameters, `${field}.parameters`, 0);
    if (l.source !== undefined) checkLayerSource(c, l.source, `${field}.source`);
  });

  const probe = c.object(m.probe, 'probe');
  c.integer(probe.size, 'probe.size', 0);
  c.string(probe.inputsFile, 'probe.inputsFile');
  c.string(probe.labelsFile, 'probe.labelsFile');
  c.array(probe.classCounts, 'probe.classCounts', classNames.length, ' (one per class)').forEach((n, i) =>
    c.integer(n, `probe.classCounts[${i}]`, 0),
  );

  const settings = c.object(m.settings, 'settings');
  // A PyTorch run's training loop may not say its epochs, batch size, optimizer and learning rate: absent, never invented.
  const known = (key: string) => !pytorch || !(UNKNOWN_TO_PYTORCH as readonly string[]).includes(key) || settings[key] !== undefined;
  for (const key of ['epochs', 'batchSize', 'learningRate', 'seed', 'recordEvery', 'probeSize'])
    if (known(key)) c.number(settings[key], `settings.${key}`);
  if (known('optimizer')) c.string(settings.optimizer, 'settings.optimizer');
  c.integer(settings.bins, 'settings.bins', 1);
  c.integer(settings.k, 'settings.k', 1);

  const backend = c.object(m.backend, 'backend');
  c.string(backend.name, 'backend.name');
  c.array(backend.fallbackReasons, 'backend.fallbackReasons').forEach((r, i) => c.string(r, `fallbackReasons[${i}]`));

  if (m.output !== undefined) {
    const output = c.object(m.output, 'output');
    c.string(output.layer, 'output.layer');
    if (!['softmax', 'logits', 'binary', 'none'].includes(output.kind as string))
      c.fail('output.kind', `is unknown${quotedIfPlain(output.kind)}`);
    if (!['only', 'shape', 'export'].includes(output.chosenBy as string))
      c.fail('output.chosenBy', `is unknown${quotedIfPlain(output.chosenBy)}`);
    if (output.labelMeasuresAbsent !== undefined) c.string(output.labelMeasuresAbsent, 'output.labelMeasuresAbsent');
  }
  if (m.training !== undefined) {
    const training = c.object(m.training, 'training');
    if (training.compiledBy !== 'model' && training.compiledBy !== 'settings')
      c.fail('training.compiledBy', `is unknown${quotedIfPlain(training.compiledBy)}`);
    c.string(training.optimizer, 'training.optimizer');
    c.string(training.loss, 'training.loss');
  }

  if (pytorch) {
    const checkpoint = c.object(m.checkpoint, 'checkpoint');
    if (checkpoint.format !== 'onnx') c.fail('checkpoint.format', `is not "onnx"`);
    const file = c.string(checkpoint.file, 'checkpoint.file');
    if (!/^[\w.-]+\.onnx$/.test(file)) c.fail('checkpoint.file', 'is not a file name ending in .onnx');
    c.integer(checkpoint.opset, 'checkpoint.opset', 1);
    c.string(checkpoint.producer, 'checkpoint.producer');
  } else if (m.checkpoint !== undefined) c.fail('checkpoint', `is only in format ${PYTORCH_RUN_FORMAT_VERSION} runs`);
  if (m.trainingScript !== undefined) {
    const script = c.object(m.trainingScript, 'trainingScript');
    c.string(script.file, 'trainingScript.file');
    if (script.relativeFile !== undefined) c.string(script.relativeFile, 'trainingScript.relativeFile');
    if (script.python !== undefined) c.string(script.python, 'trainingScript.python');
    if (script.kind !== 'script' && script.kind !== 'notebook') c.fail('trainingScript.kind', `is not "script" or "notebook"`);
  }
  const controlFault = m.control === undefined ? undefined : controlProblem(m.control);
  if (controlFault) c.fail(controlFault.field, controlFault.what);
  const epochs = c.array(m.epochs, 'epochs').map((e, i) => c.integer(e, `epochs[${i}]`, 0));
  if (epochs.some((e, i) => i > 0 && e <= epochs[i - 1])) c.fail('epochs', 'is not in ascending order');
  if (m.error !== undefined) c.string(c.object(m.error, 'error').message, 'error.message');
  if (m.pid !== undefined) c.integer(m.pid, 'pid', 1);
  if (m.pidStartTime !== undefined) c.string(m.pidStartTime, 'pidStartTime');
  return m as unknown as RunManifest;
}

/**
 * Checks one parsed metrics line against the schema and the run's manifest: one entry per manifest
 * layer, per class and per channel of each layer. `where` names the file and line.
 * @throws RunFormatError naming the file, line and field.
 */
export function validateEpochMetrics(value: unknown, manifest: RunManifest, where: string): EpochMetrics {
  const c: Checker = new Checker(where);
  const m = c.object(value, 'the line');
  if (m.pending !== undefined) c.fail('pending', 'is set: the line is not measured yet');
  const classes = manifest.dataset.classNames.length;
  const perClass = ` (one per class of ${classes})`;
  checkProbeFields(c, m, classes);
  c.numbersOrNulls(m.hLabelGivenPred, 'hLabelGivenPred', classes, perClass);
  c.numbersOrNulls(m.hPredGivenLabel, 'hPredGivenLabel', classes, perClass);
  c.array(m.layers, 'layers', manifest.layers.length, ' (one per manifest layer)').forEach((entry, i) => {
    const field = `layers[${i}]`;
    const l = c.object(entry, field);
    if (l.layer !== i) c.fail(`${field}.layer`, `is not ${i}`);
    c.numberOrNull(l.interSampleBits, `${field}.interSampleBits`);
    c.numbersOrNulls(l.interSampleBitsPerClass, `${field}.interSampleBitsPerClass`, classes, perClass);
    const reason = (r: unknown, at: string) => {
      if (!INTER_SAMPLE_UNDEFINED.includes(r as InterSampleUndefined)) c.fail(at, `is not one of ${INTER_SAMPLE_UNDEFINED.join(', ')}`);
    };
    if (l.interSampleUndefined !== undefined) reason(l.interSampleUndefined, `${field}.interSampleUndefined`);
    if (l.interSampleUndefinedPerClass !== undefined)
      c.array(l.interSampleUndefinedPerClass, `${field}.interSampleUndefinedPerClass`, classes, perClass).forEach((r, k) => {
        if (r !== null) reason(r, `${field}.interSampleUndefinedPerClass[${k}]`);
      });
    // A layer whose channel count the model leaves open (-1) cannot be checked channel by channel.
    const channels = manifest.layers[i].channels > 0 ? manifest.layers[i].channels : undefined;
    const perChannel = channels === undefined ? '' : ` (one per channel of ${manifest.layers[i].name})`;
    c.numbersOrNulls(l.channelBits, `${field}.channelBits`, channels, perChannel);
    c.array(l.channelBitsPerClass, `${field}.channelBitsPerClass`, classes, perClass).forEach((row, k) => {
      c.numbersOrNulls(row, `${field}.channelBitsPerClass[${k}]`, channels, perChannel);
    });
    c.array(l.deadChannels, `${field}.deadChannels`).forEach((d, k) =>
      c.integer(d, `${field}.deadChannels[${k}]`, 0, (channels ?? Number.MAX_SAFE_INTEGER) - 1),
    );
    c.integer(l.nonFiniteCount, `${field}.nonFiniteCount`, 0);
    if (l.labelInformationBits !== undefined) c.numberOrNull(l.labelInformationBits, `${field}.labelInformationBits`);
    if (l.inputCapacityBits !== undefined) c.numberOrNull(l.inputCapacityBits, `${field}.inputCapacityBits`);
    if (l.binnedInformation !== undefined) {
      const b = c.object(l.binnedInformation, `${field}.binnedInformation`);
      c.numberOrNull(b.ixtBits, `${field}.binnedInformation.ixtBits`);
      c.numberOrNull(b.ityBits, `${field}.binnedInformation.ityBits`);
      if (typeof b.saturated !== 'boolean') c.fail(`${field}.binnedInformation.saturated`, 'is not true or false');
    }
  });
  checkTimings(c, m);
  return m as unknown as EpochMetrics;
}

/** The fields every metrics line has: epoch, training and probe numbers, the confusion matrix. */
function checkProbeFields(c: Checker, m: Json, classes: number): void {
  const perClass = ` (one per class of ${classes})`;
  c.integer(m.epoch, 'epoch', 0);
  c.numberOrNull(m.trainLoss, 'trainLoss');
  c.numberOrNull(m.trainAccuracy, 'trainAccuracy');
  c.numberOrNull(m.probeLoss, 'probeLoss');
  c.number(m.probeAccuracy, 'probeAccuracy');
  c.array(m.confusion, 'confusion', classes, perClass).forEach((row, i) => {
    c.array(row, `confusion[${i}]`, classes, perClass).forEach((n, j) => c.integer(n, `confusion[${i}][${j}]`, 0));
  });
}

function checkTimings(c: Checker, m: Json): void {
  const timings = c.object(m.timingsMs, 'timingsMs');
  c.number(timings.train, 'timingsMs.train');
  c.number(timings.record, 'timingsMs.record');
  for (const key of ['forward', 'channels', 'inter', 'labels']) if (timings[key] !== undefined) c.number(timings[key], `timingsMs.${key}`);
}

/**
 * Checks one parsed metrics line of a PyTorch run (format version 2) whose measures are pending:
 * the probe numbers as {@link validateEpochMetrics} checks them, and no per-layer measures.
 * @throws RunFormatError naming the file, line and field.
 */
export function validatePendingEpochMetrics(value: unknown, manifest: RunManifest, where: string): PendingEpochMetrics {
  const c: Checker = new Checker(where);
  const m = c.object(value, 'the line');
  if (manifest.formatVersion !== PYTORCH_RUN_FORMAT_VERSION) c.fail('pending', `is only in format ${PYTORCH_RUN_FORMAT_VERSION} runs`);
  if (m.pending !== 'measures') c.fail('pending', 'is not "measures"');
  checkProbeFields(c, m, manifest.dataset.classNames.length);
  for (const key of ['layers', 'hLabelGivenPred', 'hPredGivenLabel'])
    if (m[key] !== undefined) c.fail(key, 'is present in a line whose measures are pending');
  checkTimings(c, m);
  return m as unknown as PendingEpochMetrics;
}

/** A metrics line that was skipped: its 1-based number and what is wrong with it. */
export interface DamagedLine {
  line: number;
  message: string;
}

/**
 * Parses metrics.jsonl: one JSON object per line, each checked by {@link validateEpochMetrics}, or
 * by {@link validatePendingEpochMetrics} when it has `pending` (those are returned in `pending`). A
 * last line without its newline, or a last line that does not parse, is the trace of a crash
 * mid-write and is dropped (`droppedTail`). Any other line that does not parse or does not fit the
 * manifest is skipped and reported in `damaged`; the lines before and after it still count, so one
 * damaged line costs only its own epoch. An epoch has one line: where a run holds several complete
 * lines of one epoch (two measurers of a PyTorch run before the measuring lock, issue 66), the first
 * counts and the others are counted in `duplicates`; so for the pending lines.
 */
export function parseMetricsLines(
  text: string,
  manifest: RunManifest,
  where = 'metrics.jsonl',
): { epochs: EpochMetrics[]; pending: PendingEpochMetrics[]; droppedTail: boolean; damaged: DamagedLine[]; duplicates: number } {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  let droppedTail = tail.trim() !== '';
  const epochs: EpochMetrics[] = [];
  const pending: PendingEpochMetrics[] = [];
  const damaged: DamagedLine[] = [];
  const seen = { complete: new Set<number>(), pending: new Set<number>() };
  let duplicates = 0;
  const keepFirst = <T extends { epoch: number }>(list: T[], epochs: Set<number>, line: T) => {
    if (epochs.has(line.epoch)) duplicates++;
    else {
      epochs.add(line.epoch);
      list.push(line);
    }
  };
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1 && !droppedTail) droppedTail = true;
      else damaged.push({ line: i + 1, message: `${where}: line ${i + 1} is not valid JSON; ${DAMAGED}` });
      return;
    }
    try {
      const at = `${where}: line ${i + 1}`;
      if (value !== null && typeof value === 'object' && 'pending' in value)
        keepFirst(pending, seen.pending, validatePendingEpochMetrics(value, manifest, at));
      else keepFirst(epochs, seen.complete, validateEpochMetrics(value, manifest, at));
    } catch (e) {
      if (!RunFormatError.is(e)) throw e;
      damaged.push({ line: i + 1, message: e.message });
    }
  });
  return { epochs, pending, droppedTail, damaged, duplicates };
}

/** Whether two output shapes (without batch) agree; -1 or null is a dimension left open, which fits any. */
function sameShape(recorded: readonly number[], actual: readonly (number | null)[]): boolean {
  return (
    recorded.length === actual.length && recorded.every((d, i) => d === -1 || actual[i] === null || actual[i] === -1 || d === actual[i])
  );
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null || d === -1 ? 'any' : d)).join(', ')}]`;
}

/**
 * Checks a loaded checkpoint against the manifest: `actualShapes[l]` is the output shape (without
 * batch) of the model's layer named `manifest.layers[l].name`, undefined when the model has no such
 * layer; index 0 is the model's input. A manifest that lies about a shape would otherwise make the
 * slicing code read past its arrays.
 * @throws RunFormatError naming the first layer that does not match.
 */
export function checkLayerShapes(
  manifest: RunManifest,
  actualShapes: readonly (readonly (number | null)[] | undefined)[],
  where = 'the checkpoint',
): void {
  manifest.layers.forEach((layer, l) => {
    const actual = actualShapes[l];
    if (actual === undefined) {
      if (l === 0) return;
      throw new RunFormatError(`${where} has no layer "${layer.name}" (layer ${l} of manifest.json); ${DAMAGED}`);
    }
    if (!sameShape(layer.outputShape, actual)) {
      throw new RunFormatError(
        `${where}: layer ${l} (${layer.name}) outputs ${shapeText(actual)} but manifest.json says ${shapeText(layer.outputShape)}; ${DAMAGED}`,
      );
    }
  });
}
