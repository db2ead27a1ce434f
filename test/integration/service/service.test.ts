import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import {
  capacityBits,
  capacityMatrix,
  channelEntropies,
  channelMatrix,
  distanceCodes,
  diversityClassSeed,
  drawPerClass,
  gatherRows,
  hasErrorCode,
  indicesByClass,
  interSampleEntropy,
  layerActivations,
  LayerActivations,
  layerCapacity,
  parseNpy,
  npyToFloat64,
  resolveSubset,
  sampleWithoutReplacement,
  sortMatrix,
} from '../../../src/analysis';
import { AnswerOf, decodeFloat32, parseQuery, Query, QueryError } from '../../../src/contract/queries';
import { RunManifest } from '../../../src/contract/runFormat';
import { initBackend } from '../../../src/tfjs/backend';
import { copyFixtureRun } from '../../support/fixtureRuns';
import { epochFolder } from '../../../src/run/paths';
import { layerPerClass } from '../../../src/run/perClass';
import { readRun } from '../../../src/run/store';
import { processStartTime } from '../../../src/run/process';
import { AnswerCache } from '../../../src/run/cache';
import { AnalysisClient } from '../../../src/service/client';
import { deconvolve } from '../../../src/tfjs/deconvolution';
import { TAYLOR_CHUNK } from '../../../src/tfjs/taylor';
import { AnalysisEngine } from '../../../src/service/engine';

/** Direct computation: the checkpoint loaded by hand and one extraction model per layer. */
async function directActivations(
  tf: typeof tfType,
  folder: string,
  manifest: RunManifest,
  epoch: number,
  layer: number,
  inputs: Float32Array,
  n: number,
): Promise<LayerActivations> {
  if (layer === 0) return layerActivations([n, ...manifest.layers[0].outputShape], inputs);
  const dir = join(folder, 'checkpoints', epochFolder(epoch));
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const w = readFileSync(join(dir, 'weights.bin'));
  const m = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength),
    }),
  );
  const ex = tf.model({ inputs: m.inputs, outputs: m.getLayer(manifest.layers[layer].name).output });
  const out = ex.predict(tf.tensor(inputs, [n, ...manifest.layers[0].outputShape])) as tfType.Tensor;
  const data = (await out.data()) as Float32Array;
  const shape = out.shape;
  out.dispose();
  m.dispose();
  return layerActivations(shape, data);
}

function gather(acts: LayerActivations, indices: number[]): LayerActivations {
  const per = acts.units * acts.channels;
  return layerActivations([indices.length, acts.units, acts.channels], Float32Array.from(gatherRows(acts.data, per, indices)));
}

describe('analysis service: slicing the hypercube (docs/queries.md)', function () {
  this.timeout(180000);
  let runs: string;
  let folder: string;
  let manifest: RunManifest;
  let engine: AnalysisEngine;
  let tf: typeof tfType;
  let inputs: Float32Array;
  let labels: Int32Array;
  let n: number;

  before(async () => {
    const r = copyFixtureRun('tiny', 'cnn-slicer-service-');
    runs = r.runs;
    folder = r.folder;
    manifest = r.manifest;
    tf = (await initBackend('wasm')).tf;
    engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    const x = parseNpy(readFileSync(join(folder, manifest.probe.inputsFile)));
    inputs = x.data as Float32Array;
    n = x.shape[0];
    labels = Int32Array.from(npyToFloat64(parseNpy(readFileSync(join(folder, manifest.probe.labelsFile)))));
  });
  after(() => {
    engine?.close();
    rmSync(runs, { recursive: true, force: true });
  });

  const ask = <Q extends Query>(q: Q, control = {}) => engine.answer(folder, q, control);

  it('run and training queries read the manifest and the metrics', async () => {
    const run = (await ask({ kind: 'run' })).answer;
    assert.equal(run.manifest.id, manifest.id);
    const t = (await ask({ kind: 'training' })).answer;
    const rec = readRun(folder);
    assert.deepEqual(t.epochs, [0, 1, 2]);
    assert.deepEqual(
      t.probeAccuracy,
      rec.metrics.map((m) => m.probeAccuracy),
    );
    assert.equal(t.hLabelGivenPred.length, 3);
    assert.equal(t.hLabelGivenPred[0].length, 3);
    assert.deepEqual(
      t.hPredGivenLabel[1],
      rec.metrics.map((m) => m.hPredGivenLabel[1]),
    );
  });

  it('confusion at an epoch: the recorded matrix, and with inputs the cells listing each input once', async () => {
    const c = (await ask({ kind: 'confusion', epoch: 2, inputs: true })).answer;
    assert.deepEqual(c.matrix, readRun(folder).metrics[2].confusion, 'a forward pass reproduces the recorded confusion');
    const listed = c.cells!.flat(2).sort((a, b) => a - b);
    assert.deepEqual(
      listed,
      Array.from({ length: n }, (_, i) => i),
    );
    c.cells!.forEach((row, t) => row.forEach((cell, p) => assert.equal(cell.length, c.matrix[t][p])));
    for (const i of c.cells![1].flat()) assert.equal(labels[i], 1);
  });

  it('feature maps of chosen channels and inputs equal the direct forward pass', async () => {
    const a = (await ask({ kind: 'featureMaps', layer: 2, channels: [0, 5], epoch: 1, x: { kind: 'indices', indices: [7, 3, 3] } })).answer;
    assert.deepEqual(a.inputs, [3, 7]);
    assert.deepEqual(a.maps.shape, [2, 2, 10, 10]);
    const maps = decodeFloat32(a.maps);
    const direct = await directActivations(tf, folder, manifest, 1, 2, inputs, n);
    let k = 0;
    for (const i of a.inputs)
      for (const c of [0, 5]) for (let p = 0; p < 100; p++) assert.equal(maps[k++], direct.data[(i * 100 + p) * 6 + c]);
    assert.ok(a.min <= a.max && a.channelRanges.length === 2);
    // A dense layer: one channel of U units drawn as 1 × U.
    const d = (await ask({ kind: 'featureMaps', layer: 5, channels: [0], epoch: 2, x: { kind: 'all' } })).answer;
    assert.deepEqual(d.maps.shape, [n, 1, 1, 3]);
  });

  it('channel entropies: the recorded summary equals recomputation, and any subset is computed', async () => {
    const s = (await ask({ kind: 'channelEntropies', layer: 1, epoch: 2 })).answer;
    assert.equal(s.source, 'summary');
    const direct = await directActivations(tf, folder, manifest, 2, 1, inputs, n);
    const full = channelEntropies(direct, { bins: manifest.settings.bins, labels, classes: 3 });
    s.all.forEach((v, c) => assert.ok(Math.abs(v! - full.all[c]!) < 1e-12));
    const x = { kind: 'perClass' as const, count: 5, seed: 3 };
    const sub = (await ask({ kind: 'channelEntropies', layer: 1, epoch: 2, x })).answer;
    assert.equal(sub.source, 'computed');
    const idx = resolveSubset(x, labels, 3);
    assert.equal(sub.inputCount, 15);
    const expected = channelEntropies(gather(direct, idx), { bins: manifest.settings.bins, labels: idx.map((i) => labels[i]), classes: 3 });
    assert.deepEqual(
      sub.all,
      expected.all.map((v) => v ?? null),
    );
    assert.deepEqual(
      sub.perClass,
      expected.perClass!.map((r) => r.map((v) => v ?? null)),
    );
  });

  it('the small-multiples table: every channel × epoch × class from the summaries', async () => {
    const t = (await ask({ kind: 'smallMultiples', layer: 2 })).answer;
    const rec = readRun(folder);
    assert.equal(t.channels, 6);
    assert.equal(t.all.length, 6);
    assert.equal(t.all[0].length, 3);
    assert.equal(t.perClass.length, 3);
    assert.equal(t.perClass[2][5][1], layerPerClass(folder, rec.metrics[1], 3, 2)[2][5]);
    assert.equal(typeof t.perClass[2][5][1], 'number');
    assert.equal(t.all[4][2], rec.metrics[2].layers[2].channelBits[4]);
  });

  it('inter-sample entropy: summaries for all inputs and one class, computation for any other subset', async () => {
    const all = (await ask({ kind: 'interSample', layer: 3, epoch: 1 })).answer;
    assert.equal(all.source, 'summary');
    assert.equal(all.bits, readRun(folder).metrics[1].layers[3].interSampleBits);
    const direct = await directActivations(tf, folder, manifest, 1, 3, inputs, n);
    const recomputed = interSampleEntropy(direct.data, n, direct.units * direct.channels, { k: manifest.settings.k });
    assert.ok(Math.abs(recomputed.entropyBits! - all.bits!) < 1e-9, 'the recorded value is what the checkpoint gives');
    const x = { kind: 'classes' as const, classes: [0, 2] };
    const sub = (await ask({ kind: 'interSample', layer: 3, epoch: 1, x })).answer;
    const idx = resolveSubset(x, labels, 3);
    const g = gather(direct, idx);
    assert.equal(sub.source, 'computed');
    assert.ok(
      Math.abs(sub.bits! - interSampleEntropy(g.data, idx.length, g.units * g.channels, { k: manifest.settings.k }).entropyBits!) < 1e-9,
    );
    const input = (await ask({ kind: 'interSample', layer: 0, epoch: 0, x: { kind: 'indices', indices: [0, 1, 2, 3, 4, 5] } })).answer;
    assert.equal(input.K, 5);
  });

  it('input diversity for several sizes per class (paper Fig. 5(B)): each class draws n, "all" is the union of those draws, from the probe set and from the whole dataset', async () => {
    const a = (await ask({ kind: 'inputDiversity', sizes: [5, 10, 1000] })).answer;
    assert.equal(a.rows.length, 4);
    assert.equal(a.rows[0].class, 'all');
    for (const row of a.rows) {
      assert.equal(row.bits[2], null, 'more inputs than exist: no number');
      assert.ok(typeof row.bits[0] === 'number' && typeof row.bits[1] === 'number');
    }
    // Sizes are per class: the "all" row is exactly the union of the class rows' draws (paper Fig. 5(B)).
    const classes = manifest.dataset.classNames.length;
    const byClass = indicesByClass(labels, classes);
    const seedOfClass = (c: number) => diversityClassSeed(manifest.settings.seed, c);
    const d0 = manifest.dataset.inputShape.reduce((p, q) => p * q, 1);
    const entropyOf = (picked: number[]) =>
      interSampleEntropy(gatherRows(inputs, d0, picked), picked.length, d0, { k: manifest.settings.k }).entropyBits!;
    assert.ok(byClass.every((members) => members.length >= 10));
    assert.deepEqual(a.rows[0].counts, [5 * classes, 10 * classes, 0], 'n per class × classes inputs; none where a class is too small');
    [5, 10].forEach((size, s) => {
      const union = drawPerClass(byClass, size, seedOfClass)!;
      assert.ok(Math.abs(a.rows[0].bits[s]! - entropyOf(union)) < 1e-9, `all classes at ${size} per class`);
      for (let c = 0; c < classes; c++) {
        const own = sampleWithoutReplacement(byClass[c], size, seedOfClass(c));
        assert.deepEqual(
          own,
          union.filter((i) => labels[i] === c),
          `class ${c}'s draw is its part of the union`,
        );
        assert.equal(a.rows[1 + c].counts[s], size);
        assert.ok(Math.abs(a.rows[1 + c].bits[s]! - entropyOf(own)) < 1e-9, `class ${c} at ${size}`);
      }
    });
    const d = (await ask({ kind: 'inputDiversity', sizes: [50], source: 'dataset' })).answer;
    assert.equal(d.source, 'dataset');
    assert.ok(d.rows.every((r) => r.available >= 50 && typeof r.bits[0] === 'number'));
  });

  it('capacity matrix with the orders for every sort, the layer-level capacity and one channel pair', async () => {
    const a = (await ask({ kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 2 })).answer;
    const li = await directActivations(tf, folder, manifest, 2, 1, inputs, n);
    const lj = await directActivations(tf, folder, manifest, 2, 2, inputs, n);
    const cm = capacityMatrix(li, lj, manifest.settings.bins);
    assert.equal(a.rows, 6);
    assert.equal(a.columns, 4);
    a.values.forEach((v, i) => assert.ok(Math.abs(v! - cm.values[i]) < 1e-12));
    assert.deepEqual(a.orders.rowMax, sortMatrix(cm.values, 6, 4, 'max').rowOrder);
    assert.deepEqual(a.orders.columnMean, sortMatrix(cm.values, 6, 4, 'mean').columnOrder);
    const l = (await ask({ kind: 'layerCapacity', layerI: 1, layerJ: 2, epoch: 2 })).answer;
    assert.ok(Math.abs(l.bits! - layerCapacity(li, lj, manifest.settings.bins)!) < 1e-12);
    const p = (await ask({ kind: 'channelPair', layerI: 1, channelI: 3, layerJ: 2, channelJ: 1, epoch: 2, bins: 8 })).answer;
    const ci = distanceCodes(channelMatrix(li, 3), n, li.units, 8);
    const cj = distanceCodes(channelMatrix(lj, 1), n, lj.units, 8);
    assert.ok(Math.abs(p.bits! - capacityBits(ci, cj)!) < 1e-12);
    assert.equal(p.joint.length, 64);
    assert.equal(
      p.joint.reduce((s, v) => s + v, 0),
      (n * (n - 1)) / 2,
    );
    // At the run's bins, one pair is one cell of the matrix (row = layerJ's channel).
    const cell = (await ask({ kind: 'channelPair', layerI: 1, channelI: 3, layerJ: 2, channelJ: 1, epoch: 2 })).answer;
    assert.equal(cell.bits, a.values[1 * 4 + 3]);
  });

  it('deconvolution of a channel for chosen inputs, and a message naming a layer it cannot pass', async () => {
    const a = (await ask({ kind: 'deconvolution', layer: 3, channel: 2, epoch: 2, x: { kind: 'indices', indices: [4, 9] } })).answer;
    assert.deepEqual(a.projections.shape, [2, 12, 12, 1]);
    const dir = join(folder, 'checkpoints', epochFolder(2));
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const w = readFileSync(join(dir, 'weights.bin'));
    const m = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength),
      }),
    );
    const x = tf.tensor4d(Float32Array.from(gatherRows(inputs, 144, [4, 9])), [2, 12, 12, 1]);
    const direct = await deconvolve(tf, m, manifest.layers[3].name, 2, x);
    assert.deepEqual(Array.from(decodeFloat32(a.projections)), Array.from(direct.data));
    await assert.rejects(
      ask({ kind: 'deconvolution', layer: 5, channel: 0, epoch: 2, x: { kind: 'all' } }),
      (e: QueryError) => e.code === 'unsupported' && e.message.includes(manifest.layers[5].name),
    );
  });

  it('splits a forward pass between two threads with exactly the activations of one thread', async () => {
    const split = new AnalysisEngine({ roots: [runs], backend: 'wasm', minSplitInputs: 2 });
    const single = new AnalysisEngine({ roots: [runs], backend: 'wasm', splitForward: false });
    try {
      for (const layer of [3, 1, 5]) {
        // Layer 3 first: 1 is then in memory, and 5 continues from 3 (the split carries "from" over).
        const q = { kind: 'featureMaps' as const, layer, channels: [0], epoch: 1, x: { kind: 'all' as const } };
        rmSync(join(folder, 'cache'), { recursive: true, force: true });
        const ra = await split.answer(folder, q);
        rmSync(join(folder, 'cache'), { recursive: true, force: true });
        const rb = await single.answer(folder, q);
        assert.ok(!ra.cached && !rb.cached, 'both computed, not read from the cache');
        const [a, b] = [ra.answer, rb.answer];
        assert.deepEqual(a.maps.shape, b.maps.shape);
        assert.equal(a.maps.base64, b.maps.base64, `layer ${layer}`);
      }
      const direct = await directActivations(tf, folder, manifest, 1, 2, inputs, n);
      rmSync(join(folder, 'cache'), { recursive: true, force: true });
      const viaSplit = decodeFloat32(
        (await split.answer(folder, { kind: 'featureMaps', layer: 2, channels: [4], epoch: 1, x: { kind: 'all' } })).answer.maps,
      );
      for (let i = 0; i < n; i += 7) assert.equal(viaSplit[i * 100 + 42], direct.data[(i * 100 + 42) * 6 + 4]);
    } finally {
      split.close();
      single.close();
    }
  });

  it('splits a Taylor pass between two threads, chunk by chunk, with exactly the estimates of one thread', async () => {
    const split = new AnalysisEngine({ roots: [runs], backend: 'wasm', minSplitInputs: 2 });
    const single = new AnalysisEngine({ roots: [runs], backend: 'wasm', splitForward: false });
    const saved = TAYLOR_CHUNK.bytes;
    try {
      // Small chunks: several on each thread, the last one short.
      const perInput = manifest.layers.reduce((t, l) => t + 4 * l.outputShape.reduce((a, b) => a * b, 1), 0);
      TAYLOR_CHUNK.bytes = perInput * 7;
      assert.ok(n > 4 * 7 && n % 7 !== 0, 'the test needs several chunks of 7, the last one short');
      const q: Query = { kind: 'channelImportanceEstimate', epoch: 1 };
      rmSync(join(folder, 'cache'), { recursive: true, force: true });
      const a = (await split.answer(folder, q)).answer;
      rmSync(join(folder, 'cache'), { recursive: true, force: true });
      const b = (await single.answer(folder, q)).answer;
      assert.ok(a.layers.length > 1 && a.layers.some((l) => l.estimates.some((e) => e !== 0 && e !== null)));
      assert.deepEqual(a, b);
      for (const [k, l] of a.layers.entries()) l.estimates.forEach((e, c) => assert.ok(Object.is(e, b.layers[k].estimates[c])));
    } finally {
      TAYLOR_CHUNK.bytes = saved;
      split.close();
      single.close();
    }
  });

  it('caches expensive answers in the run folder across engines, keyed by the run fingerprint', async () => {
    const q: Query = { kind: 'capacityMatrix', layerI: 2, layerJ: 3, epoch: 1, x: { kind: 'classes', classes: [1] } };
    const first = await ask(q);
    assert.equal(first.cached, false);
    const second = await ask(q);
    assert.equal(second.cached, true);
    assert.deepEqual(second.answer, first.answer);
    const restarted = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    try {
      assert.equal((await restarted.answer(folder, q)).cached, true, 'the cache survives a restart');
      // A run folder recorded again (another fingerprint) never sees the old answers.
      const path = join(folder, 'manifest.json');
      const saved = readFileSync(path, 'utf8');
      const changed = JSON.parse(saved);
      changed.model.fingerprint = 'ffffffffffffffff';
      writeFileSync(path, JSON.stringify(changed));
      try {
        assert.equal((await restarted.answer(folder, q)).cached, false);
      } finally {
        writeFileSync(path, saved);
      }
    } finally {
      restarted.close();
    }
  });

  it('the cache folder stays under its cap, least recently used first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-cache-'));
    try {
      const cache = new AnswerCache(dir, 2500);
      const big = 'x'.repeat(1000);
      cache.set('a', { big });
      cache.set('b', { big });
      assert.deepEqual(cache.get('a'), { big }, 'a is now the most recently used');
      const later = new Date(Date.now() + 5000);
      utimesSync(join(dir, 'a.json'), later, later);
      cache.set('c', { big });
      assert.equal(cache.get('b'), undefined, 'b was the oldest and went');
      assert.ok(cache.get('a') && cache.get('c'));
      assert.ok(cache.usage().bytes <= 2500);
      writeFileSync(join(dir, 'c.json'), '{broken');
      assert.equal(cache.get('c'), undefined, 'a damaged entry is a miss');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cancelled query rejects with "cancelled" and the engine keeps answering', async () => {
    const controller = new AbortController();
    const pending = ask({ kind: 'capacityMatrix', layerI: 1, layerJ: 3, epoch: 0, bins: 16 }, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e: QueryError) => e.code === 'cancelled');
    const ok = await ask({ kind: 'layerCapacity', layerI: 1, layerJ: 3, epoch: 0 });
    assert.equal(typeof ok.answer.bits, 'number');
  });

  it('bad queries get typed errors with readable messages', async () => {
    const expect = async (run: string, q: unknown, code: string, text: RegExp) =>
      assert.rejects(engine.answer(run, parseQueryOrPass(q)), (e: Error) => hasErrorCode(e, code) && text.test(e.message));
    await expect(
      folder,
      { kind: 'featureMaps', layer: 99, channels: [0], epoch: 1, x: { kind: 'all' } },
      'out-of-range',
      /layer 99 .* layers 0\.\.5/,
    );
    await expect(
      folder,
      { kind: 'featureMaps', layer: 1, channels: [4], epoch: 1, x: { kind: 'all' } },
      'out-of-range',
      /channel 4 .* channels 0\.\.3/,
    );
    await expect(folder, { kind: 'interSample', layer: 1, epoch: 5 }, 'epoch-not-recorded', /epoch 5 is not recorded.*0, 1, 2/);
    await expect(folder, { kind: 'interSample', layer: 1, epoch: 1, x: { kind: 'classes', classes: [7] } }, 'out-of-range', /class 7/);
    await expect(folder, { kind: 'inputs', x: { kind: 'indices', indices: [600] } }, 'out-of-range', /input 600/);
    await expect(join(runs, '..', 'elsewhere'), { kind: 'run' }, 'unknown-run', /not inside a runs folder/);
    await expect(join(runs, 'nope'), { kind: 'run' }, 'unknown-run', /no run "nope"/);
    await expect(join(folder, '..', '..'), { kind: 'run' }, 'unknown-run', /not a run id|not inside/);
    // A link inside the runs folder that points elsewhere.
    const outside = mkdtempSync(join(tmpdir(), 'cnn-slicer-outside-'));
    cpSync(folder, join(outside, 'copy'), { recursive: true });
    symlinkSync(join(outside, 'copy'), join(runs, 'linked'));
    await expect(join(runs, 'linked'), { kind: 'run' }, 'unknown-run', /outside its runs folder/);
    // Corrupt and newer-format runs.
    mkdirSync(join(runs, 'corrupt'));
    writeFileSync(join(runs, 'corrupt', 'manifest.json'), '{"formatVersion": 1, "id": ');
    await expect(join(runs, 'corrupt'), { kind: 'run' }, 'run-format', /damaged/);
    cpSync(folder, join(runs, 'newer'), { recursive: true });
    const newer = JSON.parse(readFileSync(join(runs, 'newer', 'manifest.json'), 'utf8'));
    newer.formatVersion = 99;
    writeFileSync(join(runs, 'newer', 'manifest.json'), JSON.stringify(newer));
    await expect(join(runs, 'newer'), { kind: 'run' }, 'run-format', /newer|update/i);
    cpSync(folder, join(runs, 'noprobe'), { recursive: true });
    rmSync(join(runs, 'noprobe', manifest.probe.inputsFile));
    await expect(join(runs, 'noprobe'), { kind: 'inputs', x: { kind: 'all' } }, 'run-format', /missing/);
    rmSync(outside, { recursive: true, force: true });
    assert.throws(
      () => parseQuery({ kind: 'capacityMatrix', layerI: -1 }),
      (e: QueryError) => e.code === 'bad-query' && /layerI/.test(e.message),
    );
    assert.throws(() => parseQuery({ kind: 'nope' }), /unknown query kind/);
    assert.throws(() => parseQuery({ kind: 'featureMaps', layer: 1, channels: [], epoch: 0, x: { kind: 'all' } }), /at least one channel/);
    assert.throws(() => parseQuery({ kind: 'interSample', layer: 1, epoch: 0, x: { kind: 'perClass' } }), /count/);
    assert.throws(() => parseQuery('capacity'), /JSON object/);
  });

  it('a run that is still recording answers for its completed epochs', async () => {
    cpSync(folder, join(runs, 'live'), { recursive: true });
    const path = join(runs, 'live', 'manifest.json');
    const live = JSON.parse(readFileSync(path, 'utf8'));
    Object.assign(live, { status: 'recording', pid: process.pid, pidStartTime: processStartTime(process.pid), epochs: [0, 1] });
    writeFileSync(path, JSON.stringify(live));
    const r = await engine.answer(join(runs, 'live'), { kind: 'channelEntropies', layer: 2, epoch: 1 });
    assert.equal(r.answer.all.length, 6);
    await assert.rejects(engine.answer(join(runs, 'live'), { kind: 'interSample', layer: 2, epoch: 2 }), /epoch 2 is not recorded/);
    // The recorder writes epoch 2: the next query sees it.
    live.epochs = [0, 1, 2];
    writeFileSync(path, JSON.stringify(live));
    const later = await engine.answer(join(runs, 'live'), { kind: 'interSample', layer: 2, epoch: 2 });
    assert.equal(typeof later.answer.bits, 'number');
  });

  it('runs as a child process: answers, typed errors for bad messages, and a newer query of a view supersedes the older', async () => {
    const client = new AnalysisClient({ roots: [runs] });
    try {
      const t = await client.query(folder, { kind: 'training' });
      assert.deepEqual(t.answer.epochs, [0, 1, 2]);
      await assert.rejects(
        client.query(folder, { kind: 'interSample', layer: 1, epoch: 9 }),
        (e: QueryError) => e.code === 'epoch-not-recorded',
      );
      await assert.rejects(client.query('/etc', { kind: 'run' }), (e: QueryError) => e.code === 'unknown-run');
      const progress: number[] = [];
      const older = client.query(folder, { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0, bins: 12 }, { view: 'layer' });
      const newer = client.query(
        folder,
        { kind: 'capacityMatrix', layerI: 2, layerJ: 3, epoch: 0, bins: 12 },
        { view: 'layer', onProgress: (f) => progress.push(f) },
      );
      await assert.rejects(older, (e: QueryError) => e.code === 'cancelled');
      const answer: AnswerOf['capacityMatrix'] = (await newer).answer;
      assert.equal(answer.rows, 6);
      const pid = client.pid;
      assert.ok(pid && isAlive(pid), 'the service survived all of it');
    } finally {
      client.dispose();
    }
  });
});

describe('cnn-slicer query and runs (dist/cli.js)', function () {
  this.timeout(120000);
  let runs: string;
  let folder: string;
  const cli = resolve(__dirname, '../../../dist/cli.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  before(() => {
    // The tiny model, 1 epoch on synthetic:120, batch 16, probe 30, k 10: test/fixtures/runs/tiny-cli-query.
    ({ runs, folder } = copyFixtureRun('tiny-cli-query', 'cnn-slicer-cli-query-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('prints the JSON answer of a query given as options, and as --json', () => {
    const r = run(['query', folder, 'capacityMatrix', '--layer-i', '1', '--layer-j', '2', '--epoch', '1', '--classes', '0,2']);
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout) as AnswerOf['capacityMatrix'];
    assert.equal(a.rows * a.columns, a.values.length);
    assert.equal(a.columns, 4);
    const j = run(['query', folder, 'featureMaps', '--json', '{"layer":1,"channels":[2],"epoch":0,"x":{"kind":"perClass","count":2}}']);
    assert.equal(j.status, 0, j.stderr);
    assert.equal(JSON.parse(j.stdout).inputs.length, 6);
  });

  it('exits 2 with one line for a bad query, a bad option or a missing run', () => {
    for (const [args, text] of [
      [['query', folder, 'interSample', '--layer', '1', '--epoch', '4'], /epoch 4 is not recorded/],
      [['query', folder, 'nope'], /unknown query kind "nope"/],
      [['query', folder, 'interSample', '--layer', 'x', '--epoch', '0'], /--layer "x" names no layer of this run/],
      [['query', join(runs, 'missing'), 'run'], /does not exist/],
      [['query', folder], /expected <run-folder> <kind>/],
    ] as [string[], RegExp][]) {
      const r = run(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, text);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('lists runs with status, model, dataset and epochs', () => {
    const r = run(['runs', runs]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /run\s+status\s+model\s+dataset\s+epochs/);
    assert.match(r.stdout, /completed\s+multiFile\.ts\s+synthetic:120\s+0, 1/);
    const j = JSON.parse(run(['runs', runs, '--json']).stdout);
    assert.equal(j.runs[0].folder, folder);
    assert.equal(run(['runs', join(runs, 'nothing-here')]).status, 2);
  });

  it('writes a self-contained report: one file, strict CSP, every planned answer embedded', () => {
    const out = join(runs, 'r.html');
    const r = run(['report', folder, '--out', out, '--epochs', '1', '--theme', 'dark', '--max-seconds', '86400']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^report: .*r\.html \(\d+\.\d MB, \d+ answers/);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-/);
    // The page's own markup loads nothing (the CSP forbids it anyway; the browser tests watch requests).
    const markup = html.slice(0, html.indexOf('<script'));
    assert.doesNotMatch(markup, /<link|\ssrc=|https?:/);
    assert.match(html, /<body class="report vscode-dark">/);
    const json = html.slice(html.indexOf('id="cnn-slicer-report"'));
    const data = JSON.parse(json.slice(json.indexOf('>') + 1, json.indexOf('</script>')));
    assert.equal(data.manifest.id, basename(folder));
    const kinds = new Set(Object.keys(data.answers).map((k) => JSON.parse(k).kind));
    for (const kind of [
      'run',
      'training',
      'confusion',
      'smallMultiples',
      'channelEntropies',
      'interSample',
      'featureMaps',
      'inputDiversity',
    ])
      assert.ok(kinds.has(kind), kind);
    // --epochs 1: forward-pass answers only at the last epoch.
    const confusionEpochs = Object.keys(data.answers)
      .filter((k) => JSON.parse(k).kind === 'confusion')
      .map((k) => JSON.parse(k).epoch);
    assert.deepEqual(confusionEpochs, [1]);
    for (const [args, text] of [
      [['report', join(runs, 'missing')], /does not exist/],
      [['report', folder, '--theme', 'neon'], /--theme must be/],
      [['report', folder, '--epochs', '0'], /--epochs must be an integer >= 1/],
      [['report', folder, '--out', join(runs, 'no-such-dir', 'r.html')], /does not exist/],
    ] as [string[], RegExp][]) {
      const bad = run(args);
      assert.equal(bad.status, 2, args.join(' '));
      assert.match(bad.stderr, text);
    }
  });
});

function parseQueryOrPass(q: unknown): Query {
  return parseQuery(q);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
