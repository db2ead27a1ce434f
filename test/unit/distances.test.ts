import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { condensedDistances, DistanceKernel, distanceMatrix, pairIndex } from '../../src/analysis';
import { rng } from './reference';

describe('pairwise distances', () => {
  const r = rng(41);
  const n = 37;
  const d = 11; // odd sizes exercise the padding of the 2×4 tiles
  const x = Float64Array.from({ length: n * d }, () => r() * 3 - 1);
  const direct = (i: number, j: number) => Math.sqrt(Array.from({ length: d }, (_, t) => (x[i * d + t] - x[j * d + t]) ** 2).reduce((a, b) => a + b));

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
  it('list unordered pairs in condensed upper-triangle order', () => {
    const c = condensedDistances(new DistanceKernel(x, n, d));
    assert.equal(c.length, (n * (n - 1)) / 2);
    assert.equal(pairIndex(0, 1, n), 0);
    assert.equal(pairIndex(1, 2, n), n - 1);
    for (const [i, j] of [[0, 1], [3, 17], [35, 36]]) assert.ok(Math.abs(c[pairIndex(i, j, n)] - direct(i, j)) < 1e-12);
  });
  it('handle zero-dimensional samples (all distances 0)', () => {
    assert.deepEqual(Array.from(distanceMatrix(new DistanceKernel(new Float64Array(0), 3, 0))), new Array(9).fill(0));
  });
});

describe('the WebAssembly kernel', () => {
  it('is built from the current gram.wat (regenerate with node scripts/build-wasm.mjs)', () => {
    execFileSync(process.execPath, [resolve(__dirname, '../../scripts/build-wasm.mjs'), '--check'], { stdio: 'pipe' });
  });
});
