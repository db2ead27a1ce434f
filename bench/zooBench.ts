/**
 * The model zoo (`node dist/bench.js --zoo`): one training epoch and one recorded epoch of the
 * models issue 13's users brought — ResNet-18-style graphs (BatchNormalization and residual adds,
 * 32×32×3: the full-width examples/resnet18.ts, 64–512 channels and 1.1 GFLOP per input forward,
 * and the quarter-width test/fixtures/models/resnet18Quarter.ts, 16–128 channels and 71 MFLOP, the
 * size of the ResNet-18 the issue recorded), a MobileNetV2-style one (examples/mobilenetv2.ts:
 * depthwise convolutions, 32×32×3) and the batch-normalised Fashion-MNIST convnet
 * (test/fixtures/models/fashionBn.ts, 28×28×1) — through `recordRun` itself, so the figures are
 * what a user's recording costs, against the same work on the stock CPU backend.
 *
 * Work per model: `recordRun` with one epoch on N training inputs (`--zoo-inputs`, default 1,000)
 * and a probe of min(N, 200) inputs (the probe the issue's figures were taken with), batch 64. The
 * recorder times each epoch's training and recording itself (`timingsMs` of the epoch's metrics):
 * the "training epoch" is epoch 1's training, the "recorded epoch" is epoch 1's training plus its
 * recording. The stock CPU backend takes minutes for a tenth of that, so it works on a tenth of the
 * inputs and of the probe (at least 10 probe inputs) and its times are scaled up and labelled
 * "extrapolated" (an epoch's time is proportional to its inputs). CIFAR-10 is not on the machine:
 * the 32×32×3 models read random images written in CIFAR-10's binary format; fashionBn reads the
 * bundled MNIST digits (its input shape).
 *
 * The goal line measures issue 13's goal literally: the quarter-width ResNet-18 recorded through
 * `recordRun` for 2 epochs on 2,000 inputs with a probe of 200, wall-clock under 2 minutes. The
 * full-width ResNet-18 is also trained one epoch on 200 inputs against PyTorch
 * (bench/reference_torch_resnet.py: the same layers, one thread), alternating, for our ratio to it.
 *
 * GFLOP/s: the model's convolution, depthwise and dense multiply-adds ×2 per input (bench/flops.ts),
 * ×3 per training input; a recorded epoch's recording is rated by its probe's forward FLOPs, which
 * understates it (the measures' own work is not counted). Peak memory is the child process's RSS
 * peak. Each case also gives its CPU time and the load average around it: on a shared machine the
 * wall-clock times are noisy and the CPU time is the steadier figure.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { createModel as createMobileNetV2 } from '../examples/mobilenetv2';
import { createModel as createResNet18, training as resnetTraining } from '../examples/resnet18';
import { npyFromFloat32, seededRandom, serializeNpy } from '../src/analysis';
import type { EpochMetrics } from '../src/contract/runFormat';
import { initBackend } from '../src/tfjs/backend';
import { createModel as createFashionBn } from '../test/fixtures/models/fashionBn';
import { createModel as createResNet18Quarter } from '../test/fixtures/models/resnet18Quarter';
import { BenchUsageError } from './usage';
import { writeFakeCifar } from './fakeCifar';
import { forwardFlops } from './flops';
import { ceilingLine, PYTHON, torchAvailable, twoThreadEpoch } from './torchBench';

export const ZOO_DEFAULT_INPUTS = 1_000;
/** The probe the issue's recordings used (`record --probe 200`). */
const ZOO_PROBE = 200;
const BATCH_SIZE = 64;
/** By default the stock CPU backend works on 1/10 of the inputs (`--zoo-cpu-fraction`). */
export const ZOO_DEFAULT_CPU_FRACTION = 10;
const CPU_MIN_PROBE = 10;
/** Issue 13's goal: a ResNet-18-style model (the issue's size), 2 epochs on 2,000 inputs, under 2 minutes on 2 cores. */
const GOAL = { model: 'resnet18Quarter', epochs: 2, trainInputs: 2_000, seconds: 120 };
/** The full-width ResNet-18 against PyTorch: one epoch on this many inputs each, alternating this many times. */
const TORCH_INPUTS = 200;
const TORCH_REPEATS = 3;
/** Issue 28's goal: the full-width ResNet-18's epoch within this many times PyTorch's faster thread setting. */
const RESNET_EPOCH_GOAL = 2;

interface ZooModel {
  label: string;
  /** The model file, relative to the repository. */
  file: string;
  createModel: () => tfjs.LayersModel;
  data: 'cifar' | 'mnist';
}

export const ZOO_MODELS: Record<string, ZooModel> = {
  resnet18Quarter: {
    label: "ResNet-18-style, quarter width (16–128 channels, the issue's size)",
    file: 'test/fixtures/models/resnet18Quarter.ts',
    createModel: createResNet18Quarter,
    data: 'cifar',
  },
  resnet18: { label: 'ResNet-18, full width (64–512 channels)', file: 'examples/resnet18.ts', createModel: createResNet18, data: 'cifar' },
  mobilenetv2: { label: 'MobileNetV2-style (depthwise)', file: 'examples/mobilenetv2.ts', createModel: createMobileNetV2, data: 'cifar' },
  fashionBn: {
    label: 'BatchNormalization convnet',
    file: 'test/fixtures/models/fashionBn.ts',
    createModel: createFashionBn,
    data: 'mnist',
  },
};

/** One recording of one zoo model on one backend, as measured in its own process. */
export interface ZooCaseResult {
  model: string;
  backend: string;
  trainInputs: number;
  probeInputs: number;
  /** Training epochs recorded (1, or the goal's 2). */
  epochs: number;
  forwardFlopsPerInput: number;
  /** Epoch 1's training. */
  trainSeconds: number;
  /** Epoch 1's recording (after training). */
  recordSeconds: number;
  /** Epoch 0's recording (the untrained model, which every run records first). */
  initialRecordSeconds: number;
  /** Every training epoch's training and recording seconds, epoch 1 first. */
  epochTimes: { train: number; record: number }[];
  /** The whole `recordRun`, model loading and data reading included. */
  totalSeconds: number;
  /** CPU time of the process (every thread) during the whole `recordRun`. */
  cpuSeconds: number;
  /** The machine's 1-minute load average before and after the case. */
  loadAverage: [number, number];
  peakRssMB: number;
}

/** The inputs and probe a zoo case works on, for `inputs` requested on `backend`. */
export function zooWork(
  inputs: number,
  backend: 'auto' | 'cpu',
  cpuFraction = ZOO_DEFAULT_CPU_FRACTION,
): { trainInputs: number; probeInputs: number } {
  const probe = Math.min(inputs, ZOO_PROBE);
  if (backend !== 'cpu') return { trainInputs: inputs, probeInputs: probe };
  return {
    trainInputs: Math.max(1, Math.round(inputs / cpuFraction)),
    probeInputs: Math.max(Math.min(probe, CPU_MIN_PROBE), Math.round(probe / cpuFraction)),
  };
}

/** Records one epoch of `modelName` on `backend` and returns the recorder's own timings. */
export async function runZooCase(
  modelName: string,
  backend: 'auto' | 'cpu',
  inputs: number,
  cpuFraction = ZOO_DEFAULT_CPU_FRACTION,
): Promise<ZooCaseResult> {
  return recordZooModel(modelName, backend, { ...zooWork(inputs, backend, cpuFraction), epochs: 1 });
}

/** Issue 13's goal, literally: the goal's model recorded for 2 epochs on 2,000 inputs with a probe of 200. */
export function runZooGoal(): Promise<ZooCaseResult> {
  return recordZooModel(GOAL.model, 'auto', { trainInputs: GOAL.trainInputs, probeInputs: ZOO_PROBE, epochs: GOAL.epochs });
}

async function recordZooModel(
  modelName: string,
  backend: 'auto' | 'cpu',
  { trainInputs, probeInputs, epochs: epochCount }: { trainInputs: number; probeInputs: number; epochs: number },
): Promise<ZooCaseResult> {
  const model = ZOO_MODELS[modelName];
  if (!model) throw new BenchUsageError(`unknown zoo model ${modelName}: use one of ${Object.keys(ZOO_MODELS).join(', ')}`);
  const { recordRun } = await import('../src/recorder/record');
  const loadBefore = loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-zoo-'));
  try {
    const dataset = model.data === 'cifar' ? `cifar10:${writeFakeCifar(dir, trainInputs + probeInputs)}` : 'mnist';
    const epochs: EpochMetrics[] = [];
    const start = performance.now();
    const startCpu = process.cpuUsage();
    const run = await recordRun(
      {
        modelFile: resolve(__dirname, '..', model.file),
        dataset,
        epochs: epochCount,
        batchSize: BATCH_SIZE,
        probeSize: probeInputs,
        trainLimit: trainInputs,
        runsFolder: dir,
        backend,
      },
      { onEpoch: (metrics) => epochs.push(metrics) },
    );
    const totalSeconds = (performance.now() - start) / 1000;
    const cpuUsed = process.cpuUsage(startCpu);
    const peakRssMB = process.resourceUsage().maxRSS / 1024;
    const [initial, trained] = [epochs.find((e) => e.epoch === 0), epochs.find((e) => e.epoch === 1)];
    if (!initial || !trained) throw new Error(`the ${modelName} recording ended without its two epochs (${run.manifest.status})`);
    // Counted after the peak was read: building the model again is not part of the work.
    const counted = model.createModel();
    const forwardFlopsPerInput = forwardFlops(counted);
    counted.dispose();
    return {
      model: modelName,
      backend: run.manifest.backend.name,
      trainInputs,
      probeInputs,
      epochs: epochCount,
      forwardFlopsPerInput,
      trainSeconds: trained.timingsMs.train / 1000,
      recordSeconds: trained.timingsMs.record / 1000,
      initialRecordSeconds: initial.timingsMs.record / 1000,
      epochTimes: epochs.filter((e) => e.epoch > 0).map((e) => ({ train: e.timingsMs.train / 1000, record: e.timingsMs.record / 1000 })),
      totalSeconds,
      cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
      loadAverage: [loadBefore, loadavg()[0]],
      peakRssMB,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);
const fmtInt = (n: number) => n.toLocaleString('en-US');

/** Training GFLOP/s and recording GFLOP/s (probe forward passes) of a case, over its own times. */
function rates(r: ZooCaseResult): { train: number; record: number } {
  return {
    train: (3 * r.forwardFlopsPerInput * r.trainInputs) / r.trainSeconds / 1e9,
    record: (r.forwardFlopsPerInput * r.probeInputs) / r.recordSeconds / 1e9,
  };
}

/** The goal line: the goal's recording against issue 13's 2 minutes. */
export function describeZooGoal(goal: ZooCaseResult): string {
  const epochTimes = goal.epochTimes.map((e) => `${fmt(e.train, 1)} + ${fmt(e.record, 1)}`).join(', ');
  return (
    `Goal: ${ZOO_MODELS[goal.model]?.label ?? goal.model} (${goal.model}, ${fmt(goal.forwardFlopsPerInput / 1e6, 1)} MFLOP/input forward) ` +
    `${goal.epochs} epochs on ${fmtInt(goal.trainInputs)} inputs, probe ${goal.probeInputs}, under ${GOAL.seconds / 60} minutes on 2 cores (this machine: ${cpus().length} cores), on ${goal.backend}: ` +
    `recordRun ${fmt(goal.totalSeconds, 1)} s (${fmt(goal.cpuSeconds, 1)} s CPU; epoch 0 recording ${fmt(goal.initialRecordSeconds, 1)} s, then per epoch training + recording ${epochTimes} s, each recording overlapping the next epoch's training; ` +
    `peak memory ${fmt(goal.peakRssMB, 0)} MB; load average ${fmt(goal.loadAverage[0], 1)} → ${fmt(goal.loadAverage[1], 1)}) — ${goal.totalSeconds < GOAL.seconds ? 'met' : 'GOAL MISSED'}`
  );
}

/** Printable lines for one case, its times scaled to `inputs` (and its probe) where it did less. */
export function describeZooCase(r: ZooCaseResult, inputs: number): string[] {
  if (r.epochs !== 1) return [describeZooGoal(r)];
  const full = zooWork(inputs, 'auto');
  const trainScale = full.trainInputs / r.trainInputs;
  const recordScale = full.probeInputs / r.probeInputs;
  const extrapolated = trainScale !== 1 || recordScale !== 1;
  const train = r.trainSeconds * trainScale;
  const recorded = train + r.recordSeconds * recordScale;
  const rate = rates(r);
  const did = `${fmtInt(r.trainInputs)} inputs, probe ${fmtInt(r.probeInputs)}`;
  return [
    `${r.backend.padEnd(10)} ${extrapolated ? `(${did}, ×${fmt(trainScale, 1)} / ×${fmt(recordScale, 1)}: extrapolated) ` : ''}` +
      `training epoch ${fmt(train, 1)} s${extrapolated ? ' (extrapolated)' : ''} at ${fmt(rate.train)} GFLOP/s; ` +
      `recorded epoch ${fmt(recorded, 1)} s${extrapolated ? ' (extrapolated)' : ''} (recording ${fmt(r.recordSeconds * recordScale, 1)} s, probe forward ${fmt(rate.record)} GFLOP/s); ` +
      `peak memory ${fmt(r.peakRssMB, 0)} MB; recordRun ${fmt(r.totalSeconds, 1)} s, ${fmt(r.cpuSeconds, 1)} s CPU, load average ${fmt(r.loadAverage[0], 1)} → ${fmt(r.loadAverage[1], 1)}`,
  ];
}

/**
 * Runs the zoo section, each case in its own child process (`runCase` is `inChild` of bench.ts),
 * printing each model's lines as it finishes (`print`: a model takes minutes), and returns whether
 * the issue's ResNet-18 goal was met. `cpuFraction` 0 leaves the stock CPU backend out.
 */
export async function benchZoo(
  inputs: number,
  cpuFraction: number,
  runCase: (name: string) => Promise<ZooBenchCase>,
  print: (line: string) => void,
): Promise<{ ok: boolean }> {
  const probe = zooWork(inputs, 'auto').probeInputs;
  print(
    `One training epoch and one recorded epoch per model: ${fmtInt(inputs)} training inputs, probe ${fmtInt(probe)}, batch 64, through recordRun.`,
  );
  print(
    `GFLOP/s: conv/depthwise/dense multiply-adds ×2 per input forward, ×3 per training input; ` +
      (cpuFraction > 0
        ? `the stock cpu backend does 1/${cpuFraction} of the work, scaled up (extrapolated).`
        : 'the stock cpu backend left out (--zoo-cpu-fraction 0).'),
  );
  for (const [name, model] of Object.entries(ZOO_MODELS)) {
    const ours = (await runCase(`zoo:${name}`)).zoo!;
    print(
      `${model.label} (${model.file}, ${model.data === 'cifar' ? '32×32×3 random CIFAR-format images' : '28×28×1 MNIST digits'}, ${fmt(ours.forwardFlopsPerInput / 1e6, 1)} MFLOP/input forward)`,
    );
    for (const line of describeZooCase(ours, inputs)) print('  ' + line);
    if (cpuFraction <= 0) continue;
    const cpu = (await runCase(`zoo:${name}:cpu`)).zoo!;
    for (const line of describeZooCase(cpu, inputs)) print('  ' + line);
    print(
      `  ${ours.backend} vs stock cpu: training ${fmt(cpu.trainSeconds / cpu.trainInputs / (ours.trainSeconds / ours.trainInputs), 1)}× faster, ` +
        `recording ${fmt(cpu.recordSeconds / cpu.probeInputs / (ours.recordSeconds / ours.probeInputs), 1)}× faster per input`,
    );
  }
  await benchResNetAgainstTorch(runCase, print);
  const goal = (await runCase(`zoo:${GOAL.model}:goal`)).zoo!;
  const ok = goal.totalSeconds < GOAL.seconds;
  print(describeZooGoal(goal));
  return { ok };
}

/** What a zoo case sends back from its child process (bench.ts's `CaseResult` carries these fields). */
export interface ZooBenchCase {
  seconds: number;
  peakRssMB: number;
  cpuSeconds?: number;
  backend?: string;
  /** The model's forward FLOPs for one input (the PyTorch comparison's cases). */
  forwardFlops?: number;
  zoo?: ZooCaseResult;
}

/**
 * One zoo case, in its child process: `zoo:<model>` (one recorded epoch), `zoo:<model>:cpu` (the
 * same on the stock CPU backend), `zoo:resnet18Quarter:goal` (the goal's recording) and
 * `zoo:resnet18:torch-ours` / `zoo:resnet18:torch-ours-2t` (one plain training epoch for the
 * PyTorch comparison, on one thread / on the recorder's two).
 */
export async function runZooBenchCase(
  modelName: string,
  variant: string | undefined,
  inputs: number,
  cpuFraction: number,
): Promise<ZooBenchCase> {
  if (variant === 'torch-ours' || variant === 'torch-ours-2t') {
    const epoch = await resnetEpochOurs(TORCH_INPUTS, variant === 'torch-ours-2t' ? 2 : 1);
    return { ...epoch, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  const zoo =
    variant === 'goal' ? await runZooGoal() : await runZooCase(modelName, variant === 'cpu' ? 'cpu' : 'auto', inputs, cpuFraction);
  return { seconds: zoo.totalSeconds, peakRssMB: zoo.peakRssMB, cpuSeconds: zoo.cpuSeconds, zoo };
}

/** Seeded random 32×32×3 images and labels: both sides of the PyTorch comparison train on these. */
function resnetInputs(count: number): { images: Float32Array; labels: Int32Array } {
  const random = seededRandom(18);
  const images = new Float32Array(count * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = random();
  const labels = Int32Array.from({ length: count }, (_, k) => k % 10);
  return { images, labels };
}

/**
 * One training epoch of the full-width ResNet-18 on `count` inputs with examples/resnet18.ts's
 * training settings (Adam, batch 64), after one untimed batch, on the backend a recording uses:
 * `model.fit` on one thread, or the recorder's two threads (src/recorder/twoCoreTraining.ts, each
 * half-batch normalised by its own statistics).
 */
export async function resnetEpochOurs(
  count: number,
  threads: 1 | 2 = 1,
): Promise<{ seconds: number; cpuSeconds: number; backend: string; forwardFlops: number }> {
  const { tf, backend } = await initBackend();
  const { images, labels } = resnetInputs(count);
  if (threads === 2) {
    const net = createResNet18();
    net.compile({ optimizer: tf.train.adam(resnetTraining.learningRate), loss: 'categoricalCrossentropy' });
    const data = { inputs: images, labels, count, shape: [32, 32, 3], classes: 10 };
    return twoThreadEpoch(tf, backend, net, data, resnetTraining.batchSize);
  }
  const x = tf.tensor4d(images, [count, 32, 32, 3]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), 10));
  const net = createResNet18();
  net.compile({ optimizer: tf.train.adam(resnetTraining.learningRate), loss: 'categoricalCrossentropy' });
  const batch = resnetTraining.batchSize;
  try {
    const warmX = x.slice(0, batch);
    const warmY = y.slice(0, batch);
    await net.trainOnBatch(warmX, warmY);
    tf.dispose([warmX, warmY]);
    const start = performance.now();
    const startCpu = process.cpuUsage();
    await net.fit(x, y, { epochs: 1, batchSize: batch, shuffle: true, verbose: 0 });
    const used = process.cpuUsage(startCpu);
    return {
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      backend,
      forwardFlops: forwardFlops(net),
    };
  } finally {
    net.dispose();
    tf.dispose([x, y]);
  }
}

/** PyTorch's epoch of the same ResNet-18 on the same inputs (bench/reference_torch_resnet.py) at `threads` threads. */
function resnetEpochTorch(files: { x: string; y: string }, threads: 1 | 2): { seconds: number; cpuSeconds: number; version: string } {
  const script = join(__dirname, '../bench/reference_torch_resnet.py');
  const args = [script, files.x, files.y, String(resnetTraining.batchSize), String(resnetTraining.learningRate), String(threads)];
  const out = execFileSync(PYTHON, args, {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const r = JSON.parse(out) as { seconds: number; cpuSeconds: number; torchVersion: string };
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, version: r.torchVersion };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * The full-width ResNet-18's training epoch on 200 inputs, ours (each in a fresh child) and
 * PyTorch's alternating 3 times; prints the medians and their ratio (wall-clock and CPU time).
 */
async function benchResNetAgainstTorch(
  runCase: (name: string) => Promise<ZooBenchCase>,
  print: (line: string) => void,
  repeats = TORCH_REPEATS,
): Promise<void> {
  const available = torchAvailable(false);
  if (!available.ok) {
    print(`ResNet-18 against PyTorch skipped: ${available.reason}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-zoo-torch-'));
  try {
    const { images, labels } = resnetInputs(TORCH_INPUTS);
    const files = { x: join(dir, 'x.npy'), y: join(dir, 'y.npy') };
    writeFileSync(files.x, serializeNpy(npyFromFloat32([TORCH_INPUTS, 32, 32, 3], images)));
    writeFileSync(files.y, serializeNpy(npyFromFloat32([TORCH_INPUTS], Float32Array.from(labels))));
    const ours = { 1: [] as ZooBenchCase[], 2: [] as ZooBenchCase[] };
    const theirs = {
      1: [] as { seconds: number; cpuSeconds: number; version: string }[],
      2: [] as { seconds: number; cpuSeconds: number; version: string }[],
    };
    const loadBefore = loadavg()[0];
    for (let r = 0; r < repeats; r++) {
      for (const threads of [1, 2] as const) {
        ours[threads].push(await runCase(`zoo:resnet18:${threads === 2 ? 'torch-ours-2t' : 'torch-ours'}`));
        theirs[threads].push(resnetEpochTorch(files, threads));
      }
    }
    const list = (v: number[]) => v.map((s) => s.toFixed(2)).join(', ');
    const wall = (runs: { seconds: number }[]) => median(runs.map((o) => o.seconds));
    print(
      `ResNet-18 full width against PyTorch: one training epoch on ${TORCH_INPUTS} seeded random 32×32×3 inputs, batch ${resnetTraining.batchSize}, Adam ${resnetTraining.learningRate}, medians of ${repeats} alternating (load average ${fmt(loadBefore, 1)} → ${fmt(loadavg()[0], 1)}):`,
    );
    for (const threads of [1, 2] as const) {
      const o = ours[threads];
      print(
        `  CNN Slicer (${o[0].backend ?? '?'}): ${fmt(wall(o))} s (runs ${list(o.map((x) => x.seconds))}; CPU ${list(o.map((x) => x.cpuSeconds ?? x.seconds))} s)`,
      );
    }
    for (const threads of [1, 2] as const) {
      const t = theirs[threads];
      print(
        `  PyTorch ${t[0].version}, ${threads} thread${threads > 1 ? 's' : ''}: ${fmt(wall(t))} s (runs ${list(t.map((x) => x.seconds))}; CPU ${list(t.map((x) => x.cpuSeconds))} s)`,
      );
    }
    const faster = Math.min(wall(theirs[1]), wall(theirs[2]));
    const ratio = wall(ours[2]) / faster;
    print(
      `  ours on 2 threads (the recorder's default) ≤ ${RESNET_EPOCH_GOAL}× PyTorch's faster setting: ${fmt(ratio)}× ` +
        `(ours on 1 thread ${fmt(wall(ours[1]) / faster)}×; ${ratio <= RESNET_EPOCH_GOAL ? 'met' : 'GOAL MISSED'})`,
    );
    const flops = ours[1][0].forwardFlops;
    if (flops) print(`  ${ceilingLine(3 * flops * TORCH_INPUTS, Math.min(wall(ours[1]), wall(ours[2])), faster)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly (`npm run build && npx tsx bench/zooBench.ts --torch [--repeats N]`): the full-width
// ResNet-18 against PyTorch alone, each of our epochs in a fresh `node dist/bench.js --case` child. Matching
// the script name rather than `require.main === module` keeps this inert inside an esbuild bundle.
if (/zooBench\.[cm]?[jt]s$/.test(process.argv[1] ?? '') && process.argv.includes('--torch')) {
  const runCase = (name: string) =>
    new Promise<ZooBenchCase>((resolvePromise, reject) => {
      const child = fork(resolve(__dirname, '../dist/bench.js'), ['--case', name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.once('message', (m) => resolvePromise(m as ZooBenchCase));
      child.once('exit', (code) => code !== 0 && reject(new Error(`bench case ${name} exited with ${code}`)));
    });
  const at = process.argv.indexOf('--repeats');
  benchResNetAgainstTorch(runCase, (line) => console.log(line), at < 0 ? TORCH_REPEATS : Number(process.argv[at + 1])).catch(
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
