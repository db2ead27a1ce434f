/**
 * Crash-safe file operations for run folders: whole files are written to a temporary name, flushed
 * and renamed (atomic on POSIX), and metrics are appended one complete line at a time with fsync,
 * so a `kill -9` at any moment leaves a folder whose recorded epochs are all intact.
 *
 * Every write is checked: a write that stores fewer bytes than asked, or fails (a full disk, a used
 * up quota, an I/O error), raises RunWriteError, removes the temporary file and leaves the file it
 * was to replace exactly as it was. A partial file is never renamed into place, and a failed append
 * is cut back to the old length, so no torn line is left for readers to trip over.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CodedError, hasErrorCode } from '../analysis/errors';

/**
 * A write to a run folder that did not complete. `reason` is `disk-full` when the disk or a quota
 * ran out (ENOSPC, EDQUOT, or fewer bytes written than asked), `io` otherwise. The file that was
 * being replaced is left as it was.
 */
export class RunWriteError extends CodedError {
  constructor(
    message: string,
    readonly reason: 'disk-full' | 'io',
  ) {
    super('run-write', message, 'RunWriteError');
  }
  static is(e: unknown): e is RunWriteError {
    return hasErrorCode(e, 'run-write');
  }
}

/** The two system calls whose result decides whether a write landed; see {@link replaceLowLevelWrites}. */
export interface LowLevelWrites {
  /** Writes up to `length` bytes of `buffer` from `offset` at the file position; returns how many it wrote. */
  write(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsync(fd: number): void;
}

const systemWrites: LowLevelWrites = {
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  fsync: (fd) => fsyncSync(fd),
};
let writes: LowLevelWrites = systemWrites;

/**
 * Replaces the low-level write and fsync of every synchronous run-file write, and returns the
 * function that puts the previous ones back. For tests only: a full disk cannot be produced on
 * demand on every machine (filling a real disk is slow and disturbs everything else on it, and
 * mounting a small one needs privileges), but its symptoms at this level can — a short write, then
 * ENOSPC.
 */
export function replaceLowLevelWrites(replacement: Partial<LowLevelWrites>): () => void {
  const previous = writes;
  writes = { ...previous, ...replacement };
  return () => {
    writes = previous;
  };
}

const NO_ROOM: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file-size limit was reached',
};

/** A short write: the device took part of the bytes and has no room for the rest. */
class ShortWriteError extends Error {
  constructor(
    readonly written: number,
    readonly asked: number,
  ) {
    super(`only ${written} of ${asked} bytes were written`);
  }
}

/** Any failure of a run-file write as the RunWriteError that says what to do. */
function asWriteError(e: unknown, path: string): RunWriteError {
  if (RunWriteError.is(e)) return e;
  if (e instanceof ShortWriteError) {
    return new RunWriteError(
      `${path} could not be written: there was no room on the disk (${e.message}); free some space and try again`,
      'disk-full',
    );
  }
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code !== undefined && code in NO_ROOM) {
    return new RunWriteError(`${path} could not be written: ${NO_ROOM[code]} (${code}); free some space and try again`, 'disk-full');
  }
  return new RunWriteError(`${path} could not be written: ${(e as Error)?.message ?? String(e)}`, 'io');
}

/**
 * Writes all of `bytes` at the file position. A regular file takes a shorter write only when it has
 * no room for more (or, on Linux, for writes over 2 GiB): the loop asks again, and the second call
 * reports the reason (ENOSPC, EDQUOT, EFBIG) or writes nothing.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writes.write(fd, bytes, done, bytes.length - done);
    if (!(n > 0)) throw new ShortWriteError(done, bytes.length);
    done += n;
  }
}

function asBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

function bestEffort(step: () => void): void {
  try {
    step();
  } catch {
    // Cleaning up after a failed write: the first error is the one to report.
  }
}

/**
 * Writes `data` to `path` atomically: a reader sees the old file or the new one, never a mix; and,
 * unless `durable` is false, flushed to the disk before it replaces the old one.
 * @throws RunWriteError when any step fails; `path` is then unchanged and the temporary file gone.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: { durable?: boolean } = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(tmp, 'w');
    writeAll(fd, asBytes(data));
    // `durable: false` (the answer cache, which treats a damaged entry as a miss) skips the flush to
    // the disk, which blocks for milliseconds per file: a burst of queries writes a hundred answers.
    if (options.durable !== false) writes.fsync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    const open = fd;
    if (open !== undefined) bestEffort(() => closeSync(open));
    bestEffort(() => rmSync(tmp, { force: true }));
    throw asWriteError(e, path);
  }
}

/** {@link writeFileAtomic} without blocking the event loop (for repairs made by the extension host). */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      const bytes = asBytes(data);
      for (let done = 0; done < bytes.length;) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, null);
        if (!(bytesWritten > 0)) throw new ShortWriteError(done, bytes.length);
        done += bytesWritten;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw asWriteError(e, path);
  }
}

/**
 * Appends one line (a newline is added) and flushes it to disk before returning.
 * @throws RunWriteError when the line could not be written whole; the file is then cut back to its
 *   old length, so it holds no part of the line.
 */
export function appendLineDurable(path: string, line: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (e) {
    throw asWriteError(e, path);
  }
  let oldBytes: number | undefined;
  try {
    const size = fstatSync(fd).size;
    oldBytes = size;
    // A line cut off by an earlier crash stays a line of its own (readers skip it) instead of
    // swallowing the start of this one.
    const separate = size > 0 && lastByte(fd, size) !== 0x0a;
    writeAll(fd, Buffer.from((separate ? '\n' : '') + line.replace(/\n/g, ' ') + '\n'));
    writes.fsync(fd);
  } catch (e) {
    const length = oldBytes;
    if (length !== undefined) {
      bestEffort(() => {
        ftruncateSync(fd, length);
        fsyncSync(fd);
      });
    }
    throw asWriteError(e, path);
  } finally {
    bestEffort(() => closeSync(fd));
  }
}

function lastByte(fd: number, size: number): number {
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, size - 1);
  return one[0];
}

/**
 * Writes a folder of files atomically: everything goes into a temporary sibling folder that is
 * renamed into place at the end (a crash leaves only the temporary folder, which readers ignore).
 * @throws RunWriteError when any file could not be written; the temporary folder is then removed
 *   and `path` left as it was.
 */
export function writeFolderAtomic(path: string, files: Record<string, Uint8Array | string>): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileAtomic(join(tmp, name), data);
    rmSync(path, { recursive: true, force: true });
    renameSync(tmp, path);
  } catch (e) {
    bestEffort(() => rmSync(tmp, { recursive: true, force: true }));
    throw asWriteError(e, path);
  }
}
