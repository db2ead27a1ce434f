import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunWriteError } from '../../../src/run/files';
import { EpochMetrics, validateManifest } from '../../../src/contract/runFormat';
import { epochFolder } from '../../../src/run/paths';
import { readRun } from '../../../src/run/store';
import { isDiskFull, RUN_FILE_OPERATIONS, RunDescription, RunFileOperations, RunWriter } from '../../../src/run/writer';

const description: RunDescription = {
  model: { file: '/models/tiny.ts', fingerprint: 'abc', name: 'tiny.ts', sourceFiles: ['/models/tiny.ts'] },
  layers: [{ index: 0, name: 'input', className: 'Input', outputShape: [2, 2, 1], channels: 1, parameters: 0 }],
  dataset: { spec: 'synthetic:10', name: 'synthetic', fingerprint: '', classNames: ['a', 'b'], inputShape: [2, 2, 1], trainSize: 8 },
  probe: { size: 2, inputsFile: 'probe/inputs.npy', labelsFile: 'probe/labels.npy', classCounts: [1, 1] },
  settings: { epochs: 3, batchSize: 4, optimizer: 'sgd', learningRate: 0.1, seed: 1, recordEvery: 1, probeSize: 2, bins: 8, k: 1 },
  backend: { name: 'cpu', fallbackReasons: [] },
};

function metricsOf(epoch: number): EpochMetrics {
  return {
    epoch,
    trainLoss: epoch === 0 ? null : 1 / epoch,
    trainAccuracy: null,
    probeLoss: 0.5,
    probeAccuracy: 0.5,
    confusion: [
      [1, 0],
      [0, 1],
    ],
    hLabelGivenPred: [0, 0],
    hPredGivenLabel: [0, 0],
    layers: [
      {
        layer: 0,
        interSampleBits: null,
        interSampleBitsPerClass: [null, null],
        channelBits: [null],
        channelBitsPerClass: [[null], [null]],
        deadChannels: [],
        nonFiniteCount: 0,
      },
    ],
    timingsMs: { train: 1, record: 1 },
  };
}

const checkpoint = { modelJson: '{"modelTopology":{}}', weights: new Uint8Array([1, 2, 3, 4]) };

/** The run-file operations, logged by kind and relative path, failing where `fail` returns an error. */
function operations(
  folder: () => string,
  log: string[],
  fail: (kind: string, path: string) => Error | undefined = () => undefined,
): RunFileOperations {
  const step = (kind: string, path: string, run: () => void) => {
    const relative = path.slice(folder().length + 1);
    const error = fail(kind, relative);
    if (error) throw error;
    log.push(`${kind} ${relative}`);
    run();
  };
  return {
    writeFileAtomic: (path, data) => step('file', path, () => RUN_FILE_OPERATIONS.writeFileAtomic(path, data)),
    appendLineDurable: (path, line) => step('line', path, () => RUN_FILE_OPERATIONS.appendLineDurable(path, line)),
    writeFolderAtomic: (path, files) => step('folder', path, () => RUN_FILE_OPERATIONS.writeFolderAtomic(path, files)),
  };
}

function noSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

function manifestOnDisk(folder: string) {
  return validateManifest(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')));
}

describe('RunWriter (writing one run folder, crash-safe)', () => {
  let runs: string;
  beforeEach(() => {
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-writer-'));
  });
  afterEach(() => rmSync(runs, { recursive: true, force: true }));

  /** A writer through `operations`, with the probe and the first manifest written and epochs 0 and 1 appended. */
  function writerWithTwoEpochs(log: string[], fail?: (kind: string, path: string) => Error | undefined): RunWriter {
    let folder = '';
    const writer = RunWriter.claim(
      runs,
      '20261122-120000-tiny',
      operations(() => folder, log, fail),
    );
    folder = writer.folder;
    writer.writeProbe({ inputsNpy: new Uint8Array([1]), labelsNpy: new Uint8Array([2]), indices: [3, 7] });
    writer.begin(description);
    writer.appendEpoch(0, checkpoint, metricsOf(0));
    writer.appendEpoch(1, checkpoint, metricsOf(1));
    return writer;
  }

  it('writes the probe before the manifest that names it, and each epoch as checkpoint, then per-class file and metrics line, then manifest', () => {
    const log: string[] = [];
    const writer = writerWithTwoEpochs(log);
    writer.finish({ status: 'completed' });
    assert.deepEqual(log, [
      'file probe/inputs.npy',
      'file probe/labels.npy',
      'file probe/indices.json',
      'file manifest.json',
      `folder checkpoints/${epochFolder(0)}`,
      'file per-class/epoch-0.f64',
      'line metrics.jsonl',
      'file manifest.json',
      `folder checkpoints/${epochFolder(1)}`,
      'file per-class/epoch-1.f64',
      'line metrics.jsonl',
      'file manifest.json',
      'file manifest.json',
    ]);
  });

  it('leaves a run that readRun opens: every epoch, its checkpoint and metrics, the final status, no recorder pid', () => {
    const writer = writerWithTwoEpochs([]);
    assert.equal(manifestOnDisk(writer.folder).pid, process.pid, 'a recording run names its recorder');
    writer.finish({ status: 'cancelled' });
    const run = readRun(writer.folder);
    assert.equal(run.manifest.id, '20261122-120000-tiny');
    assert.equal(run.manifest.status, 'cancelled');
    assert.equal(run.manifest.pid, undefined);
    assert.deepEqual(run.manifest.epochs, [0, 1]);
    assert.deepEqual(
      run.metrics.map((m) => m.epoch),
      [0, 1],
    );
    assert.deepEqual(JSON.parse(readFileSync(join(writer.folder, 'probe', 'indices.json'), 'utf8')), [3, 7]);
    assert.deepEqual([...readFileSync(join(writer.folder, 'checkpoints', epochFolder(1), 'weights.bin'))], [1, 2, 3, 4]);
    assert.deepEqual(writer.manifest, manifestOnDisk(writer.folder), 'the manifest in memory is the one on disk');
  });

  for (const [stage, kind, path] of [
    ['the checkpoint of epoch 2', 'folder', `checkpoints/${epochFolder(2)}`],
    ['the metrics of epoch 2', 'line', 'metrics.jsonl'],
    ['the manifest listing epoch 2', 'file', 'manifest.json'],
  ] as const) {
    it(`a full disk while writing ${stage} throws "disk full" and the manifest still lists epochs 0 and 1 only`, () => {
      let full = false;
      const writer = writerWithTwoEpochs([], (k, p) => (full && k === kind && p === path ? noSpace() : undefined));
      full = true;
      assert.throws(
        () => writer.appendEpoch(2, checkpoint, metricsOf(2)),
        (e: unknown) =>
          RunWriteError.is(e) &&
          e.reason === 'disk-full' &&
          e.message.startsWith(`disk full: ${stage} of run 20261122-120000-tiny could not be written; epochs 0 and 1 are recorded`) &&
          /free space on the disk that holds .* and record again/.test(e.message),
      );
      assert.deepEqual(writer.manifest.epochs, [0, 1]);
      assert.deepEqual(manifestOnDisk(writer.folder).epochs, [0, 1]);
      full = false;
      writer.finish({ status: 'failed', error: { message: 'disk full: …' } });
      const run = readRun(writer.folder);
      assert.equal(run.manifest.status, 'failed');
      assert.deepEqual(run.manifest.epochs, [0, 1]);
      assert.deepEqual(
        run.metrics.map((m) => m.epoch),
        [0, 1],
      );
    });
  }

  it('a failed final write leaves the previous manifest on disk', () => {
    let full = false;
    const writer = writerWithTwoEpochs([], (kind) => (full && kind === 'file' ? noSpace() : undefined));
    full = true;
    assert.throws(() => writer.finish({ status: 'completed' }), /^RunWriteError: disk full: the completed status of run/);
    const onDisk = manifestOnDisk(writer.folder);
    assert.equal(onDisk.status, 'recording');
    assert.deepEqual(onDisk.epochs, [0, 1]);
  });

  it('reports a RunWriteError of the file layer with its reason, and any other failure as an io error naming its cause', () => {
    let error: Error | undefined;
    const writer = writerWithTwoEpochs([], (kind) => (kind === 'line' ? error : undefined));
    error = new RunWriteError('metrics.jsonl could not be written: only 10 of 80 bytes were written', 'disk-full');
    assert.throws(
      () => writer.appendEpoch(2, checkpoint, metricsOf(2)),
      (e: unknown) => RunWriteError.is(e) && e.reason === 'disk-full' && e.cause === error,
    );
    error = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    assert.throws(
      () => writer.appendEpoch(2, checkpoint, metricsOf(2)),
      (e: unknown) =>
        RunWriteError.is(e) && e.reason === 'io' && e.message.includes('(EIO: i/o error, write)') && e.message.includes('is writable'),
    );
  });

  it('reports a runs folder it cannot create as a RunWriteError naming that folder', () => {
    const file = join(runs, 'not-a-folder');
    writeFileSync(file, '');
    assert.throws(
      () => RunWriter.claim(join(file, 'runs'), 'x'),
      (e: unknown) =>
        RunWriteError.is(e) && e.reason === 'io' && e.message.startsWith(`the run folder could not be created in ${join(file, 'runs')}`),
    );
  });

  it('claims a fresh folder for each recording started in the same second', () => {
    const a = RunWriter.claim(runs, 'same');
    const b = RunWriter.claim(runs, 'same');
    assert.deepEqual([a.id, b.id], ['same', 'same-2']);
    assert.ok(existsSync(join(b.folder, 'checkpoints')));
  });

  it('tells a full disk from other failures', () => {
    assert.equal(isDiskFull(noSpace()), true);
    assert.equal(isDiskFull(Object.assign(new Error('quota'), { code: 'EDQUOT' })), true);
    assert.equal(isDiskFull(new RunWriteError('short write', 'disk-full')), true);
    assert.equal(isDiskFull(new RunWriteError('bad sector', 'io')), false);
    assert.equal(isDiskFull(Object.assign(new Error('denied'), { code: 'EACCES' })), false);
  });
});
