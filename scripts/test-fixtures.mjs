#!/usr/bin/env node
// @ts-check
// The recorded run folders the tests read instead of training (test/fixtures/runs/, docs/testing.md,
// "Fixture runs"): each is a runs folder holding one run, recorded by the real recorder
// (`node dist/cli.js record`, so `npm run build` first) from the spec in test/fixtures/runs/fixtures.json,
// and a `fixture.json` stamp beside the run: the spec it was recorded from and the SHA-256 of its
// model file. test/unit/scripts/testFixtures.test.ts fails when a stamp no longer matches its spec or
// model file, or when the current reader refuses the run; this script then records it again.
//
// Usage: node scripts/test-fixtures.mjs [name ...]   record the named fixtures again (default: all)
//        node scripts/test-fixtures.mjs --check      say which fixtures are stale (exit 1 if any)
// The PyTorch run (test/fixtures/pytorch-run/) is written by scripts/onnx-fixtures.py.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = join(ROOT, 'test', 'fixtures', 'runs');

/** @typedef {{ name: string, why: string, model: string, args: string[] }} FixtureSpec */

/** @returns {FixtureSpec[]} */
export function fixtureSpecs() {
  /** @type {unknown} */
  const file = JSON.parse(readFileSync(join(RUNS, 'fixtures.json'), 'utf8'));
  return /** @type {{ fixtures: FixtureSpec[] }} */ (file).fixtures;
}

/** @param {string} file a repository-relative path */
const sha256 = (file) =>
  createHash('sha256')
    .update(readFileSync(join(ROOT, file)))
    .digest('hex');

/**
 * What a fixture's stamp must say for the fixture to be current: its spec, its model file's hash and,
 * for an `npy:` dataset checked in beside it, its arrays' hashes.
 * @param {FixtureSpec} spec
 */
export function expectedStamp(spec) {
  const dataset = spec.args[spec.args.indexOf('--dataset') + 1] ?? '';
  const arrays = dataset.startsWith('npy:') ? dataset.slice(4).split(',') : [];
  return {
    model: spec.model,
    modelSha256: sha256(spec.model),
    args: spec.args,
    ...(arrays.length ? { datasetSha256: arrays.map(sha256) } : {}),
  };
}

/**
 * Why the fixture of `spec` is not current, or undefined when it is.
 * @param {FixtureSpec} spec
 */
export function staleReason(spec) {
  const stampFile = join(RUNS, spec.name, 'fixture.json');
  if (!existsSync(stampFile)) return `${spec.name}: not recorded`;
  /** @type {unknown} */
  const parsed = JSON.parse(readFileSync(stampFile, 'utf8'));
  const stamp = /** @type {ReturnType<typeof expectedStamp>} */ (parsed);
  const want = expectedStamp(spec);
  if (stamp.modelSha256 !== want.modelSha256) return `${spec.name}: ${spec.model} changed since it was recorded`;
  if (JSON.stringify(stamp.datasetSha256) !== JSON.stringify(want.datasetSha256))
    return `${spec.name}: its dataset's arrays changed since it was recorded`;
  if (JSON.stringify(stamp.args) !== JSON.stringify(want.args) || stamp.model !== want.model)
    return `${spec.name}: its spec in fixtures.json changed since it was recorded`;
  return undefined;
}

/**
 * Where the repository stands in a checked-in manifest: the recorder writes absolute paths, which
 * would name the machine that recorded the fixture. test/support/fixtureRuns.ts puts the checkout's
 * own path back in each copy.
 */
export const REPOSITORY_PLACEHOLDER = '/cnn-slicer-repository';

/**
 * The manifest of the run in `runFolder` with the repository's path replaced by the placeholder in
 * every string, and its model file relative to the run folder where the fixture is checked in.
 * @param {string} runFolder @param {string} targetRunFolder @param {FixtureSpec} spec
 */
function normaliseManifest(runFolder, targetRunFolder, spec) {
  const file = join(runFolder, 'manifest.json');
  const text = readFileSync(file, 'utf8').split(`${ROOT}/`).join(`${REPOSITORY_PLACEHOLDER}/`);
  /** @type {unknown} */
  const parsed = JSON.parse(text);
  const manifest = /** @type {{ model: { relativeFile?: string } }} */ (parsed);
  manifest.model.relativeFile = relative(targetRunFolder, join(ROOT, spec.model)).split(sep).join('/');
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
}

/** @param {FixtureSpec} spec */
function record(spec) {
  const cli = join(ROOT, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run "npm run build" first');
  const tmp = mkdtempSync(join(tmpdir(), `cnn-slicer-fixture-${spec.name}-`));
  try {
    const runs = join(tmp, 'runs');
    const t0 = Date.now();
    execFileSync(process.execPath, [cli, 'record', join(ROOT, spec.model), ...spec.args, '--out', runs], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [run, ...others] = readdirSync(runs).filter((n) => !n.startsWith('.'));
    if (!run || others.length > 0) throw new Error(`expected one run in ${runs}, found ${readdirSync(runs).join(', ')}`);
    const target = join(RUNS, spec.name);
    normaliseManifest(join(runs, run), join(target, run), spec);
    rmSync(target, { recursive: true, force: true });
    renameSync(runs, target);
    rmSync(join(target, '.gitignore'), { force: true });
    writeFileSync(join(target, 'fixture.json'), JSON.stringify(expectedStamp(spec), null, 2) + '\n');
    console.log(`${spec.name}: recorded ${run} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const specs = fixtureSpecs();
  if (args[0] === '--check') {
    const stale = specs.map(staleReason).filter((r) => r !== undefined);
    for (const line of stale) console.log(line);
    if (stale.length === 0) console.log(`${specs.length} fixture runs are current`);
    process.exit(stale.length ? 1 : 0);
  }
  const unknown = args.filter((a) => !specs.some((s) => s.name === a));
  if (unknown.length) {
    console.error(`test-fixtures: no fixture ${unknown.join(', ')} (the fixtures: ${specs.map((s) => s.name).join(', ')})`);
    process.exit(2);
  }
  for (const spec of specs.filter((s) => args.length === 0 || args.includes(s.name))) record(spec);
}
