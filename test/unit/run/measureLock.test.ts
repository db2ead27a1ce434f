/**
 * The measuring lock of a run folder (src/run/measureLock.ts): taken in one step, refused to a second
 * taker while its process runs, taken over from a process that is gone (or a reused pid) and from a
 * file that is not a lock, held when of another host, and released only by its holder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measuredElsewhereLine, parseMeasureLock, type MeasureLock } from '../../../src/contract/measureLockFormat';
import { measureLockHolder, measureLockHolderAsync, measureLockPath, releaseOnExit, takeMeasureLock } from '../../../src/run/measureLock';
import { RunWriteError } from '../../../src/run/files';
import { MEASURE_LOCK_FILE } from '../../../src/run/paths';
import { pidExists, processStartTime } from '../../../src/run/process';

/** A pid no process has now. */
function deadPid(): number {
  for (let pid = 4_000_000; pid > 100_000; pid -= 7919) if (!pidExists(pid)) return pid;
  throw new Error('no free pid found');
}

describe('run/measureLock: one measurer per run', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-lock-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const lockText = () => readFileSync(join(folder, MEASURE_LOCK_FILE), 'utf8');
  const writeLock = (lock: Partial<MeasureLock>) =>
    writeFileSync(
      measureLockPath(folder),
      JSON.stringify({ pid: 1, host: hostname(), startedAt: '2026-01-02T03:04:05.000Z', follow: false, ...lock }),
    );

  it('is created whole, naming this process, its start time, the host and the time; no temporary file is left', () => {
    const now = new Date('2026-11-27T10:00:00.000Z');
    const { taken } = takeMeasureLock(folder, { follow: true, now });
    assert.ok(taken);
    const lock = parseMeasureLock(lockText());
    assert.deepEqual(lock, {
      pid: process.pid,
      ...(processStartTime(process.pid) !== undefined ? { pidStartTime: processStartTime(process.pid) } : {}),
      host: hostname(),
      startedAt: '2026-11-27T10:00:00.000Z',
      follow: true,
    });
    assert.deepEqual(taken.lock, lock);
    assert.deepEqual(readdirSync(folder), [MEASURE_LOCK_FILE]);
  });

  it('refuses a second taker while its process runs, naming the holder; the lock is unchanged', () => {
    const first = takeMeasureLock(folder, { follow: true });
    const text = lockText();
    const second = takeMeasureLock(folder, { follow: false });
    assert.equal(second.taken, undefined);
    assert.deepEqual(second.holder, first.taken!.lock);
    assert.equal(lockText(), text);
    assert.deepEqual(measureLockHolder(folder), first.taken!.lock);
    assert.equal(
      measuredElsewhereLine('r1', second.holder, hostname()),
      `run r1 is being measured by process ${process.pid} since ${first.taken!.lock.startedAt}; not measuring it twice`,
    );
  });

  it('takes over the lock of a process that is gone (kill(pid, 0) says ESRCH)', async () => {
    const gone = deadPid();
    writeLock({ pid: gone });
    assert.equal(measureLockHolder(folder), undefined);
    assert.equal(await measureLockHolderAsync(folder), undefined);
    const { taken } = takeMeasureLock(folder, { follow: false });
    assert.ok(taken);
    assert.equal(parseMeasureLock(lockText())?.pid, process.pid);
    assert.deepEqual(readdirSync(folder), [MEASURE_LOCK_FILE], 'the stale lock is not left aside');
  });

  it('takes over a lock whose pid now belongs to a process started at another time', function () {
    const start = processStartTime(process.pid);
    if (start === undefined) this.skip(); // no /proc: a pid alone decides
    writeLock({ pid: process.pid, pidStartTime: String(Number(start) + 1) });
    assert.equal(measureLockHolder(folder), undefined);
    assert.ok(takeMeasureLock(folder, { follow: false }).taken);
    assert.equal(parseMeasureLock(lockText())?.pidStartTime, start);
  });

  for (const [what, text] of [
    ['not JSON', '{"pid": 12'],
    ['empty', ''],
    ['JSON of another shape', '{"pid": "twelve", "host": 3}'],
  ] as const) {
    it(`takes over a lock file that is ${what}`, () => {
      writeFileSync(measureLockPath(folder), text);
      assert.equal(measureLockHolder(folder), undefined);
      assert.ok(takeMeasureLock(folder, { follow: false }).taken);
      assert.equal(parseMeasureLock(lockText())?.pid, process.pid);
      assert.deepEqual(readdirSync(folder), [MEASURE_LOCK_FILE]);
    });
  }

  it('takes over a lock that is a symbolic link (never followed)', () => {
    writeFileSync(
      join(folder, 'elsewhere'),
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), follow: false }),
    );
    symlinkSync(join(folder, 'elsewhere'), measureLockPath(folder));
    assert.equal(measureLockHolder(folder), undefined);
    assert.ok(takeMeasureLock(folder, { follow: false }).taken);
    assert.equal(parseMeasureLock(lockText())?.pid, process.pid);
    assert.ok(readFileSync(join(folder, 'elsewhere'), 'utf8').includes('"pid"'), 'the link target is left alone');
  });

  it('holds a lock of another host, whose process cannot be checked', () => {
    writeLock({ pid: deadPid(), host: 'some-other-machine' });
    const { holder } = takeMeasureLock(folder, { follow: false });
    assert.equal(holder?.host, 'some-other-machine');
    assert.match(measuredElsewhereLine('r1', holder, hostname()), / on some-other-machine since /);
  });

  it('asks the seam whether the holder runs (pid and start time as recorded)', () => {
    writeLock({ pid: 4242, pidStartTime: '77' });
    const asked: [number, string | undefined][] = [];
    const held = takeMeasureLock(folder, { follow: false, isRunning: (pid, start) => (asked.push([pid, start]), true) });
    assert.equal(held.holder?.pid, 4242);
    assert.deepEqual(asked, [[4242, '77']]);
    assert.ok(takeMeasureLock(folder, { follow: false, isRunning: () => false }).taken);
  });

  it('release removes the lock once; a lock taken over since is not removed', () => {
    const { taken } = takeMeasureLock(folder, { follow: false });
    taken!.release();
    assert.deepEqual(readdirSync(folder), []);
    assert.equal(measureLockHolder(folder), undefined);
    taken!.release();
    // Another process took it over (this one was judged gone): releasing late leaves theirs.
    const mine = takeMeasureLock(folder, { follow: false }).taken!;
    writeLock({ pid: 4242 });
    const theirs = lockText();
    mine.release();
    assert.equal(lockText(), theirs);
  });

  it("a lock that cannot be written fails as the run folder's writes do (RunWriteError), leaving nothing", () => {
    const gone = join(folder, 'no-such-run');
    assert.throws(
      () => takeMeasureLock(gone, { follow: false }),
      (e: unknown) => RunWriteError.is(e) && e.reason === 'io' && /could not write the measuring lock/.test(e.message),
    );
    assert.deepEqual(readdirSync(folder), []);
  });

  it('releaseOnExit hooks the exit and the signals before a lock is held, releases what it holds, and its done() releases and unhooks', () => {
    const events = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'];
    const before = events.map((e) => process.listenerCount(e));
    const exit = releaseOnExit();
    assert.deepEqual(
      events.map((e) => process.listenerCount(e)),
      before.map((n) => n + 1),
    );
    // What a normal exit or an uncaught error runs (only this handler: the others are mocha's), with no lock held yet.
    const onExit = process.listeners('exit').at(-1) as (code: number) => void;
    onExit(0);
    const { taken } = takeMeasureLock(folder, { follow: false });
    exit.hold(taken!);
    assert.equal(existsSync(measureLockPath(folder)), true);
    onExit(0);
    assert.deepEqual(readdirSync(folder), []);
    exit.done();
    assert.deepEqual(
      events.map((e) => process.listenerCount(e)),
      before,
    );
  });

  it('releaseOnExit().done() with no lock held only unhooks', () => {
    const before = process.listenerCount('SIGTERM');
    const exit = releaseOnExit();
    exit.done();
    assert.equal(process.listenerCount('SIGTERM'), before);
    assert.deepEqual(readdirSync(folder), []);
  });
});
