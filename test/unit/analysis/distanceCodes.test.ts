import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { distanceCodes, float64DistanceCodes } from '../../../src/analysis';
import {
  fusedScreeningNeedsFlag,
  screenedDistanceBounds,
  screenedDistanceCodes,
  useFusedScreening,
} from '../../../src/analysis/distanceCodes';
import { condensedDistances, DistanceKernel } from '../../../src/analysis/distances';
import { rng } from '../../support/reference';

/**
 * The screened float32 path must give the float64 path's codes and entropy exactly, on data that
 * stress it: values whose pair distances sit exactly on bin edges, ties, duplicate and all-zero
 * rows (ReLU channels), constant channels, widths that are not a multiple of the kernel's 8, and
 * values so small that float32 products fall below the normal range.
 */
// As the compute workers do: the fused screening kernel needs relaxed SIMD (a flag in Node 20).
if (fusedScreeningNeedsFlag()) setFlagsFromString('--experimental-wasm-relaxed-simd');

describe('screened distance codes (float32 screening, float64 recheck)', () => {
  const r = rng(15);
  const gaussian = () => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());

  /**
   * Both paths' codes for float32 samples, the screening with and without fused multiply-adds;
   * also asserts that the screened path did run.
   */
  const agree = (x: Float32Array, n: number, d: number, bins: number, label: string, mustScreen = true) => {
    const want = float64DistanceCodes(x, n, d, bins, undefined, false);
    for (const fused of [true, false]) {
      useFusedScreening(fused);
      const kernel = `${label}, ${fused ? 'fused' : 'unfused'}`;
      try {
        const got = distanceCodes(x, n, d, bins);
        assert.deepEqual(Array.from(got.codes), Array.from(want.codes), kernel);
        assert.equal(got.entropyBits, want.entropyBits, kernel);
        if (mustScreen) {
          const codes = new Uint8Array(want.codes.length);
          const counts = screenedDistanceCodes(x, n, d, bins, codes, 1);
          assert.ok(counts, `${kernel}: the screened path declined`);
          assert.deepEqual(Array.from(codes), Array.from(want.codes), kernel);
        }
      } finally {
        useFusedScreening(true);
      }
    }
  };

  it('has the fused kernel on this engine (relaxed SIMD), so that both kernels are tested', () => {
    assert.ok(useFusedScreening(true), 'the fused screening kernel did not compile');
  });

  it('gives the float64 codes on random samples of many shapes and bin counts', () => {
    for (const [n, d] of [
      [2, 1],
      [3, 5],
      [17, 7],
      [64, 8],
      [65, 13],
      [130, 256],
      [301, 33],
    ]) {
      for (const bins of [2, 7, 32, 254]) {
        const x = Float32Array.from({ length: n * d }, gaussian);
        agree(x, n, d, bins, `gaussian ${n}×${d}, ${bins} bins`);
        const relu = x.map((v) => (v > 0.3 ? v : 0));
        agree(relu, n, d, bins, `relu ${n}×${d}, ${bins} bins`);
        // An offset makes the float32 dot products lose digits to cancellation: many pairs are rechecked.
        const offset = x.map((v) => 2 + v * 0.01);
        agree(offset, n, d, bins, `offset ${n}×${d}, ${bins} bins`);
      }
    }
  });

  it('gives the float64 codes when every distance lies exactly on a bin edge', () => {
    // One coordinate at 0, 1, …, 31: the distances are the integers 1..31, and with 30 bins on
    // [1, 31] every integer is an edge. Two coordinates on a grid give ties of many pairs.
    const line = Float32Array.from({ length: 32 }, (_, i) => i);
    for (const bins of [2, 3, 5, 10, 15, 30]) agree(line, 32, 1, bins, `integer line, ${bins} bins`);
    const grid = Float32Array.from({ length: 2 * 36 }, (_, k) => (k % 2 === 0 ? Math.floor(k / 2 / 6) : ((k / 2) % 6) | 0));
    for (const bins of [2, 4, 5, 7, 32]) agree(grid, 36, 2, bins, `grid, ${bins} bins`);
    // The same points spread over 256 coordinates (the distances scale by 16 = √256).
    const wide = new Float32Array(32 * 256);
    for (let i = 0; i < 32; i++) wide.fill(i, i * 256, i * 256 + 256);
    for (const bins of [5, 15, 30, 31]) agree(wide, 32, 256, bins, `integer line over 256 coordinates, ${bins} bins`);
  });

  it('gives the float64 codes with duplicate rows, rows of zeros and constant channels', () => {
    const n = 80;
    const d = 24;
    const x = Float32Array.from({ length: n * d }, gaussian);
    for (let i = 0; i < n; i += 3) x.copyWithin(i * d, 0, d); // every third row equals the first
    for (let i = 1; i < n; i += 5) x.fill(0, i * d, i * d + d);
    agree(x, n, d, 32, 'duplicates and zeros');
    agree(new Float32Array(n * d), n, d, 32, 'all zeros');
    agree(new Float32Array(n * d).fill(0.25), n, d, 32, 'constant');
    const oneNonZero = new Float32Array(n * d);
    oneNonZero[5 * d + 3] = 2;
    agree(oneNonZero, n, d, 32, 'one non-zero value');
  });

  it('gives the float64 codes for values whose float32 products fall below the normal range', () => {
    const n = 50;
    const d = 40;
    for (const scale of [1e-20, 1e-23, 1e-30]) {
      const x = Float32Array.from({ length: n * d }, () => Math.fround(gaussian() * scale));
      agree(x, n, d, 16, `scale ${scale}`);
    }
  });

  it('leaves samples too large for float32 products to the float64 path, with the same codes', () => {
    const n = 20;
    const d = 12;
    const x = Float32Array.from({ length: n * d }, () => Math.fround(gaussian() * 1e37));
    assert.equal(screenedDistanceCodes(x, n, d, 8, new Uint8Array((n * (n - 1)) / 2)), undefined);
    agree(x, n, d, 8, 'huge values', false);
  });

  it('gives the float64 codes on samples with a large common offset (distances small against the norms)', () => {
    const n = 100;
    const d = 64;
    const x = Float32Array.from({ length: n * d }, () => Math.fround(100 + gaussian() * 1e-3));
    agree(x, n, d, 32, 'offset 100, spread 1e-3');
  });

  it('declines a near-constant channel at once (every pair near both ends of the range), but screens one of zero rows and a few others', () => {
    const n = 200;
    const d = 64;
    const pairs = (n * (n - 1)) / 2;
    // Distances ≈ 0.01 against norms ≈ 6·10⁵: all within the screen's error of each other.
    const flat = Float32Array.from({ length: n * d }, () => Math.fround(100 + gaussian() * 1e-3));
    assert.equal(screenedDistanceCodes(flat, n, d, 32, new Uint8Array(pairs)), undefined, 'the near-constant channel was screened');
    const want = float64DistanceCodes(flat, n, d, 32, undefined, false);
    assert.deepEqual(Array.from(distanceCodes(flat, n, d, 32).codes), Array.from(want.codes));
    // A ReLU channel silent on most inputs: the pairs with a row of zeros need no bound.
    const sparse = new Float32Array(n * d);
    for (const i of [3, 70, 71, 150]) for (let k = 0; k < d; k++) sparse[i * d + k] = Math.fround(1 + gaussian() * 1e-4);
    const codes = new Uint8Array(pairs);
    assert.ok(screenedDistanceCodes(sparse, n, d, 32, codes), 'the sparse channel was declined');
    assert.deepEqual(Array.from(codes), Array.from(float64DistanceCodes(sparse, n, d, 32, undefined, false).codes));
  });

  /**
   * Row 0 is all ones and row 1 twice `p`, where `p` is chosen coordinate by coordinate so that
   * every addition of the float32 kernel's lane sums (wasm/gram32.wat: four lanes, coordinate k
   * in lane k mod 4, then (l0 + l1) + (l2 + l3)) rounds down by almost half a unit in the last
   * place: the dot product's error grows with the square of the lane length, near the worst case
   * the bound allows (about half of it), where random values stay near its square root.
   */
  const adversarialPair = (d: number): Float32Array => {
    const lane = new Float64Array(d / 4);
    let sum = 0;
    for (let t = 0; t < lane.length; t++) {
      const y = sum + 1;
      const ulp = 2 ** (Math.floor(Math.log2(y)) - 23);
      // Below 3 the half unit is finer than p's own last place: any p will do.
      let h = ulp >= 2 ** -21 ? (((ulp / 2 - 2 ** -23 - (y % ulp)) % ulp) + ulp) % ulp : 0;
      if (h >= 1) h -= ulp;
      lane[t] = 1 + h;
      assert.equal(Math.fround(lane[t]), lane[t]);
      sum = Math.fround(sum + lane[t]);
    }
    const x = new Float32Array(2 * d).fill(1);
    for (let k = 0; k < d; k++) x[d + k] = 2 * lane[k >> 2];
    return x;
  };

  it('bounds every screened distance by its float64 distance, on pairs whose float32 sums round down at every step', () => {
    for (const [d, fused] of [64, 256, 1024, 4096].flatMap((d) => [[d, true] as const, [d, false] as const])) {
      useFusedScreening(fused);
      const x = adversarialPair(d);
      const screened = screenedDistanceBounds(x, 2, d);
      useFusedScreening(true);
      const label = `${d} coordinates, ${fused ? 'fused' : 'unfused'}`;
      assert.ok(screened, `${label}: the screening declined`);
      const kernel = new DistanceKernel(x, 2, d);
      const exact = condensedDistances(kernel);
      kernel.dispose();
      const error = Math.abs(screened.distances[0] - exact[0]);
      // The pair is far from the worst case only if the construction failed: then this test tests nothing.
      assert.ok(error > screened.bounds[0] / 16, `${label}: error ${error} is not near the bound ${screened.bounds[0]}`);
      assert.ok(error <= screened.bounds[0], `${label}: error ${error} exceeds the bound ${screened.bounds[0]}`);
    }
  });

  it('gives the float64 codes when the float32 sums round down at every step and distances sit near bin edges', () => {
    // Many copies of the adversarial pair, scaled by nearby factors, give many distances with the
    // same large float32 error; with many bins some fall within that error of an edge.
    const d = 256;
    const pair = adversarialPair(d);
    const n = 120;
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const scale = 1 + (i >> 1) / 64;
      for (let k = 0; k < d; k++) x[i * d + k] = Math.fround(pair[(i & 1) * d + k] * (i & 1 ? scale : 1));
    }
    for (const bins of [32, 254]) agree(x, n, d, bins, `adversarial pairs, ${bins} bins`);
  });

  it('gives the float64 codes and distances with rows of zeros in any number and place (the kernel leaves them out)', () => {
    // 21 values a row: the kernel's rows are padded to 24 with zeros, and packed over the rows of zeros.
    for (const d of [24, 21]) rowsOfZeros(d);
  });

  function rowsOfZeros(d: number): void {
    const n = 100;
    const layouts: [string, (i: number) => boolean][] = [
      ['none', () => false],
      ['one', (i) => i === 40],
      ['every 14th', (i) => i % 14 === 3],
      ['the first 20', (i) => i < 20],
      ['the last 20', (i) => i >= 80],
      ['every other', (i) => i % 2 === 0],
      ['around the bands of 24 rows', (i) => [15, 16, 17, 23, 24, 25, 31, 32, 47, 48, 63, 64, 71, 72, 95, 96, 99].includes(i)],
      ['all but one', (i) => i !== 57],
      ['all', () => true],
    ];
    for (const [label, isZero] of layouts) {
      const x = Float32Array.from({ length: n * d }, (_, k) => (isZero(Math.floor(k / d)) ? 0 : Math.max(0, gaussian())));
      for (const bins of [7, 32]) agree(x, n, d, bins, `rows of zeros: ${label}, d = ${d}, ${bins} bins`);
      // A pair with a row of zeros is not rechecked (its bound is 0): its distance must be the float64 one exactly.
      for (const fused of [true, false]) {
        useFusedScreening(fused);
        const screened = screenedDistanceBounds(x, n, d)!;
        useFusedScreening(true);
        const kernel = new DistanceKernel(x, n, d);
        const exact = condensedDistances(kernel);
        kernel.dispose();
        for (let p = 0; p < exact.length; p++) {
          assert.ok(
            Math.abs(screened.distances[p] - exact[p]) <= screened.bounds[p],
            `rows of zeros: ${label}, d = ${d}, pair ${p}: ${screened.distances[p]} against ${exact[p]} ± ${screened.bounds[p]}`,
          );
        }
      }
    }
  }
});
