/**
 * A PyTorch run measured by the engine (src/measure/measureRun.ts): the run the Python recorder
 * wrote (test/fixtures/pytorch-run, its epochs pending) gets every epoch's measures from its ONNX
 * checkpoints, appended as complete lines; the probe accuracy the engine recomputes equals
 * PyTorch's exactly, and its loss within 1e-5; the run then opens with every epoch, and queries,
 * ablation included, answer on it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PendingEpochMetrics } from '../../../src/contract/runFormat';
import { measurePendingEpochs } from '../../../src/measure/measureRun';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { readRun } from '../../../src/run/store';
import { AnalysisEngine } from '../../../src/service/engine';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'pytorch-run');

describe('measureRun: a PyTorch run measured by the engine', function () {
  this.timeout(120_000);
  let dir: string;
  let folder: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-measure-'));
    cpSync(FIXTURE, join(dir, 'runs'), { recursive: true });
    folder = join(dir, 'runs', readdirSync(join(dir, 'runs'))[0]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('measures every pending epoch once; PyTorch and the engine agree on the probe', async () => {
    const before = readRun(folder);
    assert.deepEqual(before.manifest.epochs, []);
    const recorded = before.pending!;
    assert.deepEqual(
      recorded.map((l) => l.epoch),
      [0, 1, 2],
    );
    const result = await measurePendingEpochs(folder, { backend: 'wasm' });
    assert.deepEqual(result, { measured: [0, 1, 2], pending: [] });
    const after = readRun(folder);
    assert.equal(after.pending, undefined);
    assert.deepEqual(after.manifest.epochs, [0, 1, 2]);
    for (const [i, line] of after.metrics.entries()) {
      const torch: PendingEpochMetrics = recorded[i];
      assert.equal(line.epoch, torch.epoch);
      assert.equal(line.probeAccuracy, torch.probeAccuracy, `epoch ${line.epoch}: accuracy`);
      assert.deepEqual(line.confusion, torch.confusion);
      assert.ok(Math.abs(line.probeLoss! - torch.probeLoss!) <= 1e-5 * Math.abs(torch.probeLoss!), `epoch ${line.epoch}: loss`);
      assert.equal(line.trainLoss, torch.trainLoss);
      assert.equal(line.layers.length, after.manifest.layers.length);
      assert.ok(line.layers.every((l) => l.channelBits.length === after.manifest.layers[l.layer].channels));
    }
    // Nothing is pending any more: a second call measures nothing and appends nothing.
    const text = readFileSync(join(folder, 'metrics.jsonl'), 'utf8');
    assert.deepEqual(await measurePendingEpochs(folder, { backend: 'wasm' }), { measured: [], pending: [] });
    assert.equal(readFileSync(join(folder, 'metrics.jsonl'), 'utf8'), text);

    // The engine answers on the run: channel entropies as measured, and an ablation of a channel-first convolution.
    const engine = new AnalysisEngine({ roots: [join(dir, 'runs')], backend: 'wasm', cacheBytes: 0 });
    try {
      const conv = after.manifest.layers.find((l) => l.className === 'Conv2d')!;
      const entropies = (await engine.answer(folder, { kind: 'channelEntropies', layer: conv.index, epoch: 2 })).answer as {
        all: (number | null)[];
      };
      assert.deepEqual(entropies.all, after.metrics[2].layers[conv.index].channelBits);
      const ablation = (await engine.answer(folder, { kind: 'ablation', epoch: 2, layer: conv.index, channels: [0] })).answer as {
        baseline: { accuracy: number };
      };
      assert.equal(ablation.baseline.accuracy, recorded[2].probeAccuracy);
      // The deconvolution walks the checkpoint's channels-last twin: projections of the input's shape, drawn [n, H, W, C].
      const deconvolution = (
        await engine.answer(folder, {
          kind: 'deconvolution',
          epoch: 2,
          layer: conv.index,
          channel: 1,
          x: { kind: 'indices', indices: [0, 1] },
        })
      ).answer as { projections: { shape: number[] }; max: number };
      const [c, h, w] = after.manifest.layers[0].outputShape;
      assert.deepEqual(deconvolution.projections.shape, [2, h, w, c]);
      assert.ok(deconvolution.max > 0);
    } finally {
      engine.close();
    }
  });

  it('measures on the native engine what the WebAssembly engine measures (CNN_SLICER_ENGINE=wasm), within 1e-5', async function () {
    if ('reason' in nativeRuntime()) this.skip();
    const twin = join(dir, 'runs', 'wasm-twin');
    cpSync(folder, twin, { recursive: true });
    const logs: string[] = [];
    assert.deepEqual((await measurePendingEpochs(folder, { backend: 'wasm', log: (l) => logs.push(l) })).measured, [0, 1, 2]);
    assert.ok(!logs.some((l) => l.includes('not in use')), logs.join('\n'));
    const saved = process.env.CNN_SLICER_ENGINE;
    process.env.CNN_SLICER_ENGINE = 'wasm';
    try {
      assert.deepEqual((await measurePendingEpochs(twin, { backend: 'wasm' })).measured, [0, 1, 2]);
    } finally {
      if (saved === undefined) delete process.env.CNN_SLICER_ENGINE;
      else process.env.CNN_SLICER_ENGINE = saved;
    }
    const close = (a: number | null, b: number | null, what: string) =>
      assert.ok(a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b))), `${what}: ${a} vs ${b}`);
    const native = readRun(folder).metrics;
    const wasm = readRun(twin).metrics;
    for (const [t, line] of native.entries()) {
      const other = wasm[t];
      assert.equal(line.probeAccuracy, other.probeAccuracy, `epoch ${t}: accuracy`);
      assert.deepEqual(line.confusion, other.confusion);
      close(line.probeLoss, other.probeLoss, `epoch ${t}: loss`);
      for (const [l, layer] of line.layers.entries()) {
        const o = other.layers[l];
        close(layer.interSampleBits, o.interSampleBits, `epoch ${t} layer ${l}: inter-sample entropy`);
        layer.channelBits.forEach((bits, c) => close(bits, o.channelBits[c], `epoch ${t} layer ${l} channel ${c}: entropy`));
        assert.deepEqual(layer.deadChannels, o.deadChannels, `epoch ${t} layer ${l}: dead channels`);
      }
    }
  });
});
