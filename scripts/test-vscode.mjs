#!/usr/bin/env node
// @ts-check
// `npm run test:vscode`: the integration tests in a real VS Code (docs/testing.md).
//   1. the test environment: code-server and Node 24 in the cache (installed on first use,
//      ≈2 minutes; scripts/vscode-test-env.mjs) and Chromium (scripts/ensure-chromium.mjs);
//   2. the build (node esbuild.mjs), or with --vsix the .vsix (scripts/package.mjs);
//   3. the suite: test/vscode/suite/index.ts (the mocha runner, mocha bundled in) and every
//      test/vscode/suite/*.test.ts, bundled with esbuild to dist/test/suite/ (`vscode` external);
//   4. test/vscode/runTest.mjs: runTests() with scripts/code-server-test.mjs as the VS Code.
//
// Usage: node scripts/test-vscode.mjs [--grep <regexp>] [--vsix [file.vsix]] [--no-build] [--keep]
//   --grep      only the tests whose full title matches
//   --vsix      package the extension (or take the given .vsix), install it into a clean VS Code
//               and run the suite against the installed copy (also CNN_SLICER_FROM_VSIX=1|<file>)
//   --no-build  use dist/ as it is
//   --keep      keep the temporary workspace folder (its runs) for a look afterwards
// Environment: CNN_SLICER_VSCODE=<desktop `code` executable> runs in a desktop VS Code instead;
// CNN_SLICER_TEST_CACHE, CNN_SLICER_VSCODE_TIMEOUT_MS, CNN_SLICER_VSCODE_VERBOSE (code-server-test.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ensureChromium } from './ensure-chromium.mjs';
import { ensureTestEnv } from './vscode-test-env.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUITE_SOURCE = join(ROOT, 'test', 'vscode', 'suite');
export const SUITE_OUT = join(ROOT, 'dist', 'test', 'suite');

/**
 * Bundles the suite for the extension host, which runs JavaScript only: the runner with mocha
 * inside (so nothing has to resolve from the extension host's module paths) and one file per test
 * file, so mocha reports them by name. `vscode` stays external: the extension host provides it.
 * @returns {Promise<string>} the runner's path
 */
export async function buildSuite() {
  const tests = readdirSync(SUITE_SOURCE).filter((f) => f.endsWith('.test.ts'));
  if (tests.length === 0) throw new Error(`no *.test.ts files in ${SUITE_SOURCE}`);
  // Stale bundles of deleted or renamed test files would still run.
  rmSync(SUITE_OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(SUITE_SOURCE, 'index.ts'), ...tests.map((f) => join(SUITE_SOURCE, f))],
    outdir: SUITE_OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'warning',
    // mocha's parallel mode resolves its worker files at run time; the suite runs serially.
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  return join(SUITE_OUT, 'index.js');
}

/**
 * @param {string[]} argv
 * @returns {{ grep?: string, vsix?: string, build: boolean, keep: boolean }}
 */
function parseArgs(argv) {
  /** @type {{ grep?: string, vsix?: string, build: boolean, keep: boolean }} */
  const o = { grep: undefined, vsix: process.env.CNN_SLICER_FROM_VSIX, build: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--grep') o.grep = argv[++i];
    else if (a.startsWith('--grep=')) o.grep = a.slice('--grep='.length);
    else if (a === '--vsix') o.vsix = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : '1';
    else if (a.startsWith('--vsix=')) o.vsix = a.slice('--vsix='.length);
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep') o.keep = true;
    else
      throw new Error(
        `unknown argument ${a}; usage: node scripts/test-vscode.mjs [--grep <regexp>] [--vsix [file.vsix]] [--no-build] [--keep]`,
      );
  }
  return o;
}

/** @returns {Promise<number>} the exit code */
async function main() {
  const started = Date.now();
  const step = (/** @type {string} */ what) => console.log(`test:vscode: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const o = parseArgs(process.argv.slice(2));
  if (!process.env.CNN_SLICER_VSCODE) {
    await ensureTestEnv();
    ensureChromium();
    step('test environment ready');
  }
  /** @type {string | undefined} */
  let vsix;
  if (o.vsix && o.vsix !== '1' && o.vsix !== 'true') {
    vsix = resolve(o.vsix);
    if (!existsSync(vsix)) throw new Error(`no .vsix at ${vsix}`);
  } else if (o.vsix) {
    const { packageExtension } = await import('./package.mjs');
    vsix = (await packageExtension(o.build ? [] : ['--no-build'])).vsix;
    step(`packaged ${vsix}`);
  } else if (o.build) {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'inherit' });
    step('built dist/');
  }
  const suite = await buildSuite();
  step(`bundled the suite into ${SUITE_OUT}`);
  const { runVSCodeTests } = await import('../test/vscode/runTest.mjs');
  try {
    const env = {
      ...(o.grep ? { CNN_SLICER_VSCODE_GREP: o.grep } : {}),
      // mocha in the extension host writes to no terminal: it colours its report when this does.
      ...(process.stdout.isTTY ? { CNN_SLICER_VSCODE_COLOR: '1' } : {}),
    };
    await runVSCodeTests({ extensionTestsPath: suite, vsix, env, keepWorkspace: o.keep });
    step(vsix ? `passed against ${vsix}` : 'passed');
    return 0;
  } catch (error) {
    // test-electron's TestRunFailedError carries the suite's exit code.
    const e = /** @type {Error & { code?: unknown }} */ (error);
    step(`failed: ${e.message}`);
    return typeof e.code === 'number' && e.code !== 0 ? e.code : 1;
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`test:vscode: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
