#!/usr/bin/env node
// @ts-check
// Debian trixie's PyTorch 2.6 (torchvision 0.21, onnx 1.17, numpy 2.2, Python 3.13) in a chroot, for
// `npm run test:python -- --torch2` (docs/testing.md): the recorder's tests on torch 2 on machines that
// reach only the npm registry and Debian's archive, beside bookworm's torch 1.13 on the host. With
// `--suite forky`, Debian testing's (forky: torch 2.14 in November 2026, the first here whose
// torch.onnx.export defaults to the dynamo exporter) in a chroot of its own; CI builds only trixie's.
//
// Built on first use with debootstrap from the Debian mirror the host's apt uses, into the cache
// outside the repository beside code-server (scripts/vscode-test-env.mjs: ~/.cache/cnn-slicer-test/
// torch2-trixie, ≈1.5 GB), finished by a marker file: a half-built one (an interrupted build) is
// removed and built again. Root only (debootstrap and the mounts need it); without root, one line.
//
//   node scripts/torch2-env.mjs [--suite forky]    builds it when missing, prints its path
//
// Imported by scripts/test-python.mjs for `ensureTorch2()` and `chrootCommand()`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cacheRoot, run, withLock } from './vscode-test-env.mjs';

/**
 * The Debian suites a chroot is built from, each with debootstrap's script for it (bookworm's
 * debootstrap has no script named forky: testing's is sid's).
 * @type {Record<string, { script?: string }>}
 */
export const SUITES = { trixie: {}, forky: { script: 'sid' } };
/** The suite of `--torch2` without `--suite`, the one CI builds. */
export const SUITE = 'trixie';

/** @param {string} suite */
function checkSuite(suite) {
  if (!Object.hasOwn(SUITES, suite)) throw new Error(`no torch chroot for the suite ${suite}: one of ${Object.keys(SUITES).join(', ')}`);
  return suite;
}
/** What debootstrap installs: torch 2 with what the recorder imports (onnx for torch 2's exporter). */
const BASE_PACKAGES = ['python3-torch', 'python3-torchvision', 'python3-onnx', 'python3-numpy'];
/**
 * What apt installs in the chroot after debootstrap: the notebook tests' Jupyter kernel and nbclient
 * (debootstrap's own resolver leaves out their python3-zmq, and the build fails configuring them).
 */
const APT_PACKAGES = ['python3-ipykernel', 'python3-nbclient'];
export const PACKAGES = [...BASE_PACKAGES, ...APT_PACKAGES];
const MARKER = '.cnn-slicer-complete';
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** Debian's suite names as apt sources name them (not a vendor's `cloud-sdk-bookworm` or `nodistro`). */
const DEBIAN_SUITE = /^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldstable|stable|testing|unstable)(-updates|-backports)?$/;

/** @typedef {(line: string) => void} Log */

/** @type {Log} */
const defaultLog = (line) => {
  process.stderr.write(`${line}\n`);
};

/** The chroot's folder: `torch2-trixie` (`torch2-<suite>`) in the test cache ($CNN_SLICER_TEST_CACHE, else ~/.cache/cnn-slicer-test). */
export function chrootDir(root = cacheRoot(), suite = SUITE) {
  return join(root, `torch2-${checkSuite(suite)}`);
}

/** @param {string} dir */
export function isComplete(dir) {
  // Built with today's PACKAGES: a chroot built with fewer is rebuilt (its marker names its packages).
  return existsSync(join(dir, MARKER)) && readFileSync(join(dir, MARKER), 'utf8').includes(`packages: ${PACKAGES.join(',')}\n`);
}

/** Whether this process runs as root. */
export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The Debian mirror of the host's apt sources (`/etc/apt/sources.list`, `sources.list.d/*.list` and
 * `*.sources` in deb822 form): the first `deb` source of a Debian suite that is not the security
 * archive, else deb.debian.org.
 * @param {{ name: string, text: string }[]} files
 * @returns {string}
 */
export function debianMirror(files) {
  for (const { name, text } of files) {
    /** @type {{ types: string[], uris: string[], suites: string[], enabled: boolean }[]} */
    const sources = [];
    if (name.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        /** @type {Record<string, string>} */
        const fields = {};
        for (const line of stanza.split('\n')) {
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (m && !line.startsWith('#')) fields[m[1].toLowerCase()] = m[2].trim();
        }
        const words = (/** @type {string | undefined} */ v) => (v ?? '').split(/\s+/).filter(Boolean);
        sources.push({
          types: words(fields.types),
          uris: words(fields.uris),
          suites: words(fields.suites),
          enabled: (fields.enabled ?? 'yes').toLowerCase() !== 'no',
        });
      }
    } else if (name.endsWith('.list')) {
      for (const raw of text.split('\n')) {
        const line = raw
          .replace(/#.*/, '')
          .replace(/\[[^\]]*\]/, ' ')
          .trim();
        const [type, uri, suite] = line.split(/\s+/);
        if (type && uri && suite) sources.push({ types: [type], uris: [uri], suites: [suite], enabled: true });
      }
    }
    for (const s of sources) {
      if (!s.enabled || !s.types.includes('deb') || !s.suites.some((suite) => DEBIAN_SUITE.test(suite))) continue;
      const uri = s.uris.find((u) => /^https?:\/\//.test(u) && !/security/.test(u));
      if (uri) return uri.replace(/\/+$/, '');
    }
  }
  return DEFAULT_MIRROR;
}

/** The host's apt source files, in apt's order. */
function hostAptSources() {
  const files = [];
  if (existsSync('/etc/apt/sources.list')) files.push({ name: 'sources.list', text: readFileSync('/etc/apt/sources.list', 'utf8') });
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) for (const name of readdirSync(d).sort()) files.push({ name, text: readFileSync(join(d, name), 'utf8') });
  return files;
}

/**
 * The mount points at or below `dir` in a /proc/self/mountinfo text (its fifth field, octal escapes
 * such as `\040` decoded): a folder with mounts below it is never removed (a bind-mounted repository
 * would go with it).
 * @param {string} dir
 * @param {string} mountinfo
 * @returns {string[]}
 */
export function mountsUnder(dir, mountinfo) {
  const base = dir.replace(/\/+$/, '');
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p) => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (/** @type {string} */ _, /** @type {string} */ o) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === base || p.startsWith(`${base}/`));
}

/** @param {string} s */
function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that runs `command` inside the chroot `dir`: `unshare --mount` (a private mount
 * namespace) runs a shell that mounts /proc and each bind (a host file or folder at the same or
 * another path inside the chroot), then `chroot … env -i` with `env` as the whole environment. The
 * mounts exist only in that namespace, so they are gone when its last process ends, whatever way it
 * ends (a failure, Ctrl-C, SIGKILL): none is ever left on the host, under the cache folder.
 * A mount that fails is one line naming it (exit code 125).
 * @param {{ dir: string, binds?: { from: string, to: string, file?: boolean }[], env: Record<string, string>, cwd: string, command: string[], what: string }} options
 * @returns {[string, string[]]}
 */
export function chrootCommand({ dir, binds = [], env, cwd, command, what }) {
  const mount = (/** @type {string} */ args, /** @type {string} */ target) =>
    `err=$(mount ${args} 2>&1) || { echo ${shellQuote(`${what}: cannot mount `)}${shellQuote(target)}": $err" >&2; exit 125; }`;
  const lines = ['set -u', mount(`-t proc proc ${shellQuote(join(dir, 'proc'))}`, join(dir, 'proc'))];
  for (const b of binds) {
    const target = join(dir, b.to);
    lines.push(
      b.file
        ? `mkdir -p ${shellQuote(join(target, '..'))} && { [ -e ${shellQuote(target)} ] || : > ${shellQuote(target)}; }`
        : `mkdir -p ${shellQuote(target)}`,
    );
    lines.push(mount(`--bind ${shellQuote(b.from)} ${shellQuote(target)}`, target));
  }
  const assignments = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
  lines.push(
    `exec chroot ${shellQuote(dir)} /usr/bin/env -i ${assignments.join(' ')} /bin/sh -c ${shellQuote(`cd ${shellQuote(cwd)} && exec "$@"`)} sh ${command.map(shellQuote).join(' ')}`,
  );
  return ['unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', lines.join('\n')]];
}

/** The environment inside the chroot: nothing of the host's but what is named here. */
export const CHROOT_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8' };

/** @param {Log} log */
function ensureDebootstrap(log) {
  if (existsSync('/usr/sbin/debootstrap')) return;
  if (!existsSync('/usr/bin/apt-get'))
    throw new Error('the torch 2 chroot is built with debootstrap from Debian’s archive, and this is not a Debian/Ubuntu machine');
  log('torch2-env: installing Debian debootstrap…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env }, 'apt-get update');
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'debootstrap'], { env }, 'installing debootstrap');
}

/**
 * The chroot of `suite` (default trixie's), built when it is missing or half-built; its path.
 * @param {{ log?: Log, suite?: string }} [options]
 * @returns {Promise<string>}
 */
export async function ensureTorch2({ log = defaultLog, suite = SUITE } = {}) {
  const dir = chrootDir(cacheRoot(), suite);
  if (isComplete(dir)) return dir;
  if (process.platform !== 'linux') throw new Error(`the torch 2 chroot needs Linux (this is ${process.platform})`);
  if (!isRoot()) throw new Error(`${dir} is not built, and building it (debootstrap) needs root: run this as root`);
  if (!hasProgram('unshare')) throw new Error('building the torch 2 chroot needs unshare (util-linux)');
  await withLock(cacheRoot(), log, async () => {
    if (isComplete(dir)) return;
    if (existsSync(dir)) {
      const mounts = mountsUnder(dir, readFileSync('/proc/self/mountinfo', 'utf8'));
      if (mounts.length > 0)
        throw new Error(
          `${dir} is half-built (or built with other packages) and has mounts below it (${mounts.join(', ')}): unmount them, then run again`,
        );
      log(`torch2-env: removing ${dir}: half-built, or built with other packages than ${PACKAGES.join(', ')}`);
      rmSync(dir, { recursive: true, force: true });
    }
    ensureDebootstrap(log);
    const mirror = process.env.CNN_SLICER_DEBIAN_MIRROR || debianMirror(hostAptSources());
    const started = Date.now();
    log(
      `torch2-env: building Debian ${suite} with ${PACKAGES.join(', ')} into ${dir} from ${mirror} (first run only: ≈1.7 GB downloaded)…`,
    );
    // In a private mount namespace: debootstrap mounts /proc (and more) inside the target while it
    // installs, and a build killed there would leave them mounted on the host.
    run(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'debootstrap',
        '--variant=minbase',
        `--include=${BASE_PACKAGES.join(',')}`,
        suite,
        dir,
        mirror,
        ...(SUITES[suite].script ? [`/usr/share/debootstrap/scripts/${SUITES[suite].script}`] : []),
      ],
      {},
      'debootstrap',
    );
    // The host's name servers, for apt in the chroot (debootstrap leaves none behind).
    writeFileSync(join(dir, 'etc', 'resolv.conf'), readFileSync('/etc/resolv.conf'));
    const [aptCmd, aptArgs] = chrootCommand({
      dir,
      env: { ...CHROOT_ENV, DEBIAN_FRONTEND: 'noninteractive' },
      cwd: '/',
      command: ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...APT_PACKAGES],
      what: 'torch2-env',
    });
    run(aptCmd, aptArgs, {}, `apt-get install ${APT_PACKAGES.join(' ')} in ${dir}`);
    // The downloaded packages (≈270 MB), which the chroot does not need once installed.
    const archives = join(dir, 'var', 'cache', 'apt', 'archives');
    for (const f of readdirSync(archives)) if (f.endsWith('.deb')) rmSync(join(archives, f));
    const [cmd, args] = chrootCommand({
      dir,
      env: CHROOT_ENV,
      cwd: '/',
      command: [
        'python3',
        '-c',
        'import sys, numpy, onnx, torch, torchvision, ipykernel, nbclient; print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}, numpy {numpy.__version__}, Python {sys.version.split()[0]}")',
      ],
      what: 'torch2-env',
    });
    const versions = run(cmd, args, {}, `importing torch in ${dir}`).trim().split('\n').pop() ?? '';
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    writeFileSync(
      join(dir, MARKER),
      `${versions}\nDebian ${suite} from ${mirror}, built ${new Date().toISOString()} in ${seconds} s\npackages: ${PACKAGES.join(',')}\n`,
    );
    log(`torch2-env: built in ${seconds} s: ${versions}`);
  });
  return dir;
}

/**
 * What the chroot holds, from its marker (`torch 2.6.0+debian, torchvision 0.21.0, …`).
 * @param {string} dir
 */
export function chrootVersions(dir) {
  return readFileSync(join(dir, MARKER), 'utf8').split('\n')[0];
}

/**
 * Whether a program is on the PATH.
 * @param {string} name
 */
export function hasProgram(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Not a top-level await: the unit test imports this module's pure functions as CommonJS.
  const { values } = parseArgs({ options: { suite: { type: 'string', default: SUITE } }, strict: true });
  Promise.resolve()
    .then(() => ensureTorch2({ suite: values.suite }))
    .then(
      (dir) => console.log(dir),
      (error) => {
        console.error(`torch2-env: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
}
