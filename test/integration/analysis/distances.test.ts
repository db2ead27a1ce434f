import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import {
  BLOCK_ROWS,
  cleanSamples,
  conditionalRows,
  condensedBlocks,
  condensedDistances,
  DistanceKernel,
  distanceMatrix,
  pairIndex,
  squareBlocks,
  triangleBlocks,
  upperTriangleOrigins,
  wholeMatrixBudget,
} from '../../../src/analysis';
import { rng } from '../../support/reference';

describe('pairwise distances', () => {
  const r = rng(41);
  const n = 37;
  const d = 11; // odd sizes exercise the padding of the 2×4 tiles
  const x = Float64Array.from({ length: n * d }, () => r() * 3 - 1);
  const direct = (i: number, j: number) =>
    Math.sqrt(Array.from({ length: d }, (_, t) => (x[i * d + t] - x[j * d + t]) ** 2).reduce((a, b) => a + b));

  it('match direct Euclidean distances to 1e-12 with both kernels', () => {
    for (const kind of ['wasm-simd', 'js'] as const) {
      const m = distanceMatrix(new DistanceKernel(x, n, d, kind));
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(m[i * n + j] - direct(i, j)) < 1e-12);
    }
  });
  it('are bit-identical between the WebAssembly and plain-JS kernels', () => {
    assert.deepEqual(distanceMatrix(new DistanceKernel(x, n, d, 'wasm-simd')), distanceMatrix(new DistanceKernel(x, n, d, 'js')));
  });
  it('are exactly 0 between identical samples', () => {
    const dup = Float64Array.from([...x.subarray(0, d), ...x.subarray(0, d), ...x.subarray(d, 2 * d)]);
    const m = distanceMatrix(new DistanceKernel(dup, 3, d));
    assert.equal(m[1], 0);
    assert.equal(m[3], 0);
  });
  it('list every pair i < j in exactly one condensed block, each block within the kernel limits', () => {
    for (const size of [1, 2, 9, 63, 64, 65, 130, 200]) {
      const seen = new Uint8Array(size * size);
      const blocks = condensedBlocks(size);
      for (let b = 0; b < blocks.length; b += 4) {
        const [i0, i1, j0, j1] = blocks.slice(b, b + 4);
        assert.ok(0 <= i0 && i0 < i1 && i1 <= size && i1 - i0 <= BLOCK_ROWS && 0 <= j0 && j0 < j1 && j1 <= size && j1 - j0 <= BLOCK_ROWS);
        for (let i = i0; i < i1; i++) for (let j = Math.max(j0, i + 1); j < j1; j++) seen[i * size + j]++;
      }
      for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) assert.equal(seen[i * size + j], 1, `pair ${i},${j} of ${size}`);
    }
  });
  it("cut any share of the upper triangle's block origins into the condensed blocks, in order (the compute pool's chunks)", () => {
    for (const size of [1, 9, 64, 65, 200, 500]) {
      const origins = upperTriangleOrigins(size);
      for (const share of [1, 2, 3, 7]) {
        const blocks: number[] = [];
        for (let t = 0; t < origins.length; t += 2 * share) blocks.push(...triangleBlocks(origins.slice(t, t + 2 * share), size));
        assert.deepEqual(blocks, condensedBlocks(size), `${size} samples, ${share} origins at a time`);
      }
    }
  });
  it('list the condensed pairs with the bits of the full matrix, with both kernels', () => {
    const m = 150;
    const y = Float64Array.from({ length: m * d }, () => r() * 3 - 1);
    for (const kind of ['wasm-simd', 'js'] as const) {
      const full = distanceMatrix(new DistanceKernel(y, m, d, kind));
      const c = condensedDistances(new DistanceKernel(y, m, d, kind));
      for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) assert.ok(Object.is(c[pairIndex(i, j, m)], full[i * m + j]));
    }
  });
  it('fill the whole matrix with the bits of every entry computed as its own (i, j), diagonal blocks in bands or not, chunked or not', () => {
    const q = rng(1515);
    for (const [size, width] of [
      [1, 3],
      [2, 1],
      [3, 5],
      [9, 11],
      [63, 7],
      [64, 4],
      [65, 9],
      [130, 13],
      [200, 2100],
    ]) {
      const y = new Float32Array(size * width);
      for (let i = 0; i < size; i++) {
        if (i > 0 && q() < 0.2) {
          y.copyWithin(i * width, (i - 1) * width, i * width); // a duplicate: distance exactly 0
          continue;
        }
        for (let t = 0; t < width; t++) {
          const v = q() * 2 - 0.8;
          y[i * width + t] = v < 0 ? 0 : v < 0.5 ? Math.round(v * 4) / 4 : v; // ReLU zeros and ties
        }
      }
      for (const [kind, budget] of [
        ['wasm-simd', undefined],
        ['js', undefined],
        ['wasm-simd', wholeMatrixBudget(size, width) ?? 64 * 1024],
      ] as const) {
        const kernel = new DistanceKernel(y, size, width, kind, budget);
        try {
          // Every entry from a block of its own row and column, both triangles: the matrix before the diagonal bands.
          const want = new Float64Array(size * size);
          const origins: number[] = [];
          for (let i0 = 0; i0 < size; i0 += BLOCK_ROWS) for (let j0 = 0; j0 < size; j0 += BLOCK_ROWS) origins.push(i0, j0);
          kernel.tiles(squareBlocks(origins, size), (block, i0, i1, j0, j1) => {
            for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) want[i * size + j] = block[(i - i0) * BLOCK_ROWS + (j - j0)];
          });
          const got = distanceMatrix(kernel);
          assert.ok(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${size} samples of ${width}, ${kind}, budget ${budget}`);
        } finally {
          kernel.dispose();
        }
      }
    }
  });
  it('list unordered pairs in condensed upper-triangle order', () => {
    const c = condensedDistances(new DistanceKernel(x, n, d));
    assert.equal(c.length, (n * (n - 1)) / 2);
    assert.equal(pairIndex(0, 1, n), 0);
    assert.equal(pairIndex(1, 2, n), n - 1);
    for (const [i, j] of [
      [0, 1],
      [3, 17],
      [35, 36],
    ])
      assert.ok(Math.abs(c[pairIndex(i, j, n)] - direct(i, j)) < 1e-12);
  });
  it('handle zero-dimensional samples (all distances 0)', () => {
    assert.deepEqual(Array.from(distanceMatrix(new DistanceKernel(new Float64Array(0), 3, 0))), new Array(9).fill(0));
  });
});

/** Same bytes, so +0 and -0 or different NaNs count as different. */
function assertSameBits(a: Float64Array | Int32Array, b: Float64Array | Int32Array, what = 'arrays'): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `${what} differ`);
}

describe('the chunked distance kernel (coordinates in chunks, lane sums carried)', () => {
  const r = rng(43);
  /** Float32-representable values, so float32 and float64 inputs hold the same numbers. */
  const samples = (n: number, d: number) => Float64Array.from({ length: n * d }, () => Math.fround(r() * 4 - 1.5));
  // Budget 0 forces chunks of 4 coordinates and scratch memory for one block per pass.
  const budgets = [0, 5120, 200_000];

  it('splits d into several chunks when the samples exceed the budget', () => {
    const k = new DistanceKernel(samples(37, 37), 37, 37, undefined, 5120);
    assert.equal(k.chunked, true);
    assert.equal(k.chunk, 8); // 37 = 4 · 8 + 5: the last chunk is shorter and padded
    assert.equal(new DistanceKernel(samples(37, 37), 37, 37).chunked, false);
  });
  for (const kind of ['wasm-simd', 'js'] as const) {
    it(`gives bit-identical matrices and pair lists to the unchunked ${kind} kernel`, () => {
      for (const [n, d] of [
        [37, 37],
        [150, 23],
        [70, 200],
        [9, 1],
        [9, 2],
        [9, 3],
        [5, 4],
        [3, 0],
      ]) {
        const x = samples(n, d);
        const whole = new DistanceKernel(x, n, d, kind);
        assert.equal(whole.chunked, false);
        for (const budget of budgets) {
          const chunked = new DistanceKernel(x, n, d, kind, budget);
          if (budget === 0) assert.equal(chunked.chunked, true, `n ${n}, d ${d}, budget ${budget}`);
          assertSameBits(distanceMatrix(chunked), distanceMatrix(whole), `matrix n ${n} d ${d} budget ${budget}`);
          assertSameBits(condensedDistances(chunked), condensedDistances(whole), `pairs n ${n} d ${d} budget ${budget}`);
          assertSameBits(chunked.squaredNorms, whole.squaredNorms, 'norms');
          chunked.dispose();
        }
        whole.dispose();
      }
    });
  }
  it('are bit-identical between the WebAssembly and plain-JS kernels when chunked', () => {
    const x = samples(150, 61);
    for (const budget of budgets) {
      assertSameBits(
        distanceMatrix(new DistanceKernel(x, 150, 61, 'wasm-simd', budget)),
        distanceMatrix(new DistanceKernel(x, 150, 61, 'js', budget)),
      );
    }
  });
  it('fill unaligned blocks with distances() as the unchunked kernel does', () => {
    const n = 150;
    const d = 29;
    const x = samples(n, d);
    const whole = new DistanceKernel(x, n, d);
    for (const kind of ['wasm-simd', 'js'] as const) {
      const chunked = new DistanceKernel(x, n, d, kind, 0);
      for (const [i0, i1, j0, j1] of [
        [3, 50, 5, 37],
        [0, 64, 0, n],
        [101, 150, 7, 149],
        [7, 8, 9, 10],
      ]) {
        const ldo = j1 - j0 + 3;
        const a = new Float64Array((i1 - i0) * ldo + 2).fill(-1);
        const b = new Float64Array((i1 - i0) * ldo + 2).fill(-1);
        whole.distances(i0, i1, j0, j1, a, 2, ldo);
        chunked.distances(i0, i1, j0, j1, b, 2, ldo);
        assertSameBits(b, a, `block [${i0}, ${i1}) × [${j0}, ${j1}) ${kind}`);
      }
    }
  });
  it('give exactly 0 between identical samples', () => {
    const d = 23;
    const base = samples(3, d);
    const x = Float64Array.from([
      ...base.subarray(0, d),
      ...base.subarray(d, 2 * d),
      ...base.subarray(0, d),
      ...base.subarray(2 * d),
      ...base.subarray(0, d),
    ]);
    for (const kind of ['wasm-simd', 'js'] as const) {
      const m = distanceMatrix(new DistanceKernel(x, 5, d, kind, 0));
      for (const [i, j] of [
        [0, 2],
        [2, 4],
        [0, 4],
        [4, 0],
      ])
        assert.equal(m[i * 5 + j], 0);
      assert.ok(m[1] > 0);
    }
  });
  it('take float32 samples and give the same bits as float64 copies of them, chunked or not', () => {
    const n = 70;
    const d = 45;
    const x = samples(n, d);
    const x32 = Float32Array.from(x);
    for (const budget of [undefined, 0, 20_000]) {
      for (const kind of ['wasm-simd', 'js'] as const) {
        assertSameBits(distanceMatrix(new DistanceKernel(x32, n, d, kind, budget)), distanceMatrix(new DistanceKernel(x, n, d, kind)));
      }
    }
  });
  it('find the same neighbours and weights in conditionalRows', () => {
    const n = 150;
    const d = 33;
    const K = 20;
    const x = samples(n, d);
    const run = (kernel: DistanceKernel, r0: number, r1: number) => {
      const indices = new Int32Array((r1 - r0) * K);
      const weights = new Float64Array((r1 - r0) * K);
      conditionalRows(kernel, r0, r1, K, indices, weights);
      return { indices, weights };
    };
    const whole = new DistanceKernel(x, n, d);
    for (const [r0, r1] of [
      [0, n],
      [37, 111],
    ]) {
      const expected = run(whole, r0, r1);
      for (const budget of [0, 20_000]) {
        const got = run(new DistanceKernel(x, n, d, undefined, budget), r0, r1);
        assertSameBits(got.indices, expected.indices, 'indices');
        assertSameBits(got.weights, expected.weights, 'weights');
      }
    }
  });
  it('deliver tiles in list order and reject blocks that are too large or out of range', () => {
    const n = 150;
    const kernel = new DistanceKernel(samples(n, 9), n, 9, undefined, 0);
    // The upper triangle's origins backwards, pair by pair.
    const upper = upperTriangleOrigins(n);
    const origins = Array.from({ length: upper.length }, (_, t) => upper[upper.length - 2 - (t & ~1) + (t & 1)]);
    const seen: number[] = [];
    kernel.tiles(squareBlocks(origins, n), (_block, i0, i1, j0, j1) => {
      assert.equal(i1, Math.min(n, i0 + BLOCK_ROWS));
      assert.equal(j1, Math.min(n, j0 + BLOCK_ROWS));
      seen.push(i0, j0);
    });
    assert.deepEqual(seen, origins);
    assert.throws(() => kernel.tiles([0, 65, 0, 10], () => undefined), RangeError);
    assert.throws(() => kernel.tiles([100, 151, 0, 10], () => undefined), RangeError);
    assert.throws(() => kernel.tiles([0, 1, 2], () => undefined), RangeError);
  });
  it('stay exact on reused WebAssembly memory that holds older, larger samples', () => {
    const big = samples(200, 300);
    new DistanceKernel(big, 200, 300).dispose();
    new DistanceKernel(big, 200, 300, 'wasm-simd', 100_000).dispose();
    const x = samples(21, 13);
    const expected = distanceMatrix(new DistanceKernel(x, 21, 13, 'js'));
    for (const budget of [undefined, 0, 100_000]) {
      const k = new DistanceKernel(x, 21, 13, 'wasm-simd', budget);
      assertSameBits(distanceMatrix(k), expected, `budget ${budget}`);
      k.dispose();
    }
  });
});

describe('cleanSamples', () => {
  it('keeps float32 input float32 and drops non-finite coordinates', () => {
    const x = Float32Array.from([1, 2, NaN, 4, 5, 6, 7, Infinity, 9]);
    const clean = cleanSamples(x, 3, 3);
    assert.ok(clean.data instanceof Float32Array);
    assert.deepEqual(Array.from(clean.data), [1, 4, 7]);
    assert.equal(clean.nonFiniteCount, 2);
    assert.equal(clean.droppedCoordinates, 2);
    assert.ok(cleanSamples([1, 2, 3, 4], 2, 2).data instanceof Float64Array);
  });
  it('returns clean typed arrays without a copy, and asks allocate for the element type', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    assert.equal(cleanSamples(x, 2, 2).data, x);
    const asked: boolean[] = [];
    const copy = cleanSamples(x, 2, 2, (length, float32) => (asked.push(float32), new Float32Array(length)));
    assert.notEqual(copy.data, x);
    assert.deepEqual(Array.from(copy.data), [1, 2, 3, 4]);
    assert.deepEqual(asked, [true]);
  });
  it('finds a non-finite value anywhere in a float64 or float32 array, the last one included', () => {
    for (const make of [(v: number[]) => Float64Array.from(v), (v: number[]) => Float32Array.from(v)]) {
      const x = make([1, 2, 3, 4, 5, -Infinity]);
      const clean = cleanSamples(x, 3, 2);
      assert.notEqual(clean.data, x);
      assert.deepEqual(Array.from(clean.data), [1, 3, 5]);
      assert.equal(clean.nonFiniteCount, 1);
      assert.equal(cleanSamples(make([1, 2, 3, 4, 5, 6]), 3, 2).nonFiniteCount, 0);
    }
  });
  it('finds one NaN or infinity at any place of float32 arrays of any length, views included, and lets the largest finite values, subnormals and -0 pass', () => {
    const largest = 3.4028234663852886e38;
    for (let length = 1; length <= 11; length++) {
      for (let at = 0; at < length; at++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const buffer = new Float32Array(length + 3);
          buffer.fill(Infinity);
          // A view one value into its buffer, between non-finite values it must not read.
          const x = buffer.subarray(1, 1 + length);
          x.set(Array.from({ length }, (_, i) => [largest, -largest, 1e-45, -0, 0.5][i % 5]));
          assert.equal(cleanSamples(x, length, 1).nonFiniteCount, 0, `length ${length}`);
          x[at] = bad;
          assert.equal(cleanSamples(x, length, 1).nonFiniteCount, 1, `length ${length}, ${bad} at ${at}`);
        }
      }
    }
  });
});

describe('wholeMatrixBudget (wide samples in chunks of coordinates for the whole matrix)', () => {
  it('chunks wide samples in one pass over the coordinates, with the same matrix as the default kernel', () => {
    const random = rng(12);
    for (const [n, d] of [
      [70, 3000],
      [130, 4608],
    ]) {
      const x = Float32Array.from({ length: n * d }, () => Math.max(0, random() - 0.5));
      const budget = wholeMatrixBudget(n, d);
      assert.ok(budget !== undefined, `n ${n}, d ${d}`);
      const chunked = new DistanceKernel(x, n, d, undefined, budget);
      const whole = new DistanceKernel(x, n, d);
      try {
        assert.equal(chunked.chunked, true);
        assert.equal(chunked.chunk, 1024);
        assert.equal(whole.chunked, false);
        assert.ok(Buffer.from(distanceMatrix(chunked).buffer).equals(Buffer.from(distanceMatrix(whole).buffer)));
      } finally {
        chunked.dispose();
        whole.dispose();
      }
    }
  });
  it('leaves narrow samples, and sets larger than the default budget, to the default', () => {
    assert.equal(wholeMatrixBudget(500, 2048), undefined);
    assert.equal(wholeMatrixBudget(500, 1152), undefined);
    assert.equal(wholeMatrixBudget(20000, 4608), undefined);
  });
});

describe('the WebAssembly kernel', () => {
  it('is built from the current gram.wat (regenerate with node scripts/build-wasm.mjs)', () => {
    execFileSync(process.execPath, [resolve(__dirname, '../../../scripts/build-wasm.mjs'), '--check'], { stdio: 'pipe' });
  });
});
