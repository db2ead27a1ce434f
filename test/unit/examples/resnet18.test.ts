/**
 * examples/resnet18.ts at its two widths: `createModel` is the full-width ResNet-18 the example has
 * always been, and the quarter-width fixture the model zoo bench times against its goal is the
 * same structure at a quarter of the channels.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { forwardFlops } from '../../../bench/flops';
import { createModel, createResNet18 } from '../../../examples/resnet18';
import { createModel as createQuarter } from '../../fixtures/models/resnet18Quarter';

function convChannels(model: tf.LayersModel): number[] {
  return [...new Set(model.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => (l.outputShape as number[])[3]))];
}

describe('examples/resnet18.ts', function () {
  it('createModel is the full-width ResNet-18: 64–512 channels, 11.18 million weights, 1.1 GFLOP per input forward', function () {
    const model = createModel();
    try {
      assert.equal(model.name, 'resnet18');
      assert.deepEqual(convChannels(model), [64, 128, 256, 512]);
      assert.equal(model.countParams(), 11_183_562);
      assert.equal(Math.round(forwardFlops(model) / 1e6), 1111);
    } finally {
      model.dispose();
    }
  });

  it('the quarter-width fixture has the same layers at 16–128 channels (70 MFLOP per input, the size of the goal model of the zoo bench)', function () {
    const full = createModel();
    const quarter = createQuarter();
    try {
      assert.deepEqual(convChannels(quarter), [16, 32, 64, 128]);
      assert.deepEqual(
        quarter.layers.map((l) => `${l.getClassName()} ${l.name}`),
        full.layers.map((l) => `${l.getClassName()} ${l.name}`),
      );
      assert.equal(Math.round(forwardFlops(quarter) / 1e6), 70);
    } finally {
      full.dispose();
      quarter.dispose();
    }
  });

  it('createResNet18 takes any base width', function () {
    const model = createResNet18({ baseFilters: 8, name: 'tiny' });
    try {
      assert.equal(model.name, 'tiny');
      assert.deepEqual(convChannels(model), [8, 16, 32, 64]);
    } finally {
      model.dispose();
    }
  });
});
