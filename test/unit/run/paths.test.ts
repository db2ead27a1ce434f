import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeRunId, RUN_ID } from '../../../src/run/paths';

describe('run ids name the model', () => {
  const date = new Date('2026-11-22T10:45:01Z');

  it('names a model module by its file name', () => {
    assert.equal(makeRunId(join('/work', 'models', 'mnist-lenet.ts'), date), '20261122-104501-mnist-lenet');
  });

  it('names a converted model.json by its folder, since every converter calls the file model.json', () => {
    assert.equal(makeRunId(join('/work', 'zoo', 'resnet 18 keras', 'model.json'), date, 'sequential_1'), '20261122-104501-resnet-18-keras');
    assert.match(makeRunId(join('/work', 'zoo', 'resnet 18 keras', 'model.json'), date), RUN_ID);
  });

  it("names a model.json at the file-system root by the model's own name", () => {
    assert.equal(makeRunId('/model.json', date, 'lenet_keras'), '20261122-104501-lenet_keras');
    assert.equal(makeRunId('/model.json', date), '20261122-104501-model');
  });

  it('keeps the file name of a .json file that is not called model.json', () => {
    assert.equal(makeRunId(join('/work', 'zoo', 'lenet.json'), date), '20261122-104501-lenet');
  });
});
