// Short layer labels (webview/layerLabel.ts): tfjs's generated names become the
// kind and its number, names the user gave stay.
import assert from 'node:assert/strict';
import { isGeneratedName, shortLayerLabel, shortLayerName } from '../../../webview/layerLabel';

const LENET = [
  { index: 0, name: 'input1', className: 'InputLayer' },
  { index: 1, name: 'conv2d_Conv2D1', className: 'Conv2D' },
  { index: 2, name: 'max_pooling2d_MaxPooling2D1', className: 'MaxPooling2D' },
  { index: 3, name: 'conv2d_Conv2D2', className: 'Conv2D' },
  { index: 4, name: 'max_pooling2d_MaxPooling2D2', className: 'MaxPooling2D' },
  { index: 5, name: 'flatten_Flatten1', className: 'Flatten' },
  { index: 6, name: 'logits', className: 'Dense' },
];

describe('layerLabel: short layer labels', () => {
  it("calls tfjs's generated names by kind and number among the layers of that kind", () => {
    assert.equal(shortLayerLabel(LENET[2], LENET), 'pool1 · MaxPooling2D');
    assert.equal(shortLayerLabel(LENET[4], LENET), 'pool2 · MaxPooling2D');
    assert.equal(shortLayerName(LENET[3], LENET), 'conv2');
    assert.equal(shortLayerName(LENET[5], LENET), 'flatten1');
    assert.equal(shortLayerName(LENET[0], LENET), 'input');
  });

  it('keeps a name the user gave', () => {
    assert.equal(shortLayerLabel(LENET[6], LENET), 'logits · Dense');
  });

  it("recognises Keras's generated names in a model.json", () => {
    assert.ok(isGeneratedName('max_pooling2d_3', 'MaxPooling2D'));
    assert.ok(isGeneratedName('conv2d_1', 'Conv2D'));
    assert.ok(isGeneratedName('batch_normalization_1', 'BatchNormalization'));
    assert.ok(isGeneratedName('input_1', 'InputLayer'));
    assert.ok(!isGeneratedName('block1_conv', 'Conv2D'));
    assert.ok(!isGeneratedName('flatten', 'Flatten'), "a short name that spells the class may be the user's: kept");
  });
});
