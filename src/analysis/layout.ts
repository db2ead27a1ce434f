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

/** Whether the channel axis of a layer output shape (without batch) is its first: `dataFormat` 'channelsFirst' and not a vector. */
export function isChannelsFirst(outputShape: readonly number[], dataFormat?: DataFormat): boolean {
  return dataFormat === 'channelsFirst' && outputShape.length >= 2;
}

/**
 * The spatial axes of a layer output shape (without batch): every axis but the channel axis (the
 * last, or the first with `dataFormat` 'channelsFirst'); for a vector `[U]`, `[U]` (one channel of
 * all its units).
 */
export function spatialAxesOf(outputShape: readonly number[], dataFormat?: DataFormat): number[] {
  if (outputShape.length < 2) return [...outputShape];
  return isChannelsFirst(outputShape, dataFormat) ? outputShape.slice(1) : outputShape.slice(0, -1);
}

/**
 * The values one channel holds for one input: the product of the spatial axes ({@link spatialAxesOf};
 * `H·W` of a `[C, H, W]` or `[H, W, C]` map, 1 of a `[C, 1, 1]` map), all `U` units of a vector `[U]`.
 * An unknown (negative) axis counts as 1. A channel of one value has an intra-sample entropy of 0 by
 * construction: that says nothing about the channel being constant.
 */
export function unitsPerChannelOf(outputShape: readonly number[], dataFormat?: DataFormat): number {
  return spatialAxesOf(outputShape, dataFormat).reduce((a, b) => a * Math.max(b, 1), 1);
}

/**
 * What an ablation or a gate removes one at a time in a layer (without batch): a map's channels
 * ({@link channelsOf}), a vector's units (each a "channel" of one value); `first` when the model's
 * own layout has them on axis 1 (channels first).
 */
export function removableAxisOf(outputShape: readonly number[], dataFormat?: DataFormat): { channels: number; first: boolean } {
  const first = isChannelsFirst(outputShape, dataFormat);
  return { channels: outputShape.length < 2 ? (outputShape[0] ?? 1) : channelsOf(outputShape, dataFormat), first };
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
  /**
   * Always channels last. (The field keeps a {@link LayerValues} of a channels-first layer from
   * being passed where channels-last values are read: `boolean` does not fit `false`.)
   */
  readonly channelsFirst?: false;
}

/**
 * A batch of layer outputs in the model's own layout, not copied: channels last as
 * {@link LayerActivations} (`channelsFirst` false), or channels first, element (n, c, p) at
 * `((n * channels) + c) * units + p`, each feature map contiguous. Only the estimators that read
 * either layout take it: the channel entropies and dead channels (per feature map), and those that
 * read each input as one vector (pair distances, the binned information), whose results do not
 * depend on the order of an input's values as long as every input has the same order.
 */
export interface LayerValues {
  readonly count: number;
  readonly units: number;
  readonly channels: number;
  readonly data: ArrayLike<number>;
  readonly channelsFirst: boolean;
}

/**
 * A layer output `shape` (with batch) in its own layout, without a copy: `[N, C, ...]` for a
 * channels-first layer of rank ≥ 3, else as {@link layerActivations} reads it. Throws as
 * layerActivations does.
 */
export function layerValues(shape: readonly number[], data: ArrayLike<number>, dataFormat: DataFormat = 'channelsLast'): LayerValues {
  if (dataFormat === 'channelsFirst' && shape.length >= 3) {
    const { count, units, channels } = layerActivations([shape[0], ...shape.slice(2), shape[1]], data);
    return { count, units, channels, data, channelsFirst: true };
  }
  const { count, units, channels } = layerActivations(shape, data);
  return { count, units, channels, data, channelsFirst: false };
}

/**
 * Values in either layout as channels-last activations: the same object when they are channels
 * last, else a channels-last copy (as {@link layerActivations} makes of a channels-first layer).
 */
export function channelsLast(values: LayerValues | LayerActivations): LayerActivations {
  if (!values.channelsFirst) return { count: values.count, units: values.units, channels: values.channels, data: values.data };
  return {
    count: values.count,
    units: values.units,
    channels: values.channels,
    data: channelsLastValues(values.data, values.count, values.units, values.channels),
  };
}

/**
 * The feature maps of channels-first values as channels-last activations of one channel:
 * `[N · C, units, 1]`, map (n, c) being input `n · C + c`. A view, not a copy. Per-map estimators
 * (the intra-sample entropy of each map) give on it, in the same `[N, C]` order, what they give
 * on the channels-last copy.
 */
export function featureMapsOf(values: LayerValues): LayerActivations {
  if (!values.channelsFirst) throw new RangeError('featureMapsOf: the values are channels last');
  return { count: values.count * values.channels, units: values.units, channels: 1, data: values.data };
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
