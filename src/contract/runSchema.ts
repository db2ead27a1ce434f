/**
 * The run folder's files as valibot schemas (docs/run-format.md): the manifest, and a metrics line,
 * measured or pending. Each schema's message for a field is the clause a reader shows after the
 * field's name ("layers[2].name is missing or not a string"); runFormat.ts names the file and the
 * field. The manifest's schema holds its layers' relations too (a layer's index is its place, its
 * channels an axis of its shape); runFormat.ts checks those between sections (one probe count per
 * class, the format version's settings and checkpoint, ascending epochs). A metrics line's lengths
 * depend on its run's manifest (one entry per layer, class and channel), so its schema is made for
 * the manifest. The types the schemas infer ({@link SchemaTypes}) are the interfaces of runFormat.ts,
 * which fails to compile when the two drift apart. Pure: no Node.
 */
import * as v from 'valibot';
import { INTER_SAMPLE_UNDEFINED } from '../analysis/interSampleReasons';
import { channelsOf } from '../analysis/layout';
import { CONTROL_KINDS, type ControlKind } from './controlFormat';

const NOT_OBJECT = 'is missing or not an object';
const NOT_ARRAY = 'is missing or not an array';
const NOT_STRING = 'is missing or not a string';
const NOT_NUMBER = 'is missing or not a number';
const NOT_NUMBER_OR_NULL = 'is neither a number nor null';

/** A status value worth repeating in a message: a short plain word, never arbitrary content. */
function quotedIfPlain(value: unknown): string {
  return typeof value === 'string' && /^[a-z-]{1,20}$/.test(value) ? ` "${value}"` : '';
}

/** One of `options`, else "is unknown" (with the value where it is a plain word). */
function known<const T extends readonly string[]>(options: T) {
  return v.picklist(options, (issue) => `is unknown${quotedIfPlain(issue.input)}`);
}

const text = v.string(NOT_STRING);
const finite = v.pipe(v.number(NOT_NUMBER), v.finite(NOT_NUMBER));
// One check rather than a pipe: metrics lines hold a number or null per channel and class of every layer.
const isFiniteOrNull = (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isFinite(x));
const finiteOrNull = v.custom<number | null>(isFiniteOrNull, NOT_NUMBER_OR_NULL);

/**
 * A list of numbers or nulls (of exactly `length` entries where given; `means` says why), checked in
 * one loop rather than an array of `finiteOrNull`: valibot makes an object per entry, and a ResNet-50's
 * metrics line (18 MB, a number per channel and class of 175 layers) took 150 ms to read with it
 * against 85 ms. A bad entry's clause starts with its index (`[5] is neither a number nor null`), which
 * runFormat.ts appends to the field's path, as an array's issue would be written.
 */
function finiteOrNullList(length?: number, means = ''): v.GenericSchema<(number | null)[]> {
  const problem = (x: unknown): string | undefined => {
    if (!Array.isArray(x)) return NOT_ARRAY;
    if (length !== undefined && x.length !== length) return `has ${x.length} entries, not ${length}${means}`;
    for (let i = 0; i < x.length; i++) if (!isFiniteOrNull(x[i])) return `[${i}] ${NOT_NUMBER_OR_NULL}`;
    return undefined;
  };
  return v.custom<(number | null)[]>(
    (x) => problem(x) === undefined,
    (issue) => problem(issue.input) ?? NOT_ARRAY,
  );
}

/** A safe integer of at least `min` (and at most `max` where given). */
function integer(min: number, max?: number) {
  if (max === undefined) {
    const what = `is not an integer >= ${min}`;
    return v.pipe(v.number(what), v.safeInteger(what), v.minValue(min, what));
  }
  const what = `is not an integer in [${min}, ${max}]`;
  return v.pipe(v.number(what), v.safeInteger(what), v.minValue(min, what), v.maxValue(max, what));
}

/**
 * An array of `item`, of exactly `length` entries where given (its length checked before its entries;
 * `means` says why). Typed as the plain array it checks, so that a pipe that goes on keeps the entries' type.
 */
function list<T extends v.GenericSchema>(item: T, length?: number, means = ''): v.GenericSchema<v.InferInput<T>[], v.InferOutput<T>[]> {
  if (length === undefined) return v.array(item, NOT_ARRAY);
  return v.pipe(
    v.array(v.unknown(), NOT_ARRAY),
    v.length(length, (issue) => `has ${issue.input.length} entries, not ${length}${means}`),
    v.array(item, NOT_ARRAY),
  );
}

function nonEmpty<T extends v.GenericSchema>(item: T, what: string) {
  return v.pipe(v.array(item, NOT_ARRAY), v.minLength(1, what));
}

/**
 * An object of `entries`, not an array. A required entry that is missing gets the entry's own clause
 * for a missing value ("is missing or not a string"), not the object's.
 */
function record<T extends v.ObjectEntries>(entries: T) {
  const object = v.object(entries, (issue) => {
    const key = issue.input === undefined ? issue.path?.at(-1)?.key : undefined;
    const entry = typeof key === 'string' && Object.hasOwn(entries, key) ? entries[key] : undefined;
    return (entry && v.safeParse(entry, undefined).issues?.[0].message) || NOT_OBJECT;
  });
  // valibot takes an array for an object whose keys are missing: here it is not one.
  return v.pipe(
    v.custom<v.InferInput<typeof object>>((x) => !Array.isArray(x), NOT_OBJECT),
    object,
  );
}

const SourceSchema = record({
  file: text,
  line: integer(0),
  column: integer(0),
  cell: v.optional(
    record({
      digest: v.pipe(v.string('is not 16 hex digits'), v.regex(/^[0-9a-f]{16}$/, 'is not 16 hex digits')),
      index: v.optional(integer(0)),
    }),
  ),
});

/**
 * A manifest layer; that its index is its place and its channels an axis of its shape is checked with
 * the manifest's layers. The worker threads' requests that carry a run's layer table check it too (protocols/forward.ts, protocols/nativePass.ts).
 */
export const RunLayerSchema = record({
  index: integer(0),
  name: text,
  className: text,
  // -1 stands for a dimension the model leaves open.
  outputShape: v.pipe(
    list(integer(-1)),
    v.check((shape) => shape.length > 0 && !shape.includes(0), 'is empty or has a zero dimension'),
  ),
  channels: integer(-1),
  parameters: integer(0),
  source: v.optional(SourceSchema),
  dataFormat: v.optional(v.literal('channelsFirst', 'is not "channelsFirst"')),
  args: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.array(v.number())]), NOT_OBJECT)),
});

/** What is wrong with manifest layer `l` at place `i` that its own fields do not say: its index is not its place, or its channels not its shape's channel axis. */
function layerPlaceProblem(l: v.InferOutput<typeof RunLayerSchema>, i: number): { key: 'index' | 'channels'; what: string } | undefined {
  if (l.index !== i) return { key: 'index', what: `is not ${i}` };
  const [channels, axis] = [channelsOf(l.outputShape, l.dataFormat), l.dataFormat === 'channelsFirst' ? 'first' : 'last'];
  if (l.channels !== channels) return { key: 'channels', what: `is not ${channels} (the ${axis} axis of its output shape)` };
  return undefined;
}

function checkLayerPlaces({ dataset, addIssue }: v.RawCheckContext<v.InferOutput<typeof RunLayerSchema>[]>): void {
  if (!dataset.typed) return;
  const layers = dataset.value;
  for (const [i, l] of layers.entries()) {
    const problem = layerPlaceProblem(l, i);
    if (!problem) continue;
    const at = { type: 'array', origin: 'value', input: layers, key: i, value: l } as const;
    addIssue({ message: problem.what, path: [at, { type: 'object', origin: 'value', input: l, key: problem.key, value: l[problem.key] }] });
    return;
  }
}

/** The settings; which of them a run of format version 1 must hold is checked with the manifest. */
const SettingsSchema = record({
  epochs: v.optional(finite),
  batchSize: v.optional(finite),
  optimizer: v.optional(text),
  learningRate: v.optional(finite),
  seed: finite,
  recordEvery: finite,
  probeSize: finite,
  probePerClass: v.optional(finite),
  bins: integer(1),
  k: integer(1),
  trainThreads: v.optional(v.picklist([1, 2], 'is not 1 or 2')),
});

const OutputSchema = record({
  layer: text,
  kind: known(['softmax', 'logits', 'binary', 'none']),
  chosenBy: known(['only', 'shape', 'export']),
  labelMeasuresAbsent: v.optional(text),
});

const TrainingSchema = record({
  compiledBy: known(['model', 'settings']),
  optimizer: text,
  loss: text,
  batchStatistics: v.optional(known(['half-batch', 'parts'])),
  partInputs: v.optional(integer(1)),
});

const CheckpointSchema = record({
  format: v.literal('onnx', 'is not "onnx"'),
  file: v.pipe(text, v.regex(/^[\w.-]+\.onnx$/, 'is not a file name ending in .onnx')),
  opset: integer(1),
  producer: text,
});

const TrainingScriptSchema = record({
  file: text,
  relativeFile: v.optional(text),
  kind: v.picklist(['script', 'notebook'], 'is not "script" or "notebook"'),
  python: v.optional(text),
});

const CONTROL_RATE = 'is not a rate in [0, 1]';
const CHANCE = 'is not a rate in (0, 1]';

/** The manifest's `control` (controlFormat.ts); its parameter is checked against its kind. */
const ControlSchema = v.pipe(
  record({
    spec: text,
    kind: v.picklist(CONTROL_KINDS, 'is unknown'),
    parameter: v.optional(v.number('is not a number')),
    sourceRun: record({ id: text, folder: text }),
    chanceAccuracy: v.pipe(v.number(CHANCE), v.gtValue(0, CHANCE), v.maxValue(1, CHANCE)),
    kept: v.optional(
      record({
        inputShare: v.pipe(v.number(CONTROL_RATE), v.minValue(0, CONTROL_RATE), v.maxValue(1, CONTROL_RATE)),
        contentShare: v.nullable(
          v.pipe(v.number(`${CONTROL_RATE} or null`), v.minValue(0, `${CONTROL_RATE} or null`), v.maxValue(1, `${CONTROL_RATE} or null`)),
        ),
      }),
    ),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const control = dataset.value;
    const what = controlParameterProblem(control.kind, control.parameter);
    if (what)
      addIssue({ message: what, path: [{ type: 'object', origin: 'value', input: control, key: 'parameter', value: control.parameter }] });
  }),
);

/** What is wrong with a control's parameter for its kind: N of `border:N`, F of `mask-centre:F`, none for the shuffles. */
function controlParameterProblem(kind: ControlKind, parameter: number | undefined): string | undefined {
  if (kind === 'border') return Number.isInteger(parameter) && parameter! >= 1 ? undefined : 'is not an integer >= 1 (the border width)';
  if (kind === 'mask-centre') return parameter !== undefined && parameter > 0 && parameter <= 1 ? undefined : 'is not a fraction in (0, 1]';
  return parameter === undefined ? undefined : `is set, but ${kind} has none`;
}

const STATUSES = ['recording', 'completed', 'cancelled', 'failed', 'interrupted'] as const;

/** manifest.json, field by field. */
export const RunManifestSchema = record({
  formatVersion: v.number('is missing'),
  id: text,
  status: known(STATUSES),
  createdAt: text,
  updatedAt: text,
  model: record({ file: text, relativeFile: v.optional(text), fingerprint: text, name: text, sourceFiles: list(text) }),
  dataset: record({
    spec: text,
    name: text,
    fingerprint: text,
    classNames: nonEmpty(text, 'is empty'),
    inputShape: nonEmpty(integer(1), 'is empty'),
    trainSize: integer(0),
  }),
  layers: v.pipe(nonEmpty(RunLayerSchema, 'is empty (there is not even the input)'), v.rawCheck(checkLayerPlaces)),
  probe: record({ size: integer(0), inputsFile: text, labelsFile: text, classCounts: list(integer(0)) }),
  settings: SettingsSchema,
  backend: record({ name: text, fallbackReasons: list(text) }),
  output: v.optional(OutputSchema),
  training: v.optional(TrainingSchema),
  checkpoint: v.optional(CheckpointSchema),
  control: v.optional(ControlSchema),
  trainingScript: v.optional(TrainingScriptSchema),
  epochs: list(integer(0)),
  error: v.optional(
    record({
      message: text,
      location: v.optional(record({ file: text, line: integer(0), column: integer(0) })),
    }),
  ),
  pid: v.optional(integer(1)),
  pidStartTime: v.optional(text),
});

/**
 * The names a measured line's `perClassFile` may have (src/contract/perClassFile.ts writes
 * `per-class/epoch-<epoch>.f64`): nothing else is read, no path out of the run folder.
 */
export const PER_CLASS_FILE_NAME = /^per-class\/epoch-\d+\.f64$/;

const Reason = v.picklist(INTER_SAMPLE_UNDEFINED, `is not one of ${INTER_SAMPLE_UNDEFINED.join(', ')}`);

/** The sizes a metrics line's arrays have: one entry per class, per manifest layer, per channel of a layer. */
export interface MetricsShape {
  classes: number;
  /** Per manifest layer: its name, and its channels where the model fixes them. */
  layers: readonly { name: string; channels?: number }[];
}

/** The fields every metrics line has: epoch, training and probe numbers, the confusion matrix, the timings. */
function probeEntries(classes: number) {
  const perClass = ` (one per class of ${classes})`;
  return {
    epoch: integer(0),
    trainLoss: finiteOrNull,
    trainAccuracy: finiteOrNull,
    probeLoss: finiteOrNull,
    probeAccuracy: finite,
    confusion: list(list(integer(0), classes, perClass), classes, perClass),
    timingsMs: record({
      train: finite,
      record: finite,
      forward: v.optional(finite),
      channels: v.optional(finite),
      inter: v.optional(finite),
      labels: v.optional(finite),
    }),
  };
}

/** The measures of manifest layer `index` in a metrics line. */
function layerMetricsSchema(index: number, classes: number, layer: { name: string; channels?: number }) {
  const perClass = ` (one per class of ${classes})`;
  const { channels } = layer;
  const perChannel = channels === undefined ? '' : ` (one per channel of ${layer.name})`;
  const bits = finiteOrNullList(channels, perChannel);
  return record({
    layer: v.literal(index, `is not ${index}`),
    interSampleBits: finiteOrNull,
    interSampleBitsPerClass: finiteOrNullList(classes, perClass),
    interSampleUndefined: v.optional(Reason),
    interSampleUndefinedPerClass: v.optional(list(v.nullable(Reason), classes, perClass)),
    channelBits: bits,
    channelBitsPerClass: v.optional(list(bits, classes, perClass)),
    deadChannels: list(channels === undefined ? integer(0) : integer(0, channels - 1)),
    nonFiniteCount: integer(0),
    labelInformationBits: v.optional(finiteOrNull),
    inputCapacityBits: v.optional(finiteOrNull),
    binnedInformation: v.optional(record({ ixtBits: finiteOrNull, ityBits: finiteOrNull, saturated: v.boolean('is not true or false') })),
  });
}

/** A measured metrics line of a run whose manifest has `shape`. */
export function epochMetricsSchema(shape: MetricsShape): v.GenericSchema<unknown, SchemaTypes['epochMetrics']> {
  return epochMetricsRecord(shape);
}

function epochMetricsRecord(shape: MetricsShape) {
  const { classes } = shape;
  const perClass = ` (one per class of ${classes})`;
  return record({
    ...probeEntries(classes),
    hLabelGivenPred: finiteOrNullList(classes, perClass),
    hPredGivenLabel: finiteOrNullList(classes, perClass),
    perClassFile: v.optional(v.pipe(text, v.regex(PER_CLASS_FILE_NAME, 'is not per-class/epoch-<n>.f64'))),
    layers: v.pipe(
      v.array(v.unknown(), NOT_ARRAY),
      v.length(shape.layers.length, (issue) => `has ${issue.input.length} entries, not ${shape.layers.length} (one per manifest layer)`),
      v.tuple(shape.layers.map((layer, i) => layerMetricsSchema(i, classes, layer))),
    ),
  });
}

/** A metrics line of a PyTorch run whose measures are pending, with `classes` classes. */
export function pendingEpochMetricsSchema(classes: number): v.GenericSchema<unknown, SchemaTypes['pendingMetrics']> {
  return pendingRecord(classes);
}

function pendingRecord(classes: number) {
  return record({ ...probeEntries(classes), pending: v.literal('measures', 'is not "measures"') });
}

/** The types the schemas infer: runFormat.ts checks each equal to its interface, or fails to compile. */
export interface SchemaTypes {
  layer: v.InferOutput<typeof RunLayerSchema>;
  settings: v.InferOutput<typeof SettingsSchema>;
  output: v.InferOutput<typeof OutputSchema>;
  training: v.InferOutput<typeof TrainingSchema>;
  checkpoint: v.InferOutput<typeof CheckpointSchema>;
  trainingScript: v.InferOutput<typeof TrainingScriptSchema>;
  control: v.InferOutput<typeof ControlSchema>;
  status: (typeof STATUSES)[number];
  manifest: v.InferOutput<typeof RunManifestSchema>;
  layerMetrics: v.InferOutput<ReturnType<typeof layerMetricsSchema>>;
  epochMetrics: v.InferOutput<ReturnType<typeof epochMetricsRecord>>;
  pendingMetrics: v.InferOutput<ReturnType<typeof pendingRecord>>;
}
