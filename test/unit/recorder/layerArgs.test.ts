import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFile } from '../../../src/recorder/modelLoader';

describe('model loader: the layer options the editor matches definitions on', () => {
  before(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });

  it('records each layer’s filters, units, kernel size, strides, padding, activation and pool size as tfjs holds them', async () => {
    const m = await loadModelFile(resolve(__dirname, '../../fixtures/models/multiFile.ts'), tf);
    const conv = m.layers.find((l) => l.className === 'Conv2D')!;
    assert.equal(conv.args?.filters, conv.outputShape[conv.outputShape.length - 1]);
    assert.ok(Array.isArray(conv.args?.kernelSize) && conv.args.kernelSize.length === 2, JSON.stringify(conv.args));
    assert.ok(typeof conv.args?.padding === 'string');
    const pool = m.layers.find((l) => l.className === 'MaxPooling2D')!;
    assert.ok(Array.isArray(pool.args?.poolSize), JSON.stringify(pool.args));
    const dense = m.layers.find((l) => l.className === 'Dense')!;
    assert.equal(dense.args?.units, 3);
    assert.equal(m.layers.find((l) => l.className === 'Flatten')!.args, undefined, 'a layer without such options records none');
  });
});
