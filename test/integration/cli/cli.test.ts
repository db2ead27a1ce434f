import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  capacityMatrix,
  channelEntropies,
  channelMatrix,
  distanceCodes,
  interSampleEntropy,
  layerActivations,
  NpyArray,
  npyFromFloat32,
  npyFromFloat64,
  sampleChannelEntropies,
  seededRandom,
  serializeNpy,
} from '../../../src/analysis';
import { copyFixtureRun } from '../../support/fixtureRuns';
import { readRun } from '../../../src/run/store';

// The real command line, dist/cli.js, run as a child process on .npy files written to a temporary
// folder; every answer is compared with the analysis core called in-process on the same arrays.
const CLI = path.resolve(__dirname, '../../../dist/cli.js');

let dir = '';

function run(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

/** Runs the CLI, expects success and returns its stdout parsed as JSON. */
function runJson(...args: string[]): unknown {
  const r = run(...args);
  assert.equal(r.status, 0, `cnn-slicer ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Runs the CLI and expects a bad-input failure: exit 2, one stderr line "cnn-slicer: ...", no stack. */
function runUsageError(args: string[], ...mentions: string[]): string {
  const r = run(...args);
  const shown = `cnn-slicer ${args.join(' ')}\nstatus ${r.status}\nstderr:\n${r.stderr}`;
  assert.equal(r.status, 2, shown);
  assert.doesNotMatch(r.stderr, /^\s+at /m, shown);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, shown);
  assert.ok(r.stderr.endsWith('\n'), shown);
  assert.match(lines[0], /^cnn-slicer: /, shown);
  for (const m of mentions) assert.ok(lines[0].includes(m), `expected "${m}" in: ${lines[0]}`);
  return lines[0];
}

/** Writes an array as a .npy file in the temporary folder and returns its path. */
function npy(name: string, array: NpyArray): string {
  const file = path.join(dir, name);
  writeFileSync(file, serializeNpy(array));
  return file;
}

function randomFloat32(count: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: count }, () => rand() * 2 - 1);
}

function randomFloat64(count: number, seed: number): Float64Array {
  const rand = seededRandom(seed);
  return Float64Array.from({ length: count }, () => rand() * 2 - 1);
}

function int32Labels(name: string, values: number[]): string {
  return npy(name, { dtype: 'int32', shape: [values.length], data: Int32Array.from(values) });
}

function assertClose(actual: unknown, expected: number | undefined, tolerance: number, what: string): void {
  if (expected === undefined || Number.isNaN(expected)) {
    assert.equal(actual, null, `${what}: expected null, got ${String(actual)}`);
    return;
  }
  assert.equal(typeof actual, 'number', `${what}: expected a number, got ${String(actual)}`);
  assert.ok(Math.abs((actual as number) - expected) <= tolerance, `${what}: got ${String(actual)}, expected ${expected}`);
}

function assertAllClose(actual: unknown, expected: ArrayLike<number | undefined>, tolerance: number, what: string): void {
  assert.ok(Array.isArray(actual), `${what}: expected an array, got ${JSON.stringify(actual)}`);
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], tolerance, `${what}[${i}]`);
}

describe('cnn-slicer command line (dist/cli.js)', function () {
  this.timeout(60_000);

  before(function () {
    if (!existsSync(CLI)) assert.fail(`${CLI} does not exist; run "npm run build" first`);
    dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-cli-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('entropy intra', function () {
    // [N, H, W, C] = [5, 4, 4, 2]: 32 values per sample.
    const shape = [5, 4, 4, 2];
    const units = 32;
    let file = '';
    let data: Float32Array;

    before(function () {
      data = randomFloat32(
        shape.reduce((a, b) => a * b, 1),
        11,
      );
      for (let i = 0; i < units; i++) {
        data[0 * units + i] = i; // 0..31: one value per bin
        data[1 * units + i] = 0.25; // constant
        data[2 * units + i] = NaN; // nothing finite
      }
      file = npy('intra.npy', npyFromFloat32(shape, data));
    });

    it('prints the entropy of every whole sample, as the analysis core computes it for one channel of H·W·C values', function () {
      const expected = sampleChannelEntropies(layerActivations([shape[0], units], data)).entropyBits;
      assertAllClose(runJson('entropy', 'intra', file), expected, 1e-12, 'entropy intra');
    });

    it('gives exactly 5 bits for 32 values 0..31, 0 for a constant sample and null for a sample with no finite value', function () {
      const out = runJson('entropy', 'intra', file) as (number | null)[];
      assert.equal(out.length, 5);
      assert.equal(out[0], 5);
      assert.equal(out[1], 0);
      assert.equal(out[2], null);
    });

    it('notes the ignored non-finite values on stderr and still succeeds', function () {
      const r = run('entropy', 'intra', file);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /non-finite/);
      assert.match(r.stderr, /\b32\b/);
    });

    it('uses --bins B histogram bins', function () {
      const expected = sampleChannelEntropies(layerActivations([shape[0], units], data), 4).entropyBits;
      const out = runJson('entropy', 'intra', file, '--bins', '4') as (number | null)[];
      assertAllClose(out, expected, 1e-12, 'entropy intra --bins 4');
      assert.equal(out[0], 2);
    });

    it('reads float64 arrays and [N, U] arrays', function () {
      const values = randomFloat64(6 * 10, 12);
      const f = npy('intra-f64.npy', npyFromFloat64([6, 10], values));
      const expected = sampleChannelEntropies(layerActivations([6, 10], values)).entropyBits;
      assertAllClose(runJson('entropy', 'intra', f), expected, 1e-12, 'entropy intra float64');
    });
  });

  describe('entropy channels', function () {
    // [N, H, W, C] = [12, 3, 3, 4], labels 0..2.
    const shape = [12, 3, 3, 4];
    const labels = [0, 1, 2, 0, 1, 2, 2, 2, 1, 0, 0, 0];
    let data: Float32Array;
    let file = '';
    let labelFile = '';

    before(function () {
      data = randomFloat32(
        shape.reduce((a, b) => a * b, 1),
        21,
      );
      file = npy('channels.npy', npyFromFloat32(shape, data));
      labelFile = int32Labels('channels-labels.npy', labels);
    });

    function expectSummary(out: unknown, bins: number, what: string): void {
      const expected = channelEntropies(layerActivations(shape, data), { bins, labels });
      const o = out as { channels: number; entropyBits: unknown; perClass: unknown[]; classCounts: number[]; nonFiniteCount: number };
      assert.equal(o.channels, 4);
      assertAllClose(o.entropyBits, expected.all, 1e-12, `${what} entropyBits`);
      assert.equal(o.perClass.length, 3);
      for (let k = 0; k < 3; k++) assertAllClose(o.perClass[k], expected.perClass![k], 1e-12, `${what} perClass[${k}]`);
      assert.deepEqual(o.classCounts, [5, 3, 4]);
      assert.deepEqual(o.classCounts, expected.classCounts);
      assert.equal(o.nonFiniteCount, 0);
    }

    it('prints the mean entropy of each channel, overall and per class, as the analysis core computes it', function () {
      expectSummary(runJson('entropy', 'channels', file, '--labels', labelFile), 32, 'channels');
    });

    it('prints only the overall entropies without --labels', function () {
      const out = runJson('entropy', 'channels', file) as Record<string, unknown>;
      const expected = channelEntropies(layerActivations(shape, data));
      assertAllClose(out.entropyBits, expected.all, 1e-12, 'entropyBits');
      assert.equal('perClass' in out, false);
      assert.equal('classCounts' in out, false);
    });

    it('uses --bins B, which changes the answer', function () {
      const out8 = runJson('entropy', 'channels', file, '--labels', labelFile, '--bins', '8');
      expectSummary(out8, 8, 'channels --bins 8');
      const out32 = runJson('entropy', 'channels', file, '--labels', labelFile) as { entropyBits: number[] };
      assert.notDeepEqual((out8 as { entropyBits: number[] }).entropyBits, out32.entropyBits);
    });

    it('reads int64 labels', function () {
      const f = npy('channels-labels-i64.npy', { dtype: 'int64', shape: [labels.length], data: BigInt64Array.from(labels.map(BigInt)) });
      expectSummary(runJson('entropy', 'channels', file, '--labels', f), 32, 'channels int64 labels');
    });

    it('reads float64 labels holding whole numbers', function () {
      const f = npy('channels-labels-f64.npy', npyFromFloat64([labels.length], Float64Array.from(labels)));
      expectSummary(runJson('entropy', 'channels', file, '--labels', f), 32, 'channels float64 labels');
    });

    it('uses --classes C for the per-class rows, with null for a class without inputs', function () {
      const out = runJson('entropy', 'channels', file, '--labels', labelFile, '--classes', '4') as {
        perClass: unknown[][];
        classCounts: number[];
      };
      assert.equal(out.perClass.length, 4);
      assert.deepEqual(out.perClass[3], [null, null, null, null]);
      assert.deepEqual(out.classCounts, [5, 3, 4, 0]);
    });
  });

  describe('entropy inter', function () {
    it('prints the inter-sample entropy of the set, as the analysis core computes it', function () {
      const [n, d] = [40, 12];
      const values = randomFloat32(n * d, 31);
      const f = npy('inter.npy', npyFromFloat32([n, 3, 4, 1], values));
      const expected = interSampleEntropy(values, n, d, { k: 5 }).entropyBits;
      assert.ok(expected !== undefined && expected > 0);
      assertClose(runJson('entropy', 'inter', f, '--k', '5'), expected, 1e-9, 'entropy inter --k 5');
    });

    it('prints null for 2 samples (no neighbourhood of 2)', function () {
      const f = npy('inter-2.npy', npyFromFloat64([2, 5], randomFloat64(10, 32)));
      const r = run('entropy', 'inter', f, '--k', '5');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'null');
    });

    it('prints null for a dead layer (every output 0), and says why on stderr, not the ceiling', function () {
      const f = npy('inter-dead.npy', npyFromFloat32([200, 2, 2, 1], new Float32Array(800)));
      const r = run('entropy', 'inter', f);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'null');
      assert.equal(r.stderr.trim(), 'note: undefined: all probe inputs are identical here');
    });

    it('gives the single-threaded answer on a set large enough for the worker pool', function () {
      // The pool takes over from N²·d ≥ 2e7 multiply-adds (600² · 64 ≈ 2.3e7) on a machine with 2+ cores.
      const [n, d] = [600, 64];
      const values = randomFloat32(n * d, 33);
      const f = npy('inter-large.npy', npyFromFloat32([n, 8, 8, 1], values));
      const expected = interSampleEntropy(values, n, d, { k: 50 }).entropyBits;
      assert.ok(expected !== undefined && expected > 0);
      assertClose(runJson('entropy', 'inter', f, '--k', '50'), expected, 1e-9, 'entropy inter --k 50 (worker pool)');
    });

    it('gives the same answer for 300 samples of 64 values with --k 50 (below the pool threshold, computed inline)', function () {
      const [n, d] = [300, 64];
      const values = randomFloat32(n * d, 34);
      const f = npy('inter-300.npy', npyFromFloat32([n, d], values));
      const expected = interSampleEntropy(values, n, d, { k: 50 }).entropyBits;
      assertClose(runJson('entropy', 'inter', f, '--k', '50'), expected, 1e-9, 'entropy inter --k 50 (300 samples)');
    });
  });

  describe('capacity', function () {
    // Same N = 30 inputs; A has 2 channels of 3×3, B has 3 channels of 2×2.
    const n = 30;
    const shapeA = [n, 3, 3, 2];
    const shapeB = [n, 2, 2, 3];
    let a: Float32Array;
    let b: Float32Array;
    let fileA = '';
    let fileB = '';

    before(function () {
      a = randomFloat32(n * 18, 41);
      b = randomFloat32(n * 12, 42);
      // Make B's channels depend on A's to some degree, so the capacities differ from each other.
      for (let i = 0; i < n; i++) for (let u = 0; u < 4; u++) b[i * 12 + u * 3] = a[i * 18 + u * 2] * 3;
      fileA = npy('capacity-a.npy', npyFromFloat32(shapeA, a));
      fileB = npy('capacity-b.npy', npyFromFloat32(shapeB, b));
    });

    it('prints the capacity matrix with rows = channels of B and columns = channels of A, as the analysis core computes it', function () {
      const m = capacityMatrix(layerActivations(shapeA, a), layerActivations(shapeB, b));
      assert.equal(m.rows, 3);
      assert.equal(m.columns, 2);
      const out = runJson('capacity', fileA, fileB) as unknown[][];
      assert.equal(out.length, 3, 'rows = channels of B');
      for (let r = 0; r < 3; r++) {
        assert.equal(out[r].length, 2, 'columns = channels of A');
        assertAllClose(out[r], m.values.subarray(r * 2, r * 2 + 2), 1e-12, `capacity row ${r}`);
      }
    });

    it('uses --bins B', function () {
      const m = capacityMatrix(layerActivations(shapeA, a), layerActivations(shapeB, b), 8);
      const out = runJson('capacity', fileA, fileB, '--bins', '8') as unknown[][];
      for (let r = 0; r < 3; r++) assertAllClose(out[r], m.values.subarray(r * 2, r * 2 + 2), 1e-12, `capacity --bins 8 row ${r}`);
    });

    it('has the entropy of each channel on the diagonal of a layer against itself', function () {
      const layer = layerActivations(shapeB, b);
      const out = runJson('capacity', fileB, fileB) as number[][];
      assert.equal(out.length, 3);
      for (let c = 0; c < 3; c++) {
        const h = distanceCodes(channelMatrix(layer, c), n, layer.units).entropyBits;
        assertClose(out[c][c], h, 1e-12, `diagonal ${c}`);
        for (let r = 0; r < 3; r++) assertClose(out[r][c], out[c][r], 1e-12, `symmetry ${r},${c}`);
      }
    });

    it('with --sort max orders rows and columns by their max, descending', function () {
      const rowMax = (m: number[][]) => m.map((row) => Math.max(...row));
      const columnMax = (m: number[][]) => m[0].map((_, c) => Math.max(...m.map((row) => row[c])));
      const nonIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x <= xs[i - 1]);
      const plain = runJson('capacity', fileA, fileB) as number[][];
      const sorted = runJson('capacity', fileA, fileB, '--sort', 'max') as number[][];
      assert.equal(sorted.length, 3);
      assert.ok(nonIncreasing(rowMax(sorted)), `row maxima ${rowMax(sorted)}`);
      assert.ok(nonIncreasing(columnMax(sorted)), `column maxima ${columnMax(sorted)}`);
      // Same values, only moved.
      const cells = (m: number[][]) => m.flat().sort((x, y) => x - y);
      assert.deepEqual(cells(sorted), cells(plain));
      // With 2×3 channels the sort must be a permutation of whole rows and whole columns of the plain matrix.
      for (const row of sorted)
        assert.ok(
          plain.some((p) => [...p].sort().join() === [...row].sort().join()),
          `row ${row} is a plain row`,
        );
    });

    it('also orders by the larger layer on the columns (A with 3 channels, B with 2)', function () {
      const sorted = runJson('capacity', fileB, fileA, '--sort', 'max') as number[][];
      assert.equal(sorted.length, 2);
      assert.equal(sorted[0].length, 3);
      const rowMax = sorted.map((row) => Math.max(...row));
      const columnMax = sorted[0].map((_, c) => Math.max(...sorted.map((row) => row[c])));
      assert.ok(rowMax[0] >= rowMax[1], `row maxima ${rowMax}`);
      assert.ok(
        columnMax.every((x, i) => i === 0 || x <= columnMax[i - 1]),
        `column maxima ${columnMax}`,
      );
    });
  });

  describe('labels', function () {
    let truth = '';
    let pred = '';

    before(function () {
      truth = int32Labels('true.npy', [0, 0, 1, 1, 2]);
      pred = int32Labels('pred.npy', [0, 1, 1, 1, 1]);
    });

    it('prints the confusion matrix (rows true, columns predicted) and both label entropies', function () {
      assert.deepEqual(runJson('labels', truth, pred), {
        confusion: [
          [1, 1, 0],
          [0, 2, 0],
          [0, 1, 0],
        ],
        hLabelGivenPred: [0, 1.5, null],
        hPredGivenLabel: [1, 0, 0],
      });
    });

    it('takes the argmax of predicted scores [N, C]', function () {
      const scores = Float64Array.from(
        [
          [0.9, 0.1, 0.0],
          [0.2, 0.7, 0.1],
          [0.1, 0.5, 0.4],
          [-1, 3, 2],
          [0.3, 0.4, 0.3],
        ].flat(),
      );
      const f = npy('pred-scores.npy', npyFromFloat64([5, 3], scores));
      assert.deepEqual(runJson('labels', truth, f), runJson('labels', truth, pred));
    });

    it('uses --classes C, with null entropies for a class that never occurs', function () {
      assert.deepEqual(runJson('labels', truth, pred, '--classes', '4'), {
        confusion: [
          [1, 1, 0, 0],
          [0, 2, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 0, 0],
        ],
        hLabelGivenPred: [0, 1.5, null, null],
        hPredGivenLabel: [1, 0, 0, null],
      });
    });
  });

  describe('--help', function () {
    const cases: string[][] = [
      ['--help'],
      ['entropy', 'intra', '--help'],
      ['entropy', 'channels', '--help'],
      ['entropy', 'inter', '--help'],
      ['capacity', '--help'],
      ['labels', '--help'],
      ['demo', '--help'],
    ];
    for (const args of cases) {
      it(`"cnn-slicer ${args.join(' ')}" prints the usage and exits with 0`, function () {
        const r = run(...args);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /Usage/);
        assert.equal(r.stderr, '');
      });
    }
  });

  describe('bad input: exit 2 with one line "cnn-slicer: ..." on stderr and no stack trace', function () {
    let good = '';
    let labelsFile = '';

    before(function () {
      good = npy('good.npy', npyFromFloat32([5, 2, 2, 1], randomFloat32(20, 51)));
      labelsFile = int32Labels('good-labels.npy', [0, 1, 0, 1, 0]);
    });

    it('a missing file is named, with "no such file"', function () {
      const missing = path.join(dir, 'missing.npy');
      runUsageError(['entropy', 'intra', missing], missing, 'no such file');
    });

    it('a text file is not a .npy file', function () {
      const f = path.join(dir, 'text.npy');
      writeFileSync(f, 'these are not the numbers you are looking for\n');
      runUsageError(['entropy', 'intra', f], f, 'not a .npy file');
    });

    it('a truncated .npy file is reported as truncated', function () {
      const bytes = serializeNpy(npyFromFloat32([5, 2, 2, 1], randomFloat32(20, 52)));
      const f = path.join(dir, 'truncated.npy');
      writeFileSync(f, bytes.subarray(0, bytes.length - 6));
      runUsageError(['entropy', 'intra', f], f, 'truncated');
    });

    it('a 1-D array as X names its shape', function () {
      const f = npy('vector.npy', npyFromFloat32([6], randomFloat32(6, 53)));
      runUsageError(['entropy', 'intra', f], f, '[6]');
      runUsageError(['entropy', 'inter', f], f, '[6]');
      runUsageError(['capacity', f, good], f, '[6]');
    });

    it('capacity with different N in A and B names both counts', function () {
      const other = npy('n7.npy', npyFromFloat32([7, 2, 2, 1], randomFloat32(28, 54)));
      const line = runUsageError(['capacity', good, other], '5', '7');
      assert.match(line, /\b5\b.*\b7\b/);
    });

    it('a labels file whose length differs from N is named with both lengths', function () {
      const short = int32Labels('short-labels.npy', [0, 1, 0]);
      runUsageError(['entropy', 'channels', good, '--labels', short], short, '3', '5');
    });

    it('labels: PRED with a different length from TRUE', function () {
      const short = int32Labels('short-pred.npy', [0, 1, 0]);
      runUsageError(['labels', labelsFile, short], '3', '5');
      const scores = npy('short-scores.npy', npyFromFloat64([3, 2], randomFloat64(6, 55)));
      runUsageError(['labels', labelsFile, scores], '3', '5');
    });

    it('--bins beyond the largest histogram is bad input, also when the check runs in a worker', function () {
      runUsageError(['capacity', good, good, '--bins', '70000'], 'bins must be an integer from 2 to 4096');
    });

    it('--bins 1 and --bins abc are rejected', function () {
      runUsageError(['entropy', 'intra', good, '--bins', '1'], '--bins', '"1"');
      runUsageError(['entropy', 'intra', good, '--bins', 'abc'], '--bins', '"abc"');
      runUsageError(['entropy', 'channels', good, '--bins', '1'], '--bins');
      runUsageError(['capacity', good, good, '--bins', '1.5'], '--bins', '"1.5"');
    });

    it('--k 1 is rejected', function () {
      runUsageError(['entropy', 'inter', good, '--k', '1'], '--k', '"1"');
    });

    it('--sort sideways is rejected', function () {
      runUsageError(['capacity', good, good, '--sort', 'sideways'], '--sort', 'sideways');
    });

    it('an option with no value is rejected', function () {
      runUsageError(['entropy', 'intra', good, '--bins'], '--bins');
    });

    it('an unknown option is named', function () {
      runUsageError(['entropy', 'intra', good, '--frobnicate'], '--frobnicate');
      runUsageError(['capacity', good, good, '--frobnicate'], '--frobnicate');
      runUsageError(['labels', labelsFile, labelsFile, '--frobnicate'], '--frobnicate');
    });

    it('an unknown command is named', function () {
      runUsageError(['frobnicate'], 'unknown command', 'frobnicate');
    });

    it('an unknown entropy kind is named', function () {
      runUsageError(['entropy', 'extra', good], 'unknown entropy kind', 'extra');
    });

    it('a wrong number of file arguments is reported', function () {
      runUsageError(['entropy', 'intra'], 'expected 1 file argument', 'got 0');
      runUsageError(['entropy', 'intra', good, good], 'expected 1 file argument', 'got 2');
      runUsageError(['capacity', good], 'expected 2 file arguments', 'got 1');
      runUsageError(['labels', labelsFile, labelsFile, labelsFile], 'expected 2 file arguments', 'got 3');
    });

    it('a negative label is rejected', function () {
      const neg = int32Labels('negative.npy', [0, 1, -1, 1, 0]);
      runUsageError(['entropy', 'channels', good, '--labels', neg], neg, '-1');
      runUsageError(['labels', neg, labelsFile], neg, '-1');
      runUsageError(['labels', labelsFile, neg], neg, '-1');
    });

    it('a fractional label is rejected', function () {
      const frac = npy('fractional.npy', npyFromFloat64([5], Float64Array.from([0, 1, 0.5, 1, 0])));
      runUsageError(['entropy', 'channels', good, '--labels', frac], frac, '0.5');
      runUsageError(['labels', frac, labelsFile], frac, '0.5');
    });

    it('a label outside --classes is rejected', function () {
      runUsageError(['labels', labelsFile, labelsFile, '--classes', '1'], '1');
      runUsageError(['entropy', 'channels', good, '--labels', labelsFile, '--classes', '1'], '--classes');
    });
  });

  describe('report --pairs', function () {
    // The tiny recorded run: layers 1 and 2 (Conv2D) and 3 (MaxPooling2D) have channels; 0 (the
    // input), 4 (Flatten) and 5 (Dense) have one. Consecutive pairs 1:2 and 2:3 are always in.
    this.timeout(180_000);
    let runs = '';
    let runFolder = '';

    before(async function () {
      const r = copyFixtureRun('tiny', 'cnn-slicer-cli-report-');
      runs = r.runs;
      runFolder = r.folder;
    });

    after(function () {
      if (runs) rmSync(runs, { recursive: true, force: true });
    });

    const layerName = (index: number): string => readRun(runFolder).manifest.layers[index].name;

    /** Writes a report over epochs 0 and 2 and returns the number of answers its summary line counts. */
    function reportAnswers(...extra: string[]): number {
      const out = path.join(dir, 'report.html');
      // No time budget: the answers are counted, however loaded the machine is.
      const r = run('report', runFolder, '--out', out, '--epochs', '2', '--max-seconds', '86400', ...extra);
      assert.equal(r.status, 0, `report ${extra.join(' ')} exited with ${r.status}: ${r.stderr}`);
      const m = /, (\d+) answers/.exec(r.stdout);
      assert.ok(m, r.stdout);
      return Number(m[1]);
    }

    it('precomputes the capacity matrix and layer capacity of each extra pair at each report epoch, once', function () {
      const consecutive = reportAnswers();
      // 3:1 and 2:1, not 1:3: the first convolution against a later layer (1:3) is in every report
      // already (the depth strip), so its capacity matrices would not count.
      assert.equal(reportAnswers('--pairs', '3:1'), consecutive + 4);
      // A consecutive pair and a repeated pair add nothing; the other orientation is its own pair.
      assert.equal(reportAnswers('--pairs', '3:1,1:2,3:1'), consecutive + 4);
      assert.equal(reportAnswers('--pairs', '3:1,2:1'), consecutive + 8);
    });

    it('rejects a pair that is not I:J, naming it', function () {
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '1-3'], '"1-3"', 'I:J');
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '1:3,x'], '"x"');
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '1:3:5'], '"1:3:5"');
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', ''], '--pairs', '1:3');
    });

    it('rejects a layer the run does not have, listing the layers it could name', function () {
      // Names come from the manifest: tfjs numbers auto-generated names per process, so they depend on
      // which tests recorded before this one.
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '1:9'], 'no layer 9', `1 ${layerName(1)}`);
    });

    it('rejects a layer with one channel (the input, flatten, dense), naming it', function () {
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '1:4'], `layer 4 (${layerName(4)}`, 'one channel');
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '0:2'], 'layer 0 (input', 'one channel');
    });

    it('rejects a layer paired with itself', function () {
      runUsageError(['report', runFolder, '--out', path.join(dir, 'x.html'), '--pairs', '2:2'], '"2:2"', 'itself');
    });

    it('writes no report when a pair is bad', function () {
      const out = path.join(dir, 'bad-pairs.html');
      runUsageError(['report', runFolder, '--out', out, '--pairs', '1:5'], 'layer 5');
      assert.equal(existsSync(out), false);
    });
  });
});
