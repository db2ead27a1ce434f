/**
 * Inter-sample entropy of N = 5,000 MNIST digits as a user runs it: the whole `cnn-slicer entropy
 * inter` process against the whole numpy reference process (bench/reference_numpy.py), on a quiet
 * machine and with one core held busy by a spinning child process (another program, another agent,
 * a build). Ours, numpy, ours busy, numpy busy, alternating round by round, so a change in the
 * machine's load hits both sides alike; the medians are compared.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface BusyCoreBenchLine {
  label: string;
  /** Median seconds of ours and of numpy, and every timing (seconds) in the order taken. */
  oursSeconds: number;
  numpySeconds: number;
  oursRuns: number[];
  numpyRuns: number[];
  ratio: number;
  goalRatio: number;
}

/** A child process that keeps one core busy until it is stopped. */
function spinner(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

function wallSeconds(command: string, args: string[]): number {
  const t = performance.now();
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 20 });
  return (performance.now() - t) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/**
 * Times both processes on the `.npy` file `samplesNpy` (N × 784 float32, k = 1000) `rounds`
 * times each, quiet and busy; `undefined` when python3 with numpy is missing.
 */
export function benchBusyCore(samplesNpy: string, rounds = 3, cli = resolve(__dirname, 'cli.js')): BusyCoreBenchLine[] | undefined {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const script = resolve(__dirname, '../bench/reference_numpy.py');
  const ours = () => wallSeconds(process.execPath, [cli, 'entropy', 'inter', samplesNpy, '--k', '1000']);
  const numpy = () => wallSeconds('python3', [script, samplesNpy, '1000']);
  const times = { quiet: { ours: [] as number[], numpy: [] as number[] }, busy: { ours: [] as number[], numpy: [] as number[] } };
  for (let r = 0; r < rounds; r++) {
    times.quiet.ours.push(ours());
    times.quiet.numpy.push(numpy());
    const spin = spinner();
    try {
      times.busy.ours.push(ours());
      times.busy.numpy.push(numpy());
    } finally {
      spin.kill();
    }
  }
  const line = (label: string, t: { ours: number[]; numpy: number[] }, goalRatio: number): BusyCoreBenchLine => ({
    label,
    oursSeconds: median(t.ours),
    numpySeconds: median(t.numpy),
    oursRuns: t.ours,
    numpyRuns: t.numpy,
    ratio: median(t.ours) / median(t.numpy),
    goalRatio,
  });
  return [line('quiet', times.quiet, 0.5), line('one core held busy by a spinning process', times.busy, 0.8)];
}
