import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type * as tfType from '@tensorflow/tfjs';
import { recordTinyRun } from './tinyRun';
import type { RunManifest } from '../../src/run/format';
import { AnalysisEngine } from '../../src/service/engine';
import type { Query } from '../../src/service/queries';
import { initBackend } from '../../src/tfjs/backend';

describe('analysis engine: checkpoint models shared by concurrent queries', function () {
  this.timeout(300000);
  let runs: string;
  let folder: string;
  let manifest: RunManifest;
  let tf: typeof tfType;

  before(async () => {
    // Epochs 0, 1 and 2: one more than the two models a run keeps loaded.
    const r = await recordTinyRun('cnn-slicer-engine-');
    runs = r.runs;
    folder = r.folder;
    manifest = r.manifest;
    tf = (await initBackend('wasm')).tf;
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  /** A slice small enough to run on its own inputs (a forward pass on this thread through the epoch's model). */
  const slice = (i: number, epoch: number): Query => {
    const layer = 1 + (i % (manifest.layers.length - 1));
    const indices = [...new Set([i % 60, (i * 7 + 3) % 60])].sort((a, b) => a - b);
    return i % 5 === 4
      ? { kind: 'deconvolution', layer: 3, channel: i % 4, epoch, x: { kind: 'indices', indices } }
      : { kind: 'featureMaps', layer, channels: [0], epoch, x: { kind: 'indices', indices } };
  };

  it('200 concurrent queries over three epochs all succeed: no query meets a model disposed under it', async () => {
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    try {
      const settled = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => engine.answer(folder, slice(i, i % 3))));
      const failures = settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).message] : []));
      assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of 200 queries failed`);
    } finally {
      engine.close();
    }
  });

  it('two queries loading the same epoch at once share one load: the live tensors do not grow over rounds', async () => {
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    try {
      // Cycling through three epochs with two kept loaded, every round loads its epoch anew.
      const round = (r: number) =>
        Promise.all([engine.answer(folder, slice(2 * r, r % 3)), engine.answer(folder, slice(2 * r + 1, r % 3))]);
      for (let r = 0; r < 3; r++) await round(r);
      const warm = tf.memory().numTensors;
      for (let r = 3; r < 12; r++) await round(r);
      assert.equal(tf.memory().numTensors, warm);
    } finally {
      engine.close();
    }
  });

  it('closing the engine frees every model it loaded', async () => {
    const before = tf.memory().numTensors;
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    await Promise.all([0, 1, 2].map((epoch) => engine.answer(folder, slice(epoch, epoch))));
    assert.ok(tf.memory().numTensors > before);
    engine.close();
    assert.equal(tf.memory().numTensors, before);
  });
});
