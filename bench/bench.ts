/**
 * `npm run bench`: speed and memory of the analysis core, printed as figures and as ratios
 * against references measured in the same run (these machines vary up to 2× between runs, so
 * only ratios within one run mean anything). Each case runs in a fresh child process so that its
 * peak memory is its own.
 *
 *  - inter-sample entropy of N = 1,000 / 5,000 / 10,000 MNIST digits (D = 784, k = 1000), against a
 *    straightforward vectorised numpy/OpenBLAS implementation of the same definition
 *    (bench/reference_numpy.py) when python3 with numpy is available; goal: faster at N = 5,000;
 *  - the same at N = 5,000 as whole processes (`cnn-slicer entropy inter` against the numpy script),
 *    quiet and with one core held busy by a spinning child (bench/busyCoreBench.ts); goals: at most
 *    0.5× numpy's time quiet, 0.8× busy;
 *  - a capacity matrix of 32 × 64 channels of 16×16 maps over N = 500 inputs, all cores against one;
 *  - per-channel label information I_pair(T_c; Y) of a 64-channel layer of 16×16 maps over N = 500
 *    inputs, cold (fresh process and pool); goal: under 1 s;
 *  - one probe pass (200 inputs, every layer) of the ResNet-18 example, one pass over the graph
 *    against one extraction model per layer (bench/forwardBench.ts);
 *  - the cold network graph of the full-width ResNet-18 at one epoch (bench/networkGraphBench.ts);
 *    goal: under 10 s.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  capacityMatrix,
  gatherRows,
  interSampleEntropy,
  layerActivations,
  npyFromFloat32,
  pairwiseInformationFromCodes,
  sameLabelPairs,
  sampleWithoutReplacement,
  seededRandom,
  serializeNpy,
} from '../src/analysis';
import { ComputePool } from '../src/compute/pool';
import { loadMnist } from '../src/data/mnist';
import { BenchUsageError, caseProblem, onlyProblem } from './usage';
import { writeFakeCifar } from './fakeCifar';
import { MALLOC_TUNING_ENV } from '../src/cli/mallocTuning';
import type { RecordingFigures } from './recordingBench';
import type { ZooCaseResult } from './zooBench';
import type { ReportFigures } from './reportBench';
import type { ImportFigures } from './pytorchBench';
import { keepOrtTelemetryOff } from '../src/native/ortTelemetry';

interface CaseResult {
  seconds: number;
  peakRssMB: number;
  value?: number | null;
  gflops?: number;
  /** GFLOP/s of the distance phase alone, where the engine reports its timings. */
  distanceGflops?: number;
  trainMs?: number;
  recordMs?: number;
  backend?: string;
  /** Service query timings (the `service` case). */
  lines?: { label: string; ms: number; goalMs?: number }[];
  recordSeconds?: number;
  /** CPU time of every thread of the case's process during the timing (the machine's load does not inflate it; also the `torch-ours` case's timed work). */
  cpuSeconds?: number;
  /** Printable lines of a case that reports itself. */
  text?: string[];
  /** The `torch-ours` case's model: FLOPs of one input's forward pass (bench/flops.ts). */
  forwardFlops?: number;
  /** A model-zoo case (`zoo:<model>` on the default backend, `zoo:<model>:cpu` on the stock CPU backend). */
  zoo?: ZooCaseResult;
  /** A default report of a recorded run (`report:<run folder>`; bench/reportBench.ts). */
  report?: ReportFigures;
  /** A LeNet recording (`record-lenet:sequential` or `record-lenet:overlapped`; bench/recordingBench.ts). */
  recording?: RecordingFigures;
  /** A checkpoint import (`pytorch-import:<checkpoint folder>`; bench/pytorchBench.ts). */
  import?: ImportFigures;
}

function mnistSubset(n: number): { data: Float64Array; d: number } {
  const m = loadMnist();
  const d = 784;
  const rows = sampleWithoutReplacement(
    Array.from({ length: m.labels.length }, (_, i) => i),
    n,
    7,
  );
  return { data: gatherRows(m.inputs, d, rows), d };
}

/** Synthetic activations with structure: channels are noisy mixtures of a few shared patterns. */
function syntheticLayer(n: number, side: number, channels: number, seed: number) {
  const random = seededRandom(seed);
  const units = side * side;
  const basis = Array.from({ length: 6 }, () => Float64Array.from({ length: n * units }, () => random()));
  const data = new Float32Array(n * units * channels);
  for (let c = 0; c < channels; c++) {
    const mix = Array.from({ length: 6 }, () => random() - 0.3);
    const noise = random();
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < units; p++) {
        let v = noise * random();
        for (let b = 0; b < 6; b++) v += mix[b] * basis[b][i * units + p];
        data[(i * units + p) * channels + c] = Math.max(0, v); // ReLU-like
      }
    }
  }
  return layerActivations([n, side, side, channels], data);
}

async function runCase(name: string): Promise<CaseResult> {
  const [kind, arg, variant] = name.split(':');
  if (kind === 'zoo') {
    const { runZooBenchCase } = await import('./zooBench');
    return runZooBenchCase(arg, variant, zooInputs(), zooCpuFraction() || 10);
  }
  if (kind === 'report') {
    const { reportCase } = await import('./reportBench');
    // The folder is everything after "report:" (a path may hold a colon).
    const report = await reportCase(name.slice('report:'.length));
    return { seconds: report.seconds, peakRssMB: report.peakRssMB, report };
  }
  if (kind === 'pytorch-import' || kind === 'pytorch-tfjs-checkpoint') {
    // The folder is everything after the first colon (a path may hold one).
    const { importCase, writeTfjsCheckpointCase } = await import('./pytorchBench');
    const folder = name.slice(kind.length + 1);
    if (kind === 'pytorch-tfjs-checkpoint') {
      await writeTfjsCheckpointCase(folder);
      return { seconds: 0, peakRssMB: process.resourceUsage().maxRSS / 1024 };
    }
    const figures = await importCase(folder);
    return { seconds: figures.seconds, peakRssMB: figures.peakRssMB, import: figures };
  }
  if (kind === 'inter' || kind === 'inter1') {
    const n = Number(arg);
    const { data, d } = mnistSubset(n);
    const t = performance.now();
    let value: number | undefined;
    let distanceMs: number | undefined;
    if (kind === 'inter1') value = interSampleEntropy(data, n, d, { k: 1000 }).entropyBits;
    else {
      const pool = new ComputePool();
      const r = await pool.interSampleEntropy(data, n, d, { k: 1000 });
      value = r.entropyBits;
      distanceMs = r.timingsMs?.distances;
      pool.close();
    }
    const seconds = (performance.now() - t) / 1000;
    // Distance work: the upper triangle of X·Xᵀ, N²·D/2 multiply-adds = N²·D flops.
    const flops = n * n * d;
    return {
      seconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      value: value ?? null,
      gflops: flops / seconds / 1e9,
      distanceGflops: distanceMs ? flops / (distanceMs / 1000) / 1e9 : undefined,
    };
  }
  if (kind === 'capacity' || kind === 'capacity1') {
    const a = syntheticLayer(500, 16, 32, 1);
    const b = syntheticLayer(500, 16, 64, 2);
    const t = performance.now();
    let m;
    if (kind === 'capacity1') m = capacityMatrix(a, b);
    else {
      const pool = new ComputePool();
      m = await pool.capacityMatrix(a, b);
      pool.close();
    }
    const seconds = (performance.now() - t) / 1000;
    const pairs = (500 * 499) / 2;
    return {
      seconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      value: m.values[0],
      gflops: (96 * pairs * 256 * 2) / seconds / 1e9,
    };
  }
  if (kind === 'capacity-cold') {
    // Cold: a fresh process and a fresh pool (its threads start inside the timing), two 64-channel
    // layers of 16×16 maps over 500 inputs; the forward pass a service adds is not in it.
    const a = syntheticLayer(500, 16, 64, 5);
    const b = syntheticLayer(500, 16, 64, 6);
    const t = performance.now();
    const cpu = process.cpuUsage();
    const pool = new ComputePool();
    const m = await pool.capacityMatrix(a, b);
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    pool.close();
    return { seconds, cpuSeconds: (used.user + used.system) / 1e6, peakRssMB: process.resourceUsage().maxRSS / 1024, value: m.values[0] };
  }
  if (kind === 'labelinfo') {
    // Cold: a fresh process and a fresh pool (its threads start inside the timing), nothing cached.
    const layer = syntheticLayer(500, 16, 64, 3);
    const random = seededRandom(4);
    const labels = Int32Array.from({ length: 500 }, () => Math.floor(random() * 10));
    const t = performance.now();
    const cpu = process.cpuUsage();
    const pool = new ComputePool();
    const same = sameLabelPairs(labels);
    const codes = await pool.layerDistanceCodes(layer, { bins: 32 });
    const bits = codes.map((c) => pairwiseInformationFromCodes(c, same));
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    pool.close();
    return {
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      value: bits[0] ?? null,
    };
  }
  if (kind === 'record-lenet') {
    const { recordLenet } = await import('./recordingBench');
    // record-lenet:<sequential|overlapped>[:<training inputs>]; all of the built-in set by default.
    const recording = await recordLenet(arg === 'sequential' ? 'sequential' : 'overlapped', variant ? Number(variant) : undefined);
    return { seconds: recording.loopMs / 1000, peakRssMB: process.resourceUsage().maxRSS / 1024, recording };
  }
  if (kind === 'record-cifar') {
    const { recordRun } = await import('../src/recorder/record');
    const runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-runs-'));
    try {
      const cifar = kind === 'record-cifar' ? writeFakeCifar(runs, 2000) : undefined;
      const t = performance.now();
      const r = await recordRun({
        modelFile: resolve(__dirname, kind === 'record-cifar' ? '../examples/cifar-cnn.ts' : '../examples/mnist-lenet.ts'),
        dataset: cifar ? `cifar10:${cifar}` : 'mnist',
        epochs: 1,
        batchSize: 64,
        probeSize: kind === 'record-cifar' ? 1000 : 500,
        trainLimit: kind === 'record-cifar' ? 1000 : 5000,
        runsFolder: runs,
      });
      const seconds = (performance.now() - t) / 1000;
      const { readRun } = await import('../src/run/store');
      const last = readRun(r.folder).metrics.at(-1)!;
      return {
        seconds,
        peakRssMB: process.resourceUsage().maxRSS / 1024,
        value: last.timingsMs.record / last.timingsMs.train,
        trainMs: last.timingsMs.train,
        recordMs: last.timingsMs.record,
        backend: r.manifest.backend.name,
      };
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  }
  if (kind === 'forward-resnet18') {
    const { benchGraphForward } = await import('./forwardBench');
    return { seconds: 0, peakRssMB: process.resourceUsage().maxRSS / 1024, lines: [], text: await benchGraphForward() };
  }
  if (kind === 'ablation') {
    const { benchAblation } = await import('./ablationBench');
    const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-ablation-'));
    try {
      const lines = await benchAblation(dir, writeFakeCifar(dir, 1000));
      return { seconds: 0, peakRssMB: process.resourceUsage().maxRSS / 1024, lines };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (kind === 'record-resnet50') {
    const { recordResnet50 } = await import('./memoryBench');
    const r = await recordResnet50(arg === 'asked');
    return { seconds: r.seconds, peakRssMB: process.resourceUsage().maxRSS / 1024, text: r.plan };
  }
  if (kind === 'service') {
    const { benchService } = await import('./serviceBench');
    const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-service-'));
    try {
      const r = await benchService(dir, writeFakeCifar(dir, 2000));
      return { seconds: r.recordSeconds, peakRssMB: r.peakRssMB, lines: r.lines, recordSeconds: r.recordSeconds };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (kind === 'network-graph-resnet18') {
    const { benchNetworkGraph } = await import('./networkGraphBench');
    const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-graph-'));
    try {
      const r = await benchNetworkGraph(dir, writeFakeCifar(dir, 1000, { structured: true }), arg === 'every-layer');
      return { seconds: r.recordSeconds, peakRssMB: process.resourceUsage().maxRSS / 1024, lines: r.lines, recordSeconds: r.recordSeconds };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (kind === 'torch-ours') {
    // One epoch of ours for the PyTorch comparison (bench/torchBench.ts): `torch-ours:<model>:<inputs>[:profile]`.
    const { oursEpochSeconds } = await import('./torchBench');
    const extra = name.split(':')[3];
    const r = await oursEpochSeconds(arg as 'lenet' | 'cifar', Number(variant), extra === 'profile', extra === '2t' ? 2 : 1);
    return {
      seconds: r.seconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      backend: r.backend,
      cpuSeconds: r.cpuSeconds,
      forwardFlops: r.forwardFlops,
    };
  }
  throw new BenchUsageError(`unknown bench case ${name}`);
}

/** `--zoo-inputs N`: training inputs per model-zoo case (default 1,000). */
function zooInputs(): number {
  const at = process.argv.indexOf('--zoo-inputs');
  if (at < 0) return 1_000;
  const n = Number(process.argv[at + 1]);
  if (!Number.isInteger(n) || n < 1)
    throw new BenchUsageError(`--zoo-inputs takes a whole number of inputs ≥ 1, not ${process.argv[at + 1]}`);
  return n;
}

/** `--zoo-cpu-fraction F`: the stock CPU backend does 1/F of the zoo's work (default 10; 0 leaves it out). */
function zooCpuFraction(): number {
  const at = process.argv.indexOf('--zoo-cpu-fraction');
  if (at < 0) return 10;
  const f = Number(process.argv[at + 1]);
  if (!Number.isInteger(f) || f < 0)
    throw new BenchUsageError(`--zoo-cpu-fraction takes a whole number ≥ 0 (0: no CPU comparison), not ${process.argv[at + 1]}`);
  return f;
}

function inChild(name: string): Promise<CaseResult> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(__filename, ['--case', name, '--zoo-inputs', String(zooInputs()), '--zoo-cpu-fraction', String(zooCpuFraction())], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // A report case runs with the malloc setting `cnn-slicer report` starts itself with.
      env: name.startsWith('report:') ? { ...process.env, ...MALLOC_TUNING_ENV } : process.env,
    });
    child.once('message', (m) => resolvePromise(m as CaseResult));
    child.once('exit', (code) => code !== 0 && reject(new Error(`bench case ${name} exited with ${code}`)));
  });
}

/** The MNIST subset of `n` digits as a float32 `.npy` file in `dir` (what the numpy reference and the CLI read). */
function writeMnistNpy(n: number, dir: string): string {
  const { data } = mnistSubset(n);
  const file = join(dir, `mnist${n}.npy`);
  writeFileSync(file, serializeNpy(npyFromFloat32([n, 784], Float32Array.from(data))));
  return file;
}

function numpyReference(n: number, dir: string): CaseResult | undefined {
  const script = resolve(__dirname, '../bench/reference_numpy.py');
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const file = writeMnistNpy(n, dir);
  const out = execFileSync('python3', [script, file, '1000'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out) as { entropyBits: number; seconds: number; peakRssMB: number };
  return { seconds: r.seconds, peakRssMB: r.peakRssMB, value: r.entropyBits, gflops: (n * n * 784 * 2) / r.seconds / 1e9 };
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);

/** Prints a section's timed lines, each against its goal; returns how many goals were missed. */
function printTimedLines(lines: readonly { label: string; ms: number; goalMs?: number }[]): number {
  let missed = 0;
  for (const line of lines) {
    const ok = line.goalMs === undefined || line.ms <= line.goalMs;
    if (!ok) missed++;
    console.log(
      `  ${line.label.padEnd(96)} ${fmt(line.ms, line.ms < 10 ? 1 : 0).padStart(6)} ms${line.goalMs === undefined ? '' : `  (goal < ${line.goalMs} ms${ok ? '' : ' — GOAL MISSED'})`}`,
    );
  }
  return missed;
}

/** Training against PyTorch (bench/torchBench.ts); `--torch-inputs N`, `--torch-model M`, `--torch-profile`, `--install-torch`. */
async function benchTorchSection(dir: string): Promise<{ fails: number }> {
  const { benchAgainstTorch, DEFAULT_TORCH_INPUTS } = await import('./torchBench');
  const at = process.argv.indexOf('--torch-inputs');
  const inputs = at < 0 ? DEFAULT_TORCH_INPUTS : Number(process.argv[at + 1]);
  if (!Number.isInteger(inputs) || inputs < 1)
    throw new BenchUsageError(`--torch-inputs takes a whole number of inputs ≥ 1, not ${process.argv[at + 1]}`);
  const profile = process.argv.includes('--torch-profile') ? ':profile' : '';
  const modelAt = process.argv.indexOf('--torch-model');
  const models = modelAt < 0 ? ['lenet', 'cifar'] : [process.argv[modelAt + 1]];
  if (!models.every((m): m is 'lenet' | 'cifar' => m === 'lenet' || m === 'cifar'))
    throw new BenchUsageError(`--torch-model takes lenet or cifar, not ${models.join(', ')}`);
  console.log('\nTraining one epoch against PyTorch on the CPU (same models, optimizer, inputs; medians of 3, alternating)');
  return benchAgainstTorch({
    dir,
    inputs,
    models,
    install: process.argv.includes('--install-torch'),
    runOurs: async (model, threads) => {
      const r = await inChild(`torch-ours:${model}:${inputs}${threads === 2 ? ':2t' : profile}`);
      return { seconds: r.seconds, cpuSeconds: r.cpuSeconds ?? r.seconds, backend: r.backend ?? '?', forwardFlops: r.forwardFlops };
    },
    runRecording: models.includes('lenet') ? () => demoRecordingSeconds(dir) : undefined,
    print: (line) => console.log(line),
  });
}

/** Wall seconds of `cnn-slicer record` of the demo's LeNet recording, in a fresh process (bench/torchBench.ts). */
async function demoRecordingSeconds(dir: string): Promise<number> {
  const { DEMO_RECORDING } = await import('./torchBench');
  const out = mkdtempSync(join(dir, 'demo-runs-'));
  const model = resolve(__dirname, '../examples/mnist-lenet.ts');
  const args = [
    join(__dirname, 'cli.js'),
    'record',
    model,
    '--epochs',
    String(DEMO_RECORDING.epochs),
    '--probe',
    String(DEMO_RECORDING.probe),
  ];
  const start = performance.now();
  execFileSync(process.execPath, [...args, '--train-limit', String(DEMO_RECORDING.inputs), '--out', out], { stdio: 'ignore' });
  const seconds = (performance.now() - start) / 1000;
  rmSync(out, { recursive: true, force: true });
  return seconds;
}

/** The bench's options: those followed by a value, and the switches. */
const VALUE_OPTIONS = ['--only', '--case', '--zoo-inputs', '--zoo-cpu-fraction', '--torch-inputs', '--torch-model', '--report-models'];
const SWITCHES = ['--quick', '--torch', '--torch-profile', '--install-torch', '--zoo'];

const USAGE = `Usage: node dist/bench.js [options]   (npm run bench: every section, about 10 minutes on a quiet machine)
  --only <a,b,…>            only these sections: inter, busy, capacity, labelinfo, training, torch, pytorch, deep, findings, batchnorm,
                            recording, forward, service, graph, ablation, memory, views, interactions,
                            extension, vsix, importance, report (importance, channelImportance of every layer of the
                            full-width ResNet-18, and report, the default report of three deep models, run
                            only when named)
  --report-models <a,b,…>   the report section's models only: quarter, mobilenet, full (default all three)
  --quick                   fewer sizes and repeats
  --case <name>             one case in this process (e.g. record-lenet:overlapped, network-graph-resnet18)
  --torch                   only the PyTorch comparison (--torch-inputs N, --torch-model lenet|cifar, --torch-profile,
                            --install-torch: apt-get install python3-torch first)
  --zoo                     the model zoo (minutes per model; --zoo-inputs N, --zoo-cpu-fraction F)
  --help                    this text`;

/** Undefined when the command line is one the bench understands, else what is wrong with it. */
export function commandLineProblem(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (VALUE_OPTIONS.includes(args[i])) {
      if (args[i + 1] === undefined || args[i + 1].startsWith('--')) return `${args[i]} needs a value`;
      i++;
    } else if (!SWITCHES.includes(args[i])) return `unknown option ${args[i]}`;
  }
  return undefined;
}

async function main(): Promise<void> {
  keepOrtTelemetryOff(); // the benches' children inherit it (src/native/ortTelemetry.ts)
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const onlyIndex = args.indexOf('--only');
  const caseIndex = args.indexOf('--case');
  const problem =
    commandLineProblem(args) ??
    (onlyIndex >= 0 ? onlyProblem(args[onlyIndex + 1] ?? '') : undefined) ??
    (caseIndex >= 0 ? caseProblem(args[caseIndex + 1] ?? '') : undefined);
  if (problem) {
    console.error(`bench: ${problem} (node dist/bench.js --help)`);
    process.exitCode = 2;
    return;
  }
  const caseArg = process.argv.indexOf('--case');
  if (caseArg > 0) {
    const r = await runCase(process.argv[caseArg + 1]);
    // Run by hand (`node dist/bench.js --case zoo:resnet18`) there is no parent: print instead.
    if (process.send) process.send(r);
    else if (r.zoo) {
      const { describeZooCase } = await import('./zooBench');
      console.log(
        `${r.zoo.model}: ${fmt(r.zoo.forwardFlopsPerInput / 1e6, 1)} MFLOP/input forward, recordRun ${fmt(r.zoo.totalSeconds, 1)} s in all`,
      );
      for (const line of describeZooCase(r.zoo, zooInputs())) console.log('  ' + line);
    } else console.log(JSON.stringify(r, null, 2));
    return;
  }
  if (process.argv.includes('--zoo')) {
    // The model zoo takes minutes per model at the issue's 1,000 inputs: it runs alone, on request.
    const inputs = zooInputs();
    console.log(`CNN Slicer benchmark, model zoo — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores`);
    const { benchZoo } = await import('./zooBench');
    const zoo = await benchZoo(
      inputs,
      zooCpuFraction(),
      (name) => inChild(name),
      (line) => console.log(line),
    );
    if (!zoo.ok) process.exitCode = 1;
    return;
  }
  if (process.argv.includes('--torch')) {
    // The PyTorch comparison alone (bench/torchBench.ts), for iterating on the training kernels.
    console.log(
      `CNN Slicer benchmark, training against PyTorch — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores`,
    );
    const torchDir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-torch-'));
    try {
      const torch = await benchTorchSection(torchDir);
      if (torch.fails) process.exitCode = 1;
    } finally {
      rmSync(torchDir, { recursive: true, force: true });
    }
    return;
  }
  const quick = process.argv.includes('--quick');
  // `--only a,b`: just those sections (inter, busy, capacity, labelinfo, training, torch, pytorch, deep, findings, batchnorm,
  // recording, forward, service, graph, ablation, memory, views, interactions, extension, vsix), for iterating on one part without the whole bench.
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt < 0 ? undefined : (process.argv[onlyAt + 1] ?? '').split(',');
  const want = (section: string): boolean => !only || only.includes(section);
  const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-'));
  console.log(`CNN Slicer benchmark — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores`);
  console.log('Figures vary up to 2× between runs on these machines: read the ratios, which compare within this run.\n');
  let fails = 0;
  if (want('inter')) {
    console.log('Inter-sample entropy, MNIST digits, D = 784, k = 1000');
    console.log('GFLOP/s: N²·D flops (upper triangle of X·Xᵀ) over the whole computation; "dist" over the distance phase alone.');
    console.log(
      '   N   | CNN Slicer (all cores)                 | one core     | numpy/OpenBLAS reference     | speed-up vs numpy | |ΔH| vs numpy',
    );
  }
  for (const n of !want('inter') ? [] : quick ? [1000] : [1000, 5000, 10000]) {
    const ours = await inChild(`inter:${n}`);
    const single = n <= 5000 ? await inChild(`inter1:${n}`) : undefined;
    const ref = numpyReference(n, dir);
    const ratio = ref ? ref.seconds / ours.seconds : undefined;
    console.log(
      `${String(n).padStart(6)} | ${fmt(ours.seconds)} s, ${fmt(ours.peakRssMB, 0)} MB, ${fmt(ours.gflops!, 1)} GFLOP/s` +
        `${ours.distanceGflops ? ` (dist ${fmt(ours.distanceGflops, 1)})` : ''}`.padEnd(49 - 34) +
        `| ${single ? fmt(single.seconds) + ' s' : '—'}`.padEnd(15) +
        `| ${ref ? `${fmt(ref.seconds)} s, ${fmt(ref.peakRssMB, 0)} MB` : 'python3/numpy not found'}`.padEnd(31) +
        `| ${ratio ? fmt(ratio) + '×' : '—'}`.padEnd(20) +
        `| ${ref && typeof ours.value === 'number' && typeof ref.value === 'number' ? Math.abs(ours.value - ref.value).toExponential(1) : '—'}`,
    );
    if (n === 5000 && ratio !== undefined && ratio < 1) {
      console.log('  GOAL MISSED: N = 5,000 must be faster than the numpy reference');
      fails++;
    }
  }
  if (!quick && want('busy')) {
    console.log(
      '\nInter-sample entropy, N = 5,000 MNIST digits, k = 1000, whole processes (`cnn-slicer entropy inter` against the numpy reference),\n' +
        'quiet and with one core held busy by a spinning process; ours and numpy alternating, median of 3',
    );
    const { benchBusyCore } = await import('./busyCoreBench');
    const busy = benchBusyCore(writeMnistNpy(5000, dir));
    if (!busy) console.log('  python3/numpy not found: not measured');
    for (const line of busy ?? []) {
      const ok = line.ratio <= line.goalRatio;
      if (!ok) fails++;
      const runs = (v: number[]) => v.map((s) => fmt(s)).join(' / ');
      console.log(
        `  ${line.label.padEnd(42)} ours ${fmt(line.oursSeconds)} s (${runs(line.oursRuns)}), numpy ${fmt(line.numpySeconds)} s (${runs(line.numpyRuns)}) ` +
          `→ ${fmt(line.ratio)}× numpy (goal ≤ ${line.goalRatio}×${ok ? '' : ' — GOAL MISSED'})`,
      );
    }
  }
  if (want('capacity')) {
    console.log('\nCapacity matrix, 32 × 64 channels of 16×16 maps, N = 500 inputs (124,750 pairs), 32 bins');
    const cap = await inChild('capacity');
    const cap1 = await inChild('capacity1');
    console.log(`  all cores: ${fmt(cap.seconds)} s, ${fmt(cap.peakRssMB, 0)} MB, distances ${fmt(cap.gflops!, 1)} GFLOP/s`);
    console.log(
      `  one core:  ${fmt(cap1.seconds)} s, ${fmt(cap1.peakRssMB, 0)} MB — speed-up ${fmt(cap1.seconds / cap.seconds)}×, same answer: ${cap.value === cap1.value}`,
    );
  }
  if (want('capacity')) {
    const cold = await inChild('capacity-cold');
    const ok = cold.seconds < 0.5;
    if (!ok) fails++;
    console.log(
      `  cold 64 × 64 channels of 16×16 maps, N = 500 (fresh process and pool; distances and joint histograms, no forward pass): ` +
        `${fmt(cold.seconds * 1000, 0)} ms, CPU ${fmt(cold.cpuSeconds! * 1000, 0)} ms on all threads (goal < 500 ms${ok ? '' : ' — GOAL MISSED'}); ` +
        `load average ${fmt(loadavg()[0], 1)} on ${cpus().length} cores`,
    );
  }
  if (want('labelinfo')) {
    console.log('\nMutual information with the labels (pairwise estimator, 32 bins, 10 classes)');
    const labelInfo = await inChild('labelinfo');
    const labelInfoMs = labelInfo.seconds * 1000;
    if (labelInfoMs >= 1000) fails++;
    console.log(
      `  ${'per-channel label information, 64-channel layer, 500 inputs, cold'.padEnd(96)} ${fmt(labelInfoMs, 0).padStart(6)} ms` +
        `  (goal < 1000 ms${labelInfoMs < 1000 ? '' : ' — GOAL MISSED'})`,
    );
    console.log(
      `  CPU time of all threads ${fmt(labelInfo.cpuSeconds! * 1000, 0)} ms; load average ${fmt(loadavg()[0], 1)} on ${cpus().length} cores`,
    );
    // The recorder's per-value binning (channel entropies, binned estimator): JS loop against the WebAssembly SIMD kernel.
    const { benchBinning } = await import('./binningBench');
    const binning = benchBinning();
    fails += binning.missed;
    for (const line of binning.lines) console.log('  ' + line);
  }
  if (!quick && want('training')) {
    console.log(
      '\nTraining one epoch of a LeNet-like model (5,000 inputs, batch 64): WASM with our gradient kernels vs the stock CPU backend',
    );
    const { benchTraining } = await import('./trainingBench');
    for (const line of await benchTraining()) console.log('  ' + line);
  }
  if (!quick && want('torch')) {
    const torch = await benchTorchSection(dir);
    fails += torch.fails;
  }
  if (!quick && want('pytorch')) {
    console.log('\nThe PyTorch recorder (python/cnn_slicer): its overhead on training, and the import of its ResNet-18 checkpoint');
    const { benchPytorch } = await import('./pytorchBench');
    const pytorch = await benchPytorch({ dir, inChild, print: (line) => console.log(line) });
    fails += pytorch.fails;
  }
  if (!quick && want('deep')) {
    console.log('\nDeep models on the native engine (ONNX Runtime): measure of one epoch, and the forward pass against its peers');
    const { benchDeep } = await import('./deepBench');
    const deep = await benchDeep({ dir, print: (line) => console.log(line) });
    fails += deep.fails;
  }
  if (!quick && want('findings')) {
    console.log("\nA deep model's answers in the time a user waits: findings and the default report of a CIFAR ResNet-18, probe 200");
    const { benchFindings } = await import('./findingsBench');
    const findings = await benchFindings({ dir, print: (line) => console.log(line) });
    fails += findings.fails;
  }
  if (!quick && want('batchnorm')) {
    console.log('\nTraining a batch-normalised convnet against LeNet per FLOP (one epoch, 1,000 inputs, wasm)');
    const { benchBatchNormTraining } = await import('./batchNormBench');
    const batchNorm = await benchBatchNormTraining();
    if (!batchNorm.ok) fails++;
    for (const line of batchNorm.lines) console.log('  ' + line);
  }
  if (want('recording')) {
    console.log('\nRecording (one epoch, wasm unless tfjs-node is installed)');
    // The overhead is a ratio of two noisy times: the median of three pairs of recordings.
    const { benchRecordingOverhead } = await import('./recordingBench');
    const overhead = await benchRecordingOverhead(
      async (mode, trainLimit) => (await inChild(`record-lenet:${mode}${trainLimit ? `:${trainLimit}` : ''}`)).recording!,
      quick ? 1 : 3,
      { context: !quick },
    );
    fails += overhead.fails;
    for (const line of overhead.lines) console.log('  ' + line);
    if (!quick) {
      const cifar = await inChild('record-cifar');
      console.log(
        `  examples/cifar-cnn.ts, 1,000 CIFAR-format inputs, probe 1,000: train ${fmt(cifar.trainMs! / 1000)} s, record ${fmt(cifar.recordMs! / 1000)} s, ` +
          `peak memory ${fmt(cifar.peakRssMB, 0)} MB (goal < 2,048 MB${cifar.peakRssMB < 2048 ? '' : ' — GOAL MISSED'})`,
      );
      if (cifar.peakRssMB >= 2048) fails++;
    }
  }
  if (!quick && want('forward')) {
    console.log('\nGraph models: one probe pass of a ResNet-18');
    const forward = await inChild('forward-resnet18');
    for (const line of forward.text!) console.log('  ' + line);
    console.log(`  peak memory ${fmt(forward.peakRssMB, 0)} MB`);
  }
  if (want('service')) {
    console.log('\nAnalysis service queries on examples/cifar-cnn.ts, probe 500 (CIFAR-format random images; warm service)');
    const service = await inChild('service');
    fails += printTimedLines(service.lines!);
    console.log(`  peak memory ${fmt(service.peakRssMB, 0)} MB; recording the run for it took ${fmt(service.recordSeconds!, 1)} s`);
  }
  if (!quick && want('graph')) {
    console.log('\nNetwork graph of the full-width ResNet-18 (examples/resnet18.ts), one epoch, CIFAR-format images');
    const graph = await inChild('network-graph-resnet18');
    fails += printTimedLines(graph.lines!);
    console.log(`  peak memory ${fmt(graph.peakRssMB, 0)} MB; recording the run for it took ${fmt(graph.recordSeconds!, 1)} s`);
  }
  if (want('ablation')) {
    console.log('\nAblation and findings: channelImportance and ablation on examples/cifar-cnn.ts (probe 500), findings on LeNet');
    const ablation = await inChild('ablation');
    fails += printTimedLines(ablation.lines!);
    console.log(`  peak memory ${fmt(ablation.peakRssMB, 0)} MB`);
  }
  if (!quick && want('memory')) {
    const { RESNET50_GOAL_MB } = await import('./memoryBench');
    console.log('\nMemory of a deep model: test/fixtures/models/resnet50.ts, 1 epoch, 300 training inputs, probe 100, fresh processes');
    const planned = await inChild('record-resnet50');
    const asked = await inChild('record-resnet50:asked');
    const ok = planned.peakRssMB < RESNET50_GOAL_MB;
    if (!ok) fails++;
    for (const line of planned.text ?? []) console.log(`    ${line}`);
    console.log(
      `  ResNet-50 recording, default plan           peak ${fmt(planned.peakRssMB, 0).padStart(5)} MB  ${fmt(planned.seconds, 0).padStart(4)} s  (goal < ${RESNET50_GOAL_MB} MB${ok ? '' : ' — GOAL MISSED'})`,
    );
    console.log(
      `  the same, two threads and overlap asked     peak ${fmt(asked.peakRssMB, 0).padStart(5)} MB  ${fmt(asked.seconds, 0).padStart(4)} s  (default plan ${fmt(planned.peakRssMB / asked.peakRssMB)}× the memory, ${fmt(planned.seconds / asked.seconds)}× the time)`,
    );
  }
  if (want('views')) {
    console.log('\nViews in headless Chromium (synthetic report: two 512-channel layers, 21 epochs, 10 classes)');
    const { benchViews } = await import('./viewsBench');
    for (const line of await benchViews(dir)) {
      const ok = line.goalMs === undefined || line.ms <= line.goalMs;
      if (!ok) fails++;
      console.log(
        `  ${line.label.padEnd(96)} ${fmt(line.ms, line.ms < 10 ? 1 : 0).padStart(6)} ms${line.goalMs ? `  (goal < ${line.goalMs} ms${ok ? '' : ' — GOAL MISSED'})` : ''}`,
      );
    }
  }
  if (want('interactions')) {
    console.log(
      "\nViews in headless Chromium on real reports: a CIFAR-format run (examples/cifar-cnn.ts, 3,000 images, 3 epochs, probe 300) and the demo's LeNet run",
    );
    const { benchInteractions } = await import('./viewsInteractionsBench');
    fails += printTimedLines(await benchInteractions(dir));
  }
  if (want('extension')) {
    console.log('\nThe extension host');
    const { benchRunListing } = await import('./runListingBench');
    fails += printTimedLines(await benchRunListing());
    const { benchLongRun } = await import('./longRunBench');
    fails += printTimedLines(benchLongRun());
    const { benchExtension } = await import('./extensionBench');
    for (const line of benchExtension()) {
      if (!line.ok) fails++;
      const value = line.unit ? `${fmt(line.value, line.value < 10 ? 1 : 0).padStart(6)} ${line.unit}` : '';
      console.log(
        `  ${line.label.padEnd(96)} ${value}${line.goal ? `  (goal < ${line.goal} ${line.unit}${line.ok ? '' : ' — GOAL MISSED'})` : ''}`,
      );
    }
  }
  if (want('vsix')) {
    console.log('\nThe .vsix of this platform (scripts/package.mjs --stage --no-check: production bundles and vsce, about 30 s)');
    const { benchVsix } = await import('./vsixBench');
    fails += (await benchVsix(dir, (line) => console.log(line))).fails;
  }
  if (only?.includes('importance')) {
    console.log(
      '\nchannelImportance (two tiers) of every layer of the full-width ResNet-18, one epoch, CIFAR-format images (tens of minutes)',
    );
    const every = await inChild('network-graph-resnet18:every-layer');
    fails += printTimedLines(every.lines!);
  } else
    console.log(
      '\nchannelImportance of every layer of the full-width ResNet-18 (tens of minutes): not run; run it with `node dist/bench.js --only importance`',
    );
  if (only?.includes('report')) {
    console.log(
      '\nThe default report (60 s, 25 MB) of deep models recorded for one epoch on 2,000 CIFAR-format images, probe 200 (minutes per model)',
    );
    const { benchReports, reportModels } = await import('./reportBench');
    const modelsAt = process.argv.indexOf('--report-models');
    const reports = await benchReports(
      dir,
      writeFakeCifar(dir, 2000, { structured: true }),
      async (run) => (await inChild(`report:${run}`)).report!,
      (line) => console.log('  ' + line),
      reportModels(modelsAt < 0 ? undefined : process.argv[modelsAt + 1]),
    );
    fails += reports.fails;
  } else console.log('\nThe default report of deep models (minutes per model): not run; run it with `node dist/bench.js --only report`');
  console.log(
    '\nModel zoo (ResNet-18-style, MobileNetV2-style, BatchNormalization; minutes per model): not run; run it with `node dist/bench.js --zoo [--zoo-inputs N]`',
  );
  rmSync(dir, { recursive: true, force: true });
  if (!existsSync(dir) && fails) process.exitCode = 1;
}

main().catch((e: unknown) => {
  if (e instanceof BenchUsageError) {
    console.error(`bench: ${e.message} (node dist/bench.js --help)`);
    process.exitCode = 2;
  } else {
    console.error(e);
    process.exitCode = 1;
  }
});
