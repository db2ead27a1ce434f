/**
 * Records a run: trains the user's model with TensorFlow.js and writes the run folder (the dCNN
 * hypercube, paper 4.2) epoch by epoch — checkpoint, then summaries computed with src/analysis.
 * Runs inside the recorder child process or the CLI; reports through callbacks, stops on an
 * AbortSignal after the current batch, and leaves a complete, readable run in every case.
 *
 * This file puts the parts together: settings (settings.ts), the model's description
 * (modelFacts.ts), training and its callbacks (training.ts, callbacks.ts), the epoch summaries
 * (measure.ts) and where and in which order they are measured (measurementQueue.ts), the checkpoint
 * bytes (checkpoint.ts), and the run folder writer (src/run/writer.ts).
 */
import { dirname, resolve } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { gatherRows, indicesByClass, npyFromFloat32, seededRandom, serializeNpy } from '../analysis';
import { ComputePool } from '../compute/pool';
import { Dataset, fitDatasetToModel, loadDataset, parseDatasetSpec, splitDataset } from '../data/datasets';
import { RunWriteError } from '../run/files';
import { channelsOf } from '../analysis/layout';
import { EpochMetrics, LayerEpochMetrics, RunLayer, RunManifest, RunSettings } from '../contract/runFormat';
import { defaultRunsFolder, makeRunId, modelDisplayName } from '../run/paths';
import { isDiskFull, RunOutcome, RunWriter } from '../run/writer';
import { initBackend } from '../tfjs/backend';
import { checkTrainingKernels } from '../tfjs/trainingCheck';
import { withTfjsRandom } from '../tfjs/tfjsRandom';
import { applyControl, checkControlDataset, ControlSource, controlManifestField, resolveControl } from './control';
import { CancelOnAbort, EpochLogs, EtaClock, EventLoopYielder, ProgressReporter, RecordCallbackList } from './callbacks';
import type { RecordProgress } from '../contract/protocols/recorder';
import { serializeCheckpoint } from './checkpoint';
import { labelInformationInputs } from '../measure/labelInformation';
import { measureCopy, measureInTwo } from '../measure/epochMeasurement';
import { MeasureContext, measureEpoch } from '../measure/measure';
import { MeasurementQueue, MeasurementQueueParts } from './measurementQueue';
import { MeasureWorkerClient } from '../measure/measureWorkerClient';
import { checkInputShape, checkLayerShapes, modelFingerprint, recordedLayers } from './modelFacts';
import { loadModelFile, ModelError } from './modelLoader';
import { classScoresOf } from '../measure/classScores';
import { ChosenOutput, chooseOutput, describeOutput, outputLayerLast, withoutLabelMeasures } from './outputs';
import { DEFAULT_RECORD_SETTINGS } from '../contract/recordSettings';
import { checkProbeMemory, recordDatasetSpec, recordedEpochs, RecordOptions, recordSeed, resolveSettings } from './settings';
import { batchesPerEpoch, planTraining, TrainingData } from './training';
import { chooseTrainer, EpochTrainer } from './twoCoreTraining';
import { describeRecording } from './settingOrigins';

export type { RecordOptions } from './settings';

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

const NOTHING_TRAINS = 'nothing trains after epoch 0';

export async function recordRun(asked: RecordOptions, hooks: RecordHooks = {}): Promise<RecordResult> {
  // A control run takes the settings its caller left unset from its source run (control.ts).
  const { options, source: control } = resolveControl(asked);
  const log = hooks.log ?? (() => undefined);
  const now = hooks.now ?? (() => performance.now());
  const eta = new EtaClock(now);
  const progress = new ProgressReporter(hooks.onProgress, eta, now);
  progress.loading('starting TensorFlow.js');
  // A shared heap, for the kernel thread of a one-thread recording (src/tfjs/sharedHeap.ts).
  const initialized = await initBackend(options.backend ?? DEFAULT_RECORD_SETTINGS.backend, undefined, { sharedHeap: true });
  const { backend, fallbackReasons, summary } = initialized;
  log(`backend: ${backend}${fallbackReasons.length ? ` (${summary})` : ''}`);
  // The measurement worker starts now, so that its start-up (loading its bundle and a backend of its
  // own) runs on the other core while this thread loads the model and the dataset, instead of
  // beside the first epoch's training.
  const startedWorker: WorkerOrReason =
    options.overlapMeasurement === false
      ? { reason: 'switched off' }
      : options.epochs === 0
        ? { reason: NOTHING_TRAINS }
        : MeasureWorkerClient.start(backend, log);
  // Without the worker, every epoch is measured here with the compute pool: its workers start now too.
  const pool = new ComputePool();
  if (!('client' in startedWorker)) pool.start();
  try {
    // tfjs draws from Math.random (the initialisers as the model loads, dropout's masks as it trains):
    // the run's seed is its random source for the whole recording, so that a run is reproducible from its seed.
    return await withTfjsRandom(seededRandom(recordSeed(options) ^ 0x5eed), () =>
      recordWithBackend(options, hooks, initialized, startedWorker, { eta, progress, pool, control, asked }),
    );
  } finally {
    pool.close();
    if ('client' in startedWorker) startedWorker.client.close();
  }
}

/** The measurement worker's client, or why the recording measures every epoch on this thread. */
type WorkerOrReason = { client: MeasureWorkerClient } | { reason: string };

/** The recording once the backend is up and the measurement worker (if any) is starting. */
async function recordWithBackend(
  options: RecordOptions,
  hooks: RecordHooks,
  { tf, backend, fallbackReasons }: Awaited<ReturnType<typeof initBackend>>,
  startedWorker: WorkerOrReason,
  {
    eta,
    progress,
    pool,
    control,
    asked,
  }: { eta: EtaClock; progress: ProgressReporter; pool: ComputePool; control?: ControlSource; asked: RecordOptions },
): Promise<RecordResult> {
  const log = hooks.log ?? (() => undefined);
  const now = hooks.now ?? (() => performance.now());

  const prepared = { ...(await prepareRecording(options, tf, progress, log, control)), asked };
  const { loaded, output, settings, plan, probe, train } = prepared;
  const trainer = await chooseTrainer(tf, backend, plan, train, settings, options.trainThreads, log);
  const { writer, layers } = beginRunFolder(options, prepared, { name: backend, fallbackReasons }, hooks);

  const model = loaded.model;
  // The worker measures epochs beside training once it has the probe set.
  const besideTraining: WorkerOrReason =
    'reason' in startedWorker
      ? startedWorker
      : settings.epochs === 0
        ? (startedWorker.client.close(), { reason: NOTHING_TRAINS })
        : trainer.memoryBound && options.overlapMeasurement === undefined
          ? // One WebAssembly heap for training and measuring.
            (startedWorker.client.close(), { reason: 'the model is large: one heap trains and measures it' })
          : startedWorker.client.setUp({
              backend,
              layers,
              inputs: probe.inputs,
              labels: probe.labels,
              byClass: probe.byClass,
              classes: train.classes,
              output: { kind: output.kind, units: output.units },
              settings,
            });
  log(
    'client' in besideTraining
      ? 'measuring each epoch on a second thread while the next one trains'
      : `measuring each epoch before the next one trains (${besideTraining.reason})`,
  );
  const cancel = new CancelOnAbort(options.signal);
  const callbacks = new RecordCallbackList([new EventLoopYielder(), cancel, eta, progress]);
  callbacks.setParams({ epochs: settings.epochs, batches: batchesPerEpoch(train.count, settings.batchSize) });
  callbacks.setModel(plan.fitModel);
  const measure: MeasureContext = {
    tf,
    model,
    settings,
    layers,
    probeInputs: probe.inputs,
    probeLabels: probe.labels,
    probeByClass: probe.byClass,
    classes: train.classes,
    classScores: classScoresOf(output, train.classes),
    pool,
    timings: { forward: 0, channels: 0, inter: 0 },
  };

  let failure: { error: unknown } | undefined;
  try {
    await recordEpochs({
      tf,
      model,
      fitModel: plan.fitModel,
      trainer,
      labelMeasures: output.kind !== 'none',
      settings,
      train,
      measure,
      writer,
      callbacks,
      cancel,
      progress,
      hooks,
      log,
      now,
      worker: 'client' in besideTraining ? besideTraining.client : undefined,
    });
  } catch (e) {
    // A full disk is reported as such wherever it surfaced; the writer's own failures already are.
    failure = {
      error: isDiskFull(e) && !RunWriteError.is(e) ? writer.writeFailure(`a file of run ${writer.id} could not be written`, e) : e,
    };
  } finally {
    pool.close();
    trainer.close();
    if ('client' in besideTraining) besideTraining.client.close();
  }
  finishRun(writer, failure, cancel.requested, log);
  return { folder: writer.folder, manifest: writer.manifest };
}

/** What a recording loads before its run folder is made: the model, the dataset, the settings and the training plan. */
interface PreparedRecording {
  loaded: Awaited<ReturnType<typeof loadModelFile>>;
  dataset: Dataset;
  datasetSpec: string;
  output: ChosenOutput;
  settings: RunSettings;
  plan: ReturnType<typeof planTraining>;
  probe: RecordingSets['probe'];
  train: TrainingData;
  control?: ControlSource;
  /** What the caller asked for, before a control run's source filled in the rest (the log names each setting's origin). */
  asked?: RecordOptions;
  /** Whether the model file compiled the model itself (before the recorder compiled it). */
  compiledByFile: boolean;
}

/** Loads the model and the dataset, checks that they fit, and resolves the settings and the training plan. */
async function prepareRecording(
  options: RecordOptions,
  tf: typeof tfType,
  progress: ProgressReporter,
  log: (line: string) => void,
  control?: ControlSource,
): Promise<PreparedRecording> {
  progress.loading('loading the model');
  const loaded = await loadModelFile(options.modelFile, tf, {
    factoryTimeoutMs: options.modelFactoryTimeoutMs,
    // A loading progress message: the CLI prints it, VS Code shows it in the status bar.
    onSlowFactory: (message) => progress.loading(message),
  });
  // A layer left with no values would crash a backend (or record nothing) in training: refused here, at its line.
  checkLayerShapes(loaded);
  const datasetSpec = recordDatasetSpec(options, loaded.dataset);
  progress.loading(`loading ${datasetSpec}`);
  const asLoaded = await loadDataset(parseDatasetSpec(datasetSpec), {
    signal: options.signal,
    modelFolder: dirname(resolve(options.modelFile)),
  });
  const named = datasetSpec !== control?.manifest.dataset.spec;
  if (control) checkControlDataset(control, asLoaded.identity?.fingerprint, asLoaded.shape.slice(1), named);
  const dataset = fitDatasetToModel(asLoaded, loaded.model.inputs[0].shape.slice(1));
  checkInputShape(loaded, dataset);
  const output = chooseOutput(loaded.model, dataset, {
    exportedName: loaded.classificationOutput,
    location: [...loaded.layers].reverse().find((l) => l.source)?.source,
  });
  // Two of the dataset's own inputs: open dimensions get the data's size, token ids stay valid.
  const sampleCount = Math.min(2, dataset.shape[0]);
  const sampleSize = dataset.shape.slice(1).reduce((a, b) => a * b, 1);
  const sample = {
    data: Float32Array.from(dataset.inputs.subarray(0, sampleCount * sampleSize)),
    shape: [sampleCount, ...dataset.shape.slice(1)],
  };
  for (const note of checkTrainingKernels(tf, loaded.model, { sample }).notes) log(note);
  const settings = resolveSettings(options, loaded.training);
  const compiledByFile = loaded.model.optimizer !== undefined;
  const plan = planTraining(
    tf,
    loaded.model,
    output,
    settings,
    {
      optimizer: (options.optimizer ?? loaded.training?.optimizer) !== undefined,
      learningRate: (options.learningRate ?? loaded.training?.learningRate) !== undefined,
    },
    loaded.modelCompile,
  );
  // The run's settings say what trained the model, the model's own optimizer included.
  settings.optimizer = plan.optimizer;
  settings.learningRate = plan.learningRate;
  const { probe, train } = splitSets(dataset, settings, options.trainLimit, log);
  checkProbeMemory(probe.indices.length, settings.k);
  train.targets = plan.targets;
  if (control) control.kept = applyControl(control.control, { probe, train }, asLoaded.shape.slice(1), settings.seed);
  if (control) log(`control experiment ${control.control.spec} of run ${control.manifest.id}`);
  return { loaded, dataset, datasetSpec, output, settings, plan, probe, train, control, compiledByFile };
}

/** Claims the run folder, writes the probe set and the manifest's description of the run, and logs what will train. */
function beginRunFolder(
  options: RecordOptions,
  { loaded, dataset, datasetSpec, output, settings, plan, probe, train, control, asked, compiledByFile }: PreparedRecording,
  backend: { name: string; fallbackReasons: string[] },
  hooks: RecordHooks,
): { writer: RunWriter; layers: RunLayer[] } {
  const log = hooks.log ?? (() => undefined);
  const writer = RunWriter.claim(
    resolve(options.runsFolder ?? defaultRunsFolder(options.modelFile)),
    makeRunId(options.modelFile, new Date(), loaded.model.name),
  );
  const probeFiles = writer.writeProbe({
    inputsNpy: serializeNpy(npyFromFloat32([probe.indices.length, ...train.shape], probe.inputs)),
    labelsNpy: serializeNpy({ dtype: 'int32', shape: [probe.indices.length], data: probe.labels }),
    indices: probe.indices,
  });
  const layers = outputLayerLast(recordedLayers(loaded), output.layer, loaded.model);
  // A dimension the model leaves open (a sequence of any length) is the dataset's at layer 0.
  layers[0] = { ...layers[0], outputShape: train.shape, channels: channelsOf(train.shape, layers[0].dataFormat) };
  // The label pairs and the probe inputs' distance codes, which every layer's label information
  // reads, are computed now, while the measurement worker starts on the other core: else this
  // thread computes them while measuring epoch 0, or its part of the last epoch, with the clock running.
  labelInformationInputs({ probeInputs: probe.inputs, probeLabels: probe.labels, inputShape: train.shape, bins: settings.bins });
  writer.begin({
    model: {
      file: resolve(options.modelFile),
      fingerprint: modelFingerprint(loaded),
      name: modelDisplayName(options.modelFile),
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
    backend,
    output: {
      layer: output.layer,
      kind: output.kind,
      chosenBy: output.chosenBy,
      ...(output.labelMeasuresAbsent ? { labelMeasuresAbsent: output.labelMeasuresAbsent } : {}),
    },
    training: plan.training,
    ...(control ? { control: controlManifestField(control, writer.folder, probe.labels, train.classes) } : {}),
  });
  hooks.onRunFolder?.(writer.folder, writer.manifest);
  log(`run folder: ${writer.folder}`);
  log(describeOutput(output, loaded.model.outputs.length));
  for (const line of describeRecording({
    asked,
    options,
    control: control?.manifest.id,
    loaded,
    settings,
    datasetSpec,
    plan,
    compiledByFile,
  }))
    log(line);
  return { writer, layers };
}

/** What the epoch loop works with. */
interface EpochRun {
  tf: typeof tfType;
  model: tfType.LayersModel;
  /** The model `fit` trains (the model, or the part of it that ends in the classification output). */
  fitModel: tfType.LayersModel;
  trainer: EpochTrainer;
  /** Whether the output gives class predictions (else the label measures are written as absent). */
  labelMeasures: boolean;
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
  /** The measurement worker that measures an epoch while the next trains, if the run can use it. */
  worker?: MeasureWorkerClient;
}

/**
 * Trains and records epoch after epoch: epoch 0 is the untrained model, then each epoch is trained
 * and, when the settings record it, handed to the measurement queue (measurementQueue.ts), which
 * measures it here or on the worker and appends it to the run folder in order. A cancel, or a
 * failure of training, first lets the measurements in flight finish and append their epochs, as
 * they would have been before the next epoch started; a failure of measuring or appending stops the
 * training and is the run's error.
 */
async function recordEpochs(run: EpochRun): Promise<void> {
  const { tf, model, settings, callbacks, cancel, now } = run;
  const recorded = recordedEpochs(settings);
  const queue = new MeasurementQueue(measurementParts(run), run.worker);
  try {
    for (let epoch = 0; epoch <= settings.epochs; epoch++) {
      let logs: EpochLogs = { loss: null, accuracy: null };
      const trainStart = now();
      if (epoch > 0) {
        await callbacks.onEpochBegin(epoch);
        if (cancel.requested || queue.failed) break;
        logs = await run.trainer.trainEpoch({ epoch, seed: settings.seed, batchSize: settings.batchSize, callbacks });
        // Cancelled during this epoch: its training is partial, so it is not recorded.
        if (cancel.requested || queue.failed) break;
        await callbacks.onEpochEnd(epoch, logs);
      }
      if (!recorded.includes(epoch)) continue;
      const timing = { trainMs: now() - trainStart, recordStart: 0 };
      // The weights of this epoch, taken before the next epoch changes them.
      const checkpoint = await serializeCheckpoint(model, tf);
      await queue.add({ epoch, checkpoint, logs, timing }, epoch === settings.epochs);
    }
  } catch (e) {
    // The epochs measured while this failed were complete: they are appended first, and a failure
    // of their own, which came first, is the one reported.
    await queue.settleAll();
    throw e;
  }
  await queue.settleAll();
}

/** How the epoch loop's queue measures an epoch here and appends one (the run folder's order: checkpoint, metrics line, manifest). */
function measurementParts(run: EpochRun): MeasurementQueueParts {
  let inputMetrics: LayerEpochMetrics | undefined;
  return {
    measureHere: (epoch) => measureEpoch(run.measure, epoch, inputMetrics),
    measureCopy: (epoch, checkpoint) => measureCopy(run, epoch, checkpoint, inputMetrics),
    measureInTwo: (worker, epoch, checkpoint) => measureInTwo(run, worker, epoch, checkpoint, inputMetrics),
    inputMetrics: () => inputMetrics,
    append: ({ epoch, checkpoint, logs, timing }, measured) => {
      const metrics = run.labelMeasures ? measured : withoutLabelMeasures(measured);
      inputMetrics ??= metrics.layers[0];
      metrics.trainLoss = logs.loss;
      metrics.trainAccuracy = logs.accuracy;
      metrics.timingsMs = { ...metrics.timingsMs, train: timing.trainMs, record: run.now() - timing.recordStart };
      run.writer.appendEpoch(epoch, checkpoint, metrics);
      run.log(
        `epoch ${epoch}: loss ${logs.loss?.toFixed(4) ?? '—'}, probe accuracy ${run.labelMeasures ? `${(metrics.probeAccuracy * 100).toFixed(1)}%` : '—'}, record ${(metrics.timingsMs.record / 1000).toFixed(2)} s`,
      );
      run.hooks.onEpoch?.(metrics, run.writer.manifest);
    },
    // Training stops after its current batch; the loop then rethrows the failure.
    onFailure: () => (run.fitModel.stopTraining = true),
    recording: (epoch) => run.progress.recording(epoch),
    workerBusy: (busy) => run.trainer.otherThreadBusy?.(busy),
    log: run.log,
    now: run.now,
  };
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
  const shape = dataset.shape.slice(1);
  const d = shape.reduce((a, b) => a * b, 1);
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
      shape,
      classes,
    },
  };
}
