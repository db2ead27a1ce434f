// @ts-check
// A temporary folder for a test run, to be TMPDIR for everything the run starts, and removed with
// everything in it when the run ends (scripts/test-all.mjs per job, test/support/tempRoot.ts per
// mocha run). One thing in it survives: tsx's compile cache (`tsx-<euid>`, which tsx keeps in the
// temporary folder) is a link to the system temporary folder's, so that each run does not compile
// every TypeScript file again; removing the folder removes the link, not the cache.
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * Makes `<parent>/<prefix>XXXXXX` (mode 711) with a link to the tsx cache of `cacheParent` (both by default the
 * temporary folder this process has), and returns its path.
 * @param {string} prefix
 * @param {{ parent?: string, cacheParent?: string }} [where]
 */
export function makeTestTemp(prefix, { parent = tmpdir(), cacheParent = tmpdir() } = {}) {
  const dir = mkdtempSync(join(parent, prefix));
  // Others may pass through (not list): a test runs a child as another user on a folder of its own inside.
  chmodSync(dir, 0o711);
  const name = `tsx-${process.geteuid ? process.geteuid() : userInfo().username}`;
  const cache = join(cacheParent, name);
  try {
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    symlinkSync(cache, join(dir, name), 'dir');
  } catch {
    // No link (a file system without them): tsx compiles into the folder, and the run is slower.
  }
  return dir;
}
