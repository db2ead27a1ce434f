import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  hasErrorCode,
  layerActivations,
  layerDistanceCodes,
  pairwiseInformationFromCodes,
  sameLabelPairs,
  shannonEntropyBits,
} from '../../../src/analysis';
import { readProbe } from '../../../src/run/probe';
import { initBackend } from '../../../src/tfjs/backend';
import { forwardLayer, loadCheckpoint } from '../../../src/tfjs/forward';
import type { EpochMetrics, RunManifest } from '../../../src/contract/runFormat';
import { AnalysisEngine } from '../../../src/service/engine';
import { parseQuery, Query } from '../../../src/contract/queries';
import { copyFixtureRun } from '../../support/fixtureRuns';

describe('label information queries on a recorded run (channelLabelInformation, informationPlane)', function () {
  this.timeout(300000);
  let runs: string;
  let folder: string;
  let manifest: RunManifest;
  let metrics: EpochMetrics[];
  let engine: AnalysisEngine;

  before(async () => {
    const r = copyFixtureRun('tiny', 'cnn-slicer-mi-');
    runs = r.runs;
    folder = r.folder;
    manifest = r.manifest;
    metrics = readMetrics();
    engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
  });
  after(() => {
    engine?.close();
    rmSync(runs, { recursive: true, force: true });
  });

  const readMetrics = (): EpochMetrics[] =>
    readFileSync(join(folder, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as EpochMetrics);
  const ask = async <Q extends Query>(q: Q, on = engine) => (await on.answer(folder, q)).answer;
  const close = (a: number | null, b: number | null | undefined, eps = 1e-9) =>
    assert.ok(a !== null && b !== null && b !== undefined && Math.abs(a - b) < eps, `${a} vs ${b}`);

  it('records both estimators for every layer at every recorded epoch', () => {
    assert.deepEqual(
      metrics.map((m) => m.epoch),
      [0, 1, 2],
    );
    for (const m of metrics)
      for (const l of m.layers) {
        assert.equal(typeof l.labelInformationBits, 'number', `epoch ${m.epoch} layer ${l.layer}`);
        assert.equal(typeof l.inputCapacityBits, 'number');
        assert.equal(typeof l.binnedInformation?.saturated, 'boolean');
        assert.ok(l.labelInformationBits! >= 0 && l.binnedInformation!.ixtBits! <= Math.log2(manifest.probe.size) + 1e-12);
      }
  });

  it('informationPlane reads the recorded points over all probe inputs, one trajectory per layer and one point per epoch', async () => {
    for (const estimator of ['pairwise', 'binned'] as const) {
      const a = await ask({ kind: 'informationPlane', estimator });
      assert.equal(a.estimator, estimator);
      assert.deepEqual(a.epochs, [0, 1, 2]);
      assert.deepEqual(
        a.layers.map((l) => l.layer),
        manifest.layers.slice(1).map((l) => l.index),
      );
      assert.equal(a.inputCount, manifest.probe.size);
      for (const { layer, points } of a.layers) {
        assert.deepEqual(
          points.map((p) => p.epoch),
          [0, 1, 2],
        );
        points.forEach((p, e) => {
          const lm = metrics[e].layers[layer];
          if (estimator === 'pairwise') {
            assert.deepEqual(p, { epoch: e, ixt: lm.inputCapacityBits, ity: lm.labelInformationBits, saturated: false });
          } else {
            const b = lm.binnedInformation!;
            assert.deepEqual(p, { epoch: e, ixt: b.ixtBits, ity: b.ityBits, saturated: b.saturated });
          }
        });
      }
      const hY = shannonEntropyBits(manifest.probe.classCounts)!;
      if (estimator === 'binned') assert.deepEqual(a.ceilings, { ixt: Math.log2(manifest.probe.size), ity: hY });
      else assert.equal(a.ceilings.ixt, Math.log2(manifest.settings.bins));
    }
  });

  it('informationPlane on a subset computes the points; pairwise I(X;T) is the layerCapacity query between layer 0 and T', async () => {
    const x = { kind: 'classes' as const, classes: [0, 1] };
    const plane = await ask({ kind: 'informationPlane', estimator: 'pairwise', x });
    const n = plane.inputCount;
    assert.equal(n, manifest.probe.classCounts[0] + manifest.probe.classCounts[1]);
    const last = plane.layers.at(-1)!;
    for (const epoch of [0, 2]) {
      const cap = await ask({ kind: 'layerCapacity', layerI: 0, layerJ: last.layer, epoch, x });
      assert.equal(last.points[epoch].ixt, cap.bits);
    }
    // Two classes: H(S) of the subset's pairs is the ceiling, and no point exceeds it.
    const c0 = manifest.probe.classCounts[0];
    const c1 = manifest.probe.classCounts[1];
    const samePairs = (c0 * (c0 - 1)) / 2 + (c1 * (c1 - 1)) / 2;
    close(plane.ceilings.ity, shannonEntropyBits([samePairs, (n * (n - 1)) / 2 - samePairs]), 1e-12);
    for (const l of plane.layers) for (const p of l.points) assert.ok(p.ity! <= plane.ceilings.ity! + 1e-12);
  });

  it('channelLabelInformation gives one value per channel and epoch, its ceiling H(S), and is cached', async () => {
    const conv = manifest.layers.findIndex((l) => l.channels > 1 && l.index > 0);
    const q: Query = { kind: 'channelLabelInformation', layer: conv };
    const first = await engine.answer(folder, q);
    const a = first.answer;
    assert.deepEqual(a.epochs, [0, 1, 2]);
    assert.equal(a.bits.length, 3);
    for (const row of a.bits) assert.equal(row.length, manifest.layers[conv].channels);
    assert.ok(a.bits.flat().every((b) => b === null || (b >= 0 && b <= a.ceilingBits! + 1e-12)));
    assert.deepEqual(
      a.uninformative,
      a.bits[2].flatMap((b, c) => (b !== null && b < 0.01 ? [c] : [])),
    );
    assert.equal(a.inputCount, manifest.probe.size);
    const again = await engine.answer(folder, q);
    assert.equal(again.cached, true);
    assert.deepEqual(again.answer, a);
  });

  it('channelLabelInformation reads the codes of the capacity matrices: the values of the definition, bit for bit, on all inputs and on one class', async () => {
    // The reference: the layer's activations from the checkpoint, the analysis module's distance
    // codes and I_pair, computed here without the engine.
    const conv = manifest.layers.findIndex((l) => l.channels > 1 && l.index > 0);
    const { tf } = await initBackend('wasm');
    const probe = readProbe({ folder, manifest });
    const n = probe.labels.length;
    for (const x of [undefined, { kind: 'classes' as const, classes: [1] }]) {
      const indices = Array.from({ length: n }, (_, i) => i).filter((i) => !x || x.classes.includes(probe.labels[i]));
      // A capacity matrix of the layer first, so its codes are shared (the report's order).
      await ask({ kind: 'capacityMatrix', layerI: conv, layerJ: conv, epoch: 1, ...(x ? { x } : {}) });
      const a = await ask({ kind: 'channelLabelInformation', layer: conv, epochs: [1], ...(x ? { x } : {}) });
      const model = await loadCheckpoint(tf, join(folder, 'checkpoints', 'epoch-0001'), manifest.layers);
      const per = probe.inputs.length / n;
      const inputs = Float32Array.from(indices.flatMap((i) => Array.from(probe.inputs.subarray(i * per, (i + 1) * per))));
      const out = await forwardLayer({ tf, model, layers: manifest.layers, inputs, count: indices.length, layer: conv });
      model.dispose();
      const same = sameLabelPairs(indices.map((i) => probe.labels[i]));
      const codes = layerDistanceCodes(layerActivations(out.shape, out.data), manifest.settings.bins);
      assert.deepEqual(
        a.bits[0],
        codes.map((c) => pairwiseInformationFromCodes(c, same) ?? null),
        x ? 'class 1' : 'all inputs',
      );
    }
  });

  it('channelLabelInformation of a one-channel layer equals the layer-level I_pair(T;Y) the recorder stored', async () => {
    const dense = manifest.layers.length - 1;
    assert.equal(manifest.layers[dense].channels, 1);
    const a = await ask({ kind: 'channelLabelInformation', layer: dense, epochs: [2, 0] });
    assert.deepEqual(a.epochs, [0, 2]);
    close(a.bits[0][0], metrics[0].layers[dense].labelInformationBits);
    close(a.bits[1][0], metrics[2].layers[dense].labelInformationBits);
  });

  it('rejects an unknown estimator, an empty epoch list, an unrecorded epoch and a layer out of range', async () => {
    assert.throws(
      () => parseQuery({ kind: 'informationPlane', estimator: 'kde' }),
      (e) => hasErrorCode(e, 'bad-query') && /estimator/.test((e as Error).message),
    );
    assert.throws(() => parseQuery({ kind: 'channelLabelInformation', layer: 1, epochs: [] }), /epochs/);
    assert.deepEqual(parseQuery({ kind: 'informationPlane', estimator: 'binned', bins: 10, extra: 1 }), {
      kind: 'informationPlane',
      estimator: 'binned',
      bins: 10,
    });
    await assert.rejects(ask({ kind: 'channelLabelInformation', layer: 1, epochs: [7] }), (e) => hasErrorCode(e, 'epoch-not-recorded'));
    await assert.rejects(ask({ kind: 'channelLabelInformation', layer: 99 }), (e) => hasErrorCode(e, 'out-of-range'));
  });

  it('a run recorded before these values existed still reads, and the plane is computed to the same points', async () => {
    const stripped = readMetrics().map((m) => ({
      ...m,
      layers: m.layers.map((l) => {
        const old: Partial<typeof l> = { ...l };
        delete old.labelInformationBits;
        delete old.inputCapacityBits;
        delete old.binnedInformation;
        return old;
      }),
    }));
    writeFileSync(join(folder, 'metrics.jsonl'), stripped.map((m) => JSON.stringify(m) + '\n').join(''));
    const fresh = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    try {
      for (const estimator of ['pairwise', 'binned'] as const) {
        const a = await ask({ kind: 'informationPlane', estimator }, fresh);
        for (const { layer, points } of a.layers)
          points.forEach((p, e) => {
            const lm = metrics[e].layers[layer];
            if (estimator === 'pairwise') {
              close(p.ixt, lm.inputCapacityBits);
              close(p.ity, lm.labelInformationBits);
            } else {
              close(p.ixt, lm.binnedInformation!.ixtBits);
              close(p.ity, lm.binnedInformation!.ityBits);
              assert.equal(p.saturated, lm.binnedInformation!.saturated);
            }
          });
      }
    } finally {
      fresh.close();
    }
  });
});
