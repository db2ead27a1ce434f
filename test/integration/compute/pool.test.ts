import assert from 'node:assert/strict';
import {
  capacityMatrix,
  interSampleEntropy,
  layerActivations,
  layerDistanceCodes,
  layerValues,
  sampleChannelEntropies,
} from '../../../src/analysis';
import { ComputePool } from '../../../src/compute/pool';
import { CancelledError } from '../../../src/analysis/errors';
import * as v from 'valibot';
import { CANCELLED_CLAIM, Claims, forEachClaimedChunk, SharedLayerSchema } from '../../../src/contract/protocols/compute';
import { rng } from '../../support/reference';

const claimsOf = (chunk: number): Claims => ({ counter: new SharedArrayBuffer(4), chunk });

describe('chunks taken on demand (forEachClaimedChunk)', () => {
  it('gives each chunk to exactly one worker, and a worker that stalls takes fewer chunks', () => {
    const claims = claimsOf(3);
    const slow: [number, number][] = [];
    const fast: [number, number][] = [];
    // The "slow" worker's first chunk lasts until the "fast" one has taken every other chunk.
    forEachClaimedChunk(
      10,
      claims,
      (a, b) => {
        slow.push([a, b]);
        if (slow.length === 1) forEachClaimedChunk(10, claims, (c, d) => fast.push([c, d]), 5);
      },
      5,
    );
    assert.deepEqual(slow, [[5, 8]]);
    assert.deepEqual(fast, [
      [8, 11],
      [11, 14],
      [14, 15],
    ]);
  });

  it('does every item at once without claims, and nothing once the stage is cancelled', () => {
    const all: [number, number][] = [];
    forEachClaimedChunk(7, undefined, (a, b) => all.push([a, b]), 2);
    assert.deepEqual(all, [[2, 9]]);
    const claims = claimsOf(2);
    Atomics.store(new Int32Array(claims.counter), 0, CANCELLED_CLAIM);
    forEachClaimedChunk(1000, claims, () => assert.fail('a cancelled stage must hand out no chunk'));
  });
});

describe('ComputePool with uneven chunk counts', () => {
  // Three workers and three chunks each: no stage below divides evenly into the chunks.
  const pool = new ComputePool({ workers: 3, chunksPerWorker: 3 });
  after(() => pool.close());

  it('gives bit-identical inter-sample entropy to the single-threaded function, with the matrix shared or rows streamed', async () => {
    const r = rng(31);
    const n = 701; // 78 tiles in chunks of 9, rows in chunks of 78 (the last 77)
    const d = 37;
    const x = Float64Array.from({ length: n * d }, () => r());
    const single = interSampleEntropy(x, n, d, { k: 90 }).entropyBits;
    assert.ok(typeof single === 'number');
    assert.equal((await pool.interSampleEntropy(x, n, d, { k: 90 })).entropyBits, single);
    const streaming = new ComputePool({ workers: 3, chunksPerWorker: 5, sharedMatrixBytes: 0 });
    try {
      assert.equal((await streaming.interSampleEntropy(x, n, d, { k: 90 })).entropyBits, single);
    } finally {
      streaming.close();
    }
  });

  it('gives bit-identical subset entropies from one distance matrix', async () => {
    const r = rng(32);
    const n = 389;
    const d = 53;
    const x = Float64Array.from({ length: n * d }, () => r());
    const third = Array.from({ length: 130 }, (_, i) => 3 * i);
    const [all, sub] = await pool.interSampleEntropies(x, n, d, ['all', third], { k: 40 });
    assert.equal(all.entropyBits, interSampleEntropy(x, n, d, { k: 40 }).entropyBits);
    const gathered = Float64Array.from(third.flatMap((i) => Array.from(x.subarray(i * d, i * d + d))));
    assert.equal(sub.entropyBits, interSampleEntropy(gathered, third.length, d, { k: 40 }).entropyBits);
  });

  it("gives a channels-first layer's feature-map entropies in shared memory bit for bit as sampleChannelEntropies does, read where they lie", async () => {
    const r = rng(77);
    // 40 inputs × 30 channels of 29 × 31 maps (chunks of 292 maps, the last one short), from element
    // 5 of a longer buffer: ReLU zeros, ties, one map without a finite value, NaN and Infinity.
    const [count, channels, units] = [40, 30, 29 * 31];
    const length = count * channels * units;
    const data = new Float32Array(new SharedArrayBuffer((length + 9) * 4), 5 * 4, length);
    for (let i = 0; i < length; i++) {
      const v = r();
      data[i] = v < 0.4 ? 0 : v < 0.5 ? Math.round(v * 16) / 16 : (v - 0.5) * 7;
    }
    data.fill(NaN, 3 * units, 4 * units);
    data[length - 1000] = Infinity;
    data[1000 * units + 7] = NaN;
    const layer = layerValues([count, channels, 29, 31], data, 'channelsFirst');
    assert.equal(pool.takesFeatureMaps(layer), false, 'a layer this small stays on the calling thread by default');
    const eager = new ComputePool({ workers: 3, chunksPerWorker: 3, sharedEntropyValues: 1 });
    try {
      assert.ok(eager.takesFeatureMaps(layer), 'a pool that takes small layers takes it');
      for (const bins of [2, 30, 32]) {
        const got = await eager.featureMapEntropies(layer, bins);
        const want = sampleChannelEntropies(layer, bins);
        assert.deepEqual([got.count, got.channels, got.nonFiniteCount], [want.count, want.channels, want.nonFiniteCount]);
        assert.ok(want.nonFiniteCount > units, 'the layer has non-finite values');
        assert.deepEqual(Buffer.from(got.entropyBits.buffer), Buffer.from(want.entropyBits.buffer), `${bins} bins: the table bit for bit`);
        assert.deepEqual(
          [got.range.lo + 0, got.range.hi + 0, got.range.finiteCount, got.range.nonFiniteCount],
          [want.range.lo + 0, want.range.hi + 0, want.range.finiteCount, want.range.nonFiniteCount],
        );
      }
      // Not taken: unshared memory, channels last, maps of 16 values or fewer.
      assert.equal(eager.takesFeatureMaps(layerValues([count, channels, 29, 31], data.slice(), 'channelsFirst')), false);
      assert.equal(eager.takesFeatureMaps(layerValues([count, 29, 31, channels], data, 'channelsLast')), false);
      const small = new Float32Array(new SharedArrayBuffer(count * channels * 16 * 4));
      assert.equal(eager.takesFeatureMaps(layerValues([count, channels, 4, 4], small, 'channelsFirst')), false);
      await assert.rejects(eager.featureMapEntropies(layer, 0), RangeError);
    } finally {
      eager.close();
    }
  });

  it('gives a bit-identical capacity matrix for layers of 7 and 5 channels', async () => {
    const r = rng(33);
    const n = 41;
    const a = layerActivations([n, 3, 3, 7], Float32Array.from({ length: n * 9 * 7 }, r));
    const b = layerActivations([n, 2, 2, 5], Float32Array.from({ length: n * 4 * 5 }, r));
    const expected = capacityMatrix(a, b, 16);
    const got = await pool.capacityMatrix(a, b, { bins: 16 });
    assert.equal(got.rows, 5);
    assert.equal(got.columns, 7);
    assert.deepEqual(Array.from(got.values), Array.from(expected.values));
    assert.deepEqual(got.columnEntropyBits, expected.columnEntropyBits);
    assert.deepEqual(got.rowEntropyBits, expected.rowEntropyBits);
    // Float64 activations take the same channels-first path.
    const a64 = layerActivations([n, 3, 3, 7], Float64Array.from(a.data));
    assert.deepEqual(Array.from((await pool.capacityMatrix(a64, b, { bins: 16 })).values), Array.from(expected.values));
    // Codes kept from one pass pair with another layer's without computing the distances again.
    const columns = await pool.layerCodes(a, 16);
    const again = await pool.capacityFromCodes(columns, await pool.layerCodes(b, 16));
    assert.deepEqual(Array.from(again.values), Array.from(expected.values));
  });

  it('gives listed cells of a layer with itself bit for bit as the symmetric matrix has them, on the workers and inline', async () => {
    const r = rng(35);
    const a = layerActivations([300, 2, 2, 24], Float32Array.from({ length: 300 * 4 * 24 }, r));
    const codes = await pool.layerCodes(a, 16);
    const full = await pool.capacityFromCodes(codes, codes);
    // Every cell (576 × 44,850 pair codes: past the inline limit, so the workers take the rows), then a few inline.
    const every: number[] = [];
    for (let c = 23; c >= 0; c--) for (let d = 0; d < 24; d++) every.push(d, c);
    const got = await pool.capacityCells(codes, every);
    assert.deepEqual(
      Array.from(got),
      every.flatMap((v, i) => (i % 2 ? [] : [full.values[v * 24 + every[i + 1]]])),
    );
    const few = [3, 7, 7, 3, 5, 5, 0, 23];
    assert.deepEqual(Array.from(await pool.capacityCells(codes, few)), [
      full.values[3 * 24 + 7],
      full.values[7 * 24 + 3],
      full.values[5 * 24 + 5],
      full.values[23],
    ]);
    await assert.rejects(pool.capacityCells(codes, [1]), RangeError);
    // Both cells of each pair from one histogram: on the workers (every pair), then inline.
    const pairs: number[] = [];
    for (let c = 0; c < 24; c++) for (let d = c + 1; d < 24; d++) pairs.push(c, d);
    const both = await pool.capacityPairCells(codes, pairs);
    assert.deepEqual(
      Array.from(both),
      pairs.flatMap((c, i) => (i % 2 ? [] : [full.values[c * 24 + pairs[i + 1]], full.values[pairs[i + 1] * 24 + c]])),
    );
    assert.deepEqual(Array.from(await pool.capacityPairCells(codes, [3, 7, 0, 23])), [
      full.values[3 * 24 + 7],
      full.values[7 * 24 + 3],
      full.values[23],
      full.values[23 * 24],
    ]);
    await assert.rejects(pool.capacityPairCells(codes, [1, 2, 3]), RangeError);
  });

  it("cancels a capacity matrix while the first layer's codes run (the second layer is being shared then), and the pool goes on", async () => {
    const r = rng(36);
    const n = 300;
    const a = layerActivations([n, 8, 8, 12], Float32Array.from({ length: n * 64 * 12 }, r));
    const b = layerActivations([n, 8, 8, 9], Float32Array.from({ length: n * 64 * 9 }, r));
    const controller = new AbortController();
    const cancelled = pool.capacityMatrix(a, b, { bins: 16, signal: controller.signal });
    controller.abort();
    await assert.rejects(cancelled, (e) => CancelledError.is(e));
    const small = layerActivations([40, 2, 2, 3], Float32Array.from({ length: 40 * 4 * 3 }, r));
    assert.deepEqual(
      Array.from((await pool.capacityMatrix(small, small, { bins: 8 })).values),
      Array.from(capacityMatrix(small, small, 8).values),
    );
  });

  it('gives the codes of the rows and channels a selection takes, as of the layer cut down to them', async () => {
    const r = rng(37);
    const [n, side, all] = [50, 3, 11];
    const values = Float32Array.from({ length: n * side * side * all }, () => Math.max(0, r() - 0.3));
    const cut = (data: Float32Array | Float64Array, rows: number[], channels: number[]) => {
      const out = new Float64Array(rows.length * side * side * channels.length);
      let o = 0;
      for (const row of rows)
        for (let u = 0; u < side * side; u++) for (const c of channels) out[o++] = data[(row * side * side + u) * all + c];
      return layerActivations([rows.length, side, side, channels.length], data instanceof Float32Array ? Float32Array.from(out) : out);
    };
    const rows = [0, 3, 4, 5, 9, 17, 30, 31, 49];
    const everyRow = Array.from({ length: n }, (_, i) => i);
    const selections: [number[] | undefined, number[] | undefined][] = [
      [rows, undefined],
      [undefined, [2, 3, 4, 5, 6, 9]],
      [rows, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
      [rows, [10, 1, 5]],
      // Four picked channels whose first and last are three apart, but not side by side.
      [rows, [1, 9, 0, 4, 2, 3, 4, 5]],
      [[7], [4]],
    ];
    // The layer as an array of its own, in float64, and (float32) in shared memory at an offset, as a split forward pass leaves it: the workers gather it.
    const shared = new Float32Array(new SharedArrayBuffer((values.length + 5) * 4), 12, values.length);
    shared.set(values);
    for (const data of [values, Float64Array.from(values), shared]) {
      const layer = layerActivations([n, side, side, all], data);
      for (const [rowSel, channelSel] of selections) {
        const got = await pool.layerCodes(layer, 16, undefined, { rows: rowSel, channels: channelSel });
        const expected = layerDistanceCodes(cut(data, rowSel ?? everyRow, channelSel ?? Array.from({ length: all }, (_, c) => c)), 16);
        assert.deepEqual(
          got.map((c) => Array.from(new Uint8Array(c.codes))),
          expected.map((c) => Array.from(c.codes)),
          `${data.constructor.name}${data === shared ? ' shared' : ''}, rows ${rowSel?.length ?? 'all'}, channels ${channelSel?.join(' ') ?? 'all'}`,
        );
      }
    }
    assert.deepEqual(Array.from(shared), Array.from(values), 'the shared layer is left as it was');
    for (const data of [values, shared]) {
      const layer = layerActivations([n, side, side, all], data);
      await assert.rejects(pool.layerCodes(layer, 16, undefined, { rows: [0, n] }), RangeError);
      await assert.rejects(pool.layerCodes(layer, 16, undefined, { channels: [all] }), RangeError);
    }
  });

  it('refuses a gathered layer that reaches past the layer its buffer holds', () => {
    const data = new SharedArrayBuffer(2 * 3 * 4 * 4 + 8);
    const layer = (gather: { offset: number; inputs: number; channels: number; rows: number[]; picked: number[] }, type = 'float32') => ({
      count: gather.rows.length,
      units: 3,
      channels: gather.picked.length,
      type,
      data,
      gather,
    });
    const ok = { offset: 2, inputs: 2, channels: 4, rows: [1, 0], picked: [3, 1] };
    assert.ok(v.safeParse(SharedLayerSchema, layer(ok)).success);
    for (const bad of [
      { ...ok, rows: [2] },
      { ...ok, picked: [4] },
      { ...ok, offset: 3 },
      { ...ok, inputs: 3 },
      { ...ok, rows: [-1] },
    ])
      assert.equal(v.safeParse(SharedLayerSchema, layer(bad)).success, false, JSON.stringify(bad));
    assert.equal(v.safeParse(SharedLayerSchema, layer(ok, 'float64')).success, false, 'float64');
  });

  it('cancels one computation without failing another that runs on the same workers', async () => {
    const r = rng(34);
    const big = Float64Array.from({ length: 3000 * 64 }, () => r());
    const small = Float64Array.from({ length: 600 * 30 }, () => r());
    const controller = new AbortController();
    const cancelled = pool.interSampleEntropy(big, 3000, 64, { k: 200, signal: controller.signal });
    const other = pool.interSampleEntropy(small, 600, 30, { k: 50 });
    controller.abort();
    await assert.rejects(cancelled, (e) => CancelledError.is(e));
    assert.equal((await other).entropyBits, interSampleEntropy(small, 600, 30, { k: 50 }).entropyBits);
  });

  it('gives each layer its own codes when layers of one size follow each other or run at once (the kept layer buffer)', async () => {
    const r = rng(34);
    const n = 60;
    const layer = (count = n) =>
      layerActivations(
        [count, 4, 4, 6],
        Float32Array.from({ length: count * 16 * 6 }, () => Math.max(0, r() - 0.4)),
      );
    const [a, b, c] = [layer(), layer(), layer()];
    const codesOf = async (l: ReturnType<typeof layer>) => (await pool.layerCodes(l, 16)).map((x) => Array.from(new Uint8Array(x.codes)));
    const expected = (l: ReturnType<typeof layer>) => layerDistanceCodes(l, 16).map((x) => Array.from(x.codes));
    // a leaves its buffer for b.
    assert.deepEqual(await codesOf(a), expected(a));
    assert.deepEqual(await codesOf(b), expected(b));
    // b and c at once, while the workers are still busy with a larger layer: had both taken b's
    // buffer, c would overwrite b's values before any worker read them.
    const [, gotB, gotC] = await Promise.all([codesOf(layer(700)), codesOf(b), codesOf(c)]);
    assert.deepEqual(gotB, expected(b));
    assert.deepEqual(gotC, expected(c));
  });
  it('reads only the layer from a reserved buffer larger than it: smaller layers after a larger one get the codes of a fresh buffer, and one buffer is kept', async () => {
    const r = rng(35);
    const own = new ComputePool({ workers: 2, chunksPerWorker: 2 });
    try {
      const reserved = 200 * 40 * 3 * 4;
      await own.reserveLayerBuffer(reserved);
      // The large layer leaves NaN in the buffer past the end of the smaller layers: a worker
      // that read the whole buffer would count non-finite values the smaller layers do not have.
      const large = layerActivations(
        [200, 40, 1, 3],
        Float32Array.from({ length: 200 * 40 * 3 }, (_, k) => (k % 11 === 0 ? NaN : r())),
      );
      const layers = [
        large,
        layerActivations(
          [50, 10, 1, 1],
          Float32Array.from({ length: 500 }, () => Math.max(0, r() - 0.3)),
        ),
        layerActivations(
          [80, 6, 1, 2],
          Float32Array.from({ length: 960 }, () => r()),
        ),
        layerActivations(
          [50, 10, 1, 1],
          Float32Array.from({ length: 500 }, () => r()),
        ),
      ];
      for (const l of layers) {
        const got = await own.layerCodes(l, 16);
        const want = layerDistanceCodes(l, 16);
        assert.deepEqual(
          got.map((x) => [Array.from(new Uint8Array(x.codes)), x.nonFiniteCount, x.entropyBits ?? undefined]),
          want.map((x) => [Array.from(x.codes), x.nonFiniteCount, x.entropyBits]),
        );
      }
      assert.equal(own.keptLayerBytes, reserved, 'the reserved buffer is the one kept, whatever the sizes of the layers since');
    } finally {
      own.close();
    }
  });
  it('lets go of the kept layer buffer once it has waited `keptLayerIdleMs` for a layer, and keeps it for good by default', async () => {
    const r = rng(36);
    const l = layerActivations(
      [60, 8, 1, 2],
      Float32Array.from({ length: 960 }, () => r()),
    );
    const idle = new ComputePool({ workers: 2, keptLayerIdleMs: 1000 });
    const lasting = new ComputePool({ workers: 2 });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      for (const pool of [idle, lasting]) await pool.layerCodes(l, 16);
      assert.equal(idle.keptLayerBytes, 960 * 4);
      assert.equal(lasting.keptLayerBytes, 960 * 4);
      // A layer within the wait takes the buffer and keeps it again, with a new wait.
      await sleep(600);
      await idle.layerCodes(l, 16);
      await sleep(600);
      assert.equal(idle.keptLayerBytes, 960 * 4, 'kept: the last layer came 600 ms ago, the first 1.2 s ago');
      await sleep(1500);
      assert.equal(idle.keptLayerBytes, 0, 'let go a second after the last layer');
      assert.equal(lasting.keptLayerBytes, 960 * 4);
      // And the codes are the same from a fresh buffer.
      assert.deepEqual(
        (await idle.layerCodes(l, 16)).map((x) => Array.from(new Uint8Array(x.codes))),
        layerDistanceCodes(l, 16).map((x) => Array.from(x.codes)),
      );
    } finally {
      idle.close();
      lasting.close();
    }
  });
});
