/**
 * The answers of a deep model in the time a user waits (issue 67, `--only findings`): kuangliu's
 * CIFAR ResNet-18, epoch 0 recorded by the Python recorder with random weights
 * (scripts/bench-deep.py, probe 200) and measured by `cnn-slicer measure`, then, each on a fresh
 * copy of the measured run folder (no answer cache: `<run>/cache/` is written by the commands
 * timed here, so the copy is taken before it exists):
 *
 *  - `cnn-slicer findings RUN`: goal ≤ 20 s wall;
 *  - `cnn-slicer report RUN` (the default report, 60 s budget): goal ≤ 60 s wall with no answer
 *    left out for time, and ≤ 1.5 GB peak RSS.
 *
 * Wall seconds, CPU seconds (user + system) and peak RSS from /usr/bin/time where it is installed
 * (else wall seconds only). Each command runs twice, alternately (findings, report, findings,
 * report), and both runs are printed; a goal missed by either run prints GOAL MISSED.
 *
 * Without /usr/bin/python3 with torch the section says so in one line and is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PYTHON } from './torchBench';

const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
/** Issue 67's goals. */
export const FINDINGS_GOAL = { seconds: 20 } as const;
export const REPORT_GOAL = { seconds: 60, mb: 1536 } as const;
const PROBE = 200;
const ROUNDS = 2;

export interface Timed {
  wall: number;
  cpu?: number;
  peakMB?: number;
  /** The command's standard output and error. */
  stdout: string;
  stderr: string;
}

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '—' : v.toFixed(digits));

/** `node dist/cli.js <args>` timed (wall, CPU and peak RSS from /usr/bin/time where there is one). */
export function timeCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const time = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'TIME %e %U %S %M'] : [];
  const started = performance.now();
  const command = time.length ? time[0] : process.execPath;
  const r = spawnSync(command, [...time.slice(1), ...(time.length ? [process.execPath] : []), CLI, ...args], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 26,
  });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0)
    throw new Error(`cnn-slicer ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  const line = /^TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/m.exec(r.stderr ?? '');
  const out = { stdout: r.stdout, stderr: r.stderr ?? '' };
  if (!line) return { wall, ...out };
  return { wall: Number(line[1]), cpu: Number(line[2]) + Number(line[3]), peakMB: Number(line[4]) / 1024, ...out };
}

/**
 * What a report's output says was not computed within --max-seconds: all-input answers, and classes
 * whose answers as an input subset of their own were not (0 where it says none); and how many
 * answers it holds as their estimate tier only (in the page, marked as estimates, not left out).
 */
/** The report output's lines on the answers not computed within --max-seconds: the count, and its examples. */
export function leftOutLines(reportStdout: string): string[] {
  const lines = reportStdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('  not computed within --max-seconds'));
  if (at < 0) return [];
  const examples = lines.slice(at + 1).findIndex((l) => !l.startsWith('    '));
  return lines.slice(at, examples < 0 ? undefined : at + 1 + examples);
}

/** The report's time per kind of answer (CNN_SLICER_REPORT_TIMINGS on stderr), as `kind N s`, longest first as it prints them. */
export function reportTimings(reportStderr: string): string[] {
  return [...reportStderr.matchAll(/^ {2}(.+): (\d+) answers, ([\d.]+) s$/gm)].map((m) => `${m[1]} ${m[3]} s`);
}

export function leftOutForTime(reportStdout: string): { answers: number; classes: number; estimates: number } {
  const answers = /not computed within --max-seconds[^:]*: (\d+) answers/.exec(reportStdout);
  const classes = /each class alone as an input subset: .*?(\d+) not computed within --max-seconds/.exec(reportStdout);
  // Answers held as their estimate tier: in the report, marked, not left out (src/cli/report.ts).
  const estimates = /estimates only, their exact measures not done within --max-seconds[^:]*: (\d+) answers/.exec(reportStdout);
  return {
    answers: answers ? Number(answers[1]) : 0,
    classes: classes ? Number(classes[1]) : 0,
    estimates: estimates ? Number(estimates[1]) : 0,
  };
}

const timedText = (t: Timed): string =>
  `${fmt(t.wall).padStart(6)} s wall, ${fmt(t.cpu).padStart(6)} s CPU, peak ${fmt(t.peakMB, 0).padStart(5)} MB`;

export async function benchFindings(o: { dir: string; print: (line: string) => void }): Promise<{ fails: number }> {
  const { dir, print } = o;
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    print(`  skipped: ${PYTHON} cannot import torch (apt-get install python3-torch)`);
    return { fails: 0 };
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  const out = execFileSync(
    PYTHON,
    [join(ROOT, 'scripts', 'bench-deep.py'), '--model', 'resnet18', '--size', '32', '--probe', String(PROBE), '--runs-dir', dir],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const run = out.trim().split('\n').at(-1) ?? '';
  if (!existsSync(join(run, 'manifest.json')))
    throw new Error(`bench-deep.py recorded no run (it printed ${JSON.stringify(out.slice(-200))})`);
  timeCli(['measure', run]);
  let fails = 0;
  const fresh = (name: string): string => {
    const copy = `${run}-${name}`;
    rmSync(copy, { recursive: true, force: true });
    cpSync(run, copy, { recursive: true });
    return copy;
  };
  print(`  CIFAR ResNet-18 (kuangliu's, 68 layers), epoch 0, probe ${PROBE}, measured; each command on a fresh copy (no answer cache):`);
  for (let round = 1; round <= ROUNDS; round++) {
    const findings = timeCli(['findings', fresh(`findings-${round}`)]);
    const findingsOk = findings.wall <= FINDINGS_GOAL.seconds;
    if (!findingsOk) fails++;
    print(`    findings, run ${round}   ${timedText(findings)}  (goal ≤ ${FINDINGS_GOAL.seconds} s${findingsOk ? '' : ' — GOAL MISSED'})`);
    const copy = fresh(`report-${round}`);
    // With its time per kind of answer on stderr (src/cli/report.ts), printed below where a goal is missed.
    const report = timeCli(['report', copy, '--out', join(dir, `findings-bench-report-${round}.html`)], {
      ...process.env,
      CNN_SLICER_REPORT_TIMINGS: '1',
    });
    const left = leftOutForTime(report.stdout);
    const reportOk =
      report.wall <= REPORT_GOAL.seconds &&
      left.answers + left.classes === 0 &&
      (report.peakMB === undefined || report.peakMB <= REPORT_GOAL.mb);
    if (!reportOk) fails++;
    print(
      `    report, run ${round}     ${timedText(report)}, ${left.answers} answers and ${left.classes} classes alone left out for time, ${left.estimates} held as estimates  (goal ≤ ${REPORT_GOAL.seconds} s, none left out, ≤ ${REPORT_GOAL.mb} MB${reportOk ? '' : ' — GOAL MISSED'})`,
    );
    // Which answers, so that a missed goal says what did not fit.
    if (left.answers > 0) for (const line of leftOutLines(report.stdout)) print(`      ${line.trim()}`);
    if (!reportOk) print(`      time by kind: ${reportTimings(report.stderr).slice(0, 8).join(', ')}`);
  }
  return { fails };
}
