/**
 * Records a run: trains the user's model with TensorFlow.js and writes the run folder (the dCNN
 * hypercube, paper 4.2) epoch by epoch — checkpoint, then summaries computed with src/analysis.
 * Runs inside the recorder child process or the CLI; reports through callbacks, stops on an
 * AbortSignal after the current batch, and leaves a complete, readable run in every case.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { argmaxRows, channelEntropies, confusionMatrix, DEFAULT_BINS, DEFAULT_K, gatherRows, indicesByClass, labelEntropies, layerActivations, LayerActivations, npyFromFloat32, seededRandom, serializeNpy } from '../analysis';
import { EpochMetrics, LayerEpochMetrics, RUN_FORMAT_VERSION, RunLayer, RunManifest, RunSettings } from '../run/format';
import { ComputePool } from '../compute/pool';
import { Dataset, loadDataset, parseDatasetSpec, splitDataset } from '../data/datasets';
import { initBackend } from '../tfjs/backend';
import { LoadedModel, loadModelFile, ModelError } from './modelLoader';
import { forwardLayers } from '../tfjs/forward';
import { appendLineDurable, writeFileAtomic, writeFolderAtomic } from '../run/files';
import { claimRunFolder, defaultRunsFolder, epochFolder, makeRunId } from '../run/paths';

/** What the caller asks for; unset fields come from the model file's `training` export, then defaults. */
export interface RecordOptions {
  modelFile: string;
  /** Dataset spec (mnist, cifar10:<dir>, …); default: the model's `dataset` export, else mnist. */
  dataset?: string;
  epochs?: number;
  batchSize?: number;
  optimizer?: 'sgd' | 'adam' | 'rmsprop';
  learningRate?: number;
  seed?: number;
  recordEvery?: number;
  probeSize?: number;
  probePerClass?: number;
  bins?: number;
  k?: number;
  backend?: 'auto' | 'tfjs-node' | 'wasm' | 'cpu';
  /** Folder that holds run folders (default: `.cnnslicer/runs` beside the model file). */
  runsFolder?: string;
  /** Training inputs per epoch (default: all but the probe). */
  trainLimit?: number;
  /** Fallbacks for what neither these options nor the model's `training` export set (the editor's settings). */
  defaults?: { epochs?: number; batchSize?: number };
  signal?: AbortSignal;
}

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

export interface RecordHooks {
  onProgress?(p: RecordProgress): void;
  onEpoch?(metrics: EpochMetrics, manifest: RunManifest): void;
  onRunFolder?(folder: string, manifest: RunManifest): void;
  log?(line: string): void;
  /** Clock for progress throttling and ETAs (tests inject one). */
  now?(): number;
}

export interface RecordResult {
  folder: string;
  manifest: RunManifest;
}

const PROGRESS_INTERVAL_MS = 125;




export async function recordRun(options: RecordOptions, hooks: RecordHooks = {}): Promise<RecordResult> {
  const log = hooks.log ?? (() => undefined);
  const now = hooks.now ?? (() => performance.now());
  const signal = options.signal;
  hooks.onProgress?.({ phase: 'loading', epoch: 0, epochs: 0, batch: 0, batches: 0, fraction: 0, message: 'starting TensorFlow.js' });
  const { tf, backend, fallbackReasons } = await initBackend(options.backend ?? 'auto');
  log(`backend: ${backend}${fallbackReasons.length ? ` (${fallbackReasons.join('; ')})` : ''}`);

  const seed = options.seed ?? 1;
  // tfjs initialisers draw from Math.random: seeding it makes a run reproducible from its seed.
  Math.random = seededRandom(seed ^ 0x5eed);

  hooks.onProgress?.({ phase: 'loading', epoch: 0, epochs: 0, batch: 0, batches: 0, fraction: 0, message: 'loading the model' });
  const loaded = await loadModelFile(options.modelFile, tf);
  const fromFile = loaded.training ?? {};
  const datasetSpec = options.dataset ?? (typeof loaded.dataset === 'string' ? loaded.dataset : 'mnist');
  hooks.onProgress?.({ phase: 'loading', epoch: 0, epochs: 0, batch: 0, batches: 0, fraction: 0, message: `loading ${datasetSpec}` });
  const dataset = await loadDataset(parseDatasetSpec(datasetSpec), { signal });
  checkInputShape(loaded, dataset, tf);

  const settings: RunSettings = {
    epochs: options.epochs ?? fromFile.epochs ?? options.defaults?.epochs ?? 5,
    batchSize: options.batchSize ?? fromFile.batchSize ?? options.defaults?.batchSize ?? 64,
    optimizer: options.optimizer ?? (fromFile.optimizer as RunSettings['optimizer']) ?? 'adam',
    learningRate: options.learningRate ?? fromFile.learningRate ?? 0.001,
    seed,
    recordEvery: options.recordEvery ?? fromFile.recordEvery ?? 1,
    probeSize: options.probeSize ?? 500,
    probePerClass: options.probePerClass,
    bins: options.bins ?? DEFAULT_BINS,
    k: options.k ?? DEFAULT_K,
  };
  validateSettings(settings);
  const split = splitDataset(dataset, {
    seed,
    probeSize: settings.probePerClass ? undefined : settings.probeSize,
    probePerClass: settings.probePerClass,
  });
  for (const note of split.notes ?? []) log(note);
  const trainIndices = options.trainLimit ? split.trainIndices.subarray(0, options.trainLimit) : split.trainIndices;
  const probeIndices = Array.from(split.probeIndices);
  const [, h, w, c] = dataset.shape;
  const d = h * w * c;
  const classes = dataset.classNames.length;
  const probeInputs = Float32Array.from(gatherRows(dataset.inputs, d, probeIndices));
  const probeLabels = Int32Array.from(probeIndices, (i) => dataset.labels[i]);
  const probeByClass = indicesByClass(probeLabels, classes);

  const runsFolder = resolve(options.runsFolder ?? defaultRunsFolder(options.modelFile));
  const { id, folder } = claimRunFolder(runsFolder, makeRunId(options.modelFile));
  mkdirSync(join(folder, 'checkpoints'), { recursive: true });
  mkdirSync(join(folder, 'probe'), { recursive: true });
  writeFileAtomic(join(folder, 'probe', 'inputs.npy'), serializeNpy(npyFromFloat32([probeIndices.length, h, w, c], probeInputs)));
  writeFileAtomic(join(folder, 'probe', 'labels.npy'), serializeNpy({ dtype: 'int32', shape: [probeIndices.length], data: probeLabels }));
  writeFileAtomic(join(folder, 'probe', 'indices.json'), JSON.stringify(probeIndices));

  const layers = recordedLayers(loaded);
  const manifest: RunManifest = {
    formatVersion: RUN_FORMAT_VERSION,
    id,
    status: 'recording',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    model: { file: resolve(options.modelFile), fingerprint: modelFingerprint(loaded), name: basename(options.modelFile), sourceFiles: loaded.sourceFiles },
    layers,
    dataset: {
      spec: datasetSpec,
      name: dataset.name,
      fingerprint: dataset.identity?.fingerprint ?? '',
      classNames: dataset.classNames,
      inputShape: [h, w, c],
      trainSize: trainIndices.length,
    },
    probe: { size: probeIndices.length, inputsFile: 'probe/inputs.npy', labelsFile: 'probe/labels.npy', classCounts: probeByClass.map((x) => x.length) },
    settings,
    backend: { name: backend, fallbackReasons },
    epochs: [],
    pid: process.pid,
  };
  const saveManifest = () => {
    manifest.updatedAt = new Date().toISOString();
    writeFileAtomic(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  };
  saveManifest();
  hooks.onRunFolder?.(folder, manifest);
  log(`run folder: ${folder}`);

  const model = loaded.model;
  const optimizer =
    settings.optimizer === 'sgd'
      ? tf.train.sgd(settings.learningRate)
      : settings.optimizer === 'rmsprop'
        ? tf.train.rmsprop(settings.learningRate)
        : tf.train.adam(settings.learningRate);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

  const pool = new ComputePool();
  // Graph models need one extraction model per layer; sequential ones are run layer by layer instead.
  // Graph models need one extraction model per layer, built on first use and kept for every epoch.
  const extractors = new Map<number, tfType.LayersModel>();
  const recordCtx = { tf, model, folder, settings, layers, extractors, probeInputs, probeLabels, probeByClass, classes, pool, d, timings: { forward: 0, channels: 0, inter: 0 } };
  const trainInputs = Float32Array.from(gatherRows(dataset.inputs, d, Array.from(trainIndices)));
  const trainLabels = Int32Array.from(trainIndices, (i) => dataset.labels[i]);
  const batches = Math.ceil(trainIndices.length / settings.batchSize);
  const recordedEpochs = Array.from({ length: settings.epochs + 1 }, (_, e) => e).filter((e) => e % settings.recordEvery === 0 || e === settings.epochs);
  // The ETA clock starts with the first training epoch: the epoch-0 measurement before it is not
  // part of the fraction done, so counting it made early estimates far too long.
  let started: number | undefined;
  let lastProgress = -Infinity;
  let inputMetrics: LayerEpochMetrics | undefined;

  try {
    for (let epoch = 0; epoch <= settings.epochs; epoch++) {
      let trainLoss: number | null = null;
      let trainAccuracy: number | null = null;
      const trainStart = now();
      if (epoch > 0) {
        // A macrotask turn per epoch: a small model's epoch can run entirely on microtasks, which
        // would starve the IPC 'message' event that carries a cancel until the whole run is over.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) break;
        started ??= now();
        const order = shuffled(trainIndices.length, seed + epoch);
        const x = tf.tidy(() => tf.gather(tf.tensor4d(trainInputs, [trainIndices.length, h, w, c]), tf.tensor1d(order, 'int32')));
        const y = tf.tidy(() => tf.oneHot(tf.gather(tf.tensor1d(trainLabels, 'int32'), tf.tensor1d(order, 'int32')), classes).toFloat());
        let stopped = false;
        try {
          const history = await model.fit(x, y, {
            epochs: 1,
            batchSize: settings.batchSize,
            shuffle: false,
            verbose: 0,
            callbacks: {
              onBatchEnd: async (batch, logs) => {
                if (signal?.aborted) {
                  model.stopTraining = true;
                  stopped = true;
                }
                const t = now();
                if (t - lastProgress >= PROGRESS_INTERVAL_MS || batch + 1 === batches) {
                  lastProgress = t;
                  const fraction = (epoch - 1 + (batch + 1) / batches) / settings.epochs;
                  const elapsed = t - (started ?? t);
                  hooks.onProgress?.({
                    phase: 'training',
                    epoch,
                    epochs: settings.epochs,
                    batch: batch + 1,
                    batches,
                    loss: logs?.loss,
                    fraction,
                    etaMs: fraction > 0 ? (elapsed / fraction) * (1 - fraction) : undefined,
                  });
                }
              },
            },
          });
          trainLoss = (history.history.loss?.[0] as number | undefined) ?? null;
          trainAccuracy = ((history.history.acc ?? history.history.accuracy)?.[0] as number | undefined) ?? null;
        } finally {
          x.dispose();
          y.dispose();
        }
        // Cancelled during this epoch: its training is partial, so it is not recorded.
        if (stopped || signal?.aborted) break;
      }
      if (!recordedEpochs.includes(epoch)) continue;
      const trainMs = now() - trainStart;
      hooks.onProgress?.({ phase: 'recording', epoch, epochs: settings.epochs, batch: batches, batches, fraction: epoch / Math.max(1, settings.epochs), message: `recording epoch ${epoch}` });
      const recordStart = now();
      const metrics = await measureEpoch(recordCtx, epoch, inputMetrics);
      inputMetrics ??= metrics.layers[0];
      metrics.trainLoss = trainLoss;
      metrics.trainAccuracy = trainAccuracy;
      metrics.timingsMs = { ...metrics.timingsMs, train: trainMs, record: now() - recordStart };
      // Checkpoint first, then the metrics line, then the manifest: the manifest only ever lists
      // epochs whose checkpoint and metrics are both on disk.
      await saveCheckpoint(model, join(folder, 'checkpoints', epochFolder(epoch)), tf);
      appendLineDurable(join(folder, 'metrics.jsonl'), JSON.stringify(metrics));
      manifest.epochs.push(epoch);
      saveManifest();
      log(`epoch ${epoch}: loss ${trainLoss?.toFixed(4) ?? '—'}, probe accuracy ${(metrics.probeAccuracy * 100).toFixed(1)}%, record ${(metrics.timingsMs.record / 1000).toFixed(2)} s`);
      hooks.onEpoch?.(metrics, manifest);
    }
    manifest.status = signal?.aborted ? 'cancelled' : 'completed';
  } catch (e) {
    manifest.status = 'failed';
    manifest.error = { message: (e as Error)?.message ?? String(e), location: ModelError.is(e) ? e.location : undefined };
    throw e;
  } finally {
    delete manifest.pid;
    saveManifest();
    pool.close();
  }
  return { folder, manifest };
}


function validateSettings(s: RunSettings): void {
  const positiveInt = (name: string, v: number, min = 1) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt('epochs', s.epochs, 0);
  positiveInt('batch size', s.batchSize);
  positiveInt('record every', s.recordEvery);
  positiveInt('probe size', s.probeSize, 3);
  if (s.probePerClass !== undefined) positiveInt('probe per class', s.probePerClass);
  if (!(s.learningRate > 0) || !Number.isFinite(s.learningRate)) throw new RangeError(`learning rate must be a positive number, got ${s.learningRate}`);
  if (!['sgd', 'adam', 'rmsprop'].includes(s.optimizer)) throw new RangeError(`optimizer must be sgd, adam or rmsprop, got ${s.optimizer}`);
}

/** Hypercube layers: 0 is the model input, then every model layer except input layers. */
function recordedLayers(loaded: LoadedModel): RunLayer[] {
  const input = loaded.model.inputs[0].shape.slice(1).map((v) => v ?? -1);
  const layers: RunLayer[] = [
    { index: 0, name: 'input', className: 'Input', outputShape: input, channels: input.length >= 2 ? input[input.length - 1] : 1, parameters: 0 },
  ];
  for (const l of loaded.layers) {
    if (l.className === 'InputLayer') continue;
    layers.push({ ...l, index: layers.length });
  }
  return layers;
}

function checkInputShape(loaded: LoadedModel, dataset: Dataset, tf: typeof tfType): void {
  void tf;
  const modelShape = loaded.model.inputs[0].shape.slice(1);
  const dataShape = dataset.shape.slice(1);
  const fits = modelShape.length === dataShape.length && modelShape.every((v, i) => v === null || v === dataShape[i]);
  if (!fits) {
    const first = loaded.layers.find((l) => l.source);
    throw new ModelError(
      `the model's input shape [${modelShape.map((v) => v ?? 'any').join(', ')}] does not fit the ${dataset.name} inputs [${dataShape.join(', ')}]; ` +
        `set inputShape: [${dataShape.join(', ')}] on the first layer or choose another dataset`,
      first?.source,
    );
  }
  const units = loaded.model.outputs[0].shape[loaded.model.outputs[0].shape.length - 1];
  if (units !== dataset.classNames.length) {
    throw new ModelError(`the model ends in ${units} units but ${dataset.name} has ${dataset.classNames.length} classes; make the last layer dense({ units: ${dataset.classNames.length}, activation: 'softmax' })`);
  }
}

function modelFingerprint(loaded: LoadedModel): string {
  const hash = createHash('sha256');
  for (const f of loaded.sourceFiles) if (existsSync(f)) hash.update(readFileSync(f));
  hash.update(JSON.stringify(loaded.layers.map((l) => [l.className, l.outputShape, l.parameters])));
  return hash.digest('hex').slice(0, 16);
}

function shuffled(n: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

async function saveCheckpoint(model: tfType.LayersModel, path: string, tf: typeof tfType): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFolderAtomic(path, { 'model.json': JSON.stringify(modelJson), 'weights.bin': new Uint8Array(weightData) });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

interface MeasureContext {
  tf: typeof tfType;
  model: tfType.LayersModel;
  settings: RunSettings;
  layers: RunLayer[];
  extractors: Map<number, tfType.LayersModel>;
  probeInputs: Float32Array;
  probeLabels: Int32Array;
  probeByClass: number[][];
  classes: number;
  pool: ComputePool;
  d: number;
  /** Accumulated per epoch: forward passes, channel entropies, inter-sample entropies (ms). */
  timings: { forward: number; channels: number; inter: number };
}

/** Every summary of one epoch: label entropies on the probe set and per-layer entropies (paper 5.2–5.4). */
async function measureEpoch(ctx: MeasureContext, epoch: number, inputMetrics: LayerEpochMetrics | undefined): Promise<EpochMetrics> {
  ctx.timings = { forward: 0, channels: 0, inter: 0 };
  const n = ctx.probeLabels.length;
  const layerMetrics: LayerEpochMetrics[] = [inputMetrics ?? (await measureLayer(ctx, 0, [ctx.probeLabels.length, ...ctx.layers[0].outputShape], ctx.probeInputs))];
  let finalOutput: { shape: number[]; data: Float32Array } | undefined;
  // A two-stage pipeline: while the workers compute layer l's inter-sample entropy, this thread
  // runs the forward pass of layer l + 1. At most two layers' activations are alive at once.
  let inFlight: Promise<LayerEpochMetrics> | undefined;
  let t0 = performance.now();
  for await (const { index, out } of forwardLayers({ tf: ctx.tf, model: ctx.model, layers: ctx.layers, inputs: ctx.probeInputs, count: n, extractors: ctx.extractors })) {
    ctx.timings.forward += performance.now() - t0;
    if (inFlight) layerMetrics.push(await inFlight);
    inFlight = measureLayer(ctx, index, out.shape, out.data);
    inFlight.catch(() => undefined); // awaited on the next step; a failing forward pass must not leave it unhandled
    if (index === ctx.layers.length - 1) finalOutput = out;
    t0 = performance.now();
  }
  if (inFlight) layerMetrics.push(await inFlight);
  const scores = finalOutput!.data;
  const predicted = argmaxRows(scores, n, ctx.classes);
  const confusion = confusionMatrix(ctx.probeLabels, predicted, ctx.classes);
  const le = labelEntropies(confusion);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    loss -= Math.log(Math.max(scores[i * ctx.classes + ctx.probeLabels[i]], 1e-7));
    if (predicted[i] === ctx.probeLabels[i]) correct++;
  }
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  return {
    epoch,
    trainLoss: null,
    trainAccuracy: null,
    probeLoss: loss / n,
    probeAccuracy: correct / n,
    confusion,
    hLabelGivenPred: le.hLabelGivenPred.map(orNull),
    hPredGivenLabel: le.hPredGivenLabel.map(orNull),
    layers: layerMetrics,
    timingsMs: { train: 0, record: 0, ...ctx.timings },
  };
}

async function measureLayer(ctx: MeasureContext, index: number, shape: number[], data: Float32Array): Promise<LayerEpochMetrics> {
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const layer = layerActivations(shape, data);
  const n = layer.count;
  const per = layer.units * layer.channels;
  // The workers start on the inter-sample entropies (all probe inputs and each class from one
  // distance matrix) while this thread computes the channel entropies.
  const t0 = performance.now();
  const inter = ctx.pool.interSampleEntropies(data, n, per, ['all', ...ctx.probeByClass], { k: ctx.settings.k }).finally(() => {
    ctx.timings.inter += performance.now() - t0;
  });
  inter.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled
  const t1 = performance.now();
  const entropies = channelEntropies(layer, { bins: ctx.settings.bins, labels: ctx.probeLabels, classes: ctx.classes });
  const dead = deadChannels(layer);
  ctx.timings.channels += performance.now() - t1;
  const [all, ...classes] = await inter;
  return {
    layer: index,
    interSampleBits: orNull(all.entropyBits),
    interSampleBitsPerClass: classes.map((r) => orNull(r.entropyBits)),
    channelBits: entropies.all.map(orNull),
    channelBitsPerClass: (entropies.perClass ?? []).map((row) => row.map(orNull)),
    deadChannels: dead,
    nonFiniteCount: entropies.nonFiniteCount,
  };
}

/** Channels that are exactly 0 for every input (dead ReLUs). */
function deadChannels(layer: LayerActivations): number[] {
  const { channels, data } = layer;
  const alive = new Uint8Array(channels);
  let remaining = channels;
  for (let base = 0; base < data.length && remaining > 0; base += channels) {
    for (let c = 0; c < channels; c++) {
      if (!alive[c] && data[base + c] !== 0) {
        alive[c] = 1;
        remaining--;
      }
    }
  }
  const dead: number[] = [];
  for (let c = 0; c < channels; c++) if (!alive[c]) dead.push(c);
  return dead;
}
