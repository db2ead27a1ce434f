/**
 * Deconvolution (paper 5.4.1, Zeiler & Fergus; src/service/deconvolution.ts) on hand-built
 * networks whose projections are computed here by hand: the convolutions and transposed
 * convolutions below are direct loops over their definitions, not tfjs. Runs on tfjs's CPU
 * backend, whose sums are in doubles, so the tolerance is float32 rounding (1e-5 relative).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { hasErrorCode } from '../../../src/analysis';
import {
  deconvolutionForward,
  deconvolutionForwards,
  deconvolve,
  DeconvolutionError,
  projectChannel,
} from '../../../src/tfjs/deconvolution';
import { deconvolution as deconvolutionHandler } from '../../../src/service/handlers/deconvolution';
import type { QueryContext } from '../../../src/service/queryContext';
import { SharedResults } from '../../../src/service/layerCodes';
import { decodeFloat32 } from '../../../src/contract/queries';
import { rng } from '../../support/reference';

type Shape4 = [number, number, number, number];

function randomArray(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, message = ''): void {
  assert.equal(actual.length, expected.length, `${message}: lengths differ`);
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * scale, `${message}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/** The first padded row/column of a convolution or pooling: tfjs's 'same' rule (the smaller half before). */
function padBefore(padding: 'same' | 'valid', out: number, stride: number, effectiveSize: number, size: number): number {
  return padding === 'same' ? Math.floor(Math.max(0, (out - 1) * stride + effectiveSize - size) / 2) : 0;
}

function outSize(padding: 'same' | 'valid', size: number, stride: number, effectiveSize: number): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.ceil((size - effectiveSize + 1) / stride);
}

interface ConvSpec {
  kernel: Float32Array;
  kernelShape: Shape4;
  bias?: Float32Array;
  stride?: number;
  dilation?: number;
  padding?: 'same' | 'valid';
}

/** y[b, i, j, f] = bias[f] + Σ x[b, i·s + u·d − top, j·s + v·d − left, c] · K[u, v, c, f] over positions inside x. */
function convByHand(x: Float32Array, xShape: Shape4, spec: ConvSpec): { data: Float32Array; shape: Shape4 } {
  const [n, h, w, c] = xShape;
  const [kh, kw, , f] = spec.kernelShape;
  const s = spec.stride ?? 1;
  const d = spec.dilation ?? 1;
  const padding = spec.padding ?? 'valid';
  const oh = outSize(padding, h, s, (kh - 1) * d + 1);
  const ow = outSize(padding, w, s, (kw - 1) * d + 1);
  const top = padBefore(padding, oh, s, (kh - 1) * d + 1, h);
  const left = padBefore(padding, ow, s, (kw - 1) * d + 1, w);
  const y = new Float32Array(n * oh * ow * f);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < f; o++) {
          let sum = spec.bias?.[o] ?? 0;
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++)
              for (let k = 0; k < c; k++) {
                const r = i * s + u * d - top;
                const q = j * s + v * d - left;
                if (r >= 0 && r < h && q >= 0 && q < w)
                  sum += x[((b * h + r) * w + q) * c + k] * spec.kernel[((u * kw + v) * c + k) * f + o];
              }
          y[((b * oh + i) * ow + j) * f + o] = sum;
        }
  return { data: y, shape: [n, oh, ow, f] };
}

/** The transpose of `convByHand` (no bias): every y[b, i, j, f] adds y · K[u, v, c, f] back to the x position it read. */
function transposedConvByHand(y: Float32Array, yShape: Shape4, xShape: Shape4, spec: ConvSpec): Float32Array {
  const [n, h, w, c] = xShape;
  const [, oh, ow, f] = yShape;
  const [kh, kw] = spec.kernelShape;
  const s = spec.stride ?? 1;
  const d = spec.dilation ?? 1;
  const padding = spec.padding ?? 'valid';
  const top = padBefore(padding, oh, s, (kh - 1) * d + 1, h);
  const left = padBefore(padding, ow, s, (kw - 1) * d + 1, w);
  const x = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < f; o++)
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++)
              for (let k = 0; k < c; k++) {
                const r = i * s + u * d - top;
                const q = j * s + v * d - left;
                if (r >= 0 && r < h && q >= 0 && q < w)
                  x[((b * h + r) * w + q) * c + k] += y[((b * oh + i) * ow + j) * f + o] * spec.kernel[((u * kw + v) * c + k) * f + o];
              }
  return x;
}

/** Every channel but `keep` set to zero. */
function keepChannel(data: Float32Array, channels: number, keep: number): Float32Array {
  return data.map((v, i) => (i % channels === keep ? v : 0));
}

function setConvWeights(layer: tf.layers.Layer, spec: ConvSpec): void {
  const f = spec.kernelShape[3];
  layer.setWeights([tf.tensor4d(spec.kernel, spec.kernelShape), tf.tensor1d(spec.bias ?? new Float32Array(f))]);
}

async function expectDeconvolutionError(run: Promise<unknown>, layer: string, pattern: RegExp): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(DeconvolutionError.is(e), `expected a DeconvolutionError, got ${String(e)}`);
    assert.ok(hasErrorCode(e, 'deconvolution-unsupported'));
    assert.equal(e.layer, layer);
    assert.match(e.message, new RegExp(`'${layer}'`));
    assert.match(e.message, pattern);
    return true;
  });
}

describe('deconvolution (paper 5.4.1): projecting one feature map back to input space', () => {
  let previousBackend: string;
  before(async () => {
    previousBackend = tf.getBackend();
    await tf.setBackend('cpu');
  });
  after(async () => {
    if (previousBackend && previousBackend !== 'cpu') await tf.setBackend(previousBackend);
  });

  it('one linear Conv2D: the projection of channel c is the transposed convolution of the map with channel c alone, bias not added back', async () => {
    // Input 4×4×1, two 2×2 filters, 'valid': the map is 3×3×2.
    const kernelShape: Shape4 = [2, 2, 1, 2];
    const kernel = Float32Array.from([1, -1, 2, 0.5, -3, 1, 0, 2]); // K[u][v][0][f], f fastest
    const bias = Float32Array.from([0.25, -1]);
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ name: 'conv', inputShape: [4, 4, 1], filters: 2, kernelSize: 2, activation: 'linear' })],
    });
    setConvWeights(model.layers[0], { kernel, kernelShape, bias });
    const x = Float32Array.from({ length: 32 }, (_, i) => ((i * 7) % 11) - 5);
    const inputs = tf.tensor4d(x, [2, 4, 4, 1]);

    for (const c of [0, 1]) {
      // By hand: y[b,i,j,f] = bias[f] + Σ_uv x[b,i+u,j+v]·K[u,v,f]; then out[b,i+u,j+v] += y[b,i,j,c]·K[u,v,c].
      const expected = new Float32Array(32);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            let y = bias[c];
            for (let u = 0; u < 2; u++) for (let v = 0; v < 2; v++) y += x[b * 16 + (i + u) * 4 + (j + v)] * kernel[(u * 2 + v) * 2 + c];
            for (let u = 0; u < 2; u++)
              for (let v = 0; v < 2; v++) expected[b * 16 + (i + u) * 4 + (j + v)] += y * kernel[(u * 2 + v) * 2 + c];
          }
      const result = await deconvolve(tf, model, 'conv', c, inputs);
      assert.deepEqual(result.shape, [2, 4, 4, 1]);
      assertClose(result.data, expected, `channel ${c}`);
      assert.equal(result.min, Math.min(...result.data));
      assert.equal(result.max, Math.max(...result.data));
      assert.equal(result.nonFinite, 0);
    }
    inputs.dispose();
    model.dispose();
  });

  it('Conv2D(relu) + MaxPooling2D: values go back only to the switches (the first maximum of a window on ties), and the other filter does not matter', async () => {
    // A 1×1 convolution whose channel 0 is the identity makes the pooled map the pooled ReLU of the input.
    const build = (otherWeight: number) => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'conv', inputShape: [4, 4, 1], filters: 2, kernelSize: 1, activation: 'relu' }),
          tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
        ],
      });
      setConvWeights(model.layers[0], { kernel: Float32Array.from([1, otherWeight]), kernelShape: [1, 1, 1, 2] });
      return model;
    };
    // Windows: top-left has a tie (3, 3) → the first (row-major) wins; top-right all negative
    // (ReLU makes them 0); bottom-left maximum in its last position; bottom-right in its second row.
    const x = Float32Array.from([3, 3, -1, -2, 1, 2, -3, -4, 0, 1, 5, -1, -1, 4, 2, 6]);
    const expected = Float32Array.from([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 6]);
    const inputs = tf.tensor4d(x, [1, 4, 4, 1]);
    const a = build(5);
    const b = build(-7);
    const fromA = await deconvolve(tf, a, 'pool', 0, inputs);
    const fromB = await deconvolve(tf, b, 'pool', 0, inputs);
    assert.deepEqual(Array.from(fromA.data), Array.from(expected));
    assert.deepEqual(Array.from(fromB.data), Array.from(expected), 'the other filter changed the projection');
    // Channel 1 of model A (weight 5): ReLU(5·x) pooled, back through ×5: 25·max at the switches.
    const channel1 = await deconvolve(tf, a, 'pool', 1, inputs);
    assert.deepEqual(
      Array.from(channel1.data),
      Array.from(expected, (v) => 25 * v),
    );
    for (const t of [inputs]) t.dispose();
    a.dispose();
    b.dispose();
  });

  it('ReLU is applied on the way back: before the transposed convolution of a Conv2D(relu), and for ReLU/Activation layers', async () => {
    // conv1: 1×1, weight 1, ReLU; conv2: 2×2 linear with negative taps, so its transposed map has negatives.
    const conv2: ConvSpec = { kernel: Float32Array.from([1, -2, 0, 1]), kernelShape: [2, 2, 1, 1], bias: Float32Array.from([0.5]) };
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'conv1', inputShape: [3, 3, 1], filters: 1, kernelSize: 1, activation: 'relu' }),
        tf.layers.conv2d({ name: 'conv2', filters: 1, kernelSize: 2, activation: 'linear' }),
      ],
    });
    setConvWeights(model.layers[0], { kernel: Float32Array.from([1]), kernelShape: [1, 1, 1, 1] });
    setConvWeights(model.layers[1], conv2);
    const x = Float32Array.from([2, -1, 3, 0.5, 1, -2, 4, 1, 2]);
    const inputs = tf.tensor4d(x, [1, 3, 3, 1]);
    const r = x.map((v) => Math.max(0, v));
    const y = convByHand(r, [1, 3, 3, 1], conv2);
    const back = transposedConvByHand(y.data, y.shape, [1, 3, 3, 1], conv2);
    assert.ok(
      back.some((v) => v < 0),
      'the test needs negative values before the rectification',
    );
    const expected = back.map((v) => Math.max(0, v));
    const result = await deconvolve(tf, model, 'conv2', 0, inputs);
    assertClose(result.data, expected, 'Conv2D(relu)');
    assert.ok(result.min! >= 0);

    // The same network with the ReLU as separate layers (ReLU, Activation('relu')) and BatchNormalization/Dropout
    // in between, which are the identity on the way back; BN is set to the identity in the forward pass too.
    const layered = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'c1', inputShape: [3, 3, 1], filters: 1, kernelSize: 1, activation: 'linear' }),
        tf.layers.batchNormalization({ name: 'bn', epsilon: 0.001 }),
        tf.layers.reLU({ name: 'relu' }),
        tf.layers.dropout({ name: 'drop', rate: 0.5 }),
        tf.layers.activation({ name: 'act', activation: 'relu' }),
        tf.layers.conv2d({ name: 'c2', filters: 1, kernelSize: 2, activation: 'linear' }),
      ],
    });
    setConvWeights(layered.layers[0], { kernel: Float32Array.from([1]), kernelShape: [1, 1, 1, 1] });
    layered.layers[1].setWeights([tf.tensor1d([1]), tf.tensor1d([0]), tf.tensor1d([0]), tf.tensor1d([1 - 0.001])]);
    setConvWeights(layered.layers[5], conv2);
    assertClose((await deconvolve(tf, layered, 'c2', 0, inputs)).data, expected, 'ReLU and Activation layers');
    inputs.dispose();
    model.dispose();
    layered.dispose();
  });

  describe('every common activation is passed back by its one-sided slopes at the origin (docs/estimators.md)', () => {
    // conv1: 1×1, weight 1, activation A; conv2: 2×2 linear with negative taps. Projecting conv2 back:
    // the transposed conv2 of its map, then A's rectification (slope f'(0⁻) below 0, f'(0⁺) above).
    const conv2: ConvSpec = { kernel: Float32Array.from([1, -2, 0, 1]), kernelShape: [2, 2, 1, 1], bias: Float32Array.from([0.5]) };
    const x = Float32Array.from([2, -1, 3, 0.5, 1, -2, 4, 1, 2]);
    const byHand = async (model: tf.Sequential, slopes: (v: number) => number): Promise<Float32Array> => {
      const mapped = tf.model({ inputs: model.inputs, outputs: model.getLayer('conv2').output });
      const input = tf.tensor4d(x, [1, 3, 3, 1]);
      const y = mapped.predict(input) as tf.Tensor;
      const back = transposedConvByHand((await y.data()) as Float32Array, y.shape as Shape4, [1, 3, 3, 1], conv2);
      y.dispose();
      input.dispose();
      assert.ok(back.some((v) => v < 0) && back.some((v) => v > 0), 'the test needs both signs before the rectification');
      return back.map((v) => v * slopes(v));
    };
    const slopes = (negative: number, positive: number) => (v: number) => (v < 0 ? negative : positive);
    const project = async (model: tf.Sequential) => {
      const input = tf.tensor4d(x, [1, 3, 3, 1]);
      try {
        return (await deconvolve(tf, model, 'conv2', 0, input)).data;
      } finally {
        input.dispose();
      }
    };
    const SELU = 1.0507009873554805;
    const cases: [string, number, number][] = [
      ['linear', 1, 1],
      ['relu', 0, 1],
      ['relu6', 0, 1],
      ['elu', 1, 1],
      ['selu', SELU * 1.6732632423543772, SELU],
      ['tanh', 1, 1],
      ['softsign', 1, 1],
      ['sigmoid', 0.25, 0.25],
      ['hardSigmoid', 0.2, 0.2],
      ['softplus', 0.5, 0.5],
      ['swish', 0.5, 0.5],
      ['mish', 0.6, 0.6],
    ];
    for (const [activation, negative, positive] of cases) {
      it(`Conv2D(${activation}) and Activation('${activation}'): slopes ${negative} below 0, ${positive} above`, async () => {
        const own = tf.sequential({
          layers: [
            tf.layers.conv2d({ name: 'conv1', inputShape: [3, 3, 1], filters: 1, kernelSize: 1, activation: activation as 'relu' }),
            tf.layers.conv2d({ name: 'conv2', filters: 1, kernelSize: 2, activation: 'linear' }),
          ],
        });
        setConvWeights(own.layers[0], { kernel: Float32Array.from([1]), kernelShape: [1, 1, 1, 1] });
        setConvWeights(own.layers[1], conv2);
        assertClose(await project(own), await byHand(own, slopes(negative, positive)), `Conv2D(${activation})`);
        const layered = tf.sequential({
          layers: [
            tf.layers.conv2d({ name: 'conv1', inputShape: [3, 3, 1], filters: 1, kernelSize: 1 }),
            tf.layers.activation({ name: 'act', activation: activation as 'relu' }),
            tf.layers.conv2d({ name: 'conv2', filters: 1, kernelSize: 2, activation: 'linear' }),
          ],
        });
        setConvWeights(layered.layers[0], { kernel: Float32Array.from([1]), kernelShape: [1, 1, 1, 1] });
        setConvWeights(layered.layers[2], conv2);
        assertClose(await project(layered), await byHand(layered, slopes(negative, positive)), `Activation('${activation}')`);
        own.dispose();
        layered.dispose();
      });
    }

    it('activation layers keep their own slopes: LeakyReLU(0.2), ELU, ReLU(maxValue 6: the cap plays no part), PReLU per channel', async () => {
      const layers: [string, tf.layers.Layer, (v: number) => number][] = [
        ['LeakyReLU', tf.layers.leakyReLU({ name: 'act', alpha: 0.2 }), slopes(0.2, 1)],
        // tfjs 4.22's ELU layer takes only α = 1.
        ['ELU', tf.layers.elu({ name: 'act' }), slopes(1, 1)],
        ['ReLU', tf.layers.reLU({ name: 'act', maxValue: 6 }), slopes(0, 1)],
        ['PReLU', tf.layers.prelu({ name: 'act' }), slopes(-0.7, 1)],
      ];
      for (const [name, act, slope] of layers) {
        const model = tf.sequential({
          layers: [
            tf.layers.conv2d({ name: 'conv1', inputShape: [3, 3, 1], filters: 1, kernelSize: 1 }),
            act,
            tf.layers.conv2d({ name: 'conv2', filters: 1, kernelSize: 2 }),
          ],
        });
        setConvWeights(model.layers[0], { kernel: Float32Array.from([1]), kernelShape: [1, 1, 1, 1] });
        setConvWeights(model.layers[2], conv2);
        if (name === 'PReLU') act.setWeights([tf.fill([3, 3, 1], -0.7)]);
        assertClose(await project(model), await byHand(model, slope), name);
        model.dispose();
      }
    });

    it('PReLU with a slope per channel: a chosen channel is rectified with its own slope', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'conv1', inputShape: [3, 3, 1], filters: 2, kernelSize: 1 }),
          tf.layers.prelu({ name: 'act', sharedAxes: [1, 2] }),
          tf.layers.conv2d({ name: 'conv2', filters: 2, kernelSize: 1 }),
        ],
      });
      setConvWeights(model.layers[0], { kernel: Float32Array.from([1, 1]), kernelShape: [1, 1, 1, 2] });
      model.layers[1].setWeights([tf.tensor3d([0.1, 0.5], [1, 1, 2])]);
      // conv2 maps channel 0 ← −1·channel 0 and channel 1 ← −1·channel 1: each projection is negative where x > 0.
      setConvWeights(model.layers[2], { kernel: Float32Array.from([-1, 0, 0, -1]), kernelShape: [1, 1, 2, 2] });
      const input = tf.tensor4d(x, [1, 3, 3, 1]);
      for (const [c, alpha] of [
        [0, 0.1],
        [1, 0.5],
      ]) {
        const out = await deconvolve(tf, model, 'conv2', c, input);
        // Forward: conv2_c = −prelu(x); backward: −conv2_c = prelu(x), rectified with alpha_c, then conv1ᵀ (weight 1).
        const expected = x.map((v) => {
          const y = -(v > 0 ? v : alpha * v);
          const back = -y;
          return back > 0 ? back : alpha * back;
        });
        assertClose(out.data, expected, `channel ${c}`);
      }
      input.dispose();
      model.dispose();
    });

    it('a residual block with selu convolutions (as in the ResNet-18 users write) projects back at every layer', async () => {
      const input = tf.input({ shape: [8, 8, 3] });
      const stem = tf.layers
        .conv2d({ name: 'stem', filters: 4, kernelSize: 3, padding: 'same', activation: 'selu' })
        .apply(input) as tf.SymbolicTensor;
      const a = tf.layers
        .conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same', activation: 'selu' })
        .apply(stem) as tf.SymbolicTensor;
      const b = tf.layers.conv2d({ name: 'b', filters: 4, kernelSize: 3, padding: 'same' }).apply(a) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'sum' }).apply([stem, b]) as tf.SymbolicTensor;
      const out = tf.layers.activation({ name: 'out', activation: 'selu' }).apply(sum) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const xs = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7);
      for (const layer of ['stem', 'a', 'b', 'sum', 'out']) {
        const r = await deconvolve(tf, model, layer, 1, xs);
        assert.equal(r.data.length, 2 * 8 * 8 * 3, layer);
        assert.ok(
          r.data.some((v) => v !== 0),
          `${layer}: a projection`,
        );
      }
      xs.dispose();
      model.dispose();
    });
  });

  it('AveragePooling2D spreads each value evenly over its window; overlapping windows add up; "same" padding divides by the positions covered', async () => {
    const x = Float32Array.from({ length: 16 }, (_, i) => i + 1);
    const cases: { pool: number; stride: number; padding: 'same' | 'valid'; size: number }[] = [
      { pool: 2, stride: 2, padding: 'valid', size: 4 },
      { pool: 2, stride: 1, padding: 'valid', size: 3 },
      { pool: 2, stride: 2, padding: 'same', size: 3 },
    ];
    for (const { pool, stride, padding, size } of cases) {
      const model = tf.sequential({
        layers: [tf.layers.averagePooling2d({ name: 'avg', inputShape: [size, size, 1], poolSize: pool, strides: stride, padding })],
      });
      const input = x.subarray(0, size * size);
      // By hand: windows start at i·stride − top; the average and the spread use the positions inside.
      const out = outSize(padding, size, stride, pool);
      const top = padBefore(padding, out, stride, pool, size);
      const expected = new Float32Array(size * size);
      for (let i = 0; i < out; i++)
        for (let j = 0; j < out; j++) {
          const cells: number[] = [];
          for (let u = 0; u < pool; u++)
            for (let v = 0; v < pool; v++) {
              const r = i * stride + u - top;
              const q = j * stride + v - top;
              if (r >= 0 && r < size && q >= 0 && q < size) cells.push(r * size + q);
            }
          const mean = cells.reduce((s, p) => s + input[p], 0) / cells.length;
          for (const p of cells) expected[p] += mean / cells.length;
        }
      const inputs = tf.tensor4d(input, [1, size, size, 1]);
      const result = await deconvolve(tf, model, 'avg', 0, inputs);
      assertClose(result.data, expected, `pool ${pool} stride ${stride} ${padding}`);
      inputs.dispose();
      model.dispose();
    }
  });

  it('MaxPooling2D with strides smaller than the window: a position that is the switch of two windows receives both values', async () => {
    // 3×3 windows, stride 2, on 5×5: the centre column/row is shared. The 9 at (2, 2) is the maximum of all four windows.
    const x = Float32Array.from({ length: 25 }, (_, i) => (i === 12 ? 9 : (i % 7) - 3));
    const model = tf.sequential({ layers: [tf.layers.maxPooling2d({ name: 'pool', inputShape: [5, 5, 1], poolSize: 3, strides: 2 })] });
    const inputs = tf.tensor4d(x, [1, 5, 5, 1]);
    const result = await deconvolve(tf, model, 'pool', 0, inputs);
    const expected = new Float32Array(25);
    expected[12] = 36;
    assert.deepEqual(Array.from(result.data), Array.from(expected));
    inputs.dispose();
    model.dispose();
  });

  it('Conv2D with "same" padding and stride 2 projects back to the input shape (5×5), matching the transposed convolution by hand', async () => {
    const random = rng(7);
    const spec: ConvSpec = {
      kernel: randomArray(3 * 3 * 2 * 3, random),
      kernelShape: [3, 3, 2, 3],
      bias: randomArray(3, random),
      stride: 2,
      padding: 'same',
    };
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ name: 'conv', inputShape: [5, 5, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same' })],
    });
    setConvWeights(model.layers[0], spec);
    const xShape: Shape4 = [3, 5, 5, 2];
    const x = randomArray(3 * 5 * 5 * 2, random);
    const inputs = tf.tensor4d(x, xShape);
    const y = convByHand(x, xShape, spec);
    assert.deepEqual(y.shape, [3, 3, 3, 3]);
    const result = await deconvolve(tf, model, 'conv', 2, inputs);
    assert.deepEqual(result.shape, xShape);
    assertClose(result.data, transposedConvByHand(keepChannel(y.data, 3, 2), y.shape, xShape, spec), 'same, stride 2');
    inputs.dispose();
    model.dispose();
  });

  it('a dilated Conv2D is transposed with its dilated kernel', async () => {
    const random = rng(11);
    const spec: ConvSpec = { kernel: randomArray(2 * 2 * 1 * 2, random), kernelShape: [2, 2, 1, 2], dilation: 2 };
    const model = tf.sequential({
      layers: [tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 1], filters: 2, kernelSize: 2, dilationRate: 2 })],
    });
    setConvWeights(model.layers[0], spec);
    const xShape: Shape4 = [2, 6, 6, 1];
    const x = randomArray(72, random);
    const inputs = tf.tensor4d(x, xShape);
    const y = convByHand(x, xShape, spec);
    const result = await deconvolve(tf, model, 'conv', 1, inputs);
    assertClose(result.data, transposedConvByHand(keepChannel(y.data, 2, 1), y.shape, xShape, spec), 'dilation 2');
    inputs.dispose();
    model.dispose();
  });

  it('ZeroPadding2D is cropped off on the way back, so the projection has the input shape', async () => {
    const random = rng(3);
    const spec: ConvSpec = { kernel: randomArray(4, random), kernelShape: [2, 2, 1, 1] };
    const model = tf.sequential({
      layers: [
        tf.layers.zeroPadding2d({
          name: 'pad',
          inputShape: [3, 3, 1],
          padding: [
            [1, 0],
            [2, 1],
          ],
        }),
        tf.layers.conv2d({ name: 'conv', filters: 1, kernelSize: 2 }),
      ],
    });
    setConvWeights(model.layers[1], spec);
    const x = randomArray(9, random);
    // By hand: pad to 4×6 (one row above, two columns left, one right), convolve, transpose, crop.
    const padded = new Float32Array(24);
    for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) padded[(r + 1) * 6 + q + 2] = x[r * 3 + q];
    const y = convByHand(padded, [1, 4, 6, 1], spec);
    const back = transposedConvByHand(y.data, y.shape, [1, 4, 6, 1], spec);
    const expected = Float32Array.from({ length: 9 }, (_, p) => back[(Math.floor(p / 3) + 1) * 6 + (p % 3) + 2]);
    const inputs = tf.tensor4d(x, [1, 3, 3, 1]);
    const result = await deconvolve(tf, model, 'conv', 0, inputs);
    assert.deepEqual(result.shape, [1, 3, 3, 1]);
    assertClose(result.data, expected, 'zero padding');
    inputs.dispose();
    model.dispose();
  });

  it('a functional model that is a single chain gives the same projection as the sequential one; chunks and a single pass agree; no tensor is leaked', async () => {
    const random = rng(5);
    const conv: ConvSpec = { kernel: randomArray(3 * 3 * 1 * 4, random), kernelShape: [3, 3, 1, 4], bias: randomArray(4, random) };
    const seq = tf.sequential({
      layers: [
        tf.layers.conv2d({ name: 'conv', inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      ],
    });
    setConvWeights(seq.layers[0], conv);
    const input = tf.input({ shape: [8, 8, 1], name: 'image' });
    const c = tf.layers.conv2d({ name: 'fconv', filters: 4, kernelSize: 3, activation: 'relu' });
    const p = tf.layers.maxPooling2d({ name: 'fpool', poolSize: 2 });
    const fun = tf.model({ inputs: input, outputs: p.apply(c.apply(input)) as tf.SymbolicTensor });
    setConvWeights(c, conv);
    const inputs = tf.tensor4d(randomArray(5 * 64, random), [5, 8, 8, 1]);
    const before = tf.memory().numTensors;
    const whole = await deconvolve(tf, seq, 'pool', 3, inputs);
    const chunked = await deconvolve(tf, seq, 'pool', 3, inputs, { chunkSize: 2 });
    const functional = await deconvolve(tf, fun, 'fpool', 3, inputs);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.ok(whole.max! > 0, 'the test needs a non-zero projection');
    assert.deepEqual(Array.from(chunked.data), Array.from(whole.data));
    assert.deepEqual(Array.from(functional.data), Array.from(whole.data));
    // The model's input layer as the target: its channel, unchanged.
    const self = await deconvolve(tf, fun, 'image', 0, inputs);
    assert.deepEqual(Array.from(self.data), Array.from(await inputs.data()));
    inputs.dispose();
    seq.dispose();
    fun.dispose();
  });

  /**
   * conv(relu) → max pool → the sum of the pool and a conv of it (a residual add), random weights;
   * with `head`, a flatten and a dense layer after the sum (the model's output).
   */
  function poolResidualModel(random: () => number, head = false): tf.LayersModel {
    const input = tf.input({ shape: [8, 8, 2] });
    const c1 = tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input);
    const pool = tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(c1) as tf.SymbolicTensor;
    const c2 = tf.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, padding: 'same' }).apply(pool) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([pool, c2]) as tf.SymbolicTensor;
    const flat = head ? (tf.layers.flatten({ name: 'flat' }).apply(sum) as tf.SymbolicTensor) : undefined;
    const output = flat ? (tf.layers.dense({ name: 'dense', units: 3 }).apply(flat) as tf.SymbolicTensor) : sum;
    const model = tf.model({ inputs: input, outputs: output });
    for (const w of model.weights)
      w.write(
        tf.tensor(
          randomArray(
            w.shape.reduce<number>((a, b) => a * (b ?? 1), 1),
            random,
          ),
          w.shape as number[],
        ),
      );
    return model;
  }

  it("one forward half serves every channel: each projection from it is deconvolve's, bit for bit (chunks, switches, a residual sum); it holds no tensor", async () => {
    const random = rng(31);
    const model = poolResidualModel(random);
    const inputs = tf.tensor4d(randomArray(5 * 8 * 8 * 2, random), [5, 8, 8, 2]);
    const before = tf.memory().numTensors;
    const forward = await deconvolutionForward(tf, model, 'sum', inputs, { chunkSize: 2 });
    assert.equal(tf.memory().numTensors, before, 'the forward half holds a tensor');
    assert.deepEqual(
      forward.chunks.map((c) => c.size),
      [2, 2, 1],
    );
    assert.ok(
      forward.chunks.every((c) => c.poolInputs.some((p) => p !== undefined)),
      'the switches need the pooling input',
    );
    for (const channel of [0, 1, 2, 3]) {
      const alone = await deconvolve(tf, model, 'sum', channel, inputs, { chunkSize: 2 });
      const shared = await projectChannel(tf, model, forward, channel);
      assert.ok(alone.max! > 0, 'the test needs a non-zero projection');
      assert.deepEqual(Array.from(shared.data), Array.from(alone.data), `channel ${channel}`);
      assert.deepEqual([shared.shape, shared.min, shared.max], [alone.shape, alone.min, alone.max]);
    }
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    await assert.rejects(projectChannel(tf, model, forward, 4), /channel must be an integer in \[0, 3\]/);
    inputs.dispose();
    model.dispose();
  });

  it('one pass gives the forward halves of several layers, each deconvolutionForward’s for its layer alone, bit for bit; a layer the walk cannot pass has none', async () => {
    const random = rng(37);
    const model = poolResidualModel(random, true);
    const inputs = tf.tensor4d(randomArray(5 * 8 * 8 * 2, random), [5, 8, 8, 2]);
    const before = tf.memory().numTensors;
    const names = ['c1', 'sum', 'dense', 'pool', 'c2'];
    const halves = await deconvolutionForwards(tf, model, names, inputs, { chunkSize: 2 });
    assert.equal(tf.memory().numTensors, before, 'the forward halves hold a tensor');
    assert.equal(halves[2], undefined, 'a dense layer has no projection');
    for (const [k, name] of names.entries()) {
      if (name === 'dense') continue;
      const alone = await deconvolutionForward(tf, model, name, inputs, { chunkSize: 2 });
      assert.deepEqual(halves[k], alone, name);
    }
    // The first layer's own error is thrown.
    await assert.rejects(deconvolutionForwards(tf, model, ['dense', 'c1'], inputs), DeconvolutionError);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    inputs.dispose();
    model.dispose();
  });

  describe('graph models and their building blocks (docs/layers.md)', () => {
    /** y[b, i, j, c·m + k] = Σ x[b, i·s + u − top, j·s + v − left, c] · K[u, v, c, k] over positions inside x ('valid' or 'same', stride s). */
    function depthwiseByHand(
      x: Float32Array,
      xShape: Shape4,
      kernel: Float32Array,
      kernelShape: Shape4,
      padding: 'same' | 'valid' = 'valid',
      s = 1,
    ) {
      const [n, h, w, c] = xShape;
      const [kh, kw, , m] = kernelShape;
      const oh = outSize(padding, h, s, kh);
      const ow = outSize(padding, w, s, kw);
      const top = padBefore(padding, oh, s, kh, h);
      const left = padBefore(padding, ow, s, kw, w);
      const y = new Float32Array(n * oh * ow * c * m);
      for (let b = 0; b < n; b++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let ch = 0; ch < c; ch++)
              for (let k = 0; k < m; k++)
                for (let u = 0; u < kh; u++)
                  for (let v = 0; v < kw; v++) {
                    const r = i * s + u - top;
                    const q = j * s + v - left;
                    if (r >= 0 && r < h && q >= 0 && q < w)
                      y[((b * oh + i) * ow + j) * c * m + ch * m + k] +=
                        x[((b * h + r) * w + q) * c + ch] * kernel[((u * kw + v) * c + ch) * m + k];
                  }
      return { data: y, shape: [n, oh, ow, c * m] as Shape4 };
    }

    /** The transpose of `depthwiseByHand`: each y[b, i, j, c·m + k] goes back to the x positions of channel c it read, times the tap. */
    function transposedDepthwiseByHand(
      y: Float32Array,
      yShape: Shape4,
      xShape: Shape4,
      kernel: Float32Array,
      kernelShape: Shape4,
      padding: 'same' | 'valid' = 'valid',
      s = 1,
    ) {
      const [n, h, w, c] = xShape;
      const [, oh, ow] = yShape;
      const [kh, kw, , m] = kernelShape;
      const top = padBefore(padding, oh, s, kh, h);
      const left = padBefore(padding, ow, s, kw, w);
      const x = new Float32Array(n * h * w * c);
      for (let b = 0; b < n; b++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++)
            for (let ch = 0; ch < c; ch++)
              for (let k = 0; k < m; k++)
                for (let u = 0; u < kh; u++)
                  for (let v = 0; v < kw; v++) {
                    const r = i * s + u - top;
                    const q = j * s + v - left;
                    if (r >= 0 && r < h && q >= 0 && q < w)
                      x[((b * h + r) * w + q) * c + ch] +=
                        y[((b * oh + i) * ow + j) * c * m + ch * m + k] * kernel[((u * kw + v) * c + ch) * m + k];
                  }
      return x;
    }

    it('Add of two identity branches (Dropout, linear Activation) doubles the signal: the projection of x + x is 2·(2x) = 4x', async () => {
      const input = tf.input({ shape: [3, 3, 1] });
      const left = tf.layers.dropout({ rate: 0.5 }).apply(input) as tf.SymbolicTensor;
      const right = tf.layers.activation({ activation: 'linear' }).apply(input) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'sum' }).apply([left, right]) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: sum });
      const x = Float32Array.from({ length: 18 }, (_, i) => i - 7);
      const inputs = tf.tensor4d(x, [2, 3, 3, 1]);
      const before = tf.memory().numTensors;
      const result = await deconvolve(tf, model, 'sum', 0, inputs);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      assert.deepEqual(
        Array.from(result.data),
        Array.from(x, (v) => 4 * v),
      );
      // Average of the same two branches: (x + x)/2 = x, each branch gets x/2 back, and they add up to x.
      const mean = tf.model({ inputs: input, outputs: tf.layers.average({ name: 'mean' }).apply([left, right]) as tf.SymbolicTensor });
      assert.deepEqual(Array.from((await deconvolve(tf, mean, 'mean', 0, inputs)).data), Array.from(x));
      inputs.dispose();
      model.dispose();
    });

    it('a residual block y = x + conv(x): the signal splits to both branches and the branches add up at x (s + convᵀ(s))', async () => {
      const random = rng(11);
      const spec: ConvSpec = {
        kernel: randomArray(3 * 3 * 2 * 2, random),
        kernelShape: [3, 3, 2, 2],
        bias: randomArray(2, random),
        padding: 'same',
      };
      const input = tf.input({ shape: [4, 4, 2] });
      const conv = tf.layers.conv2d({ name: 'conv', filters: 2, kernelSize: 3, padding: 'same' });
      const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(conv.apply(input)) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'residual' }).apply([input, bn]) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: sum });
      setConvWeights(conv, spec);
      const xShape: Shape4 = [2, 4, 4, 2];
      const x = randomArray(64, random);
      const inputs = tf.tensor4d(x, xShape);
      // BatchNormalization is the identity of the walk, but it does act in the forward pass.
      const y = (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
      for (const c of [0, 1]) {
        const s = keepChannel(y, 2, c);
        const throughConv = transposedConvByHand(s, xShape, xShape, spec);
        const expected = s.map((v, i) => v + throughConv[i]);
        const result = await deconvolve(tf, model, 'residual', c, inputs);
        assertClose(result.data, expected, `channel ${c}`);
      }
      inputs.dispose();
      model.dispose();
    });

    it('Concatenate: a chosen channel goes back only through the branch it came from; a full signal is split by channels', async () => {
      // Branch A: 1×1 conv with filters (2, 3); branch B: 1×1 conv with filter 5 → [2x, 3x, 5x].
      const input = tf.input({ shape: [2, 2, 1] });
      const a = tf.layers.conv2d({ name: 'a', filters: 2, kernelSize: 1, useBias: false });
      const b = tf.layers.conv2d({ name: 'b', filters: 1, kernelSize: 1, useBias: false });
      const joined = tf.layers
        .concatenate({ name: 'joined' })
        .apply([a.apply(input), b.apply(input)] as tf.SymbolicTensor[]) as tf.SymbolicTensor;
      const top = tf.layers.conv2d({ name: 'top', filters: 1, kernelSize: 1, useBias: false });
      const model = tf.model({ inputs: input, outputs: top.apply(joined) as tf.SymbolicTensor });
      a.setWeights([tf.tensor4d([2, 3], [1, 1, 1, 2])]);
      b.setWeights([tf.tensor4d([5], [1, 1, 1, 1])]);
      top.setWeights([tf.tensor4d([1, -1, 2], [1, 1, 3, 1])]);
      const x = Float32Array.from([1, -2, 0.5, 4]);
      const inputs = tf.tensor4d(x, [1, 2, 2, 1]);
      const channelOf = async (layer: string, c: number) => Array.from((await deconvolve(tf, model, layer, c, inputs)).data);
      // Channel 2 comes from B: 5 · 5x; channel 1 from A's second filter: 3 · 3x.
      assertClose(
        await channelOf('joined', 2),
        Array.from(x, (v) => 25 * v),
        'from B',
      );
      assertClose(
        await channelOf('joined', 1),
        Array.from(x, (v) => 9 * v),
        'from A',
      );
      // top = 2x − 3x + 10x = 9x; back through the concatenation [9x, −9x, 18x] → 2·9x − 3·9x + 5·18x = 81x.
      assertClose(
        await channelOf('top', 0),
        Array.from(x, (v) => 81 * v),
        'through the concatenation',
      );
      inputs.dispose();
      model.dispose();
    });

    it('DepthwiseConv2D with one channel and a known kernel: the transposed convolution with that kernel', async () => {
      const kernel = Float32Array.from([1, 2, 3, 4]);
      const model = tf.sequential({
        layers: [tf.layers.depthwiseConv2d({ name: 'dw', inputShape: [3, 3, 1], kernelSize: 2, useBias: false })],
      });
      model.layers[0].setWeights([tf.tensor4d(kernel, [2, 2, 1, 1])]);
      const x = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 2]);
      const inputs = tf.tensor4d(x, [1, 3, 3, 1]);
      // y = [[1, 0], [0, 8]] (x[0,0]·1 and x[2,2]·4); back: 1·K at the top left, 8·K at the bottom right.
      const result = await deconvolve(tf, model, 'dw', 0, inputs);
      assert.deepEqual(Array.from(result.data), [1, 2, 0, 3, 4 + 8, 16, 0, 24, 32]);
      inputs.dispose();
      model.dispose();
    });

    for (const { size, stride, padding, kernelSize } of [
      { size: 5, stride: 1, padding: 'same' as const, kernelSize: 3 },
      { size: 6, stride: 2, padding: 'same' as const, kernelSize: 3 },
      { size: 5, stride: 2, padding: 'same' as const, kernelSize: 3 },
      { size: 7, stride: 2, padding: 'valid' as const, kernelSize: 2 },
      { size: 6, stride: 3, padding: 'same' as const, kernelSize: 2 },
    ]) {
      it(`DepthwiseConv2D, channel multiplier 2, ${size}×${size}, ${kernelSize}×${kernelSize} kernel, stride ${stride}, '${padding}': one channel goes back to its source channel; a full signal (after a Conv2D) through every filter`, async () => {
        const random = rng(12 + size + stride);
        const kernelShape: Shape4 = [kernelSize, kernelSize, 2, 2];
        const kernel = randomArray(kernelSize * kernelSize * 4, random);
        const conv: ConvSpec = { kernel: randomArray(4 * 3, random), kernelShape: [1, 1, 4, 3] };
        const model = tf.sequential({
          layers: [
            tf.layers.depthwiseConv2d({
              name: 'dw',
              inputShape: [size, size, 2],
              kernelSize,
              strides: stride,
              depthMultiplier: 2,
              padding,
              useBias: false,
            }),
            tf.layers.conv2d({ name: 'mix', filters: 3, kernelSize: 1, useBias: false }),
          ],
        });
        model.layers[0].setWeights([tf.tensor4d(kernel, kernelShape)]);
        model.layers[1].setWeights([tf.tensor4d(conv.kernel, conv.kernelShape)]);
        const xShape: Shape4 = [2, size, size, 2];
        const x = randomArray(2 * size * size * 2, random);
        const inputs = tf.tensor4d(x, xShape);
        const dw = depthwiseByHand(x, xShape, kernel, kernelShape, padding, stride);
        for (const c of [0, 3]) {
          // Output channel 3 is input channel 1 through its filter 1.
          const expected = transposedDepthwiseByHand(keepChannel(dw.data, 4, c), dw.shape, xShape, kernel, kernelShape, padding, stride);
          assertClose((await deconvolve(tf, model, 'dw', c, inputs)).data, expected, `depthwise channel ${c}`);
        }
        const mixed = convByHand(dw.data, dw.shape, conv);
        const back = transposedConvByHand(keepChannel(mixed.data, 3, 2), mixed.shape, dw.shape, conv);
        const expected = transposedDepthwiseByHand(back, dw.shape, xShape, kernel, kernelShape, padding, stride);
        const before = tf.memory().numTensors;
        assertClose((await deconvolve(tf, model, 'mix', 2, inputs)).data, expected, 'through the depthwise with every channel');
        assert.equal(tf.memory().numTensors, before, 'tensors leaked');
        inputs.dispose();
        model.dispose();
      });
    }

    it('SeparableConv2D(relu), stride 2: ReLU, the transposed pointwise convolution, then the transposed depthwise; the bias is not added back', async () => {
      const random = rng(13);
      const dwShape: Shape4 = [3, 3, 2, 1];
      const dwKernel = randomArray(18, random);
      const pw: ConvSpec = { kernel: randomArray(2 * 3, random), kernelShape: [1, 1, 2, 3] };
      const bias = randomArray(3, random);
      const model = tf.sequential({
        layers: [
          tf.layers.separableConv2d({ name: 'sep', inputShape: [6, 6, 2], filters: 3, kernelSize: 3, strides: 2, activation: 'relu' }),
        ],
      });
      model.layers[0].setWeights([tf.tensor4d(dwKernel, dwShape), tf.tensor4d(pw.kernel, pw.kernelShape), tf.tensor1d(bias)]);
      const xShape: Shape4 = [2, 6, 6, 2];
      const x = randomArray(144, random);
      const inputs = tf.tensor4d(x, xShape);
      const dw = depthwiseByHand(x, xShape, dwKernel, dwShape, 'valid', 2);
      const y = convByHand(dw.data, dw.shape, { ...pw, bias });
      const relu = y.data.map((v) => Math.max(0, v));
      assert.ok(relu.some((v) => v > 0) && y.data.some((v) => v < 0), 'the test needs both signs before the ReLU');
      for (const c of [0, 2]) {
        const middle = transposedConvByHand(keepChannel(relu, 3, c), y.shape, dw.shape, pw);
        const expected = transposedDepthwiseByHand(middle, dw.shape, xShape, dwKernel, dwShape, 'valid', 2);
        assertClose((await deconvolve(tf, model, 'sep', c, inputs)).data, expected, `channel ${c}`);
      }
      inputs.dispose();
      model.dispose();
    });

    it('GlobalAveragePooling2D (one channel of C units, as the run counts it) spreads each unit evenly over its map; GlobalMaxPooling2D puts it at the first maximum', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'conv', inputShape: [2, 2, 1], filters: 2, kernelSize: 1, useBias: false }),
          tf.layers.globalAveragePooling2d({ name: 'gap' }),
        ],
      });
      model.layers[0].setWeights([tf.tensor4d([2, -1], [1, 1, 1, 2])]);
      const x = Float32Array.from([1, 5, 3, 5]);
      const inputs = tf.tensor4d(x, [1, 2, 2, 1]);
      // Unit 0: mean(2x) = 7 → 7/4 at each position of map 0; unit 1: mean(−x) = −3.5 → −0.875 at
      // each position of map 1; back through the 1×1 convolution: 2·1.75 + (−1)·(−0.875) = 4.375.
      assert.deepEqual(Array.from((await deconvolve(tf, model, 'gap', 0, inputs)).data), [4.375, 4.375, 4.375, 4.375]);
      await assert.rejects(
        deconvolve(tf, model, 'gap', 1, inputs),
        (e: unknown) => e instanceof RangeError && /has 1 channels/.test(e.message),
      );
      const maxModel = tf.sequential({ layers: [tf.layers.globalMaxPooling2d({ name: 'gmp', inputShape: [2, 2, 1] })] });
      assert.deepEqual(Array.from((await deconvolve(tf, maxModel, 'gmp', 0, inputs)).data), [0, 5, 0, 0]);
      inputs.dispose();
      model.dispose();
      maxModel.dispose();
    });

    it('Conv1D and MaxPooling1D on sequences [n, T, C]: the projection has the sequence shape and matches the 2-D computation one row high', async () => {
      const random = rng(14);
      const spec: ConvSpec = { kernel: randomArray(3 * 2 * 2, random), kernelShape: [1, 3, 2, 2], bias: randomArray(2, random) };
      const model = tf.sequential({
        layers: [
          tf.layers.conv1d({ name: 'conv', inputShape: [8, 2], filters: 2, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling1d({ name: 'pool', poolSize: 2 }),
          tf.layers.globalAveragePooling1d({ name: 'gap' }),
        ],
      });
      model.layers[0].setWeights([tf.tensor3d(spec.kernel, [3, 2, 2]), tf.tensor1d(spec.bias!)]);
      const xShape: Shape4 = [2, 1, 8, 2];
      const x = randomArray(32, random);
      const inputs = tf.tensor3d(x, [2, 8, 2]);
      const y = convByHand(x, xShape, spec);
      const relu = y.data.map((v) => Math.max(0, v));
      for (const c of [0, 1]) {
        const conv = await deconvolve(tf, model, 'conv', c, inputs);
        assert.deepEqual(conv.shape, [2, 8, 2]);
        assertClose(conv.data, transposedConvByHand(keepChannel(relu, 2, c), y.shape, xShape, spec), `conv channel ${c}`);
      }
      // Pooling then global averaging (one channel of both units): each pooled value's share, at its window's switch.
      const atPool = new Float32Array(relu.length);
      for (let b = 0; b < 2; b++)
        for (let c = 0; c < 2; c++) {
          let mean = 0;
          const switches: number[] = [];
          for (let o = 0; o < 3; o++) {
            const first = (b * 6 + 2 * o) * 2 + c;
            const at = relu[first + 2] > relu[first] ? first + 2 : first;
            switches.push(at);
            mean += relu[at] / 3;
          }
          for (const at of switches) atPool[at] += mean / 3;
        }
      assertClose((await deconvolve(tf, model, 'gap', 0, inputs)).data, transposedConvByHand(atPool, y.shape, xShape, spec), 'pooled');
      inputs.dispose();
      model.dispose();
    });

    it('a layer called twice (shared weights) is passed back through once per call', async () => {
      const input = tf.input({ shape: [2, 2, 1] });
      const shared = tf.layers.conv2d({ name: 'shared', filters: 1, kernelSize: 1, useBias: false });
      const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor;
      const top = tf.layers.activation({ name: 'top', activation: 'relu' }).apply(twice) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: top });
      shared.setWeights([tf.tensor4d([3], [1, 1, 1, 1])]);
      const inputs = tf.tensor4d([1, -1, 2, 0], [1, 2, 2, 1]);
      // top = ReLU(9x) = [9, 0, 18, 0]; back through ReLU and both calls: 9 · top.
      assert.deepEqual(Array.from((await deconvolve(tf, model, 'top', 0, inputs)).data), [81, 0, 162, 0]);
      await expectDeconvolutionError(deconvolve(tf, model, 'shared', 0, inputs), 'shared', /called once, but it is called 2 times/);
      inputs.dispose();
      model.dispose();
    });

    it('Reshape (an image read as a sequence) is reshaped back: a Conv1D over the image rows projects to the image', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.reshape({ name: 'rows', inputShape: [2, 2, 1], targetShape: [4, 1] }),
          tf.layers.conv1d({ name: 'conv', filters: 1, kernelSize: 2, useBias: false }),
        ],
      });
      model.layers[1].setWeights([tf.tensor3d([1, 10], [2, 1, 1])]);
      const inputs = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      // y = [1 + 20, 2 + 30, 3 + 40]; back: x[t] = y[t]·1 + y[t − 1]·10.
      const result = await deconvolve(tf, model, 'conv', 0, inputs);
      assert.deepEqual(result.shape, [1, 2, 2, 1]);
      assert.deepEqual(Array.from(result.data), [21, 32 + 210, 43 + 320, 430]);
      inputs.dispose();
      model.dispose();
    });

    it('a nested model (a functional block inside a sequential one, a sequential block inside a functional one) projects as the same layers written flat', async () => {
      const random = rng(15);
      const first: ConvSpec = { kernel: randomArray(3 * 3 * 1 * 3, random), kernelShape: [3, 3, 1, 3], bias: randomArray(3, random) };
      const second: ConvSpec = { kernel: randomArray(3 * 3 * 3 * 2, random), kernelShape: [3, 3, 3, 2], bias: randomArray(2, random) };
      const flat = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [7, 7, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ name: 'flatTop', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }),
        ],
      });
      setConvWeights(flat.layers[0], first);
      setConvWeights(flat.layers[2], second);
      // Functional outer model, sequential block inside.
      const blockConv = tf.layers.conv2d({ inputShape: [7, 7, 1], filters: 3, kernelSize: 3, activation: 'relu' });
      const block = tf.sequential({ name: 'block', layers: [blockConv, tf.layers.maxPooling2d({ poolSize: 2 })] });
      const input = tf.input({ shape: [7, 7, 1] });
      const topConv = tf.layers.conv2d({ name: 'top', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' });
      const outer = tf.model({ inputs: input, outputs: topConv.apply(block.apply(input)) as tf.SymbolicTensor });
      setConvWeights(blockConv, first);
      setConvWeights(topConv, second);
      // Sequential outer model, functional block inside.
      const innerInput = tf.input({ shape: [7, 7, 1] });
      const innerConv = tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' });
      const innerBlock = tf.model({
        name: 'innerBlock',
        inputs: innerInput,
        outputs: tf.layers.maxPooling2d({ poolSize: 2 }).apply(innerConv.apply(innerInput)) as tf.SymbolicTensor,
      });
      const seqTop = tf.layers.conv2d({ name: 'seqTop', filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' });
      const seqOuter = tf.sequential({ layers: [innerBlock, seqTop] });
      setConvWeights(innerConv, first);
      setConvWeights(seqTop, second);

      const inputs = tf.tensor4d(randomArray(3 * 49, random), [3, 7, 7, 1]);
      const before = tf.memory().numTensors;
      for (const c of [0, 1]) {
        const expected = (await deconvolve(tf, flat, 'flatTop', c, inputs)).data;
        assert.ok(
          expected.some((v) => v !== 0),
          'the test needs a non-zero projection',
        );
        assertClose((await deconvolve(tf, outer, 'top', c, inputs)).data, expected, `functional outer, channel ${c}`);
        assertClose((await deconvolve(tf, seqOuter, 'seqTop', c, inputs)).data, expected, `sequential outer, channel ${c}`);
      }
      // The nested model as the target (a layer of the run): the projection of its output.
      const pooled = (await deconvolve(tf, flat, flat.layers[1].name, 2, inputs)).data;
      assertClose((await deconvolve(tf, outer, 'block', 2, inputs)).data, pooled, 'the block itself');
      assertClose((await deconvolve(tf, seqOuter, 'innerBlock', 2, inputs)).data, pooled, 'the inner block itself');
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      inputs.dispose();
      for (const m of [flat, outer, seqOuter]) m.dispose();
    });
  });

  it('the deconvolution query answers a sequence model [n, T, C] with projections [n, 1, T, C], the image one row high the views draw', async () => {
    const random = rng(21);
    const model = tf.sequential({ layers: [tf.layers.conv1d({ name: 'conv', inputShape: [6, 2], filters: 2, kernelSize: 3 })] });
    const probeInputs = randomArray(3 * 12, random);
    // Only what the handler reads of a query context: the run's layer table, its checks, the probe
    // set, tfjs, the model (a query's, and the shared forward half's own lease), the shared forward halves (none kept),
    // and no native checkpoint (a TensorFlow.js run).
    const context = {
      manifest: {
        layers: [
          { index: 0, name: 'input', className: 'Input', outputShape: [6, 2], channels: 2, parameters: 0 },
          { index: 1, name: 'conv', className: 'Conv1D', outputShape: [4, 2], channels: 2, parameters: 14 },
        ],
      },
      metricsAt: () => ({}),
      checkLayer: () => undefined,
      checkChannel: () => undefined,
      probe: () => ({ inputs: probeInputs, labels: Int32Array.from([0, 1, 0]) }),
      subset: () => [0, 2],
      tf: () => Promise.resolve({ tf }),
      model: () => Promise.resolve({ model }),
      native: () => Promise.resolve(undefined),
      run: { models: { acquire: () => Promise.resolve({ model, release: () => undefined }) } },
      deconvolutionHalves: () => ({ kept: new SharedResults(1 << 20, () => 1), key: (layer: number) => String(layer) }),
      control: {},
    } as unknown as QueryContext;
    const answer = await deconvolutionHandler({ kind: 'deconvolution', layer: 1, channel: 1, epoch: 0, x: { kind: 'all' } }, context);
    assert.deepEqual(answer.projections.shape, [2, 1, 6, 2]);
    assert.deepEqual(answer.labels, [0, 0]);
    const inputs = tf.tensor3d(Float32Array.from([...probeInputs.subarray(0, 12), ...probeInputs.subarray(24, 36)]), [2, 6, 2]);
    const direct = await deconvolve(tf, model, 'conv', 1, inputs);
    assert.deepEqual(Array.from(decodeFloat32(answer.projections)), Array.from(direct.data));
    inputs.dispose();
    model.dispose();
  });

  describe('refuses, naming the layer, what it cannot project (never a wrong picture)', () => {
    const inputs = () => tf.zeros<tf.Rank.R4>([1, 6, 6, 1]);

    it('a Dense layer between the target and the input', async () => {
      // Dense on a 4-d tensor acts on the last axis, so a Conv2D can follow it.
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'conv1', inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }),
          tf.layers.dense({ name: 'dense1', units: 3 }),
          tf.layers.conv2d({ name: 'conv2', filters: 2, kernelSize: 3 }),
        ],
      });
      const x = inputs();
      await expectDeconvolutionError(
        deconvolve(tf, model, 'conv2', 0, x),
        'dense1',
        /cannot pass back through layer 'dense1' \(Dense\); it passes back through convolutions .*\(docs\/layers\.md\)/,
      );
      x.dispose();
      model.dispose();
    });

    it('a target layer that is Dense or Flatten', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }),
          tf.layers.flatten({ name: 'flat' }),
          tf.layers.dense({ name: 'logits', units: 3 }),
        ],
      });
      const x = inputs();
      await expectDeconvolutionError(deconvolve(tf, model, 'logits', 0, x), 'logits', /\(Dense\)/);
      await expectDeconvolutionError(deconvolve(tf, model, 'flat', 0, x), 'flat', /\(Flatten\)/);
      x.dispose();
      model.dispose();
    });

    it('an activation with no sound rectification: softmax (mixes the channels), a threshold away from the origin', async () => {
      const cases: [tf.layers.Layer, RegExp][] = [
        [tf.layers.activation({ name: 'act', activation: 'softmax' }), /activation 'softmax' mixes the channels/],
        [tf.layers.thresholdedReLU({ name: 'act', theta: 1 }), /slope is 0 around the origin/],
        [tf.layers.softmax({ name: 'act' }), /softmax mixes the channels/],
      ];
      const x = inputs();
      for (const [layer, pattern] of cases) {
        const model = tf.sequential({
          layers: [tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }), layer],
        });
        await expectDeconvolutionError(deconvolve(tf, model, 'act', 0, x), 'act', pattern);
        model.dispose();
      }
      const own = tf.sequential({
        layers: [tf.layers.conv2d({ name: 'mix', inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'softmax' })],
      });
      await expectDeconvolutionError(deconvolve(tf, own, 'mix', 0, x), 'mix', /activation 'softmax' mixes the channels/);
      x.dispose();
      own.dispose();
    });

    it('a merge that is not a sum or a concatenation (Multiply), a Concatenate off the channel axis, a nested model called twice', async () => {
      const input = tf.input({ shape: [6, 6, 1] });
      const a = tf.layers.conv2d({ name: 'a', filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
      const b = tf.layers.conv2d({ name: 'b', filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
      const product = tf.layers.multiply({ name: 'gate' }).apply([a, b]) as tf.SymbolicTensor;
      const top = tf.layers.conv2d({ name: 'top', filters: 2, kernelSize: 3 }).apply(product) as tf.SymbolicTensor;
      const rows = tf.layers.concatenate({ name: 'rows', axis: 1 }).apply([a, b]) as tf.SymbolicTensor;
      const innerInput = tf.input({ shape: [6, 6, 2] });
      const inner = tf.model({
        name: 'block',
        inputs: innerInput,
        outputs: tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(innerInput) as tf.SymbolicTensor,
      });
      const twice = tf.layers
        .add({ name: 'twice' })
        .apply([inner.apply(a) as tf.SymbolicTensor, inner.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: [top, rows, twice] });
      const x = inputs();
      await expectDeconvolutionError(deconvolve(tf, model, 'top', 0, x), 'gate', /'gate' \(Multiply\)/);
      await expectDeconvolutionError(deconvolve(tf, model, 'rows', 0, x), 'rows', /channel axis only; layer 'rows' concatenates on axis 1/);
      await expectDeconvolutionError(deconvolve(tf, model, 'twice', 0, x), 'block', /nested model 'block': it is called more than once/);
      // A branch that leads elsewhere does not matter: 'a' is reached by a single chain.
      const fromA = await deconvolve(tf, model, 'a', 1, x);
      assert.deepEqual(fromA.shape, [1, 6, 6, 1]);
      x.dispose();
      model.dispose();
    });

    it('a channel out of range or an unknown layer (RangeError naming it)', async () => {
      const model = tf.sequential({ layers: [tf.layers.conv2d({ name: 'conv', inputShape: [6, 6, 1], filters: 2, kernelSize: 3 })] });
      const x = inputs();
      await assert.rejects(
        deconvolve(tf, model, 'conv', 2, x),
        (e: unknown) => e instanceof RangeError && /channel .*layer 'conv' has 2 channels.*got 2/.test(e.message),
      );
      await assert.rejects(deconvolve(tf, model, 'conv', -1, x), RangeError);
      await assert.rejects(deconvolve(tf, model, 'nope', 0, x), (e: unknown) => e instanceof RangeError && /'nope'/.test(e.message));
      const wrong = tf.zeros<tf.Rank.R4>([1, 5, 5, 1]);
      await assert.rejects(
        deconvolve(tf, model, 'conv', 0, wrong),
        (e: unknown) => e instanceof RangeError && /inputs must have shape \[n, 6, 6, 1\]/.test(e.message),
      );
      wrong.dispose();
      x.dispose();
      model.dispose();
    });
  });
});
