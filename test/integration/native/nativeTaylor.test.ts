/**
 * The Taylor estimate on ONNX Runtime (src/native/nativeTaylor.ts, the backward pass written as ONNX
 * nodes by src/onnx/taylorModel.ts) against TensorFlow.js's (src/tfjs/taylor.ts, tf.grads of the
 * gated forward pass) on the imported model: every channel of every layer of the fixture exports of
 * test/fixtures/onnx/ (max pooling, concatenation, squeeze-excitation products, Clip, HardSwish,
 * LeakyReLU, LogSoftmax, padded average pooling…) agrees within float rounding, over chunks of
 * inputs; an op without a gradient is refused with an OnnxError naming it; cancellation.
 */
import assert from 'node:assert/strict';
import type * as tfType from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { loadOnnxCheckpoint } from '../../../src/tfjs/onnxModel';
import { taylorEstimates } from '../../../src/tfjs/taylor';
import { NativeCheckpoint } from '../../../src/native/nativeForward';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { NATIVE_TAYLOR_CHUNK, nativeTaylorEstimates } from '../../../src/native/nativeTaylor';
import { CancelledError } from '../../../src/analysis/errors';
import type { ScoreKind } from '../../../src/analysis';
import { onnxFixture, randomInputs } from '../../support/onnxFixtures';
import { rng } from '../../support/reference';

const NAMED = ['vgg_bn', 'resnet', 'mobilenetv2', 'densenet', 'se', 'ops'];

describe('nativeTaylorEstimates: the Taylor estimate on ONNX Runtime', function () {
  this.timeout(120_000);
  let tf: typeof tfType;

  before(async function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
    ({ tf } = await initBackend('wasm'));
  });

  const cases: { name: string; kind: ScoreKind; chunkBytes?: number }[] = [
    ...NAMED.map((name) => ({ name, kind: 'logits' as const })),
    // The scores as probabilities (p ≤ 1e-7 clamped: no gradient), and chunks of a few inputs.
    { name: 'resnet', kind: 'softmax', chunkBytes: 100_000 },
  ];
  for (const { name, kind, chunkBytes } of cases)
    it(`${name} (${kind} scores${chunkBytes ? ', small chunks' : ''}): every channel of every layer agrees with TensorFlow.js's gradients`, async () => {
      const { bytes, layers } = onnxFixture(name);
      const count = 29;
      const inputs = randomInputs(layers, count, 5);
      const random = rng(3);
      const labels = Int32Array.from({ length: count }, () => Math.floor(random() * 10));
      const output = { layer: layers.length - 1, kind };
      const targets = layers.slice(1).map((l) => l.index);
      const native = NativeCheckpoint.open(bytes, layers);
      let actual: Map<number, Float64Array>;
      try {
        const saved = NATIVE_TAYLOR_CHUNK.bytes;
        NATIVE_TAYLOR_CHUNK.bytes = chunkBytes ?? saved;
        try {
          actual = await nativeTaylorEstimates(native, { layers, inputs, labels, count, output, targets });
        } finally {
          NATIVE_TAYLOR_CHUNK.bytes = saved;
        }
      } finally {
        await native.dispose();
      }
      const model = loadOnnxCheckpoint(tf, bytes);
      let expected: Map<number, Float64Array>;
      try {
        expected = await taylorEstimates({ tf, model, layers, inputs, labels, count, output, targets });
      } finally {
        model.dispose();
      }
      assert.deepEqual([...actual.keys()], targets);
      for (const l of targets) {
        const e = expected.get(l)!;
        const a = actual.get(l)!;
        assert.equal(a.length, e.length, `${name} layer ${l}: channels`);
        const scale = Math.max(...Array.from(e, Math.abs));
        for (let c = 0; c < e.length; c++)
          assert.ok(
            Math.abs(a[c] - e[c]) <= 1e-5 * scale,
            `${name} layer ${l} (${layers[l].name}) channel ${c}: ${a[c]} native, ${e[c]} TensorFlow.js (layer scale ${scale})`,
          );
      }
    });

  it('a cancelled estimate throws CancelledError before its first chunk', async () => {
    const { bytes, layers } = onnxFixture('resnet');
    const native = NativeCheckpoint.open(bytes, layers);
    const controller = new AbortController();
    controller.abort();
    try {
      await assert.rejects(
        nativeTaylorEstimates(native, {
          layers,
          inputs: randomInputs(layers, 4, 1),
          labels: [0, 1, 2, 3],
          count: 4,
          output: { layer: layers.length - 1, kind: 'logits' },
          targets: [1, 2],
          signal: controller.signal,
        }),
        CancelledError,
      );
    } finally {
      await native.dispose();
    }
  });
});
