import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalQuery } from '../../../src/contract/queries';
import { recordRun } from '../../../src/recorder/record';
import type { RunManifest } from '../../../src/contract/runFormat';
import type { ReportData } from '../../../src/contract/reportCodec';
import { matchLayers } from '../../../webview/compare';
import { comparePlan, compareDiversitySizes } from '../../../src/contract/plan';
import { TINY_MODEL } from '../../support/tinyRun';
import { decodeEntries } from '../../../src/contract/reportCodec';
import { embeddedJson } from '../../../src/contract/page';

// `cnn-slicer report A B …`: the real command line (dist/cli.js, run `npm run build` first) on tiny
// recorded runs — two of the fixture model and one of a smaller model with another architecture.
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const OTHER_MODEL = path.resolve(__dirname, '../../fixtures/models/untrained.ts');

function run(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

/** Expects a bad-input failure: exit 2 and one stderr line mentioning each of `mentions`. */
function usageError(args: string[], ...mentions: string[]): void {
  const r = run(...args);
  const shown = `cnn-slicer ${args.join(' ')}\nstatus ${r.status}\nstderr:\n${r.stderr}`;
  assert.equal(r.status, 2, shown);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, shown);
  for (const m of mentions) assert.ok(lines[0].includes(m), `expected "${m}" in: ${lines[0]}`);
}

/** The report data embedded in a written report. */
function embedded(file: string): ReportData {
  const html = readFileSync(file, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  return JSON.parse(json) as ReportData;
}

async function record(runs: string, modelFile: string, seed: number): Promise<{ folder: string; manifest: RunManifest }> {
  return recordRun({
    modelFile,
    dataset: 'synthetic:300',
    epochs: 2,
    batchSize: 16,
    probeSize: 60,
    runsFolder: runs,
    k: 20,
    backend: 'wasm',
    seed,
  });
}

describe('cnn-slicer report with several runs (the comparison report)', function () {
  this.timeout(300_000);
  let dir = '';
  let a = { folder: '', manifest: undefined as unknown as RunManifest };
  let b = { folder: '', manifest: undefined as unknown as RunManifest };
  let other = { folder: '', manifest: undefined as unknown as RunManifest };

  before(async function () {
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-compare-'));
    const runs = path.join(dir, 'runs');
    mkdirSync(runs);
    a = await record(runs, TINY_MODEL, 1);
    b = await record(runs, TINY_MODEL, 2);
    other = await record(runs, OTHER_MODEL, 1);
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one report holding each run’s comparison answers keyed by run, from two runs of the same model', async function () {
    const out = path.join(dir, 'same.html');
    const r = run('report', a.folder, b.folder, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^comparison report: .*same\.html \(2 runs/);
    const data = embedded(out);
    assert.equal(data.runs?.length, 2);
    // Large answers are stored gzipped (src/contract/reportCodec.ts): read them as the page does.
    for (const r of data.runs) r.answers = await decodeEntries(r.answers);
    assert.deepEqual(
      data.runs.map((x) => x.runId),
      [a.manifest.id, b.manifest.id],
    );
    assert.deepEqual(data.answers, {}, 'the top-level answers stay empty: nothing is mixed across runs');
    assert.equal(data.manifest.id, a.manifest.id);
    const manifests = data.runs.map((x) => x.manifest);
    for (const runData of data.runs) {
      const keys = comparePlan(runData.manifest, manifests).map((p) => canonicalQuery(p.query));
      assert.deepEqual(Object.keys(runData.answers).sort(), [...new Set(keys)].sort(), 'every query the view asks, no other');
      for (const key of keys) assert.ok('answer' in runData.answers[key], `${key} answered`);
    }
    const training = (id: number) =>
      (data.runs![id].answers[canonicalQuery({ kind: 'training' })] as { answer: { probeLoss: number[] } }).answer.probeLoss;
    assert.notDeepEqual(training(0), training(1), 'each run keeps its own answers (the seeds differ)');
    assert.ok(
      matchLayers(manifests).every((m) => m.compared),
      'the same architecture: every layer compared',
    );
  });

  it('keeps a comparison report small: summaries only, no forward-pass answer', function () {
    const out = path.join(dir, 'small.html');
    assert.equal(run('report', a.folder, other.folder, '--out', out).status, 0);
    const data = embedded(out);
    const kinds = new Set(data.runs!.flatMap((x) => Object.keys(x.answers).map((k) => (JSON.parse(k) as { kind: string }).kind)));
    // The information plane over all probe inputs is read from the recorded metrics: a summary too.
    assert.deepEqual([...kinds].sort(), ['channelEntropies', 'informationPlane', 'inputDiversity', 'interSample', 'run', 'training']);
    assert.ok(readFileSync(out).length < 3_000_000, 'under 3 MB, most of it the bundle');
  });

  it('compares two different models and names where their architectures differ', function () {
    const out = path.join(dir, 'different.html');
    const r = run('report', a.folder, other.folder, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const data = embedded(out);
    const matches = matchLayers(data.runs!.map((x) => x.manifest));
    // Fixture: input, conv2d, conv2d, maxPooling2d, flatten, dense; other: input, conv2d, flatten, dense.
    assert.deepEqual(
      matches.map((m) => m.compared),
      [true, true, false, false, true, true],
    );
    // B's flatten and dense are A's flatten and dense (layers 4 and 5 of A, 2 and 3 of B), not A's second convolution.
    assert.match(matches[2].difference ?? '', /^conv\d \(Conv2D, [\d×]+\) only in A — not compared$/);
    assert.match(matches[3].difference ?? '', /^pool1 \(MaxPooling2D, [\d×]+\) only in A — not compared$/);
    assert.deepEqual(matches[4].indices, [4, 2]);
    // The input diversity is asked at sizes both runs can fill, the same query for both.
    const sizes = compareDiversitySizes(data.runs!.map((x) => x.manifest));
    for (const x of data.runs!) assert.ok(canonicalQuery({ kind: 'inputDiversity', sizes, source: 'probe' }) in x.answers);
  });

  it('still writes a single-run report exactly as before when given one run', function () {
    const out = path.join(dir, 'single.html');
    const r = run('report', a.folder, '--out', out, '--epochs', '1', '--deconvolution-channels', '1', '--max-seconds', '86400');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^report: /);
    const data = embedded(out);
    assert.equal(data.runs, undefined);
    assert.ok(Object.keys(data.answers).length > 0);
  });

  it('refuses a folder that is not a run, in one line with exit code 2, and writes nothing', function () {
    const notRun = path.join(dir, 'runs', 'not-a-run');
    mkdirSync(notRun, { recursive: true });
    const out = path.join(dir, 'bad.html');
    usageError(['report', a.folder, notRun, '--out', out], 'not-a-run', 'is not a recorded run');
    usageError(['report', a.folder, path.join(dir, 'missing'), '--out', out], 'missing', 'does not exist');
    assert.equal(existsSync(out), false);
  });

  it('refuses the same run named twice, also through another spelling of its path', function () {
    const out = path.join(dir, 'twice.html');
    usageError(['report', a.folder, a.folder, '--out', out], 'same run', 'name each run once');
    usageError(['report', a.folder, path.join(a.folder, '..', path.basename(a.folder)) + '/', '--out', out], 'same run');
    assert.equal(existsSync(out), false);
  });

  it('refuses single-run options with several runs', function () {
    usageError(['report', a.folder, b.folder, '--pairs', '1:3'], '--pairs', 'one run');
    usageError(['report', a.folder, b.folder, '--epochs', '2'], '--epochs', 'one run');
  });
});
