/**
 * One measurer per run, with the built CLI (src/cli/measure.ts, src/run/measureLock.ts): two
 * `cnn-slicer measure` started at once on the PyTorch fixture run (its epochs pending) measure it
 * once — one measures, the other leaves in one line with exit code 0 — and metrics.jsonl holds one
 * line per epoch; `measure --follow` and `findings` wait for a holder that does not follow; a signal releases the lock.
 * In-process, the run folder is read once on the way from `measureBeforeOpening` to the first measure.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { measureBeforeOpening } from '../../../src/cli/measure';
import { parseMeasureLock } from '../../../src/contract/measureLockFormat';
import { measureLockPath, takeMeasureLock } from '../../../src/run/measureLock';
import { processStartTime } from '../../../src/run/process';
import { copyPytorchRun } from '../../support/fixtureRuns';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(args: string[], cwd: string): { child: ReturnType<typeof spawn>; ended: Promise<Ended>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const ended = new Promise<Ended>((done) => child.on('close', (code, signal) => done({ code, signal, stderr })));
  return { child, ended, stderr: () => stderr };
}

/** The epochs of metrics.jsonl's lines: complete ones, and those still pending. */
function metricsEpochs(folder: string): { complete: number[]; pending: number[] } {
  const lines = readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { epoch: number; pending?: string });
  return { complete: lines.filter((l) => !l.pending).map((l) => l.epoch), pending: lines.filter((l) => l.pending).map((l) => l.epoch) };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cnn-slicer measure: one measurer per run (the built CLI)', function () {
  this.timeout(180_000);
  let dir: string;
  let folder: string;
  before(function () {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run "npm run build" first');
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-measure-lock-'));
    ({ folder } = copyPytorchRun(dir));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('two measure --follow at once on a recording run: one measures and follows, the other leaves in one line; so does measure', async () => {
    // The run records still: its recorder is this process (pid and start time), as the Python recorder's manifest says.
    const manifestFile = path.join(folder, 'manifest.json');
    const completed = readFileSync(manifestFile, 'utf8');
    const start0 = processStartTime(process.pid);
    writeFileSync(
      manifestFile,
      JSON.stringify({ ...JSON.parse(completed), status: 'recording', pid: process.pid, ...(start0 ? { pidStartTime: start0 } : {}) }),
    );
    const a = start(['measure', folder, '--follow', '--backend', 'wasm'], dir);
    const b = start(['measure', folder, '--follow', '--backend', 'wasm'], dir);
    const first = await Promise.race([a.ended.then(() => 'a'), b.ended.then(() => 'b')]);
    const [leaver, follower] = first === 'a' ? [a, b] : [b, a];
    const left = await leaver.ended;
    assert.equal(left.code, 0, left.stderr);
    const line = (pid: number) =>
      new RegExp(`^run ${escape(folder)} is being measured by process ${pid} since \\S+; not measuring it twice\\n$`);
    assert.match(left.stderr, line(follower.child.pid!));
    await until('the follower to measure epoch 2', () => /epoch 2: measured/.test(follower.stderr()));
    // The extension's measure, once the run is seen: it leaves too, in one line, exit code 0.
    const plain = await start(['measure', folder, '--backend', 'wasm'], dir).ended;
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, line(follower.child.pid!));
    // The recorder completes: the follower stops, releasing the lock.
    writeFileSync(manifestFile, completed);
    const followed = await follower.ended;
    assert.equal(followed.code, 0, followed.stderr);
    assert.equal(followed.stderr.match(/: measured/g)?.length, 3, followed.stderr);
    assert.deepEqual(metricsEpochs(folder), { complete: [0, 1, 2], pending: [0, 1, 2] });
    assert.equal(existsSync(measureLockPath(folder)), false, 'the lock is released');
  });

  it('two measures started at once measure each epoch once, whichever takes the lock: one line per epoch', async () => {
    const ended = await Promise.all([
      start(['measure', folder, '--backend', 'wasm'], dir).ended,
      start(['measure', folder, '--backend', 'wasm'], dir).ended,
    ]);
    for (const e of ended) assert.equal(e.code, 0, e.stderr);
    const measured = ended.flatMap((e) => e.stderr.match(/epoch \d+: measured/g) ?? []).sort();
    assert.deepEqual(measured, ['epoch 0: measured', 'epoch 1: measured', 'epoch 2: measured']);
    assert.deepEqual(metricsEpochs(folder), { complete: [0, 1, 2], pending: [0, 1, 2] });
    assert.equal(existsSync(measureLockPath(folder)), false);
  });

  it('measure leaves a run another process is measuring, writing nothing; --follow waits for it, then measures', async () => {
    const before = readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8');
    const held = takeMeasureLock(folder, { follow: false }).taken!;
    const plain = await start(['measure', folder, '--backend', 'wasm'], dir).ended;
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, new RegExp(`by process ${process.pid} since ${held.lock.startedAt}; not measuring it twice`));
    assert.equal(readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8'), before);

    const follower = start(['measure', folder, '--follow', '--backend', 'wasm'], dir);
    await until('the follower to say it waits', () => /following it once that ends/.test(follower.stderr()));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8'), before, 'nothing measured while the lock is held');
    held.release();
    const followed = await follower.ended;
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stderr, /following it once that ends/);
    assert.match(followed.stderr, /epoch 2: measured/);
    assert.deepEqual(metricsEpochs(folder).complete, [0, 1, 2]);
    assert.equal(existsSync(measureLockPath(folder)), false);
  });

  it('findings waits for the process measuring the run, then opens it measured once', async () => {
    const before = readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8');
    const held = takeMeasureLock(folder, { follow: false }).taken!;
    const findings = start(['findings', folder], dir);
    await until('findings to say it waits', () => /process \d+ is measuring it \(since \S+\); waiting for it/.test(findings.stderr()));
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8'), before, 'nothing measured while the lock is held');
    held.release();
    const ended = await findings.ended;
    assert.equal(ended.code, 0, ended.stderr);
    assert.deepEqual(metricsEpochs(folder).complete, [0, 1, 2]);
    assert.equal(existsSync(measureLockPath(folder)), false);
  });

  it('SIGTERM releases the lock, even sent the moment the lock appears', async function () {
    if (process.platform === 'win32') this.skip();
    // Killed as soon as the lock file is created: before the release was hooked ahead of the take
    // (src/run/measureLock.ts releaseOnExit), this left the lock behind every time.
    const m = start(['measure', folder, '--backend', 'wasm'], dir);
    let killed = false;
    let holder: number | undefined;
    const lockFile = measureLockPath(folder);
    const watcher = fs.watch(folder, (_event, name) => {
      if (name !== path.basename(lockFile) || killed || !existsSync(lockFile)) return;
      m.child.kill('SIGTERM'); // first: reading the lock before the kill gave the process time to hook its release
      killed = true;
      try {
        holder = parseMeasureLock(readFileSync(lockFile, 'utf8'))?.pid;
      } catch {
        // Released already: the process answered the signal before this read.
      }
    });
    const ended = await m.ended.finally(() => watcher.close());
    assert.equal(killed, true, 'the lock appeared');
    if (holder !== undefined) assert.equal(holder, m.child.pid);
    assert.equal(ended.signal, 'SIGTERM', ended.stderr);
    assert.equal(existsSync(lockFile), false);
  });
});

/**
 * The files the process opens, in order, while `body` runs: `manifest` for each read of the run's
 * manifest.json (one per src/run/store.ts `readRun`), `checkpoint` for each epoch's ONNX file.
 */
async function openedDuring(body: () => Promise<void>): Promise<string[]> {
  const opened: string[] = [];
  const sync = fs as { openSync: typeof fs.openSync };
  const promises = fsPromises as { open: typeof fsPromises.open };
  const { openSync } = sync;
  const { open } = promises;
  const note = (file: fs.PathLike) => {
    const name = file.toString();
    if (path.basename(name) === 'manifest.json') opened.push('manifest');
    else if (name.endsWith('.onnx')) opened.push('checkpoint');
  };
  sync.openSync = ((file: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode) => {
    note(file);
    return openSync(file, flags, mode);
  }) as typeof fs.openSync;
  promises.open = (file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
    note(file);
    return open(file, flags, mode);
  };
  try {
    await body();
  } finally {
    sync.openSync = openSync;
    promises.open = open;
  }
  return opened;
}

describe('measureBeforeOpening: the run folder read once before the first measure', function () {
  this.timeout(180_000);
  let dir: string;
  let folder: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-measure-reads-'));
    ({ folder } = copyPytorchRun(dir));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads manifest.json once before the first checkpoint is opened, then measures every epoch once', async () => {
    let stderr = '';
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } };
    const opened = await openedDuring(() => measureBeforeOpening(folder, io));
    assert.match(stderr, /^measuring 3 epoch\(s\) recorded by PyTorch/);
    const first = opened.indexOf('checkpoint');
    assert.ok(first > 0, `opened: ${opened.join(', ')}`);
    // Before the run was passed down: measureBeforeOpening, measurePendingEpochs, measureUnderLock
    // and the first epoch's check each read it (4).
    assert.deepEqual(opened.slice(0, first), ['manifest']);
    assert.equal(opened.filter((o) => o === 'checkpoint').length, 3);
    assert.deepEqual(metricsEpochs(folder), { complete: [0, 1, 2], pending: [0, 1, 2] });
  });
});
