/**
 * The run folder format, versions 1 and 2: the dCNN hypercube on disk (paper 4.2; docs/run-format.md).
 * Version 2 is a PyTorch run (python/cnn_slicer): ONNX checkpoints (the manifest's `checkpoint`),
 * settings the training loop may not know, and metrics lines whose measures are pending.
 * A run stores what regenerates every slice exactly (weights checkpoints, the probe inputs) plus
 * cheap per-epoch summaries. These are the schema types and the validation of what a reader finds on
 * disk (every reader goes through it, so a damaged but parseable file is a run-format error, never a
 * crash further on); limits.ts holds the size limits of each file. Pure: the webviews import the types.
 *
 * The files' schemas are valibot's, in runSchema.ts, whose inferred types are these (it fails to compile otherwise); a
 * metrics line's schema is made for its manifest (one entry per manifest layer, per class, per channel
 * of that layer). Here a schema's first problem becomes one line naming the file and the field.
 */
import { CodedError, hasErrorCode } from '../analysis/errors';
import * as v from 'valibot';
import type { InterSampleUndefined } from '../analysis/interSampleReasons';
import { removableAxisOf } from '../analysis/layout';
import type { RunControl } from './controlFormat';
import type { SameType } from './messages';
import { epochMetricsSchema, pendingEpochMetricsSchema, RunManifestSchema, type SchemaTypes } from './runSchema';

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

/**
 * A run layer's channels as its gate sees them (a Taylor pass's sums, an ablation's channels): how
 * many, and whether they are the model's axis 1 (channels first). Pure, of the layer's shape alone,
 * so the forward worker's protocol sizes a Taylor request's output with it and src/tfjs computes by it.
 */
export function gateAxis(layer: Pick<RunLayer, 'outputShape' | 'dataFormat'>): { channels: number; first: boolean } {
  return removableAxisOf(layer.outputShape, layer.dataFormat);
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
  /**
   * `[class][channel]`. Absent where the line's `perClassFile` holds them (src/contract/perClassFile.ts):
   * read them with src/run/perClass.ts `layerPerClass`, which takes either.
   */
  channelBitsPerClass?: (number | null)[][];
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
   * The run-folder path of the file that holds every layer's `channelBitsPerClass`
   * (src/contract/perClassFile.ts), which the layers then leave out; absent in lines that hold them.
   */
  perClassFile?: string;
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
export type PendingEpochMetrics = Omit<EpochMetrics, 'layers' | 'hLabelGivenPred' | 'hPredGivenLabel' | 'perClassFile'> & {
  pending: 'measures';
};

// Each schema of runSchema.ts must infer its interface here exactly, or this fails to compile. `Flat`
// spells an intersection (`RecordedSettings`, `PendingEpochMetrics`) as one object type, as SameType compares.
type Flat<T> = { [K in keyof T]: T[K] };
const sameTypes: [
  SameType<SchemaTypes['layer'], RunLayer>,
  SameType<Flat<SchemaTypes['settings']>, Flat<RecordedSettings>>,
  SameType<SchemaTypes['output'], RunOutput>,
  SameType<SchemaTypes['training'], RunTraining>,
  SameType<SchemaTypes['checkpoint'], RunCheckpoint>,
  SameType<SchemaTypes['trainingScript'], RunTrainingScript>,
  SameType<SchemaTypes['control'], RunControl>,
  SameType<SchemaTypes['status'], RunStatus>,
  SameType<Flat<Omit<SchemaTypes['manifest'], 'settings'>>, Flat<Omit<RunManifest, 'settings'>>>,
  SameType<SchemaTypes['layerMetrics'], LayerEpochMetrics>,
  SameType<Flat<Omit<SchemaTypes['epochMetrics'], 'layers'>>, Flat<Omit<EpochMetrics, 'layers'>>>,
  SameType<Flat<SchemaTypes['pendingMetrics']>, Flat<PendingEpochMetrics>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
void sameTypes;

/** A run folder that cannot be read, with what to do about it. */
export class RunFormatError extends CodedError {
  constructor(message: string) {
    super('run-format', message, 'RunFormatError');
  }
  static is(e: unknown): e is RunFormatError {
    return hasErrorCode(e, 'run-format');
  }
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

/** What to tell the user about a run whose files contradict the format. */
const DAMAGED = 'the run folder is damaged — record the run again';

function fail(where: string, field: string, what: string): never {
  // A clause that starts with an entry's index (`[5] is …`, runSchema.ts finiteOrNullList) goes on the field's path.
  throw new RunFormatError(`${where}: ${field}${what.startsWith('[') ? '' : ' '}${what}; ${DAMAGED}`);
}

/** The field an issue is about, as a reader writes it (`layers[2].source.line`); `whole` where it is the whole file or line. */
function fieldOf(issue: v.BaseIssue<unknown>, whole: string): string {
  let field = '';
  for (const { key } of issue.path ?? []) field += typeof key === 'number' ? `[${key}]` : `${field ? '.' : ''}${String(key)}`;
  return field || whole;
}

/**
 * Checks `value` against `schema` and returns it as it was read (fields the schema does not know
 * kept); the first problem is a RunFormatError naming `where` and the field (`whole` when it is the
 * value itself), with the schema's clause (runSchema.ts).
 */
function checked<T>(schema: v.GenericSchema<unknown, T>, value: unknown, where: string, whole: string): T {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return value as T;
  const issue = result.issues[0];
  return fail(where, fieldOf(issue, whole), issue.message);
}

/**
 * Checks the parsed manifest.json of a run against runSchema.ts, and the relations between its
 * fields; throws RunFormatError naming the first problem.
 */
export function validateManifest(value: unknown, where = 'manifest.json'): RunManifest {
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === 'number' && version > READ_RUN_FORMAT_VERSION) {
    throw new RunFormatError(
      `${where}: written by a newer CNN Slicer (format ${version}, this version reads up to ${READ_RUN_FORMAT_VERSION}); update CNN Slicer to open it`,
    );
  }
  const m = checked(RunManifestSchema, value, where, 'the manifest');
  const classes = m.dataset.classNames.length;
  if (m.probe.classCounts.length !== classes)
    fail(where, 'probe.classCounts', `has ${m.probe.classCounts.length} entries, not ${classes} (one per class)`);
  if (m.formatVersion === PYTORCH_RUN_FORMAT_VERSION) {
    if (m.checkpoint === undefined) fail(where, 'checkpoint', 'is missing or not an object');
  } else {
    // Only a PyTorch run's training loop may leave out its epochs, batch size, optimizer and learning rate: absent, never invented.
    for (const key of UNKNOWN_TO_PYTORCH)
      if (m.settings[key] === undefined) fail(where, `settings.${key}`, `is missing or not a ${key === 'optimizer' ? 'string' : 'number'}`);
    if (m.checkpoint !== undefined) fail(where, 'checkpoint', `is only in format ${PYTORCH_RUN_FORMAT_VERSION} runs`);
  }
  if (m.epochs.some((e, i) => i > 0 && e <= m.epochs[i - 1])) fail(where, 'epochs', 'is not in ascending order');
  return m;
}

/** The schema of a run's measured metrics lines, made once per manifest (its sizes depend on the manifest). */
const metricsSchemas = new WeakMap<RunManifest, ReturnType<typeof epochMetricsSchema>>();

function metricsSchemaOf(manifest: RunManifest): ReturnType<typeof epochMetricsSchema> {
  let schema = metricsSchemas.get(manifest);
  if (!schema) {
    // A layer whose channel count the model leaves open (-1) cannot be checked channel by channel.
    const layers = manifest.layers.map((l) => ({ name: l.name, channels: l.channels > 0 ? l.channels : undefined }));
    schema = epochMetricsSchema({ classes: manifest.dataset.classNames.length, layers });
    metricsSchemas.set(manifest, schema);
  }
  return schema;
}

/** A metrics line as an object whose keys may be looked at; `where` names the file and line. */
function lineObject(value: unknown, where: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(where, 'the line', 'is missing or not an object');
  return value as Record<string, unknown>;
}

/**
 * Checks one parsed metrics line against the schema and the run's manifest: one entry per manifest
 * layer, per class and per channel of each layer. `where` names the file and line.
 * @throws RunFormatError naming the file, line and field.
 */
export function validateEpochMetrics(value: unknown, manifest: RunManifest, where: string): EpochMetrics {
  if (lineObject(value, where).pending !== undefined) fail(where, 'pending', 'is set: the line is not measured yet');
  const line = checked(metricsSchemaOf(manifest), value, where, 'the line');
  // The per-class entropies are in the line or in its per-class file: all of them, one way.
  const inFile = line.perClassFile !== undefined;
  const at = line.layers.findIndex((l) => (l.channelBitsPerClass === undefined) !== inFile);
  if (at >= 0)
    fail(
      where,
      `layers[${at}].channelBitsPerClass`,
      inFile ? 'is present in a line whose perClassFile holds them' : 'is missing (and no perClassFile holds them)',
    );
  return line;
}

/**
 * Checks one parsed metrics line of a PyTorch run (format version 2) whose measures are pending:
 * the probe numbers as {@link validateEpochMetrics} checks them, and no per-layer measures.
 * @throws RunFormatError naming the file, line and field.
 */
export function validatePendingEpochMetrics(value: unknown, manifest: RunManifest, where: string): PendingEpochMetrics {
  const m = lineObject(value, where);
  if (manifest.formatVersion !== PYTORCH_RUN_FORMAT_VERSION) fail(where, 'pending', `is only in format ${PYTORCH_RUN_FORMAT_VERSION} runs`);
  for (const key of ['layers', 'hLabelGivenPred', 'hPredGivenLabel', 'perClassFile'])
    if (m[key] !== undefined) fail(where, key, 'is present in a line whose measures are pending');
  return checked(pendingEpochMetricsSchema(manifest.dataset.classNames.length), value, where, 'the line');
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
