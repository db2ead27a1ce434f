/**
 * Training speed of TensorFlow.js on the WASM backend with CNN Slicer's training kernels
 * (src/tfjs/wasmKernels.ts) against the stock CPU backend, measured in the same run (these
 * machines vary up to 2× between runs, so only the ratio means much).
 *
 * Work: one epoch of a LeNet-like model (conv2d 8 5×5 relu, max-pool 2, conv2d 16 5×5 relu,
 * max-pool 2, flatten, dense 64 relu, dense 10 softmax) on 5,000 MNIST digits, batch 64, sgd.
 * The CPU backend takes about two minutes for that, so it trains on the first 500 of the same
 * digits and its time is extrapolated ×10 (an epoch's time is proportional to its batches; the
 * extrapolated figure is labelled as such). The goal is wasm ≥ 40× faster than cpu.
 *
 * Both backends first train on one batch, untimed, so the figures are steady-state epochs, not
 * the one-off costs of compiling the WASM module or XNNPACK's operator set-up.
 *
 * Standalone: `npx tsx bench/trainingBench.ts`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { sampleWithoutReplacement } from '../src/analysis';
import { loadMnist } from '../src/data/mnist';
import { initBackend } from '../src/tfjs/backend';
import { registerWasmTrainingKernels } from '../src/tfjs/wasmKernels';

const TRAIN_SIZE = 5_000;
const CPU_SIZE = 500;
const BATCH_SIZE = 64;
const GOAL_RATIO = 40;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Runs the benchmark and returns its report, one printable line per entry. */
export async function benchTraining(): Promise<string[]> {
  const { tf, backend, fallbackReasons } = await initBackend('wasm');
  const lines = ['Training, LeNet-like CNN (conv8 5×5, pool, conv16 5×5, pool, dense64, dense10), MNIST, batch 64, sgd, one epoch'];
  if (backend !== 'wasm') {
    lines.push(`  wasm backend unavailable (${fallbackReasons.join('; ')}): skipped`);
    return lines;
  }
  const kernels = registerWasmTrainingKernels(tf);

  const mnist = loadMnist();
  // MNIST's files are ordered by digit, so a seeded sample gives every class in every prefix.
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

  const wasmSeconds = await epochSeconds(tf, 'wasm', images, labels, TRAIN_SIZE);
  const cpuSubsetSeconds = await epochSeconds(tf, 'cpu', images, labels, CPU_SIZE);
  const cpuSeconds = cpuSubsetSeconds * (TRAIN_SIZE / CPU_SIZE);
  await tf.setBackend('wasm');

  const ratio = cpuSeconds / wasmSeconds;
  lines.push(
    `  wasm with CNN Slicer's kernels (${kernels.join(', ')}): ${fmtInt(TRAIN_SIZE)} digits ${wasmSeconds.toFixed(2)} s per epoch`,
    `  stock cpu: ${fmtInt(CPU_SIZE)} digits ${cpuSubsetSeconds.toFixed(2)} s → extrapolated ×${TRAIN_SIZE / CPU_SIZE} to ${fmtInt(TRAIN_SIZE)}: ${cpuSeconds.toFixed(1)} s per epoch (extrapolated)`,
    `  wasm vs cpu: ${ratio.toFixed(0)}× faster (goal ≥ ${GOAL_RATIO}×: ${ratio >= GOAL_RATIO ? 'met' : 'NOT met'})`,
  );
  return lines;
}

/** Seconds for one epoch of the LeNet-like model on the first `count` digits, on `backendName`. */
async function epochSeconds(
  tf: typeof tfjs,
  backendName: 'wasm' | 'cpu',
  images: Float32Array,
  labels: Int32Array,
  count: number,
): Promise<number> {
  await tf.setBackend(backendName);
  const x = tf.tensor4d(images.subarray(0, count * PIXELS), [count, SIDE, SIDE, 1]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels.subarray(0, count), 'int32'), 10));
  const model = leNetLike(tf);
  try {
    // One untimed batch first: the first step also compiles and allocates.
    const warmX = x.slice(0, BATCH_SIZE);
    const warmY = y.slice(0, BATCH_SIZE);
    await model.trainOnBatch(warmX, warmY);
    tf.dispose([warmX, warmY]);

    const start = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: BATCH_SIZE, shuffle: true, verbose: 0 });
    return (performance.now() - start) / 1000;
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

function leNetLike(tf: typeof tfjs): tfjs.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [SIDE, SIDE, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'categoricalCrossentropy' });
  return model;
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

// Run directly (`npx tsx bench/trainingBench.ts`), print the report. Matching the script name
// rather than `require.main === module` keeps this inert inside an esbuild bundle.
if (/trainingBench\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  benchTraining().then(
    (lines) => console.log(lines.join('\n')),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
