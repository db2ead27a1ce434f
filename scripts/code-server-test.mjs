#!/usr/bin/env node
// @ts-check
// Stands in for a desktop VS Code executable when running an extension's test suite: it takes the
// flags `@vscode/test-electron`'s runTests passes (--extensionDevelopmentPath=, --extensionTestsPath=,
// a workspace folder; the others are accepted and ignored) and runs the suite in the real VS Code
// that code-server bundles, with headless Chromium as the window (docs/testing.md).
//
// The suite runs in code-server's Node extension host with the real `vscode` API. Its output
// (mocha's reporter, the tests' log()) reaches the page through `codeAutomationLog`, tagged, and is
// printed here; the workbench's own log goes to test-artifacts/vscode/workbench.log. The suite's
// exit code reaches the page through `codeAutomationExit` and becomes this process's.
//
// Environment:
//   CNN_SLICER_VSCODE_TIMEOUT_MS  give up after this long (default 900000: the suite records models and trains PyTorch scripts), exit code 1
//   CNN_SLICER_FROM_VSIX=<file>   install this .vsix into the extensions folder first and run the
//                                 suite against the installed extension (the development path is
//                                 an empty stand-in extension)
//   CNN_SLICER_VSCODE_VERBOSE=1   also print the page's own console errors and code-server's log
//
// Usage (normally through runTests, see test/vscode/runTest.mjs):
//   scripts/code-server-test.mjs --extensionDevelopmentPath=/repo --extensionTestsPath=/repo/dist/test/suite/index.js /path/to/workspace
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { ensureChromium } from './ensure-chromium.mjs';
import { CODE_SERVER_VERSION, installExtension, startCodeServer } from './vscode-test-env.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'vscode');

/**
 * Passed to the extension host in its environment; the suite's runner (test/vscode/suite/index.ts)
 * puts it first among the console arguments of mocha's reporter and the tests' log(): how the
 * suite's output is told apart from the workbench's own log, which reaches codeAutomationLog too.
 */
const SUITE_LOG_MARKER = '\u2063cnn-slicer-suite\u2063';

/** The Chromium flags that work on these machines (test/browser/harness.ts uses the same). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Flags of the desktop executable that take their value as the next argument. */
const FLAGS_WITH_VALUE = new Set([
  '--user-data-dir',
  '--extensions-dir',
  '--extensionDevelopmentPath',
  '--extensionTestsPath',
  '--locale',
  '--log',
  '--inspect-extensions',
  '--inspect-brk-extensions',
]);

/**
 * The desktop flags this stand-in understands.
 * @typedef {object} DesktopArgs
 * @property {string[]} extensionDevelopmentPaths
 * @property {string} [extensionTestsPath]
 * @property {string} [folder] the workspace folder (or .code-workspace file) to open
 * @property {string} [userDataDir]
 * @property {string} [extensionsDir]
 * @property {string[]} ignored the flags accepted and ignored
 */

/**
 * Parses the desktop flags; unknown ones (--no-sandbox, --disable-updates, …) are ignored.
 * @param {string[]} argv
 * @returns {DesktopArgs}
 */
export function parseArgs(argv) {
  /** @type {DesktopArgs} */
  const o = {
    extensionDevelopmentPaths: [],
    extensionTestsPath: undefined,
    folder: undefined,
    userDataDir: undefined,
    extensionsDir: undefined,
    ignored: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name = arg;
    /** @type {string | undefined} */
    let value;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.slice(0, eq);
        value = arg.slice(eq + 1);
      } else if (FLAGS_WITH_VALUE.has(arg) && i + 1 < argv.length) {
        value = argv[++i];
      }
    }
    const path = () => {
      if (value === undefined) throw new Error(`${name} needs a path`);
      return resolve(value);
    };
    switch (name) {
      case '--extensionDevelopmentPath':
        o.extensionDevelopmentPaths.push(path());
        break;
      case '--extensionTestsPath':
        o.extensionTestsPath = path();
        break;
      case '--user-data-dir':
        o.userDataDir = path();
        break;
      case '--extensions-dir':
        o.extensionsDir = path();
        break;
      default:
        if (arg.startsWith('-')) o.ignored.push(arg);
        else o.folder = resolve(arg);
    }
  }
  return o;
}

/**
 * A path as the path of a `vscode-remote://` URI (each segment percent-encoded).
 * @param {string} path
 */
function remotePath(path) {
  return path.split('/').map(encodeURIComponent).join('/');
}

/**
 * The workbench URL that opens `folder` and hands the payload to the smoke-test driver (the server
 * must run with it: startCodeServer({ smokeTestDriver: true })): the extensions under development
 * and, for a test run, the suite. Browser tests that drive the UI pass no `extensionTestsPath` and
 * get a window with the extension loaded from its folder.
 * @param {string} serverUrl
 * @param {{ folder?: string, extensionDevelopmentPaths?: string[], extensionTestsPath?: string }} session
 * @returns {string}
 */
export function workbenchUrl(serverUrl, { folder, extensionDevelopmentPaths = [], extensionTestsPath }) {
  const authority = new URL(serverUrl).host;
  const remote = (/** @type {string} */ p) => `vscode-remote://${authority}${remotePath(p)}`;
  const payload = extensionDevelopmentPaths.map((p) => ['extensionDevelopmentPath', remote(p)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const params = new URLSearchParams();
  if (folder) params.set(folder.endsWith('.code-workspace') ? 'workspace' : 'folder', folder);
  params.set('payload', JSON.stringify(payload));
  return `${serverUrl}/?${params.toString()}`;
}

/**
 * Prints the reason and returns the exit code 1.
 * @param {string} message
 */
function fail(message) {
  process.stderr.write(`code-server-test: ${message}\n`);
  return 1;
}

/**
 * Runs the suite the flags name; resolves to the exit code.
 * @param {string[]} [argv]
 * @returns {Promise<number>}
 */
export async function main(argv = process.argv.slice(2)) {
  const o = parseArgs(argv);
  const fromVsix = process.env.CNN_SLICER_FROM_VSIX;
  const verbose = process.env.CNN_SLICER_VSCODE_VERBOSE === '1';
  const timeoutMs = Number(process.env.CNN_SLICER_VSCODE_TIMEOUT_MS || 900_000);
  if (!o.extensionTestsPath) return fail("--extensionTestsPath=<the suite's index.js> is required");
  if (!existsSync(o.extensionTestsPath))
    return fail(`the test suite ${o.extensionTestsPath} does not exist (build it first: node scripts/test-vscode.mjs)`);
  if (!fromVsix && o.extensionDevelopmentPaths.length === 0)
    return fail('--extensionDevelopmentPath=<the extension folder> is required (or CNN_SLICER_FROM_VSIX=<file.vsix>)');
  for (const p of o.extensionDevelopmentPaths)
    if (!existsSync(join(p, 'package.json'))) return fail(`--extensionDevelopmentPath=${p} has no package.json`);
  if (o.folder && !existsSync(o.folder)) return fail(`the workspace ${o.folder} does not exist`);

  const started = Date.now();
  const log = (/** @type {string} */ line) => {
    process.stderr.write(`${line}\n`);
  };
  /** @type {import('./vscode-test-env.mjs').CodeServer | undefined} */
  let server;
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {string | undefined} */
  let vsixTemp;
  /** @type {string[]} */
  const workbenchLog = [];
  /** @type {Promise<void> | undefined} */
  let cleaningUp;
  const cleanUp = () => {
    cleaningUp ??= (async () => {
      await browser?.close().catch(() => undefined);
      await server?.stop();
      if (vsixTemp) rmSync(vsixTemp, { recursive: true, force: true });
    })();
    return cleaningUp;
  };
  // runTests sends SIGINT on Ctrl+C: the server group must not outlive this process.
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => {
      log(`code-server-test: ${signal}, stopping VS Code`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  try {
    const chromiumPath = ensureChromium(log);
    if (fromVsix) {
      if (!isAbsolute(fromVsix) || !existsSync(fromVsix))
        return fail(`CNN_SLICER_FROM_VSIX=${fromVsix} must be the absolute path of a .vsix (npm run package prints it)`);
      // The extension is installed before the server starts, so the folders are made here.
      vsixTemp = mkdtempSync(join(tmpdir(), 'cnn-slicer-vsix-'));
      o.extensionsDir ??= join(vsixTemp, 'extensions');
      o.userDataDir ??= join(vsixTemp, 'user-data');
      mkdirSync(o.extensionsDir, { recursive: true });
      mkdirSync(o.userDataDir, { recursive: true });
      const out = await installExtension(fromVsix, { extensionsDir: o.extensionsDir, userDataDir: o.userDataDir, log });
      log(`code-server-test: ${out.split('\n').pop()}`);
      // The suite must meet the installed copy, not the sources. VS Code runs a test suite only in
      // an extension development session, so an empty extension stands in as the development path.
      const host = join(vsixTemp, 'test-host');
      mkdirSync(host, { recursive: true });
      writeFileSync(
        join(host, 'package.json'),
        JSON.stringify({ name: 'vsix-test-host', publisher: 'cnn-slicer-tests', version: '0.0.0', engines: { vscode: '*' } }),
      );
      o.extensionDevelopmentPaths = [host];
    }
    server = await startCodeServer({
      userDataDir: o.userDataDir,
      extensionsDir: o.extensionsDir,
      smokeTestDriver: true,
      env: { CNN_SLICER_SUITE_LOG_MARKER: SUITE_LOG_MARKER },
      log,
    });
    log(
      `code-server-test: VS Code of code-server ${CODE_SERVER_VERSION} at ${server.url} (ready in ${Date.now() - started} ms)${o.folder ? `, workspace ${o.folder}` : ''}`,
    );

    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_FLAGS, headless: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    /** @type {(code: number) => void} */
    let resolveExit = () => undefined;
    /** @type {Promise<number>} */
    const exitCode = new Promise((r) => (resolveExit = r));
    // The workbench sends its own log here too (a lot of it, about chat, accounts, the gallery it
    // cannot reach); the suite's lines carry the marker its runner puts first (index.ts).
    await page.exposeFunction('codeAutomationLog', (/** @type {string} */ type, /** @type {unknown} */ args) => {
      const list = Array.isArray(args) ? /** @type {unknown[]} */ (args) : [args];
      if (list[0] === SUITE_LOG_MARKER) {
        (type === 'error' ? process.stderr : process.stdout).write(`${format(...list.slice(1))}\n`);
        return;
      }
      const line = `[${type}] ${format(...list)}`;
      workbenchLog.push(line);
      if (verbose) log(`code-server-test: workbench ${line}`);
    });
    await page.exposeFunction('codeAutomationExit', (/** @type {unknown} */ code) => resolveExit(Number(code) || 0));
    page.on('pageerror', (e) => verbose && log(`code-server-test: page error: ${e.message}`));
    page.on('console', (m) => verbose && m.type() === 'error' && log(`code-server-test: page console: ${m.text()}`));
    page.on('crash', () => resolveExit(fail('the VS Code page crashed')));

    await page.goto(workbenchUrl(server.url, o));
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    /** @type {Promise<'timeout'>} */
    const timeout = new Promise((r) => {
      timer = setTimeout(r, Math.max(0, timeoutMs - (Date.now() - started)), 'timeout');
    });
    const serverDied = server.exit.then((e) => `code-server exited (${e.signal ?? `code ${e.code}`})`);
    const outcome = await Promise.race([exitCode, timeout, serverDied]);
    clearTimeout(timer);
    if (typeof outcome === 'number') {
      log(`code-server-test: the suite exited with code ${outcome} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (outcome !== 0)
        log(
          `code-server-test: the workbench's own log (errors of VS Code itself, console output of other code) is in ${join(ARTIFACTS, 'workbench.log')}`,
        );
      return outcome;
    }
    const shot = join(ROOT, 'test-artifacts', 'screenshots', 'vscode-test-timeout.png');
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot }).catch(() => undefined);
    const why =
      outcome === 'timeout'
        ? `the suite did not finish within ${timeoutMs / 1000} s (CNN_SLICER_VSCODE_TIMEOUT_MS); a test may hang, or VS Code never started it`
        : `${outcome} before the suite finished`;
    return fail(`${why}. Screenshot: ${shot}\nLast lines of code-server's log:\n${server.logTail()}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(`${message}${verbose && server ? `\n${server.logTail()}` : ''}`);
  } finally {
    if (server) {
      // Kept for a look after a failure (and as CI artifacts): the workbench's own log and code-server's.
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'workbench.log'), `${workbenchLog.join('\n')}\n`);
      try {
        copyFileSync(server.logFile, join(ARTIFACTS, 'code-server.log'));
      } catch {
        // The server never wrote a log.
      }
      if (verbose) log(`code-server-test: code-server's log:\n${server.logTail()}`);
    }
    await cleanUp();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
