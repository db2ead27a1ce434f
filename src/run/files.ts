/**
 * Crash-safe file operations for run folders: whole files are written to a temporary name, flushed
 * and renamed (atomic on POSIX), and metrics are appended one complete line at a time with fsync,
 * so a `kill -9` at any moment leaves a folder whose recorded epochs are all intact.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
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

/** Writes `data` to `path` atomically: a reader sees the old file or the new one, never a mix. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Appends one line (a newline is added) and flushes it to disk before returning. */
export function appendLineDurable(path: string, line: string): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, Buffer.from(line.replace(/\n/g, ' ') + '\n'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a folder of files atomically: everything goes into a temporary sibling folder that is
 * renamed into place at the end (a crash leaves only the temporary folder, which readers ignore).
 */
export function writeFolderAtomic(path: string, files: Record<string, Uint8Array | string>): void {
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileAtomic(join(tmp, name), data);
  rmSync(path, { recursive: true, force: true });
  renameSync(tmp, path);
}
