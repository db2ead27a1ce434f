import assert from 'node:assert/strict';
import {
  parseMetricsLines,
  PYTORCH_RUN_FORMAT_VERSION,
  RunFormatError,
  validateEpochMetrics,
  validateManifest,
  validatePendingEpochMetrics,
} from '../../../src/contract/runFormat';
import { fixtureManifest, fixtureMetrics } from '../../support/runFixture';

function formatError(text: RegExp): (e: unknown) => boolean {
  return (e: unknown) => RunFormatError.is(e) && text.test((e as Error).message);
}

/** A PyTorch run's manifest (format version 2) as python/cnn_slicer writes it: ONNX checkpoints, settings the loop did not give left out. */
function pytorchManifest(): Record<string, any> {
  const m: Record<string, any> = structuredClone(fixtureManifest('20261125-120000-lenet', [0, 1]));
  m.formatVersion = PYTORCH_RUN_FORMAT_VERSION;
  m.settings = { seed: 7, recordEvery: 1, probeSize: 4, bins: 32, k: 1000 };
  m.backend = { name: 'pytorch-cpu', fallbackReasons: [] };
  m.output = { layer: 'dense', kind: 'logits', chosenBy: 'only' };
  m.training = { compiledBy: 'model', optimizer: 'unknown', loss: 'unknown' };
  m.checkpoint = { format: 'onnx', file: 'model.onnx', opset: 14, producer: 'pytorch 1.13.0a0' };
  return m;
}

/** A metrics line of a PyTorch run: the probe numbers, every other measure pending. */
function pendingLine(epoch: number): Record<string, unknown> {
  const { layers: _layers, hLabelGivenPred: _a, hPredGivenLabel: _b, ...probe } = fixtureMetrics(epoch);
  return { ...probe, pending: 'measures' };
}

describe('run format: versions 1 and 2 (PyTorch runs with ONNX checkpoints)', () => {
  it('reads a PyTorch manifest (format 2) with its checkpoint section and without the settings its loop did not give', () => {
    const m = validateManifest(pytorchManifest());
    assert.equal(m.formatVersion, 2);
    assert.deepEqual(m.checkpoint, { format: 'onnx', file: 'model.onnx', opset: 14, producer: 'pytorch 1.13.0a0' });
    assert.equal(m.settings.epochs, undefined);
    const given = pytorchManifest();
    Object.assign(given.settings, { epochs: 3, batchSize: 64, optimizer: 'sgd', learningRate: 0.1 });
    assert.equal(validateManifest(given).settings.optimizer, 'sgd');
  });

  it('refuses a newer format (3) with "update CNN Slicer", and checks every field of the checkpoint section', () => {
    const newer = pytorchManifest();
    newer.formatVersion = 3;
    assert.throws(() => validateManifest(newer), formatError(/format 3, this version reads up to 2\); update CNN Slicer/));
    const cases: [(m: Record<string, any>) => void, RegExp][] = [
      [(m) => delete m.checkpoint, /checkpoint is missing or not an object/],
      [(m) => (m.checkpoint.format = 'tfjs'), /checkpoint\.format is not "onnx"/],
      [(m) => (m.checkpoint.file = '../../etc/model.onnx'), /checkpoint\.file is not a file name ending in \.onnx/],
      [(m) => (m.checkpoint.opset = 0), /checkpoint\.opset is not an integer >= 1/],
      [(m) => delete m.checkpoint.producer, /checkpoint\.producer/],
      [(m) => (m.settings.epochs = 'three'), /settings\.epochs is missing or not a number/],
      [(m) => delete m.settings.seed, /settings\.seed is missing or not a number/],
    ];
    for (const [damage, text] of cases) {
      const m = pytorchManifest();
      damage(m);
      assert.throws(() => validateManifest(m), formatError(text), String(text));
    }
  });

  it('reads the training script a PyTorch run names (optional), and refuses one of the wrong shape', () => {
    assert.equal(validateManifest(pytorchManifest()).trainingScript, undefined);
    const given = pytorchManifest();
    given.trainingScript = { file: '/home/user/cifar/main.py', relativeFile: '../../../main.py', kind: 'script' };
    assert.deepEqual(validateManifest(given).trainingScript, given.trainingScript);
    const notebook = pytorchManifest();
    notebook.trainingScript = { file: '/home/user/cifar/train.ipynb', kind: 'notebook' };
    assert.equal(validateManifest(notebook).trainingScript?.kind, 'notebook');
    const cases: [unknown, RegExp][] = [
      ['/home/user/cifar/main.py', /trainingScript is missing or not an object/],
      [{ kind: 'script' }, /trainingScript\.file is missing or not a string/],
      [{ file: '/a.py', kind: 'module' }, /trainingScript\.kind is not "script" or "notebook"/],
      [{ file: '/a.py', relativeFile: 3, kind: 'script' }, /trainingScript\.relativeFile/],
    ];
    for (const [script, text] of cases) {
      const m = pytorchManifest();
      m.trainingScript = script;
      assert.throws(() => validateManifest(m), formatError(text), String(text));
    }
  });

  it('reads a layer recorded in a notebook cell (its digest, its index where known), and refuses a cell of the wrong shape', () => {
    const given = pytorchManifest();
    const source = { file: '/home/user/cifar/train.ipynb', line: 4, column: 21 };
    given.layers[1].source = { ...source, cell: { digest: '5dbb520d6659caa5', index: 2 } };
    given.layers[2].source = { ...source, cell: { digest: '5dbb520d6659caa5' } };
    const m = validateManifest(given);
    assert.deepEqual(m.layers[1]!.source?.cell, { digest: '5dbb520d6659caa5', index: 2 });
    assert.deepEqual(m.layers[2]!.source?.cell, { digest: '5dbb520d6659caa5' });
    const cases: [unknown, RegExp][] = [
      ['5dbb520d6659caa5', /layers\[1\]\.source\.cell is missing or not an object/],
      [{ digest: '5DBB520D6659CAA5' }, /layers\[1\]\.source\.cell\.digest is not 16 hex digits/],
      [{ digest: '5dbb' }, /source\.cell\.digest is not 16 hex digits/],
      [{ digest: '5dbb520d6659caa5', index: -1 }, /source\.cell\.index/],
      [{ digest: '5dbb520d6659caa5', index: 1.5 }, /source\.cell\.index/],
    ];
    for (const [cell, text] of cases) {
      const bad = pytorchManifest();
      bad.layers[1].source = { ...source, cell };
      assert.throws(() => validateManifest(bad), formatError(text), String(text));
    }
  });

  it('a format 1 manifest still needs every setting, and has no checkpoint section', () => {
    const v1: Record<string, any> = structuredClone(fixtureManifest('r', [0]));
    delete v1.settings.epochs;
    assert.throws(() => validateManifest(v1), formatError(/settings\.epochs is missing or not a number/));
    const withCheckpoint: Record<string, any> = structuredClone(fixtureManifest('r', [0]));
    withCheckpoint.checkpoint = pytorchManifest().checkpoint;
    assert.throws(() => validateManifest(withCheckpoint), formatError(/checkpoint is only in format 2 runs/));
  });

  it('a PyTorch metrics line with pending measures is read apart from the measured lines, checked against the manifest', () => {
    const manifest = validateManifest(pytorchManifest());
    const text = [pendingLine(0), pendingLine(1)].map((l) => JSON.stringify(l) + '\n').join('');
    const parsed = parseMetricsLines(text, manifest);
    assert.deepEqual(parsed.epochs, []);
    assert.deepEqual(
      parsed.pending.map((l) => [l.epoch, l.pending, l.probeAccuracy]),
      [
        [0, 'measures', 0.5],
        [1, 'measures', 0.5],
      ],
    );
    assert.deepEqual(parsed.damaged, []);
    // A measured line (the engine's, later) still reads in a format 2 run.
    assert.equal(validateEpochMetrics(fixtureMetrics(1), manifest, 'metrics.jsonl: line 3').epoch, 1);
  });

  it('refuses a pending line in a format 1 run, a pending line with layers, and a measured line that says pending', () => {
    const v1 = fixtureManifest('r', [0]);
    const v2 = validateManifest(pytorchManifest());
    assert.throws(
      () => validatePendingEpochMetrics(pendingLine(0), v1, 'm: line 1'),
      formatError(/m: line 1: pending is only in format 2 runs/),
    );
    assert.throws(
      () => validatePendingEpochMetrics({ ...pendingLine(0), layers: [] }, v2, 'm: line 1'),
      formatError(/layers is present in a line whose measures are pending/),
    );
    assert.throws(
      () => validatePendingEpochMetrics({ ...pendingLine(0), pending: 'all' }, v2, 'm: line 1'),
      formatError(/pending is not "measures"/),
    );
    assert.throws(
      () => validatePendingEpochMetrics({ ...pendingLine(0), confusion: [[1]] }, v2, 'm: line 1'),
      formatError(/confusion has 1 entries, not 2/),
    );
    assert.throws(
      () => validateEpochMetrics({ ...fixtureMetrics(0), pending: 'measures' }, v2, 'm: line 1'),
      formatError(/pending is set/),
    );
    const parsed = parseMetricsLines(JSON.stringify(pendingLine(0)) + '\n' + JSON.stringify(fixtureMetrics(1)) + '\n', v1);
    assert.deepEqual(
      parsed.damaged.map((d) => d.line),
      [1],
    );
    assert.deepEqual(
      parsed.epochs.map((e) => e.epoch),
      [1],
    );
  });
});

describe('run format: one line per epoch (issue 66, two measurers)', () => {
  it('keeps the first complete line of an epoch and the first pending one, and counts the others', () => {
    const manifest = validateManifest(pytorchManifest());
    const first = { ...fixtureMetrics(1), probeAccuracy: 0.25 };
    const second = { ...fixtureMetrics(1), probeAccuracy: 0.75 };
    const lines = [
      pendingLine(0),
      pendingLine(1),
      fixtureMetrics(0),
      first,
      { ...pendingLine(1), probeAccuracy: 1 },
      second,
      fixtureMetrics(0),
    ];
    const parsed = parseMetricsLines(lines.map((l) => JSON.stringify(l) + '\n').join(''), manifest);
    assert.deepEqual(
      parsed.epochs.map((e) => [e.epoch, e.probeAccuracy]),
      [
        [0, 0.5],
        [1, 0.25],
      ],
    );
    assert.deepEqual(
      parsed.pending.map((e) => [e.epoch, e.probeAccuracy]),
      [
        [0, 0.5],
        [1, 0.5],
      ],
    );
    assert.equal(parsed.duplicates, 3);
    assert.deepEqual(parsed.damaged, []);
    assert.equal(parseMetricsLines([first, second].map((l) => JSON.stringify(l) + '\n').join(''), manifest).duplicates, 1);
    assert.equal(parseMetricsLines(JSON.stringify(first) + '\n', manifest).duplicates, 0);
  });
});
