import assert from 'node:assert/strict';
import {
  ARG_SPECS,
  OPERATORS,
  PYTORCH_LAYER_FUNCTIONS,
  PYTORCH_LAYER_MODULES,
  PYTORCH_LAYER_SUBCLASSES,
  layerFunction,
} from '../../../../src/extension/detection/pythonOps';

// The Python model scan's tables, read from the recorder's (src/contract/pytorchOps.ts; the
// recorder loads the same through python/cnn_slicer/contract.json): known answers of the reading.
describe("the Python scan's tables of what the recorder records", () => {
  it('makes layers of the layer modules, a subclass as its base', () => {
    assert.equal(PYTORCH_LAYER_MODULES.length, 22);
    for (const name of ['Conv2d', 'Linear', 'BatchNorm2d', 'ReLU', 'GELU', 'Upsample'])
      assert.ok(PYTORCH_LAYER_MODULES.includes(name), name);
    for (const name of ['Identity', 'Dropout', 'Sequential', 'UpsamplingNearest2d', 'Conv1d'])
      assert.ok(!PYTORCH_LAYER_MODULES.includes(name), name);
    assert.deepEqual(PYTORCH_LAYER_SUBCLASSES, { UpsamplingNearest2d: 'Upsample', UpsamplingBilinear2d: 'Upsample' });
  });

  it('maps the functions torch dispatches to their op, without the operators', () => {
    assert.equal(PYTORCH_LAYER_FUNCTIONS.relu_, 'relu');
    assert.equal(PYTORCH_LAYER_FUNCTIONS.concat, 'cat');
    assert.equal(PYTORCH_LAYER_FUNCTIONS.elu, 'elu');
    assert.equal(Object.keys(PYTORCH_LAYER_FUNCTIONS).length, 33);
    assert.ok(Object.keys(PYTORCH_LAYER_FUNCTIONS).every((name) => !name.startsWith('__')));
    assert.equal(layerFunction('__add__'), undefined);
    assert.equal(layerFunction('view'), undefined);
    assert.deepEqual(OPERATORS, { '+': 'add', '*': 'mul', '+=': 'add', '*=': 'mul' });
  });

  it('reads the recorded options of the convolution, linear, batch norm and pooling classes and functions', () => {
    assert.deepEqual(Object.keys(ARG_SPECS), [
      'Conv2d',
      'Linear',
      'BatchNorm1d',
      'BatchNorm2d',
      'MaxPool2d',
      'AvgPool2d',
      'max_pool2d',
      'avg_pool2d',
    ]);
    assert.deepEqual(ARG_SPECS.max_pool2d.params, ['input', 'kernel_size', 'stride']);
    assert.deepEqual(ARG_SPECS.Conv2d.defaults, { strides: 1 });
  });
});
