/**
 * The WASM depthwise-convolution gradients (src/tfjs/wasmDepthwiseKernels.ts) against the CPU
 * backend's kernels, over shapes, strides, padding, channel multipliers and the stride-1 route
 * through the backend's own depthwise convolution; dilations (which tfjs-core's gradient rejects,
 * and the CPU kernels ignore) through the adjoint identities of the forward convolution.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { maxRelativeError, onBothBackends, randomValues, size } from '../../support/kernelComparison';
import { rng } from '../../support/reference';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface DepthwiseCase {
  x: Shape4;
  /** `[KH, KW, C, M]`. */
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const TOLERANCE = 1e-5;

function describeCase(c: DepthwiseCase): string {
  const pad = typeof c.pad === 'object' ? `explicit ${JSON.stringify(c.pad.slice(1, 3))}` : c.pad;
  return `x ${c.x.join('×')}, filter ${c.filter.join('×')}, stride ${String(c.strides)}, pad ${pad}`;
}

function cases(): DepthwiseCase[] {
  const list: DepthwiseCase[] = [];
  const shapes: { x: Shape4; multiplier: number }[] = [
    { x: [1, 9, 7, 1], multiplier: 1 },
    { x: [3, 8, 11, 3], multiplier: 2 },
    { x: [2, 10, 6, 8], multiplier: 1 },
    { x: [2, 7, 7, 4], multiplier: 3 },
  ];
  for (const { x, multiplier } of shapes) {
    for (const strides of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const k of [1, 3, 4, 5]) list.push({ x, filter: [k, k, x[3], multiplier], strides, pad });
      }
    }
  }
  list.push(
    { x: [2, 9, 8, 3], filter: [3, 2, 3, 1], strides: [1, 2], pad: 'same' },
    { x: [2, 9, 8, 3], filter: [2, 5, 3, 2], strides: [2, 1], pad: 'valid' },
    // Explicit padding within the filter's reach (the depthwise-convolution route) and beyond it
    // (top 3 with a 2×2 filter: the loop).
    {
      x: [2, 7, 9, 2],
      filter: [3, 3, 2, 1],
      strides: 1,
      pad: [
        [0, 0],
        [2, 0],
        [1, 2],
        [0, 0],
      ],
    },
    {
      x: [2, 7, 9, 2],
      filter: [2, 2, 2, 1],
      strides: 1,
      pad: [
        [0, 0],
        [3, 1],
        [0, 2],
        [0, 0],
      ],
    },
    // A MobileNet-sized layer: long sums in the filter gradient (32·16·16 terms per entry).
    { x: [32, 16, 16, 32], filter: [3, 3, 32, 1], strides: 1, pad: 'same' },
    { x: [32, 16, 16, 32], filter: [3, 3, 32, 1], strides: 2, pad: 'same' },
  );
  return list;
}

describe('WASM depthwise-convolution gradients', function () {
  this.timeout(60_000);
  let tf: typeof tfjs;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
  });

  it('registers DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput for wasm, which the stock backend lacks', function () {
    for (const name of ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput']) {
      assert.ok(tf.getKernel(name, 'wasm'), `${name} is not registered`);
    }
  });

  describe('agree with the CPU backend through tf.grads (max relative error ≤ 1e-5)', function () {
    cases().forEach((c, index) => {
      it(describeCase(c), async function () {
        const random = rng(5000 + index);
        const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, undefined, true);
        const xValues = randomValues(size(c.x), random);
        const filterValues = randomValues(size(c.filter), random);
        const wValues = randomValues(size(info.outShape), random);
        const { wasm, cpu } = await onBothBackends(tf, () => {
          const x = tf.tensor4d(xValues, c.x);
          const filter = tf.tensor4d(filterValues, c.filter);
          const w = tf.tensor4d(wValues, info.outShape);
          return tf.grads((xIn: tfjs.Tensor, filterIn: tfjs.Tensor) =>
            tf.sum(tf.mul(tf.depthwiseConv2d(xIn as tfjs.Tensor4D, filterIn as tfjs.Tensor4D, c.strides, c.pad), w)),
          )([x, filter]);
        });
        const inputError = maxRelativeError(wasm[0], cpu[0]);
        const filterError = maxRelativeError(wasm[1], cpu[1]);
        assert.ok(inputError <= TOLERANCE, `input gradient error ${inputError}`);
        assert.ok(filterError <= TOLERANCE, `filter gradient error ${filterError}`);
      });
    });
  });

  describe('dilated: the gradients are the adjoints of the forward convolution', function () {
    for (const { strides, multiplier } of [
      { strides: 1, multiplier: 1 },
      { strides: 1, multiplier: 2 },
    ]) {
      it(`dilation 2, stride ${strides}, multiplier ${multiplier}: ⟨conv(x, f), dy⟩ = ⟨x, dx⟩ = ⟨f, df⟩`, async function () {
        await tf.setBackend('wasm');
        const random = rng(91 + multiplier);
        const xShape: Shape4 = [2, 11, 10, 3];
        const filterShape: Shape4 = [3, 3, 3, multiplier];
        const attrs = { strides, pad: 'same', dilations: 2 };
        const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 2, 'same', undefined, true);
        const x = tf.tensor4d(randomValues(size(xShape), random), xShape);
        const f = tf.tensor4d(randomValues(size(filterShape), random), filterShape);
        const dy = tf.tensor4d(randomValues(size(info.outShape), random), info.outShape);
        const y = tf.depthwiseConv2d(x, f, strides, 'same', 'NHWC', 2);
        const dx = tf.engine().runKernel<tfjs.Tensor>(
          'DepthwiseConv2dNativeBackpropInput',
          { dy, filter: f },
          {
            ...attrs,
            inputShape: xShape,
          },
        );
        const df = tf.engine().runKernel<tfjs.Tensor>(
          'DepthwiseConv2dNativeBackpropFilter',
          { x, dy },
          {
            ...attrs,
            filterShape,
          },
        );
        const dot = (a: tfjs.Tensor, b: tfjs.Tensor) => tf.tidy(() => tf.sum(tf.mul(a, b)).dataSync()[0]);
        const reference = dot(y, dy);
        assert.ok(Math.abs(dot(x, dx) - reference) <= 1e-4 * Math.abs(reference) + 1e-4, `⟨x, dx⟩ ${dot(x, dx)} vs ${reference}`);
        assert.ok(Math.abs(dot(f, df) - reference) <= 1e-4 * Math.abs(reference) + 1e-4, `⟨f, df⟩ ${dot(f, df)} vs ${reference}`);
        tf.dispose([x, f, dy, y, dx, df]);
      });
    }
  });

  it('releases every intermediate tensor', async function () {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const gradients = () =>
      tf.tidy(() => {
        const x = tf.ones<tfjs.Rank.R4>([2, 6, 6, 3]);
        const f = tf.ones<tfjs.Rank.R4>([3, 3, 3, 1]);
        const [dx, df] = tf.grads((a: tfjs.Tensor, b: tfjs.Tensor) =>
          tf.sum(tf.depthwiseConv2d(a as tfjs.Tensor4D, b as tfjs.Tensor4D, 1, 'same')),
        )([x, f]);
        return [dx.sum().dataSync()[0], df.sum().dataSync()[0]];
      });
    gradients();
    const buffersBefore = backend.numDataIds();
    gradients();
    assert.equal(backend.numDataIds(), buffersBefore);
  });
});
