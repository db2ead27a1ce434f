import assert from 'node:assert/strict';
import { interSampleEntropy } from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { ENGINE_VARIABLE } from '../../../src/native/ortRuntime';
import { rng } from '../../support/reference';

describe('ComputePool with float32 samples and chunked worker kernels', () => {
  const pool = new ComputePool({ workers: 2 });
  // The workers' WebAssembly kernels, bit for bit the single-threaded function's (these sets are
  // large enough for the native Gram kernel, test/integration/native/nativeGram.test.ts).
  const saved = process.env[ENGINE_VARIABLE];
  before(() => (process.env[ENGINE_VARIABLE] = 'wasm'));
  after(() => {
    pool.close();
    if (saved === undefined) delete process.env[ENGINE_VARIABLE];
    else process.env[ENGINE_VARIABLE] = saved;
  });

  it('gives the same entropies for float32 and float64 input, chunked in the workers or not', async () => {
    // 200 × 45,000 float64 values are 72 MB, more than a worker kernel's 64 MB budget: chunked.
    const r = rng(24);
    const n = 200;
    const d = 45_000;
    const x32 = Float32Array.from({ length: n * d }, () => r() * 2);
    x32[5 * d + 17] = NaN; // one dropped coordinate, dropped from the float32 shared copy
    const x64 = Float64Array.from(x32);
    const odd = Array.from({ length: n / 2 }, (_, i) => 2 * i + 1);
    const [all32, odd32] = await pool.interSampleEntropies(x32, n, d, ['all', odd], { k: 50 });
    const [all64, odd64] = await pool.interSampleEntropies(x64, n, d, ['all', odd], { k: 50 });
    const single = interSampleEntropy(x32, n, d, { k: 50 });
    assert.ok(typeof all32.entropyBits === 'number');
    assert.equal(all32.entropyBits, all64.entropyBits);
    assert.equal(all32.entropyBits, single.entropyBits);
    assert.equal(all32.droppedCoordinates, 1);
    assert.equal(all32.nonFiniteCount, 1);
    const gathered = Float64Array.from(odd.flatMap((i) => Array.from(x64.subarray(i * d, i * d + d))));
    assert.equal(odd32.entropyBits, odd64.entropyBits);
    assert.equal(odd32.entropyBits, interSampleEntropy(gathered, odd.length, d, { k: 50 }).entropyBits);
    const one = await pool.interSampleEntropy(x32, n, d, { k: 50 });
    assert.equal(one.entropyBits, all32.entropyBits);
  });

  it('gives the same entropies for float32 and float64 input of an unchunked size', async () => {
    const r = rng(25);
    const n = 400;
    const d = 150;
    const x32 = Float32Array.from({ length: n * d }, () => r());
    const x64 = Float64Array.from(x32);
    const tenth = Array.from({ length: 40 }, (_, i) => 10 * i);
    const a = await pool.interSampleEntropies(x32, n, d, ['all', tenth], { k: 30 });
    const b = await pool.interSampleEntropies(x64, n, d, ['all', tenth], { k: 30 });
    assert.deepEqual(
      a.map((v) => v.entropyBits),
      b.map((v) => v.entropyBits),
    );
    assert.equal(a[0].entropyBits, interSampleEntropy(x64, n, d, { k: 30 }).entropyBits);
  });
});
