/**
 * The model zoo (`node dist/bench.js --zoo`): one training epoch and one recorded epoch of the
 * models issue 13's users brought — a ResNet-18-style graph (examples/resnet18.ts: BatchNormalization
 * and residual adds, 32×32×3), a MobileNetV2-style one (examples/mobilenetv2.ts: depthwise
 * convolutions, 32×32×3) and the batch-normalised Fashion-MNIST convnet
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
 * GFLOP/s: the model's convolution, depthwise and dense multiply-adds ×2 per input (bench/flops.ts),
 * ×3 per training input; a recorded epoch's recording is rated by its probe's forward FLOPs, which
 * understates it (the measures' own work is not counted). Peak memory is the child process's RSS peak.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { createModel as createMobileNetV2 } from '../examples/mobilenetv2';
import { createModel as createResNet18 } from '../examples/resnet18';
import type { EpochMetrics } from '../src/run/format';
import { createModel as createFashionBn } from '../test/fixtures/models/fashionBn';
import { writeFakeCifar } from './fakeCifar';
import { forwardFlops } from './flops';

export const ZOO_DEFAULT_INPUTS = 1_000;
/** The probe the issue's recordings used (`record --probe 200`). */
const ZOO_PROBE = 200;
const BATCH_SIZE = 64;
/** By default the stock CPU backend works on 1/10 of the inputs (`--zoo-cpu-fraction`). */
export const ZOO_DEFAULT_CPU_FRACTION = 10;
const CPU_MIN_PROBE = 10;
/** Issue 13's goal: a ResNet-18-style model, 2 epochs on 2,000 inputs, under 2 minutes on 2 cores. */
const GOAL = { epochs: 2, trainInputs: 2_000, seconds: 120 };

interface ZooModel {
  label: string;
  /** The model file, relative to the repository. */
  file: string;
  createModel: () => tfjs.LayersModel;
  data: 'cifar' | 'mnist';
}

export const ZOO_MODELS: Record<string, ZooModel> = {
  resnet18: { label: 'ResNet-18-style', file: 'examples/resnet18.ts', createModel: createResNet18, data: 'cifar' },
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
  forwardFlopsPerInput: number;
  /** Epoch 1's training. */
  trainSeconds: number;
  /** Epoch 1's recording (after training). */
  recordSeconds: number;
  /** Epoch 0's recording (the untrained model, which every run records first). */
  initialRecordSeconds: number;
  /** The whole `recordRun`, model loading and data reading included. */
  totalSeconds: number;
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
  const model = ZOO_MODELS[modelName];
  if (!model) throw new Error(`unknown zoo model ${modelName}: use one of ${Object.keys(ZOO_MODELS).join(', ')}`);
  const { recordRun } = await import('../src/recorder/record');
  const { trainInputs, probeInputs } = zooWork(inputs, backend, cpuFraction);
  const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-zoo-'));
  try {
    const dataset = model.data === 'cifar' ? `cifar10:${writeFakeCifar(dir, trainInputs + probeInputs)}` : 'mnist';
    const epochs: EpochMetrics[] = [];
    const start = performance.now();
    const run = await recordRun(
      {
        modelFile: resolve(__dirname, '..', model.file),
        dataset,
        epochs: 1,
        batchSize: BATCH_SIZE,
        probeSize: probeInputs,
        trainLimit: trainInputs,
        runsFolder: dir,
        backend,
      },
      { onEpoch: (metrics) => epochs.push(metrics) },
    );
    const totalSeconds = (performance.now() - start) / 1000;
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
      forwardFlopsPerInput,
      trainSeconds: trained.timingsMs.train / 1000,
      recordSeconds: trained.timingsMs.record / 1000,
      initialRecordSeconds: initial.timingsMs.record / 1000,
      totalSeconds,
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

/** Printable lines for one case, its times scaled to `inputs` (and its probe) where it did less. */
export function describeZooCase(r: ZooCaseResult, inputs: number): string[] {
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
      `peak memory ${fmt(r.peakRssMB, 0)} MB`,
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
  runCase: (name: string) => Promise<ZooCaseResult>,
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
  let resnet: ZooCaseResult | undefined;
  for (const [name, model] of Object.entries(ZOO_MODELS)) {
    const ours = await runCase(`zoo:${name}`);
    if (name === 'resnet18') resnet = ours;
    print(
      `${model.label} (${model.file}, ${model.data === 'cifar' ? '32×32×3 random CIFAR-format images' : '28×28×1 MNIST digits'}, ${fmt(ours.forwardFlopsPerInput / 1e6, 1)} MFLOP/input forward)`,
    );
    for (const line of describeZooCase(ours, inputs)) print('  ' + line);
    if (cpuFraction <= 0) continue;
    const cpu = await runCase(`zoo:${name}:cpu`);
    for (const line of describeZooCase(cpu, inputs)) print('  ' + line);
    print(
      `  ${ours.backend} vs stock cpu: training ${fmt(cpu.trainSeconds / cpu.trainInputs / (ours.trainSeconds / ours.trainInputs), 1)}× faster, ` +
        `recording ${fmt(cpu.recordSeconds / cpu.probeInputs / (ours.recordSeconds / ours.probeInputs), 1)}× faster per input`,
    );
  }
  // Two recorded epochs on 2,000 inputs: the untrained model's recording, then per epoch the
  // training (per input, scaled) and the recording (per probe input, scaled to the issue's 200).
  const r = resnet!;
  const trainPerEpoch = (r.trainSeconds / r.trainInputs) * GOAL.trainInputs;
  const recordPerEpoch = (r.recordSeconds / r.probeInputs) * ZOO_PROBE;
  const initial = (r.initialRecordSeconds / r.probeInputs) * ZOO_PROBE;
  const estimate = initial + GOAL.epochs * (trainPerEpoch + recordPerEpoch);
  const ok = estimate < GOAL.seconds;
  print(
    `Goal: ResNet-18-style ${GOAL.epochs} epochs on ${fmtInt(GOAL.trainInputs)} inputs under ${GOAL.seconds / 60} minutes on 2 cores (this machine: ${cpus().length} cores). ` +
      `Extrapolated from ${fmtInt(r.trainInputs)} inputs on ${r.backend}: epoch 0 recording ${fmt(initial, 1)} s + ${GOAL.epochs} × (training ${fmt(trainPerEpoch, 1)} s + recording ${fmt(recordPerEpoch, 1)} s, probe ${ZOO_PROBE}) ` +
      `= ${fmt(estimate, 0)} s (extrapolated) — ${ok ? 'met' : 'GOAL MISSED'}`,
  );
  return { ok };
}
