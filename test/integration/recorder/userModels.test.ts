/**
 * Recording models as users write them, beyond a 10-way softmax over images: binary classifiers,
 * regression outputs, the model's own compile(), several outputs, and Conv1D models on sequences
 * from `.npy` files.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { npyFromFloat32, parseNpy, seededRandom, serializeNpy } from '../../../src/analysis';
import { DatasetError } from '../../../src/data/datasets';
import { ModelError } from '../../../src/recorder/modelLoader';
import { RecordOptions, recordRun } from '../../../src/recorder/record';
import { validateManifest } from '../../../src/contract/runFormat';
import { readRun } from '../../../src/run/store';

const fixture = (name: string) => resolve(__dirname, '../../fixtures/models', name);

describe('recording models as users write them', function () {
  this.timeout(120000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'cnn-slicer-usermodels-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  /**
   * Writes `x.npy` (`count` inputs of `shape`, values drawn around the class id, or integer token
   * ids below `vocabulary` when given) and `y.npy` (labels cycling through `classes`); returns the spec.
   */
  function npyPair(name: string, count: number, shape: number[], classes: number, vocabulary?: number): string {
    const random = seededRandom(7);
    const per = shape.reduce((a, b) => a * b, 1);
    const labels = Int32Array.from({ length: count }, (_, i) => i % classes);
    const x = new Float32Array(count * per);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < per; j++) {
        x[i * per + j] = vocabulary
          ? Math.floor(random() * (vocabulary / classes)) + labels[i] * Math.floor(vocabulary / classes)
          : labels[i] + random() - 0.5;
      }
    }
    const folder = join(root, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'x.npy'), serializeNpy(npyFromFloat32([count, ...shape], x)));
    writeFileSync(join(folder, 'y.npy'), serializeNpy({ dtype: 'int32', shape: [count], data: labels }));
    return `npy:${join(folder, 'x.npy')},${join(folder, 'y.npy')}`;
  }

  const record = (modelFile: string, dataset: string, more: Partial<RecordOptions> = {}) =>
    recordRun({
      modelFile: fixture(modelFile),
      dataset,
      epochs: 2,
      batchSize: 16,
      probeSize: 30,
      runsFolder: join(root, 'runs'),
      k: 10,
      backend: 'cpu',
      ...more,
    });

  it('records a binary classifier (one sigmoid unit) on a 2-class dataset: predictions thresholded at 0.5, binary cross-entropy', async () => {
    const r = await record('binarySigmoid.ts', npyPair('binary', 120, [6], 2), { learningRate: 0.05 });
    const m = validateManifest(JSON.parse(readFileSync(join(r.folder, 'manifest.json'), 'utf8')));
    assert.equal(m.status, 'completed');
    assert.deepEqual(m.output, { layer: m.layers[m.layers.length - 1].name, kind: 'binary', chosenBy: 'only' });
    assert.deepEqual(m.training, { compiledBy: 'settings', optimizer: 'adam', loss: 'binaryCrossentropy' });
    const last = readRun(r.folder).metrics.at(-1)!;
    assert.equal(last.confusion.length, 2);
    assert.equal(
      last.confusion.flat().reduce((a, b) => a + b, 0),
      30,
    );
    // Two well separated classes: the thresholded predictions are mostly right after two epochs.
    assert.ok(last.probeAccuracy > 0.6, `probe accuracy ${last.probeAccuracy}`);
    assert.ok(typeof last.probeLoss === 'number' && last.probeLoss > 0);
    assert.ok(typeof last.trainLoss === 'number');
  });

  it('records every measure that needs no labels for a regression output, and says in the manifest why the label measures are absent', async () => {
    const r = await record('regression.ts', npyPair('regression', 90, [6], 3));
    const m = r.manifest;
    assert.equal(m.status, 'completed');
    assert.equal(m.output?.kind, 'none');
    assert.match(m.output?.labelMeasuresAbsent ?? '', /gives 1 linear value per input, not a score per class of the 3 classes/);
    assert.equal(m.training?.loss, 'meanSquaredError');
    const metrics = readRun(r.folder).metrics;
    assert.equal(metrics.length, 3);
    for (const e of metrics) {
      assert.equal(e.probeLoss, null);
      assert.deepEqual(e.hLabelGivenPred, [null, null, null]);
      assert.equal(
        e.confusion.flat().reduce((a, b) => a + b, 0),
        0,
        'no predictions are counted',
      );
      assert.ok(e.layers.every((l) => typeof l.interSampleBits === 'number' && l.channelBits.every((b) => b !== null)));
    }
  });

  it('measures an embedding output (several values, not class scores) as it is at epoch 0, and refuses to train it on class labels before making a run', async () => {
    const dataset = npyPair('embedding', 60, [6], 3);
    const r = await record('embedding.ts', dataset, { epochs: 0 });
    assert.equal(r.manifest.status, 'completed');
    assert.deepEqual(r.manifest.epochs, [0]);
    assert.match(r.manifest.output?.labelMeasuresAbsent ?? '', /gives 4 tanh values per input/);
    const runsBefore = readdirSync(join(root, 'runs')).length;
    await assert.rejects(record('embedding.ts', dataset, { epochs: 1 }), (e: unknown) => {
      assert.ok(ModelError.is(e), String(e));
      assert.match(
        (e as Error).message,
        /gives 4 values per input, not a score per class, so the class labels give it nothing to train towards; record it with --epochs 0/,
      );
      return true;
    });
    assert.equal(readdirSync(join(root, 'runs')).length, runsBefore, 'no run folder is left behind');
  });

  it("trains with the model's own compile() (SGD, learning rate 0.05) and says so, unless the settings name an optimizer", async () => {
    const own = await record('compiledSgd.ts', npyPair('compiled', 90, [6], 3), { epochs: 1 });
    assert.deepEqual(own.manifest.training, { compiledBy: 'model', optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    assert.equal(own.manifest.settings.optimizer, 'sgd');
    assert.equal(own.manifest.settings.learningRate, 0.05);
    const overridden = await record('compiledSgd.ts', npyPair('compiled', 90, [6], 3), { epochs: 1, optimizer: 'adam' });
    assert.deepEqual(overridden.manifest.training, { compiledBy: 'settings', optimizer: 'adam', loss: 'categoricalCrossentropy' });
    assert.equal(overridden.manifest.settings.learningRate, 0.001);
    const rate = await record('compiledSgd.ts', npyPair('compiled', 90, [6], 3), { epochs: 1, learningRate: 0.2 });
    assert.deepEqual(rate.manifest.training, { compiledBy: 'settings', optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    assert.equal(rate.manifest.settings.learningRate, 0.2);
  });

  it('picks the classification output of a two-output model by its shape, and the one the module names by its export', async () => {
    const byShape = await record('twoOutputs.ts', npyPair('three', 90, [6], 3));
    assert.deepEqual(byShape.manifest.output, { layer: 'main', kind: 'softmax', chosenBy: 'shape' });
    assert.equal(byShape.manifest.layers.at(-1)?.name, 'main', 'the label measures read the last layer');
    assert.deepEqual(
      byShape.manifest.layers.map((l) => l.name),
      ['input', 'hidden', 'aux', 'main'],
    );
    assert.equal(
      readRun(byShape.folder)
        .metrics.at(-1)!
        .confusion.flat()
        .reduce((a, b) => a + b, 0),
      30,
    );
    const named = await record('twoOutputsNamed.ts', npyPair('three', 90, [6], 3));
    assert.deepEqual(named.manifest.output, { layer: 'second', kind: 'softmax', chosenBy: 'export' });
    assert.deepEqual(named.manifest.layers.map((l) => l.name).slice(-2), ['first', 'second']);
  });

  it('records a Conv1D text model on [N, 20] token ids from .npy: the inputs keep the shape the model takes', async () => {
    const r = await record('conv1dText.ts', npyPair('tokens', 90, [20], 3, 48));
    const m = r.manifest;
    assert.equal(m.status, 'completed');
    assert.deepEqual(m.dataset.inputShape, [20]);
    assert.deepEqual(m.layers[0].outputShape, [20]);
    assert.deepEqual(parseNpy(readFileSync(join(r.folder, m.probe.inputsFile))).shape, [30, 20]);
    const last = readRun(r.folder).metrics.at(-1)!;
    assert.equal(last.layers.length, m.layers.length);
    assert.ok(typeof last.layers[0].interSampleBits === 'number', 'layer 0 (rank-1 inputs) is measured');
    assert.equal(last.layers[0].channelBits.length, 1);
  });

  it('records a Conv1D model on [N, T, C] sequences from .npy', async () => {
    const r = await record('builtModelNamed.ts', npyPair('sequences', 90, [20, 2], 3), { epochs: 1 });
    assert.deepEqual(r.manifest.dataset.inputShape, [20, 2]);
    assert.deepEqual(r.manifest.layers[0].outputShape, [20, 2]);
    assert.equal(readRun(r.folder).metrics.at(-1)!.layers[0].channelBits.length, 2);
  });

  it('records a Conv1D model that takes sequences of any length: layer 0 has the length of the data', async () => {
    const r = await record('conv1dAnyLength.ts', npyPair('anyLength', 90, [20, 2], 3), { epochs: 1 });
    assert.deepEqual(r.manifest.dataset.inputShape, [20, 2]);
    assert.deepEqual(r.manifest.layers[0].outputShape, [20, 2]);
    assert.equal(r.manifest.status, 'completed');
    assert.ok(typeof readRun(r.folder).metrics.at(-1)!.layers[0].interSampleBits === 'number');
  });

  it('names the file shape, the model shape and the fix when a .npy array fits no reshaping of the model input', async () => {
    await assert.rejects(record('conv1dText.ts', npyPair('long', 30, [30], 3, 48)), (e: unknown) => {
      assert.ok(DatasetError.is(e), String(e));
      assert.match(
        (e as Error).message,
        /holds inputs of shape \(30, 30\), one \[30\] per input, but the model takes \[20\]; save the array with shape \(30, 20\), or give the model's first layer inputShape: \[30\]/,
      );
      return true;
    });
  });

  it('still refuses a softmax over another number of classes than the dataset has, naming both', async () => {
    await assert.rejects(record('compiledSgd.ts', npyPair('five', 50, [6], 5)), /ends in 3 units but npy:x\.npy has 5 classes/);
  });
});
