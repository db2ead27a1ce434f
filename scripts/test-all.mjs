#!/usr/bin/env node
// @ts-check
// `npm test`: every check and every test tier (docs/testing.md, "Tiers"), two jobs at a time.
//
// The jobs and what each waits for:
//   build ─┬─ integration   processes, the CLI, recording (dist/ and its workers)
//          ├─ browser       Chromium: the report's views, the canvas pictures
//          ├─ python        the PyTorch recorder (its engine tests run dist/cli.js)
//          ├─ python-torch2 the same tests on Debian trixie's torch 2.6, in the chroot of
//          │                scripts/torch2-env.mjs (root only; built on first use)
//          ├─ ui            code-server: the packaged .vsix driven from Chromium as a person does
//          └─ vscode        code-server: the extension host suite on dist/ as built (--no-build: a
//                           second build would rewrite dist/ under the other jobs)
//   typecheck, lint, unit   need nothing built
// A free lane takes the first ready job of that list (the longest first, so the two lanes end
// together). Each job's output goes to test-artifacts/logs/<job>.log; a line is printed when a job
// starts and ends, the tail of a failed job's log at the end, then a table of times and the slowest
// test files of each tier (test-artifacts/times/, written by test/support/fileTimes.ts). Every job runs
// even when one fails (a failing tier says nothing about the others); the exit code is 1 if any did.
// Each job's temporary files (TMPDIR, which its tests, Chromium, code-server and the CLI they start
// all use) lie in a folder of its own under one cnn-slicer-test-* folder of the system's: removed when
// the job passes, kept and named when it fails. Tests that forget a folder of theirs leave nothing behind
// (scripts/test-temp.mjs; the mocha tiers also have test/support/tempRoot.ts for a run of their own).
//
// Usage: node scripts/test-all.mjs [--jobs N] [--only a,b] [--skip a,b]
//   --jobs  how many jobs run at once (default 2, or CNN_SLICER_TEST_JOBS)
//   --only / --skip  the jobs to run (their names above); a job whose prerequisite is left out
//           runs anyway, on what is there (dist/ as it is)
import { spawn } from 'node:child_process';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readyTestTemp, TEST_TEMP_VARIABLE } from './test-temp.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOGS = join(ROOT, 'test-artifacts', 'logs');

/** @typedef {{ name: string, command: string[], after: string[] }} Job */

/** @type {Job[]} In the order a free lane takes them. */
const JOBS = [
  { name: 'build', command: ['npm', 'run', 'build'], after: [] },
  { name: 'integration', command: ['npm', 'run', 'test:integration'], after: ['build'] },
  { name: 'ui', command: ['npm', 'run', 'test:ui'], after: ['build'] },
  { name: 'python-torch2', command: ['npm', 'run', 'test:python', '--', '--torch2'], after: ['build'] },
  { name: 'browser', command: ['npm', 'run', 'test:browser'], after: ['build'] },
  { name: 'python', command: ['npm', 'run', 'test:python'], after: ['build'] },
  { name: 'vscode', command: ['node', 'scripts/test-vscode.mjs', '--no-build'], after: ['build'] },
  { name: 'lint', command: ['npm', 'run', 'lint'], after: [] },
  { name: 'unit', command: ['npm', 'run', 'test:unit'], after: [] },
  { name: 'typecheck', command: ['npm', 'run', 'typecheck'], after: [] },
];

const { values } = parseArgs({
  options: { jobs: { type: 'string' }, only: { type: 'string' }, skip: { type: 'string' } },
  strict: true,
});
const lanes = Number(values.jobs ?? process.env.CNN_SLICER_TEST_JOBS ?? 2);
if (!Number.isInteger(lanes) || lanes < 1 || lanes > 16) {
  console.error(`test-all: --jobs must be an integer from 1 to 16, got ${values.jobs}`);
  process.exit(2);
}
/** @param {string | undefined} list */
const names = (list) => (list === undefined ? undefined : new Set(list.split(',').filter(Boolean)));
const only = names(values.only);
const skip = names(values.skip) ?? new Set();
for (const n of [...(only ?? []), ...skip]) {
  if (!JOBS.some((j) => j.name === n)) {
    console.error(`test-all: no job "${n}" (the jobs: ${JOBS.map((j) => j.name).join(', ')})`);
    process.exit(2);
  }
}
const selected = JOBS.filter((j) => (only ? only.has(j.name) : true) && !skip.has(j.name));
const chosen = new Set(selected.map((j) => j.name));

mkdirSync(LOGS, { recursive: true });
const TEMP_ROOT = mkdtempSync(join(tmpdir(), 'cnn-slicer-test-'));
chmodSync(TEMP_ROOT, 0o711); // as scripts/test-temp.mjs's folders: a test runs a child as another user inside
const started = Date.now();
const seconds = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(0)} s`;
const clock = () => seconds(Date.now() - started).padStart(6);

/** @type {Map<string, { code: number, ms: number }>} */
const done = new Map();
const running = new Set();
const waiting = [...selected];

/** @param {Job} job @returns {Promise<void>} */
function run(job) {
  const log = join(LOGS, `${job.name}.log`);
  const out = createWriteStream(log);
  const t0 = Date.now();
  console.log(`${clock()}  ${job.name}: started (${job.command.join(' ')}; log ${log.slice(ROOT.length + 1)})`);
  const temp = join(TEMP_ROOT, job.name); // short: see scripts/test-temp.mjs
  mkdirSync(temp);
  readyTestTemp(temp);
  return new Promise((resolveJob) => {
    const env = { ...process.env, TMPDIR: temp, [TEST_TEMP_VARIABLE]: temp };
    const child = spawn(job.command[0], job.command.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const finish = (/** @type {number} */ code) => {
      const ms = Date.now() - t0;
      done.set(job.name, { code, ms });
      if (code === 0) rmSync(temp, { recursive: true, force: true });
      out.end(() => {
        console.log(
          `${clock()}  ${job.name}: ${code === 0 ? 'passed' : `FAILED (exit ${code}; its temporary files are kept in ${temp})`} in ${seconds(ms)}`,
        );
        resolveJob();
      });
    };
    child.on('error', (e) => {
      out.write(`test-all: could not start ${job.command.join(' ')}: ${e.message}\n`);
      finish(127);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 : 1)));
  });
}

/** Starts ready jobs while lanes are free; resolves when every job has ended. */
async function schedule() {
  /** @type {Set<Promise<void>>} */
  const inFlight = new Set();
  while (waiting.length > 0 || inFlight.size > 0) {
    while (running.size < lanes) {
      const i = waiting.findIndex((j) => j.after.every((a) => !chosen.has(a) || done.has(a)));
      if (i < 0) break;
      const [job] = waiting.splice(i, 1);
      const failedBefore = job.after.filter((a) => (done.get(a)?.code ?? 0) !== 0);
      if (failedBefore.length > 0) {
        console.log(`${clock()}  ${job.name}: not run, ${failedBefore.join(', ')} failed`);
        done.set(job.name, { code: -1, ms: 0 });
        continue;
      }
      running.add(job.name);
      const p = run(job).then(() => {
        running.delete(job.name);
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }
}

await schedule();
if (readdirSync(TEMP_ROOT).length === 0) rmSync(TEMP_ROOT, { recursive: true, force: true });

const failed = selected.filter((j) => (done.get(j.name)?.code ?? 1) !== 0);
for (const job of failed) {
  const r = done.get(job.name);
  if (!r || r.code === -1) continue;
  const lines = readFileSync(join(LOGS, `${job.name}.log`), 'utf8').split('\n');
  console.log(`\n──── ${job.name} failed: the last ${Math.min(lines.length, 150)} lines of its log ────`);
  console.log(lines.slice(-150).join('\n'));
}
console.log(`\n${'job'.padEnd(14)} ${'result'.padEnd(8)} time`);
for (const job of selected) {
  const r = done.get(job.name);
  const result = !r ? 'not run' : r.code === 0 ? 'passed' : r.code === -1 ? 'skipped' : 'FAILED';
  console.log(`${job.name.padEnd(14)} ${result.padEnd(8)} ${r && r.code !== -1 ? seconds(r.ms) : '—'}`);
}
// The slowest files of each mocha tier that ran (test/support/fileTimes.ts writes their times).
for (const tier of ['unit', 'integration', 'browser', 'ui']) {
  const file = join(ROOT, 'test-artifacts', 'times', `${tier}.tsv`);
  if (!done.has(tier) || !existsSync(file) || statSync(file).mtimeMs < started) continue;
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(0, 5);
  console.log(`slowest ${tier} files: ${rows.map((r) => r.split('\t').reverse().join(' ') + ' s').join(', ')}`);
}
console.log(`${'all'.padEnd(14)} ${(failed.length ? 'FAILED' : 'passed').padEnd(8)} ${seconds(Date.now() - started)} on ${lanes} lane(s)`);
process.exit(failed.length ? 1 : 0);
