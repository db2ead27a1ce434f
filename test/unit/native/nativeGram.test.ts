/**
 * The native Gram products (src/native/nativeGram.ts) and the distances from them
 * (src/analysis/distances.ts `distancesFromGram`): known answers, and agreement with the WebAssembly
 * kernel's `distanceMatrix` within 1e-12 relative across the blocks of coordinates. ONNX Runtime is
 * loaded in this process (its own threads are no worker of ours).
 */
import assert from 'node:assert/strict';
import { cleanSamples, DistanceKernel, distanceMatrix, distancesFromGram } from '../../../src/analysis';
import { gramBands, gramBlockColumns, nativeDistanceMatrix, nativeGram } from '../../../src/native/nativeGram';
import { nativeRuntime, type OrtModule } from '../../../src/native/ortRuntime';
import { rng } from '../../support/reference';

function wasmDistances(x: Float32Array | Float64Array, n: number, d: number): Float64Array {
  const kernel = new DistanceKernel(x, n, d);
  try {
    return distanceMatrix(kernel);
  } finally {
    kernel.dispose();
  }
}

/** Largest |a − b| / b over the pairs; a zero in one matrix must be a zero in the other. */
function worstRelative(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (b[i] === 0 || a[i] === 0) assert.equal(a[i], b[i], `entry ${i}: ${a[i]} against ${b[i]}`);
    else worst = Math.max(worst, Math.abs(a[i] - b[i]) / b[i]);
  }
  return worst;
}

describe('nativeGram: the Gram products on ONNX Runtime, and the distances from them', function () {
  this.timeout(120_000);
  let ort: OrtModule;

  before(function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
    ort = runtime.ort;
  });

  it('gives a 3-4-5 triangle exactly, and the Gram matrix of float32 and float64 samples', async () => {
    const x = Float32Array.of(0, 0, 3, 0, 0, 4);
    assert.deepEqual(Array.from(await nativeGram(ort, x, 3, 2)), [0, 0, 0, 0, 9, 0, 0, 0, 16]);
    assert.deepEqual(Array.from(await nativeDistanceMatrix(ort, x, 3, 2)), [0, 3, 4, 3, 0, 5, 4, 5, 0]);
    assert.deepEqual(
      Array.from(await nativeDistanceMatrix(ort, Float64Array.from(x), 3, 2, { blockBytes: 1 })),
      [0, 3, 4, 3, 0, 5, 4, 5, 0],
    );
  });

  it('cuts the rows into bands of about 64, at most 8, each at least one row', () => {
    assert.deepEqual(gramBands(40), [0, 40]);
    assert.deepEqual(gramBands(100), [0, 50, 100]);
    assert.deepEqual(gramBands(501), [0, 63, 125, 188, 251, 313, 376, 438, 501]);
    assert.deepEqual(gramBands(5000), [0, 625, 1250, 1875, 2500, 3125, 3750, 4375, 5000]);
    assert.deepEqual(gramBands(2, 3), [0, 1, 2]);
  });

  it('gives the full Gram matrix, symmetric, in any bands', async () => {
    const r = rng(3);
    const n = 37;
    const d = 29;
    const x = Float32Array.from({ length: n * d }, () => Math.round(r() * 8)); // small integers: exact products in any order
    const direct = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < d; k++) direct[i * n + j] += x[i * d + k] * x[j * d + k];
    for (const bands of [1, 2, 5, 37]) assert.deepEqual(await nativeGram(ort, x, n, d, { bands, blockBytes: 8 * n * 4 }), direct);
  });

  it('gives no samples, or samples of no coordinates (all removed as non-finite), all distances 0', async () => {
    assert.equal((await nativeDistanceMatrix(ort, new Float32Array(0), 0, 5)).length, 0);
    assert.deepEqual(Array.from(await nativeDistanceMatrix(ort, new Float32Array(0), 3, 0)), new Array(9).fill(0));
  });

  it('puts identical samples at exactly 0, wherever they sit in the blocks, and others not', async () => {
    const r = rng(71);
    const n = 131;
    const d = 3001;
    const x = Float32Array.from({ length: n * d }, () => r() * 4 - 1);
    const copies: [number, number][] = [
      [0, 1],
      [0, 130],
      [63, 64],
      [64, 127],
      [5, 77],
    ];
    for (const [from, to] of copies) x.copyWithin(to * d, from * d, from * d + d);
    for (const [blockBytes, bands] of [
      [undefined, undefined],
      [8 * n * 100, 3],
      [8 * n, 1],
      [undefined, 7],
    ]) {
      const m = await nativeDistanceMatrix(ort, x, n, d, { blockBytes, bands });
      const same = (i: number, j: number) => x.subarray(i * d, i * d + d).every((v, k) => v === x[j * d + k]);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          assert.equal(m[i * n + j], m[j * n + i], `(${i}, ${j}) is symmetric`);
          assert.equal(m[i * n + j] === 0, i === j || same(i, j), `(${i}, ${j}) is 0 exactly when the samples are equal`);
        }
    }
  });

  it('distancesFromGram puts equal rows at 0 even where the products of the pair and the norms were summed in other orders', () => {
    // The products of two equal rows as two summation orders could leave them: g_ij a few ulps off g_ii.
    const x = Float64Array.of(1, 2, 3, 1, 2, 3, 1, 2, 4);
    const g = Float64Array.of(14, 14 * (1 - 2 ** -52), 17, 14 * (1 - 2 ** -52), 14, 17, 17, 17, 21);
    const m = distancesFromGram(g, x, 3, 3, new Float64Array(9));
    assert.equal(m[1], 0);
    assert.equal(m[3], 0);
    assert.equal(m[2], 1);
    // The same products for rows that differ leave their distance as it comes.
    const y = Float64Array.of(1, 2, 3, 1, 2, 3 + 1e-9, 1, 2, 4);
    assert.ok(distancesFromGram(g, y, 3, 3, new Float64Array(9))[1] > 0);
  });

  it('takes the samples cleaned of non-finite coordinates as the pool gives them', async () => {
    const x = Float32Array.of(0, NaN, 0, 3, 1, 0, 0, 2, 4);
    const clean = cleanSamples(x, 3, 3);
    assert.equal(clean.d, 2);
    assert.deepEqual(Array.from(await nativeDistanceMatrix(ort, clean.data, 3, clean.d)), [0, 3, 4, 3, 0, 5, 4, 5, 0]);
  });

  for (const n of [2, 3, 100, 501])
    for (const d of [1, 7, 65_539]) {
      it(`agrees with the WebAssembly kernel within 1e-12 relative: n = ${n}, d = ${d}`, async () => {
        const r = rng(n * 7 + d);
        const x = Float32Array.from({ length: n * d }, () => r() * 2 - 0.5);
        const wasm = wasmDistances(x, n, d);
        // The default blocks (65,539 coordinates cross several at n ≥ 100) and bands (8 at n = 501),
        // and blocks of 3 coordinates in 3 bands.
        const cuts = [{}, ...(d > 1 && n * d < 1e6 ? [{ blockBytes: 8 * n * 3, bands: 3 }] : [])];
        for (const cut of cuts) {
          if (cut.blockBytes) assert.equal(gramBlockColumns(n, d, cut.blockBytes), 3);
          const native = await nativeDistanceMatrix(ort, x, n, d, cut);
          const worst = worstRelative(native, wasm);
          assert.ok(worst <= 1e-12, `worst relative difference ${worst}`);
        }
      });
    }

  it('stops between blocks when asked to', async () => {
    const x = new Float32Array(4 * 100).fill(1);
    let blocks = 0;
    const stop = new Error('stopped');
    await assert.rejects(
      nativeGram(ort, x, 4, 100, {
        blockBytes: 8 * 4 * 10,
        throwIfCancelled: () => {
          if (++blocks === 3) throw stop;
        },
      }),
      (e) => e === stop,
    );
    assert.equal(blocks, 3);
  });
});
