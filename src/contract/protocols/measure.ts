/**
 * The requests to the measurement worker (measureWorker.ts), which measures an epoch's checkpoint on
 * one core while the recorder's thread trains the next epoch: `start` as soon as the recorder's
 * backend is up (the worker loads its own meanwhile), `setup` once per recording (the probe set and
 * what every epoch's measurement shares), then `epoch` per checkpoint. The probe inputs and
 * the weights travel in SharedArrayBuffers; the rest are small. Both ends are this package's own
 * code in one process, so the schemas check the shapes of the messages, not every field of a run's
 * metrics (src/contract/runFormat.ts validates those when a run is read).
 */
import * as v from 'valibot';
import { defineRequest, ParamsIn } from '../messages';
import { TFJS_BACKEND_NAMES } from '../recordSettings';
import type { EpochMetrics, LayerEpochMetrics, RunLayer, RunSettings } from '../runFormat';

const Count = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const Shared = v.instance(SharedArrayBuffer, 'must be a SharedArrayBuffer');
const isObject = (x: unknown) => typeof x === 'object' && x !== null;

/** Starts the worker's backend, before the recording knows its probe set (the recorder asks as soon as its own backend is up). */
export const measureStart = defineRequest('measure/start', {
  params: v.object({ backend: v.picklist(TFJS_BACKEND_NAMES) }),
  result: v.object({}),
});

export const measureSetup = defineRequest('measure/setup', {
  params: v.object({
    backend: v.picklist(TFJS_BACKEND_NAMES),
    layers: v.pipe(
      v.custom<RunLayer[]>((x) => Array.isArray(x) && x.every(isObject), 'must be the run layer table'),
      v.check((layers) => layers.length > 0, 'the layer table is empty'),
    ),
    /** Float32 probe inputs `[count, ...inputShape]`. */
    inputs: Shared,
    labels: v.custom<Int32Array>((x) => x instanceof Int32Array, 'must be an Int32Array'),
    byClass: v.array(v.array(Count)),
    classes: Count,
    /** The classification output's kind and values per input (src/measure/classScores.ts `classScoresOf`). */
    output: v.object({ kind: v.picklist(['softmax', 'logits', 'binary', 'none']), units: Count }),
    /** The run's settings (the estimators' bins and k). */
    settings: v.custom<RunSettings>(isObject, 'must be the run settings'),
  }),
  result: v.object({}),
});

export const measureCheckpoint = defineRequest('measure/epoch', {
  params: v.object({
    epoch: Count,
    /** model.json's text and weights.bin's bytes, as src/recorder/checkpoint.ts serialises them. */
    modelJson: v.string(),
    weights: Shared,
    /** The input layer's metrics when already measured (they do not change with the epoch). */
    inputMetrics: v.optional(v.custom<LayerEpochMetrics>(isObject, 'must be a layer metrics object')),
    /** Measure only these run layers (src/measure/measure.ts `LayerPart`), when the recording thread measures the others. */
    part: v.optional(v.object({ first: Count, last: Count })),
  }),
  result: v.object({ metrics: v.custom<EpochMetrics>(isObject, 'must be an epoch metrics object') }),
});

export type MeasureSetup = ParamsIn<typeof measureSetup>;
