/**
 * Training speed against PyTorch on the same CPU (issue 15): one epoch of examples/mnist-lenet.ts
 * (5,000 MNIST digits) and of examples/cifar-cnn.ts (5,000 seeded random 32×32×3 images) with each
 * example's own optimizer (Adam), learning rate and batch size, on TensorFlow.js (the backend a
 * recording would use, with CNN Slicer's kernels) and on PyTorch (bench/reference_torch.py: the
 * same layers, `torch.set_num_threads(1)`, the same inputs through a temporary .npy file).
 *
 * Ours runs on one thread (tfjs's `fit`) and on two (src/recorder/twoCoreTraining.ts: half of every
 * batch on a worker thread), PyTorch at `torch.set_num_threads(1)` and `(2)` (Debian's build
 * spin-waits with two threads on a loaded 2-core machine and can be far slower there). They
 * alternate (ours 1, PyTorch 1, ours 2, PyTorch 2, …), each epoch in a fresh process after one
 * untimed batch, and the medians of 3 are compared, because these machines vary up to 2× from minute
 * to minute. Goals: our epoch on two threads (the recorder's default on two cores) ≤ 1.0× PyTorch's
 * faster setting, for LeNet and CIFAR-CNN; and the demo's whole recording (`cnn-slicer record`,
 * examples/mnist-lenet.ts, 3 epochs, 9,500 inputs, probe 500, wall time from process start) ≤ 1.2×
 * PyTorch's training alone of the same 3 epochs on 9,500 MNIST digits at its faster setting.
 *
 * PyTorch is looked for as `/usr/bin/python3 -c "import torch"`; without it the section says so in
 * one line and is skipped. `--install-torch` first runs `apt-get install -y python3-torch` (root).
 *
 * Alone: `node dist/bench.js --torch [--torch-inputs N] [--torch-model lenet|cifar] [--torch-profile]
 * [--install-torch]` (`--torch-model`: one model only; `--torch-profile`: each of our epochs also
 * prints its CPU time per kernel, the time outside kernels and the other threads' CPU time).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { createModel as createCifarCnn, training as cifarTraining } from '../examples/cifar-cnn';
import { createModel as createLeNet, training as lenetTraining } from '../examples/mnist-lenet';
import { npyFromFloat32, sampleWithoutReplacement, seededRandom, serializeNpy } from '../src/analysis';
import { loadMnist } from '../src/data/mnist';
import { RecordCallbackList } from '../src/recorder/callbacks';
import { defaultTrainThreads, kernelThreadFor, startTwoCoreTrainer } from '../src/recorder/twoCoreTraining';
import type { TrainingData } from '../src/recorder/training';
import { initBackend } from '../src/tfjs/backend';
import { forwardFlops } from './flops';

export type TorchBenchModel = 'lenet' | 'cifar';

export const PYTHON = '/usr/bin/python3';
export const DEFAULT_TORCH_INPUTS = 5_000;
const REPEATS = 3;

interface ModelSpec {
  title: string;
  goalRatio: number;
  goalLabel: string;
  shape: [number, number, number];
  create: () => tfjs.LayersModel;
  training: { batchSize: number; learningRate: number; optimizer: string };
}

const MODELS: Record<TorchBenchModel, ModelSpec> = {
  lenet: {
    title: 'examples/mnist-lenet.ts, MNIST digits',
    goalRatio: 1.5,
    goalLabel: 'LeNet epoch ≤ 1.5× PyTorch',
    shape: [28, 28, 1],
    create: createLeNet,
    training: lenetTraining,
  },
  cifar: {
    title: 'examples/cifar-cnn.ts, seeded random 32×32×3 images',
    goalRatio: 2,
    goalLabel: 'CIFAR-CNN epoch ≤ 2× PyTorch',
    shape: [32, 32, 3],
    create: createCifarCnn,
    training: cifarTraining,
  },
};

/** The inputs both sides train on: deterministic, so a child process and the parent get the same. */
export function torchBenchInputs(model: TorchBenchModel, count: number): { images: Float32Array; labels: Int32Array } {
  const [height, width, channels] = MODELS[model].shape;
  const size = height * width * channels;
  const images = new Float32Array(count * size);
  const labels = new Int32Array(count);
  if (model === 'lenet') {
    const mnist = loadMnist();
    // MNIST's files are ordered by digit, so a seeded sample gives every class.
    const rows = sampleWithoutReplacement(
      Array.from({ length: mnist.labels.length }, (_, i) => i),
      Math.min(count, mnist.labels.length),
      2021,
    );
    for (let k = 0; k < count; k++) {
      const row = rows[k % rows.length];
      images.set(mnist.inputs.subarray(row * size, (row + 1) * size), k * size);
      labels[k] = mnist.labels[row];
    }
  } else {
    // No CIFAR-10 is on the bench machines; speed does not depend on what the pixels show.
    const random = seededRandom(15);
    for (let i = 0; i < images.length; i++) images[i] = random();
    for (let k = 0; k < count; k++) labels[k] = k % 10;
  }
  return { images, labels };
}

/** One epoch: wall-clock and CPU seconds (on a shared machine the CPU time is the steadier). */
export interface OurEpoch {
  seconds: number;
  cpuSeconds: number;
  backend: string;
  /** FLOPs of the model's forward pass for one input (bench/flops.ts). */
  forwardFlops?: number;
}

/** One epoch of ours, in this process (a bench child): seconds, after one untimed batch. */
export async function oursEpochSeconds(model: TorchBenchModel, count: number, profile: boolean, threads: 1 | 2 = 1): Promise<OurEpoch> {
  // The recorder's heap: shared, for the kernel thread (src/tfjs/sharedHeap.ts).
  const { tf, backend } = await initBackend('auto', undefined, { sharedHeap: true });
  const spec = MODELS[model];
  const net = spec.create();
  const batch = spec.training.batchSize;
  // Two threads as a recording on two cores takes them (src/recorder/twoCoreTraining.ts): data-parallel
  // where the model is large enough, else one training thread and the kernel thread.
  if (threads === 2 && defaultTrainThreads(net, batch, 2).threads === 2) return oursTwoThreadEpoch(model, net, count);
  const kernels = threads === 2 ? kernelThreadFor(tf, backend, undefined, () => undefined, 2) : undefined;
  await kernels?.ready;
  const { images, labels } = torchBenchInputs(model, count);
  const x = tf.tensor4d(images, [count, ...spec.shape]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10));
  net.compile({ optimizer: tf.train.adam(spec.training.learningRate), loss: 'categoricalCrossentropy' });
  const how = kernels ? `${backend}, 2 threads: training thread and kernel thread` : backend;
  try {
    const warmX = x.slice(0, batch);
    const warmY = y.slice(0, batch);
    await net.trainOnBatch(warmX, warmY);
    tf.dispose([warmX, warmY]);
    const fit = () => net.fit(x, y, { epochs: 1, batchSize: batch, shuffle: true, verbose: 0 });
    const start = performance.now();
    const startCpu = process.cpuUsage();
    const cpuSeconds = () => {
      const used = process.cpuUsage(startCpu);
      return (used.user + used.system) / 1e6;
    };
    if (!profile) {
      await fit();
      return { seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSeconds(), backend: how, forwardFlops: forwardFlops(net) };
    }
    const kernels = timeKernels(tf, backend);
    const threadsBefore = threadCpuSeconds();
    await fit();
    const seconds = (performance.now() - start) / 1000;
    const cpu = cpuSeconds();
    kernels.stop();
    printProfile(model, kernels.byName, cpu, threadCpuSeconds(), threadsBefore, Math.ceil(count / batch));
    return { seconds, cpuSeconds: cpu, backend: how };
  } finally {
    kernels?.close();
    net.dispose();
    tf.dispose([x, y]);
  }
}

/** One epoch of ours on two data-parallel threads (src/recorder/twoCoreTraining.ts), after one untimed batch (the worker's too). */
async function oursTwoThreadEpoch(model: TorchBenchModel, net: tfjs.LayersModel, count: number): Promise<OurEpoch> {
  const { tf, backend } = await initBackend();
  const spec = MODELS[model];
  const { images, labels } = torchBenchInputs(model, count);
  net.compile({ optimizer: tf.train.adam(spec.training.learningRate), loss: 'categoricalCrossentropy' });
  return twoThreadEpoch(tf, backend, net, { inputs: images, labels, count, shape: spec.shape, classes: 10 }, spec.training.batchSize);
}

/**
 * One epoch of the compiled `net` on the recorder's two threads (src/recorder/twoCoreTraining.ts),
 * timed after one untimed batch (the worker's too); `net` is disposed after. The zoo bench's
 * ResNet-18 comparison takes it too.
 */
export async function twoThreadEpoch(
  tf: typeof tfjs,
  backend: string,
  net: tfjs.LayersModel,
  data: TrainingData,
  batchSize: number,
): Promise<OurEpoch & { forwardFlops: number }> {
  const trainer = await startTwoCoreTrainer(tf, backend === 'cpu' ? 'cpu' : 'wasm', net, data);
  const options = { epoch: 1, seed: 1, batchSize, callbacks: new RecordCallbackList([]) };
  try {
    await trainer.trainEpoch({ ...options, batches: 1 });
    const start = performance.now();
    const startCpu = process.cpuUsage();
    await trainer.trainEpoch(options);
    const used = process.cpuUsage(startCpu);
    return {
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      backend: `${backend}, 2 threads: data-parallel`,
      forwardFlops: forwardFlops(net),
    };
  } finally {
    trainer.close();
    net.dispose();
  }
}

/**
 * CPU time per kernel name while `stop` is not called: every kernel of `backendName` is wrapped in
 * a `process.cpuUsage()` pair (≈1 µs each), so other processes' load does not inflate the figures
 * as it inflates `tf.profile`'s wall-clock times. Kernels run from inside another kernel count
 * toward the outer one.
 */
function timeKernels(tf: typeof tfjs, backendName: string): { byName: Map<string, { ms: number; calls: number }>; stop: () => void } {
  const byName = new Map<string, { ms: number; calls: number }>();
  const configs = tf.getKernelsForBackend(backendName);
  let depth = 0;
  const swap = (make: (config: tfjs.KernelConfig) => tfjs.KernelFunc) => {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel({ ...config, kernelFunc: make(config) });
    }
  };
  swap((config) => (args) => {
    if (depth > 0) return config.kernelFunc(args);
    depth++;
    const start = process.cpuUsage();
    try {
      return config.kernelFunc(args);
    } finally {
      depth--;
      const used = process.cpuUsage(start);
      const entry = byName.get(config.kernelName) ?? { ms: 0, calls: 0 };
      entry.ms += (used.user + used.system) / 1000;
      entry.calls++;
      byName.set(config.kernelName, entry);
    }
  });
  return { byName, stop: () => swap((config) => config.kernelFunc) };
}

/** CPU seconds of each thread of this process so far (Linux: /proc/self/task), by thread id. */
function threadCpuSeconds(): Map<string, number> {
  const seconds = new Map<string, number>();
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks (100 per second on Linux).
      seconds.set(task, (Number(fields[11]) + Number(fields[12])) / 100);
    }
  } catch {
    // Not Linux: no per-thread figures.
  }
  return seconds;
}

/**
 * CPU time per kernel name over a profiled epoch, largest first, with each one's share of the
 * epoch's CPU time, what ran outside any kernel, and how much CPU time threads other than the
 * main one took (V8 compiling tfjs's JavaScript and collecting garbage in the background).
 */
function printProfile(
  model: TorchBenchModel,
  byName: Map<string, { ms: number; calls: number }>,
  cpuSeconds: number,
  threadsAfter: Map<string, number>,
  threadsBefore: Map<string, number>,
  batches: number,
): void {
  const rows = [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const inKernels = rows.reduce((sum, [, e]) => sum + e.ms, 0) / 1000;
  const share = (seconds: number) => ((100 * seconds) / cpuSeconds).toFixed(1).padStart(5);
  const main = String(process.pid);
  let otherThreads = 0;
  for (const [task, after] of threadsAfter) if (task !== main) otherThreads += after - (threadsBefore.get(task) ?? 0);
  console.log(
    `  profile of one ${model} epoch: ${cpuSeconds.toFixed(2)} CPU s, ${share(inKernels).trim()}% in kernels, ` +
      `${share(cpuSeconds - inKernels).trim()}% outside (of which other threads ${otherThreads.toFixed(2)} s: V8's background compiler and GC)`,
  );
  for (const [name, e] of rows.slice(0, 16)) {
    console.log(
      `    ${name.padEnd(28)} ${(e.ms / 1000).toFixed(2).padStart(7)} s  ${share(e.ms / 1000)}%  ${(e.calls / batches).toFixed(0).padStart(3)} per batch`,
    );
  }
}

/** Whether `/usr/bin/python3` can import torch; with `install`, apt-get installs it first when not. */
export function torchAvailable(install: boolean): { ok: boolean; reason?: string } {
  const probe = (): boolean => {
    try {
      execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (probe()) return { ok: true };
  if (!install)
    return {
      ok: false,
      reason: `${PYTHON} cannot import torch (install it with \`apt-get install -y python3-torch\` or pass --install-torch)`,
    };
  try {
    execFileSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'inherit' });
  } catch (error) {
    return { ok: false, reason: `apt-get install -y python3-torch failed (${(error as Error).message.split('\n')[0]}): run it as root` };
  }
  return probe() ? { ok: true } : { ok: false, reason: `${PYTHON} still cannot import torch after apt-get installed python3-torch` };
}

/** PyTorch's `epochs` epochs on the same inputs at `threads` threads (torch.set_num_threads). */
function torchEpochSeconds(
  model: TorchBenchModel,
  files: { x: string; y: string },
  threads: 1 | 2,
  epochs = 1,
): { seconds: number; cpuSeconds: number; version: string } {
  const script = join(__dirname, '../bench/reference_torch.py');
  const { batchSize, learningRate } = MODELS[model].training;
  const out = execFileSync(
    PYTHON,
    [script, model, files.x, files.y, String(batchSize), String(learningRate), String(threads), String(epochs)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const r = JSON.parse(out) as { seconds: number; cpuSeconds: number; torchVersion: string };
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, version: r.torchVersion };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const list = (v: number[]): string => v.map((s) => s.toFixed(2)).join(', ');

/** Writes a model's bench inputs as .npy files for PyTorch. */
function writeInputs(dir: string, model: TorchBenchModel, inputs: number): { x: string; y: string } {
  const { images, labels } = torchBenchInputs(model, inputs);
  const files = { x: join(dir, `torch-${model}-${inputs}-x.npy`), y: join(dir, `torch-${model}-${inputs}-y.npy`) };
  writeFileSync(files.x, serializeNpy(npyFromFloat32([inputs, ...MODELS[model].shape], images)));
  writeFileSync(files.y, serializeNpy(npyFromFloat32([inputs], Float32Array.from(labels))));
  return files;
}

/** The goal ratio of our epoch (on the recorder's default two threads) to PyTorch's faster setting. */
const EPOCH_GOAL = 1.0;
/** The goal ratio of a whole recording to PyTorch's training alone. */
const RECORDING_GOAL = 1.2;
/** The demo's recording: examples/mnist-lenet.ts, 3 epochs, 9,500 training inputs, probe 500. */
export const DEMO_RECORDING = { epochs: 3, inputs: 9_500, probe: 500 };

/**
 * The whole section: for each model, 3 alternating rounds of ours on 1 and 2 threads (each epoch in
 * a fresh child, through `runOurs`) and PyTorch's on 1 and 2 threads, then the medians and the
 * ratio of ours on two threads to PyTorch's faster setting; then, with `runRecording`, the demo's
 * whole recording against PyTorch's training alone of the same epochs and inputs. `fails` counts
 * the goals missed.
 */
export async function benchAgainstTorch(options: {
  dir: string;
  inputs: number;
  models: TorchBenchModel[];
  install: boolean;
  runOurs: (model: TorchBenchModel, threads: 1 | 2) => Promise<OurEpoch>;
  runRecording?: () => Promise<number>;
  print: (line: string) => void;
}): Promise<{ fails: number }> {
  const { dir, inputs, print } = options;
  const available = torchAvailable(options.install);
  if (!available.ok) {
    print(`  PyTorch reference skipped: ${available.reason}`);
    return { fails: 0 };
  }
  let fails = 0;
  for (const model of options.models) {
    const spec = MODELS[model];
    const files = writeInputs(dir, model, inputs);
    const ours = { 1: [] as number[], 2: [] as number[] };
    const theirs = { 1: [] as number[], 2: [] as number[] };
    const backend = { 1: '', 2: '' };
    let version = '';
    let flops: number | undefined;
    for (let r = 0; r < REPEATS; r++) {
      for (const threads of [1, 2] as const) {
        const o = await options.runOurs(model, threads);
        ours[threads].push(o.seconds);
        backend[threads] = o.backend;
        flops ??= o.forwardFlops;
        const t = torchEpochSeconds(model, files, threads);
        theirs[threads].push(t.seconds);
        version = t.version;
      }
    }
    const faster = Math.min(median(theirs[1]), median(theirs[2]));
    const fasterName = median(theirs[1]) <= median(theirs[2]) ? '1 thread' : '2 threads';
    const ratio = median(ours[2]) / faster;
    const ok = ratio <= EPOCH_GOAL;
    if (!ok) fails++;
    print(
      `  ${spec.title}, ${inputs.toLocaleString('en-US')} inputs, batch ${spec.training.batchSize}, ${spec.training.optimizer} ${spec.training.learningRate}, one epoch:`,
    );
    for (const threads of [1, 2] as const)
      print(
        `    CNN Slicer (${backend[threads]})${threads === 1 ? ', 1 thread' : ''}: ${median(ours[threads]).toFixed(2)} s (runs ${list(ours[threads])})`,
      );
    for (const threads of [1, 2] as const)
      print(
        `    PyTorch ${version}, ${threads} thread${threads > 1 ? 's' : ''}: ${median(theirs[threads]).toFixed(2)} s (runs ${list(theirs[threads])})`,
      );
    print(
      `    ${model === 'lenet' ? 'LeNet' : 'CIFAR-CNN'} epoch, ours on 2 threads ≤ ${EPOCH_GOAL}× PyTorch's faster (${fasterName}): ${ratio.toFixed(2)}× ` +
        `(ours on 1 thread ${(median(ours[1]) / faster).toFixed(2)}×; ${ok ? 'met' : 'GOAL MISSED'})`,
    );
    if (flops) print(`    ${ceilingLine(3 * flops * inputs, Math.min(median(ours[1]), median(ours[2])), faster)}`);
  }
  if (options.runRecording) fails += await benchRecording(dir, options.runRecording, print);
  return { fails };
}

/** Floating-point operations per cycle of one core's 128-bit SIMD: 4 float lanes × 2 (multiply and add) × 2 FMA units. */
const SIMD128_FLOPS_PER_CYCLE = 16;

/** The fastest clock /proc/cpuinfo reports, in GHz (undefined where it says none: not Linux). */
function clockGHz(): number | undefined {
  try {
    const mhz = [...readFileSync('/proc/cpuinfo', 'utf8').matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
    return mhz.length ? Math.max(...mhz) / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the epoch's work allows: its training FLOPs (3× the forward pass's, bench/flops.ts) at ours
 * and PyTorch's speed, and the shortest epoch WebAssembly could run at the 128-bit SIMD peak of
 * every core of this machine (fused multiply-adds on both units every cycle, nothing else): where
 * that is slower than PyTorch, no WebAssembly kernel reaches the goal, only a native backend.
 */
export function ceilingLine(trainingFlops: number, oursSeconds: number, torchSeconds: number): string {
  const gflops = (s: number) => trainingFlops / s / 1e9;
  const ghz = clockGHz();
  const work = `work ${(trainingFlops / 1e9).toFixed(0)} GFLOP (3× forward): ours (faster setting) ${gflops(oursSeconds).toFixed(1)} GFLOP/s, PyTorch ${gflops(torchSeconds).toFixed(1)} GFLOP/s`;
  if (!ghz) return work;
  const peak = cpus().length * ghz * SIMD128_FLOPS_PER_CYCLE;
  const floor = trainingFlops / peak / 1e9;
  return (
    `${work}; 128-bit SIMD peak of ${cpus().length} cores at ${ghz.toFixed(2)} GHz ${peak.toFixed(0)} GFLOP/s, ` +
    `so at best ${floor.toFixed(2)} s = ${(floor / torchSeconds).toFixed(2)}× PyTorch's faster`
  );
}

/** The demo's whole recording (our `record` wall time) against PyTorch's training alone, alternating, medians of 3. */
async function benchRecording(dir: string, runRecording: () => Promise<number>, print: (line: string) => void): Promise<number> {
  const { epochs, inputs, probe } = DEMO_RECORDING;
  const files = writeInputs(dir, 'lenet', inputs);
  const ours: number[] = [];
  const theirs = { 1: [] as number[], 2: [] as number[] };
  for (let r = 0; r < REPEATS; r++) {
    ours.push(await runRecording());
    for (const threads of [1, 2] as const) theirs[threads].push(torchEpochSeconds('lenet', files, threads, epochs).seconds);
  }
  const faster = Math.min(median(theirs[1]), median(theirs[2]));
  const ratio = median(ours) / faster;
  const ok = ratio <= RECORDING_GOAL;
  print(`  whole recording, examples/mnist-lenet.ts, ${epochs} epochs, ${inputs.toLocaleString('en-US')} inputs, probe ${probe}:`);
  print(`    CNN Slicer record (wall, process start to end): ${median(ours).toFixed(2)} s (runs ${list(ours)})`);
  print(`    PyTorch training alone, 1 / 2 threads: ${median(theirs[1]).toFixed(2)} / ${median(theirs[2]).toFixed(2)} s`);
  print(
    `    whole recording ≤ ${RECORDING_GOAL}× PyTorch's training alone (faster setting): ${ratio.toFixed(2)}× (${ok ? 'met' : 'GOAL MISSED'})`,
  );
  return ok ? 0 : 1;
}
