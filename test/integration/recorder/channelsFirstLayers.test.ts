/**
 * Channels-first layers are measured on their real channel axis: a Go-board CNN written with
 * `dataFormat: 'channelsFirst'` outputs [48, 9, 9] per convolution, and its 48 filters are its
 * channels (the recording used to say 9, grouping every measure by board column).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { channelEntropies, layerActivations, npyFromFloat32, predictionMeasures, serializeNpy } from '../../../src/analysis';
import { recordedLayers } from '../../../src/recorder/modelFacts';
import { layerTable } from '../../../src/recorder/modelLoader';
import { recordRun } from '../../../src/recorder/record';
import { epochFolder } from '../../../src/run/paths';
import { readProbe } from '../../../src/run/probe';
import { readRun } from '../../../src/run/store';
import { AnalysisEngine } from '../../../src/service/engine';
import { loadCheckpoint } from '../../../src/tfjs/forward';
import { createModel } from '../../fixtures/models/goBoardChannelsFirst';
import { rng } from '../../support/reference';

const fixture = resolve(__dirname, '../../fixtures/models/goBoardChannelsFirst.ts');

describe('channels-first layers', function () {
  this.timeout(240_000);

  it("takes a channels-first layer's channels from its first axis, and says so in the layer table", () => {
    const model = createModel();
    try {
      const layers = recordedLayers({ model, layers: layerTable(model, () => undefined) });
      const table = layers.map((l) => [l.name, l.outputShape.join('x'), l.channels, l.dataFormat ?? 'channelsLast']);
      assert.deepEqual(table, [
        ['input', '2x9x9', 2, 'channelsFirst'],
        ['conv1', '48x9x9', 48, 'channelsFirst'],
        ['conv2', '48x9x9', 48, 'channelsFirst'],
        ['relu2', '48x9x9', 48, 'channelsFirst'],
        ['flat', '3888', 1, 'channelsLast'],
        ['moves', '3', 1, 'channelsLast'],
      ]);
    } finally {
      model.dispose();
    }
  });

  it('records and answers per filter: the channel entropies are those of the channels-last twin of the same activations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-nchw-'));
    try {
      const n = 60;
      const random = rng(29);
      const x = Float32Array.from({ length: n * 2 * 81 }, () => (random() < 0.3 ? 1 : 0));
      const y = Float32Array.from({ length: n }, (_, i) => i % 3);
      writeFileSync(join(dir, 'x.npy'), serializeNpy(npyFromFloat32([n, 2, 9, 9], x)));
      writeFileSync(join(dir, 'y.npy'), serializeNpy(npyFromFloat32([n], y)));
      const runs = join(dir, 'runs');
      const r = await recordRun({
        modelFile: fixture,
        dataset: `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`,
        epochs: 1,
        batchSize: 16,
        probeSize: 30,
        runsFolder: runs,
        backend: 'wasm',
      });
      const run = readRun(r.folder);
      const conv2 = run.manifest.layers.find((l) => l.name === 'conv2')!;
      assert.equal(conv2.channels, 48);
      assert.equal(conv2.dataFormat, 'channelsFirst');
      const recorded = run.metrics.at(-1)!.layers[conv2.index].channelBits;
      assert.equal(recorded.length, 48);

      // The twin: the checkpoint's conv2 outputs, moved channels-last by hand, measured as such.
      const probe = readProbe(run);
      const model = await loadCheckpoint(tf, join(r.folder, 'checkpoints', epochFolder(1)), run.manifest.layers);
      const count = probe.labels.length;
      const upTo = tf.model({ inputs: model.inputs, outputs: model.getLayer('conv2').output });
      const nhwc = tf.tidy(() => (upTo.predict(tf.tensor(probe.inputs, [count, 2, 9, 9])) as tf.Tensor).transpose([0, 2, 3, 1]));
      const twin = layerActivations([count, 9, 9, 48], nhwc.dataSync());
      nhwc.dispose();
      const expected = channelEntropies(twin, { bins: run.manifest.settings.bins }).all;
      for (let c = 0; c < 48; c++)
        assert.ok(Math.abs((recorded[c] ?? NaN) - (expected[c] ?? NaN)) < 1e-4, `channel ${c}: ${recorded[c]} vs ${expected[c]}`);

      // The service measures the same axis, and shows each filter as a 9×9 map.
      const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
      try {
        const answer = (await engine.answer(r.folder, { kind: 'channelEntropies', layer: conv2.index, epoch: 1 })).answer as {
          all: (number | null)[];
        };
        assert.equal(answer.all.length, 48);
        for (let c = 0; c < 48; c++) assert.ok(Math.abs((answer.all[c] ?? NaN) - (expected[c] ?? NaN)) < 1e-4, `service, channel ${c}`);
        const maps = (
          await engine.answer(r.folder, {
            kind: 'featureMaps',
            layer: conv2.index,
            channels: [47],
            epoch: 1,
            x: { kind: 'indices', indices: [0] },
          })
        ).answer as { maps: { shape: number[] } };
        assert.deepEqual(maps.maps.shape, [1, 1, 9, 9]);
        // Ablation replaces a filter's [9, 9] map: the tail run by hand on conv2's output with filter 5 zeroed gives the same predictions.
        const ablation = (await engine.answer(r.folder, { kind: 'ablation', epoch: 1, layer: conv2.index, channels: [5] })).answer as {
          ablated: { accuracy: number; loss: number | null };
        };
        const mask = tf.tensor(
          Float32Array.from({ length: 48 }, (_, c) => (c === 5 ? 0 : 1)),
          [1, 48, 1, 1],
        );
        const scores = tf.tidy(() => {
          let t = (upTo.predict(tf.tensor(probe.inputs, [count, 2, 9, 9])) as tf.Tensor).mul(mask);
          for (const name of ['relu2', 'flat', 'moves']) t = model.getLayer(name).apply(t) as tf.Tensor;
          return t.dataSync();
        });
        const byHand = predictionMeasures(scores, probe.labels, 3);
        assert.equal(ablation.ablated.accuracy, byHand.accuracy);
        // Channel importance ablates every filter the same way.
        const importance = (await engine.answer(r.folder, { kind: 'channelImportance', epoch: 1, layer: conv2.index, exhaustive: true }))
          .answer as {
          baseline: { accuracy: number };
          channels: { channel: number; deltaAccuracy: number }[];
        };
        assert.equal(importance.channels.length, 48);
        assert.equal(importance.channels.find((c) => c.channel === 5)?.deltaAccuracy, byHand.accuracy - importance.baseline.accuracy);
        assert.ok(
          Math.abs(ablation.ablated.loss! - byHand.loss!) <= 1e-5 * Math.abs(byHand.loss!),
          `${ablation.ablated.loss} vs ${byHand.loss}`,
        );
      } finally {
        engine.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
