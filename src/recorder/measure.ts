/**
 * The summaries of one recorded epoch (paper 5.2–5.4): probe predictions, label entropies, and per
 * layer the channel entropies, dead channels and inter-sample entropies. The layers' activations
 * come from a forward pass on this thread, or from the forward-pass worker while this thread
 * trains the next epoch (checkpointForward.ts); either way the compute pool works on one layer's
 * inter-sample entropies while the next layer is computed, and the results are the same.
 */
import type * as tfType from '@tensorflow/tfjs';
import {
  argmaxRows,
  channelEntropies,
  confusionMatrix,
  DistanceCodes,
  distanceCodesFromMatrix,
  labelEntropies,
  layerActivations,
  LayerActivations,
} from '../analysis';
import { EpochMetrics, LayerEpochMetrics, RunLayer, RunSettings } from '../run/format';
import { Activations, forwardLayers } from '../tfjs/forward';
import { labelInformationInputs, measureBinnedInformation, measureLabelInformation } from './labelInformation';
import { InterSampleEngine, subsetEntropiesFromMatrix } from './oneThreadEntropies';

export interface MeasureContext {
  tf: typeof tfType;
  model: tfType.LayersModel;
  settings: RunSettings;
  layers: RunLayer[];
  probeInputs: Float32Array;
  probeLabels: Int32Array;
  probeByClass: number[][];
  classes: number;
  /** Class scores `[n, classes]` from the last layer's values when they are not that already (src/recorder/outputs.ts). */
  classScores?: (finalOutput: Float32Array) => Float32Array;
  /**
   * Computes the inter-sample entropies: the compute pool (every core, on the recording thread), or
   * the measurement worker's own thread (one core, while the recording thread trains).
   */
  pool: InterSampleEngine;
  /** Accumulated per epoch: forward passes, channel entropies, inter-sample entropies, label information (ms). */
  timings: { forward: number; channels: number; inter: number; labels?: number };
}

/** A forward pass's layers 1.. of the probe set, in order (src/tfjs/forward.ts `forwardLayers`). */
export type LayerPass = AsyncIterable<{ index: number; out: Activations }>;

/**
 * Every summary of one epoch: label entropies on the probe set and per-layer entropies (paper
 * 5.2–5.4). The activations are `pass`'s, or by default a forward pass of `ctx.model` on this thread.
 */
export async function measureEpoch(
  ctx: MeasureContext,
  epoch: number,
  inputMetrics: LayerEpochMetrics | undefined,
  pass?: LayerPass,
): Promise<EpochMetrics> {
  ctx.timings = { forward: 0, channels: 0, inter: 0, labels: 0 };
  const n = ctx.probeLabels.length;
  const layerMetrics: LayerEpochMetrics[] = [
    inputMetrics ?? (await measureLayer(ctx, 0, [ctx.probeLabels.length, ...ctx.layers[0].outputShape], ctx.probeInputs)),
  ];
  let finalOutput: { shape: number[]; data: Float32Array } | undefined;
  // A two-stage pipeline: while the workers compute layer l's inter-sample entropy, this thread
  // runs the forward pass of layer l + 1. At most two layers' activations are alive at once.
  let inFlight: Promise<LayerEpochMetrics> | undefined;
  let t0 = performance.now();
  for await (const { index, out } of pass ??
    forwardLayers({
      tf: ctx.tf,
      model: ctx.model,
      layers: ctx.layers,
      inputs: ctx.probeInputs,
      count: n,
    })) {
    ctx.timings.forward += performance.now() - t0;
    if (inFlight) layerMetrics.push(await inFlight);
    inFlight = measureLayer(ctx, index, out.shape, out.data);
    inFlight.catch(() => undefined); // awaited on the next step; a failing forward pass must not leave it unhandled
    if (index === ctx.layers.length - 1) finalOutput = out;
    t0 = performance.now();
  }
  if (inFlight) layerMetrics.push(await inFlight);
  const scores = ctx.classScores?.(finalOutput!.data) ?? finalOutput!.data;
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
    .interSampleEntropies(data, n, per, ['all'], { k: ctx.settings.k, onDistances })
    .then(async ([all]) => [
      all,
      ...(matrix
        ? subsetEntropiesFromMatrix(matrix, n, ctx.probeByClass, ctx.settings.k, all)
        : await ctx.pool.interSampleEntropies(data, n, per, ctx.probeByClass, { k: ctx.settings.k })),
    ])
    .finally(() => {
      ctx.timings.inter += performance.now() - t0;
    });
  inter.catch(() => undefined); // awaited below; this only keeps an early throw from leaving it unhandled
  const t1 = performance.now();
  const entropies = channelEntropies(layer, { bins: ctx.settings.bins, labels: ctx.probeLabels, classes: ctx.classes });
  const dead = deadChannels(layer);
  ctx.timings.channels += performance.now() - t1;
  // The binned information needs no distances: it too runs while the workers compute them.
  let t2 = performance.now();
  const binned = measureBinnedInformation(layer, ctx.probeLabels);
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
    channelBits: entropies.all.map(orNull),
    channelBitsPerClass: (entropies.perClass ?? []).map((row) => row.map(orNull)),
    deadChannels: dead,
    nonFiniteCount: entropies.nonFiniteCount,
    ...labelInformation,
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
