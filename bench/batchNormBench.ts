/**
 * Training speed of a batch-normalised convnet (test/fixtures/models/fashionBn.ts: conv 3×3 and
 * 4×4 blocks with BatchNormalization, ReLU and max-pooling, then dense layers) against LeNet
 * (examples/mnist-lenet.ts), per FLOP, on the WASM backend with CNN Slicer's kernels.
 *
 * Issue 13 found such a model training at a tenth of LeNet's throughput per FLOP; the goal is
 * within 3× of it. Work: one epoch on 1,000 MNIST digits (the model's input shape), batch 64, adam,
 * after one untimed batch. FLOP counts are the convolutions' and dense layers' multiply-adds ×2,
 * ×3 for a training step (forward, input gradient, weight gradient). Both wall-clock and CPU time
 * are given: on a shared machine the process's CPU time is the steadier of the two.
 *
 * Standalone: `npx tsx bench/batchNormBench.ts [--stock]` (`--stock`: tfjs-layers' own batch
 * normalisation in training, without the fused kernels of src/tfjs/wasmBatchNorm.ts).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createModel as createLeNet } from '../examples/mnist-lenet';
import { sampleWithoutReplacement } from '../src/analysis';
import { loadMnist } from '../src/data/mnist';
import { initBackend } from '../src/tfjs/backend';
import { BATCH_NORM_TRAIN } from '../src/tfjs/wasmBatchNorm';
import { createModel as createFashionBn } from '../test/fixtures/models/fashionBn';
import { forwardFlops } from './flops';

const TRAIN_SIZE = 1_000;
const BATCH_SIZE = 64;
const GOAL_RATIO = 3;
const PIXELS = 28 * 28;

interface EpochFigures {
  wallSeconds: number;
  cpuSeconds: number;
  forwardFlopsPerInput: number;
}

/** Runs the benchmark; `ok` is whether the goal was met. */
export async function benchBatchNormTraining(): Promise<{ lines: string[]; ok: boolean }> {
  const { tf, backend, fallbackReasons } = await initBackend('wasm');
  if (backend !== 'wasm') return { lines: [`wasm backend unavailable (${fallbackReasons.join('; ')}): skipped`], ok: true };
  if (process.argv.includes('--stock')) tf.unregisterKernel(BATCH_NORM_TRAIN, 'wasm');
  const mnist = loadMnist();
  const rows = sampleWithoutReplacement(
    Array.from({ length: mnist.labels.length }, (_, i) => i),
    TRAIN_SIZE,
    2021,
  );
  const images = new Float32Array(TRAIN_SIZE * PIXELS);
  const labels = new Int32Array(TRAIN_SIZE);
  rows.forEach((row, k) => {
    images.set(mnist.inputs.subarray(row * PIXELS, (row + 1) * PIXELS), k * PIXELS);
    labels[k] = mnist.labels[row];
  });

  const lenet = await trainOneEpoch(tf, createLeNet(), images, labels);
  const bn = await trainOneEpoch(tf, createFashionBn(), images, labels);
  const rate = (f: EpochFigures, seconds: number) => (3 * f.forwardFlopsPerInput * TRAIN_SIZE) / seconds / 1e9;
  // How many times LeNet's throughput per FLOP the batch-normalised model reaches (CPU time).
  const relative = rate(bn, bn.cpuSeconds) / rate(lenet, lenet.cpuSeconds);
  const ok = relative >= 1 / GOAL_RATIO;
  const describe = (name: string, f: EpochFigures) =>
    `${name} (${(f.forwardFlopsPerInput / 1e6).toFixed(2)} MFLOP/input forward): ${f.wallSeconds.toFixed(2)} s per epoch of ${TRAIN_SIZE.toLocaleString('en-US')} inputs ` +
    `(${f.cpuSeconds.toFixed(2)} s CPU), ${rate(f, f.wallSeconds).toFixed(2)} GFLOP/s (${rate(f, f.cpuSeconds).toFixed(2)} per CPU second)`;
  return {
    lines: [
      describe('batch-normalised convnet', bn),
      describe('LeNet', lenet),
      `the batch-normalised model trains at ${relative.toFixed(2)}× LeNet's GFLOP/s per CPU second (goal: within ${GOAL_RATIO}× of it, ≥ ${(1 / GOAL_RATIO).toFixed(2)}×${ok ? '' : ' — GOAL MISSED'})`,
    ],
    ok,
  };
}

async function trainOneEpoch(tf: typeof tfjs, model: tfjs.LayersModel, images: Float32Array, labels: Int32Array): Promise<EpochFigures> {
  await tf.setBackend('wasm');
  const x = tf.tensor4d(images, [labels.length, 28, 28, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10));
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  try {
    // One untimed batch first: the first step also compiles and allocates.
    const warmX = x.slice(0, BATCH_SIZE);
    const warmY = y.slice(0, BATCH_SIZE);
    await model.trainOnBatch(warmX, warmY);
    tf.dispose([warmX, warmY]);
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH_SIZE, shuffle: true, verbose: 0 });
    const wallSeconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    return { wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, forwardFlopsPerInput: forwardFlops(model) };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

// Run directly (`npx tsx bench/batchNormBench.ts`), print the report. Matching the script name
// rather than `require.main === module` keeps this inert inside an esbuild bundle.
if (/batchNormBench\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  benchBatchNormTraining().then(
    ({ lines }) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
