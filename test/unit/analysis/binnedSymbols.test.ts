import assert from 'node:assert/strict';
import { binOf, finiteRange } from '../../../src/analysis/binning';
import { binnedSymbols } from '../../../src/analysis/labelInformation';
import { rng } from '../../support/reference';

const r = rng(1515);

/**
 * The symbol numbering written the plain way (every code of the layer
 * written to an n × d array by `binOf`, then hashed row by row, symbols compared code by code):
 * the reference the inlined, one-row version must reproduce exactly.
 */
function previousSymbols(data: ArrayLike<number>, n: number, d: number, bins: number): { symbolOf: Int32Array; symbols: number } {
  const range = finiteRange(data, 0, n * d);
  const all = new Uint16Array(n * d);
  const symbolOf = new Int32Array(n);
  const firstOf: number[] = [];
  let next = 0;
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < d; u++) {
      const v = data[i * d + u];
      all[i * d + u] = v - v !== 0 ? bins : binOf(v, range.lo, range.hi, bins);
    }
    let found = -1;
    for (let s = 0; s < next && found < 0; s++) {
      const j = firstOf[s];
      let equal = true;
      for (let u = 0; u < d && equal; u++) equal = all[j * d + u] === all[i * d + u];
      if (equal) found = s;
    }
    if (found < 0) {
      found = next++;
      firstOf.push(i);
    }
    symbolOf[i] = found;
  }
  return { symbolOf, symbols: next };
}

function symbolsOf(data: Float32Array | Float64Array | number[], n: number, d: number, bins: number) {
  const range = finiteRange(data, 0, n * d);
  return binnedSymbols(data, n, d, bins, range.lo, range.hi);
}

describe('binnedSymbols', () => {
  it('numbers the symbols exactly as writing every code first and comparing rows did, on random data with ties, zeros, duplicates and odd sizes', () => {
    for (const [n, d, bins] of [
      [1, 1, 2],
      [7, 3, 2],
      [50, 5, 3],
      [93, 17, 30],
      [200, 2, 30],
      [64, 33, 300],
      [31, 1, 4096],
    ]) {
      const data = new Float32Array(n * d);
      for (let i = 0; i < n; i++) {
        if (i > 0 && r() < 0.3) {
          // A duplicate of an earlier input: the same symbol.
          const j = Math.floor(r() * i);
          data.copyWithin(i * d, j * d, j * d + d);
          continue;
        }
        for (let u = 0; u < d; u++) {
          const v = r();
          // ReLU-like zeros, ties on a coarse grid and the odd value exactly at the range's ends.
          data[i * d + u] = v < 0.4 ? 0 : v < 0.7 ? Math.round(v * 8) / 8 : v;
        }
      }
      const want = previousSymbols(data, n, d, bins);
      for (const values of [data, Float64Array.from(data), Array.from(data)]) {
        const got = symbolsOf(values, n, d, bins);
        assert.equal(got.symbols, want.symbols, `${n}×${d}, ${bins} bins`);
        assert.deepEqual(got.symbolOf, want.symbolOf, `${n}×${d}, ${bins} bins`);
      }
    }
  });

  it('bins values at and just below every bin edge as binOf does, operation for operation', () => {
    for (const [lo, hi, bins] of [
      [0, 1, 30],
      [-0.37, 2.9, 30],
      [0.1, 0.7, 7],
      [-3, 1e-3, 300],
    ]) {
      // One value per input, so the symbols are exactly the distinct codes: a code one off at an edge merges two symbols.
      const values: number[] = [lo, hi];
      for (let k = 1; k < bins; k++) {
        const edge = lo + ((hi - lo) * k) / bins;
        values.push(edge, edge - Math.abs(edge) * 2 ** -52, edge + Math.abs(edge) * 2 ** -52);
      }
      const data = Float64Array.from(values);
      const got = symbolsOf(data, data.length, 1, bins);
      assert.deepEqual(got, previousSymbols(data, data.length, 1, bins), `[${lo}, ${hi}], ${bins} bins`);
    }
  });

  it('tells apart inputs that differ in one code only, and gives non-finite values a code of their own', () => {
    const d = 40;
    const data = new Float64Array(6 * d).fill(0.5);
    data[0] = 0;
    data[d] = 0; // input 1 = input 0
    data[2 * d + d - 1] = 1; // input 2 differs in its last value
    data[3 * d + 7] = NaN; // input 3 has one non-finite value
    data[4 * d + 7] = Infinity; // input 4 too, at the same place: the same code as input 3
    data[5 * d + 7] = 1; // input 5 has the largest value there: the last bin, not the non-finite code
    const got = symbolsOf(data, 6, d, 30);
    assert.deepEqual([...got.symbolOf], [0, 0, 1, 2, 2, 3]);
    assert.deepEqual(got, previousSymbols(data, 6, d, 30));
  });

  it('tells apart wide inputs that agree on long prefixes, block after block, as comparing whole rows does', () => {
    // Inputs copied from one template and changed at one place each, before, inside and after each
    // block of the refinement (64, then 256, 1,024 and 4,096 values wide), some changes undone by a
    // later input changed alike; float32 through the kernel and the JS loop, float64 through the loop.
    const n = 60;
    const d = 9000;
    const template = Float32Array.from({ length: d }, () => (r() < 0.5 ? 0 : r()));
    const data = new Float32Array(n * d);
    const places = [0, 63, 64, 65, 319, 320, 1343, 1344, 5000, 5439, 5440, d - 1];
    for (let i = 0; i < n; i++) {
      data.set(template, i * d);
      if (i % 7 === 6) continue; // the template itself, again
      const at = places[Math.floor(i / 2) % places.length];
      data[i * d + at] = i % 2 ? 1 : NaN;
    }
    data[0] = -1; // pins the range's low end for every input's value 0
    const want = previousSymbols(data, n, d, 30);
    assert.ok(want.symbols > 10 && want.symbols < n, 'some inputs alike, some not');
    const range = finiteRange(data, 0, n * d);
    for (const kind of ['wasm-simd', 'js'] as const) {
      const got = binnedSymbols(data, n, d, 30, range.lo, range.hi, kind);
      assert.deepEqual(got, want, kind);
    }
    assert.deepEqual(binnedSymbols(Float64Array.from(data), n, d, 30, range.lo, range.hi), want, 'float64');
  });

  it('puts every input of a constant layer in one symbol', () => {
    const got = symbolsOf(new Float32Array(12).fill(3), 4, 3, 30);
    assert.deepEqual([...got.symbolOf], [0, 0, 0, 0]);
  });
});
