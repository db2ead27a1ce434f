import assert from 'node:assert/strict';
import {
  binOf,
  channelEntropies,
  featureMapsOf,
  finiteRange,
  intraSampleEntropy,
  layerActivations,
  layerValues,
  sampleChannelEntropies,
  channelMatrix,
} from '../../../src/analysis';
import { entropyOfCounts, referenceBins, rng } from '../../support/reference';

describe('intra-sample entropy (paper 4.4.2)', () => {
  it('gives log2 B when every bin holds the same number of values', () => {
    const values = Array.from({ length: 64 }, (_, i) => Math.floor(i / 2)); // 0..31, twice each
    assert.ok(Math.abs(intraSampleEntropy(values).entropyBits! - 5) < 1e-12);
    assert.ok(Math.abs(intraSampleEntropy([0, 1, 2, 3], 4).entropyBits! - 2) < 1e-12);
  });
  it('gives 0 for a constant sample', () => {
    assert.equal(intraSampleEntropy([3, 3, 3]).entropyBits, 0);
    assert.equal(intraSampleEntropy([-0, 0]).entropyBits, 0);
  });
  it('puts the maximum in the last bin and the minimum in the first', () => {
    assert.equal(binOf(1, 0, 1, 32), 31);
    assert.equal(binOf(0, 0, 1, 32), 0);
    assert.equal(binOf(0.5, 0, 1, 32), 16);
  });
  it('drops and counts NaN and ±Infinity; a sample with no finite value is undefined', () => {
    const r = intraSampleEntropy([0, NaN, 1, Infinity, -Infinity], 2);
    assert.equal(r.entropyBits, 1);
    assert.equal(r.nonFiniteCount, 3);
    assert.deepEqual(intraSampleEntropy([NaN, NaN]), { entropyBits: undefined, nonFiniteCount: 2 });
  });
  it('agrees with the reference binning on random data', () => {
    const r = rng(5);
    for (let t = 0; t < 20; t++) {
      const values = Array.from({ length: 50 + t }, () => r() * 10 - 3);
      const bins = 2 + t;
      const counts = new Array<number>(bins).fill(0);
      for (const b of referenceBins(values, bins)) counts[b]++;
      assert.ok(Math.abs(intraSampleEntropy(values, bins).entropyBits! - entropyOfCounts(counts)) < 1e-12);
    }
  });
  it('rejects fewer than 2 bins with a RangeError naming the parameter', () => {
    assert.throws(() => intraSampleEntropy([1, 2], 1), /bins/);
    assert.throws(() => intraSampleEntropy([1, 2], 2.5), RangeError);
  });
});

describe('channel entropies of a layer (paper 4.4.2, 5.4)', () => {
  const r = rng(9);
  const [n, h, w, c] = [12, 3, 4, 5];
  const data = Float32Array.from({ length: n * h * w * c }, () => Math.round(r() * 8) / 8);
  const layer = layerActivations([n, h, w, c], data);

  it('computes each feature map like intraSampleEntropy on its H×W slice', () => {
    const table = sampleChannelEntropies(layer, 8);
    for (let ch = 0; ch < c; ch++) {
      const m = channelMatrix(layer, ch);
      for (let i = 0; i < n; i++) {
        const expected = intraSampleEntropy(m.subarray(i * h * w, (i + 1) * h * w), 8).entropyBits!;
        assert.ok(Math.abs(table.entropyBits[i * c + ch] - expected) < 1e-12);
      }
    }
  });
  it("gives every feature map exactly intraSampleEntropy's bits, with ties, zeros, constant and non-finite maps and odd sizes", () => {
    const q = rng(1515);
    for (const [count, units, channels, bins] of [
      [1, 1, 1, 2],
      [7, 5, 3, 2],
      [9, 25, 8, 30],
      [4, 144, 16, 30],
      [3, 13, 1, 4096],
    ]) {
      const values = new Float64Array(count * units * channels);
      for (let i = 0; i < values.length; i++) {
        const v = q() * 2 - 0.8;
        // ReLU zeros, values on a grid (ties at bin edges) and plain values.
        values[i] = v < 0 ? 0 : v < 0.6 ? Math.round(v * bins) / bins : v;
      }
      // A constant feature map, one with no finite value, and one with a few.
      for (let p = 0; p < units; p++) values[p * channels] = 0.25;
      if (count > 1) for (let p = 0; p < units; p++) values[(units + p) * channels] = NaN;
      values[values.length - 1] = Infinity;
      for (const data of [Float32Array.from(values), values, Array.from(values)]) {
        const table = sampleChannelEntropies(layerActivations([count, units, channels], data), bins);
        let nonFinite = 0;
        for (let i = 0; i < count; i++) {
          for (let ch = 0; ch < channels; ch++) {
            const map = Array.from({ length: units }, (_, p) => data[(i * units + p) * channels + ch]);
            const want = intraSampleEntropy(map, bins);
            nonFinite += want.nonFiniteCount;
            assert.ok(
              Object.is(table.entropyBits[i * channels + ch], want.entropyBits ?? NaN),
              `${count}×${units}×${channels}, input ${i}, channel ${ch}`,
            );
          }
        }
        assert.equal(table.nonFiniteCount, nonFinite);
      }
    }
  });
  it('bins values at and just beside every bin edge as binOf does, operation for operation', () => {
    for (const [lo, hi, bins] of [
      [0, 1, 30],
      [-0.37, 2.9, 30],
      [0.1, 0.7, 7],
      [-3, 1e-3, 300],
    ]) {
      const map: number[] = [lo, hi];
      for (let k = 1; k < bins; k++) {
        const edge = lo + ((hi - lo) * k) / bins;
        map.push(edge, edge - Math.abs(edge) * 2 ** -52, edge + Math.abs(edge) * 2 ** -52);
      }
      const table = sampleChannelEntropies(layerActivations([1, map.length], map), bins);
      assert.ok(Object.is(table.entropyBits[0], intraSampleEntropy(map, bins).entropyBits), `[${lo}, ${hi}], ${bins} bins`);
    }
  });
  it('averages over the inputs, overall and per true class', () => {
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const s = channelEntropies(layer, { bins: 8, labels });
    const table = sampleChannelEntropies(layer, 8);
    for (let ch = 0; ch < c; ch++) {
      const all = Array.from({ length: n }, (_, i) => table.entropyBits[i * c + ch]);
      assert.ok(Math.abs(s.all[ch]! - all.reduce((a, b) => a + b) / n) < 1e-12);
      const k1 = all.filter((_, i) => labels[i] === 1);
      assert.ok(Math.abs(s.perClass![1][ch]! - k1.reduce((a, b) => a + b) / k1.length) < 1e-12);
    }
    assert.deepEqual(s.classCounts, [4, 4, 4]);
  });
  it('keeps a class with no inputs undefined instead of 0', () => {
    const s = channelEntropies(layer, { labels: new Array(n).fill(0), classes: 2 });
    assert.ok(s.perClass![1].every((v) => v === undefined));
  });
  it('treats a dense [N, U] output as one channel', () => {
    const dense = layerActivations([2, 4], [0, 1, 2, 3, 5, 5, 5, 5]);
    assert.equal(dense.channels, 1);
    assert.deepEqual(channelEntropies(dense, { bins: 4 }).all, [1]);
  });
  it('rejects labels that do not fit the inputs', () => {
    assert.throws(() => channelEntropies(layer, { labels: [0, 1] }), /labels/);
    assert.throws(() => channelEntropies(layer, { labels: new Array(n).fill(0.5) }), /integers/);
    assert.throws(() => channelEntropies(layer, { labels: new Array(n).fill(3), classes: 3 }), /outside/);
  });
  it('rejects a shape that does not match the data', () => {
    assert.throws(() => layerActivations([2, 3, 3, 2], new Float32Array(10)), /needs 36 values/);
    assert.throws(() => layerActivations([5], new Float32Array(5)), /\[N, U\]/);
  });
});

describe('channel entropies of a channels-first layer, read in place', () => {
  /** A [N, C, H, W] float32 layer: ReLU zeros, a constant map, a map of one NaN and Infinity among finite values, an all-NaN map. */
  function channelsFirstLayer(N: number, C: number, H: number, W: number): Float32Array {
    const random = rng(67);
    const data = Float32Array.from({ length: N * C * H * W }, () => Math.max(0, random() - 0.4) * 3);
    const map = (n: number, c: number) => data.subarray((n * C + c) * H * W, (n * C + c + 1) * H * W);
    map(0, 1).fill(0.25);
    map(1, 2)[3] = NaN;
    map(1, 2)[5] = Infinity;
    map(2, 0).fill(NaN);
    return data;
  }

  for (const kernel of ['wasm-simd', 'js'] as const) {
    for (const [N, C, H, W] of [
      [5, 3, 4, 5],
      [4, 7, 3, 3],
      [3, 1, 6, 6],
      // Maps of at most SMALL_MAP_UNITS values (a channels-last copy) and just above.
      [6, 9, 4, 4],
      [5, 8, 1, 1],
      [4, 5, 1, 17],
    ]) {
      it(`${kernel}, [${N}, ${C}, ${H}, ${W}]: the table and the summaries of the channels-last copy, bit for bit`, () => {
        const data = channelsFirstLayer(N, C, H, W);
        const inPlace = layerValues([N, C, H, W], data, 'channelsFirst');
        const copy = layerActivations([N, C, H, W], data, 'channelsFirst');
        const a = sampleChannelEntropies(inPlace, 8, kernel);
        const b = sampleChannelEntropies(copy, 8, kernel);
        assert.equal(a.count, N);
        assert.equal(a.channels, C);
        assert.equal(a.nonFiniteCount, b.nonFiniteCount);
        assert.ok(a.nonFiniteCount >= H * W, 'the NaN map and the two non-finite values are counted');
        assert.deepEqual([...a.entropyBits].map(String), [...b.entropyBits].map(String));
        // Map by map, whatever the map's size: the same table.
        const maps = sampleChannelEntropies(featureMapsOf(inPlace), 8, kernel);
        assert.deepEqual([...maps.entropyBits].map(String), [...a.entropyBits].map(String));
        const labels = Int32Array.from({ length: N }, (_, n) => n % 2);
        assert.deepEqual(channelEntropies(inPlace, { bins: 8, labels }), channelEntropies(copy, { bins: 8, labels }));
        // The whole layer's finite range, found on the way: the one NaN and Infinity and the NaN map left out.
        assert.deepEqual(a.range, finiteRange(data));
        assert.equal(a.range.nonFiniteCount, a.nonFiniteCount);
      });
    }
  }

  it('the map (n, c) is the [N, C] table entry n·C + c: a constant map is 0 bits, an all-NaN map undefined', () => {
    const [N, C, H, W] = [5, 3, 4, 5];
    const table = sampleChannelEntropies(layerValues([N, C, H, W], channelsFirstLayer(N, C, H, W), 'channelsFirst'), 8);
    assert.equal(table.entropyBits[0 * C + 1], 0);
    assert.ok(Number.isNaN(table.entropyBits[2 * C + 0]));
    assert.ok(table.entropyBits[0] > 0);
  });
});
