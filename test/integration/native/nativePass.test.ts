/**
 * The native pass worker (src/native/nativePass.ts, passWorker.ts; dist/nativePassWorker.js, so
 * `npm run build` first): the layers it hands over are the caller's own pass's, bit for bit, with
 * each layer's distance matrix as the native kernel gives it; a layer with a non-finite value comes
 * without one; cancelling and a broken checkpoint end the pass in one line.
 */
import assert from 'node:assert/strict';
import { ComputePool } from '../../../src/compute/pool';
import { CancelledError } from '../../../src/analysis/errors';
import { NativeCheckpoint, NativeEngineError, type NativeActivations } from '../../../src/native/nativeForward';
import { nativeDistanceMatrix, usesNativeGram } from '../../../src/native/nativeGram';
import { nativePassLayers, resolvePassScript, type NativePassLayer } from '../../../src/native/nativePass';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { onnxFixture, randomInputs } from '../../support/onnxFixtures';

async function collect(pass: AsyncIterable<NativePassLayer>): Promise<NativePassLayer[]> {
  const out: NativePassLayer[] = [];
  for await (const layer of pass) out.push(layer);
  return out;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: value ${i} is ${a[i]}, expected ${b[i]}`);
}

describe('the native pass worker (nativePassLayers)', function () {
  this.timeout(120_000);

  before(function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) this.skip();
    assert.ok(resolvePassScript(), 'dist/nativePassWorker.js is built (npm run build)');
  });

  for (const budgetBytes of [undefined, 1]) {
    it(`mobilenetv2, ${budgetBytes ? 'cut at every allowed point' : 'one segment'}: every layer and distance matrix of the caller's own pass, bit for bit`, async () => {
      const { bytes, layers } = onnxFixture('mobilenetv2');
      const count = 300;
      const inputs = randomInputs(layers, count, 7);
      const here = NativeCheckpoint.open(bytes, layers);
      try {
        const expected = new Map<number, NativeActivations>();
        for await (const { index, out } of here.forwardLayers({ layers, inputs, count, budgetBytes })) expected.set(index, out);
        const got = await collect(nativePassLayers(here, { inputs, count, distances: true, budgetBytes }));
        assert.deepEqual(
          got.map((l) => l.index),
          [...expected.keys()],
        );
        const runtime = nativeRuntime();
        if ('reason' in runtime) throw new Error(runtime.reason);
        let withDistances = 0;
        for (const layer of got) {
          const want = expected.get(layer.index)!;
          assert.deepEqual(layer.out.shape, want.shape);
          sameBits(layer.out.data, want.data, `layer ${layer.index}`);
          const d = want.data.length / count;
          assert.equal(
            layer.distances !== undefined,
            usesNativeGram(count, d),
            `layer ${layer.index}: distances where the native kernel takes the set`,
          );
          if (layer.distances) {
            withDistances++;
            sameBits(
              new Float64Array(layer.distances),
              await nativeDistanceMatrix(runtime.ort, want.data, count, d),
              `distances of layer ${layer.index}`,
            );
          }
        }
        assert.ok(withDistances >= 5, `several layers have their distances (${withDistances})`);
      } finally {
        await here.dispose();
      }
    });
  }

  for (const budgetBytes of [undefined, 1, 6e6]) {
    it(`recycled (${budgetBytes ? `budget ${budgetBytes}` : 'one segment'}): each layer given back is moved to the worker, and every later layer keeps the caller's own bits`, async () => {
      const { bytes, layers } = onnxFixture('mobilenetv2');
      const count = 120;
      const inputs = randomInputs(layers, count, 11);
      const here = NativeCheckpoint.open(bytes, layers);
      try {
        const expected = new Map<number, NativeActivations>();
        for await (const { index, out } of here.forwardLayers({ layers, inputs, count, budgetBytes })) expected.set(index, out);
        let given = 0;
        let previous: NativePassLayer | undefined;
        for await (const layer of nativePassLayers(here, {
          inputs,
          count,
          distances: false,
          budgetBytes,
          recycle: true,
          chunkBytes: 1e5,
        })) {
          sameBits(layer.out.data, expected.get(layer.index)!.data, `layer ${layer.index}`);
          // As measureEpoch does: the layer before is given back once the next one is here.
          if (previous?.giveBack) {
            const data = previous.out.data;
            previous.giveBack();
            assert.equal(data.byteLength, 0, `layer ${previous.index}'s array was moved back, not copied`);
            given++;
          }
          previous = layer;
        }
        assert.equal(given, expected.size - 1);
      } finally {
        await here.dispose();
      }
    });
  }

  it('the compute pool reads the distances it is handed: the same inter-sample entropies as computing them', async () => {
    const { bytes, layers } = onnxFixture('mobilenetv2');
    const count = 300;
    const inputs = randomInputs(layers, count, 8);
    const here = NativeCheckpoint.open(bytes, layers);
    const pool = new ComputePool({ workers: 2 });
    try {
      const got = await collect(nativePassLayers(here, { inputs, count, distances: true, last: 6 }));
      const layer = got.find((l) => l.distances)!;
      assert.ok(layer, 'a layer with distances');
      const d = layer.out.data.length / count;
      const byClass = [Array.from({ length: 150 }, (_, i) => 2 * i)];
      const given = await pool.interSampleEntropies(layer.out.data, count, d, ['all', ...byClass], { k: 100, distances: layer.distances });
      const computed = await pool.interSampleEntropies(layer.out.data, count, d, ['all', ...byClass], { k: 100 });
      assert.deepEqual(given, computed);
      assert.ok(Number.isFinite(given[0].entropyBits));
      await assert.rejects(
        pool.interSampleEntropies(layer.out.data, count, d, ['all'], { distances: new SharedArrayBuffer(8) }),
        /need 90000 float64 values/,
      );
    } finally {
      pool.close();
      await here.dispose();
    }
  });

  it('a layer holding a non-finite value comes without distances (the pool cleans its samples itself)', async () => {
    const { bytes, layers } = onnxFixture('mobilenetv2');
    const count = 300;
    const inputs = randomInputs(layers, count, 9);
    inputs[5] = NaN; // input 0 propagates NaN through every layer after the input
    const here = NativeCheckpoint.open(bytes, layers);
    try {
      const got = await collect(nativePassLayers(here, { inputs, count, distances: true, last: 8 }));
      assert.ok(got.length > 0);
      for (const layer of got) assert.equal(layer.distances, undefined, `layer ${layer.index}`);
    } finally {
      await here.dispose();
    }
  });

  it('an aborted signal ends the pass with CancelledError; a checkpoint the runtime refuses with one NativeEngineError line', async () => {
    const { bytes, layers } = onnxFixture('mobilenetv2');
    const count = 40;
    const inputs = randomInputs(layers, count, 10);
    const here = NativeCheckpoint.open(bytes, layers);
    try {
      const controller = new AbortController();
      const seen: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const { index } of nativePassLayers(here, { inputs, count, distances: false, signal: controller.signal })) {
            seen.push(index);
            controller.abort();
          }
        })(),
        (e) => CancelledError.is(e),
      );
      assert.deepEqual(seen, [1]);
    } finally {
      await here.dispose();
    }
    // The layer table says layer 3 is wider than the checkpoint makes it.
    const wrong = layers.map((l) => (l.index === 3 ? { ...l, outputShape: [l.outputShape[0] + 1, ...l.outputShape.slice(1)] } : l));
    const broken = NativeCheckpoint.open(bytes, wrong);
    try {
      await assert.rejects(collect(nativePassLayers(broken, { inputs, count, distances: false })), (e: Error) => {
        assert.ok(NativeEngineError.is(e), String(e));
        assert.match(e.message, /^layer 3 \(.*\): the checkpoint gives a float32 \[40, .*\], the run's manifest says \[40, .*\]$/);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    } finally {
      await broken.dispose();
    }
  });
});
