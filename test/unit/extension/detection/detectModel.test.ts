// The entry of the static model detection (src/extension/detection/detectModel.ts): the file name
// decides whether a text is read as a model.json or as a module.
import assert from 'node:assert/strict';
import { detectModel } from '../../../../src/extension/detection/detectModel';
import { example, read } from '../../../support/modelSources';

describe('detectModel: the format by the file name', () => {
  it('reads .json files as model.json and everything else as a module', () => {
    const json = read(example('model.json'));
    const module = read(example('mnist-lenet.ts'));
    assert.equal(detectModel(json, 'model.json')?.kind, 'json');
    assert.equal(detectModel(json, 'MODEL.JSON')?.kind, 'json');
    assert.equal(detectModel(module, 'mnist-lenet.ts')?.kind, 'module');
    assert.equal(detectModel(module, 'model.js')?.kind, 'module');
    assert.equal(detectModel(module, 'model.json'), undefined, 'a module is not a model.json');
  });
});
