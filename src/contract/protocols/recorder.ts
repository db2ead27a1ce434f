/**
 * The messages between the extension host (or any parent) and the recorder child process
 * (`dist/recorder.js`, started with child_process.fork), as valibot schemas over the typed channel
 * of src/rpc: the types are inferred from the schemas and both ends check what they receive
 * against them. The child announces its protocol version first (`recorder/hello`) and the parent
 * checks it; the parent's `record/start` carries its version and the child checks that too.
 * Cancelling the `record/start` request stops the recording after the current batch.
 */
import * as v from 'valibot';
import { EDITOR_FALLBACK_SCHEMAS, RECORD_SETTING_SCHEMAS } from '../recordSettings';
import { defineNotification, defineRequest, ErrorDataOut, ParamsIn, SameType } from '../messages';
import type { RunStatus } from '../runFormat';

/** Bumped whenever a message changes shape (2: the typed channel's envelope). */
export const RECORDER_PROTOCOL_VERSION = 2;

const OptionalNumber = v.optional(v.number());
const OptionalString = v.optional(v.string());

/**
 * Why `modelFile` cannot be recorded by this recorder, or undefined: a Python file's model is recorded
 * by its own training script with the cnn_slicer Recorder (docs/pytorch.md). Checked by the CLI before
 * anything starts and by the model loader.
 */
export function pythonModelFileProblem(modelFile: string): string | undefined {
  return /\.py$/i.test(modelFile)
    ? `${modelFile} is a Python file: a PyTorch model is recorded by its own training script with the cnn_slicer Recorder (docs/pytorch.md), not by record`
    : undefined;
}

/**
 * What the caller of a recording asks for, as it crosses the boundary (the recorder checks the
 * ranges and says what is wrong): every recording setting of src/contract/recordSettings.ts,
 * optional; unset fields come from the model file's exports, then defaults (settings.ts).
 */
export const RecordOptionsSchema = v.object({
  modelFile: v.pipe(v.string(), v.minLength(1, 'the model file must be named')),
  ...RECORD_SETTING_SCHEMAS,
  /** Folder that holds run folders (default: `.cnnslicer/runs` beside the model file). */
  runsFolder: OptionalString,
  /** How long the model file's factory may take to return its model, ms (default 60 s; src/recorder/modelLoader.ts). */
  modelFactoryTimeoutMs: OptionalNumber,
  /**
   * Measure epoch t on a second thread while epoch t + 1 trains (default true; where it cannot,
   * the recorder measures each epoch before training the next, with the same results).
   */
  overlapMeasurement: v.optional(v.boolean()),
  /**
   * A control experiment for shortcuts: the same model and settings trained and recorded on a
   * transformed dataset, linked to `control.sourceRun` (a run folder). `spec` is `border:N` (keep
   * only an N-pixel border), `mask-centre:F` (zero the central fraction F), `shuffle-pixels` (one
   * fixed permutation of the pixels) or `shuffle-labels` (the memorisation baseline); src/data/control.ts.
   */
  control: v.optional(v.object({ spec: v.pipe(v.string(), v.minLength(1)), sourceRun: v.pipe(v.string(), v.minLength(1)) })),
  /** Fallbacks for what neither these options nor the model's `training` export set (the editor's settings). */
  defaults: v.optional(v.object(EDITOR_FALLBACK_SCHEMAS)),
  /**
   * Where the caller's values came from, in words, for the log line of each setting's origin
   * (settingOrigins.ts): by setting name (`bins`: "the VS Code setting cnnSlicer.bins"), `options`
   * for every setting given without its own (`the command line`, "run R being recorded again"), and
   * `defaults.epochs` / `defaults.batchSize` (or `defaults`) for the fallbacks above.
   */
  origins: v.optional(v.record(v.string(), v.pipe(v.string(), v.maxLength(200)))),
});

/** The options that cannot cross a process boundary: a caller in the same process may pass them. */
export interface LocalRecordOptions {
  /** Stops the recording after the current batch (across the boundary, cancelling `record/start` does). */
  signal?: AbortSignal;
}

/** What the caller asks for: every field but the local ones is the schema's, so the two cannot drift apart. */
export type RecordOptions = v.InferOutput<typeof RecordOptionsSchema> & LocalRecordOptions;

/** Progress of a recording, as the recorder process sends it to its parent. */
export interface RecordProgress {
  phase: 'loading' | 'training' | 'recording';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss?: number;
  /** Fraction of the whole run done, 0..1. */
  fraction: number;
  etaMs?: number;
  message?: string;
}

export const RecordProgressSchema = v.object({
  phase: v.picklist(['loading', 'training', 'recording']),
  epoch: v.number(),
  epochs: v.number(),
  batch: v.number(),
  batches: v.number(),
  loss: OptionalNumber,
  fraction: v.number(),
  etaMs: OptionalNumber,
  message: OptionalString,
});

const RunStatusSchema = v.picklist(['recording', 'completed', 'cancelled', 'failed', 'interrupted']);
const SourceLocationSchema = v.object({ file: v.string(), line: v.number(), column: v.number() });

/** Recorder → parent, first: the protocol it speaks. */
export const recorderHello = defineNotification('recorder/hello', v.object({ protocolVersion: v.number(), pid: v.number() }));

/**
 * Records one run. The answer is the run folder and how the run ended (completed, or cancelled
 * after the current batch); a failure carries the run folder, if one was made, and the source
 * location of a model error.
 */
export const recordStart = defineRequest('record/start', {
  params: v.object({ protocolVersion: v.number(), options: RecordOptionsSchema }),
  result: v.object({ folder: v.string(), status: RunStatusSchema }),
  errorData: v.optional(v.object({ folder: OptionalString, location: v.optional(SourceLocationSchema) })),
});

/** Throttled (~125 ms). */
export const recordProgress = defineNotification('record/progress', RecordProgressSchema);
export const recordRunFolder = defineNotification('record/runFolder', v.object({ folder: v.string(), runId: v.string() }));
export const recordEpoch = defineNotification(
  'record/epoch',
  v.object({ epoch: v.number(), trainLoss: v.nullable(v.number()), probeAccuracy: v.number(), recordMs: v.number() }),
);
export const recordLog = defineNotification('record/log', v.object({ line: v.string() }));

export type RecordStartOptions = ParamsIn<typeof recordStart>['options'];
export type RecordEpochEvent = ParamsIn<typeof recordEpoch>;
export type RecordFailureData = NonNullable<ErrorDataOut<typeof recordStart>>;

// The schemas must describe the types exactly: these fail to compile when they drift apart.
const progressMatch: SameType<v.InferOutput<typeof RecordProgressSchema>, RecordProgress> = true;
const statusMatch: SameType<v.InferOutput<typeof RunStatusSchema>, RunStatus> = true;
void [progressMatch, statusMatch];
