/**
 * The WASM kernels of src/tfjs/wasmReductionKernels.ts (`Tile`, `Sum`, `Mean`, `BatchMatMul`
 * replacements and the missing `UnsortedSegmentSum`) against the CPU backend's kernels, over the
 * cases they take over and the cases they hand back to the stock kernels.
 */
import assert from 'node:assert/strict';
import type * as tfjs from '@tensorflow/tfjs';
import { initBackend } from '../../../src/tfjs/backend';
import { maxRelativeError, onBothBackends, randomValues, size } from '../../support/kernelComparison';
import { rng } from '../../support/reference';

const TOLERANCE = 1e-5;

describe('WASM reduction, tiling, matrix-product and segment-sum kernels', function () {
  this.timeout(60_000);
  let tf: typeof tfjs;

  before(async function () {
    ({ tf } = await initBackend('wasm'));
  });

  async function assertSameOnBothBackends(compute: () => tfjs.Tensor | tfjs.Tensor[], tolerance = TOLERANCE): Promise<void> {
    const { wasm, cpu } = await onBothBackends(tf, compute);
    wasm.forEach((values, i) => {
      const error = maxRelativeError(values, cpu[i]);
      assert.ok(error <= tolerance, `result ${i}: error ${error}`);
    });
  }

  describe('Tile equals the CPU kernel', function () {
    const cases: { shape: number[]; reps: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
      { shape: [1, 1, 1, 32], reps: [64, 28, 28, 1], dtype: 'float32' },
      { shape: [3], reps: [4], dtype: 'float32' },
      { shape: [2, 3], reps: [1, 1], dtype: 'float32' },
      { shape: [2, 3], reps: [3, 1], dtype: 'int32' },
      { shape: [2, 3], reps: [1, 4], dtype: 'float32' },
      { shape: [2, 1, 3], reps: [2, 5, 2], dtype: 'float32' },
      { shape: [3, 2, 2, 2], reps: [1, 2, 1, 3], dtype: 'bool' },
      { shape: [2, 0, 3], reps: [2, 2, 2], dtype: 'float32' },
    ];
    for (const c of cases) {
      it(`${c.dtype} ${c.shape.join('×')} by ${c.reps.join('×')}`, async function () {
        const values = Float32Array.from({ length: size(c.shape) }, (_, i) => (c.dtype === 'bool' ? Number(i % 3 === 0) : i * 1.5 - 7));
        const { wasm, cpu } = await onBothBackends(tf, () => tf.tile(tf.tensor(values, c.shape, c.dtype), c.reps));
        assert.deepEqual(wasm[0], cpu[0]);
      });
    }
  });

  describe('Sum and Mean equal the CPU kernels (max relative error ≤ 1e-5)', function () {
    const cases: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
      { shape: [64, 28, 28, 32], axis: [0, 1, 2], keepDims: true },
      { shape: [64, 14, 14, 64], axis: [0, 1, 2], keepDims: false },
      { shape: [8, 5, 3], axis: [1, 0], keepDims: false },
      { shape: [8, 5], axis: 0, keepDims: false },
      { shape: [8, 5, 3], axis: [0, 2], keepDims: true }, // Not leading: the stock kernel.
      { shape: [8, 5, 3], axis: -1, keepDims: false },
      { shape: [8, 5, 3], axis: [0, 1, 2], keepDims: false },
    ];
    cases.forEach((c, index) => {
      for (const op of ['sum', 'mean'] as const) {
        it(`${op} of ${c.shape.join('×')} over ${JSON.stringify(c.axis)}${c.keepDims ? ', keeping dims' : ''}`, async function () {
          const values = randomValues(size(c.shape), rng(700 + index));
          await assertSameOnBothBackends(() => tf[op](tf.tensor(values, c.shape), c.axis, c.keepDims));
        });
      }
    });

    it('int32 sums (counts in metrics) go to the stock kernel and stay exact', async function () {
      const values = Int32Array.from({ length: 60 }, (_, i) => i - 20);
      const { wasm, cpu } = await onBothBackends(tf, () => tf.sum(tf.tensor(values, [10, 6], 'int32'), 0));
      assert.deepEqual(wasm[0], cpu[0]);
    });
  });

  describe('BatchMatMul with transpose flags equals the CPU kernel (max relative error ≤ 1e-5)', function () {
    const cases: { a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }[] = [
      { a: [64, 300], b: [64, 12], transposeA: true, transposeB: false },
      { a: [64, 12], b: [300, 12], transposeA: false, transposeB: true },
      { a: [12, 64], b: [30, 12], transposeA: true, transposeB: true },
      { a: [3, 7, 5], b: [3, 7, 4], transposeA: true, transposeB: false },
      { a: [3, 5, 7], b: [1, 4, 7], transposeA: false, transposeB: true },
      { a: [5, 7], b: [7, 4], transposeA: false, transposeB: false },
      // Output columns a multiple of 8, at least 4 rows and one batch: the fused multiply-add kernel
      // (rows not a multiple of 4 included), and a reduction too long for it (K > 1024: the stock one).
      { a: [64, 256], b: [256, 64], transposeA: false, transposeB: false },
      { a: [1, 6, 40], b: [1, 40, 16], transposeA: false, transposeB: false },
      { a: [7, 33], b: [33, 24], transposeA: false, transposeB: false },
      { a: [256, 64], b: [256, 16], transposeA: true, transposeB: false },
      { a: [64, 128], b: [40, 128], transposeA: false, transposeB: true },
      { a: [4, 1100], b: [1100, 8], transposeA: false, transposeB: false },
    ];
    cases.forEach((c, index) => {
      it(`${c.a.join('×')}${c.transposeA ? 'ᵀ' : ''} · ${c.b.join('×')}${c.transposeB ? 'ᵀ' : ''}`, async function () {
        const random = rng(800 + index);
        const a = randomValues(size(c.a), random);
        const b = randomValues(size(c.b), random);
        await assertSameOnBothBackends(() => tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.transposeA, c.transposeB));
      });
    });
  });

  describe('Identity shares its input, as on the CPU backend', function () {
    it('a clone reads the same values, and stays readable after the original is disposed', async function () {
      await tf.setBackend('wasm');
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const original = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
      const buffersBefore = backend.numDataIds();
      const copy = tf.clone(original);
      assert.equal(backend.numDataIds(), buffersBefore, 'the clone allocated a buffer');
      original.dispose();
      assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4, 5, 6]);
      copy.dispose();
      assert.equal(backend.numDataIds(), buffersBefore - 1);
    });

    it('a variable assigned from a clone keeps its value when the source is disposed', async function () {
      await tf.setBackend('wasm');
      const source = tf.tensor1d([1, 2, 3]);
      const variable = tf.variable(tf.zeros([3]));
      variable.assign(tf.clone(source));
      source.dispose();
      assert.deepEqual(Array.from(variable.dataSync()), [1, 2, 3]);
      variable.dispose();
    });
  });

  describe('GatherV2 (how model.fit takes each shuffled batch) equals the CPU kernel', function () {
    const cases: { shape: number[]; axis: number; indexShape: number[]; dtype: 'float32' | 'int32' | 'bool' }[] = [
      // A batch of 13 images out of 50, with repeats: slices of 98 values (block copies).
      { shape: [50, 7, 7, 2], axis: 0, indexShape: [13], dtype: 'float32' },
      { shape: [4, 5], axis: 1, indexShape: [7], dtype: 'int32' },
      { shape: [3, 4, 20], axis: 1, indexShape: [2, 3], dtype: 'float32' },
      { shape: [6, 3], axis: -1, indexShape: [4], dtype: 'bool' },
    ];
    for (const c of cases) {
      it(`${c.dtype} ${c.shape.join('×')}, axis ${c.axis}, indices ${c.indexShape.join('×')}`, async function () {
        const values = Float32Array.from({ length: size(c.shape) }, (_, i) => (c.dtype === 'bool' ? Number(i % 3 === 0) : i * 1.5 - 7));
        const dim = c.shape.at(c.axis)!;
        const ids = Int32Array.from({ length: size(c.indexShape) }, (_, i) => (i * 7 + 3) % dim);
        const { wasm, cpu } = await onBothBackends(tf, () =>
          tf.gather(tf.tensor(values, c.shape, c.dtype), tf.tensor(ids, c.indexShape, 'int32'), c.axis),
        );
        assert.deepEqual(wasm[0], cpu[0]);
      });
    }

    it('rejects an index outside the axis, as the stock kernel does', async function () {
      await tf.setBackend('wasm');
      assert.throws(
        () => tf.gather(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([0, 2], 'int32')),
        /GatherV2: the index value 2 is not in \[0, 1\]/,
      );
    });
  });

  describe('UnsortedSegmentSum (the embedding gradient), which the stock WASM backend lacks', function () {
    it('is registered for wasm', function () {
      assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'));
    });

    it('sums rows by segment like the CPU kernel, ids out of range dropped, float32 and int32', async function () {
      const random = rng(900);
      const x = randomValues(12 * 5, random);
      const ids = Int32Array.from({ length: 12 }, (_, i) => [0, 3, 1, 3, 7, -1, 2, 0, 3, 1, 1, 0][i]);
      await assertSameOnBothBackends(() => tf.unsortedSegmentSum(tf.tensor2d(x, [12, 5]), tf.tensor1d(ids, 'int32'), 5));
      const xInt = Int32Array.from({ length: 12 * 2 * 3 }, (_, i) => (i % 7) - 3);
      const { wasm, cpu } = await onBothBackends(tf, () =>
        tf.unsortedSegmentSum(tf.tensor3d(xInt, [12, 2, 3], 'int32'), tf.tensor1d(ids, 'int32'), 4),
      );
      assert.deepEqual(wasm[0], cpu[0]);
    });

    it('the gradient of gather (an embedding lookup) equals the CPU backend', async function () {
      const random = rng(901);
      const table = randomValues(20 * 6, random);
      const indices = Int32Array.from({ length: 4 * 7 }, () => Math.floor(random() * 20));
      const w = randomValues(4 * 7 * 6, random);
      await assertSameOnBothBackends(() =>
        tf.grad((t: tfjs.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor2d(indices, [4, 7], 'int32')), tf.tensor3d(w, [4, 7, 6]))))(
          tf.tensor2d(table, [20, 6]),
        ),
      );
    });
  });

  it('releases every intermediate buffer (Sum, Mean, Tile, BatchMatMul with flags)', async function () {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const run = () =>
      tf.tidy(() => {
        const x = tf.ones([4, 5, 6, 3]);
        const m = tf.ones([6, 7]);
        return [
          tf.sum(x, [0, 1, 2]).dataSync()[0],
          tf.mean(x, [0, 1], true).dataSync()[0],
          tf.tile(tf.ones([1, 3]), [4, 2]).dataSync()[0],
          tf.matMul(m, m, true, false).dataSync()[0],
          tf.matMul(m, m, false, true).dataSync()[0],
        ];
      });
    run();
    const buffersBefore = backend.numDataIds();
    run();
    assert.equal(backend.numDataIds(), buffersBefore);
  });

  it('the batch-normalisation gradient (Tile, Sum and Mean over the batch) equals the CPU backend', async function () {
    const random = rng(950);
    const shape = [8, 6, 5, 4];
    const x = randomValues(size(shape), random);
    const w = randomValues(size(shape), random);
    const gamma = randomValues(4, random);
    const beta = randomValues(4, random);
    // What tfjs-layers' BatchNormalization computes in training: the batch's moments, then batchNorm.
    await assertSameOnBothBackends(() => {
      const input = tf.tensor4d(x, shape as [number, number, number, number]);
      const weights = tf.tensor4d(w, shape as [number, number, number, number]);
      return tf.grads((xIn: tfjs.Tensor, gammaIn: tfjs.Tensor, betaIn: tfjs.Tensor) => {
        const { mean, variance } = tf.moments(xIn, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(xIn, mean, variance, betaIn, gammaIn, 1e-3), weights));
      })([input, tf.tensor1d(gamma), tf.tensor1d(beta)]);
    }, 1e-4);
  });
});
