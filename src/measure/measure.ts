/**
 * The summaries of one recorded epoch (paper 5.2–5.4): probe predictions, label entropies, and per
 * layer the channel entropies, dead channels and inter-sample entropies, from a forward pass of the
 * epoch's model. It runs on the recording thread with the compute pool (which works on one layer's
 * inter-sample entropies while the next layer is computed), or on the measurement worker with the
 * entropies on its own thread (measureWorkerClient.ts), or in two parts on both at once; the results
 * are the same.
 */
import type * as tfType from '@tensorflow/tfjs';
import {
  channelEntropies,
  type ChannelEntropySummary,
  DistanceCodes,
  distanceCodesFromMatrix,
  InterSampleResult,
  LayerValues,
  layerValues,
  predictionMeasures,
} from '../analysis';
import { EpochMetrics, LayerEpochMetrics, RunLayer, RunSettings } from '../contract/runFormat';
import { forwardLayers } from '../tfjs/forward';
import type { NativeCheckpoint } from '../native/nativeForward';
import { nativePassLayers } from '../native/nativePass';
import { labelInformationInputs, measureBinnedInformation, measureLabelInformation } from './labelInformation';
import { InterSampleEngine, subsetEntropiesFromMatrix } from './oneThreadEntropies';

export interface MeasureContext {
  tf: typeof tfType;
  /** The epoch's model on TensorFlow.js (unless `native` runs its forward pass). */
  model?: tfType.LayersModel;
  /**
   * The same checkpoint open on the native engine (a PyTorch run's ONNX file on ONNX Runtime,
   * src/native/): when given, the forward pass runs there and `model` is not read.
   */
  native?: NativeCheckpoint;
  settings: RunSettings;
  layers: RunLayer[];
  probeInputs: Float32Array;
  probeLabels: Int32Array;
  probeByClass: number[][];
  classes: number;
  /** Class scores `[n, classes]` from the last layer's values when they are not that already (classScores.ts). */
  classScores?: (finalOutput: Float32Array) => Float32Array | Float64Array;
  /**
   * Computes the inter-sample entropies: the compute pool (every core, on the recording thread), or
   * the measurement worker's own thread (one core, while the recording thread trains).
   */
  pool: InterSampleEngine;
  /** How much memory may wait in the measurement pipeline at once (`IN_FLIGHT_BYTES` when absent). */
  inFlightBytes?: number;
  /** Accumulated per epoch: forward passes, channel entropies, inter-sample entropies, label information (ms). */
  timings: { forward: number; channels: number; inter: number; labels?: number };
}

/** The run layers `first..last` of an epoch, when two threads measure one epoch in two parts. */
export interface LayerPart {
  first: number;
  last: number;
}

/**
 * Every summary of one epoch: label entropies on the probe set and per-layer entropies (paper
 * 5.2–5.4), from a forward pass of `ctx.model` on this thread. With `part`, only the layers
 * `part.first..part.last` are measured (the pass stops at `part.last`), and the label measures
 * only when the part ends with the last layer: `joinParts` puts two parts together.
 */
export async function measureEpoch(
  ctx: MeasureContext,
  epoch: number,
  inputMetrics: LayerEpochMetrics | undefined,
  part?: LayerPart,
): Promise<EpochMetrics> {
  ctx.timings = { forward: 0, channels: 0, inter: 0, labels: 0 };
  const n = ctx.probeLabels.length;
  const first = part?.first ?? 0;
  const last = part?.last ?? ctx.layers.length - 1;
  const layerMetrics: LayerEpochMetrics[] = [];
  if (first === 0)
    layerMetrics.push(
      inputMetrics ?? (await measureLayer(ctx, 0, [ctx.probeLabels.length, ...ctx.layers[0].outputShape], ctx.probeInputs)),
    );
  let finalOutput: { shape: number[]; data: Float32Array } | undefined;
  // A pipeline: while the workers compute layer l's inter-sample entropy, this thread runs the
  // forward pass of layer l + 1 and its channel entropies. Small layers go further: layer l + 1's
  // distances are handed to the workers before layer l is finished, so that they do not wait while
  // this thread completes layer l (its classes' entropies from the distances, its label
  // information). At most `IN_FLIGHT_BYTES` of layers' values and distances wait at once (and
  // always at least one layer), plus the one the forward pass is computing.
  const inFlight: { metrics: Promise<LayerEpochMetrics>; bytes: number }[] = [];
  let waitingBytes = 0;
  /** The layer measured last, whose values a Flatten, Reshape or Dropout after it repeats. */
  let previous: { data: Float32Array; metrics: Promise<LayerEpochMetrics>; giveBack?: () => void } | undefined;
  let t0 = performance.now();
  // On the native engine the pass runs on its own worker, one layer ahead, with each layer's
  // distance matrix: this thread's summaries of layer l overlap the runtime's work on layer l + 1.
  // A pass on this thread (layers too large for the worker) writes each layer into the array of one
  // measured already (src/native/layerBuffers.ts: memory mapped already, not fresh pages), given
  // back once measured and compared with the next; it closes each segment's session once it has
  // run (the epoch is the checkpoint's only pass) and runs chunks of MEASURE_CHUNK_BYTES.
  const pass: AsyncIterable<{
    index: number;
    out: { shape: number[]; data: Float32Array };
    distances?: SharedArrayBuffer;
    giveBack?: () => void;
  }> = ctx.native
    ? nativePassLayers(ctx.native, {
        inputs: ctx.probeInputs,
        count: n,
        last,
        distances: true,
        recycle: true,
        keepSessions: false,
        chunkBytes: MEASURE_CHUNK_BYTES,
      })
    : forwardLayers({ tf: ctx.tf, model: modelOf(ctx), layers: ctx.layers, inputs: ctx.probeInputs, count: n, last });
  for await (const { index, out, distances, giveBack } of pass) {
    ctx.timings.forward += performance.now() - t0;
    if (index < first) {
      t0 = performance.now();
      continue;
    }
    const bytes = pipelineBytes(out.data.length, n);
    while (inFlight.length && waitingBytes + bytes > (ctx.inFlightBytes ?? IN_FLIGHT_BYTES)) {
      const oldest = inFlight.shift()!;
      waitingBytes -= oldest.bytes;
      layerMetrics.push(await oldest.metrics);
    }
    const metrics =
      previous && sameValues(previous.data, out.data)
        ? measureRepeatedLayer(ctx, index, out.shape, out.data, previous.metrics)
        : measureLayer(ctx, index, out.shape, out.data, distances);
    metrics.catch(() => undefined); // awaited below; a failing forward pass must not leave it unhandled
    inFlight.push({ metrics, bytes });
    waitingBytes += bytes;
    if (previous?.giveBack) {
      // Its summaries read its values until they are done; after a failure the epoch fails, and the array is left alone.
      const back = previous.giveBack;
      previous.metrics.then(back, () => undefined);
    }
    // The class scores are read after the pass: the last layer is not given back.
    previous = { data: out.data, metrics, ...(giveBack && index !== ctx.layers.length - 1 ? { giveBack } : {}) };
    if (index === ctx.layers.length - 1) finalOutput = out;
    t0 = performance.now();
  }
  for (const { metrics } of inFlight) layerMetrics.push(await metrics);
  if (!finalOutput) {
    // The label measures are the other part's (joinParts).
    return {
      epoch,
      trainLoss: null,
      trainAccuracy: null,
      probeLoss: null,
      probeAccuracy: 0,
      confusion: [],
      hLabelGivenPred: [],
      hPredGivenLabel: [],
      layers: layerMetrics,
      timingsMs: { train: 0, record: 0, ...ctx.timings },
    };
  }
  const scores = ctx.classScores?.(finalOutput.data) ?? finalOutput.data;
  const measured = predictionMeasures(scores, ctx.probeLabels, ctx.classes);
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  return {
    epoch,
    trainLoss: null,
    trainAccuracy: null,
    probeLoss: measured.loss ?? null,
    probeAccuracy: measured.accuracy,
    confusion: measured.confusion,
    hLabelGivenPred: measured.hLabelGivenPred.map(orNull),
    hPredGivenLabel: measured.hPredGivenLabel.map(orNull),
    layers: layerMetrics,
    timingsMs: { train: 0, record: 0, ...ctx.timings },
  };
}

function modelOf(ctx: MeasureContext): tfType.LayersModel {
  if (!ctx.model) throw new Error('measureEpoch: neither a TensorFlow.js model nor a native checkpoint to run');
  return ctx.model;
}

/**
 * The summaries of the input layer (layer 0), which are the same at every epoch: the measurement
 * worker computes them as soon as it has the probe set, before epoch 0's checkpoint arrives.
 */
export function measureInputLayer(ctx: Omit<MeasureContext, 'model'>): Promise<LayerEpochMetrics> {
  return measureLayer(ctx, 0, [ctx.probeLabels.length, ...ctx.layers[0].outputShape], ctx.probeInputs);
}

async function measureLayer(
  ctx: Omit<MeasureContext, 'model'>,
  index: number,
  shape: number[],
  data: Float32Array,
  distances?: SharedArrayBuffer,
): Promise<LayerEpochMetrics> {
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const layer = layerValues(shape, data, ctx.layers[index].dataFormat);
  const n = layer.count;
  const per = layer.units * layer.channels;
  // The workers start on the inter-sample entropies (all probe inputs and each class from one
  // distance matrix) while this thread computes the channel entropies.
  const interEnds = interClock(ctx.timings);
  // The label information and the classes' inter-sample entropies reuse the pair distances of
  // all probe inputs' inter-sample entropy (same samples). The classes' are computed here from the
  // matrix, with the compute workers' own code: 50 rows each are less work than the round trip of
  // a pool stage per class.
  let codes: DistanceCodes | undefined;
  let matrix: Float64Array | undefined;
  const onDistances = (distances: Float64Array) => {
    matrix = distances;
    codes = distanceCodesFromMatrix(distances, n, ctx.settings.bins);
  };
  const inter = ctx.pool
    .interSampleEntropies(data, n, per, ['all'], { k: ctx.settings.k, onDistances, distances })
    .then(async ([all]) => [
      all,
      ...(matrix
        ? subsetEntropiesFromMatrix(matrix, n, ctx.probeByClass, ctx.settings.k, all)
        : await ctx.pool.interSampleEntropies(data, n, per, ctx.probeByClass, { k: ctx.settings.k })),
    ])
    .finally(() => {
      interEnds();
    });
  inter.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled
  const t1 = performance.now();
  const { entropies, dead } = await layerChannelEntropies(ctx, layer);
  ctx.timings.channels += performance.now() - t1;
  // The binned information needs no distances: it too runs while the workers compute them. Its
  // range is the one the channel entropies found on the way (no pass of its own over the layer).
  let t2 = performance.now();
  const binned = measureBinnedInformation(layer, ctx.probeLabels, entropies.range);
  let labelsMs = performance.now() - t2;
  const [all, ...classes] = await inter;
  matrix = undefined;
  t2 = performance.now();
  const labelInputs = labelInformationInputs({ ...ctx, inputShape: ctx.layers[0].outputShape, bins: ctx.settings.bins });
  const labelInformation = measureLabelInformation(layer, labelInputs, codes, binned);
  labelsMs += performance.now() - t2;
  ctx.timings.labels = (ctx.timings.labels ?? 0) + labelsMs;
  return {
    layer: index,
    interSampleBits: orNull(all.entropyBits),
    interSampleBitsPerClass: classes.map((r) => orNull(r.entropyBits)),
    ...interSampleReasons(all, classes),
    channelBits: entropies.all.map(orNull),
    channelBitsPerClass: (entropies.perClass ?? []).map((row) => row.map(orNull)),
    deadChannels: dead,
    nonFiniteCount: entropies.nonFiniteCount,
    ...labelInformation,
  };
}

/**
 * Why the layer's inter-sample entropies are undefined, where they are (run-format.md): the fields
 * are left out when every value is a number, so the metrics of a usual layer stay as they were.
 */
function interSampleReasons(
  all: InterSampleResult,
  classes: readonly InterSampleResult[],
): Pick<LayerEpochMetrics, 'interSampleUndefined' | 'interSampleUndefinedPerClass'> {
  const reason = (r: InterSampleResult) =>
    r.entropyBits === undefined || Number.isNaN(r.entropyBits) ? (r.undefinedReason ?? null) : null;
  const perClass = classes.map(reason);
  const here = reason(all);
  return {
    ...(here ? { interSampleUndefined: here } : {}),
    ...(perClass.some((r) => r !== null) ? { interSampleUndefinedPerClass: perClass } : {}),
  };
}

/** Per epoch's timings: how many layers' inter-sample entropies are running, and since when. */
const interRunning = new WeakMap<MeasureContext['timings'], { count: number; since: number }>();

/**
 * Starts timing one layer's inter-sample entropies and returns the function that ends it. Layers
 * overlap in the pipeline, so `timings.inter` adds up the time during which at least one runs.
 */
function interClock(timings: MeasureContext['timings']): () => void {
  const running = interRunning.get(timings) ?? { count: 0, since: 0 };
  interRunning.set(timings, running);
  if (running.count++ === 0) running.since = performance.now();
  return () => {
    if (--running.count === 0) timings.inter += performance.now() - running.since;
  };
}

/**
 * Bytes of the largest layer's output per chunk of inputs of a native pass on the measuring thread
 * (nativeForward.ts `chunkBytes`; 64 MB elsewhere): the runtime's working memory follows it.
 * torchvision's ResNet-50 at 224×224, probe 100, runs chunks of 5 inputs rather than 20: 1,374 MB
 * peak against 1,487 MB at about the same CPU time, room for the arrays the pass recycles.
 */
export const MEASURE_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * How much memory may wait in the measurement pipeline at once (`measureEpoch`): 64 MB holds
 * several LeNet layers of 500 probe inputs (the largest is 9 MB of values and 4 MB of distances)
 * but not a second 32×32×32 CIFAR layer of 1,000 inputs (131 MB), which is measured one at a time
 * as before, so the peak memory of a recording stays where it was.
 */
export const IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/**
 * The memory a layer of `values` float32 values over `n` inputs holds while it is measured: its
 * values, their shared copy for the workers, and the n × n float64 distances with the copy the
 * label information reads.
 */
export function pipelineBytes(values: number, n: number): number {
  return 2 * values * 4 + 2 * n * n * 8;
}

/** Whether two layers hold the same values, bit for bit, in the same order. */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

/**
 * A layer whose values are those of the layer before it, in the same order (a Flatten, a Reshape,
 * a Dropout at inference): every summary that reads the inputs as vectors — the inter-sample
 * entropies, the label information, the binned information — is the earlier layer's, the same
 * numbers `measureLayer` would compute again from the same values; only the per-channel ones,
 * whose channels differ with the shape, are computed.
 */
async function measureRepeatedLayer(
  ctx: MeasureContext,
  index: number,
  shape: number[],
  data: Float32Array,
  same: Promise<LayerEpochMetrics>,
): Promise<LayerEpochMetrics> {
  const orNull = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
  const layer = layerValues(shape, data, ctx.layers[index].dataFormat);
  const t1 = performance.now();
  const { entropies, dead } = await layerChannelEntropies(ctx, layer);
  ctx.timings.channels += performance.now() - t1;
  const earlier = await same;
  return {
    layer: index,
    interSampleBits: earlier.interSampleBits,
    interSampleBitsPerClass: [...earlier.interSampleBitsPerClass],
    ...(earlier.interSampleUndefined ? { interSampleUndefined: earlier.interSampleUndefined } : {}),
    ...(earlier.interSampleUndefinedPerClass ? { interSampleUndefinedPerClass: [...earlier.interSampleUndefinedPerClass] } : {}),
    channelBits: entropies.all.map(orNull),
    channelBitsPerClass: (entropies.perClass ?? []).map((row) => row.map(orNull)),
    deadChannels: dead,
    nonFiniteCount: entropies.nonFiniteCount,
    labelInformationBits: earlier.labelInformationBits,
    inputCapacityBits: earlier.inputCapacityBits,
    ...(earlier.binnedInformation ? { binnedInformation: { ...earlier.binnedInformation } } : {}),
  };
}

/**
 * The layer's channel entropies and dead channels. A layer in shared memory (the native pass on
 * this thread writes its layers there, nativePass.ts) has its feature maps' entropies computed by
 * the compute workers where it lies, the same table bit for bit, while this thread finds the dead
 * channels and serves the inter-sample entropy's Gram products: a deep model's channel entropies
 * would otherwise take one core while the other waits.
 */
async function layerChannelEntropies(
  ctx: Omit<MeasureContext, 'model'>,
  layer: LayerValues,
): Promise<{ entropies: ChannelEntropySummary; dead: number[] }> {
  const bins = ctx.settings.bins;
  const table = ctx.pool.takesFeatureMaps?.(layer) ? ctx.pool.featureMapEntropies?.(layer, bins) : undefined;
  const dead = deadChannels(layer);
  const entropies = channelEntropies(layer, { bins, labels: ctx.probeLabels, classes: ctx.classes, table: await table });
  return { entropies, dead };
}

/** Channels that are exactly 0 for every input (dead ReLUs), read in the layer's own layout. */
export function deadChannels(layer: LayerValues): number[] {
  const { count, units, channels, data } = layer;
  const alive = new Uint8Array(channels);
  let remaining = channels;
  if (layer.channelsFirst) {
    // Each feature map is contiguous: a channel is alive at its first map with a value that is not 0.
    for (let c = 0; c < channels; c++) {
      for (let n = 0; n < count && !alive[c]; n++) {
        const from = (n * channels + c) * units;
        for (let p = from; p < from + units; p++) {
          if (data[p] !== 0) {
            alive[c] = 1;
            break;
          }
        }
      }
    }
  } else {
    for (let base = 0; base < data.length && remaining > 0; base += channels) {
      for (let c = 0; c < channels; c++) {
        if (!alive[c] && data[base + c] !== 0) {
          alive[c] = 1;
          remaining--;
        }
      }
    }
  }
  const dead: number[] = [];
  for (let c = 0; c < channels; c++) if (!alive[c]) dead.push(c);
  return dead;
}

/**
 * One epoch's summaries from two parts measured at once (`measureEpoch` with `part`): the layers of
 * `early` then `late`'s, the label measures of `late` (which ends with the last layer), and each
 * phase's time summed over both threads.
 */
export function joinParts(early: EpochMetrics, late: EpochMetrics): EpochMetrics {
  const sum = (key: 'forward' | 'channels' | 'inter' | 'labels') => (early.timingsMs[key] ?? 0) + (late.timingsMs[key] ?? 0);
  return {
    ...late,
    layers: [...early.layers, ...late.layers],
    timingsMs: { train: 0, record: 0, forward: sum('forward'), channels: sum('channels'), inter: sum('inter'), labels: sum('labels') },
  };
}

/**
 * Where to cut an epoch's layers 1..L between two threads so that each has about half the work:
 * the first part is 1..cut, the second cut + 1..L. A layer's work is the compute pool's own
 * estimate (pair distances over its values, plus the neighbour search), per probe input.
 * Undefined with fewer than two layers to share.
 */
export function splitLayers(layers: readonly RunLayer[], n: number, k: number): number | undefined {
  const L = layers.length - 1;
  if (L < 2) return undefined;
  const K = Math.min(k, n - 1);
  const work = layers.map((l) => n * l.outputShape.reduce((a, b) => a * b, 1) + 100 * K);
  const total = work.slice(1).reduce((a, b) => a + b, 0);
  let best = 1;
  let bestMax = Infinity;
  for (let cut = 1, early = 0; cut < L; cut++) {
    early += work[cut];
    const max = Math.max(early, total - early);
    if (max < bestMax) {
      bestMax = max;
      best = cut;
    }
  }
  return best;
}
