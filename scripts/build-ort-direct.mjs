// @ts-check
// Builds the direct runner, dist/ortDirect.node, from native/ort-direct/ortDirect.c: a small
// Node-API module that runs ONNX Runtime sessions through the runtime's C API, so that a run's
// preallocated outputs are written in place (onnxruntime-node 1.30's binding copies every output;
// docs/native-engine.md, "The direct runner").
//
// What it needs, each found or fetched here, else the build is skipped with one line and every
// session stays on onnxruntime-node's binding (src/native/ortDirect.ts says why at run time):
//   - Linux (onnxruntime-node's libonnxruntime.so.1; macOS and Windows are not built yet);
//   - a C compiler (`cc`, or $CC) and Node's own headers (node_api.h);
//   - ONNX Runtime's C API header, onnxruntime_c_api.h: taken from Debian 13's libonnxruntime-dev
//     package (1.21.0, its checksum pinned below), fetched once from Debian's archive into
//     ~/.cache/cnn-slicer-build. The module asks the runtime for that header's API version (21),
//     which every later runtime serves; onnxruntime-node ships no headers.
// Usage: node scripts/build-ort-direct.mjs [--outdir <dir>] [--require]
//   --require  fail (exit 1) instead of skipping: CI and the .vsix of linux-x64 need the module.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** @type {{ outdir?: string, require?: boolean }} */
let options;
try {
  options = parseArgs({ options: { outdir: { type: 'string' }, require: { type: 'boolean' } }, strict: true }).values;
} catch (e) {
  console.error(`build-ort-direct: ${/** @type {Error} */ (e).message}`);
  process.exit(2);
}
const outdir = options.outdir ?? join(root, 'dist');
const required = options.require === true;
const source = join(root, 'native', 'ort-direct', 'ortDirect.c');
const output = join(outdir, 'ortDirect.node');

/** Debian 13 (trixie)'s libonnxruntime-dev: a stable release's file, kept in its pool for the release's life. */
const HEADER_PACKAGE = {
  url: 'http://deb.debian.org/debian/pool/main/o/onnxruntime/libonnxruntime-dev_1.21.0+dfsg-1_amd64.deb',
  sha256: '14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08',
  member: './usr/include/onnxruntime/onnxruntime_c_api.h',
};
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cnn-slicer-build', 'onnxruntime-1.21.0');

/** @param {string} why */
function skip(why) {
  const line = `ortDirect: not built (${why}); ONNX Runtime's sessions use onnxruntime-node's binding`;
  if (required) {
    console.error(line);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

/** The folder holding node_api.h for the Node.js running this script. */
function nodeHeaders() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    join(homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
    '/usr/include/node',
  ];
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
}

/** The folder holding onnxruntime_c_api.h, fetched and checked the first time. */
async function runtimeHeaders() {
  const header = join(cacheDir, 'onnxruntime_c_api.h');
  if (existsSync(header)) return cacheDir;
  let bytes;
  try {
    const response = await fetch(HEADER_PACKAGE.url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (e) {
    skip(`ONNX Runtime's C API header could not be fetched from ${HEADER_PACKAGE.url}: ${/** @type {Error} */ (e).message}`);
    return undefined;
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== HEADER_PACKAGE.sha256) skip(`${HEADER_PACKAGE.url} is not the package expected (sha256 ${digest})`);
  mkdirSync(cacheDir, { recursive: true });
  const deb = join(cacheDir, 'libonnxruntime-dev.deb');
  writeFileSync(deb, bytes);
  try {
    // A .deb is an ar archive; the header is in its data.tar.xz.
    const data = execFileSync('ar', ['p', deb, 'data.tar.xz'], { maxBuffer: 64 << 20 });
    const text = execFileSync('tar', ['-xJO', HEADER_PACKAGE.member], { input: data, maxBuffer: 64 << 20 });
    writeFileSync(`${header}.part`, text);
    renameSync(`${header}.part`, header);
  } catch (e) {
    skip(`the header could not be unpacked from the package (ar and tar with xz): ${firstLine(e)}`);
  }
  return cacheDir;
}

/** @param {unknown} e */
function firstLine(e) {
  const error = /** @type {{ stderr?: Buffer, message?: string }} */ (e);
  return (String(error?.stderr ?? '').trim() || String(error?.message ?? e)).split('\n')[0];
}

if (process.platform !== 'linux') skip(`no build for ${process.platform} yet`);
const up =
  existsSync(output) &&
  statSync(output).mtimeMs >= statSync(source).mtimeMs &&
  statSync(output).mtimeMs >= statSync(fileURLToPath(import.meta.url)).mtimeMs;
if (up) process.exit(0);
const nodeInclude = nodeHeaders();
if (!nodeInclude) skip("Node.js's headers (node_api.h) were not found");
const ortInclude = await runtimeHeaders();
const compiler = process.env.CC || 'cc';
mkdirSync(outdir, { recursive: true });
try {
  execFileSync(
    compiler,
    [
      '-O2',
      '-std=c11',
      '-D_GNU_SOURCE',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-shared',
      '-fPIC',
      '-fvisibility=hidden',
      `-I${nodeInclude}`,
      `-I${ortInclude}`,
      source,
      '-o',
      `${output}.part`,
      '-ldl',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  renameSync(`${output}.part`, output);
} catch (e) {
  skip(`${compiler} failed: ${firstLine(e)}`);
}
console.log(`ortDirect: built ${output} (${(readFileSync(output).length / 1024).toFixed(0)} KB)`);
