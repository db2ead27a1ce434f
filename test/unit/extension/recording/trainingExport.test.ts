// The Analyze CNN flow shows the epochs and batch size it will use, read from the model's
// `training` export (src/extension/trainingExport.ts).
import assert from 'node:assert/strict';
import { trainingNumbers } from '../../../../src/extension/recording/trainingExport';
import { example, read } from '../../../support/modelSources';

describe("trainingExport: the literal numbers of a model module's training export", () => {
  it("reads the example's epochs, batch size, optimizer and learning rate", () => {
    assert.deepEqual(trainingNumbers(read(example('mnist-lenet.ts'))), {
      epochs: 3,
      batchSize: 64,
      optimizer: 'adam',
      learningRate: 0.002,
    });
  });

  it('reads a typed export and a CommonJS export', () => {
    assert.deepEqual(trainingNumbers('export const training: Training = { epochs: 7 };'), { epochs: 7 });
    assert.deepEqual(trainingNumbers('exports.training = { batchSize: 16, recordEvery: 2 };'), { batchSize: 16 });
  });

  it('ignores computed values, nested objects and a training that is not exported', () => {
    assert.deepEqual(trainingNumbers('export const training = { epochs: n * 2, batchSize: 8 };'), { batchSize: 8 });
    assert.deepEqual(trainingNumbers('export const training = { optimizer: { epochs: 4 } };'), {});
    assert.deepEqual(trainingNumbers('const training = { epochs: 4 };'), {});
    assert.deepEqual(trainingNumbers('export function createModel() {}'), {});
  });
});
