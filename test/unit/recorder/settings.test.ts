import assert from 'node:assert/strict';
import { DEFAULT_BINS, DEFAULT_K } from '../../../src/analysis';
import { recordDatasetSpec, recordedEpochs, resolveSettings, validateSettings } from '../../../src/recorder/settings';

describe('recording settings', () => {
  it("take each value from the caller, then the model file's training export, then the editor's defaults, then ours", () => {
    const fromFile = { epochs: 7, batchSize: 32, optimizer: 'sgd', learningRate: 0.05, recordEvery: 2 };
    assert.deepEqual(resolveSettings({ modelFile: 'm.ts', epochs: 3, defaults: { epochs: 9, batchSize: 16 } }, fromFile), {
      epochs: 3,
      batchSize: 32,
      optimizer: 'sgd',
      learningRate: 0.05,
      seed: 1,
      recordEvery: 2,
      probeSize: 500,
      probePerClass: undefined,
      bins: DEFAULT_BINS,
      k: DEFAULT_K,
    });
    const fromEditor = resolveSettings({ modelFile: 'm.ts', defaults: { epochs: 9, batchSize: 16 } });
    assert.deepEqual([fromEditor.epochs, fromEditor.batchSize, fromEditor.optimizer, fromEditor.learningRate], [9, 16, 'adam', 0.001]);
    assert.deepEqual([resolveSettings({ modelFile: 'm.ts' }).epochs, resolveSettings({ modelFile: 'm.ts' }).batchSize], [5, 64]);
  });

  it('name the first setting out of range and its range', () => {
    assert.throws(
      () => resolveSettings({ modelFile: 'm.ts', batchSize: 0 }),
      /^RangeError: batch size must be an integer from 1 to 1000000, got 0$/,
    );
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', epochs: 1.5 }), /epochs must be an integer from 0 to 10000, got 1.5/);
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', probeSize: 2 }), /probe size must be an integer from 3 to/);
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', learningRate: -1 }), /learning rate must be a positive number/);
    assert.throws(
      () => resolveSettings({ modelFile: 'm.ts' }, { optimizer: 'lbfgs' }),
      /optimizer must be sgd, adam or rmsprop, got lbfgs/,
    );
    assert.throws(() => validateSettings({ ...resolveSettings({ modelFile: 'm.ts' }), probePerClass: 0 }), /probe per class/);
  });

  it('bound every setting from above, bins and k included, so a huge value fails before anything is written', () => {
    assert.throws(
      () => resolveSettings({ modelFile: 'm.ts', epochs: 1e12 }),
      /^RangeError: epochs must be an integer from 0 to 10000, got 1000000000000$/,
    );
    assert.throws(
      () => resolveSettings({ modelFile: 'm.ts', bins: 1e9 }),
      /^RangeError: bins must be an integer from 2 to 4096, got 1000000000$/,
    );
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', bins: 1 }), /bins must be an integer from 2/);
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', k: 1 }), /^RangeError: k must be an integer from 2 to 1000000, got 1$/);
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', k: 1e7 }), /k must be an integer from 2 to 1000000/);
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', k: 2.5 }), /k must be an integer/);
    assert.throws(() => resolveSettings({ modelFile: 'm.ts', probeSize: 1e9 }), /probe size must be an integer from 3 to 100000/);
    // A model file's own training export is held to the same bounds.
    assert.throws(() => resolveSettings({ modelFile: 'm.ts' }, { epochs: 1e12 }), /epochs must be an integer from 0 to 10000/);
    const atLimits = resolveSettings({ modelFile: 'm.ts', epochs: 10_000, bins: 4096, k: 1_000_000 });
    assert.deepEqual([atLimits.epochs, atLimits.bins, atLimits.k], [10_000, 4096, 1_000_000]);
  });

  it("record the dataset the caller names, else the model file's, else MNIST", () => {
    assert.equal(recordDatasetSpec({ dataset: 'synthetic' }, 'cifar10:/x'), 'synthetic');
    assert.equal(recordDatasetSpec({}, 'cifar10:/x'), 'cifar10:/x');
    assert.equal(
      recordDatasetSpec({}, () => undefined),
      'mnist',
    );
  });

  it('record every recordEvery-th epoch from 0 and always the last', () => {
    assert.deepEqual(recordedEpochs({ epochs: 7, recordEvery: 3 }), [0, 3, 6, 7]);
    assert.deepEqual(recordedEpochs({ epochs: 0, recordEvery: 1 }), [0]);
  });
});
