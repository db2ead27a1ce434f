import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  binnedInformation,
  channelLabelInformation,
  layerActivations,
  NpyArray,
  npyFromFloat32,
  npyFromFloat64,
  pairwiseLabelInformation,
  seededRandom,
  serializeNpy,
} from '../../../src/analysis';

// The real command line, dist/cli.js, on .npy files; answers are compared with the analysis core in-process.
const CLI = path.resolve(__dirname, '../../../dist/cli.js');

describe('cnn-slicer mi (mutual information with the labels)', function () {
  this.timeout(120000);
  let dir = '';
  const r = seededRandom(16);
  const n = 80;
  const labels = Array.from({ length: n }, (_, i) => i % 4);
  // [N, 3, 3, 5]: channel c leans towards the class with strength c, so the channels differ.
  const shape = [n, 3, 3, 5];
  const data = new Float32Array(n * 45);
  for (let i = 0; i < n; i++) for (let p = 0; p < 9; p++) for (let c = 0; c < 5; c++) data[(i * 9 + p) * 5 + c] = labels[i] * c * 0.3 + r();
  const layer = layerActivations(shape, data);

  const run = (...args: string[]): SpawnSyncReturns<string> => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  const runJson = (...args: string[]): unknown => {
    const res = run(...args);
    assert.equal(res.status, 0, `cnn-slicer ${args.join(' ')} exited with ${res.status}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  const usageError = (args: string[], mention: string) => {
    const res = run(...args);
    const shown = `cnn-slicer ${args.join(' ')}\nstatus ${res.status}\nstderr:\n${res.stderr}`;
    assert.equal(res.status, 2, shown);
    const lines = res.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, shown);
    assert.match(lines[0], /^cnn-slicer: /, shown);
    assert.ok(lines[0].includes(mention), `expected "${mention}" in: ${lines[0]}`);
  };
  const npy = (name: string, array: NpyArray) => {
    const file = path.join(dir, name);
    writeFileSync(file, serializeNpy(array));
    return file;
  };
  let T = '';
  let Y = '';

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-mi-cli-'));
    T = npy('t.npy', npyFromFloat32(shape, data));
    Y = npy('y.npy', npyFromFloat64([n], Float64Array.from(labels)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('mi pairwise prints the layer-level I_pair(T;Y) as a JSON number', () => {
    assert.equal(runJson('mi', 'pairwise', T, '--labels', Y), pairwiseLabelInformation(layer, labels));
    assert.equal(runJson('mi', 'pairwise', T, '--labels', Y, '--bins', '8'), pairwiseLabelInformation(layer, labels, 8));
  });
  it('mi pairwise --channels prints one value per channel', () => {
    const got = runJson('mi', 'pairwise', T, '--labels', Y, '--channels') as number[];
    assert.deepEqual(got, channelLabelInformation(layer, labels));
    assert.equal(got.length, 5);
    assert.ok(got[0] < got[4], `${got.join(', ')}`);
  });
  it('mi binned prints {ixt, ity, saturated}', () => {
    const b = binnedInformation(layer, labels, 4);
    assert.deepEqual(runJson('mi', 'binned', T, '--labels', Y, '--bins', '4'), { ixt: b.ixtBits, ity: b.ityBits, saturated: b.saturated });
    // Continuous activations at the default 30 bins: every input its own symbol.
    assert.equal((runJson('mi', 'binned', T, '--labels', Y) as { saturated: boolean }).saturated, true);
  });
  it('prints null where the value is undefined (one class only)', () => {
    const one = npy('one.npy', npyFromFloat64([n], new Float64Array(n)));
    assert.equal(runJson('mi', 'pairwise', T, '--labels', one), null);
    assert.deepEqual(runJson('mi', 'binned', npy('u.npy', npyFromFloat64([n, 1], new Float64Array(n))), '--labels', one), {
      ixt: 0,
      ity: null,
      saturated: false,
    });
  });
  it('notes how many non-finite values it set aside (pairwise, per channel, binned), and still answers', () => {
    // 3 NaN and 2 infinities, in channels 0, 2 and 4: each estimator sees all 5.
    const bad = Float32Array.from(data);
    [0, 47, 92, 500, 3599].forEach((at, k) => (bad[at] = [NaN, Infinity, NaN, -Infinity, NaN][k]));
    const file = npy('t-nonfinite.npy', npyFromFloat32(shape, bad));
    const withBad = layerActivations(shape, bad);
    for (const args of [['pairwise'], ['pairwise', '--channels'], ['binned', '--bins', '4']] as const) {
      const res = run('mi', args[0], file, '--labels', Y, ...args.slice(1));
      const shown = `mi ${args.join(' ')}: status ${res.status}, stderr ${res.stderr}`;
      assert.equal(res.status, 0, shown);
      assert.deepEqual(
        res.stderr.split('\n').filter((l) => l !== ''),
        ['note: 5 non-finite values ignored'],
        shown,
      );
      const got = JSON.parse(res.stdout) as unknown;
      if (args[0] === 'binned') {
        const b = binnedInformation(withBad, labels, 4);
        assert.deepEqual(got, { ixt: b.ixtBits, ity: b.ityBits, saturated: b.saturated });
      } else if (args.length === 1) assert.equal(got, pairwiseLabelInformation(withBad, labels));
      else assert.deepEqual(got, channelLabelInformation(withBad, labels));
    }
    // Clean data: no note.
    assert.equal(run('mi', 'pairwise', T, '--labels', Y).stderr, '');
  });
  it('prints its usage with --help', () => {
    for (const args of [
      ['mi', '--help'],
      ['mi', 'pairwise', '--help'],
      ['mi', 'binned', '--help'],
    ]) {
      const res = run(...args);
      assert.equal(res.status, 0);
      assert.match(res.stdout, /Usage: cnn-slicer mi/);
    }
  });
  describe('bad input: exit 2 with one line', () => {
    it('an unknown or missing kind', () => {
      usageError(['mi', 'kde', T, '--labels', Y], 'pairwise or binned');
      usageError(['mi'], 'pairwise or binned');
    });
    it('missing --labels', () => usageError(['mi', 'pairwise', T], '--labels'));
    it('labels that do not match the inputs', () => {
      usageError(['mi', 'pairwise', T, '--labels', npy('short.npy', npyFromFloat64([3], Float64Array.from([0, 1, 2])))], '3 labels');
      usageError(['mi', 'binned', T, '--labels', npy('frac.npy', npyFromFloat64([n], new Float64Array(n).fill(0.5)))], 'integers');
    });
    it('a layer of the wrong shape, a missing file, bad bins, --channels with binned', () => {
      usageError(['mi', 'pairwise', npy('v.npy', npyFromFloat64([n], new Float64Array(n))), '--labels', Y], 'expected [N, U]');
      usageError(['mi', 'pairwise', path.join(dir, 'nope.npy'), '--labels', Y], 'no such file');
      usageError(['mi', 'pairwise', T, '--labels', Y, '--bins', '1'], '--bins');
      usageError(['mi', 'binned', T, '--labels', Y, '--channels'], '--channels');
    });
  });
});
