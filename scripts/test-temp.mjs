// @ts-check
// The temporary folders of test runs, each to be TMPDIR for everything the run starts and removed
// with everything in it when the run ends: scripts/test-all.mjs gives each job one, and
// test/support/tempRoot.ts a mocha run of its own (not under test-all, whose job folder does it).
//
// - Short paths: Chromium puts its SingletonSocket under TMPDIR (`org.chromium.Chromium.XXXXXX/`),
//   and a Unix socket's path holds at most 107 bytes; a mocha folder nested in a job folder, both
//   with random suffixes, took the browser tier past it.
// - Mode 711: others may pass through, not list (test/integration/run/cache.test.ts runs a child as
//   `nobody` on a folder of its own inside).
// - tsx's compile cache (`tsx-<euid>`, which tsx keeps in the temporary folder) is a link to the
//   system temporary folder's, so that each run does not compile every TypeScript file again;
//   removing the folder removes the link, not the cache.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The variable that names the folder test-all made for a job (TMPDIR too), so that mocha does not nest another. */
export const TEST_TEMP_VARIABLE = 'CNN_SLICER_TEST_TEMP';

/**
 * Readies `dir` (made by the caller) as a run's temporary folder: mode 711, with the link to the
 * tsx cache of this process's temporary folder. Returns `dir`.
 * @param {string} dir
 */
export function readyTestTemp(dir) {
  chmodSync(dir, 0o711);
  const name = `tsx-${process.geteuid ? process.geteuid() : userInfo().username}`;
  const cache = join(tmpdir(), name);
  try {
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    symlinkSync(cache, join(dir, name), 'dir');
  } catch {
    // No link (a file system without them): tsx compiles into the folder, and the run is slower.
  }
  return dir;
}

/**
 * A new run folder `<temporary folder>/<prefix>XXXXXX`, readied ({@link readyTestTemp}).
 * @param {string} prefix
 */
export function makeTestTemp(prefix) {
  return readyTestTemp(mkdtempSync(join(tmpdir(), prefix)));
}
