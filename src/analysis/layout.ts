/**
 * How a layer output of the hypercube `dCNN(x, l, c, t)` is laid out in memory (paper 4.2;
 * estimators.md "Notation"). TensorFlow.js is channels-last: channel `c` of input `n` of an
 * `[N, H, W, C]` output is the `H×W` slice `[n, :, :, c]`; a dense or flatten output `[N, U]` is
 * one channel of `U` units.
 *
 * A channels-first layer (`dataFormat: 'channelsFirst'`, an output `[N, C, H, W]`) is measured on
 * its real channel axis: {@link layerActivations} moves that axis last once, so every estimator
 * reads the layout above.
 */

/** Where a layer's channel axis is: last (TensorFlow.js's default) or first after the batch. */
export type DataFormat = 'channelsLast' | 'channelsFirst';

/**
 * The channels of a layer output shape (without batch): the last axis (the first with
 * `dataFormat` 'channelsFirst'), 1 for a vector.
 */
export function channelsOf(outputShape: readonly number[], dataFormat?: DataFormat): number {
  if (outputShape.length < 2) return 1;
  return dataFormat === 'channelsFirst' ? outputShape[0] : outputShape[outputShape.length - 1];
}

/**
 * The values in one channel of a layer output shape (without batch): the product of the spatial
 * axes (`shape.slice(1)` channels first, `shape.slice(0, -1)` channels last), and a vector's width
 * (one channel of `shape[0]` units).
 */
export function unitsPerChannelOf(outputShape: readonly number[], dataFormat?: DataFormat): number {
  if (outputShape.length === 0) return 0;
  if (outputShape.length === 1) return outputShape[0];
  const spatial = dataFormat === 'channelsFirst' ? outputShape.slice(1) : outputShape.slice(0, -1);
  return spatial.reduce((a, b) => a * b, 1);
}

/** A batch of layer outputs: element (n, p, c) sits at `((n * units) + p) * channels + c`. */
export interface LayerActivations {
  /** Number of inputs `N`. */
  readonly count: number;
  /** Units per channel (`H·W`, or `U` for a dense output). */
  readonly units: number;
  /** Channels `C` (1 for a dense output). */
  readonly channels: number;
  readonly data: ArrayLike<number>;
}

/**
 * Interprets an array of shape `[N, U]` (one channel of U units) or `[N, ..., C]` (rank ≥ 3,
 * channels last, every middle axis is spatial) as layer activations. With `dataFormat`
 * 'channelsFirst' a rank ≥ 3 shape is `[N, C, ...]`: its values are copied once into the
 * channels-last order (same type: Float32Array stays float32). Throws a RangeError naming the
 * shape when it does not fit the data.
 */
export function layerActivations(
  shape: readonly number[],
  data: ArrayLike<number>,
  dataFormat: DataFormat = 'channelsLast',
): LayerActivations {
  if (dataFormat === 'channelsFirst' && shape.length >= 3) {
    const moved = [shape[0], ...shape.slice(2), shape[1]];
    const layer = layerActivations(moved, data);
    return { ...layer, data: channelsLastCopy(layer, data) };
  }
  if (shape.length < 2) {
    throw new RangeError(`layer outputs need shape [N, U] or [N, H, W, C]; got [${shape.join(', ')}]`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`shape [${shape.join(', ')}] has an invalid dimension ${d}`);
  }
  const count = shape[0];
  const channels = shape.length === 2 ? 1 : shape[shape.length - 1];
  const units = shape.length === 2 ? shape[1] : shape.slice(1, -1).reduce((a, b) => a * b, 1);
  if (count * units * channels !== data.length) {
    throw new RangeError(`shape [${shape.join(', ')}] needs ${count * units * channels} values, the data has ${data.length}`);
  }
  return { count, units, channels, data };
}

/**
 * Copies channel `c` of every input into a row-major `[N, units]` matrix (float64), the form the
 * distance-based estimators take. Channel count 1 returns the data as rows unchanged (copied).
 */
export function channelMatrix(layer: LayerActivations, c: number): Float64Array {
  const { count, units, channels, data } = layer;
  if (!Number.isInteger(c) || c < 0 || c >= channels) throw new RangeError(`channel ${c} is out of range 0..${channels - 1}`);
  const out = new Float64Array(count * units);
  const total = count * units;
  for (let i = 0, src = c; i < total; i++, src += channels) out[i] = data[src];
  return out;
}

/**
 * Channels-last values `[count, units, channels]` copied into the order `[count, channels, units]`
 * (a channels-first layer's own layout, which its model reads): the inverse of what
 * {@link layerActivations} does to a channels-first layer.
 */
export function channelsFirstCopy(data: Float32Array, count: number, units: number, channels: number): Float32Array {
  const out = new Float32Array(data.length);
  const block = units * channels;
  for (let n = 0; n < count; n++) {
    const base = n * block;
    for (let p = 0; p < units; p++)
      for (let c = 0, from = base + p * channels; c < channels; c++) out[base + c * units + p] = data[from + c];
  }
  return out;
}

function channelsLastCopy(layer: LayerActivations, data: ArrayLike<number>): Float32Array | Float64Array {
  return channelsLastValues(data, layer.count, layer.units, layer.channels);
}

/**
 * Channels-first values `[count, channels, units]` copied into the order `[count, units, channels]`
 * (float32 stays float32): the inverse of {@link channelsFirstCopy}.
 */
export function channelsLastValues(data: ArrayLike<number>, count: number, units: number, channels: number): Float32Array | Float64Array {
  const out = data instanceof Float32Array ? new Float32Array(data.length) : new Float64Array(data.length);
  const block = units * channels;
  for (let n = 0; n < count; n++) {
    const base = n * block;
    for (let c = 0; c < channels; c++) {
      const from = base + c * units;
      for (let p = 0, to = base + c; p < units; p++, to += channels) out[to] = data[from + p];
    }
  }
  return out;
}
