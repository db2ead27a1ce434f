import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  comparableClass,
  layerClassNames,
  layerKind,
  layerWord,
  mergeName,
  pytorchLayerClassNames,
  UNKNOWN_LAYER,
} from '../../../src/contract/layerKinds';
import type { LayerKind } from '../../../src/contract/layerKindTypes';
import { torchLayerClasses } from '../../../src/tfjs/torchLayers';

// The one table of layer kinds (src/contract/layerKinds.ts): its entries agree with each other, a
// class it does not list gets the documented fallback, and every class it names is one TensorFlow.js
// or Keras has (a misspelt class would silently fall back).

/** Classes of the table that Keras has and tfjs does not register (a Keras model.json may still name them). */
const KERAS_ONLY = new Set([
  'GlobalMaxPooling3D',
  'GlobalAveragePooling3D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'ZeroPadding1D',
  'ZeroPadding3D',
  'Cropping1D',
  'Cropping3D',
  'UpSampling1D',
  'UpSampling3D',
  'Subtract',
]);

const entries = (): [string, LayerKind][] => layerClassNames().map((c) => [c, layerKind(c)]);

describe('layer kinds', () => {
  it("names only classes that tfjs registers (with the PyTorch import's own) or Keras has", () => {
    torchLayerClasses(tf);
    const registered = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, unknown> }).classNameMap;
    const unknown = layerClassNames().filter((c) => !(c in registered) && !KERAS_ONLY.has(c));
    assert.deepEqual(unknown, []);
    for (const c of KERAS_ONLY) assert.ok(layerClassNames().includes(c), `${c} is listed as Keras-only but is not in the table`);
  });

  it('gives each PyTorch run class the kind of a Keras class, or of the family it belongs to', () => {
    const keras = new Set(layerClassNames());
    for (const c of pytorchLayerClassNames()) {
      assert.ok(!keras.has(c), `${c} is a Keras class too`);
      const k = layerKind(c);
      if (k.channels === 'perChannel') assert.ok(k.passesOn, `${c}: per channel but passes nothing on`);
    }
    assert.equal(layerKind('Conv2d').channels, 'mixes');
    assert.equal(layerKind('BatchNorm2d').rescales, true);
    assert.equal(layerKind('relu').channels, 'perChannel');
    assert.equal(layerKind('cat').merge, 'concatenate');
    assert.equal(layerKind('add').merge, 'add');
    // F.interpolate and nn.Upsample resample each channel alone, as TorchResize, their import, does.
    for (const c of ['Upsample', 'interpolate', 'TorchResize']) {
      assert.equal(layerKind(c).channels, 'perChannel', c);
      assert.equal(layerWord(c), 'up', c);
    }
    assert.equal(comparableClass('Upsample'), 'UpSampling2D');
  });

  it('gives a class it does not list the fallback: mixes its channels, passes nothing on, no deconvolution', () => {
    for (const c of ['MyCustomLayer', 'Conv2DTranspose', 'LSTM', '', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      assert.equal(layerKind(c), UNKNOWN_LAYER, c);
    }
    assert.deepEqual({ ...UNKNOWN_LAYER }, { channels: 'mixes', passesOn: false });
    assert.ok(Object.isFrozen(UNKNOWN_LAYER));
  });

  it('names a merge by the table, and an unlisted layer of several inputs by its class', () => {
    assert.equal(mergeName('Add'), 'add');
    assert.equal(mergeName('Concatenate'), 'concatenate');
    assert.equal(mergeName('MyMerge'), 'myMerge');
    for (const [c, k] of entries()) if (k.merge) assert.equal(k.merge, c.charAt(0).toLowerCase() + c.slice(1), c);
  });

  it('keeps its fields consistent with each other', () => {
    for (const [c, k] of entries()) {
      // A layer acting on each channel alone passes each channel on; one that mixes passes none on, but a concatenation.
      if (k.channels === 'perChannel') assert.ok(k.passesOn, `${c}: per channel but passes nothing on`);
      if (k.channels === 'mixes') assert.equal(k.passesOn, k.merge === 'concatenate', `${c}: mixes, passesOn ${k.passesOn}`);
      // The mixing-layer shortcut stops at a layer that mixes.
      if (k.linearMap) assert.equal(k.channels, 'mixes', `${c}: a linear map that does not mix`);
      if (k.merge) assert.equal(k.channels, 'mixes', `${c}: a merge that does not mix`);
      // A rectification needs an activation to rectify; a window needs its rank.
      if (k.deconvolution === 'rectify') assert.ok(k.activation, `${c}: rectify without an activation`);
      const windowed = ['conv', 'depthwise', 'separable', 'maxPool', 'avgPool', 'globalMaxPool', 'globalAvgPool'];
      if (k.deconvolution && windowed.includes(k.deconvolution)) assert.ok(k.spatialRank === 1 || k.spatialRank === 2, c);
      if (k.deconvolution === 'add' || k.deconvolution === 'average' || k.deconvolution === 'concat') assert.ok(k.merge, c);
      // The identity at inference: the deconvolution passes straight through, and nothing is mixed.
      if (k.random) assert.equal(k.channels, 'perChannel', c);
      if (k.deconvolution === 'identity') assert.equal(k.channels, 'perChannel', c);
      if (k.input || k.sequential)
        assert.deepEqual(Object.keys(k).sort(), ['channels', 'passesOn', k.input ? 'input' : 'sequential'].sort(), c);
    }
  });

  it('decides per class what the code decided before the table', () => {
    const where = (test: (k: LayerKind) => boolean) => entries().flatMap(([c, k]) => (test(k) ? [c] : []));
    assert.deepEqual(
      where((k) => k.linearMap !== undefined),
      ['Conv2D', 'Dense'],
    );
    assert.deepEqual(
      where((k) => k.channels === 'movesValues'),
      ['Activation', 'Reshape', 'Permute', 'RepeatVector'],
    );
    assert.deepEqual(
      where((k) => k.batchStatistics === true),
      ['BatchNormalization'],
    );
    assert.deepEqual(
      where((k) => k.channelAxisOption === true),
      ['BatchNormalization'],
    );
    assert.deepEqual(
      where((k) => k.activation === 'softmax'),
      ['Softmax'],
    );
    assert.deepEqual(
      where((k) => k.input === true),
      ['InputLayer'],
    );
    assert.deepEqual(
      where((k) => k.sequential === true),
      ['Sequential'],
    );
    assert.deepEqual(
      where((k) => k.rescales === true),
      [
        'BatchNormalization',
        'LayerNormalization',
        'Dropout',
        'SpatialDropout1D',
        'SpatialDropout2D',
        'SpatialDropout3D',
        'GaussianNoise',
        'GaussianDropout',
        'AlphaDropout',
        // A layer normalisation over the channels and a layer scale (ConvNeXt's, imported from PyTorch).
        'TorchLayerNorm',
        'ChannelScale',
      ],
    );
    assert.deepEqual(
      where((k) => k.deconvolution === 'identity'),
      ['BatchNormalization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'],
    );
    const perChannel = where((k) => k.channels === 'perChannel');
    for (const c of [
      'MaxPooling3D',
      'GlobalAveragePooling1D',
      'ReLU',
      'PReLU',
      'Cropping2D',
      'UpSampling3D',
      'Flatten',
      'SpatialDropout3D',
    ])
      assert.ok(perChannel.includes(c), c);
    for (const c of ['Conv2D', 'Dense', 'Softmax', 'LayerNormalization', 'Add', 'Concatenate', 'Activation', 'Reshape'])
      assert.ok(!perChannel.includes(c), c);
    assert.deepEqual(
      where((k) => k.passesOn && k.channels !== 'perChannel'),
      ['Activation', 'Reshape', 'Concatenate'],
    );
  });
});
