import assert from 'node:assert/strict';
import {
  binCodes,
  capacityBits,
  capacityMatrix,
  capacityCells,
  capacityMatrixFromCodes,
  cleanSamples,
  condensedDistances,
  distanceCodes,
  DistanceKernel,
  fillCapacityCells,
  JointHistograms,
  layerActivations,
  layerCapacity,
  shannonEntropyBits,
  sortMatrix,
} from '../../../src/analysis';
import { referenceCapacity, rng } from '../../support/reference';

const r = rng(31);
const rows = (n: number, d: number, f: () => number) => Array.from({ length: n }, () => Array.from({ length: d }, f));

describe('channel capacity (paper 5.3.1, eq. 3)', () => {
  const a = rows(40, 9, r);
  const b = a.map((row) => row.map((v, i) => v * 2 + (i % 3 === 0 ? r() * 0.5 : 0)));
  const ca = distanceCodes(a.flat(), 40, 9, 8);
  const cb = distanceCodes(b.flat(), 40, 9, 8);

  it('agrees with a direct implementation of the definition', () => {
    const got = capacityBits(ca, cb)!;
    assert.ok(Math.abs(got - referenceCapacity(a, b, 8)) < 1e-12, `${got}`);
  });
  it('gives H(A) for a channel with itself', () => {
    assert.ok(Math.abs(capacityBits(ca, ca)! - ca.entropyBits!) < 1e-12);
  });
  it('is symmetric', () => {
    assert.ok(Math.abs(capacityBits(ca, cb)! - capacityBits(cb, ca)!) < 1e-12);
  });
  it('is close to 0 for independent channels', () => {
    const n = 300;
    const x = distanceCodes(rows(n, 16, r).flat(), n, 16, 8);
    const y = distanceCodes(rows(n, 16, r).flat(), n, 16, 8);
    // The plug-in estimate is biased upwards by about (B-1)²/(2·pairs·ln 2) ≈ 0.0008 bits here.
    assert.ok(capacityBits(x, y)! < 0.01, `${capacityBits(x, y)}`);
    assert.ok(capacityBits(x, x)! > 1);
  });
  it('is 0 when one channel is constant (all distances in bin 0)', () => {
    const constant = distanceCodes(new Array(40 * 9).fill(1), 40, 9, 8);
    assert.equal(constant.entropyBits, 0);
    assert.equal(capacityBits(constant, ca), 0);
  });
  it('is undefined with fewer than 2 inputs', () => {
    const one = distanceCodes([1, 2, 3], 1, 3);
    assert.equal(one.entropyBits, undefined);
    assert.equal(capacityBits(one, one), undefined);
  });
  it('rejects channels over different inputs', () => {
    assert.throws(() => capacityBits(ca, distanceCodes([1, 2, 3, 4], 2, 2, 8)), /same inputs/);
  });
});

describe('capacity matrix of a layer pair (paper Fig. 8)', () => {
  const n = 30;
  const li = layerActivations([n, 2, 2, 3], Float32Array.from({ length: n * 4 * 3 }, r));
  const lj = layerActivations([n, 5], Float32Array.from({ length: n * 5 }, r));
  it('has rows = channels of l_j and columns = channels of l_i', () => {
    const m = capacityMatrix(li, lj);
    assert.equal(m.rows, 1);
    assert.equal(m.columns, 3);
    const self = capacityMatrix(li, li);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(self.values[c * 3 + c] - self.columnEntropyBits[c]!) < 1e-12);
  });
  it('gives every cell exactly capacityBits, on the WebAssembly and the JS joint-histogram paths alike', () => {
    for (const bins of [8, 32, 255]) {
      const codes = (count: number) =>
        Array.from({ length: count }, () => distanceCodes(Float64Array.from({ length: 40 * 6 }, r), 40, 6, bins));
      const columns = codes(5);
      const rowCodes = codes(7); // not a multiple of the four rows done at once
      for (const range of [
        [0, 7],
        [2, 7],
        [3, 4],
      ] as [number, number][]) {
        const wasm = capacityMatrixFromCodes(columns, rowCodes, range, 'wasm-simd');
        const js = capacityMatrixFromCodes(columns, rowCodes, range, 'js');
        assert.deepEqual(Array.from(wasm.values), Array.from(js.values));
        for (let q = range[0]; q < range[1]; q++) {
          for (let c = 0; c < 5; c++) assert.equal(wasm.values[(q - range[0]) * 5 + c], capacityBits(columns[c], rowCodes[q]));
        }
      }
    }
    // bins above 255 (16-bit codes) take the JS path.
    const wide = [0, 1].map(() => distanceCodes(Float64Array.from({ length: 20 * 3 }, r), 20, 3, 300));
    assert.equal(capacityMatrixFromCodes(wide, wide).values[1], capacityBits(wide[1], wide[0]));
  });
  it('gives a layer with itself the cells of the pairs computed one way and the other, bit for bit, from one histogram per pair', () => {
    // The two cells of a pair differ in their last bits (the joint histogram summed in two orders):
    // a mirrored copy of one would fail here.
    const asymmetric = (m: { values: Float64Array }, k: number) => {
      let differ = 0;
      for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) if (m.values[a * k + b] !== m.values[b * k + a]) differ++;
      return differ;
    };
    let seen = 0;
    for (const [n, bins, channels] of [
      [40, 8, 1],
      [40, 32, 7],
      [60, 32, 9],
      [40, 255, 5],
      [521, 32, 6], // 135,460 pairs: more than one kernel call per histogram
    ]) {
      const codes = Array.from({ length: channels }, (_, c) =>
        distanceCodes(
          Float64Array.from({ length: n * 6 }, () => r() * (1 + (c % 3))),
          n,
          6,
          bins,
        ),
      );
      const copies = codes.map((c) => ({ ...c }));
      for (const kernel of ['wasm-simd', 'js'] as const) {
        const self = capacityMatrixFromCodes(codes, codes, [0, channels], kernel);
        const oneByOne = capacityMatrixFromCodes(codes, copies, [0, channels], kernel);
        assert.deepEqual(
          Array.from(self.values),
          Array.from(oneByOne.values),
          `${n} inputs, ${bins} bins, ${channels} channels, ${kernel}`,
        );
        for (let q = 0; q < channels; q++)
          for (let c = 0; c < channels; c++) assert.equal(self.values[q * channels + c], capacityBits(codes[c], copies[q]));
        seen += asymmetric(self, channels);
      }
    }
    assert.ok(seen > 0, 'some pairs have cells that differ in their last bits');
    // A symmetric matrix takes every row: a part of one is refused.
    const codes = [0, 1, 2].map(() => distanceCodes(Float64Array.from({ length: 20 * 3 }, r), 20, 3, 8));
    assert.throws(() => new JointHistograms(codes, [1, 3], 'js', true), /every row/);
  });
  it('keeps the joint cells of codes above 256 bins apart (16-bit offsets wrapped round and merged two of them)', () => {
    // Column code 299 with row code 0 is offset 299 · 300 = 89,700, which a 16-bit offset wrapped to
    // 24,164: the offset of 80 with 164. Three pairs, each joint cell its own: I = log2 3.
    const codes = (values: number[]) => ({
      n: 3,
      bins: 300,
      codes: Uint16Array.from(values),
      entropyBits: Math.log2(3),
      nonFiniteCount: 0,
    });
    const columns = [codes([299, 80, 5])];
    const rows = [codes([0, 164, 7])];
    assert.equal(capacityMatrixFromCodes(columns, rows, [0, 1], 'js').values[0], Math.log2(3));
    assert.equal(capacityBits(columns[0], rows[0]), Math.log2(3));
  });
  it('gives listed cells, and with `transposed` each one the other way round, bit for bit the full matrix’s', () => {
    for (const [n, bins] of [
      [60, 32], // WebAssembly kernel
      [521, 32], // more than one kernel call per histogram
      [60, 300], // 16-bit codes: the JS loop
    ]) {
      const channels = 9;
      const codes = Array.from({ length: channels }, (_, c) =>
        distanceCodes(
          Float64Array.from({ length: n * 5 }, () => r() * (1 + (c % 4))),
          n,
          5,
          bins,
        ),
      );
      const full = capacityMatrixFromCodes(codes, codes).values;
      // Rows of one column (computed as asked), of several (turned round: their columns four to a
      // pass), a diagonal cell, and a row asked twice.
      const cells = [4, 2, 0, 1, 0, 2, 0, 3, 0, 8, 0, 5, 7, 7, 3, 8, 3, 6, 5, 1, 5, 0, 2, 6];
      const { list, order } = capacityCells(cells);
      const out = new Float64Array(list.columns.length);
      const transposed = new Float64Array(list.columns.length);
      fillCapacityCells(codes, list, out, 0, list.rows.length, transposed);
      const alone = new Float64Array(list.columns.length);
      fillCapacityCells(codes, list, alone);
      for (let i = 0; i < cells.length / 2; i++) {
        const [row, column] = [cells[2 * i], cells[2 * i + 1]];
        assert.equal(out[order[i]], full[row * channels + column], `(${row}, ${column}), ${n} inputs, ${bins} bins`);
        assert.equal(alone[order[i]], full[row * channels + column], `(${row}, ${column}) without transposed cells`);
        assert.equal(transposed[order[i]], full[column * channels + row], `(${column}, ${row}) transposed, ${n} inputs, ${bins} bins`);
      }
    }
  });
  it('treats whole layer outputs as one channel for the layer-level capacity', () => {
    const whole = layerActivations([n, 12], li.data);
    assert.equal(layerCapacity(li, li), capacityMatrix(whole, whole).values[0]);
  });
});

describe('sorting rows and columns (paper 5.3.2)', () => {
  // rows: [1, 5], [3, 3], [NaN, NaN]; columns: [1, 3, NaN], [5, 3, NaN]
  const values = [1, 5, 3, 3, NaN, NaN];
  it('orders by max, descending, ties by index; undefined rows last', () => {
    assert.deepEqual(sortMatrix(values, 3, 2, 'max'), { rowOrder: [0, 1, 2], columnOrder: [1, 0] });
  });
  it('orders by mean, descending, ties by index', () => {
    assert.deepEqual(sortMatrix(values, 3, 2, 'mean'), { rowOrder: [0, 1, 2], columnOrder: [1, 0] });
    assert.deepEqual(sortMatrix([2, 2, 1, 3], 2, 2, 'mean', 'none'), { rowOrder: [0, 1], columnOrder: [0, 1] });
    assert.deepEqual(sortMatrix([1, 1, 4, 0], 2, 2, 'mean', 'max'), { rowOrder: [1, 0], columnOrder: [0, 1] });
  });
  it('keeps the natural order for none', () => {
    assert.deepEqual(sortMatrix(values, 3, 2, 'none'), { rowOrder: [0, 1, 2], columnOrder: [0, 1] });
  });
});

describe('capacity kernels (distance codes in one pass, joint histograms in chunks)', () => {
  const s = rng(47);
  /** The distance codes as the definition builds them: clean, condensed distances, the min–max rule, the margin. */
  const definitionCodes = (values: ArrayLike<number>, n: number, d: number, bins: number) => {
    const clean = cleanSamples(values, n, d);
    const kernel = new DistanceKernel(clean.data, n, clean.d);
    const distances = condensedDistances(kernel);
    kernel.dispose();
    const codes = bins <= 255 ? new Uint8Array(distances.length) : new Uint16Array(distances.length);
    binCodes(distances, codes, bins);
    const counts = new Array<number>(bins).fill(0);
    for (const c of codes) counts[c]++;
    return {
      codes: Array.from(codes),
      entropyBits: distances.length ? shannonEntropyBits(counts) : undefined,
      nonFinite: clean.nonFiniteCount,
    };
  };

  it('bins typed and plain arrays, with or without non-finite values, exactly as the definition', () => {
    for (const bins of [2, 7, 32, 255, 300]) {
      for (const [n, d] of [
        [1, 5],
        [2, 3],
        [13, 6],
        [40, 9],
      ]) {
        const values = Array.from({ length: n * d }, () => Math.fround(s() * 4 - 1));
        const withBad = values.slice();
        if (n * d > 4) withBad[3] = NaN;
        if (n * d > 7) withBad[7] = -Infinity;
        for (const input of [values, withBad]) {
          const want = definitionCodes(input, n, d, bins);
          for (const typed of [Float32Array.from(input), Float64Array.from(input), input]) {
            const got = distanceCodes(typed, n, d, bins);
            assert.deepEqual(Array.from(got.codes), want.codes, `${typed.constructor.name}, ${n}×${d}, ${bins} bins`);
            assert.equal(got.entropyBits, want.entropyBits);
            assert.equal(got.nonFiniteCount, want.nonFinite);
          }
        }
      }
    }
  });

  it('writes the codes into the array it is given, shared memory included, on every path', () => {
    for (const bins of [32, 300]) {
      const x = Float32Array.from({ length: 40 * 9 }, () => Math.max(0, s() - 0.3));
      const withNaN = x.slice();
      withNaN[17] = NaN; // the float64 path
      for (const [values, kernel] of [
        [x, undefined],
        [x, 'js'],
        [withNaN, undefined],
      ] as const) {
        const want = distanceCodes(values, 40, 9, bins, kernel);
        const pairs = (40 * 39) / 2;
        const into =
          bins <= 255 ? new Uint8Array(new SharedArrayBuffer(pairs)).fill(9) : new Uint16Array(new SharedArrayBuffer(2 * pairs)).fill(9);
        const got = distanceCodes(values, 40, 9, bins, kernel, into);
        assert.equal(got.codes, into);
        assert.deepEqual(Array.from(into), Array.from(want.codes));
        assert.equal(got.entropyBits, want.entropyBits);
      }
      assert.throws(() => distanceCodes(x, 40, 9, bins, undefined, new Uint8Array(bins <= 255 ? 10 : (40 * 39) / 2)), RangeError);
    }
  });
  it('puts every pair of a constant channel in bin 0', () => {
    const got = distanceCodes(new Float32Array(12 * 4).fill(0.5), 12, 4, 7);
    assert.ok(got.codes.every((c) => c === 0));
    assert.equal(got.entropyBits, 0);
  });

  it('fills any chunks of columns with the cells of the whole matrix: odd sizes, one channel, bins not a power of two', () => {
    for (const bins of [3, 32, 100]) {
      const codes = (count: number) =>
        Array.from({ length: count }, () => distanceCodes(Float64Array.from({ length: 23 * 5 }, s), 23, 5, bins));
      for (const [columnCount, rowCount] of [
        [1, 1],
        [5, 7],
        [6, 1],
      ]) {
        const columns = codes(columnCount);
        const rowCodes = codes(rowCount);
        const other = codes(rowCount);
        for (const kernel of ['wasm-simd', 'js'] as const) {
          const out = new Float64Array(rowCount * columnCount).fill(-1);
          const decoy = new Float64Array(rowCount * columnCount);
          const joint = new JointHistograms(rowCodes, [0, rowCount], kernel);
          const interloper = new JointHistograms(other, [0, rowCount], kernel);
          // Chunks of 1, 2, 3 columns, with another object's rows loaded between them.
          for (let c0 = 0, size = 1; c0 < columnCount; c0 += size, size = (size % 3) + 1) {
            joint.fill(columns, c0, Math.min(columnCount, c0 + size), out, columnCount);
            interloper.fill(columns, 0, 1, decoy, columnCount);
          }
          for (let q = 0; q < rowCount; q++) {
            for (let c = 0; c < columnCount; c++)
              assert.equal(out[q * columnCount + c], capacityBits(columns[c], rowCodes[q]), `${kernel}, ${bins} bins, cell ${q},${c}`);
          }
          assert.deepEqual(Array.from(capacityMatrixFromCodes(columns, rowCodes, undefined, kernel).values), Array.from(out));
        }
      }
    }
  });
});
