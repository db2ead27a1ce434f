// Short layer labels (src/contract/layerLabel.ts): tfjs's generated names become the
// kind and its number, names the user gave stay.
import assert from 'node:assert/strict';
import { isGeneratedName, shortLayerLabel, shortLayerName, shortLayerNames, layerNameRange } from '../../../src/contract/layerLabel';

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

  it('never gives a generated layer a label the user gave another layer of the run', () => {
    // The case: tfjs's conv2d_Conv2D1 between the user's conv1 and conv2 was "conv2" too.
    const layers = [
      { index: 0, name: 'input1', className: 'InputLayer' },
      { index: 1, name: 'conv1', className: 'Conv2D' },
      { index: 2, name: 'conv2d_Conv2D1', className: 'Conv2D' },
      { index: 3, name: 'conv2', className: 'Conv2D' },
      { index: 4, name: 'conv2d_Conv2D2', className: 'Conv2D' },
      { index: 5, name: 'dense_Dense1', className: 'Dense' },
    ];
    assert.deepEqual([...shortLayerNames(layers).values()], ['input', 'conv1', 'conv3', 'conv2', 'conv4', 'dense1']);
    assert.equal(shortLayerName(layers[2], layers), 'conv3');
  });

  it('gives every layer of a run its own label, whatever the user named (random models)', () => {
    const classes = ['Conv2D', 'MaxPooling2D', 'Dense', 'Flatten', 'ReLU'];
    const words = ['conv', 'pool', 'dense', 'flatten', 'act'];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let trial = 0; trial < 300; trial++) {
      const layers = [{ index: 0, name: 'input1', className: 'InputLayer' }];
      const length = 1 + next(12);
      for (let index = 1; index <= length; index++) {
        const c = next(classes.length);
        // Half the layers keep tfjs's name, half get a user name that looks like a short label.
        const name = next(2) ? `${classes[c].toLowerCase()}_${classes[c]}${index}` : `${words[next(words.length)]}${1 + next(4)}`;
        if (layers.some((l) => l.name === name)) continue;
        layers.push({ index: layers.length, name, className: classes[c] });
      }
      const labels = layers.map((l) => shortLayerName(l, layers));
      assert.equal(new Set(labels).size, labels.length, `labels ${labels.join(', ')} of ${layers.map((l) => l.name).join(', ')}`);
    }
  });
});

describe('layerNameRange', function () {
  it('names the instances of one definition by the range of what differs and their common tail once', function () {
    const blocks = ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'];
    assert.equal(layerNameRange(blocks.map((b) => `${b}.conv1`)), 'layer1.0–layer4.1 conv1');
    assert.equal(layerNameRange(['layer1.0.conv1', 'layer3.1.conv1']), 'layer1.0–layer3.1 conv1');
    assert.equal(layerNameRange(['features.0', 'features.3']), 'features.0–features.3');
    assert.equal(layerNameRange(['conv1', 'conv2']), 'conv1–conv2');
    assert.equal(layerNameRange(['layer1.0.shortcut.0', 'layer2.0.shortcut.0']), 'layer1.0–layer2.0 shortcut.0');
    assert.equal(layerNameRange(['a.b.conv1', 'conv1']), 'a.b.conv1–conv1');
  });

  it('gives one name as itself and none as ""', function () {
    assert.equal(layerNameRange(['layer1.0.conv1']), 'layer1.0.conv1');
    assert.equal(layerNameRange([]), '');
  });
});
