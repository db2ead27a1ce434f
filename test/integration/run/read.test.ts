import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeNpy } from '../../../src/analysis';
import { loadDataset } from '../../../src/data/datasets';
import { readCheckpoint } from '../../../src/run/checkpoint';
import { RunFormatError } from '../../../src/contract/runFormat';
import { epochFolder, resolveRunFolder, RunPathError } from '../../../src/run/paths';
import { readProbe } from '../../../src/run/probe';
import { FileReadError, readBoundedFile, readBoundedFileAsync } from '../../../src/run/read';
import { listRuns, listRunsAsync, readRun, readRunAsync } from '../../../src/run/store';
import { writeFixtureRun } from '../../support/runFixture';

const hasDevZero = existsSync('/dev/zero');

function mkfifo(path: string): boolean {
  return spawnSync('mkfifo', [path]).status === 0;
}

describe('run folder reads: bounded, regular files only, inside the run (hostile run folders)', function () {
  this.timeout(30000);
  let root: string;
  let runs: string;
  let outside: string;
  let run: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cnn-slicer-runread-'));
    runs = join(root, 'runs');
    outside = join(root, 'outside');
    mkdirSync(runs);
    mkdirSync(outside);
    run = join(runs, '20261122-100000-tiny');
    writeFixtureRun(run);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('the bounded reader', () => {
    (hasDevZero ? it : it.skip)('refuses a device such as /dev/zero at once, with or without a folder to stay in', async () => {
      assert.throws(
        () => readBoundedFile('/dev/zero', { maxBytes: 1024 }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'not-regular',
      );
      await assert.rejects(
        readBoundedFileAsync('/dev/zero', { maxBytes: 1024 }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'not-regular',
      );
    });

    it('refuses a FIFO without blocking on it', async function () {
      const fifo = join(root, 'fifo');
      if (!mkfifo(fifo)) this.skip();
      assert.throws(
        () => readBoundedFile(fifo, { maxBytes: 1024 }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'not-regular',
      );
      await assert.rejects(
        readBoundedFileAsync(fifo, { maxBytes: 1024 }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'not-regular',
      );
    });

    it('refuses a file larger than its limit before reading it, and reads one within it whole', async () => {
      const big = join(root, 'big.bin');
      writeFileSync(big, Buffer.alloc(1000, 7));
      assert.throws(
        () => readBoundedFile(big, { maxBytes: 999 }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'too-large' && /1000 bytes/.test(e.message),
      );
      await assert.rejects(readBoundedFileAsync(big, { maxBytes: 999 }), (e: unknown) => FileReadError.is(e) && e.problem === 'too-large');
      assert.deepEqual(readBoundedFile(big, { maxBytes: 1000 }), Buffer.alloc(1000, 7));
      assert.deepEqual(await readBoundedFileAsync(big, { maxBytes: 1000 }), Buffer.alloc(1000, 7));
      // A sparse file says its size without holding the bytes: still refused by size.
      const sparse = join(root, 'sparse.bin');
      writeFileSync(sparse, '');
      truncateSync(sparse, 64 * 1024 ** 3);
      assert.throws(
        () => readBoundedFile(sparse, { maxBytes: 1024 ** 3 }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'too-large',
      );
    });

    it('reads a file from a byte on (what was appended since): nothing past its end, and its limit bounds only that part', async () => {
      const grown = join(root, 'grown.bin');
      writeFileSync(grown, Buffer.from('0123456789'));
      for (const read of [
        (o: { maxBytes: number; from: number }) => readBoundedFile(grown, o),
        (o: { maxBytes: number; from: number }) => readBoundedFileAsync(grown, o),
      ]) {
        assert.equal((await read({ maxBytes: 4, from: 6 })).toString(), '6789');
        assert.equal((await read({ maxBytes: 100, from: 0 })).toString(), '0123456789');
        assert.equal((await read({ maxBytes: 100, from: 10 })).length, 0);
        assert.equal((await read({ maxBytes: 100, from: 25 })).length, 0);
        await assert.rejects(
          async () => read({ maxBytes: 3, from: 6 }),
          (e: unknown) => FileReadError.is(e) && e.problem === 'too-large' && /grew by 4 bytes, more than the 3 bytes/.test(e.message),
        );
      }
    });

    it('inside a folder: refuses a link, and a path whose folders lead outside', () => {
      writeFileSync(join(outside, 'secret.json'), '{"token": "hunter2"}');
      symlinkSync(join(outside, 'secret.json'), join(run, 'link.json'));
      assert.throws(
        () => readBoundedFile(join(run, 'link.json'), { maxBytes: 1024, within: run }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'symlink',
      );
      symlinkSync(outside, join(run, 'sub'));
      assert.throws(
        () => readBoundedFile(join(run, 'sub', 'secret.json'), { maxBytes: 1024, within: run }),
        (e: unknown) => FileReadError.is(e) && e.problem === 'outside',
      );
      // Outside a run, links are followed (a dataset file may well be one) but must end at a regular file.
      assert.equal(readBoundedFile(join(run, 'link.json'), { maxBytes: 1024 }).toString(), '{"token": "hunter2"}');
    });
  });

  describe('runs', () => {
    (hasDevZero ? it : it.skip)(
      'a manifest.json linked to /dev/zero is refused at once by readRun, readRunAsync, listRuns and listRunsAsync',
      async () => {
        unlinkSync(join(run, 'manifest.json'));
        symlinkSync('/dev/zero', join(run, 'manifest.json'));
        assert.throws(
          () => readRun(run),
          (e: unknown) => RunFormatError.is(e) && /symbolic link/.test((e as Error).message),
        );
        await assert.rejects(readRunAsync(run), (e: unknown) => RunFormatError.is(e) && /symbolic link/.test((e as Error).message));
        const listed = listRuns(runs);
        assert.deepEqual([listed.runs.length, listed.errors.length], [0, 1]);
        const listedAsync = await listRunsAsync(runs);
        assert.deepEqual([listedAsync.runs.length, listedAsync.errors.length], [0, 1]);
      },
    );

    it('a manifest linked to a JSON file outside the run is refused without echoing any of its content', () => {
      writeFileSync(join(outside, 'config.json'), JSON.stringify({ formatVersion: 1, id: 'x', status: 'API_KEY=hunter2' }));
      unlinkSync(join(run, 'manifest.json'));
      symlinkSync(join(outside, 'config.json'), join(run, 'manifest.json'));
      assert.throws(
        () => readRun(run),
        (e: unknown) => RunFormatError.is(e) && !/hunter2|API_KEY/.test((e as Error).message),
      );
    });

    it('a manifest whose fields hold arbitrary text is refused without repeating that text', () => {
      const m = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8'));
      m.status = 'API_KEY=hunter2';
      writeFileSync(join(run, 'manifest.json'), JSON.stringify(m));
      assert.throws(
        () => readRun(run),
        (e: unknown) => RunFormatError.is(e) && /status is unknown/.test((e as Error).message) && !/hunter2/.test((e as Error).message),
      );
    });

    it('a metrics.jsonl that is a FIFO or a link does not block or escape: the run is refused with a run-format error', async function () {
      unlinkSync(join(run, 'metrics.jsonl'));
      if (!mkfifo(join(run, 'metrics.jsonl'))) this.skip();
      assert.throws(
        () => readRun(run),
        (e: unknown) => RunFormatError.is(e) && /not a regular file/.test((e as Error).message),
      );
      await assert.rejects(readRunAsync(run), (e: unknown) => RunFormatError.is(e));
    });

    it('a run folder that is a link to a folder outside the runs folder is listed as an error, not read', async () => {
      cpSync(run, join(outside, 'elsewhere'), { recursive: true });
      symlinkSync(join(outside, 'elsewhere'), join(runs, '20261122-110000-linked'));
      for (const listed of [listRuns(runs), await listRunsAsync(runs)]) {
        assert.deepEqual(
          listed.runs.map((r) => r.folder),
          [run],
        );
        assert.equal(listed.errors.length, 1);
        assert.match(listed.errors[0].message, /points outside its runs folder/);
      }
    });

    it('listRunsAsync and readRunAsync give what listRuns and readRun give', async () => {
      assert.deepEqual(await readRunAsync(run), readRun(run));
      assert.deepEqual(await listRunsAsync(runs), listRuns(runs));
    });
  });

  describe('the run-path policy', () => {
    it('accepts a direct child of a runs folder (its real path) and refuses everything else, saying why', () => {
      assert.equal(resolveRunFolder([runs], run), run);
      const refuses = (path: string, text: RegExp) =>
        assert.throws(
          () => resolveRunFolder([runs], path),
          (e: unknown) => RunPathError.is(e) && text.test((e as Error).message),
        );
      refuses('', /no run folder/);
      refuses(join(runs, '..', 'outside'), /not inside a runs folder/);
      refuses(join(runs, 'nope'), /no run "nope"/);
      refuses(join(run, '..', '..'), /not a run id|not inside/);
      cpSync(run, join(outside, 'copy'), { recursive: true });
      symlinkSync(join(outside, 'copy'), join(runs, 'linked'));
      refuses(join(runs, 'linked'), /outside its runs folder/);
    });
  });

  describe('files a run names', () => {
    it('a probe file named outside the run folder (../../…) is refused', () => {
      writeFileSync(join(root, 'stolen.npy'), serializeNpy({ dtype: 'float32', shape: [4, 2, 2, 1], data: new Float32Array(16) }));
      const m = readRun(run).manifest;
      m.probe.inputsFile = '../../stolen.npy';
      assert.throws(
        () => readProbe({ folder: run, manifest: m }),
        (e: unknown) => RunFormatError.is(e) && /outside the run folder/.test((e as Error).message),
      );
      m.probe.inputsFile = join(root, 'stolen.npy');
      assert.throws(
        () => readProbe({ folder: run, manifest: m }),
        (e: unknown) => RunFormatError.is(e) && /outside the run folder/.test((e as Error).message),
      );
    });

    (hasDevZero ? it : it.skip)('probe inputs linked to /dev/zero, or larger than the manifest allows, are refused', () => {
      const inputs = join(run, 'probe', 'inputs.npy');
      unlinkSync(inputs);
      symlinkSync('/dev/zero', inputs);
      assert.throws(
        () => readProbe(readRun(run)),
        (e: unknown) => RunFormatError.is(e) && /symbolic link/.test((e as Error).message),
      );
      unlinkSync(inputs);
      // 4 inputs of 2×2×1 need at most 4 × 4 × 8 bytes plus a header: 10 MB is not a probe of this run.
      writeFileSync(inputs, Buffer.alloc(10 * 1024 ** 2));
      assert.throws(
        () => readProbe(readRun(run)),
        (e: unknown) => RunFormatError.is(e) && /more than/.test((e as Error).message),
      );
    });

    (hasDevZero ? it : it.skip)(
      'checkpoint files linked to /dev/zero, larger than the layers need, or outside the run are refused',
      async () => {
        const { manifest } = readRun(run);
        const dir = join(run, 'checkpoints', epochFolder(1));
        const files = await readCheckpoint(dir, manifest.layers);
        assert.equal(files.weightData.byteLength, (12 + 26) * 4);
        unlinkSync(join(dir, 'weights.bin'));
        symlinkSync('/dev/zero', join(dir, 'weights.bin'));
        await assert.rejects(
          readCheckpoint(dir, manifest.layers),
          (e: unknown) => RunFormatError.is(e) && /symbolic link/.test((e as Error).message),
        );
        unlinkSync(join(dir, 'weights.bin'));
        writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(38 * 4 + 1024 ** 2));
        await assert.rejects(
          readCheckpoint(dir, manifest.layers),
          (e: unknown) => RunFormatError.is(e) && /more than/.test((e as Error).message),
        );
        // A checkpoint folder that is a link out of the run.
        const other = join(run, 'checkpoints', epochFolder(2));
        cpSync(other, join(outside, 'ckpt'), { recursive: true });
        rmSync(other, { recursive: true });
        symlinkSync(join(outside, 'ckpt'), other);
        await assert.rejects(
          readCheckpoint(other, manifest.layers),
          (e: unknown) => RunFormatError.is(e) && /outside/.test((e as Error).message),
        );
      },
    );
  });

  describe('dataset files', () => {
    (hasDevZero ? it : it.skip)('an npy dataset spec naming /dev/zero fails at once: datasets read regular files only', async () => {
      const labels = join(root, 'y.npy');
      writeFileSync(labels, serializeNpy({ dtype: 'int32', shape: [1], data: Int32Array.from([0]) }));
      const started = Date.now();
      await assert.rejects(
        loadDataset({ kind: 'npy', inputsFile: '/dev/zero', labelsFile: labels }),
        /cannot read \/dev\/zero: is not a regular file/,
      );
      assert.ok(Date.now() - started < 5000);
    });

    it('an npy dataset file may be a link to a regular file', async () => {
      const x = join(outside, 'x.npy');
      const y = join(outside, 'y.npy');
      writeFileSync(x, serializeNpy({ dtype: 'float32', shape: [2, 2, 2, 1], data: new Float32Array(8) }));
      writeFileSync(y, serializeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([0, 1]) }));
      symlinkSync(x, join(root, 'x.npy'));
      const ds = await loadDataset({ kind: 'npy', inputsFile: join(root, 'x.npy'), labelsFile: y });
      assert.deepEqual(ds.shape, [2, 2, 2, 1]);
    });
  });
});
