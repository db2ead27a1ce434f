// "Analyze CNN" decides from a file's text whether it is a model before asking anything
// (src/extension/modelFileCheck.ts), and says why a file is not one.
import assert from 'node:assert/strict';
import { notAModelReason } from '../../../../src/extension/recording/modelFileCheck';
import { example, read } from '../../../support/modelSources';

describe('modelFileCheck: whether Analyze CNN may ask its questions', () => {
  it('accepts a model module and a layers-format model.json', () => {
    assert.equal(notAModelReason(read(example('mnist-lenet.ts')), 'mnist-lenet.ts'), undefined);
    assert.equal(notAModelReason(read(example('model.json')), 'model.json'), undefined);
  });

  it('says a module without any tf.layers call builds no model', () => {
    assert.equal(notAModelReason('export function add(a: number, b: number) {\n  return a + b;\n}\n', 'util.ts'), 'noLayers');
  });

  it('says a helper module that creates layers but exports no model exports no model', () => {
    const helper =
      "import * as tf from '@tensorflow/tfjs';\nfunction block() {\n  return tf.layers.conv2d({ filters: 8, kernelSize: 3 });\n}\nblock();\n";
    assert.equal(notAModelReason(helper, 'blocks.ts'), 'noModelExport');
  });

  it('says a JSON file that is not a model.json is not one', () => {
    assert.equal(notAModelReason('{ "name": "x", "version": "1.0.0" }', 'package.json'), 'notModelJson');
  });
});
