/**
 * The compute pool's distance matrix on the native Gram kernel (src/native/nativeGram.ts) against
 * the same pool on its WebAssembly workers (`CNN_SLICER_ENGINE=wasm`): inter-sample entropies within
 * 1e-9 relative, the same coordinates removed, identical samples still identical, cancellation.
 */
import assert from 'node:assert/strict';
import { ComputePool } from '../../../src/compute/pool';
import { CancelledError } from '../../../src/analysis/errors';
import { ENGINE_VARIABLE, nativeRuntime } from '../../../src/native/ortRuntime';
import { rng } from '../../support/reference';

describe('ComputePool: the distance matrix on the native Gram kernel', function () {
  this.timeout(120_000);
  const pool = new ComputePool({ workers: 2 });
  const saved = process.env[ENGINE_VARIABLE];
  const engine = (name: 'native' | 'wasm') => {
    if (name === 'wasm') process.env[ENGINE_VARIABLE] = 'wasm';
    else delete process.env[ENGINE_VARIABLE];
  };

  before(function () {
    engine('native');
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
  });
  after(() => {
    pool.close();
    if (saved === undefined) delete process.env[ENGINE_VARIABLE];
    else process.env[ENGINE_VARIABLE] = saved;
  });

  const relative = (a: number | undefined, b: number | undefined) => {
    assert.ok(typeof a === 'number' && typeof b === 'number', `${a} and ${b}`);
    return Math.abs(a - b) / Math.abs(b);
  };

  for (const [n, d] of [
    [300, 1_000],
    [120, 20_011],
  ]) {
    it(`gives the inter-sample entropies of the WebAssembly kernel within 1e-9 relative, all samples and subsets (${n} × ${d})`, async () => {
      const r = rng(n + d);
      const x = Float32Array.from({ length: n * d }, () => Math.max(0, r() - 0.4));
      x[3 * d + 11] = NaN; // one coordinate removed from every sample
      x.copyWithin(9 * d, 4 * d, 5 * d); // a duplicate
      const odd = Array.from({ length: n >> 1 }, (_, i) => 2 * i + 1);
      const subsets = ['all' as const, odd, [0, 1, 2, 3, 4, 9, 40, 41]];
      let nativeMatrix: Float64Array | undefined;
      engine('native');
      const native = await pool.interSampleEntropies(x, n, d, subsets, { k: 50, onDistances: (m) => (nativeMatrix = m) });
      const one = await pool.interSampleEntropy(x, n, d, { k: 50 });
      let wasmMatrix: Float64Array | undefined;
      engine('wasm');
      const wasm = await pool.interSampleEntropies(x, n, d, subsets, { k: 50, onDistances: (m) => (wasmMatrix = m) });
      assert.deepEqual(
        native.map((e) => e.kernel),
        subsets.map(() => 'native'),
      );
      assert.equal(one.kernel, 'native');
      assert.deepEqual(
        wasm.map((e) => e.kernel),
        subsets.map(() => 'wasm-simd'),
      );
      native.forEach((e, s) => {
        assert.ok(relative(e.entropyBits, wasm[s].entropyBits) <= 1e-9, `subset ${s}: ${e.entropyBits} against ${wasm[s].entropyBits}`);
        assert.deepEqual([e.n, e.K, e.nonFiniteCount, e.droppedCoordinates], [wasm[s].n, wasm[s].K, 1, 1]);
      });
      assert.equal(one.entropyBits, native[0].entropyBits);
      assert.ok(nativeMatrix && wasmMatrix);
      assert.equal(nativeMatrix[4 * n + 9], 0);
      assert.equal(nativeMatrix[9 * n + 4], 0);
      let worst = 0;
      for (let i = 0; i < n * n; i++)
        if (wasmMatrix[i] > 0) worst = Math.max(worst, Math.abs(nativeMatrix[i] - wasmMatrix[i]) / wasmMatrix[i]);
      assert.ok(worst <= 1e-12, `distances differ by ${worst} relative`);
    });
  }

  it('keeps a set of identical samples undefined, for its reason', async () => {
    const n = 200;
    const d = 2_000;
    const row = Float32Array.from({ length: d }, (_, k) => (k % 7) / 3);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) x.set(row, i * d);
    engine('native');
    const [native] = await pool.interSampleEntropies(x, n, d, ['all'], { k: 50 });
    engine('wasm');
    const [wasm] = await pool.interSampleEntropies(x, n, d, ['all'], { k: 50 });
    assert.equal(native.kernel, 'native');
    assert.equal(native.entropyBits, undefined);
    assert.equal(native.undefinedReason, wasm.undefinedReason);
    assert.ok(native.undefinedReason);
  });

  it('cancels a native distance matrix, and the pool goes on', async () => {
    const r = rng(5);
    const n = 400;
    const d = 40_000;
    const x = Float32Array.from({ length: n * d }, r);
    engine('native');
    const controller = new AbortController();
    const pending = pool.interSampleEntropy(x, n, d, { k: 50, signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e) => CancelledError.is(e));
    const again = await pool.interSampleEntropy(x.subarray(0, 100 * d), 100, d, { k: 50 });
    assert.equal(again.kernel, 'native');
    assert.ok(typeof again.entropyBits === 'number');
  });
});
