/**
 * The native forward engine (src/native/nativeForward.ts, ONNX Runtime) against the WebAssembly one
 * (src/tfjs/forward.ts on the imported LayersModel): every layer of the fixture exports of
 * test/fixtures/onnx/ and of the PyTorch fixture run agrees within 1e-5 relative; a pass cut into
 * many segments gives the one-session pass's values; `keep`, `last` and cancellation; a corrupt file
 * is one line.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import type { RunLayer } from '../../../src/contract/runFormat';
import { CancelledError } from '../../../src/analysis/errors';
import { OnnxError } from '../../../src/onnx/graph';
import { readAnyCheckpoint } from '../../../src/run/checkpoint';
import { readProbe } from '../../../src/run/probe';
import { readRun } from '../../../src/run/store';
import { initBackend } from '../../../src/tfjs/backend';
import { forwardLayers, loadCheckpoint } from '../../../src/tfjs/forward';
import { loadOnnxCheckpoint } from '../../../src/tfjs/onnxModel';
import { largestLayerBytes, LayerBuffers } from '../../../src/native/layerBuffers';
import { NativeCheckpoint, NativeEngineError, type NativeActivations } from '../../../src/native/nativeForward';
import { nativeRuntime, sessionsWriteShared } from '../../../src/native/ortRuntime';
import { blockedLayoutPays } from '../../../src/onnx/stableLayout';
import { onnxFixture, randomInputs } from '../../support/onnxFixtures';

const RUN = path.resolve(__dirname, '../../fixtures/pytorch-run/20261125-222759-tiny-lenet');
/** The fixture exports whose graph outputs name their layers (lenet and residual predate that). */
const NAMED = ['vgg_bn', 'resnet', 'mobilenetv2', 'densenet', 'se', 'ops'];
/** The session layouts (ortRuntime.ts `SessionLayout`): the blocked one's bits hold across cuts only with src/onnx/stableLayout.ts's rewrites. */
const LAYOUTS = ['blocked', 'plain'] as const;

async function collect(pass: AsyncGenerator<{ index: number; out: NativeActivations }>): Promise<Map<number, NativeActivations>> {
  const out = new Map<number, NativeActivations>();
  for await (const { index, out: values } of pass) {
    assert.ok(!out.has(index), `layer ${index} yielded twice`);
    assert.ok(
      [...out.keys()].every((k) => k < index),
      `layer ${index} after a later one`,
    );
    out.set(index, { shape: values.shape, data: values.data.slice() });
  }
  return out;
}

/** max |a − b| ≤ 1e-5 × max(1, max |b|). */
function assertClose(actual: NativeActivations, expected: NativeActivations, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.data.length; i++) {
    diff = Math.max(diff, Math.abs(actual.data[i] - expected.data[i]));
    scale = Math.max(scale, Math.abs(expected.data[i]));
  }
  assert.ok(diff <= 1e-5 * scale, `${what}: max difference ${diff} (scale ${scale})`);
}

function assertSame(actual: Map<number, NativeActivations>, expected: Map<number, NativeActivations>, what: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: layers`);
  for (const [l, e] of expected) {
    assert.deepEqual(actual.get(l)!.shape, e.shape, `${what}: layer ${l} shape`);
    assert.ok(
      actual.get(l)!.data.every((v, i) => Object.is(v, e.data[i])),
      `${what}: layer ${l} differs`,
    );
  }
}

async function wasmLayers(
  tf: typeof tfType,
  model: tfType.LayersModel,
  layers: readonly RunLayer[],
  inputs: Float32Array,
  count: number,
): Promise<Map<number, NativeActivations>> {
  const out = new Map<number, NativeActivations>();
  for await (const { index, out: values } of forwardLayers({ tf, model, layers, inputs, count }))
    out.set(index, { shape: values.shape, data: values.data.slice() });
  return out;
}

describe('NativeCheckpoint: forward passes on ONNX Runtime', function () {
  this.timeout(120_000);
  let tf: typeof tfType;

  before(async function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
    ({ tf } = await initBackend('wasm'));
  });

  // Each fixture in both session layouts (their maps are small: blocked by default).
  for (const [name, layout] of NAMED.flatMap((n) => LAYOUTS.map((l) => [n, l] as const))) {
    it(`${name}, ${layout} layout: every layer agrees with the WebAssembly engine within 1e-5 relative; many segments give the one-session values`, async () => {
      const { bytes, layers } = onnxFixture(name);
      const count = 37;
      const inputs = randomInputs(layers, count, 7);
      const native = NativeCheckpoint.open(bytes, layers, 'cpu', layout);
      try {
        const whole = await collect(native.forwardLayers({ layers, inputs, count }));
        assert.deepEqual(
          [...whole.keys()],
          layers.slice(1).map((l) => l.index),
        );
        const model = loadOnnxCheckpoint(tf, bytes);
        try {
          const wasm = await wasmLayers(tf, model, layers, inputs, count);
          for (const [l, expected] of wasm) assertClose(whole.get(l)!, expected, `${name} layer ${l} (${layers[l].name})`);
        } finally {
          model.dispose();
        }
        const cut = await collect(native.forwardLayers({ layers, inputs, count, budgetBytes: 1 }));
        assertSame(cut, whole, `${name}, a segment per allowed cut`);
      } finally {
        await native.dispose();
      }
    });
  }

  for (const [name, layout] of NAMED.flatMap((n) => LAYOUTS.map((l) => [n, l] as const)))
    it(`${name}, ${layout} layout: cut at every layer and fed its own values (twice over) with the sides the cut reads, the last layer has the whole pass's bits`, async () => {
      const { bytes, layers } = onnxFixture(name);
      const count = 9;
      const inputs = randomInputs(layers, count, 11);
      const native = NativeCheckpoint.open(bytes, layers, 'cpu', layout);
      try {
        const last = layers.length - 1;
        const whole = await collect(native.forwardLayers({ layers, inputs, count }));
        const expected = whole.get(last)!.data;
        for (let layer = 1; layer < last; layer++) {
          let sides: readonly number[];
          try {
            sides = native.cutSides(layer, last);
          } catch (e) {
            // A node that makes the layer and a value the output reads besides: no cut (a Split's outputs).
            assert.ok(OnnxError.is(e), `${name} layer ${layer}: ${String(e)}`);
            continue;
          }
          const values = whole.get(layer)!.data;
          const twice = new Float32Array(2 * values.length);
          twice.set(values);
          twice.set(values, values.length);
          const out = await native.forwardFrom({
            layers,
            layer,
            values: twice,
            sides: new Map(sides.map((l) => [l, l === 0 ? inputs : whole.get(l)!.data])),
            count,
            repeat: 2,
            last,
          });
          assert.deepEqual(out.shape, [2 * count, ...layers[last].outputShape]);
          for (const block of [0, 1])
            assert.ok(
              Buffer.from(out.data.buffer, out.data.byteOffset + block * expected.byteLength, expected.byteLength).equals(
                Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
              ),
              `${name} layer ${layer} (${layers[layer].name}), block ${block}: the whole pass's bits`,
            );
        }
      } finally {
        await native.dispose();
      }
    });

  for (const budgetBytes of [undefined, 1])
    for (const shared of [false, true])
      it(`layers given back as they come (LayerBuffers${shared ? ', in shared memory' : ''}), ${budgetBytes ? 'cut at every allowed point' : 'one segment'}: later layers written into their memory keep the fresh pass's bits`, async function () {
        // Only the direct runner's sessions write into shared memory (the binding refuses it).
        if (shared && !sessionsWriteShared('cpu')) this.skip();
        const { bytes, layers } = onnxFixture('resnet');
        const count = 23;
        const inputs = randomInputs(layers, count, 5);
        const native = NativeCheckpoint.open(bytes, layers);
        try {
          const fresh = await collect(native.forwardLayers({ layers, inputs, count, budgetBytes }));
          const buffers = new LayerBuffers(largestLayerBytes(layers, count), shared);
          const recycled = new Map<number, NativeActivations>();
          let live = 0;
          for await (const { index, out, inUse } of native.forwardLayers({ layers, inputs, count, budgetBytes, buffers })) {
            assert.equal(out.data.buffer instanceof SharedArrayBuffer, shared, `layer ${index} in shared memory: ${shared}`);
            // A copy of what the pass handed out, then the array back at once, even where a later segment still reads it.
            recycled.set(index, { shape: out.shape, data: out.data.slice() });
            if (inUse) live++;
            buffers.give(out.data);
          }
          assertSame(recycled, fresh, 'resnet, every layer given back');
          if (budgetBytes) {
            assert.ok(buffers.reused > 0, 'later layers were written into arrays given back');
            assert.ok(live > 0, 'some layers were live across a cut when given back');
          } else assert.equal(buffers.reused, 0, 'one segment allocates every layer at once');
        } finally {
          await native.dispose();
        }
      });

  it('chunks of one input (chunkBytes) and sessions closed after each segment (keepSessions: false), twice over: the default pass, bit for bit', async () => {
    const { bytes, layers } = onnxFixture('resnet');
    const count = 7;
    const inputs = randomInputs(layers, count, 3);
    const native = NativeCheckpoint.open(bytes, layers);
    try {
      const fresh = await collect(native.forwardLayers({ layers, inputs, count, budgetBytes: 1 }));
      for (let round = 0; round < 2; round++) {
        const small = await collect(native.forwardLayers({ layers, inputs, count, budgetBytes: 1, chunkBytes: 1, keepSessions: false }));
        assertSame(small, fresh, `resnet, one input a chunk, sessions closed (round ${round + 1})`);
      }
    } finally {
      await native.dispose();
    }
  });

  it('keep, last and forwardLayer fetch only what is asked, with the full pass values', async () => {
    const { bytes, layers } = onnxFixture('resnet');
    const count = 300; // two chunks (NATIVE_CHUNK is 256)
    const inputs = randomInputs(layers, count, 3);
    const native = NativeCheckpoint.open(bytes, layers);
    try {
      const all = await collect(native.forwardLayers({ layers, inputs, count }));
      const kept = await collect(native.forwardLayers({ layers, inputs, count, keep: new Set([2, 9, 20, 25]), last: 20 }));
      assert.deepEqual([...kept.keys()], [2, 9, 20]);
      for (const [l, v] of kept) assertSame(new Map([[l, v]]), new Map([[l, all.get(l)!]]), `kept layer ${l}`);
      const upTo = await collect(native.forwardLayers({ layers, inputs, count, last: 5, budgetBytes: 1 }));
      assert.deepEqual([...upTo.keys()], [1, 2, 3, 4, 5]);
      for (const [l, v] of upTo) assertSame(new Map([[l, v]]), new Map([[l, all.get(l)!]]), `layer ${l} up to 5`);
      const none = await collect(native.forwardLayers({ layers, inputs: new Float32Array(0), count: 0, last: 3 }));
      assert.deepEqual(
        [...none.values()].map((v) => [v.shape[0], v.data.length]),
        [
          [0, 0],
          [0, 0],
          [0, 0],
        ],
      );
      // The layers made but not fetched written into scratch arrays, one input a chunk: the same bits.
      const lastOnly = await collect(native.forwardLayers({ layers, inputs, count, keep: new Set([layers.length - 1]), scratchBytes: 1 }));
      assertSame(lastOnly, new Map([[layers.length - 1, all.get(layers.length - 1)!]]), 'the last layer alone, one input a chunk');
      for (const l of [0, 1, 13, layers.length - 1]) {
        const one = await native.forwardLayer({ layers, inputs, count, layer: l });
        if (l === 0) assert.equal(one.data, inputs);
        else assertSame(new Map([[l, one]]), new Map([[l, all.get(l)!]]), `forwardLayer ${l}`);
      }
    } finally {
      await native.dispose();
    }
  });

  it('a layer whose value is not the shape the manifest says fails in one line naming the layer and both shapes', async () => {
    const { bytes, layers } = onnxFixture('resnet');
    const wrong = layers.map((l) => (l.index === 3 ? { ...l, outputShape: [l.outputShape[0] + 1, ...l.outputShape.slice(1)] } : l));
    const native = NativeCheckpoint.open(bytes, wrong);
    try {
      const inputs = randomInputs(layers, 4, 9);
      await assert.rejects(collect(native.forwardLayers({ layers: wrong, inputs, count: 4 })), (e: Error) => {
        assert.ok(NativeEngineError.is(e), String(e));
        assert.match(
          e.message,
          new RegExp(
            `^layer 3 \\(${layers[3].name}\\): the checkpoint gives a float32 \\[4, ${layers[3].outputShape.join(', ')}\\], the run's manifest says \\[4, ${wrong[3].outputShape.join(', ')}\\]$`,
          ),
        );
        return true;
      });
    } finally {
      await native.dispose();
    }
  });

  it('an aborted signal cancels before the next chunk with the engine CancelledError', async () => {
    const { bytes, layers } = onnxFixture('mobilenetv2');
    const count = 600; // several chunks
    const inputs = randomInputs(layers, count, 5);
    const native = NativeCheckpoint.open(bytes, layers);
    try {
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(collect(native.forwardLayers({ layers, inputs, count, signal: aborted.signal })), (e) => CancelledError.is(e));
      const controller = new AbortController();
      const seen: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const { index } of native.forwardLayers({ layers, inputs, count, signal: controller.signal, budgetBytes: 1 })) {
            seen.push(index);
            controller.abort();
          }
        })(),
        (e) => CancelledError.is(e),
      );
      assert.deepEqual(seen, [1], 'the pass stopped after the first layer');
    } finally {
      await native.dispose();
    }
  });

  for (const provider of ['webgpu', 'cuda'] as const) {
    it(`${provider} asked for: runs there, or on the CPU with one line saying why`, async () => {
      const { bytes, layers } = onnxFixture('vgg_bn');
      const count = 9;
      const inputs = randomInputs(layers, count, 2);
      const cpu = NativeCheckpoint.open(bytes, layers);
      const other = NativeCheckpoint.open(bytes, layers, provider);
      try {
        const expected = await collect(cpu.forwardLayers({ layers, inputs, count }));
        const got = await collect(other.forwardLayers({ layers, inputs, count }));
        if (other.provider === 'cpu') {
          assert.match(other.providerReason ?? '', new RegExp(`^${provider}: .*; using the CPU$`));
          assert.ok(!other.providerReason!.includes('\n'));
          assertSame(got, expected, `${provider} fell back to the CPU`);
        } else {
          assert.equal(other.provider, provider);
          for (const [l, e] of expected) assertClose(got.get(l)!, e, `${provider} layer ${l}`);
        }
      } finally {
        await cpu.dispose();
        await other.dispose();
      }
    });
  }

  it('a checkpoint opens in the blocked layout where its maps are small (the fixtures: 16×16 at most), its pass worker in the same', async () => {
    const { bytes, layers } = onnxFixture('resnet');
    assert.ok(blockedLayoutPays(layers));
    const native = NativeCheckpoint.open(bytes, layers);
    assert.equal(native.layout, 'blocked');
    await native.dispose();
  });

  it('a corrupt or truncated ONNX file is one clear OnnxError line', () => {
    const { bytes, layers } = onnxFixture('densenet');
    for (const broken of [bytes.subarray(0, bytes.length >> 1), Uint8Array.from([0x08, 0x07, 0xff, 0xff, 0x12, 0x80])]) {
      assert.throws(
        () => NativeCheckpoint.open(broken, layers),
        (e: unknown) => OnnxError.is(e) && !e.message.includes('\n') && /ONNX model/.test(e.message),
      );
    }
  });

  it('the PyTorch fixture run: each epoch probe pass gives the WebAssembly engine values for every layer, within 1e-5 relative', async () => {
    const run = readRun(RUN);
    const { layers } = run.manifest;
    const probe = readProbe(run);
    const count = run.manifest.probe.size;
    for (const epoch of readdirSync(path.join(RUN, 'checkpoints'))) {
      const dir = path.join(RUN, 'checkpoints', epoch);
      const files = await readAnyCheckpoint(dir, layers);
      assert.equal(files.format, 'onnx');
      const native = NativeCheckpoint.open((files as { bytes: Uint8Array }).bytes, layers);
      const model = await loadCheckpoint(tf, dir, layers);
      try {
        const got = await collect(native.forwardLayers({ layers, inputs: probe.inputs, count }));
        const expected = await wasmLayers(tf, model, layers, probe.inputs, count);
        assert.deepEqual([...got.keys()], [...expected.keys()]);
        for (const [l, e] of expected) assertClose(got.get(l)!, e, `${epoch} layer ${l} (${layers[l].name})`);
        // The last layer is the model's class scores (`output`, which the layer fc2 names).
        assert.equal(got.get(layers.length - 1)!.shape[1], run.manifest.dataset.classNames.length);
      } finally {
        model.dispose();
        await native.dispose();
      }
    }
  });

  it('useDerived makes an object once and keeps it; dropDerived disposes it once no lease holds it, and the next use makes it again; dispose disposes the rest', async () => {
    const { bytes, layers } = onnxFixture('resnet');
    const native = NativeCheckpoint.open(bytes, layers);
    let made = 0;
    const disposed: number[] = [];
    const make = () => {
      const id = ++made;
      return Promise.resolve({ id, dispose: () => Promise.resolve(void disposed.push(id)) });
    };
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const a = await native.useDerived('x', make);
      const b = await native.useDerived('x', make);
      assert.equal(made, 1, 'made once');
      assert.equal(a.value, b.value);
      a.release();
      b.release();
      native.dropDerived();
      await settle();
      assert.deepEqual(disposed, [1], 'unused: disposed when dropped');
      const c = await native.useDerived('x', make);
      assert.equal(c.value.id, 2, 'made again after the drop');
      native.dropDerived();
      await settle();
      assert.deepEqual(disposed, [1], 'in use: not disposed yet');
      c.release();
      c.release();
      await settle();
      assert.deepEqual(disposed, [1, 2], 'disposed at its last release, once');
      await native.useDerived('y', make);
      await assert.rejects(
        native.useDerived('z', () => Promise.reject(new Error('no'))),
        /no/,
      );
      await native.useDerived('z', make);
      assert.equal(made, 4, 'a failed make is not kept');
    } finally {
      await native.dispose();
    }
    assert.deepEqual(disposed.sort(), [1, 2, 3, 4], 'dispose disposes what was kept');
  });
});
