/**
 * The Pearson correlation of a layer's channels (estimators.md "Screening the near-duplicate
 * pairs"): channel c's values over every probe input and every position of its feature map are
 * one sample `x_c` of N·U values, and `r(c, d) = Σ (x_c − x̄_c)(x_d − x̄_d) / √(Σ (x_c − x̄_c)² · Σ (x_d − x̄_d)²)`;
 * and the same r of the channels' per-input energies. The near-duplicate screen compares only the
 * pairs with a large |r| of either exactly. Pure.
 */
import type { LayerActivations } from './layout';

/**
 * The C×C matrix of `r(c, d)`, row-major; NaN where undefined (typed array): every cell of a
 * channel with zero variance (a constant or dead channel) or with a non-finite value, including its
 * diagonal. Otherwise the diagonal is 1 and the matrix symmetric (cell (d, c) is a copy of (c, d)).
 */
export function channelCorrelations(layer: LayerActivations): Float64Array {
  return columnCorrelations(layer.data, layer.count * layer.units, layer.channels);
}

/**
 * The Pearson correlation over the inputs of the channels' energies `e_c(x) = Σ_p (x_c(x, p) − x̄_c)²`
 * (each input's feature map about the channel's mean, squared and summed over the positions):
 * the screen's second statistic, blind to where in the map a value sits, as the pair distances
 * are. A channel whose maps are another's moved in space (a shifted filter), scaled or
 * sign-flipped has the same energies up to a factor, r = 1, where its position-wise r may be near
 * 0. C×C, row-major, NaN where undefined, as channelCorrelations.
 */
export function channelEnergyCorrelations(layer: LayerActivations): Float64Array {
  const { count, units, channels: n, data } = layer;
  const rows = count * units;
  const mean = new Float64Array(n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) mean[c] += data[i * n + c];
  for (let c = 0; c < n; c++) mean[c] /= rows;
  const energy = new Float64Array(count * n);
  for (let x = 0; x < count; x++)
    for (let p = 0; p < units; p++) {
      const at = (x * units + p) * n;
      for (let c = 0; c < n; c++) {
        const v = data[at + c] - mean[c];
        energy[x * n + c] += v * v;
      }
    }
  return columnCorrelations(energy, count, n);
}

/**
 * Pearson r of the columns of a row-major `rows × n` matrix: one pass for the means, one for the
 * centred Gram matrix's upper triangle, in float64.
 */
function columnCorrelations(data: ArrayLike<number>, rows: number, n: number): Float64Array {
  const mean = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    const at = i * n;
    for (let c = 0; c < n; c++) mean[c] += data[at + c];
  }
  for (let c = 0; c < n; c++) mean[c] /= rows;
  const gram = new Float64Array(n * n);
  const centred = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    const at = i * n;
    for (let c = 0; c < n; c++) centred[c] = data[at + c] - mean[c];
    gramRow(centred, gram, n);
  }
  const out = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const vc = gram[c * n + c];
    for (let d = c; d < n; d++) {
      const vd = gram[d * n + d];
      // Zero variance (or a non-finite sum): undefined, never screened in.
      let r = vc > 0 && vd > 0 && Number.isFinite(vc) && Number.isFinite(vd) ? gram[c * n + d] / Math.sqrt(vc * vd) : NaN;
      if (c === d && !Number.isNaN(r)) r = 1;
      else if (r > 1) r = 1;
      else if (r < -1) r = -1;
      out[c * n + d] = r;
      out[d * n + c] = r;
    }
  }
  return out;
}

/** `gram[c·n + d] += x[c]·x[d]` for every d ≥ c: one row's outer product, upper triangle. Its own function, so it stays one tight loop. */
function gramRow(x: Float64Array, gram: Float64Array, n: number): void {
  for (let c = 0; c < n; c++) {
    const xc = x[c];
    if (xc === 0) continue;
    const base = c * n;
    for (let d = c; d < n; d++) gram[base + d] += xc * x[d];
  }
}
