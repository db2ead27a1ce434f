/**
 * The fused training-mode BatchNormalization of src/tfjs/wasmBatchNorm.ts against tfjs-layers' own
 * (stock) path: the same layer, weights and batch give the same output, moving mean and variance,
 * and gradients of the input, gamma and beta to float tolerance; a small batch-normalised CNN
 * trained a few steps gives the same losses and weights. The stock reference runs on the WASM
 * backend with the fused kernel unregistered, which is how the patched layer falls back.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../../src/tfjs/wasmBatchNorm';
import { registerWasmTrainingKernels } from '../../../src/tfjs/wasmKernels';
import { maxRelativeError } from '../../support/kernelComparison';
import { rng } from '../../support/reference';

type Tf = typeof tfjs;
type BatchNormalizationArgs = NonNullable<Parameters<typeof tfjs.layers.batchNormalization>[0]>;

const TOLERANCE = 1e-5;

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  const error = maxRelativeError(actual, expected);
  assert.ok(error <= TOLERANCE, `${what}: relative error ${error} exceeds ${TOLERANCE}`);
}

interface LayerResult {
  output: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  kernelsRun: string[];
}

describe('fused BatchNormalization training (WASM backend)', function () {
  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
    registerWasmTrainingKernels(tf);
  });

  after(async function () {
    registerWasmTrainingKernels(tf);
    await tf.setBackend('wasm');
  });

  /** Runs `body` with the fused forward kernel registered (`fused`) or not (the stock path). */
  async function withFused<T>(fused: boolean, body: () => Promise<T>): Promise<T> {
    await tf.setBackend('wasm');
    const kernel = tf.getKernel(BATCH_NORM_TRAIN, 'wasm');
    assert.ok(kernel, `${BATCH_NORM_TRAIN} is not registered`);
    if (!fused) tf.unregisterKernel(BATCH_NORM_TRAIN, 'wasm');
    try {
      return await body();
    } finally {
      if (!fused) tf.registerKernel(kernel);
    }
  }

  /**
   * One training-mode call of a BatchNormalization layer on a seeded batch of `shape` (an offset
   * and spread per channel, as real activations have), and the gradients of Σ y·w (w seeded) with
   * respect to the input, gamma and beta.
   */
  function layerCall(shape: number[], config: BatchNormalizationArgs): Promise<LayerResult> {
    const random = rng(7);
    const channels = shape[shape.length - 1];
    const size = shape.reduce((p, d) => p * d, 1);
    const xValues = Float32Array.from({ length: size }, (_, i) => (random() - 0.5) * (1 + (i % channels)) + (i % channels) * 0.3);
    const layer = tf.layers.batchNormalization(config);
    layer.build(shape);
    const channelValues = (offset: number, spread: number) =>
      tf.tensor1d(Float32Array.from({ length: channels }, () => offset + (random() - 0.5) * spread));
    layer.setWeights([channelValues(1, 0.8), channelValues(0, 0.6), channelValues(0.2, 0.4), channelValues(1.5, 1)]);
    const [gamma, beta] = layer.trainableWeights.map((w) => w.read() as tfjs.Variable);
    const x = tf.variable(tf.tensor(xValues, shape));
    const w = tf.tensor(
      Float32Array.from({ length: size }, () => random() - 0.5),
      shape,
    );
    return (async () => {
      let output: Float32Array | undefined;
      let grads: Record<string, tfjs.Tensor> = {};
      const profile = await tf.profile(() => {
        const result = tf.variableGrads(() => {
          const y = layer.apply(x, { training: true }) as tfjs.Tensor;
          output = Float32Array.from(y.dataSync());
          return tf.sum(tf.mul(y, w));
        }, [x, gamma, beta]);
        grads = result.grads;
        result.value.dispose();
        return [];
      });
      const [, , movingMean, movingVariance] = layer.getWeights().map((t) => Float32Array.from(t.dataSync()));
      const values = (v: tfjs.Variable) => Float32Array.from(grads[v.name].dataSync());
      const result: LayerResult = {
        output: output!,
        movingMean,
        movingVariance,
        dx: values(x),
        dgamma: values(gamma),
        dbeta: values(beta),
        kernelsRun: profile.kernelNames,
      };
      tf.dispose([x, w, ...Object.values(grads)]);
      // A layer called on concrete tensors has no inbound node, so `layer.dispose()` refuses it.
      for (const weight of layer.weights) weight.dispose();
      return result;
    })();
  }

  const cases: { name: string; shape: number[]; config: BatchNormalizationArgs }[] = [
    { name: 'a convolution output (4×5×6 inputs, 8 channels), the layer defaults', shape: [4, 5, 6, 8], config: {} },
    {
      name: 'ResNet-sized channels (2×3×3 inputs, 64 channels), its own momentum and epsilon',
      shape: [2, 3, 3, 64],
      config: { momentum: 0.9, epsilon: 1e-5 },
    },
    { name: 'a dense output (32 inputs, 12 features)', shape: [32, 12], config: { axis: -1 } },
  ];
  for (const c of cases) {
    it(`${c.name}: the fused kernels give the stock output, moving statistics and gradients of x, gamma and beta`, async function () {
      const fused = await withFused(true, () => layerCall(c.shape, c.config));
      const stock = await withFused(false, () => layerCall(c.shape, c.config));
      assert.ok(fused.kernelsRun.includes(BATCH_NORM_TRAIN), `the fused forward kernel did not run: ${fused.kernelsRun.join(', ')}`);
      assert.ok(fused.kernelsRun.includes(BATCH_NORM_TRAIN_GRAD), `the fused backward kernel did not run: ${fused.kernelsRun.join(', ')}`);
      assert.ok(!stock.kernelsRun.includes(BATCH_NORM_TRAIN), 'the stock reference ran the fused kernel');
      assertClose(fused.output, stock.output, 'output');
      assertClose(fused.movingMean, stock.movingMean, 'moving mean');
      assertClose(fused.movingVariance, stock.movingVariance, 'moving variance');
      assertClose(fused.dx, stock.dx, 'gradient of x');
      assertClose(fused.dgamma, stock.dgamma, 'gradient of gamma');
      assertClose(fused.dbeta, stock.dbeta, 'gradient of beta');
    });
  }

  it('channels that are not a multiple of 4 take the stock path', async function () {
    const fused = await withFused(true, () => layerCall([3, 4, 4, 6], {}));
    assert.ok(!fused.kernelsRun.includes(BATCH_NORM_TRAIN), 'the fused kernel ran on 6 channels');
  });

  /** A seeded conv → BN → ReLU → pool → dense model trained `steps` batches with Adam. */
  async function train(steps: number): Promise<{ losses: number[]; weights: Float32Array[]; tensorsAfterStep: number[] }> {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 8, kernelSize: 3, padding: 'same', useBias: false }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.reLU());
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
    const random = rng(42);
    model.setWeights(
      model.getWeights().map((w, i) =>
        // Moving variance (the 4th BN weight) must stay positive; the rest are seeded around 0.
        i === 4
          ? tf.onesLike(w)
          : tf.tensor(
              Float32Array.from({ length: w.size }, () => (random() - 0.5) * 0.6),
              w.shape,
            ),
      ),
    );
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const losses: number[] = [];
    const tensorsAfterStep: number[] = [];
    for (let step = 0; step < steps; step++) {
      const x = tf.tensor4d(
        Float32Array.from({ length: 16 * 8 * 8 * 2 }, () => random()),
        [16, 8, 8, 2],
      );
      const y = tf.oneHot(
        tf.tensor1d(
          Array.from({ length: 16 }, (_, i) => (i + step) % 3),
          'int32',
        ),
        3,
      );
      losses.push((await model.trainOnBatch(x, y)) as number);
      tf.dispose([x, y]);
      tensorsAfterStep.push(tf.memory().numTensors);
    }
    const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
    model.dispose();
    return { losses, weights, tensorsAfterStep };
  }

  it('a batch-normalised CNN trained 4 steps gives the stock losses, weights and moving statistics, and leaks no tensor', async function () {
    const fused = await withFused(true, () => train(4));
    const stock = await withFused(false, () => train(4));
    assertClose(fused.losses, stock.losses, 'losses');
    // The batch statistics kept for the moving averages, and the tensors saved for the backward
    // pass, are all released: a step leaves no more tensors behind than a stock step does (tfjs
    // itself keeps one per training step).
    const growth = (t: number[]) => t[t.length - 1] - t[1];
    assert.equal(
      growth(fused.tensorsAfterStep),
      growth(stock.tensorsAfterStep),
      `tensors after each step: fused ${fused.tensorsAfterStep.join(', ')}; stock ${stock.tensorsAfterStep.join(', ')}`,
    );
    assert.equal(fused.weights.length, stock.weights.length);
    // Adam divides by √v, so a gradient's last-bit differences grow a little over the steps.
    fused.weights.forEach((w, i) => {
      const error = maxRelativeError(w, stock.weights[i]);
      assert.ok(error <= 1e-4, `weight ${i}: relative error ${error}`);
    });
  });
});

describe('FusedBatchNorm at inference (WASM backend): the stock kernel, bit for bit', function () {
  let tf: typeof tfjs;
  /** The stock kernel's C++ function, called as its JavaScript wrapper calls it (by tensor ids). */
  let stock: (
    x: tfjs.Tensor,
    mean: tfjs.Tensor,
    variance: tfjs.Tensor,
    offset: tfjs.Tensor,
    scale: tfjs.Tensor,
    epsilon: number,
  ) => Float32Array;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
    const backend = tf.backend() as unknown as {
      wasm: { cwrap(name: string, ret: null, args: string[]): (...a: number[]) => void };
      dataIdMap: { get(id: object): { id: number } };
      makeOutput(shape: number[], dtype: string): { dataId: object; shape: number[]; dtype: string };
      typedArrayFromHeap(info: object): Float32Array;
      disposeData(id: object): void;
    };
    const call = backend.wasm.cwrap('FusedBatchNorm', null, ['number', 'number', 'number', 'number', 'number', 'number', 'number']);
    const id = (t: { dataId: object }) => backend.dataIdMap.get(t.dataId).id;
    stock = (x, mean, variance, offset, scale, epsilon) => {
      const out = backend.makeOutput(x.shape, 'float32');
      call(id(x), id(mean), id(variance), id(offset), id(scale), epsilon, id(out));
      const values = backend.typedArrayFromHeap(out).slice();
      backend.disposeData(out.dataId);
      return values;
    };
  });

  /** Bit patterns, with every NaN the same. */
  const bits = (values: Float32Array): number[] => Array.from(new Uint32Array(values.buffer), (b, i) => (Number.isNaN(values[i]) ? -1 : b));

  for (const [rows, channels] of [
    [200, 96],
    [333, 13],
    [5, 3],
    [64, 4],
  ])
    it(`normalises ${rows} × ${channels} values as the stock kernel does, special values included`, () => {
      const random = rng(rows * channels);
      const values = (n: number, f: () => number) => Float32Array.from({ length: n }, f);
      const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3.4e38];
      const x = tf.tensor(
        values(rows * channels, () => (random() < 0.02 ? special[Math.floor(random() * special.length)] : (random() - 0.5) * 40)),
        [rows, channels],
      );
      const mean = tf.tensor(values(channels, () => random() - 0.5));
      const variance = tf.tensor(values(channels, () => (random() < 0.15 ? -random() : random() * 4)));
      const offset = tf.tensor(values(channels, () => (random() < 0.15 ? 0 : random() - 0.5)));
      const scale = tf.tensor(values(channels, () => (random() < 0.15 ? 0 : random() * 3)));
      const ours = tf.batchNorm(x, mean, variance, offset, scale, 0.001).dataSync() as Float32Array;
      assert.deepEqual(bits(ours), bits(stock(x, mean, variance, offset, scale, 0.001)));
      tf.dispose([x, mean, variance, offset, scale]);
    });

  it('leaves broadcast statistics and a missing offset to the stock kernel', () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
    const mean = tf.tensor([0.5]);
    const variance = tf.tensor([2, 3]);
    const scale = tf.tensor([1.5, 0.5]);
    // Broadcast mean: the stock kernel's wrap-around indices.
    assert.deepEqual(
      Array.from(tf.batchNorm(x, mean, variance, tf.tensor([0.1, 0.2]), scale, 0.01).dataSync()),
      Array.from(stock(x, mean, variance, tf.tensor([0.1, 0.2]), scale, 0.01)),
    );
    // No offset: whatever the stock kernel does with it, the result is the stock kernel's.
    const engine = tf.engine() as unknown as { runKernel(name: string, inputs: object, attrs: object): tfjs.Tensor };
    const withoutOffset = engine.runKernel('FusedBatchNorm', { x, mean: tf.tensor([0, 0]), variance, scale }, { varianceEpsilon: 0.01 });
    assert.equal(withoutOffset.shape.join(), '3,2');
  });
});
