/**
 * Values in shared memory for the compute workers (src/compute/pool.ts), so that they read them
 * without a copy: samples as they are, and a layer channels first, so that a worker reads each
 * channel as one slice (the pool shares a layer once, and the workers take its channels apart).
 */
import { channelsLast, type LayerActivations, type LayerValues, type SampleArray } from '../analysis';
import type { SharedLayer, SharedSamples } from '../contract/protocols/compute';

/** A float32 or float64 array in shared memory, so workers read it without a copy. */
export function sharedArray(length: number, float32: boolean): SampleArray {
  return float32 ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float64Array(new SharedArrayBuffer(length * 8));
}

/** Describes samples that already live in a whole SharedArrayBuffer. */
export function sharedSamples(data: SampleArray, n: number, d: number): SharedSamples {
  return { n, d, type: data instanceof Float32Array ? 'float32' : 'float64', data: data.buffer as SharedArrayBuffer };
}

/**
 * Samples described by their count alone (no values): for a stage that reads their distance matrix
 * only (`interSampleRows` with `matrix`), when the matrix was computed without sharing them.
 */
export function countOnlySamples(n: number): SharedSamples {
  return { n, d: 0, type: 'float32', data: new SharedArrayBuffer(0) };
}

/**
 * Which inputs (rows, ascending or not) and channels of a layer to share, in that order: all of
 * each when not given. Taking them while sharing spares the layer two copies (the rows of a subset
 * of the probe set, then the channels a query asks for) before the transpose.
 */
export interface LayerSelection {
  rows?: readonly number[];
  channels?: readonly number[];
}

/** The inputs and channels of `layer` that `select` takes. */
export function selectedSize(layer: Pick<LayerValues, 'count' | 'channels'>, select?: LayerSelection): { count: number; channels: number } {
  return { count: select?.rows?.length ?? layer.count, channels: select?.channels?.length ?? layer.channels };
}

/**
 * `layer` (the rows and channels `select` takes) copied into `buffer` (of its size), channels
 * first when it has several. Float32 layers (activations) are read straight from the layer, one
 * input's block at a time (it stays in the cache while its channels are read out); others through
 * a copy of the selection and a plain transpose.
 */
export function shareLayer(layer: LayerActivations | LayerValues, buffer: SharedArrayBuffer, select?: LayerSelection): SharedLayer {
  if (layer.channelsFirst) {
    // A PyTorch layer as the model wrote it: each feature map is one slice already, copied whole.
    if (layer.data instanceof Float32Array) return shareChannelsFirst32(layer.data, buffer, layer, select);
    return shareLayer(channelsLast(layer), buffer, select);
  }
  const { count, units, channels, data } = layer;
  const { rows, picked } = checkedSelection(layer, select);
  const whole = !select?.rows && !select?.channels;
  if (whole && channels === 1) {
    (data instanceof Float32Array ? new Float32Array(buffer, 0, data.length) : new Float64Array(buffer, 0, data.length)).set(data);
    return { count, units, channels, type: data instanceof Float32Array ? 'float32' : 'float64', data: buffer };
  }
  if (data instanceof Float32Array) return shareFloat32(data, buffer, units, channels, rows, picked);
  if (!whole) {
    const values = new Float64Array(rows.length * units * picked.length);
    for (let k = 0, o = 0; k < rows.length; k++)
      for (let u = 0, at = rows[k] * units * channels; u < units; u++, at += channels) for (const c of picked) values[o++] = data[at + c];
    return shareLayer({ count: rows.length, units, channels: picked.length, data: values }, buffer);
  }
  transposeChannels(data, new Float64Array(buffer, 0, data.length), count * units, channels);
  return { count, units, channels, type: 'float64', data: buffer, channelsFirst: true };
}

/**
 * The inputs and channels `select` takes of `layer`, written out (every one when not given);
 * a RangeError names the first that the layer does not have.
 */
export function checkedSelection(
  layer: Pick<LayerValues, 'count' | 'channels'>,
  select?: LayerSelection,
): { rows: number[]; picked: number[] } {
  const { count, channels } = layer;
  if (select?.rows)
    for (const r of select.rows)
      if (!(Number.isInteger(r) && r >= 0 && r < count)) throw new RangeError(`input ${r} is not among the layer's ${count}`);
  if (select?.channels)
    for (const c of select.channels)
      if (!(Number.isInteger(c) && c >= 0 && c < channels)) throw new RangeError(`channel ${c} is not among the layer's ${channels}`);
  return {
    rows: select?.rows ? [...select.rows] : Array.from({ length: count }, (_, i) => i),
    picked: select?.channels ? [...select.channels] : Array.from({ length: channels }, (_, c) => c),
  };
}

/** `[rows, channels]` into `[channels, rows]`, in blocks of rows so that both sides stay in the cache. */
function transposeChannels(data: ArrayLike<number>, out: Float64Array, rows: number, channels: number): void {
  const BLOCK = 64;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c = 0; c < channels; c++) {
      const base = c * rows;
      for (let r = r0, src = r0 * channels + c; r < r1; r++, src += channels) out[base + r] = data[src];
    }
  }
}

/**
 * The rows and channels `select` takes of float32 channels-first `[inputs, channels, units]` data
 * into `buffer` as the workers read a layer, channel after channel (`[channels, rows, units]`):
 * one feature map a copy. The same values, in the same places, as the channels-last copy of the
 * layer shared with {@link shareFloat32}.
 */
function shareChannelsFirst32(data: Float32Array, buffer: SharedArrayBuffer, layer: LayerValues, select?: LayerSelection): SharedLayer {
  const { units, channels: all } = layer;
  const { rows, picked } = checkedSelection(layer, select);
  const count = rows.length;
  const channels = picked.length;
  const out = new Float32Array(buffer, 0, count * units * channels);
  for (let j = 0; j < channels; j++)
    for (let k = 0; k < count; k++) {
      const from = (rows[k] * all + picked[j]) * units;
      out.set(data.subarray(from, from + units), (j * count + k) * units);
    }
  return channels === 1
    ? { count, units, channels: 1, type: 'float32', data: buffer }
    : { count, units, channels, type: 'float32', data: buffer, channelsFirst: true };
}

/**
 * The inputs `rows` and channels `picked` of float32 `[inputs, units, all]` data into `buffer`,
 * channels first ({@link gatherChannels32}).
 */
function shareFloat32(
  data: Float32Array,
  buffer: SharedArrayBuffer,
  units: number,
  all: number,
  rows: readonly number[],
  picked: readonly number[],
): SharedLayer {
  const count = rows.length;
  const channels = picked.length;
  gatherChannels32(data, units, all, rows, picked, 0, channels, new Float32Array(buffer, 0, count * units * channels));
  return channels === 1
    ? { count, units, channels: 1, type: 'float32', data: buffer }
    : { count, units, channels, type: 'float32', data: buffer, channelsFirst: true };
}

/**
 * Channels `picked[j0 .. j1)` of the inputs `rows` of float32 channels-last `[inputs, units, all]`
 * data into `out`, channels first (`(j1 − j0) × rows.length × units`: channel `picked[j]`'s matrix
 * at `(j − j0) · rows.length · units`), one input's block at a time (it stays in the cache while
 * its channels are read out); four channels a trip where they run on (all of them, when not
 * picked): a 500 × 16 × 16 × 64 layer in 12 ms where one channel a trip took 19. The pool copies a
 * whole layer this way (`shareLayer`); a compute worker takes the channels it claims of a layer
 * already in shared memory (SharedLayer `gather`).
 */
export function gatherChannels32(
  data: Float32Array,
  units: number,
  all: number,
  rows: readonly number[],
  picked: readonly number[],
  j0: number,
  j1: number,
  out: Float32Array,
): void {
  const count = rows.length;
  const total = count * units;
  for (let k = 0; k < count; k++) {
    const from = rows[k] * units * all;
    const to = k * units - j0 * total;
    let j = j0;
    for (; j + 3 < j1 && runsOn(picked, j); j += 4) {
      const b0 = j * total + to;
      for (let u = 0, src = from + picked[j]; u < units; u++, src += all) {
        out[b0 + u] = data[src];
        out[b0 + total + u] = data[src + 1];
        out[b0 + 2 * total + u] = data[src + 2];
        out[b0 + 3 * total + u] = data[src + 3];
      }
    }
    for (; j < j1; j++) {
      const base = j * total + to;
      for (let u = 0, src = from + picked[j]; u < units; u++, src += all) out[base + u] = data[src];
    }
  }
}

/** Whether the picked channels `j … j + 3` are four channels side by side. */
function runsOn(picked: readonly number[], j: number): boolean {
  const c = picked[j];
  return picked[j + 1] === c + 1 && picked[j + 2] === c + 2 && picked[j + 3] === c + 3;
}
