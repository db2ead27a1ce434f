/**
 * How a layer output of the hypercube `dCNN(x, l, c, t)` is laid out in memory (paper 4.2;
 * estimators.md "Notation"). TensorFlow.js is channels-last: channel `c` of input `n` of an
 * `[N, H, W, C]` output is the `H×W` slice `[n, :, :, c]`; a dense or flatten output `[N, U]` is
 * one channel of `U` units.
 */

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
 * channels last, every middle axis is spatial) as layer activations. Throws a RangeError naming
 * the shape when it does not fit the data.
 */
export function layerActivations(shape: readonly number[], data: ArrayLike<number>): LayerActivations {
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
