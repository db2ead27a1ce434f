/**
 * The Pearson correlation of a layer's channels (estimators.md "Screening the near-duplicate
 * pairs"): channel c's values over every probe input and every position of its feature map are
 * one sample `x_c` of N·U values, and `r(c, d) = Σ (x_c − x̄_c)(x_d − x̄_d) / √(Σ (x_c − x̄_c)² · Σ (x_d − x̄_d)²)`.
 * The near-duplicate screen compares only the pairs with a large |r| exactly. Pure.
 */
import type { LayerActivations } from './layout';

/**
 * The C×C matrix of `r(c, d)`, row-major; NaN where undefined (typed array): every cell of a
 * channel with zero variance (a constant or dead channel) or with a non-finite value, including its
 * diagonal. Otherwise the diagonal is 1 and the matrix symmetric (cell (d, c) is a copy of (c, d)).
 * One pass for the means, one for the centred Gram matrix's upper triangle, in float64.
 */
export function channelCorrelations(layer: LayerActivations): Float64Array {
  const { count, units, channels: n, data } = layer;
  const rows = count * units;
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

/**
 * The channel pairs c < d with `|r(c, d)| ≥ threshold` (a pair with an undefined r is never among
 * them), as `[c0, d0, c1, d1, …]` in row order.
 */
export function screenedPairs(correlations: ArrayLike<number>, n: number, threshold: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < n; c++)
    for (let d = c + 1; d < n; d++) {
      const r = correlations[c * n + d];
      if (Math.abs(r) >= threshold) out.push(c, d);
    }
  return out;
}
