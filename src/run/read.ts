/**
 * Bounded reads of files nobody vouches for. A run folder can come with a cloned repository and is
 * opened in untrusted workspaces, and a dataset spec can name any path: `/dev/zero`, a FIFO or a
 * huge file must fail at once with a clear message instead of reading forever. So every read here
 * opens only regular files, checks the size before reading, never reads past its limit, and (for
 * run files) refuses symbolic links and anything that resolves outside the folder it belongs to.
 * Messages name the file and the problem, never the file's content.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { CodedError, hasErrorCode } from '../analysis/errors';

/** Why a file was not read. */
export type FileReadProblem = 'missing' | 'symlink' | 'not-regular' | 'outside' | 'too-large' | 'io';

/** A file that was not read because it is missing, not a regular file, too large, or outside its folder. */
export class FileReadError extends CodedError {
  /**
   * @param detail what is wrong, as the end of a sentence that starts with the path ("is missing").
   */
  constructor(
    readonly path: string,
    readonly problem: FileReadProblem,
    readonly detail: string,
  ) {
    super('file-read', `${path} ${detail}`, 'FileReadError');
  }
  static is(e: unknown): e is FileReadError {
    return hasErrorCode(e, 'file-read');
  }
}

/** The most any single read may take, whatever a manifest claims (a Buffer holds at most a few GiB anyway). */
export const MAX_READ_BYTES = 2 * 1024 ** 3;

export interface BoundedReadOptions {
  /** The most bytes the file may hold. */
  maxBytes: number;
  /**
   * The folder the file belongs to: the file must not be a symbolic link and its real path must lie
   * inside this folder's real path. Without it, links are followed (a user's dataset may well be a
   * link) but the target must still be a regular file.
   */
  within?: string;
  /**
   * Read from this byte on (default 0): the part of a file that grew since it was read up to here.
   * `maxBytes` then bounds that part; a file shorter than `from` gives no bytes.
   */
  from?: number;
}

// O_NONBLOCK: a FIFO swapped in between the check and the open must not block the open. Windows has
// neither flag (nor FIFOs or device files a path can name), hence the fallbacks to 0.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const OPEN_FLAGS_NO_FOLLOW = OPEN_FLAGS | (constants.O_NOFOLLOW ?? 0);

/** Whether `path` is `folder` itself or lies inside it (both absolute and already resolved). */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function sizeText(bytes: number): string {
  return bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MB` : `${bytes} bytes`;
}

function classify(e: unknown, path: string): FileReadError {
  if (FileReadError.is(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileReadError(path, 'missing', 'is missing');
  if (code === 'ELOOP') return new FileReadError(path, 'symlink', 'is a symbolic link; only regular files are read');
  return new FileReadError(path, 'io', `cannot be read (${code ?? (e as Error)?.message ?? String(e)})`);
}

/** The checks made on the path's own entry (lstat when the file must stay inside a folder, stat otherwise). */
function checkEntry(path: string, entry: Stats, within: string | undefined): void {
  if (within !== undefined && entry.isSymbolicLink()) {
    throw new FileReadError(path, 'symlink', `is a symbolic link; a run's files must be regular files inside its folder`);
  }
  if (!entry.isFile()) throw new FileReadError(path, 'not-regular', 'is not a regular file (a device, FIFO or folder); it is not read');
}

function checkInside(path: string, real: string, realFolder: string): void {
  if (!isInside(real, realFolder)) throw new FileReadError(path, 'outside', `resolves outside its folder ${realFolder}; it is not read`);
}

function checkOpened(path: string, opened: Stats, maxBytes: number, from = 0): number {
  if (!opened.isFile()) throw new FileReadError(path, 'not-regular', 'is not a regular file (a device, FIFO or folder); it is not read');
  const limit = Math.min(maxBytes, MAX_READ_BYTES);
  if (opened.size - from > limit) {
    throw new FileReadError(
      path,
      'too-large',
      from > 0
        ? `grew by ${sizeText(opened.size - from)}, more than the ${sizeText(limit)} it can need; it is not read`
        : `holds ${sizeText(opened.size)}, more than the ${sizeText(limit)} it can need; it is not read`,
    );
  }
  return limit;
}

function tooLarge(path: string, limit: number): FileReadError {
  return new FileReadError(path, 'too-large', `grew past ${sizeText(limit)} while being read; it is not read`);
}

/**
 * Reads a whole regular file of at most `maxBytes` (synchronously), or its bytes from `from` on;
 * throws FileReadError otherwise.
 */
export function readBoundedFile(path: string, options: BoundedReadOptions): Buffer {
  try {
    const { within } = options;
    const from = options.from ?? 0;
    checkEntry(path, within !== undefined ? lstatSync(path) : statSync(path), within);
    if (within !== undefined) checkInside(path, realpathSync(path), realpathSync(within));
    const fd = openSync(path, within !== undefined ? OPEN_FLAGS_NO_FOLLOW : OPEN_FLAGS);
    try {
      const opened = fstatSync(fd);
      const limit = checkOpened(path, opened, options.maxBytes, from);
      // One byte more than the size says: a file that grows meanwhile is noticed, not cut.
      const buffer = Buffer.allocUnsafe(Math.max(0, opened.size - from) + 1);
      let filled = 0;
      for (;;) {
        if (filled === buffer.length) {
          if (filled > limit) throw tooLarge(path, limit);
          return readRest(fd, buffer, filled, limit, path, from);
        }
        const n = readSync(fd, buffer, filled, buffer.length - filled, from + filled);
        if (n === 0) return buffer.subarray(0, filled);
        filled += n;
      }
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw classify(e, path);
  }
}

/** The rare case of a file that grew after its size was taken: keep reading up to the limit. */
function readRest(fd: number, start: Buffer, filled: number, limit: number, path: string, from: number): Buffer {
  const chunks = [start.subarray(0, filled)];
  let total = filled;
  const chunk = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, from + total);
    if (n === 0) return Buffer.concat(chunks, total);
    total += n;
    if (total > limit) throw tooLarge(path, limit);
    chunks.push(Buffer.from(chunk.subarray(0, n)));
  }
}

/**
 * Reads `length` bytes of a regular file from byte `from` (synchronously), with
 * {@link readBoundedFile}'s checks: a block of a larger file, without reading the rest. A file that
 * ends before the block does is refused (problem 'io', "ends at byte …").
 */
export function readBoundedRange(path: string, options: { within?: string; from: number; length: number }): Buffer {
  try {
    const { within, from, length } = options;
    checkEntry(path, within !== undefined ? lstatSync(path) : statSync(path), within);
    if (within !== undefined) checkInside(path, realpathSync(path), realpathSync(within));
    const fd = openSync(path, within !== undefined ? OPEN_FLAGS_NO_FOLLOW : OPEN_FLAGS);
    try {
      const opened = fstatSync(fd);
      // A regular file, and a range of at most MAX_READ_BYTES.
      checkOpened(path, opened, MAX_READ_BYTES, Math.max(0, opened.size - length));
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const n = readSync(fd, buffer, filled, length - filled, from + filled);
        if (n === 0)
          throw new FileReadError(path, 'io', `ends at byte ${from + filled}, before the ${length} bytes from byte ${from} it should hold`);
        filled += n;
      }
      return buffer;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw classify(e, path);
  }
}

/** {@link readBoundedRange} without blocking the event loop (for the extension host). */
export async function readBoundedRangeAsync(path: string, options: { within?: string; from: number; length: number }): Promise<Buffer> {
  try {
    const { within, from, length } = options;
    checkEntry(path, within !== undefined ? await lstat(path) : await stat(path), within);
    if (within !== undefined) checkInside(path, await realpath(path), await realpath(within));
    const handle = await open(path, within !== undefined ? OPEN_FLAGS_NO_FOLLOW : OPEN_FLAGS);
    try {
      const opened = await handle.stat();
      // A regular file, and a range of at most MAX_READ_BYTES.
      checkOpened(path, opened, MAX_READ_BYTES, Math.max(0, opened.size - length));
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, from + filled);
        if (bytesRead === 0)
          throw new FileReadError(path, 'io', `ends at byte ${from + filled}, before the ${length} bytes from byte ${from} it should hold`);
        filled += bytesRead;
      }
      return buffer;
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw classify(e, path);
  }
}

/** {@link readBoundedFile} without blocking the event loop (for the extension host). */
export async function readBoundedFileAsync(path: string, options: BoundedReadOptions): Promise<Buffer> {
  try {
    const { within } = options;
    const from = options.from ?? 0;
    checkEntry(path, within !== undefined ? await lstat(path) : await stat(path), within);
    if (within !== undefined) checkInside(path, await realpath(path), await realpath(within));
    const handle = await open(path, within !== undefined ? OPEN_FLAGS_NO_FOLLOW : OPEN_FLAGS);
    try {
      const opened = await handle.stat();
      const limit = checkOpened(path, opened, options.maxBytes, from);
      const chunks: Buffer[] = [];
      let total = 0;
      const chunkBytes = Math.max(1, Math.min(Math.max(0, opened.size - from) + 1, 16 * 1024 ** 2));
      for (;;) {
        const buffer = Buffer.allocUnsafe(chunkBytes);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, from + total);
        if (bytesRead === 0) return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
        total += bytesRead;
        if (total > limit) throw tooLarge(path, limit);
        chunks.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw classify(e, path);
  }
}
