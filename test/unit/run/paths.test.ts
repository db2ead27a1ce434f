import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isCheckpointFile, makeRunId, RUN_ID } from '../../../src/run/paths';

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

describe("a run's checkpoint is not a model of the user's", () => {
  const runs = join('/work', 'project', '.cnnslicer', 'runs');

  it("knows a checkpoint's model.json inside a runs folder", () => {
    assert.equal(isCheckpointFile([runs], join(runs, '20261122-104501-lenet', 'epoch-0003', 'model.json')), true);
    assert.equal(isCheckpointFile(['/elsewhere', runs], join(runs, 'r1', 'epoch-0000', 'model.json')), true);
  });

  it("leaves the user's own files alone, even in a runs folder set to the workspace itself", () => {
    const workspace = join('/work', 'project');
    assert.equal(isCheckpointFile([runs], join(workspace, 'model', 'model.json')), false);
    assert.equal(isCheckpointFile([workspace], join(workspace, 'model', 'model.json')), false, 'not an epoch folder');
    assert.equal(isCheckpointFile([workspace], join(workspace, 'src', 'model.ts')), false);
    assert.equal(isCheckpointFile([runs], join(runs, 'r1', 'manifest.json')), false);
    assert.equal(isCheckpointFile([runs], join(runs, 'r1', 'epoch-0003', 'weights.bin')), false);
    assert.equal(isCheckpointFile([runs], join(runs, '..', 'model.json')), false);
  });
});
