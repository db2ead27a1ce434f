/**
 * Records a run: trains the user's model with TensorFlow.js and writes the run folder (the dCNN
 * hypercube, paper 4.2) epoch by epoch — checkpoint, then summaries computed with src/analysis.
 * Runs inside the recorder child process or the CLI; reports through callbacks, stops on an
 * AbortSignal after the current batch, and leaves a complete, readable run in every case.
 *
 * This file puts the parts together: settings (settings.ts), the model's description
 * (modelFacts.ts), training and its callbacks (training.ts, callbacks.ts), the epoch summaries
 * (measure.ts), the checkpoint bytes (checkpoint.ts), and the run folder writer (src/run/writer.ts).
 */
import { basename, resolve } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { gatherRows, indicesByClass, npyFromFloat32, seededRandom, serializeNpy } from '../analysis';
import { ComputePool } from '../compute/pool';
import { Dataset, loadDataset, parseDatasetSpec, splitDataset } from '../data/datasets';
import { RunWriteError } from '../run/files';
import { EpochMetrics, LayerEpochMetrics, RunManifest, RunSettings } from '../run/format';
import { defaultRunsFolder, makeRunId } from '../run/paths';
import { isDiskFull, RunOutcome, RunWriter } from '../run/writer';
import { initBackend } from '../tfjs/backend';
import { checkTrainingKernels } from '../tfjs/trainingCheck';
import { CancelOnAbort, EpochLogs, EtaClock, EventLoopYielder, ProgressReporter, RecordCallbackList, RecordProgress } from './callbacks';
import { serializeCheckpoint } from './checkpoint';
import { MeasureContext, measureEpoch } from './measure';
import { checkInputShape, modelFingerprint, recordedLayers } from './modelFacts';
import { loadModelFile, ModelError } from './modelLoader';
import { recordDatasetSpec, recordedEpochs, RecordOptions, recordSeed, resolveSettings } from './settings';
import { batchesPerEpoch, compileModel, trainEpoch, TrainingData } from './training';

export type { RecordOptions } from './settings';
export type { RecordProgress } from './callbacks';

export interface RecordHooks {
  onProgress?: (p: RecordProgress) => void;
  onEpoch?: (metrics: EpochMetrics, manifest: RunManifest) => void;
  onRunFolder?: (folder: string, manifest: RunManifest) => void;
  log?: (line: string) => void;
  /** Clock for progress throttling and ETAs (tests inject one). */
  now?: () => number;
}

export interface RecordResult {
  folder: string;
  manifest: RunManifest;
}

/** The probe set (the inputs every summary is measured on) and the training set of a recording. */
interface RecordingSets {
  train: TrainingData;
  probe: { indices: number[]; inputs: Float32Array; labels: Int32Array; byClass: number[][] };
}

export async function recordRun(options: RecordOptions, hooks: RecordHooks = {}): Promise<RecordResult> {
  const log = hooks.log ?? (() => undefined);
  const now = hooks.now ?? (() => performance.now());
  const eta = new EtaClock(now);
  const progress = new ProgressReporter(hooks.onProgress, eta, now);
  progress.loading('starting TensorFlow.js');
  const { tf, backend, fallbackReasons } = await initBackend(options.backend ?? 'auto');
  log(`backend: ${backend}${fallbackReasons.length ? ` (${fallbackReasons.join('; ')})` : ''}`);

  // tfjs initialisers draw from Math.random: seeding it makes a run reproducible from its seed.
  Math.random = seededRandom(recordSeed(options) ^ 0x5eed);

  progress.loading('loading the model');
  const loaded = await loadModelFile(options.modelFile, tf);
  const datasetSpec = recordDatasetSpec(options, loaded.dataset);
  progress.loading(`loading ${datasetSpec}`);
  const dataset = await loadDataset(parseDatasetSpec(datasetSpec), { signal: options.signal });
  checkInputShape(loaded, dataset);
  for (const note of checkTrainingKernels(tf, loaded.model).notes) log(note);
  const settings = resolveSettings(options, loaded.training);
  const { probe, train } = splitSets(dataset, settings, options.trainLimit, log);

  const writer = RunWriter.claim(resolve(options.runsFolder ?? defaultRunsFolder(options.modelFile)), makeRunId(options.modelFile));
  const probeFiles = writer.writeProbe({
    inputsNpy: serializeNpy(npyFromFloat32([probe.indices.length, ...train.shape], probe.inputs)),
    labelsNpy: serializeNpy({ dtype: 'int32', shape: [probe.indices.length], data: probe.labels }),
    indices: probe.indices,
  });
  const layers = recordedLayers(loaded);
  writer.begin({
    model: {
      file: resolve(options.modelFile),
      fingerprint: modelFingerprint(loaded),
      name: basename(options.modelFile),
      sourceFiles: loaded.sourceFiles,
    },
    layers,
    dataset: {
      spec: datasetSpec,
      name: dataset.name,
      fingerprint: dataset.identity?.fingerprint ?? '',
      classNames: dataset.classNames,
      inputShape: train.shape,
      trainSize: train.count,
    },
    probe: { size: probe.indices.length, ...probeFiles, classCounts: probe.byClass.map((x) => x.length) },
    settings,
    backend: { name: backend, fallbackReasons },
  });
  hooks.onRunFolder?.(writer.folder, writer.manifest);
  log(`run folder: ${writer.folder}`);

  const model = loaded.model;
  compileModel(tf, model, settings);
  const pool = new ComputePool();
  const cancel = new CancelOnAbort(options.signal);
  const callbacks = new RecordCallbackList([new EventLoopYielder(), cancel, eta, progress]);
  callbacks.setParams({ epochs: settings.epochs, batches: batchesPerEpoch(train.count, settings.batchSize) });
  callbacks.setModel(model);
  // Graph models need one extraction model per layer, built on first use and kept for every epoch.
  const measure: MeasureContext = {
    tf,
    model,
    settings,
    layers,
    extractors: new Map<number, tfType.LayersModel>(),
    probeInputs: probe.inputs,
    probeLabels: probe.labels,
    probeByClass: probe.byClass,
    classes: train.classes,
    pool,
    timings: { forward: 0, channels: 0, inter: 0 },
  };

  let failure: { error: unknown } | undefined;
  try {
    await recordEpochs({ tf, model, settings, train, measure, writer, callbacks, cancel, progress, hooks, log, now });
  } catch (e) {
    // A full disk is reported as such wherever it surfaced; the writer's own failures already are.
    failure = {
      error: isDiskFull(e) && !RunWriteError.is(e) ? writer.writeFailure(`a file of run ${writer.id} could not be written`, e) : e,
    };
  } finally {
    pool.close();
  }
  finishRun(writer, failure, cancel.requested, log);
  return { folder: writer.folder, manifest: writer.manifest };
}

/**
 * Trains and records epoch after epoch: epoch 0 is the untrained model, then each epoch is trained
 * and, when the settings record it, measured and appended to the run folder.
 */
async function recordEpochs(run: {
  tf: typeof tfType;
  model: tfType.LayersModel;
  settings: RunSettings;
  train: TrainingData;
  measure: MeasureContext;
  writer: RunWriter;
  callbacks: RecordCallbackList;
  cancel: CancelOnAbort;
  progress: ProgressReporter;
  hooks: RecordHooks;
  log: (line: string) => void;
  now: () => number;
}): Promise<void> {
  const { tf, model, settings, callbacks, cancel, now } = run;
  const recorded = recordedEpochs(settings);
  let inputMetrics: LayerEpochMetrics | undefined;
  for (let epoch = 0; epoch <= settings.epochs; epoch++) {
    let logs: EpochLogs = { loss: null, accuracy: null };
    const trainStart = now();
    if (epoch > 0) {
      await callbacks.onEpochBegin(epoch);
      if (cancel.requested) break;
      logs = await trainEpoch(tf, model, run.train, { epoch, seed: settings.seed, batchSize: settings.batchSize, callbacks });
      // Cancelled during this epoch: its training is partial, so it is not recorded.
      if (cancel.requested) break;
      await callbacks.onEpochEnd(epoch, logs);
    }
    if (!recorded.includes(epoch)) continue;
    const trainMs = now() - trainStart;
    run.progress.recording(epoch);
    const recordStart = now();
    const metrics: EpochMetrics = await measureEpoch(run.measure, epoch, inputMetrics);
    inputMetrics ??= metrics.layers[0];
    metrics.trainLoss = logs.loss;
    metrics.trainAccuracy = logs.accuracy;
    metrics.timingsMs = { ...metrics.timingsMs, train: trainMs, record: now() - recordStart };
    run.writer.appendEpoch(epoch, await serializeCheckpoint(model, tf), metrics);
    run.log(
      `epoch ${epoch}: loss ${logs.loss?.toFixed(4) ?? '—'}, probe accuracy ${(metrics.probeAccuracy * 100).toFixed(1)}%, record ${(metrics.timingsMs.record / 1000).toFixed(2)} s`,
    );
    run.hooks.onEpoch?.(metrics, run.writer.manifest);
  }
}

/**
 * Writes how the recording ended. After a failure the manifest says failed with its reason, and the
 * error rethrown is that first failure: if even the manifest cannot be written now (the disk is
 * still full), the previous manifest stays on disk and this second error is only logged.
 */
function finishRun(writer: RunWriter, failure: { error: unknown } | undefined, cancelled: boolean, log: (line: string) => void): void {
  const outcome: RunOutcome = failure
    ? {
        status: 'failed',
        error: {
          message: (failure.error as Error)?.message ?? String(failure.error),
          location: ModelError.is(failure.error) ? failure.error.location : undefined,
        },
      }
    : { status: cancelled ? 'cancelled' : 'completed' };
  try {
    writer.finish(outcome);
  } catch (e) {
    if (!failure) throw e;
    log(`the run could not be marked failed: ${(e as Error)?.message ?? String(e)}`);
  }
  if (failure) throw failure.error;
}

/** The probe set drawn from the dataset by the settings, and the training inputs (all the rest, or the first `trainLimit`). */
function splitSets(dataset: Dataset, settings: RunSettings, trainLimit: number | undefined, log: (line: string) => void): RecordingSets {
  const split = splitDataset(dataset, {
    seed: settings.seed,
    probeSize: settings.probePerClass ? undefined : settings.probeSize,
    probePerClass: settings.probePerClass,
  });
  for (const note of split.notes ?? []) log(note);
  const trainIndices = trainLimit ? split.trainIndices.subarray(0, trainLimit) : split.trainIndices;
  const probeIndices = Array.from(split.probeIndices);
  const [, h, w, c] = dataset.shape;
  const d = h * w * c;
  const classes = dataset.classNames.length;
  const probeLabels = Int32Array.from(probeIndices, (i) => dataset.labels[i]);
  return {
    probe: {
      indices: probeIndices,
      inputs: Float32Array.from(gatherRows(dataset.inputs, d, probeIndices)),
      labels: probeLabels,
      byClass: indicesByClass(probeLabels, classes),
    },
    train: {
      inputs: Float32Array.from(gatherRows(dataset.inputs, d, Array.from(trainIndices))),
      labels: Int32Array.from(trainIndices, (i) => dataset.labels[i]),
      count: trainIndices.length,
      shape: [h, w, c],
      classes,
    },
  };
}
