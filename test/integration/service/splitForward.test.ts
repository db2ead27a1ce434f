/**
 * Forward passes that keep only some layers (forward.ts `keep`, SplitForward `keep`): the capacity
 * matrix's two layers come out of one pass that copies nothing else out of the backend, with
 * exactly the values of the pass that yields every layer, on one thread and split over two. And a
 * pass too large for one split pass goes in segments that end at cuts of the graph, with the same
 * values.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { copyFixtureRun } from '../../support/fixtureRuns';
import type { RunManifest } from '../../../src/contract/runFormat';
import { readRun } from '../../../src/run/store';
import { readProbe } from '../../../src/run/probe';
import { epochFolder } from '../../../src/run/paths';
import { layerInputs } from '../../../src/service/networkTopology';
import { cutLayers, resumePoint, SplitForward } from '../../../src/service/splitForward';
import { initBackend } from '../../../src/tfjs/backend';
import { Activations, forwardLayers, loadCheckpoint } from '../../../src/tfjs/forward';
import { tailPlan } from '../../../src/tfjs/graphTail';
import { ForwardHelper, resolveForwardScript } from '../../../src/tfjs/forwardHelper';

describe('forward passes that keep only some layers', function () {
  this.timeout(180000);
  let runs = '';
  let folder = '';
  let manifest: RunManifest;

  before(async () => {
    const r = copyFixtureRun('tiny', 'cnn-slicer-keep-');
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

  /** The tiny run's model at epoch 1, its layers and its probe. */
  const epochOne = async () => {
    const { tf, backend } = await initBackend('wasm');
    const layers = manifest.layers;
    const checkpoint = join(folder, 'checkpoints', epochFolder(1));
    return { tf, backend, layers, checkpoint, model: await loadCheckpoint(tf, checkpoint, layers), probe: readProbe(readRun(folder)) };
  };

  it('yields only the kept layers, equal to the pass that yields every layer, on one thread and on two', async () => {
    const { tf, backend, layers, checkpoint, model, probe } = await epochOne();
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

  it('lets go of each layer it has handed out: the consumer, not the pass, decides how long a layer stays', async () => {
    const { tf, backend, layers, checkpoint, model, probe } = await epochOne();
    const last = layers.length - 1;
    const split = new SplitForward({ minSplitInputs: 2 });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    try {
      const pass = split.layers({
        tf,
        backend,
        model,
        checkpoint,
        layers,
        inputs: probe.inputs,
        count: probe.labels.length,
        last,
        keep: [1, 2, last],
      });
      // The first layer handed out, dropped by its consumer, in a scope of its own.
      const first = await (async () => new WeakRef((await pass.next()).value!.out.data.buffer))();
      assert.equal((await pass.next()).value!.index, 2);
      // Collections on later turns of the event loop: a WeakRef read keeps its target for the rest of its turn.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        gc();
      }
      await new Promise((r) => setImmediate(r));
      assert.equal(first.deref(), undefined, 'the pass still holds the first layer it handed out');
      await pass.return(undefined);
    } finally {
      split.close();
      model.dispose();
    }
  });
});

describe('cuts of a model graph (where a segmented pass may end)', () => {
  it('every layer of a chain; in a residual block only its input and its output', () => {
    assert.deepEqual([...cutLayers([[], [0], [1], [2]], 0, 3)].sort(), [1, 2, 3]);
    // 1 → 2 → 3, and 4 = add(1, 3), 5 reads 4: the block's insides (2, 3) are no cuts.
    const block = [[], [0], [1], [2], [1, 3], [4]];
    assert.deepEqual([...cutLayers(block, 0, 5)].sort(), [1, 4, 5]);
    assert.deepEqual([...cutLayers(block, 2, 5)].sort(), [4, 5], 'only layers after the start');
    assert.deepEqual([...cutLayers(block, 0, 3)].sort(), [1, 2, 3], 'only readers up to last count');
  });

  it('a pass resumes from the deepest cut in memory, not from inside a block (whose shortcut would run from the input)', () => {
    // 1 → 2 → 3, 4 = add(1, 3), 5 → 6 → 7, 8 = add(5, 7): cuts up to 8 are 1, 4, 5, 8.
    const blocks = [[], [0], [1], [2], [1, 3], [4], [5], [6], [5, 7]];
    const held =
      (...ls: number[]) =>
      (l: number) =>
        ls.includes(l);
    assert.equal(resumePoint(blocks, 8, 8, held(1, 3, 6, 7)), 1, 'inside blocks (3, 6, 7) only: back to the cut 1');
    assert.equal(resumePoint(blocks, 8, 8, held(4, 6, 7)), 4);
    assert.equal(resumePoint(blocks, 7, 7, held(4, 6)), 6, 'up to 7, the block’s end (8) is not read: 6 is a cut');
    assert.equal(resumePoint(blocks, 8, 8, held(2, 3)), 3, 'no cut in memory: the deepest layer');
    assert.equal(resumePoint(blocks, 8, 8, held()), undefined, 'nothing in memory: from the input');
    assert.equal(resumePoint([[], [0], [1], [2]], 3, 3, held(1, 2)), 2, 'a chain: the deepest');
  });
});

describe('a pass too large for one split pass goes in segments', function () {
  this.timeout(180000);
  let runs = '';
  let folder = '';

  before(() => {
    // graphBranches.ts, 1 epoch on synthetic:200, probe 80, k 20, wasm: test/fixtures/runs/graph-segments.
    ({ runs, folder } = copyFixtureRun('graph-segments', 'cnn-slicer-segments-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  /** The recorded run's epoch-1 model (the caller disposes it), its layer table and probe. */
  async function openRun() {
    const { tf, backend } = await initBackend('wasm');
    const layers = readRun(folder).manifest.layers;
    const checkpoint = join(folder, 'checkpoints', epochFolder(1));
    const model = await loadCheckpoint(tf, checkpoint, layers);
    const probe = readProbe(readRun(folder));
    return { tf, backend, layers, checkpoint, model, probe, count: probe.labels.length, last: layers.length - 1 };
  }

  it('gives every layer of a residual, branching, nested graph model bit for bit, in order, from the input and from a layer', async () => {
    const { tf, backend, layers, checkpoint, model, probe, count, last } = await openRun();
    const bytes = (l: number) => count * layers[l].outputShape.reduce((a, b) => a * b, 1) * 4;
    const collect = async (pass: AsyncGenerator<{ index: number; out: Activations }>) => {
      const out = new Map<number, Activations>();
      for await (const { index, out: a } of pass) out.set(index, { shape: a.shape, data: Float32Array.from(a.data) });
      return out;
    };
    try {
      const cuts = cutLayers(layerInputs(model, layers), 0, last);
      assert.ok(cuts.size >= 3 && cuts.size < last, `the fixture has cuts and layers between them (${[...cuts].join(', ')})`);
      const all = await collect(forwardLayers({ tf, model, layers, inputs: probe.inputs, count, last }));
      const whole = Array.from({ length: last }, (_, k) => bytes(k + 1)).reduce((a, b) => a + b, 0);
      const largest = Math.max(...Array.from({ length: last }, (_, k) => bytes(k + 1)));
      // Segments of one cut each, every one split over two threads; then segments of two layers' bytes
      // under a cap that sends the longest stretch between cuts to one thread.
      for (const options of [
        { maxSplitBytes: whole - 1, segmentBytes: 1 },
        { maxSplitBytes: 2 * largest, segmentBytes: 2 * largest },
      ]) {
        const split = new SplitForward({ minSplitInputs: 2, ...options });
        try {
          const pass = { tf, backend, model, checkpoint, layers, inputs: probe.inputs, count, last };
          const everyLayer = await collect(split.layers(pass));
          assert.deepEqual([...everyLayer.keys()], [...all.keys()], `every layer in order (${JSON.stringify(options)})`);
          for (const [l, a] of all) assert.deepEqual(everyLayer.get(l)!.data, a.data, `layer ${l} (${JSON.stringify(options)})`);
          const keep = [3, 5, last];
          const from = { index: 1, activations: all.get(1)! };
          const kept = await collect(split.layers({ ...pass, from, keep }));
          assert.deepEqual([...kept.keys()], keep, 'only the kept layers');
          for (const l of keep) assert.deepEqual(kept.get(l)!.data, all.get(l)!.data, `layer ${l} from layer 1`);
        } finally {
          split.close();
        }
      }
    } finally {
      model.dispose();
    }
  });

  it("runs a graph model's tail after a layer on two threads: every layer's tail output bit for bit what one thread gives, and the model's own output on its own values", async () => {
    const { tf, backend, layers, checkpoint, model, probe, count, last } = await openRun();
    const all = new Map<number, Float32Array>();
    for await (const { index, out } of forwardLayers({ tf, model, layers, inputs: probe.inputs, count, last }))
      all.set(index, Float32Array.from(out.data));
    all.set(0, probe.inputs);
    const oneThread = new SplitForward({ enabled: false });
    const twoThreads = new SplitForward({ minSplitInputs: 2 });
    let planned = 0;
    try {
      for (let l = 1; l < last; l++) {
        const plan = tailPlan(model, layers, l, last);
        if (!plan) continue;
        planned++;
        const sides = new Map(plan.sides.map(({ layer }) => [layer, all.get(layer)!]));
        const o = { tf, backend, checkpoint, layers, plan, layer: l, count, sides };
        // Two blocks: the layer's own values, and the same with its first channel zeroed.
        const own = all.get(l)!;
        const channels = layers[l].outputShape.at(-1)!;
        const zeroed = Float32Array.from(own, (v, i) => (i % channels === 0 ? 0 : v));
        const [a, b] = await twoThreads.tailRunner(o)([own, zeroed]);
        const [a1, b1] = await oneThread.tailRunner(o)([own, zeroed]);
        assert.deepEqual(a, a1, `layer ${l}: two threads give one thread's output`);
        assert.deepEqual(b, b1, `layer ${l}: an ablated block too`);
        assert.deepEqual(Float32Array.from(a), all.get(last), `layer ${l}: the tail on the layer's own values is the model's output`);
      }
      assert.ok(planned >= 4, `the fixture has tails (${planned})`);
      // The worker checks a tail request before it runs: a block shorter than its rows is refused.
      const helper = new ForwardHelper(resolveForwardScript()!);
      try {
        const l = layers.findIndex((_, k) => k > 0 && tailPlan(model, layers, k, last) !== undefined);
        const request = { backend: 'wasm' as const, checkpoint, layers, layer: l, output: last, count, sides: [] };
        await assert.rejects(
          helper.tail({ ...request, blocks: [new SharedArrayBuffer(4)], outs: [{ buffer: new SharedArrayBuffer(count * 64), offset: 0 }] }),
          /a block is shorter than count rows/,
        );
        await assert.rejects(
          helper.tail({ ...request, blocks: [], outs: [{ buffer: new SharedArrayBuffer(8), offset: 0 }] }),
          /one output buffer per block/,
        );
      } finally {
        helper.close();
      }
    } finally {
      oneThread.close();
      twoThreads.close();
      model.dispose();
    }
  });
});
