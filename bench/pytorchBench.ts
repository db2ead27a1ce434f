/**
 * The PyTorch recorder (python/cnn_slicer) and the engine's import of its checkpoints (`--only pytorch`):
 *
 *  - the recorder's overhead on the demo workload: examples/pytorch/train_lenet.py (3 epochs, 9,500
 *    MNIST digits, probe 500) with and without the recorder (`--no-record`), alternating, medians of
 *    3 of the whole script's wall time and of the training loop it prints; goal ≤ 10% on the loop; and
 *    the recorder alone, its measures deferred (`CNN_SLICER_MEASURE=0`);
 *  - the same on a full-width CIFAR ResNet-18 (scripts/bench-resnet18.py, seeded random 3×32×32
 *    images, 1 epoch, probe 500); goal ≤ 5%. One epoch of 5,000 inputs takes far more than 3 minutes
 *    on a loaded 2-core machine, so it trains on `CNN_SLICER_BENCH_RESNET_INPUTS` inputs (default
 *    500), says so, and also gives the overhead that the recorder's measured seconds would be on
 *    5,000 inputs (the recorder's work does not grow with the training inputs);
 *  - `loadCheckpoint` (src/tfjs/forward.ts) of the ResNet-18's ONNX checkpoint written by that run
 *    (11.2 M parameters) in a fresh process, against loading the TensorFlow.js checkpoint of the
 *    same-size examples/resnet18.ts in another; goal < 2 s; with each one's peak RSS.
 *
 * Without /usr/bin/python3 and torch the section says so in one line and is skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PYTHON, torchAvailable } from './torchBench';

const REPEATS = 3;
const LENET_GOAL = 0.1;
const RESNET_GOAL = 0.05;
const IMPORT_GOAL_SECONDS = 2;
/** The ResNet-18 workload the goal names, and what this machine measures by default. */
const RESNET_NOMINAL_INPUTS = 5_000;
const RESNET_DEFAULT_INPUTS = 500;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const list = (values: number[]): string => values.map((s) => s.toFixed(1)).join(', ');
const percent = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

/** One run of a training script: wall seconds of the whole process, the loop's seconds it printed, the run folder it recorded. */
interface ScriptRun {
  wall: number;
  loop?: number;
  runDir?: string;
}

function runScript(script: string, args: string[], runsDir: string, env: Record<string, string> = {}): ScriptRun {
  const start = performance.now();
  const r = spawnSync(PYTHON, [script, ...args], {
    cwd: resolve(__dirname, '..'),
    encoding: 'utf8',
    env: { ...process.env, CNN_SLICER_RUNS: runsDir, ...env },
    maxBuffer: 1 << 24,
  });
  const wall = (performance.now() - start) / 1000;
  if (r.status !== 0)
    throw new Error(`${PYTHON} ${script} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').at(-1)}`);
  const loop = /^training(?: and recording)?: ([\d.]+) s$/m.exec(r.stdout);
  const runDir = r.stdout.split('\n').find((line) => line.startsWith(runsDir));
  return { wall, loop: loop ? Number(loop[1]) : undefined, runDir };
}

/**
 * Waits (at most 10 minutes) until the engine has measured every epoch of a recorded run: the
 * recorder's measurer outlives the script, and the next timed run must not share the machine with it.
 */
function waitMeasured(runDir: string): void {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { epochs: number[] };
    const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.includes('"pending"'));
    if (lines.length >= manifest.epochs.length) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
}

/**
 * Alternating runs without the recorder, with it (its measurer beside the training, as a user gets
 * it) and with it measuring nothing (`CNN_SLICER_MEASURE=0`: the recorder's own work), medians of
 * `REPEATS`; each recorded run is measured before the next starts. The last recorded run folder is
 * kept, the others removed.
 */
function overhead(
  script: string,
  args: string[],
  runsDir: string,
): { without: ScriptRun[]; with: ScriptRun[]; deferred: ScriptRun[]; lastRun?: string } {
  const without: ScriptRun[] = [];
  const withRec: ScriptRun[] = [];
  const deferred: ScriptRun[] = [];
  for (let r = 0; r < REPEATS; r++) {
    without.push(runScript(script, [...args, '--no-record'], runsDir));
    const recorded = runScript(script, args, runsDir);
    if (recorded.runDir) waitMeasured(recorded.runDir);
    withRec.push(recorded);
    const alone = runScript(script, args, runsDir, { CNN_SLICER_MEASURE: '0' });
    deferred.push(alone);
    if (alone.runDir) rmSync(alone.runDir, { recursive: true, force: true });
    if (r < REPEATS - 1 && recorded.runDir) rmSync(recorded.runDir, { recursive: true, force: true });
  }
  return { without, with: withRec, deferred, lastRun: withRec.at(-1)?.runDir };
}

/** Prints the overhead lines; returns the loop's (else the wall's) ratio with / without. */
function printOverhead(
  o: { without: ScriptRun[]; with: ScriptRun[]; deferred: ScriptRun[] },
  print: (line: string) => void,
): { ratio: number; recorderSeconds: number; loopWithout: number } {
  const wall = { without: o.without.map((r) => r.wall), with: o.with.map((r) => r.wall) };
  const loops = o.without.every((r) => r.loop !== undefined) && o.with.every((r) => r.loop !== undefined);
  const loop = { without: o.without.map((r) => r.loop ?? 0), with: o.with.map((r) => r.loop ?? 0) };
  print(
    `    without the recorder: whole script ${median(wall.without).toFixed(1)} s (runs ${list(wall.without)})` +
      (loops ? `, training loop ${median(loop.without).toFixed(1)} s (runs ${list(loop.without)})` : ''),
  );
  print(
    `    with the recorder:    whole script ${median(wall.with).toFixed(1)} s (runs ${list(wall.with)})` +
      (loops ? `, training loop ${median(loop.with).toFixed(1)} s (runs ${list(loop.with)})` : ''),
  );
  const deferredLoops = o.deferred.map((r) => r.loop ?? r.wall);
  print(
    `    recorder alone:       training loop ${median(deferredLoops).toFixed(1)} s (runs ${list(deferredLoops)}; CNN_SLICER_MEASURE=0, measures deferred: ` +
      `${percent(median(deferredLoops) / (loops ? median(loop.without) : median(wall.without)))})`,
  );
  const wallRatio = median(wall.with) / median(wall.without);
  const loopRatio = loops ? median(loop.with) / median(loop.without) : undefined;
  return {
    ratio: loopRatio ?? wallRatio,
    recorderSeconds: loops ? median(loop.with) - median(loop.without) : median(wall.with) - median(wall.without),
    loopWithout: loops ? median(loop.without) : median(wall.without),
  };
}

/** `CNN_SLICER_BENCH_RESNET_INPUTS`: the ResNet-18's training inputs (default 500). */
function resnetInputs(): number {
  const raw = process.env.CNN_SLICER_BENCH_RESNET_INPUTS;
  const n = raw === undefined ? RESNET_DEFAULT_INPUTS : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`CNN_SLICER_BENCH_RESNET_INPUTS takes a whole number ≥ 1, not ${raw}`);
  return n;
}

/** What an import child reports: seconds of `loadCheckpoint`, the model's parameters, RSS before and at peak. */
export interface ImportFigures {
  seconds: number;
  parameters: number;
  rssBeforeMB: number;
  peakRssMB: number;
  backend: string;
}

/** The `pytorch-import:<checkpoint folder>` case: `loadCheckpoint` of `<run>/checkpoints/epoch-NNNN` in this (fresh) process, after the backend is up. */
export async function importCase(dir: string): Promise<ImportFigures> {
  const { initBackend } = await import('../src/tfjs/backend');
  const { loadCheckpoint } = await import('../src/tfjs/forward');
  const { tf, backend } = await initBackend();
  const manifest = JSON.parse(readFileSync(resolve(dir, '..', '..', 'manifest.json'), 'utf8')) as {
    layers: Parameters<typeof loadCheckpoint>[2];
  };
  const rssBeforeMB = process.memoryUsage().rss / 1024 ** 2;
  const start = performance.now();
  const model = await loadCheckpoint(tf, dir, manifest.layers);
  const seconds = (performance.now() - start) / 1000;
  const parameters = model.countParams();
  model.dispose();
  return { seconds, parameters, rssBeforeMB, peakRssMB: process.resourceUsage().maxRSS / 1024, backend };
}

/**
 * The `pytorch-tfjs-checkpoint:<folder>` case: examples/resnet18.ts's TensorFlow.js checkpoint as a
 * recording writes one (model.json + weights.bin) in `<folder>/checkpoints/epoch-0000`, beside a
 * manifest.json holding its layers' parameter counts (what the checkpoint reader's size limits read).
 */
export async function writeTfjsCheckpointCase(folder: string): Promise<void> {
  const { initBackend } = await import('../src/tfjs/backend');
  const { serializeCheckpoint } = await import('../src/recorder/checkpoint');
  const { createModel } = await import('../examples/resnet18');
  const { tf } = await initBackend();
  const model = createModel();
  const files = await serializeCheckpoint(model, tf);
  const dir = join(folder, 'checkpoints', 'epoch-0000');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), files.modelJson);
  writeFileSync(join(dir, 'weights.bin'), files.weights);
  const layers = model.layers.map((l, index) => ({ index, name: l.name, className: l.getClassName(), parameters: l.countParams() }));
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ layers }));
  model.dispose();
}

/** The whole section; `inChild` runs a bench case in a fresh process. `fails` counts the goals missed. */
export async function benchPytorch(options: {
  dir: string;
  inChild: (name: string) => Promise<{ import?: ImportFigures }>;
  print: (line: string) => void;
}): Promise<{ fails: number }> {
  const { print } = options;
  const available = torchAvailable(false);
  if (!available.ok) {
    print(`  PyTorch recorder skipped: ${available.reason}`);
    return { fails: 0 };
  }
  let fails = 0;
  const runs = mkdtempSync(join(options.dir, 'pytorch-runs-'));
  try {
    const lenet = overhead(resolve(__dirname, '../examples/pytorch/train_lenet.py'), [], runs);
    print(
      '  examples/pytorch/train_lenet.py, 3 epochs, 9,500 MNIST digits, probe 500, alternating without / with the recorder, medians of 3:',
    );
    const l = printOverhead(lenet, print);
    const lenetOk = l.ratio - 1 <= LENET_GOAL;
    if (!lenetOk) fails++;
    print(
      `    recorder overhead on the training loop ≤ ${LENET_GOAL * 100}%: ${percent(l.ratio)} (${l.ratio.toFixed(3)}×; ${lenetOk ? 'met' : 'GOAL MISSED'})`,
    );
    if (lenet.lastRun) rmSync(lenet.lastRun, { recursive: true, force: true });

    const inputs = resnetInputs();
    const fewer = inputs < RESNET_NOMINAL_INPUTS;
    const resnet = overhead(
      resolve(__dirname, '../scripts/bench-resnet18.py'),
      ['--inputs', String(inputs), '--probe', '500', '--runs-dir', runs],
      runs,
    );
    print(
      `  scripts/bench-resnet18.py (full-width CIFAR ResNet-18), 1 epoch, ${inputs.toLocaleString('en-US')} random 3×32×32 inputs` +
        `${fewer ? ` (not ${RESNET_NOMINAL_INPUTS.toLocaleString('en-US')}: an epoch of those takes over 3 minutes here; CNN_SLICER_BENCH_RESNET_INPUTS=N to change)` : ''}` +
        ', batch 128, probe 500, alternating, medians of 3:',
    );
    const r = printOverhead(resnet, print);
    const resnetOk = r.ratio - 1 <= RESNET_GOAL;
    if (!resnetOk) fails++;
    print(
      `    recorder overhead on the training loop ≤ ${RESNET_GOAL * 100}%: ${percent(r.ratio)} at ${inputs.toLocaleString('en-US')} inputs ` +
        `(${r.ratio.toFixed(3)}×; ${resnetOk ? 'met' : 'GOAL MISSED'}); the recorder's ${r.recorderSeconds.toFixed(1)} s` +
        (fewer
          ? ` would be ${percent(1 + r.recorderSeconds / ((r.loopWithout * RESNET_NOMINAL_INPUTS) / inputs))} of a ${RESNET_NOMINAL_INPUTS.toLocaleString('en-US')}-input epoch (its loop scaled from this one)`
          : ''),
    );

    if (!resnet.lastRun) {
      print('  ResNet-18 checkpoint import: no recorded run to import');
      return { fails: fails + 1 };
    }
    const onnx = (await options.inChild(`pytorch-import:${join(resnet.lastRun, 'checkpoints', 'epoch-0001')}`)).import!;
    const tfjsFolder = join(runs, 'tfjs-resnet18');
    await options.inChild(`pytorch-tfjs-checkpoint:${tfjsFolder}`);
    const tfjs = (await options.inChild(`pytorch-import:${join(tfjsFolder, 'checkpoints', 'epoch-0000')}`)).import!;
    const ok = onnx.seconds < IMPORT_GOAL_SECONDS;
    if (!ok) fails++;
    print(`  loadCheckpoint of a ResNet-18 checkpoint in a fresh process (${onnx.backend}; after the backend is up):`);
    print(
      `    ONNX (the recorder's model.onnx, ${(onnx.parameters / 1e6).toFixed(1)} M parameters): ${onnx.seconds.toFixed(2)} s, ` +
        `peak RSS ${onnx.peakRssMB.toFixed(0)} MB (${onnx.rssBeforeMB.toFixed(0)} MB before) (goal < ${IMPORT_GOAL_SECONDS} s${ok ? '' : ' — GOAL MISSED'})`,
    );
    print(
      `    TensorFlow.js layers checkpoint of examples/resnet18.ts (${(tfjs.parameters / 1e6).toFixed(1)} M parameters): ${tfjs.seconds.toFixed(2)} s, ` +
        `peak RSS ${tfjs.peakRssMB.toFixed(0)} MB (${tfjs.rssBeforeMB.toFixed(0)} MB before); ONNX ${(onnx.seconds / tfjs.seconds).toFixed(2)}× its time`,
    );
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
  return { fails };
}
