/**
 * Deconvolution (paper 5.4.1, Zeiler & Fergus; src/service/deconvolution.ts) on hand-built
 * networks whose projections are computed here by hand: the convolutions and transposed
 * convolutions below are direct loops over their definitions, not tfjs. Runs on tfjs's CPU
 * backend, whose sums are in doubles, so the tolerance is float32 rounding (1e-5 relative).
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { hasErrorCode } from '../../src/analysis';
import { deconvolve, DeconvolutionError } from '../../src/service/deconvolution';
import { rng } from './reference';

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
        /cannot pass back through layer 'dense1' \(Dense\); supported: Conv2D, MaxPooling2D/,
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

    it("a Conv2D or Activation with an activation other than relu or linear (here 'tanh')", async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ name: 'squash', inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'tanh' }),
          tf.layers.activation({ name: 'sig', activation: 'sigmoid' }),
        ],
      });
      const x = inputs();
      await expectDeconvolutionError(deconvolve(tf, model, 'squash', 0, x), 'squash', /activation 'tanh'/);
      await expectDeconvolutionError(deconvolve(tf, model, 'sig', 0, x), 'sig', /activation 'sigmoid'/);
      x.dispose();
      model.dispose();
    });

    it('a functional model whose chain branches (a residual Add)', async () => {
      const input = tf.input({ shape: [6, 6, 1] });
      const a = tf.layers.conv2d({ name: 'a', filters: 2, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
      const b = tf.layers.conv2d({ name: 'b', filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
      const sum = tf.layers.add({ name: 'merge' }).apply([a, b]) as tf.SymbolicTensor;
      const out = tf.layers.conv2d({ name: 'top', filters: 2, kernelSize: 3 }).apply(sum) as tf.SymbolicTensor;
      const model = tf.model({ inputs: input, outputs: out });
      const x = inputs();
      await expectDeconvolutionError(deconvolve(tf, model, 'top', 0, x), 'merge', /branches at layer 'merge' \(Add\), which has 2 inputs/);
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
