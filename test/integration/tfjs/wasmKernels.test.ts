/**
 * The WASM training kernels (src/tfjs/wasmKernels.ts) against the CPU backend's kernels, which
 * are tfjs's own reference implementations, plus end-to-end training under WASM.
 *
 * Errors are "max relative error": the largest absolute difference divided by the largest
 * magnitude in the CPU result (a normwise relative error, so that near-zero entries do not blow
 * it up). The CPU backend sums in JS doubles, XNNPACK (under the WASM Conv2D) in float32, so the
 * error grows with the length of the sums: ≈1e-7 for the small cases, ≈2e-6 for the LeNet-sized
 * layer (4,096 terms per filter entry); a CIFAR-sized filter gradient (64·32·32 terms) reaches
 * ≈1e-5. The bound is 1e-5. Set SHOW_KERNEL_ERRORS=1 to print the error of every case.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { createModel as createLeNet } from '../../../examples/mnist-lenet';
import { initBackend } from '../../../src/tfjs/backend';
import { filterGradientByLoop, registerWasmTrainingKernels } from '../../../src/tfjs/wasmKernels';
import { useFusedMultiplyAdd } from '../../../src/tfjs/wasmTrainingInstances';
import { maxRelativeError, randomValues, size } from '../../support/kernelComparison';
import { rng } from '../../support/reference';

type Tf = typeof tfjs;
type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  /** `[B, H, W, C]`. */
  x: Shape4;
  /** `[KH, KW, C, O]`. */
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const TOLERANCE = 1e-5;
const KERNEL_NAMES = [
  'Conv2D',
  'FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'Tile',
  'Sum',
  'Mean',
  'BatchMatMul',
  'Identity',
  'GatherV2',
  'Add',
  'CnnSlicerReluGrad',
  'CnnSlicerAdamUpdate',
  'CnnSlicerMomentumUpdate',
  'CnnSlicerRMSPropUpdate',
  'FusedBatchNorm',
];
const showErrors = process.env.SHOW_KERNEL_ERRORS === '1';

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function describeCase(c: ConvCase): string {
  const pad = typeof c.pad === 'object' ? `explicit ${JSON.stringify(c.pad.slice(1, 3))}` : String(c.pad);
  return `x ${c.x.join('×')}, filter ${c.filter.join('×')}, stride ${String(c.strides)}, pad ${pad}${c.dimRoundingMode ? ` ${c.dimRoundingMode}` : ''}`;
}

/**
 * The gradients of `Σ conv2d(x, filter) ⊙ w` with respect to x and the filter on `backendName`,
 * so the output gradient reaching the backprop kernels is the random `w`.
 */
async function convGradients(tf: Tf, backendName: string, c: ConvCase, seed: number) {
  await tf.setBackend(backendName);
  const random = rng(seed);
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode);
  const xValues = randomValues(size(c.x), random);
  const filterValues = randomValues(size(c.filter), random);
  const wValues = randomValues(size(info.outShape), random);
  const [dx, dFilter] = tf.tidy(() => {
    const x = tf.tensor4d(xValues, c.x);
    const filter = tf.tensor4d(filterValues, c.filter);
    const w = tf.tensor4d(wValues, info.outShape);
    const gradients = tf.grads((xIn: tfjs.Tensor, filterIn: tfjs.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xIn as tfjs.Tensor4D, filterIn as tfjs.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), w)),
    );
    return gradients([x, filter]);
  });
  const result = { dx: Float32Array.from(dx.dataSync()), dFilter: Float32Array.from(dFilter.dataSync()) };
  tf.dispose([dx, dFilter]);
  return result;
}

/** Every combination the brief asks for, on three shape sets covering batch 1/3 and channels 1/3/8. */
function gridCases(): ConvCase[] {
  const shapeSets: { x: Shape4; outChannels: number }[] = [
    { x: [1, 9, 7, 1], outChannels: 3 },
    { x: [3, 8, 11, 3], outChannels: 8 },
    { x: [3, 10, 6, 8], outChannels: 1 },
    // Input channels a multiple of 4 and output channels of 8: at stride 1 the filter gradient is
    // the WebAssembly kernel of src/tfjs/wasm/training.wat.
    { x: [3, 10, 6, 8], outChannels: 16 },
  ];
  const cases: ConvCase[] = [];
  for (const { x, outChannels } of shapeSets) {
    for (const strides of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const k of [1, 2, 3, 4, 5]) cases.push({ x, filter: [k, k, x[3], outChannels], strides, pad });
      }
    }
  }
  // Non-square filters and strides, explicit padding (some larger than the filter minus one, which
  // the single-convolution route for the input gradient does not cover), a numeric pad with rounding.
  cases.push(
    // The WebAssembly filter gradient with explicit padding, some beyond the filter's reach, and
    // several tiles of 4 input by 8 output channels (the LeNet-sized case below has long sums).
    {
      x: [2, 7, 9, 4],
      filter: [3, 3, 4, 8],
      strides: 1,
      pad: [
        [0, 0],
        [2, 0],
        [1, 3],
        [0, 0],
      ],
    },
    { x: [2, 12, 12, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
    { x: [2, 9, 8, 3], filter: [3, 2, 3, 4], strides: [1, 2], pad: 'same' },
    { x: [2, 9, 8, 3], filter: [2, 5, 3, 4], strides: [2, 1], pad: 'valid' },
    {
      x: [2, 7, 9, 2],
      filter: [3, 3, 2, 3],
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
      filter: [3, 3, 2, 3],
      strides: 1,
      pad: [
        [0, 0],
        [0, 3],
        [1, 1],
        [0, 0],
      ],
    },
    {
      x: [2, 7, 9, 2],
      filter: [3, 3, 2, 3],
      strides: 2,
      pad: [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    },
    { x: [2, 8, 8, 2], filter: [3, 3, 2, 3], strides: 2, pad: 1, dimRoundingMode: 'floor' },
    // Padding beyond the filter's reach (top 3 with a 2×2 filter): the input gradient's
    // convolution then starts past dy's first rows.
    {
      x: [2, 7, 9, 2],
      filter: [2, 2, 2, 3],
      strides: 1,
      pad: [
        [0, 0],
        [3, 1],
        [0, 2],
        [0, 0],
      ],
    },
    {
      x: [2, 7, 9, 2],
      filter: [2, 2, 2, 3],
      strides: 2,
      pad: [
        [0, 0],
        [3, 1],
        [4, 0],
        [0, 0],
      ],
    },
    // Stride 3 with a 2×2 filter: one phase of rows and columns has no tap at all.
    { x: [2, 10, 9, 3], filter: [2, 2, 3, 4], strides: 3, pad: 'same' },
    // A LeNet-sized layer, so the sums are long (64·8·8 = 4,096 terms per filter entry).
    { x: [64, 12, 12, 8], filter: [5, 5, 8, 16], strides: 1, pad: 'valid' },
    // Stride 1, output channels a multiple of 8 and 1 to 3 input channels: the filter gradient reads
    // the input as overlapping patches (filterGradientPatches) where that wastes fewer rows than
    // padding the channels to 4, including LeNet's first layer, 'same' padding, explicit padding
    // and filters whose rows end beside the input's right edge.
    { x: [64, 28, 28, 1], filter: [5, 5, 1, 8], strides: 1, pad: 'valid' },
    { x: [3, 9, 7, 1], filter: [3, 3, 1, 16], strides: 1, pad: 'same' },
    { x: [3, 9, 7, 1], filter: [2, 3, 1, 8], strides: 1, pad: 'same' },
    { x: [2, 9, 11, 1], filter: [4, 7, 1, 8], strides: 1, pad: 'valid' },
    { x: [2, 8, 10, 2], filter: [3, 3, 2, 8], strides: 1, pad: 'same' },
    { x: [2, 8, 10, 3], filter: [5, 5, 3, 8], strides: 1, pad: 'same' },
    {
      x: [2, 8, 10, 1],
      filter: [3, 5, 1, 8],
      strides: 1,
      pad: [
        [0, 0],
        [2, 0],
        [0, 3],
        [0, 0],
      ],
    },
  );
  return cases;
}

describe('WASM training kernels', function () {
  // The wasm module compiles once (≈0.3 s); the whole file runs in a few seconds.
  this.timeout(20_000);

  let tf: Tf;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
  });

  after(async function () {
    await tf.setBackend('wasm');
  });

  describe('registration', function () {
    it('registers the convolution, depthwise-convolution, max-pool and segment-sum gradients, the faster Conv2D, the convolutions given explicit padding, Tile, Sum, Mean, BatchMatMul, Identity, GatherV2 and Add (of a bias), the fused ReLU gradient, the fused optimizer updates and FusedBatchNorm at inference for wasm', function () {
      const names = registerWasmTrainingKernels(tf);
      assert.deepEqual(names, KERNEL_NAMES);
      for (const name of names) assert.ok(tf.getKernel(name, 'wasm'), `${name} is not registered`);
    });

    // tfjs-backend-wasm gives 'same' to XNNPACK as its TensorFlow-SAME flag, which was wrong where
    // the input overhangs the last window (a 2×2 filter at stride 3 on 6 rows): 75 of 675 small
    // shapes of these convolutions disagreed with the CPU backend before the padding was made explicit.
    it("computes strided 'same' convolutions (plain, fused, depthwise) where the input overhangs the last window as the CPU backend does", async function () {
      const shapes: [number, number, number, number][] = [
        [3, 2, 6, 5],
        [3, 2, 9, 7],
        [4, 2, 7, 8],
        [4, 3, 8, 5],
        [2, 3, 7, 7],
      ];
      for (const [stride, size, height, width] of shapes) {
        const x = tf.randomNormal<tfjs.Rank.R4>([2, height, width, 3], 0, 1, 'float32', 1);
        const filter = tf.randomNormal<tfjs.Rank.R4>([size, size, 3, 4], 0, 1, 'float32', 2);
        const depthwiseFilter = tf.randomNormal<tfjs.Rank.R4>([size, size, 3, 2], 0, 1, 'float32', 3);
        const bias = tf.randomNormal<tfjs.Rank.R1>([4], 0, 1, 'float32', 4);
        const ops = {
          conv2d: () => tf.conv2d(x, filter, stride, 'same'),
          'fused conv2d': () => tf.fused.conv2d({ x, filter, strides: stride, pad: 'same', bias, activation: 'relu' }),
          depthwiseConv2d: () => tf.depthwiseConv2d(x, depthwiseFilter, stride, 'same'),
        };
        for (const [name, op] of Object.entries(ops)) {
          await tf.setBackend('wasm');
          const ours = op();
          const oursValues = ours.dataSync();
          await tf.setBackend('cpu');
          const reference = op();
          assert.deepEqual(ours.shape, reference.shape);
          const error = maxAbsDifference(oursValues, reference.dataSync());
          assert.ok(error < 1e-4, `${name}, stride ${stride}, ${size}×${size} filter on ${height}×${width}: off by ${error}`);
        }
        await tf.setBackend('wasm');
      }
    });

    it('is idempotent: a second call returns the same names and leaves the kernels as they were', function () {
      const before = KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm').kernelFunc);
      assert.deepEqual(registerWasmTrainingKernels(tf), KERNEL_NAMES);
      const after = KERNEL_NAMES.map((name) => tf.getKernel(name, 'wasm').kernelFunc);
      assert.deepEqual(after, before);
    });
  });

  describe('conv2d gradients agree with the CPU backend (max relative error ≤ 1e-5)', function () {
    const errors: string[] = [];
    after(function () {
      if (showErrors) console.log(errors.join('\n'));
    });

    gridCases().forEach((c, index) => {
      it(describeCase(c), async function () {
        const wasm = await convGradients(tf, 'wasm', c, 1000 + index);
        const cpu = await convGradients(tf, 'cpu', c, 1000 + index);
        const filterError = maxRelativeError(wasm.dFilter, cpu.dFilter);
        const inputError = maxRelativeError(wasm.dx, cpu.dx);
        errors.push(`${describeCase(c)}: filter ${filterError.toExponential(2)}, input ${inputError.toExponential(2)}`);
        assert.ok(filterError <= TOLERANCE, `filter gradient error ${filterError}`);
        assert.ok(inputError <= TOLERANCE, `input gradient error ${inputError}`);
      });
    });
  });

  describe('the forward convolution agrees with the CPU backend (max relative error ≤ 1e-5)', function () {
    // Stride 1 with output channels a multiple of 8 runs the fused multiply-add kernel, the rest the
    // stock one. Only stride 1 is compared: the stock kernel itself differs from the CPU backend on
    // some strided 'same' cases (x 2×10×9×3, filter 2×2×3×4, stride 3), which this module leaves alone.
    gridCases()
      .filter((c) => c.strides === 1)
      .forEach((c, index) => {
        it(describeCase(c), async function () {
          const outputs: Float32Array[] = [];
          for (const backendName of ['wasm', 'cpu']) {
            await tf.setBackend(backendName);
            const random = rng(3000 + index);
            const x = tf.tensor4d(randomValues(size(c.x), random), c.x);
            const filter = tf.tensor4d(randomValues(size(c.filter), random), c.filter);
            const y = tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode);
            outputs.push(Float32Array.from(y.dataSync()));
            tf.dispose([x, filter, y]);
          }
          const error = maxRelativeError(outputs[0], outputs[1]);
          assert.ok(error <= TOLERANCE, `output error ${error}`);
        });
      });
  });

  describe('the filter-gradient kernel with and without fused multiply-adds', function () {
    // Stride 1 and output channels a multiple of 8: the cases the WebAssembly filter gradient takes.
    const kernelCases = () => gridCases().filter((c) => c.strides === 1 && c.filter[3] % 8 === 0);

    afterEach(function () {
      useFusedMultiplyAdd(true);
    });

    it('compiles the fused (relaxed-SIMD) kernel on this Node, so training uses it', function () {
      assert.equal(useFusedMultiplyAdd(true), true);
    });

    it(`without fused multiply-adds agrees with the CPU backend too (${kernelCases().length} cases, max relative error ≤ 1e-5)`, async function () {
      // Thirty cases, three of them LeNet-sized on the slow CPU backend.
      this.timeout(120_000);
      useFusedMultiplyAdd(false);
      for (const [index, c] of kernelCases().entries()) {
        const wasm = await convGradients(tf, 'wasm', c, 5000 + index);
        const cpu = await convGradients(tf, 'cpu', c, 5000 + index);
        const filterError = maxRelativeError(wasm.dFilter, cpu.dFilter);
        assert.ok(filterError <= TOLERANCE, `${describeCase(c)}: filter gradient error ${filterError}`);
      }
    });

    it('the fused and unfused kernels differ only in rounding (max relative difference ≤ 1e-5) on a CIFAR-sized layer', async function () {
      const c: ConvCase = { x: [16, 16, 16, 32], filter: [3, 3, 32, 64], strides: 1, pad: 'same' };
      useFusedMultiplyAdd(false);
      const plain = await convGradients(tf, 'wasm', c, 77);
      useFusedMultiplyAdd(true);
      const fused = await convGradients(tf, 'wasm', c, 77);
      const difference = maxRelativeError(fused.dFilter, plain.dFilter);
      assert.ok(difference <= TOLERANCE, `difference ${difference}`);
      // Rounding once per multiply-add instead of twice gives different bits somewhere in 147,456 sums.
      assert.notDeepEqual(fused.dFilter, plain.dFilter);
    });
  });

  describe('max-pool gradients agree with the CPU backend, ties included (max relative error ≤ 1e-5)', function () {
    interface PoolCase {
      x: Shape4;
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: Pad;
    }
    const cases: PoolCase[] = [];
    for (const x of [
      [1, 9, 7, 1],
      [3, 8, 11, 3],
      [2, 10, 6, 8],
      // Four channels at a time in the WASM kernel (a multiple of 4), against one at a time above.
      [2, 8, 9, 16],
    ] as Shape4[]) {
      for (const filterSize of [2, 3]) {
        for (const strides of [1, 2]) {
          for (const pad of ['same', 'valid'] as const) cases.push({ x, filterSize, strides, pad });
        }
      }
    }
    cases.push({ x: [2, 9, 8, 3], filterSize: [3, 2], strides: [2, 1], pad: 'same' });
    const errors: string[] = [];
    after(function () {
      if (showErrors) console.log(errors.join('\n'));
    });

    cases.forEach((c, index) => {
      const name = `x ${c.x.join('×')}, pool ${String(c.filterSize)}, stride ${String(c.strides)}, pad ${String(c.pad)}`;
      it(name, async function () {
        const random = rng(3000 + index);
        // Small integers after a ReLU: about half the inputs are 0 and many windows hold ties,
        // which must go to the same input as on the CPU backend.
        const xValues = Float32Array.from({ length: size(c.x) }, () => Math.max(0, Math.floor(random() * 6) - 3));
        const info = tf.backend_util.computePool2DInfo(c.x, c.filterSize, c.strides, 1, c.pad);
        const wValues = randomValues(size(info.outShape), random);
        const run = async (backendName: string) => {
          await tf.setBackend(backendName);
          const x = tf.tensor4d(xValues, c.x);
          const w = tf.tensor4d(wValues, info.outShape);
          const dx = tf.grad((xIn: tfjs.Tensor) =>
            tf.sum(tf.mul(tf.maxPool(xIn as tfjs.Tensor4D, c.filterSize, c.strides, c.pad as 'same' | 'valid'), w)),
          )(x);
          const values = Float32Array.from(dx.dataSync());
          tf.dispose([x, w, dx]);
          return values;
        };
        const error = maxRelativeError(await run('wasm'), await run('cpu'));
        errors.push(`${name}: ${error.toExponential(2)}`);
        assert.ok(error <= TOLERANCE, `error ${error}`);
      });
    });
  });

  describe('channels-first filter gradient (the loop the kernel falls back to)', function () {
    for (const strides of [1, 2]) {
      it(`matches the CPU kernel for NCHW tensors, stride ${strides}, 'same'`, async function () {
        const random = rng(77 + strides);
        const xShape: Shape4 = [2, 3, 9, 7]; // [B, C, H, W]
        const filterShape: Shape4 = [3, 3, 3, 4];
        const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, 'same', undefined, false, 'channelsFirst');
        const xValues = randomValues(size(xShape), random);
        const dyValues = randomValues(size(info.outShape), random);
        const attrs = { strides, pad: 'same', dataFormat: 'NCHW', filterShape } as unknown as tfjs.NamedAttrMap;
        const run = async (backendName: string) => {
          await tf.setBackend(backendName);
          const x = tf.tensor4d(xValues, xShape);
          const dy = tf.tensor4d(dyValues, info.outShape);
          const out = tf.engine().runKernel<tfjs.Tensor>('Conv2DBackpropFilter', { x, dy }, attrs);
          const values = Float32Array.from(out.dataSync());
          tf.dispose([x, dy, out]);
          return values;
        };
        const error = maxRelativeError(await run('wasm'), await run('cpu'));
        assert.ok(error <= TOLERANCE, `error ${error}`);
        // The loop itself, called directly, is the same computation in float64.
        assert.ok(maxRelativeError(filterGradientByLoop(xValues, dyValues, info), await run('cpu')) <= TOLERANCE);
      });
    }
  });

  describe('memory', function () {
    it('releases every intermediate tensor: the WASM backend holds no more buffers after a gradient', async function () {
      await tf.setBackend('wasm');
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const c: ConvCase = { x: [3, 8, 11, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'valid' };
      await convGradients(tf, 'wasm', c, 5); // Warm-up: the first run may create caches.
      const buffersBefore = backend.numDataIds();
      const tensorsBefore = tf.memory().numTensors;
      for (const strides of [1, 2]) await convGradients(tf, 'wasm', { ...c, strides }, 6);
      assert.equal(backend.numDataIds(), buffersBefore);
      assert.equal(tf.memory().numTensors, tensorsBefore);
    });
  });

  describe('limits of tfjs itself', function () {
    it('dilated convolutions, which have no gradient in tfjs 4.22 itself, get ours on both backends (src/tfjs/dilatedConvolution.ts)', async function () {
      for (const backendName of ['wasm', 'cpu']) {
        await tf.setBackend(backendName);
        const x = tf.ones<tfjs.Rank.R4>([1, 7, 7, 1]);
        const grad = tf.grad((f: tfjs.Tensor) => tf.sum(tf.conv2d(x, f as tfjs.Tensor4D, 1, 'same', 'NHWC', 2)))(tf.ones([3, 3, 1, 1]));
        // On a 7×7 map of ones with 'same' padding, tap (u, v) at offset 2·(u − 1), 2·(v − 1) meets the
        // image at (7 − |2(u − 1)|)·(7 − |2(v − 1)|) output positions: 5, 7, 5 per axis.
        const counts = [5, 7, 5];
        assert.deepEqual(
          Array.from(await grad.data()),
          counts.flatMap((a) => counts.map((b) => a * b)),
          backendName,
        );
        x.dispose();
        grad.dispose();
      }
    });
  });

  describe('training a tiny CNN end to end', function () {
    const classes = 3;
    const side = 8;

    /** Three classes, each a bright 3×3 patch at its own place on a noisy 8×8 image. */
    function separableData(n: number, seed: number) {
      const random = rng(seed);
      const images = new Float32Array(n * side * side);
      const labels = new Int32Array(n);
      const corners = [
        [1, 1],
        [4, 4],
        [1, 5],
      ];
      for (let i = 0; i < n; i++) {
        const label = i % classes;
        labels[i] = label;
        for (let p = 0; p < side * side; p++) images[i * side * side + p] = 0.2 * random();
        const [row, col] = corners[label];
        for (let r = row; r < row + 3; r++) for (let q = col; q < col + 3; q++) images[i * side * side + r * side + q] += 0.8;
      }
      return { images, labels };
    }

    function tinyCnn(): tfjs.Sequential {
      const model = tf.sequential();
      model.add(tf.layers.conv2d({ inputShape: [side, side, 1], filters: 4, kernelSize: 3, activation: 'relu' }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
      model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
      return model;
    }

    function tensors(data: { images: Float32Array; labels: Int32Array }) {
      return tf.tidy(() => ({
        x: tf.tensor4d(data.images, [data.labels.length, side, side, 1]),
        y: tf.oneHot(tf.tensor1d(data.labels, 'int32'), classes),
      }));
    }

    function loss(model: tfjs.Sequential, x: tfjs.Tensor, y: tfjs.Tensor): number {
      const value = model.evaluate(x, y, { batchSize: 1024 }) as tfjs.Scalar;
      const result = value.dataSync()[0];
      value.dispose();
      return result;
    }

    it('model.fit for 3 epochs under wasm lowers the loss on a separable dataset', async function () {
      await tf.setBackend('wasm');
      const { x, y } = tensors(separableData(96, 11));
      const model = tinyCnn();
      const before = loss(model, x, y);
      const history = await model.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 });
      const after = loss(model, x, y);
      assert.ok(after < before, `loss went from ${before} to ${after} (history ${JSON.stringify(history.history.loss)})`);
      model.dispose();
      tf.dispose([x, y]);
    });

    it('one training step from the same weights gives the same loss under wasm and cpu (to 1e-4)', async function () {
      const data = separableData(32, 12);
      let weights: Float32Array[] | undefined;
      let shapes: number[][] = [];
      const step = async (backendName: string) => {
        await tf.setBackend(backendName);
        const { x, y } = tensors(data);
        const model = tinyCnn();
        if (weights === undefined) {
          // The first backend's random initial weights, copied out as plain arrays.
          weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
          shapes = model.getWeights().map((w) => w.shape);
        } else {
          const own = weights.map((w, i) => tf.tensor(w, shapes[i]));
          model.setWeights(own);
          tf.dispose(own);
        }
        const lossDuringStep = (await model.trainOnBatch(x, y)) as number;
        const lossAfterStep = loss(model, x, y);
        model.dispose();
        tf.dispose([x, y]);
        return { lossDuringStep, lossAfterStep };
      };
      const wasm = await step('wasm');
      const cpu = await step('cpu');
      assert.ok(
        Math.abs(wasm.lossDuringStep - cpu.lossDuringStep) <= 1e-4,
        `before the update: wasm ${wasm.lossDuringStep}, cpu ${cpu.lossDuringStep}`,
      );
      assert.ok(
        Math.abs(wasm.lossAfterStep - cpu.lossAfterStep) <= 1e-4,
        `after the update: wasm ${wasm.lossAfterStep}, cpu ${cpu.lossAfterStep}`,
      );
      // A step that changes nothing would pass trivially; the loss must have moved.
      assert.ok(Math.abs(wasm.lossAfterStep - wasm.lossDuringStep) > 1e-3, 'the training step did not change the loss');
    });

    it('examples/mnist-lenet.ts trained 4 Adam steps from the same weights gives the same losses under wasm and cpu (to 1e-4)', async function () {
      // Every fast path at once: the 1-channel filter gradient read as patches, the fused
      // multiply-add convolution (forward and input gradient) and dense products, the bias Add
      // and the ReLU gradient.
      this.timeout(120_000);
      const random = rng(15);
      const count = 4 * 16;
      const images = Float32Array.from({ length: count * 28 * 28 }, () => random());
      const labels = Int32Array.from({ length: count }, (_, i) => (i * 7) % 10);
      let weights: { values: Float32Array; shape: number[] }[] | undefined;
      const losses = async (backendName: string): Promise<{ losses: number[]; moved: number }> => {
        await tf.setBackend(backendName);
        const model = createLeNet();
        model.compile({ optimizer: tf.train.adam(0.002), loss: 'categoricalCrossentropy' });
        if (weights === undefined) weights = model.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync()), shape: w.shape }));
        else {
          const own = weights.map((w) => tf.tensor(w.values, w.shape));
          model.setWeights(own);
          tf.dispose(own);
        }
        const result: number[] = [];
        const before = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
        for (let step = 0; step < 4; step++) {
          const [x, y] = tf.tidy(() => [
            tf.tensor4d(images.subarray(step * 16 * 784, (step + 1) * 16 * 784), [16, 28, 28, 1]),
            tf.oneHot(tf.tensor1d(labels.subarray(step * 16, (step + 1) * 16), 'int32'), 10),
          ]);
          result.push((await model.trainOnBatch(x, y)) as number);
          tf.dispose([x, y]);
        }
        // How far the steps moved the weights (Adam moves each weight with a gradient by about the
        // learning rate a step): the losses of four different batches of noise may happen to agree.
        let moved = 0;
        model.getWeights().forEach((w, k) => w.dataSync().forEach((v, i) => (moved = Math.max(moved, Math.abs(v - before[k][i])))));
        model.dispose();
        return { losses: result, moved };
      };
      const wasm = await losses('wasm');
      const cpu = await losses('cpu');
      for (let step = 0; step < 4; step++) {
        assert.ok(
          Math.abs(wasm.losses[step] - cpu.losses[step]) <= 1e-4,
          `step ${step}: wasm ${wasm.losses[step]}, cpu ${cpu.losses[step]}`,
        );
      }
      // Steps that changed nothing would agree trivially.
      assert.ok(wasm.moved > 1e-3, `the steps did not move the weights (at most ${wasm.moved})`);
    });
  });
});

describe('initBackend', function () {
  this.timeout(20_000);

  let tfjsNodeInstalled = true;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    tfjsNodeInstalled = false;
  }

  it(`'auto' picks ${tfjsNodeInstalled ? 'tfjs-node' : 'wasm, giving one line on why tfjs-node was skipped'}`, async function () {
    const { tf, backend, fallbackReasons } = await initBackend('auto');
    if (tfjsNodeInstalled) {
      assert.equal(backend, 'tensorflow');
      assert.deepEqual(fallbackReasons, []);
    } else {
      assert.equal(backend, 'wasm');
      assert.equal(tf.getBackend(), 'wasm');
      assert.deepEqual(fallbackReasons, ['tfjs-node-gpu: not installed', 'tfjs-node: not installed']);
    }
  });

  it("leaves uncaught errors to Node after initialising wasm: exit code 1, not the WASM loader's rethrowing handlers", function () {
    // In a fresh process, because the loader adds its handlers only at the first initialisation.
    const script = [
      "require('./src/tfjs/backend').initBackend('wasm').then((r) => {",
      "  if (r.backend !== 'wasm') { console.error('backend ' + r.backend); process.exit(3); }",
      "  Promise.reject(new Error('deliberately unhandled'));",
      '});',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: path.resolve(__dirname, '../../..'),
      encoding: 'utf8',
    });
    assert.equal(result.status, 1, result.stderr.slice(0, 1000));
    assert.match(result.stderr, /deliberately unhandled/);
    // With the loader's handlers the report starts with its ≈20 kB minified source line.
    assert.ok(result.stderr.length < 5000, `stderr is ${result.stderr.length} characters long`);
  });

  it('initialises wasm from an esbuild bundle, whose folder has no .wasm files, through node_modules', async function () {
    // The layout of a build: the bundle in dist/, node_modules beside it. The WASM loader alone
    // looks for its .wasm files next to the bundle and fails there.
    const repoRoot = path.resolve(__dirname, '../../..');
    const root = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-wasm-bundle-'));
    try {
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'), 'junction');
      const entry = path.join(root, 'entry.ts');
      writeFileSync(
        entry,
        `import { initBackend } from ${JSON.stringify(path.join(repoRoot, 'src', 'tfjs', 'backend'))};\n` +
          `initBackend('wasm').then((r) => console.log(JSON.stringify({ backend: r.backend, reasons: r.fallbackReasons })));\n`,
      );
      const esbuild = await import('esbuild');
      const outfile = path.join(root, 'dist', 'entry.js');
      await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        outfile,
        external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
        logLevel: 'silent',
      });
      assert.ok(!existsSync(path.join(root, 'dist', 'tfjs-backend-wasm-simd.wasm')));
      const result = spawnSync(process.execPath, [outfile], { cwd: root, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr.slice(0, 1000));
      assert.deepEqual(JSON.parse(result.stdout.trim().split('\n').pop()!), { backend: 'wasm', reasons: [] });
    } finally {
      rmSync(root, { recursive: true, force: true }); // Removes the link, not node_modules.
    }
  });

  it("'cpu' gives the CPU backend without trying the others", async function () {
    const { tf, backend, fallbackReasons } = await initBackend('cpu');
    assert.equal(backend, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    assert.deepEqual(fallbackReasons, []);
    await tf.setBackend('wasm');
  });
});
