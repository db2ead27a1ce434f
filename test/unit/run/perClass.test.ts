/**
 * The per-class channel entropies in their own file (src/contract/perClassFile.ts, src/run/perClass.ts):
 * the line written without them and naming the file, each layer's block read back equal to what the
 * line held (null kept), lines of older runs read as they are, and a damaged or hostile file or line
 * refused in one line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perClassBlock, perClassFileBytes, perClassRows, splitPerClass } from '../../../src/contract/perClassFile';
import { RunFormatError, validateEpochMetrics, type EpochMetrics } from '../../../src/contract/runFormat';
import { writeFileAtomic } from '../../../src/run/files';
import { layerPerClass, layerPerClassAsync, writePerClass } from '../../../src/run/perClass';
import { readRun } from '../../../src/run/store';
import { fixtureMetrics, writeFixtureRun } from '../../support/runFixture';

describe('the per-class file of a measured epoch', () => {
  let dir: string;
  let folder: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-per-class-'));
    folder = join(dir, 'r1');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The fixture's epoch with distinct values, a null and -0 among them. */
  function measured(epoch: number): EpochMetrics {
    const m = fixtureMetrics(epoch);
    m.layers[1].channelBitsPerClass = [
      [0.1, -0, 4.999999999999999],
      [null, 2 ** -1074, 1 / 3],
    ];
    return m;
  }

  it('splits the line from its values, layer by layer, class by class, and reads each block back as the line held it', () => {
    const m = measured(4);
    const { line, bytes } = splitPerClass(m);
    assert.equal(line.perClassFile, 'per-class/epoch-4.f64');
    assert.ok(line.layers.every((l) => l.channelBitsPerClass === undefined));
    assert.equal(bytes?.length, perClassFileBytes(line, 2));
    assert.equal(bytes?.length, (1 + 3 + 1) * 2 * 8);
    for (let l = 0; l < 3; l++) {
      const b = perClassBlock(line, 2, l);
      const rows = perClassRows(bytes.subarray(b.offset, b.offset + b.bytes), 2, b.channels);
      assert.deepEqual(rows, m.layers[l].channelBitsPerClass);
      if (l === 1) assert.ok(Object.is(rows[0][1], -0), '-0 stays -0');
    }
    // Little-endian float64: the first value of layer 1 (after layer 0's two) is 0.1.
    assert.equal(Buffer.from(bytes).readDoubleLE(16), 0.1);
    // A line already split stays as it is.
    assert.deepEqual(splitPerClass(line), { line });
    assert.throws(() => perClassBlock(line, 2, 3), /layer 3 is not one of the line's 3/);
  });

  it('is written before its line; the run reads every layer from it, sync and async, and the line passes the format', async () => {
    writeFixtureRun(folder, [0, 1]);
    const m = measured(1);
    const line = writePerClass(folder, m, (path, bytes) => writeFileAtomic(path, bytes));
    assert.equal(readFileSync(join(folder, 'per-class', 'epoch-1.f64')).length, 80);
    // The fixture's own line of epoch 1 replaced by the split one.
    const lines = readFileSync(join(folder, 'metrics.jsonl'), 'utf8').split('\n');
    lines[1] = JSON.stringify(line);
    writeFileSync(join(folder, 'metrics.jsonl'), lines.join('\n'));
    const run = readRun(folder);
    assert.deepEqual(run.notes, []);
    const read = run.metrics[1];
    assert.equal(read.perClassFile, 'per-class/epoch-1.f64');
    for (let l = 0; l < 3; l++) {
      assert.deepEqual(layerPerClass(folder, read, 2, l), m.layers[l].channelBitsPerClass);
      assert.deepEqual(await layerPerClassAsync(folder, read, 2, l), m.layers[l].channelBitsPerClass);
    }
    // A line of an older run holds them itself, and is read as it is.
    assert.deepEqual(layerPerClass(folder, run.metrics[0], 2, 1), fixtureMetrics(0).layers[1].channelBitsPerClass);
  });

  it('refuses in one line a file that is missing, short or a link, and a line that names another file or holds both', async () => {
    writeFixtureRun(folder, [0]);
    const m = measured(0);
    const line = writePerClass(folder, m, (path, bytes) => writeFileAtomic(path, bytes));
    const file = join(folder, 'per-class', 'epoch-0.f64');
    const oneLine = (e: unknown) =>
      RunFormatError.is(e) &&
      /^the per-class entropies of epoch 0 cannot be read: .*record the run again$/.test(e.message) &&
      !e.message.includes('\n');
    truncateSync(file, 40);
    assert.throws(() => layerPerClass(folder, line, 2, 2), oneLine);
    await assert.rejects(layerPerClassAsync(folder, line, 2, 2), oneLine);
    // Layer 0's block lies before the cut: still read.
    assert.deepEqual(layerPerClass(folder, line, 2, 0), m.layers[0].channelBitsPerClass);
    rmSync(file);
    assert.throws(() => layerPerClass(folder, line, 2, 1), oneLine);
    const outside = join(dir, 'elsewhere.f64');
    writeFileSync(outside, Buffer.alloc(80));
    symlinkSync(outside, file);
    assert.throws(
      () => layerPerClass(folder, line, 2, 1),
      (e: unknown) => oneLine(e) && /symbolic link/.test((e as Error).message),
    );

    const manifest = readRun(folder).manifest;
    const at = 'metrics.jsonl: line 1';
    assert.throws(
      () => validateEpochMetrics({ ...line, perClassFile: '../../etc/passwd' }, manifest, at),
      /perClassFile is not per-class\/epoch-<n>\.f64/,
    );
    assert.throws(
      () => validateEpochMetrics({ ...line, layers: m.layers }, manifest, at),
      /layers\[0\]\.channelBitsPerClass is present in a line whose perClassFile holds them/,
    );
    const { perClassFile: _file, ...without } = line;
    assert.throws(
      () => validateEpochMetrics(without, manifest, at),
      /layers\[0\]\.channelBitsPerClass is missing \(and no perClassFile holds them\)/,
    );
    assert.doesNotThrow(() => validateEpochMetrics(line, manifest, at));
    assert.doesNotThrow(() => validateEpochMetrics(m, manifest, at));
  });
});
