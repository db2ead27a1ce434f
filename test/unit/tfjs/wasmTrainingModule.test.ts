/**
 * The fused optimizer updates of src/tfjs/wasmTrainingModule.ts against tfjs-core's own optimizers:
 * the same small CNN, from the same weights and batches, trained a few steps on the WASM backend
 * once with the fused kernel and once with the stock `applyGradients` (the fused kernel
 * unregistered, which is how the patched optimizers fall back), must give the same losses, weights
 * and optimizer state to float tolerance. The max-pool gradient's WASM kernel is checked against
 * the CPU backend in wasmKernels.test.ts.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { registerWasmTrainingKernels } from '../../../src/tfjs/wasmKernels';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ADAM_UPDATE, MOMENTUM_UPDATE, RMSPROP_UPDATE } from '../../../src/tfjs/wasmOptimizerKernels';
import { padChannelsLast } from '../../../src/tfjs/wasmTrainingModule';
import { rng } from '../../support/reference';

type Tf = typeof tfjs;

const STEPS = 4;
const TOLERANCE = 1e-5;

/** Largest |a − b| over the largest |b|. */
function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths differ');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    // Where tfjs gives NaN the fused kernel must give NaN too.
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return Infinity;
      continue;
    }
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

interface Trained {
  losses: number[];
  weights: Float32Array[];
  optimizerWeights: { name: string; values: Float32Array }[];
  kernelsRun: string[];
}

describe('fused optimizer updates (WASM backend)', function () {
  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
    registerWasmTrainingKernels(tf);
  });

  after(async function () {
    registerWasmTrainingKernels(tf);
    await tf.setBackend('wasm');
  });

  /** A conv → pool → dense model with seeded weights, and seeded batches. */
  async function train(
    makeOptimizer: () => tfjs.Optimizer,
    kernelName: string,
    fused: boolean,
    activation: 'relu' | 'tanh',
  ): Promise<Trained> {
    await tf.setBackend('wasm');
    const stockKernel = tf.getKernel(kernelName, 'wasm');
    if (!fused) tf.unregisterKernel(kernelName, 'wasm');
    try {
      const model = tf.sequential();
      model.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      model.add(tf.layers.flatten());
      // 37 units: a weight count that is not a multiple of 4 exercises the kernels' scalar tails.
      model.add(tf.layers.dense({ units: 37, activation }));
      model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
      const random = rng(42);
      model.setWeights(
        model.getWeights().map((w) =>
          tf.tensor(
            Float32Array.from({ length: w.size }, () => (random() - 0.5) * 0.6),
            w.shape,
          ),
        ),
      );
      const optimizer = makeOptimizer();
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      const losses: number[] = [];
      const kernelsRun = new Set<string>();
      for (let step = 0; step < STEPS; step++) {
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
        const profile = await tf.profile(async () => {
          losses.push((await model.trainOnBatch(x, y)) as number);
          return [];
        });
        for (const name of profile.kernelNames) kernelsRun.add(name);
        tf.dispose([x, y]);
      }
      const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
      const optimizerWeights = (await optimizer.getWeights()).map(({ name, tensor }) => ({
        name,
        values: Float32Array.from(tensor.dataSync()),
      }));
      model.dispose();
      return { losses, weights, optimizerWeights, kernelsRun: [...kernelsRun] };
    } finally {
      if (!fused && stockKernel) tf.registerKernel(stockKernel);
    }
  }

  const cases: { name: string; kernel: string; make: (tf: Tf) => tfjs.Optimizer; activation?: 'tanh' }[] = [
    { name: 'Adam (the recorder default)', kernel: ADAM_UPDATE, make: (tf) => tf.train.adam(0.01) },
    { name: 'Adam with its own betas and epsilon', kernel: ADAM_UPDATE, make: (tf) => tf.train.adam(0.003, 0.8, 0.95, 1e-4) },
    { name: 'SGD with momentum', kernel: MOMENTUM_UPDATE, make: (tf) => tf.train.momentum(0.05, 0.9) },
    { name: 'SGD with Nesterov momentum', kernel: MOMENTUM_UPDATE, make: (tf) => tf.train.momentum(0.05, 0.8, true) },
    { name: 'RMSprop', kernel: RMSPROP_UPDATE, make: (tf) => tf.train.rmsprop(0.01) },
    // tfjs's centered RMSprop takes √(ms − (mg² + ε)), NaN for a weight whose gradients are all
    // zero (a dead ReLU's bias), which then spreads: tanh keeps every gradient non-zero.
    {
      name: 'RMSprop, centered, with momentum',
      kernel: RMSPROP_UPDATE,
      make: (tf) => tf.train.rmsprop(0.002, 0.85, 0.5, 1e-6, true),
      activation: 'tanh',
    },
  ];

  for (const c of cases) {
    it(`${c.name}: one fused kernel per weight tensor gives the stock optimizer's losses, weights and state over ${STEPS} steps`, async function () {
      const fused = await train(() => c.make(tf), c.kernel, true, c.activation ?? 'relu');
      const stock = await train(() => c.make(tf), c.kernel, false, c.activation ?? 'relu');
      assert.ok(fused.losses.every(Number.isFinite), `losses ${fused.losses.join(', ')}`);
      assert.ok(fused.kernelsRun.includes(c.kernel), `the fused kernel ${c.kernel} did not run`);
      assert.ok(!stock.kernelsRun.includes(c.kernel), 'the stock run used the fused kernel');
      // The stock path runs element-wise kernels (Add, Multiply, Sqrt, …) that the fused path does not.
      assert.ok(stock.kernelsRun.includes('Sqrt') || stock.kernelsRun.includes('Multiply'));
      for (let s = 0; s < STEPS; s++) {
        const error = Math.abs(fused.losses[s] - stock.losses[s]) / Math.abs(stock.losses[s]);
        assert.ok(error <= TOLERANCE, `step ${s}: loss ${fused.losses[s]} against ${stock.losses[s]}`);
      }
      assert.equal(fused.weights.length, stock.weights.length);
      fused.weights.forEach((w, i) => assert.ok(maxRelativeError(w, stock.weights[i]) <= TOLERANCE, `weight ${i}`));
      assert.deepEqual(
        fused.optimizerWeights.map((w) => w.name.replace(/\d+\//g, '/')),
        stock.optimizerWeights.map((w) => w.name.replace(/\d+\//g, '/')),
        'the optimizer keeps the same state variables, in the same order',
      );
      fused.optimizerWeights.forEach((w, i) => {
        assert.ok(maxRelativeError(w.values, stock.optimizerWeights[i].values) <= TOLERANCE, `optimizer state ${w.name}`);
      });
    });
  }

  it('leaves other backends to the stock optimizer: on the CPU backend Adam runs its element-wise kernels', async function () {
    await tf.setBackend('cpu');
    try {
      const v = tf.variable(tf.tensor1d([1, 2, 3]));
      const optimizer = tf.train.adam(0.1);
      const profile = await tf.profile(() => {
        optimizer.minimize(() => tf.sum<tfjs.Scalar>(tf.square(v)));
        return [];
      });
      assert.ok(!profile.kernelNames.includes(ADAM_UPDATE));
      assert.ok(profile.kernelNames.includes('Sqrt'));
      assert.ok(v.dataSync()[0] < 1, 'the stock update moved the weight');
      optimizer.dispose();
      v.dispose();
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

describe('padChannelsLast (WASM backend)', function () {
  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
  });

  const cases = [
    { shape: [2, 5, 7, 3], pads: { top: 1, bottom: 2, left: 3, right: 1, channels: 3 } },
    { shape: [2, 5, 7, 3], pads: { top: 0, bottom: 0, left: 0, right: 0, channels: 4 } },
    { shape: [1, 4, 6, 1], pads: { top: 2, bottom: 0, left: 0, right: 5, channels: 1 } },
    { shape: [3, 3, 2, 2], pads: { top: 1, bottom: 1, left: 1, right: 1, channels: 5 } },
    { shape: [2, 4, 4, 8], pads: { top: 0, bottom: 0, left: 0, right: 0, channels: 8 } },
  ];
  for (const { shape, pads } of cases) {
    it(`pads ${shape.join('×')} by ${JSON.stringify(pads)} exactly as tf.pad does`, function () {
      const random = rng(shape.reduce((a, b) => a * b, 1));
      const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
      const x = tf.tensor4d(values, shape as [number, number, number, number]);
      // Garbage first, so that a cell the kernel forgets to write shows.
      const garbage = tf.fill([4096], Number.NaN);
      garbage.dispose();
      const backend = tf.backend() as unknown as BackendWasm;
      const info = padChannelsLast(backend, x, pads);
      const padded = tf.engine().makeTensorFromTensorInfo(info);
      const expected = tf.pad(x, [
        [0, 0],
        [pads.top, pads.bottom],
        [pads.left, pads.right],
        [0, pads.channels - shape[3]],
      ]);
      assert.deepEqual(padded.shape, expected.shape);
      assert.deepEqual(Array.from(padded.dataSync()), Array.from(expected.dataSync()));
      tf.dispose([x, padded, expected]);
    });
  }
});

describe('fused ReLU gradient (WASM backend)', function () {
  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
    registerWasmTrainingKernels(tf);
  });

  after(async function () {
    await tf.setBackend('wasm');
  });

  /** Values with every case step() tells apart: positive, negative, ±0, NaN, ±∞, and an odd length for the scalar tail. */
  function values(n: number, seed: number): Float32Array {
    const random = rng(seed);
    const special = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -1e-40];
    return Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length] : random() * 2 - 1));
  }

  /** `Object.is` element by element, so −0 against +0 and NaN against NaN count. */
  function sameBits(a: Float32Array, b: Float32Array): boolean {
    return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  }

  for (const n of [1, 7, 64, 1027]) {
    it(`gives the bits tfjs-core's dy · step(x) gives, −0 and NaN included (${n} values)`, async function () {
      const x = values(n, n);
      const dy = values(n, n + 1);
      const results: Float32Array[] = [];
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        const kernelsRun: string[] = [];
        const profile = await tf.profile(() => {
          const [gradient] = tf.grads((input: tfjs.Tensor) => tf.relu(input))([tf.tensor1d(x)], tf.tensor1d(dy));
          results.push(Float32Array.from(gradient.dataSync()));
          return gradient;
        });
        for (const k of profile.kernels) kernelsRun.push(k.name);
        if (backend === 'wasm') assert.ok(kernelsRun.includes('CnnSlicerReluGrad'), `wasm ran ${kernelsRun.join(', ')}`);
        else assert.ok(kernelsRun.includes('Step') && !kernelsRun.includes('CnnSlicerReluGrad'), `cpu ran ${kernelsRun.join(', ')}`);
      }
      // The stock formula on wasm too, for the same arithmetic on the same backend.
      await tf.setBackend('wasm');
      const stock = tf.tidy(() => Float32Array.from(tf.mul(tf.tensor1d(dy), tf.cast(tf.step(tf.tensor1d(x)), 'float32')).dataSync()));
      assert.ok(sameBits(results[0], stock), 'fused and stock formula differ on wasm');
      assert.ok(sameBits(results[0], results[1]), 'wasm and cpu differ');
    });
  }
});

describe('Add of a bias (WASM backend)', function () {
  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
    registerWasmTrainingKernels(tf);
  });

  after(async function () {
    await tf.setBackend('wasm');
  });

  // A bias on either side, channel counts with and without a SIMD tail, and pairs the stock kernel keeps.
  const cases: [number[], number[]][] = [
    [[64, 24, 24, 8], [8]],
    [[8], [2, 3, 8]],
    [[5, 3], [3]],
    [[3, 2, 7], [7]],
    [[4], [4]],
    [
      [2, 3],
      [2, 1],
    ],
    [
      [2, 3, 4],
      [3, 4],
    ],
  ];
  for (const [aShape, bShape] of cases) {
    it(`adds ${aShape.join('×')} and ${bShape.join('×')} exactly as the CPU backend does`, async function () {
      const random = rng(aShape.length * 100 + bShape.length);
      const aValues = Float32Array.from({ length: aShape.reduce((p, d) => p * d, 1) }, () => random() * 2 - 1);
      const bValues = Float32Array.from({ length: bShape.reduce((p, d) => p * d, 1) }, () => random() * 2 - 1);
      const results: Float32Array[] = [];
      for (const backend of ['wasm', 'cpu']) {
        await tf.setBackend(backend);
        results.push(tf.tidy(() => Float32Array.from(tf.add(tf.tensor(aValues, aShape), tf.tensor(bValues, bShape)).dataSync())));
      }
      assert.deepEqual(results[0], results[1]);
    });
  }
});
