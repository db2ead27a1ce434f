/**
 * One measurer per run: the measuring lock of a run folder (`measuring.lock`, docs/run-format.md
 * "The measuring lock"). A `cnn-slicer measure` process takes it before it measures a PyTorch run's
 * pending epochs and holds it until it exits; a second one finds it held and leaves (or, with
 * `--follow`, waits), and the extension does not start one while it is held
 * (src/extension/runs/pendingMeasures.ts).
 *
 * - Taken atomically: the lock's whole text is written to a temporary file that is then hard-linked
 *   to `measuring.lock`, which fails with EEXIST when the lock exists — so a reader never sees a lock
 *   half written, and of two takers exactly one wins. (Where the file system has no hard links,
 *   `open(…, 'wx')`, O_EXCL, does the same; the text is then written just after.)
 * - It holds the taker's pid, its start time (src/run/process.ts, against a reused pid), the host
 *   name, the time it was taken and whether it follows a recording (src/contract/measureLockFormat.ts).
 * - A lock is held while its process runs: one of this host whose pid is gone (`kill(pid, 0)`:
 *   ESRCH) or now belongs to a process started at another time is stale, and so is a file that is
 *   not a lock (damaged, cut off, a link, too large). A stale lock is taken over: moved aside under a
 *   unique name (one rename, so of two takers one moves it), checked to be the very file judged
 *   stale, and deleted. A lock of another host cannot be checked and holds until deleted by hand.
 * - Released by its holder: on a normal exit, an error, and SIGINT, SIGTERM or SIGHUP
 *   ({@link releaseOnExit}, hooked before the lock is taken). Release removes the file only while it is still this holder's.
 */
import { linkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type MeasureLock, parseMeasureLock } from '../contract/measureLockFormat';
import { RunWriteError } from './files';
import { MEASURE_LOCK_FILE } from './paths';
import { pidExists, processStartTime } from './process';
import { FileReadError, readBoundedFile, readBoundedFileAsync } from './read';

/** The most a lock file may hold: its JSON is about 150 bytes. */
const LOCK_MAX_BYTES = 4096;

/** How many times a taker looks again when the lock changed under it (another taker, a release). */
const TAKE_TRIES = 8;

/** The path of a run folder's measuring lock. */
export function measureLockPath(runFolder: string): string {
  return join(runFolder, MEASURE_LOCK_FILE);
}

/** How a lock's holder is judged (seams for tests: another host, a process that is gone). */
export interface LockCheck {
  /** This machine's name (default `os.hostname()`). */
  host?: string;
  /** Whether a process of this host with `pid` (started at `startTime`, where known) runs. */
  isRunning?: (pid: number, startTime: string | undefined) => boolean;
}

/** Whether the process a lock names runs: this host's pid exists and, where both are known, started when the lock says. */
function processRuns(pid: number, startTime: string | undefined): boolean {
  if (!pidExists(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}

/** Whether `lock` is held: its process runs, or it is of another host (which cannot be checked). */
export function lockHeld(lock: MeasureLock, check: LockCheck = {}): boolean {
  if (lock.host !== (check.host ?? hostname())) return true;
  return (check.isRunning ?? processRuns)(lock.pid, lock.pidStartTime);
}

/** What the lock file holds: nothing, a lock (with its text), or something that is not a lock. */
type LockFile = { kind: 'none' } | { kind: 'lock'; lock: MeasureLock; text: string } | { kind: 'damaged'; text?: string };

function judge(read: () => Buffer): LockFile {
  let text: string;
  try {
    text = read().toString('utf8');
  } catch (e) {
    return FileReadError.is(e) && e.problem === 'missing' ? { kind: 'none' } : { kind: 'damaged' };
  }
  const lock = parseMeasureLock(text);
  return lock ? { kind: 'lock', lock, text } : { kind: 'damaged', text };
}

function readLockFile(path: string, folder: string): LockFile {
  return judge(() => readBoundedFile(path, { maxBytes: LOCK_MAX_BYTES, within: folder }));
}

/** The live holder of a run's measuring lock, or undefined when none holds it (no lock, a stale or damaged one). */
export function measureLockHolder(runFolder: string, check: LockCheck = {}): MeasureLock | undefined {
  const file = readLockFile(measureLockPath(runFolder), runFolder);
  return file.kind === 'lock' && lockHeld(file.lock, check) ? file.lock : undefined;
}

/** {@link measureLockHolder} without blocking the event loop on the read (for the extension host). */
export async function measureLockHolderAsync(runFolder: string, check: LockCheck = {}): Promise<MeasureLock | undefined> {
  let bytes: Buffer | undefined;
  let error: unknown;
  try {
    bytes = await readBoundedFileAsync(measureLockPath(runFolder), { maxBytes: LOCK_MAX_BYTES, within: runFolder });
  } catch (e) {
    error = e;
  }
  const file = judge(() => {
    if (bytes === undefined) throw error;
    return bytes;
  });
  return file.kind === 'lock' && lockHeld(file.lock, check) ? file.lock : undefined;
}

/** A measuring lock this process holds. */
export interface HeldMeasureLock {
  readonly lock: MeasureLock;
  /** Removes the lock file if it is still this holder's; once (later calls do nothing). */
  release(): void;
}

/** The outcome of {@link takeMeasureLock}: the lock taken, or the live holder that has it. */
export type MeasureLockAttempt = { taken: HeldMeasureLock; holder?: undefined } | { taken?: undefined; holder: MeasureLock };

export interface TakeOptions extends LockCheck {
  /** Whether the taker follows a recording (`measure --follow`). */
  follow: boolean;
  /** The taker's pid and start time (default: this process's). */
  pid?: number;
  pidStartTime?: string;
  /** The time it takes the lock (default now). */
  now?: Date;
}

/**
 * Takes the measuring lock of `runFolder`: atomically creates it, or takes over a stale or damaged
 * one; returns the live holder instead where another process holds it.
 * @throws RunWriteError where the lock cannot be written (a read-only run folder, a full disk).
 */
export function takeMeasureLock(runFolder: string, options: TakeOptions): MeasureLockAttempt {
  const pid = options.pid ?? process.pid;
  const pidStartTime = options.pid === undefined ? processStartTime(pid) : options.pidStartTime;
  const lock: MeasureLock = {
    pid,
    ...(pidStartTime !== undefined ? { pidStartTime } : {}),
    host: options.host ?? hostname(),
    startedAt: (options.now ?? new Date()).toISOString(),
    follow: options.follow,
  };
  const text = JSON.stringify(lock) + '\n';
  const path = measureLockPath(runFolder);
  let lastHolder: MeasureLock | undefined;
  for (let attempt = 0; attempt < TAKE_TRIES; attempt++) {
    if (create(path, text)) return { taken: heldLock(path, runFolder, lock, text) };
    const file = readLockFile(path, runFolder);
    if (file.kind === 'none') continue; // released in between: try again
    if (file.kind === 'lock' && lockHeld(file.lock, options)) return { holder: file.lock };
    if (file.kind === 'lock') lastHolder = file.lock;
    moveAsideIfStill(path, runFolder, file);
  }
  // Every try lost a race: someone else keeps taking and releasing it; take it as held by them.
  const now = readLockFile(path, runFolder);
  return { holder: now.kind === 'lock' ? now.lock : (lastHolder ?? lock) };
}

/** A lock that could not be written (a read-only run folder, a full disk), as the run folder's other writes fail. */
function lockWriteError(e: unknown, path: string): RunWriteError {
  const code = (e as NodeJS.ErrnoException).code;
  return new RunWriteError(
    `could not write the measuring lock ${path}: ${(e as Error).message}`,
    code === 'ENOSPC' || code === 'EDQUOT' ? 'disk-full' : 'io',
  );
}

/** Creates the lock file with `text` in one step; false when it exists. */
function create(path: string, text: string): boolean {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
  } catch (e) {
    throw lockWriteError(e, path);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw lockWriteError(e, path);
    // No hard links on this file system: O_EXCL creates it, the text follows.
    try {
      writeFileSync(path, text, { flag: 'wx' });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw lockWriteError(e2, path);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Takes a stale or damaged lock file out of the way: renamed aside (of two takers, one renames it),
 * then deleted if it is the file that was judged; a live lock taken in between by another process is
 * put back.
 */
function moveAsideIfStill(path: string, folder: string, judged: LockFile): void {
  const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already, or another taker moved it: look again
  }
  const moved = readLockFile(aside, folder);
  const same = moved.kind === judged.kind && textOf(moved) === textOf(judged);
  if (!same && moved.kind === 'lock') {
    try {
      linkSync(aside, path);
    } catch {
      // A third taker has created one meanwhile: it holds.
    }
  }
  rmSync(aside, { force: true });
}

function textOf(file: LockFile): string | undefined {
  return file.kind === 'none' ? undefined : file.text;
}

function heldLock(path: string, folder: string, lock: MeasureLock, text: string): HeldMeasureLock {
  let released = false;
  return {
    lock,
    release() {
      if (released) return;
      released = true;
      const file = readLockFile(path, folder);
      // Only our own: a lock taken over from us (we were judged dead) is another process's now.
      if (file.kind === 'lock' && file.text === text) rmSync(path, { force: true });
    },
  };
}

/** The signals on which a holder releases its lock before it ends as the signal would end it. */
const RELEASE_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The release of a measuring lock hooked to this process's end ({@link releaseOnExit}). */
export interface ExitRelease {
  /** The lock to release when the process ends (taken after the hook was installed). */
  readonly hold: (held: HeldMeasureLock) => void;
  /** Releases the lock held, if any, now, and removes the handlers. */
  readonly done: () => void;
}

/**
 * Releases the lock given to `hold` when this process exits, normally or by an uncaught error (the
 * `exit` event), or on SIGINT, SIGTERM or SIGHUP (then the signal is raised again, so the process
 * ends as it would have).
 *
 * Install it before the lock is taken: until Node has a listener for a signal, the signal ends the
 * process at once, so a SIGTERM that fell between taking the lock and hooking its release left the
 * lock behind (seen in CI: a `measure` killed just after its lock appeared). With the listener
 * installed first, a signal is answered on the event loop, after the synchronous take has returned.
 */
export function releaseOnExit(): ExitRelease {
  let held: HeldMeasureLock | undefined;
  const onExit = () => held?.release();
  const onSignal = (signal: NodeJS.Signals) => {
    done();
    process.kill(process.pid, signal);
  };
  process.on('exit', onExit);
  for (const s of RELEASE_SIGNALS) process.on(s, onSignal);
  const done = () => {
    process.off('exit', onExit);
    for (const s of RELEASE_SIGNALS) process.off(s, onSignal);
    held?.release();
  };
  return {
    hold: (h) => {
      held = h;
    },
    done,
  };
}
