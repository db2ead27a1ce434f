// The joint histograms of the capacity count every pair exactly whatever the kernel's table width:
// more pairs than a 16-bit count holds, row counts that leave an incomplete group of four, many
// bins, and the cells of the WebAssembly kernel bit for bit those of the JS loop and of capacityBits.
import assert from 'node:assert/strict';
import { capacityBits, DistanceCodes, JointHistograms, shannonEntropyBits } from '../../../src/analysis';
import { rng } from '../../support/reference';

function codesOf(n: number, bins: number, code: (p: number) => number): DistanceCodes {
  const pairs = (n * (n - 1)) / 2;
  const codes = bins <= 255 ? new Uint8Array(pairs) : new Uint16Array(pairs);
  const counts = new Float64Array(bins);
  for (let p = 0; p < pairs; p++) {
    codes[p] = code(p);
    counts[codes[p]]++;
  }
  return { n, bins, codes, entropyBits: shannonEntropyBits(counts), nonFiniteCount: 0 };
}

function fill(columns: DistanceCodes[], rows: DistanceCodes[], kernel?: 'js'): Float64Array {
  const out = new Float64Array(rows.length * columns.length);
  new JointHistograms(rows, [0, rows.length], kernel).fill(columns, 0, columns.length, out, columns.length);
  return out;
}

describe('joint histograms with large counts (channel capacity step 3)', () => {
  it('gives H(A) for a channel with itself when one cell holds 134,000 of 134,940 pairs', () => {
    // N = 520: 67,000 even pairs in cell (0, 0) alone, more than a 16-bit count holds.
    const n = 520;
    const a = codesOf(n, 32, (p) => (p < 134_000 ? 0 : 1));
    const q = 940 / 134_940;
    const h = -(q * Math.log2(q) + (1 - q) * Math.log2(1 - q));
    const out = fill([a], [a, a, a, a, a]);
    for (const v of out) assert.ok(Math.abs(v - h) < 1e-12, `${v} against ${h}`);
    assert.ok(Object.is(out[0], capacityBits(a, a)));
  });

  it('gives 0 bits for independent channels: (p mod 2) against (⌊p / 2⌋ mod 2) over 134,940 pairs', () => {
    const n = 520;
    const a = codesOf(n, 32, (p) => p % 2);
    const b = codesOf(n, 32, (p) => Math.floor(p / 2) % 2);
    assert.deepEqual(Array.from(fill([a], [b, a, b])), [0, 1, 0]);
  });

  it('gives the cells of capacityBits and of the JS loop, bit for bit, with 255 bins and 7 rows over 134,940 pairs', () => {
    const n = 520;
    const random = rng(28);
    const channel = (bins: number, skew: number) => codesOf(n, bins, () => Math.min(bins - 1, Math.floor(random() ** skew * bins)));
    const columns = [channel(255, 1), channel(255, 3), channel(255, 0.5)];
    const rows = Array.from({ length: 7 }, (_, k) => channel(255, 1 + k / 2));
    const wasm = fill(columns, rows);
    const js = fill(columns, rows, 'js');
    for (let r = 0; r < rows.length; r++)
      for (let c = 0; c < columns.length; c++) {
        const expected = capacityBits(columns[c], rows[r])!;
        assert.ok(expected > 0);
        assert.ok(Object.is(wasm[r * columns.length + c], expected), `cell (${r}, ${c})`);
        assert.ok(Object.is(js[r * columns.length + c], expected), `JS cell (${r}, ${c})`);
      }
  });

  it('gives the cells of capacityBits and of the JS loop at the edges of the small-table kernel (jointSmall) and past them', () => {
    const random = rng(48);
    // Top bins everywhere: a doubled row bin of 127 fills its byte, the column's offset reaches its table's end.
    const channel = (n: number, bins: number) => codesOf(n, bins, (p) => (p % 5 === 0 ? bins - 1 : Math.floor(random() * bins)));
    // [column bins, row bins]: 33 × 32 (2,112 bytes of counts) and 8 × 128 take jointSmall; 34 × 32 and 8 × 129 do not.
    for (const [columnBins, rowBins] of [
      [33, 32],
      [8, 128],
      [34, 32],
      [8, 129],
      [32, 32],
    ])
      for (const n of [22, 23, 520]) {
        // 231 and 253 pairs (3 and 1 past a multiple of four), and 134,940 (two kernel calls).
        const columns = [channel(n, columnBins), channel(n, columnBins)];
        const rows = Array.from({ length: 7 }, () => channel(n, rowBins));
        const wasm = fill(columns, rows);
        const js = fill(columns, rows, 'js');
        for (let r = 0; r < rows.length; r++)
          for (let c = 0; c < columns.length; c++) {
            const expected = capacityBits(columns[c], rows[r])!;
            const at = `${columnBins} × ${rowBins} bins, ${n} inputs, cell (${r}, ${c})`;
            assert.ok(Object.is(wasm[r * columns.length + c], expected), at);
            assert.ok(Object.is(js[r * columns.length + c], expected), `JS ${at}`);
          }
      }
  });
});
