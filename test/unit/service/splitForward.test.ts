/**
 * Forward passes that keep only some layers (forward.ts `keep`, SplitForward `keep`): the capacity
 * matrix's two layers come out of one pass that copies nothing else out of the backend, with
 * exactly the values of the pass that yields every layer, on one thread and split over two.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { recordTinyRun } from '../support/tinyRun';
import type { RunManifest } from '../../../src/run/format';
import { readRun } from '../../../src/run/store';
import { readProbe } from '../../../src/run/probe';
import { epochFolder } from '../../../src/run/paths';
import { SplitForward } from '../../../src/service/splitForward';
import { initBackend } from '../../../src/tfjs/backend';
import { Activations, forwardLayers, loadCheckpoint } from '../../../src/tfjs/forward';

describe('forward passes that keep only some layers', function () {
  this.timeout(180000);
  let runs = '';
  let folder = '';
  let manifest: RunManifest;

  before(async () => {
    const r = await recordTinyRun('cnn-slicer-keep-');
    runs = r.runs;
    folder = r.folder;
    manifest = r.manifest;
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  const collect = async (pass: AsyncGenerator<{ index: number; out: Activations }>) => {
    const out = new Map<number, Activations>();
    for await (const { index, out: a } of pass) out.set(index, { shape: a.shape, data: Float32Array.from(a.data) });
    return out;
  };

  it('yields only the kept layers, equal to the pass that yields every layer, on one thread and on two', async () => {
    const { tf, backend } = await initBackend('wasm');
    const layers = manifest.layers;
    const checkpoint = join(folder, 'checkpoints', epochFolder(1));
    const model = await loadCheckpoint(tf, checkpoint, layers);
    const probe = readProbe(readRun(folder));
    const inputs = probe.inputs;
    const count = probe.labels.length;
    const last = layers.length - 1;
    const keep = [2, last];
    try {
      const before = tf.memory().numTensors;
      const all = await collect(forwardLayers({ tf, model, layers, inputs, count, last }));
      assert.equal(all.size, last, 'every layer from 1');
      const kept = await collect(forwardLayers({ tf, model, layers, inputs, count, last, keep: new Set(keep) }));
      assert.deepEqual([...kept.keys()], keep);
      for (const l of keep) {
        assert.deepEqual(kept.get(l)!.shape, all.get(l)!.shape);
        assert.deepEqual(kept.get(l)!.data, all.get(l)!.data, `layer ${l}`);
      }
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');

      const split = new SplitForward({ minSplitInputs: 2 });
      try {
        const pass = { tf, backend, model, checkpoint, layers, inputs, count, last };
        const twoThreads = await collect(split.layers({ ...pass, keep }));
        assert.deepEqual([...twoThreads.keys()], keep);
        for (const l of keep) assert.deepEqual(twoThreads.get(l)!.data, all.get(l)!.data, `layer ${l} on two threads`);
        // Continuing from a known layer below the kept ones.
        const from = { index: 1, activations: all.get(1)! };
        const continued = await collect(split.layers({ ...pass, from, keep }));
        for (const l of keep) assert.deepEqual(continued.get(l)!.data, all.get(l)!.data, `layer ${l} from layer 1`);
      } finally {
        split.close();
      }
    } finally {
      model.dispose();
    }
  });
});
