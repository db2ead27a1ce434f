import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import type * as tfType from '@tensorflow/tfjs';
import { copyFixtureRun, copyPytorchRun } from '../../support/fixtureRuns';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FindingsAnswer } from '../../../src/contract/queries';
import { NativeCheckpoint } from '../../../src/native/nativeForward';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { measurePendingEpochs } from '../../../src/measure/measureRun';
import type { RunManifest } from '../../../src/contract/runFormat';
import { AnalysisEngine } from '../../../src/service/engine';
import { WARM_UP_LAYER } from '../../../src/service/warmUp';
import { CheckpointModels } from '../../../src/service/models';
import { ComputePool } from '../../../src/compute/pool';
import type { Query, QueryPriority } from '../../../src/contract/queries';
import { initBackend } from '../../../src/tfjs/backend';

/** Counts the model leases taken (each forward pass takes one on its epoch's model), until `restore()`. */
function countLeases(): { loads: number[]; restore: () => void } {
  const loads: number[] = [];
  const prototype = CheckpointModels.prototype;
  const original = Object.getOwnPropertyDescriptor(prototype, 'acquire')!;
  const acquire = original.value as CheckpointModels['acquire'];
  Object.defineProperty(prototype, 'acquire', {
    ...original,
    value(this: CheckpointModels, ...args: Parameters<CheckpointModels['acquire']>) {
      loads.push(args[0]);
      return acquire.apply(this, args);
    },
  });
  return { loads, restore: () => Object.defineProperty(prototype, 'acquire', original) };
}

/**
 * Counts the distance passes, each as `<inputs>×<channels>`: every one goes through
 * ComputePool.layerCodes (but for the engine's warm-up of its workers, a layer of
 * WARM_UP_LAYER's shape), until `restore()`.
 */
function countDistancePasses(): { passes: string[]; restore: () => void } {
  const passes: string[] = [];
  const prototype = ComputePool.prototype;
  const original = Object.getOwnPropertyDescriptor(prototype, 'layerCodes')!;
  const layerCodes = original.value as ComputePool['layerCodes'];
  const [warmCount, warmUnits, warmChannels] = WARM_UP_LAYER;
  Object.defineProperty(prototype, 'layerCodes', {
    ...original,
    value(this: ComputePool, ...args: Parameters<ComputePool['layerCodes']>) {
      const { count, units, channels } = args[0];
      if (count !== warmCount || units !== warmUnits || channels !== warmChannels) passes.push(`${count}×${channels}`);
      return layerCodes.apply(this, args);
    },
  });
  return { passes, restore: () => Object.defineProperty(prototype, 'layerCodes', original) };
}

describe('analysis engine: checkpoint models shared by concurrent queries', function () {
  this.timeout(300000);
  let runs: string;
  let folder: string;
  let manifest: RunManifest;
  let tf: typeof tfType;

  before(async () => {
    // Epochs 0, 1 and 2: one more than the two models a run keeps loaded.
    const r = copyFixtureRun('tiny', 'cnn-slicer-engine-');
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

  it('computes a burst in priority order: on-screen queries first, summaries without waiting', async () => {
    // No quick slot: every query here is a quick slice, and the order of the one slot is tested.
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, concurrentQueries: 1, quickQueries: 0 });
    try {
      const started: string[] = [];
      const ask = (name: string, q: Query, priority: QueryPriority) =>
        engine.answer(folder, q, { priority, onProgress: (_, message) => message === 'computing' && started.push(name) });
      const summary = engine.answer(folder, { kind: 'training' }, { priority: 'background' });
      // The first query takes the one slot at once; the others wait for it, whatever their priority.
      const burst = Promise.all([
        ask('first', slice(0, 0), 'background'),
        ask('background', slice(1, 1), 'background'),
        ask('soon', slice(2, 1), 'soon'),
        ask('visible 1', slice(3, 2), 'visible'),
        ask('visible 2', slice(6, 2), 'visible'),
      ]);
      assert.equal((await summary).answer.epochs.length, 3);
      await burst;
      assert.deepEqual(started, ['first', 'visible 1', 'visible 2', 'soon', 'background']);
    } finally {
      engine.close();
    }
  });

  it('concurrent capacity matrices share one distance pass per layer, with the answers of separate passes', async () => {
    const layers = manifest.layers.filter((l) => l.index > 0 && l.outputShape.length === 3).map((l) => l.index);
    assert.ok(layers.length >= 3, 'the tiny model has three convolution or pooling layers');
    const [a, b, c] = layers;
    const pairs: [number, number][] = [
      [a, b],
      [a, c],
      [c, b],
    ];
    const queries = pairs.map(([layerI, layerJ]): Query => ({ kind: 'capacityMatrix', layerI, layerJ, epoch: 1 }));
    const { passes, restore } = countDistancePasses();
    const shared = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, concurrentQueries: 3 });
    const separate = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, concurrentQueries: 1, codesBytes: 0 });
    try {
      const together = await Promise.all(queries.map((q) => shared.answer(folder, q)));
      assert.equal(passes.length, 3, 'one distance pass for each of the three layers');
      passes.length = 0;
      for (const [k, q] of queries.entries()) assert.deepEqual((await separate.answer(folder, q)).answer, together[k].answer);
      assert.equal(passes.length, 6, 'without kept codes, every query makes its two passes');
    } finally {
      restore();
      shared.close();
      separate.close();
    }
  });

  it("a layer's label information is kept once its codes have gone: a later query asks no distance pass for it, with the same answer", async () => {
    const conv = manifest.layers.find((l) => l.index > 0 && l.outputShape.length === 3)!.index;
    const { passes, restore } = countDistancePasses();
    // No codes kept (a deep model's report: the budget has let them go by the time the query comes).
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, codesBytes: 0 });
    const fresh = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, codesBytes: 0 });
    try {
      const last = await engine.answer(folder, { kind: 'channelLabelInformation', layer: conv, epochs: [2] });
      assert.equal(passes.length, 1);
      const both = await engine.answer(folder, { kind: 'channelLabelInformation', layer: conv, epochs: [1, 2] });
      assert.equal(passes.length, 2, "epoch 2's values were kept: only epoch 1 takes a distance pass");
      assert.deepEqual(both.answer.bits[1], last.answer.bits[0]);
      // A subset is another key: its own pass.
      await engine.answer(folder, { kind: 'channelLabelInformation', layer: conv, epochs: [2], x: { kind: 'classes', classes: [1] } });
      assert.equal(passes.length, 3);
      passes.length = 0;
      assert.deepEqual((await fresh.answer(folder, { kind: 'channelLabelInformation', layer: conv, epochs: [1, 2] })).answer, both.answer);
      assert.equal(passes.length, 2, 'an engine that kept nothing computes both epochs');
    } finally {
      restore();
      engine.close();
      fresh.close();
    }
  });

  it("a layer's label information is kept from its codes computed for another query: asked later, it takes no distance pass, with the same answer", async () => {
    const convs = manifest.layers.filter((l) => l.index > 0 && l.outputShape.length === 3).map((l) => l.index);
    const [a, b] = [convs[0], convs[1] ?? convs[0]];
    const { passes, restore } = countDistancePasses();
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, codesBytes: 0 });
    const fresh = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0, codesBytes: 0 });
    try {
      await engine.answer(folder, { kind: 'capacityMatrix', layerI: a, layerJ: b, epoch: 2, x: { kind: 'all' } });
      const computed = passes.length;
      assert.ok(computed >= 1);
      // The values are put once the query has gone on (a macrotask later).
      await new Promise((resolve) => setImmediate(resolve));
      // So the engine says it computes nothing for it (a report asks it past its deadline), and not for another epoch.
      assert.equal(engine.isCached(folder, { kind: 'channelLabelInformation', layer: b, epochs: [2] }), true);
      assert.equal(engine.isCached(folder, { kind: 'channelLabelInformation', layer: b, epochs: [1, 2] }), false);
      assert.equal(fresh.isCached(folder, { kind: 'channelLabelInformation', layer: b, epochs: [2] }), false);
      // A report lets the layers go around its whole-probe queries (engine.dropLayers): the label information stays.
      engine.dropLayers(folder);
      assert.equal(engine.isCached(folder, { kind: 'channelLabelInformation', layer: b, epochs: [2] }), true);
      const later = await engine.answer(folder, { kind: 'channelLabelInformation', layer: b, epochs: [2] });
      assert.equal(passes.length, computed, 'no distance pass for the label information');
      assert.deepEqual((await fresh.answer(folder, { kind: 'channelLabelInformation', layer: b, epochs: [2] })).answer, later.answer);
      assert.equal(passes.length, computed + 1, 'an engine that kept nothing takes one');
    } finally {
      restore();
      engine.close();
      fresh.close();
    }
  });

  it("the class scores stay when a report lets a run's layers go: the confusion cells asked again run no forward pass, with the same answer", async () => {
    const { loads, restore } = countLeases();
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    const fresh = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    const confusion: Query = { kind: 'confusion', epoch: 2, inputs: true };
    try {
      await engine.answer(folder, confusion);
      assert.deepEqual(loads, [2], 'one forward pass');
      // As a report does around a query that reads every layer (src/cli/reportCompute.ts).
      engine.dropLayers(folder);
      const again = await engine.answer(folder, confusion);
      assert.deepEqual(loads, [2], 'no second pass: the class scores (activations.ts SMALL_ACTIVATION_BYTES) were kept');
      assert.deepEqual(again.answer, (await fresh.answer(folder, confusion)).answer);
    } finally {
      restore();
      engine.close();
      fresh.close();
    }
  });

  it('feature maps of many channels of the same few inputs share one forward pass, with the answers of separate passes', async () => {
    const x = { kind: 'indices' as const, indices: [1, 4, 9] };
    const queries = [0, 1, 2, 3].map((c): Query => ({ kind: 'featureMaps', layer: 3, channels: [c], epoch: 2, x }));
    // Counts the forward passes: each takes a lease on the epoch's model.
    const { loads, restore } = countLeases();
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    try {
      const together = await Promise.all(queries.map((q) => engine.answer(folder, q)));
      assert.deepEqual(loads, [2], 'one forward pass for the four queries');
      for (const [k, q] of queries.entries()) {
        const alone = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
        try {
          assert.deepEqual((await alone.answer(folder, q)).answer, together[k].answer);
        } finally {
          alone.close();
        }
      }
    } finally {
      restore();
      engine.close();
    }
  });

  it("a sweep up a few inputs' layers, one query per layer, runs one forward pass, with the answers of separate passes", async () => {
    const x = { kind: 'indices' as const, indices: [2, 5, 11] };
    const sweep = manifest.layers.slice(1).map((l): Query => ({ kind: 'channelEntropies', layer: l.index, epoch: 1, x }));
    assert.ok(sweep.length >= 3, 'a model of several layers');
    const { loads, restore } = countLeases();
    const before = tf.memory().numTensors;
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    try {
      const swept = [];
      for (const q of sweep) swept.push((await engine.answer(folder, q)).answer);
      assert.deepEqual(loads, [1], 'one pass up the layers');
      // Each layer computed by a pass to it alone (a fresh engine per query) gives the same answer.
      for (const [k, q] of sweep.entries()) {
        const alone = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
        try {
          assert.deepEqual(
            (await alone.answer(folder, q)).answer,
            swept[k],
            `layer ${sweep[k].kind === 'channelEntropies' ? sweep[k].layer : ''}`,
          );
        } finally {
          alone.close();
        }
      }
    } finally {
      restore();
      engine.close();
    }
    assert.equal(tf.memory().numTensors, before, 'the paused pass released its model when the engine closed');
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

describe('analysis engine: the budget of a native pass (nativePassBytes)', function () {
  this.timeout(120_000);
  let dir = '';
  let runs = '';
  let folder = '';

  before(async function () {
    if ('reason' in nativeRuntime()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-native-budget-'));
    // The Python recorder's tiny LeNet (test/fixtures/pytorch-run), its epochs measured here.
    ({ runs, folder } = copyPytorchRun(dir));
    await measurePendingEpochs(folder, { backend: 'wasm' });
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  /** The findings answer (no answer cache: a fresh engine on a fresh copy each time), and the budgets its native passes ran with. */
  async function findings(nativePassBytes: number | undefined): Promise<{ answer: FindingsAnswer; budgets: (number | undefined)[] }> {
    const copy = join(runs, `copy-${nativePassBytes ?? 'default'}`);
    cpSync(folder, copy, { recursive: true });
    rmSync(join(copy, 'cache'), { recursive: true, force: true });
    const engine = new AnalysisEngine({ roots: [runs], ...(nativePassBytes ? { nativePassBytes } : {}) });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, on the prototype
    const original = NativeCheckpoint.prototype.forwardLayers;
    const budgets: (number | undefined)[] = [];
    NativeCheckpoint.prototype.forwardLayers = function (this: NativeCheckpoint, ...args: Parameters<typeof original>) {
      budgets.push(args[0].budgetBytes);
      return original.apply(this, args);
    };
    try {
      return { answer: (await engine.answer(copy, { kind: 'findings' })).answer, budgets };
    } finally {
      NativeCheckpoint.prototype.forwardLayers = original;
      engine.close();
    }
  }

  it('a pass held to a budget of one byte (a segment per allowed cut) gives the default budget’s answer', async () => {
    const roomy = await findings(undefined);
    const small = await findings(1);
    assert.ok(roomy.budgets.length > 0 && roomy.budgets.every((b) => b === undefined), `default: ${roomy.budgets.join(', ')}`);
    assert.ok(small.budgets.length > 0 && small.budgets.every((b) => b === 1), `nativePassBytes 1: ${small.budgets.join(', ')}`);
    assert.deepEqual(small.answer, roomy.answer);
  });
});
