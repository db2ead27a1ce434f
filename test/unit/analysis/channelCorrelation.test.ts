import assert from 'node:assert/strict';
import { channelCorrelations, channelEnergyCorrelations, channelMeans } from '../../../src/analysis/channelCorrelation';
import type { LayerActivations } from '../../../src/analysis/layout';
import { seededRandom } from '../../../src/analysis/random';

/** A layer of `count` inputs with `units` positions from channel columns (each column `count · units` values, input-major). */
function layer(count: number, units: number, columns: number[][]): LayerActivations {
  const channels = columns.length;
  const data = new Float64Array(count * units * channels);
  for (let i = 0; i < count * units; i++) for (let c = 0; c < channels; c++) data[i * channels + c] = columns[c][i];
  return { count, units, channels, data };
}

/**
 * r as the definition sums it, row after row: the centred Gram matrix from one outer product a row
 * (the implementation before the blocked one, which must give the same bits).
 */
function rowByRowCorrelations(data: ArrayLike<number>, rows: number, n: number): Float64Array {
  const mean = new Float64Array(n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < n; c++) mean[c] += data[i * n + c];
  for (let c = 0; c < n; c++) mean[c] /= rows;
  const gram = new Float64Array(n * n);
  for (let i = 0; i < rows; i++)
    for (let c = 0; c < n; c++) {
      const xc = data[i * n + c] - mean[c];
      if (xc !== 0) for (let d = c; d < n; d++) gram[c * n + d] += xc * (data[i * n + d] - mean[d]);
    }
  const out = new Float64Array(n * n);
  for (let c = 0; c < n; c++)
    for (let d = c; d < n; d++) {
      const [vc, vd] = [gram[c * n + c], gram[d * n + d]];
      let r = vc > 0 && vd > 0 && Number.isFinite(vc) && Number.isFinite(vd) ? gram[c * n + d] / Math.sqrt(vc * vd) : NaN;
      if (c === d && !Number.isNaN(r)) r = 1;
      else r = Math.max(-1, Math.min(1, r));
      out[c * n + d] = out[d * n + c] = r;
    }
  return out;
}

const close = (a: number, b: number, tolerance = 1e-12) => assert.ok(Math.abs(a - b) <= tolerance, `${a} ≠ ${b}`);

describe('channelCorrelations (Pearson r of a layer’s channels over inputs and positions)', function () {
  it('gives the hand-computed r of every pair: copies, sign flips and a known value', function () {
    // x = (1, 2, 3, 4), 2x + 1, −x, and y = (1, 3, 2, 4): Σ(x−x̄)(y−ȳ) = 4, Σ(x−x̄)² = Σ(y−ȳ)² = 5, so r = 0.8.
    const x = [1, 2, 3, 4];
    const r = channelCorrelations(layer(2, 2, [x, x.map((v) => 2 * v + 1), x.map((v) => -v), [1, 3, 2, 4]]));
    const at = (c: number, d: number) => r[c * 4 + d];
    for (let c = 0; c < 4; c++) assert.equal(at(c, c), 1);
    assert.equal(at(0, 1), 1);
    assert.equal(at(0, 2), -1);
    assert.equal(at(1, 2), -1);
    close(at(0, 3), 0.8);
    close(at(2, 3), -0.8);
    for (let c = 0; c < 4; c++) for (let d = 0; d < 4; d++) assert.equal(at(c, d), at(d, c));
  });

  it('reads every input and every position: positions are samples like inputs', function () {
    // Channel 1 equals channel 0 at input 0 and is its negative at input 1: r over all four values is 0.
    const r = channelCorrelations(
      layer(2, 2, [
        [1, -1, 1, -1],
        [1, -1, -1, 1],
      ]),
    );
    close(r[1], 0);
  });

  it('a constant channel has undefined (NaN) correlations, its diagonal too, and is never screened in', function () {
    const r = channelCorrelations(
      layer(3, 1, [
        [1, 2, 3],
        [5, 5, 5],
        [2, 4, 6.5],
      ]),
    );
    for (let k = 0; k < 3; k++) {
      assert.ok(Number.isNaN(r[1 * 3 + k]));
      assert.ok(Number.isNaN(r[k * 3 + 1]));
    }
    assert.equal(r[0], 1);
    close(r[2], r[2 * 3]);
  });

  it('one channel: a 1×1 matrix of 1', function () {
    assert.deepEqual(Array.from(channelCorrelations(layer(4, 1, [[0, 1, 0, 2]]))), [1]);
    assert.deepEqual(Array.from(channelEnergyCorrelations(layer(2, 2, [[0, 1, 0, 2]]))), [1]);
  });

  it('gives the energies’ r the same bits in WebAssembly as in JavaScript', function () {
    const random = seededRandom(8);
    for (const [count, units, channels] of [
      [60, 9, 13],
      [300, 4, 70],
    ]) {
      const data = Float32Array.from({ length: count * units * channels }, () => Math.max(0, random() - 0.3) * 4);
      const acts = { count, units, channels, data };
      const js = channelEnergyCorrelations(acts, 'js');
      const wasm = channelEnergyCorrelations(acts, 'wasm-simd');
      for (let k = 0; k < js.length; k++)
        assert.ok(Object.is(js[k], wasm[k]), `${count}×${units}×${channels}: cell ${k} ${js[k]} ≠ ${wasm[k]}`);
    }
  });

  it('the energies’ r: a map moved in space, scaled or sign-flipped correlates 1, where its position-wise r is 0.149', function () {
    // Two inputs, four positions. Channel 1 is channel 0 rotated by one position; 2 is −3 × channel 1.
    const c0 = [1, 0, 0, 0, 2, 2, 0, 0];
    const c1 = [0, 1, 0, 0, 0, 2, 2, 0];
    const c2 = c1.map((v) => -3 * v);
    const a = layer(2, 4, [c0, c1, c2, [1, 2, 3, 4, 4, 3, 2, 1]]);
    const r = channelCorrelations(a);
    // x̄ = ȳ = 5/8: Σ(x−x̄)(y−ȳ) = Σ xy − 8 x̄² = 4 − 3.125 = 0.875; Σ(x−x̄)² = 9 − 3.125 = 5.875.
    close(r[1], 0.875 / 5.875);
    const e = channelEnergyCorrelations(a);
    close(e[1], 1);
    close(e[2], 1);
    close(e[1 * 4 + 2], 1);
    // Channel 3's energies are equal on both inputs: zero variance, undefined.
    assert.ok(Number.isNaN(e[3]));
    assert.equal(e[0], 1);
  });
  it('sums the Gram matrix block by block to the bits of row-by-row outer products (any width, NaN, constant and copied channels)', function () {
    const random = seededRandom(7);
    for (const [count, units, channels] of [
      [50, 3, 1],
      [9, 2, 2],
      [40, 5, 31],
      [30, 7, 33],
      [20, 16, 70],
      [7, 1, 129],
      [13, 3, 130],
      // 12,800 rows of 70 channels: the WebAssembly kernel's rows in several chunks.
      [200, 64, 70],
    ])
      for (const kind of ['relu', 'nan', 'constant', 'copy']) {
        const data = Float32Array.from({ length: count * units * channels }, () => Math.max(0, random() - 0.4));
        if (kind === 'nan') data[17 % data.length] = NaN;
        if (kind === 'constant') for (let i = 0; i < count * units; i++) data[i * channels + channels - 1] = 0.5;
        if (kind === 'copy' && channels > 2) for (let i = 0; i < count * units; i++) data[i * channels + 1] = data[i * channels] * 3;
        const acts = { count, units, channels, data };
        const want = rowByRowCorrelations(data, count * units, channels);
        for (const kernel of ['js', 'wasm-simd'] as const) {
          const got = channelCorrelations(acts, kernel);
          for (let k = 0; k < got.length; k++)
            assert.ok(Object.is(got[k], want[k]), `${count}×${units}×${channels} ${kind} ${kernel}: cell ${k} ${got[k]} ≠ ${want[k]}`);
        }
      }
  });

  it('a channels-first layer gives its channels-last copy’s means and energy correlations, bit for bit', function () {
    const random = seededRandom(11);
    for (const [count, units, channels] of [
      [5, 9, 3],
      [40, 16, 12],
    ]) {
      const first = Float32Array.from({ length: count * units * channels }, () => Math.max(0, random() - 0.3) * 7);
      const last = new Float32Array(first.length);
      for (let x = 0; x < count; x++)
        for (let c = 0; c < channels; c++)
          for (let p = 0; p < units; p++) last[(x * units + p) * channels + c] = first[(x * channels + c) * units + p];
      const values = { count, units, channels, data: first, channelsFirst: true };
      const acts = { count, units, channels, data: last };
      assert.deepEqual(Array.from(channelMeans(values)), Array.from(channelMeans(acts)));
      const [a, b] = [channelEnergyCorrelations(values), channelEnergyCorrelations(acts)];
      for (let k = 0; k < a.length; k++) assert.ok(Object.is(a[k], b[k]), `${count}×${units}×${channels}: cell ${k} ${a[k]} ≠ ${b[k]}`);
    }
  });
});
