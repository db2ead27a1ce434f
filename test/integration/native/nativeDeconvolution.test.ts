/**
 * The deconvolution on ONNX Runtime (src/native/nativeDeconvolution.ts, the walk back written as ONNX
 * nodes by src/onnx/deconvnetModel.ts) against TensorFlow.js's (src/tfjs/deconvolution, the walk of
 * the checkpoint's channels-last twin): every layer of the fixture exports of test/fixtures/onnx/
 * (residual blocks with downsampling shortcuts, max pooling, depthwise convolutions and ReLU6,
 * concatenation, average pooling, strided and padded convolutions) that the native model walks back
 * from projects the same pictures within float rounding; the layers it refuses are refused with a
 * reason, and none of the architectures' convolutional layers is refused.
 */
import assert from 'node:assert/strict';
import type * as tfType from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { loadOnnxCheckpoint } from '../../../src/tfjs/onnxModel';
import { deconvolve } from '../../../src/tfjs/deconvolution';
import { NativeCheckpoint } from '../../../src/native/nativeForward';
import { nativeRuntime } from '../../../src/native/ortRuntime';
import { NativeDeconvnet } from '../../../src/native/nativeDeconvolution';
import { onnxFixture, randomInputs } from '../../support/onnxFixtures';

/** The fixture exports (test/fixtures/onnx/). */
const FIXTURES = ['resnet', 'vgg_bn', 'mobilenetv2', 'densenet', 'se', 'ops'];

describe('NativeDeconvnet: the deconvolution on ONNX Runtime', function () {
  this.timeout(300_000);
  let tf: typeof tfType;

  before(async function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
    ({ tf } = await initBackend('wasm'));
  });

  for (const name of FIXTURES)
    it(`${name}: every layer walked natively projects TensorFlow.js's picture`, async () => {
      const { bytes, layers } = onnxFixture(name);
      const count = 3;
      const inputs = randomInputs(layers, count, 7);
      const native = NativeCheckpoint.open(bytes, layers);
      const twin = loadOnnxCheckpoint(tf, bytes, 'channelsLast');
      const compared: string[] = [];
      const after: (() => Promise<void>)[] = [];
      const refused: string[] = [];
      try {
        const net = await NativeDeconvnet.open(native);
        after.push(() => net.dispose());
        const x = tf.tidy(() => tf.transpose(tf.tensor(inputs, [count, ...layers[0].outputShape]), [0, 2, 3, 1]));
        try {
          for (const layer of layers.slice(1)) {
            const why = net.refusal(layer.index);
            if (why) {
              refused.push(`${layer.index} ${layer.name}: ${why}`);
              continue;
            }
            const values = (await native.forwardLayer({ layers, inputs, count, layer: layer.index })).data;
            const pools = new Map<number, Float32Array>();
            for (const l of net.poolLayers(layer.index))
              pools.set(l, l === 0 ? inputs : (await native.forwardLayer({ layers, inputs, count, layer: l })).data);
            for (const channel of [0, layer.outputShape[0] - 1]) {
              const actual = await net.project({ layer: layer.index, channel, count, values, pools });
              const expected = await deconvolve(tf, twin, layer.name, channel, x);
              assert.deepEqual(actual.shape, expected.shape, `${name} layer ${layer.index}: shape`);
              const scale = Math.max(1e-30, ...Array.from(expected.data, Math.abs));
              for (let i = 0; i < expected.data.length; i++)
                assert.ok(
                  Math.abs(actual.data[i] - expected.data[i]) <= 2e-5 * scale,
                  `${name} layer ${layer.index} (${layer.name}) channel ${channel} at ${i}: ${actual.data[i]} native, ${expected.data[i]} TensorFlow.js (scale ${scale})`,
                );
            }
            compared.push(layer.name);
          }
        } finally {
          x.dispose();
        }
      } finally {
        twin.dispose();
        for (const f of after) await f();
        await native.dispose();
      }
      console.log(
        `      ${name}: ${compared.length} layers compared, ${refused.length} refused${refused.length ? `: ${refused.slice(0, 3).join('; ')}` : ''}`,
      );
      assert.ok(compared.length > 0, `${name}: no layer walked natively`);
    });
});
