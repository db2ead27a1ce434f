import assert from 'node:assert/strict';
import {
  DistanceKernel,
  INTER_SAMPLE_UNDEFINED_TEXT,
  interSampleEntropy,
  kthSmallest,
  NeighbourSelector,
  neighbourCount,
  solveNeighbourWeights,
  symmetricEntropyBits,
  WeightPass,
} from '../../../src/analysis';
import { interSampleScalar, selectScalar, solveScalar, symmetricScalar } from '../../support/interSampleScalar';
import { referenceInterSample, rng } from '../../support/reference';

const close = (a: number | undefined, b: number | undefined, tol: number) => {
  assert.ok(a !== undefined && b !== undefined, `expected numbers, got ${a} and ${b}`);
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} differs from ${b} by more than ${tol}`);
};

describe('inter-sample entropy (paper 4.4.1, eqs. 4–7)', () => {
  it('gives log2 6 for three equidistant points (K = 2, every weight 1/2, P uniform over 6 pairs)', () => {
    const s3 = Math.sqrt(3) / 2;
    close(interSampleEntropy([0, 0, 1, 0, 0.5, s3], 3, 2, { k: 2 }).entropyBits, Math.log2(6), 1e-12);
  });
  it('is undefined, with the reason, when all points are equal (no kernel can be calibrated), not the ceiling log2(N(N-1))', () => {
    const r = interSampleEntropy(new Array(5 * 3).fill(2), 5, 3);
    assert.equal(r.entropyBits, undefined);
    assert.equal(r.undefinedReason, 'identical-samples');
    assert.equal(INTER_SAMPLE_UNDEFINED_TEXT[r.undefinedReason], 'all probe inputs are identical here');
    // 200 zero outputs (a dead layer), the case: not 15.28 bits.
    const dead = interSampleEntropy(new Float32Array(200 * 4), 200, 4);
    assert.deepEqual([dead.entropyBits, dead.undefinedReason], [undefined, 'identical-samples']);
    assert.equal(
      referenceInterSample(
        Array.from({ length: 5 }, () => [2, 2, 2]),
        1000,
      ),
      undefined,
    );
  });
  it('is undefined when some point has its k neighbours all at distance 0, as the direct definition says; defined when only some are', () => {
    // Points 0-3 identical, 4-9 spread: with k = 3, each of 0-3 has its 3 neighbours at distance 0.
    const x = [[0], [0], [0], [0], [1], [2.5], [4], [7], [11], [16]];
    const tied = interSampleEntropy(x.flat(), 10, 1, { k: 3 });
    assert.deepEqual([tied.entropyBits, tied.undefinedReason], [undefined, 'tied-neighbours']);
    assert.equal(referenceInterSample(x, 3), undefined);
    // Two clusters of identical points, every point tied but not all identical.
    const two = [[0], [0], [0], [5], [5], [5]];
    assert.equal(interSampleEntropy(two.flat(), 6, 1, { k: 2 }).undefinedReason, 'tied-neighbours');
    // With k = 4 every point of 0-3 has a neighbour at a positive distance: defined, and the reference agrees.
    close(interSampleEntropy(x.flat(), 10, 1, { k: 4 }).entropyBits, referenceInterSample(x, 4), 1e-10);
    assert.equal(interSampleEntropy(x.flat(), 10, 1, { k: 4 }).undefinedReason, undefined);
  });
  it('agrees with a direct implementation of the definition (bisection, sorting) to 1e-10', () => {
    const r = rng(11);
    for (const [n, d, k, quantised] of [
      [10, 3, 4, false],
      [40, 7, 10, true],
      [120, 16, 1000, false],
      [200, 5, 30, true],
    ] as const) {
      const x = Array.from({ length: n }, () => Array.from({ length: d }, () => (quantised ? Math.round(r() * 4) / 4 : r())));
      close(interSampleEntropy(x.flat(), n, d, { k }).entropyBits, referenceInterSample(x, k), 1e-10);
    }
  });
  it('gives bit-identical answers with the WebAssembly and the plain-JS distance kernels', () => {
    const r = rng(12);
    const x = Float64Array.from({ length: 90 * 13 }, () => r());
    assert.equal(interSampleEntropy(x, 90, 13, { k: 20 }).entropyBits, interSampleEntropy(x, 90, 13, { k: 20, kernel: 'js' }).entropyBits);
  });
  it('is undefined below 3 samples and uses K = N - 1 when k >= N', () => {
    assert.equal(interSampleEntropy([1, 2], 2, 1).entropyBits, undefined);
    assert.equal(interSampleEntropy([], 0, 4).entropyBits, undefined);
    const x = [0, 1, 3, 7, 15];
    assert.equal(interSampleEntropy(x, 5, 1, { k: 1000 }).K, 4);
    assert.equal(interSampleEntropy(x, 5, 1, { k: 1000 }).entropyBits, interSampleEntropy(x, 5, 1, { k: 4 }).entropyBits);
  });
  it('rejects k < 2 and non-integer k with a RangeError naming k', () => {
    assert.throws(() => neighbourCount(10, 1), /k must be/);
    assert.throws(() => interSampleEntropy([1, 2, 3], 3, 1, { k: 2.5 }), RangeError);
  });
  it('drops coordinates holding NaN or Infinity and counts them', () => {
    // Coordinate 1 holds NaN and Infinity: the distances use coordinates 0 and 2 only.
    const dirty = [0, NaN, 1, 2, Infinity, 5, 3, 9, 4, 4, 0, 4];
    const r = interSampleEntropy(dirty, 4, 3, { k: 3 });
    assert.equal(r.nonFiniteCount, 2);
    assert.equal(r.droppedCoordinates, 1);
    assert.equal(r.entropyBits, interSampleEntropy([0, 1, 2, 5, 3, 4, 4, 4], 4, 2, { k: 3 }).entropyBits);
  });
  it('breaks distance ties by the lower index', () => {
    // Point 0 at the origin, points 1..4 all at distance 1: with K = 2, the neighbours of 0 are 1 and 2.
    const kernel = new DistanceKernel(Float64Array.from([0, 0, 1, 0, 0, 1, -1, 0, 0, -1]), 5, 2);
    const row = new Float64Array(5);
    kernel.distances(0, 1, 0, 5, row, 0, 5);
    assert.deepEqual(Array.from(row), [0, 1, 1, 1, 1]);
    const indices = new Int32Array(2);
    new NeighbourSelector(5, 2).select(row, 0, 0, indices, new Float64Array(2), 0);
    assert.deepEqual(Array.from(indices), [1, 2]);
  });
});

describe('σ search (paper eq. 5)', () => {
  it('makes the weights sum to log2 K within 1e-9', () => {
    const r = rng(3);
    const d = Float64Array.from({ length: 1000 }, () => r() * 10);
    const w = new Float64Array(1000);
    solveNeighbourWeights(d, 0, 1000, w);
    close(
      w.reduce((a, b) => a + b),
      Math.log2(1000),
      1e-9,
    );
  });
  it('takes every weight as 1 when all neighbours are at distance 0', () => {
    const w = new Float64Array(4);
    assert.equal(solveNeighbourWeights(new Float64Array(4), 0, 4, w), Infinity);
    assert.deepEqual(Array.from(w), [1, 1, 1, 1]);
  });
  it('takes the σ → 0 limit when the zero-distance neighbours alone reach log2 K', () => {
    const w = new Float64Array(4);
    solveNeighbourWeights(Float64Array.from([0, 0, 3, 4]), 0, 4, w);
    assert.deepEqual(Array.from(w), [1, 1, 0, 0]);
  });
});

describe('symmetrisation (paper eqs. 6–7)', () => {
  it('counts a pair once per direction and normalises', () => {
    // Two samples each other's only neighbour would be K = 1 (undefined); check a 3-cycle by hand:
    // 0→1 (w=1), 1→2 (w=1), 2→0 (w=1) with K = 2 second neighbours weight 0.
    const h = symmetricEntropyBits(3, 2, Int32Array.from([1, 2, 0, 2, 0, 1]), Float64Array.from([1, 0, 0, 1, 1, 0]));
    // q_ij = w(i→j) + w(j→i): every ordered pair gets exactly 1 → uniform over 6 → log2 6.
    close(h, Math.log2(6), 1e-12);
  });
});

describe('kthSmallest', () => {
  it('finds order statistics with duplicates', () => {
    const r = rng(4);
    for (let t = 0; t < 50; t++) {
      const a = Float64Array.from({ length: 1 + t * 3 }, () => Math.floor(r() * 5));
      const sorted = Array.from(a).sort((x, y) => x - y);
      const k = Math.floor(r() * a.length);
      assert.equal(kthSmallest(Float64Array.from(a), a.length, k), sorted[k]);
    }
  });
});

describe('the σ search kernel and the all-neighbour paths give the same bits as the scalar stages', () => {
  const LN2 = Math.LN2;
  /** Exponents where the kernel's method switches branch, each with its neighbouring doubles. */
  const edges = [
    0,
    1e-300,
    2 ** -28,
    0.5 * LN2,
    0.3465735912322998,
    1.5 * LN2,
    1.0397205352783203,
    1,
    2,
    700,
    708,
    708.05,
    709.78,
    745.1,
    745.2,
    800,
  ];
  const around = (x: number) => {
    const out: number[] = [x];
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, x);
    const bits = b.getBigUint64(0);
    for (const delta of [-2n, -1n, 1n, 2n]) {
      if (bits + delta < 0n) continue;
      b.setBigUint64(0, bits + delta);
      out.push(b.getFloat64(0));
    }
    return out;
  };

  it('computes every weight exp(-d·β) with the bits of Math.exp, in WebAssembly SIMD and in plain JS', () => {
    const r = rng(41);
    const xs = [...edges.flatMap(around), ...Array.from({ length: 20000 }, (_, i) => (i < 10000 ? r() * 760 : r() * 3))];
    for (const kind of ['wasm-simd', 'js'] as const) {
      const pass = new WeightPass(xs.length, kind);
      assert.equal(pass.kind, kind);
      pass.distances.set(xs);
      pass.run(xs.length, 1);
      for (let j = 0; j < xs.length; j++)
        assert.ok(Object.is(pass.weights[j], Math.exp(-xs[j])), `${kind}: exp(-${xs[j]}) gave ${pass.weights[j]}`);
    }
  });

  it('sums the weights and the distance-weighted weights in index order, the same in both kernels, for odd and even K', () => {
    const r = rng(42);
    for (const K of [1, 2, 3, 17, 498, 499]) {
      const d = Float64Array.from({ length: K }, (_, j) => (j % 7 === 0 ? 0 : r() * 20));
      const sums = (['wasm-simd', 'js'] as const).map((kind) => {
        const pass = new WeightPass(K, kind);
        pass.distances.set(d);
        return [pass.run(K, 0.7), pass.weightedSum];
      });
      let g = 0;
      let g1 = 0;
      for (let j = 0; j < K; j++) {
        g += Math.exp(-d[j] * 0.7);
        g1 += d[j] * Math.exp(-d[j] * 0.7);
      }
      assert.deepEqual(sums, [
        [g, g1],
        [g, g1],
      ]);
    }
  });

  it('solves each row to the same weights and σ as the Math.exp Newton search, with zeros, ties and any scale', () => {
    const r = rng(43);
    for (let t = 0; t < 300; t++) {
      const K = 2 + Math.floor(r() * 600);
      const scale = 10 ** (r() * 10 - 5);
      const d = Float64Array.from({ length: K + 5 }, () => {
        const u = r();
        return u < 0.1 ? 0 : u < 0.3 ? scale : u < 0.35 ? scale * 1000 : r() * scale;
      });
      const before = new Float64Array(K + 5);
      const now = new Float64Array(K + 5);
      const sigmaBefore = solveScalar(d, 5, K, before);
      assert.ok(Object.is(solveNeighbourWeights(d, 5, K, now), sigmaBefore));
      assert.ok(Buffer.from(now.buffer).equals(Buffer.from(before.buffer)), `row ${t} (K = ${K})`);
      // Written elsewhere with outOffset, the same weights.
      const moved = new Float64Array(K + 9);
      solveNeighbourWeights(d, 5, K, moved, 9);
      assert.ok(Buffer.from(moved.buffer, 72).equals(Buffer.from(before.buffer, 40)));
    }
  });

  it('selects every other sample as a neighbour when K = N - 1, with the same indices and weights as the selection', () => {
    const r = rng(44);
    for (const n of [3, 4, 50, 301]) {
      const row = Float64Array.from({ length: n }, () => Math.floor(r() * 4)); // ties and zero distances
      const i = Math.floor(r() * n);
      row[i] = 0;
      const K = n - 1;
      const indices = new Int32Array(K + 2);
      const weights = new Float64Array(K + 2);
      new NeighbourSelector(n, K).select(row, 0, i, indices, weights, 2);
      const indicesBefore = new Int32Array(K + 2);
      const weightsBefore = new Float64Array(K + 2);
      selectScalar(row, i, K, indicesBefore, weightsBefore, 2);
      assert.deepEqual(indices, indicesBefore);
      assert.ok(Buffer.from(weights.buffer).equals(Buffer.from(weightsBefore.buffer)));
    }
  });

  it('symmetrises every-neighbour lists to the same bits as the transposed lists, and takes the general path for other orders', () => {
    const r = rng(45);
    // Smaller sets after larger ones too: the q·log2 q cache is kept between calls, with the last call's values in it.
    for (const n of [3, 5, 60, 400, 60, 3, 400]) {
      const K = n - 1;
      const indices = new Int32Array(n * K);
      const weights = Float64Array.from({ length: n * K }, () => (r() < 0.2 ? 0 : r() < 0.1 ? 1 : r()));
      for (let i = 0; i < n; i++) for (let t = 0; t < K; t++) indices[i * K + t] = t < i ? t : t + 1;
      assert.ok(Object.is(symmetricEntropyBits(n, K, indices, weights), symmetricScalar(n, K, indices, weights)));
      // Row 0's neighbours listed in descending order: the same samples, another summation order.
      indices.subarray(0, K).reverse();
      weights.subarray(0, K).reverse();
      assert.ok(Object.is(symmetricEntropyBits(n, K, indices, weights), symmetricScalar(n, K, indices, weights)));
    }
    const none = new Int32Array(12);
    for (let i = 0; i < 4; i++) for (let t = 0; t < 3; t++) none[i * 3 + t] = t < i ? t : t + 1;
    assert.equal(symmetricEntropyBits(4, 3, none, new Float64Array(12)), undefined);
  });

  it('gives the same inter-sample entropy bits as before on random data with ties, zero distances and duplicate samples', () => {
    const r = rng(46);
    for (let t = 0; t < 40; t++) {
      const n = 3 + Math.floor(r() * (t < 30 ? 60 : 400));
      const d = 1 + Math.floor(r() * 12);
      const x = Float32Array.from({ length: n * d }, () => (t % 3 === 0 ? Math.floor(r() * 3) : t % 3 === 1 ? (r() < 0.7 ? 0 : r()) : r()));
      for (let i = 1; i < n / 4; i++) x.copyWithin(i * 2 * d, 0, d); // duplicates of sample 0
      for (const k of [2, 7, Math.max(2, n - 2), n - 1, 1000]) {
        assert.ok(Object.is(interSampleEntropy(x, n, d, { k }).entropyBits, interSampleScalar(x, n, d, k)), `n ${n}, d ${d}, k ${k}`);
      }
    }
  });
});
