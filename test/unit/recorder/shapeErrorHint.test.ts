import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFile, ModelError } from '../../../src/recorder/modelLoader';
import { explainShapeError, windowFromSource } from '../../../src/recorder/shapeErrorHint';

describe("a tfjs 'Negative dimension size' error says which layer's input became too small, and by how much", () => {
  const tfjs = 'Negative dimension size caused by adding layer conv2d_Conv2D3 with input shape [,12,12,8]';

  it('names the layer and its input size', () => {
    const text = explainShapeError(tfjs);
    assert.match(text, /^layer conv2d_Conv2D3's input became too small: it is 12×12\. /);
    assert.ok(text.includes("padding: 'same'"));
    assert.ok(text.endsWith(`(tfjs: ${tfjs})`));
  });

  it("says by how much the input falls short of the layer's window", () => {
    const window = windowFromSource('tf.layers.conv2d({ filters: 16, kernelSize: 13, activation: "relu" })');
    assert.deepEqual(window, { size: [13], argument: 'kernelSize' });
    assert.match(explainShapeError(tfjs, window), /it is 12×12, 1 smaller than its kernelSize 13×13\. /);
    assert.deepEqual(windowFromSource('tf.layers.maxPooling2d({poolSize: [3, 15]})'), { size: [3, 15], argument: 'poolSize' });
    assert.match(explainShapeError(tfjs, { size: [3, 15], argument: 'poolSize' }), /it is 12×12, 3 smaller than its poolSize 3×15\. /);
  });

  it('leaves other messages alone', () => {
    assert.equal(explainShapeError('something else'), 'something else');
    assert.equal(windowFromSource('tf.layers.dense({units: 10})'), undefined);
  });
});

describe('loading a model whose layer gets too small an input', () => {
  it("says which layer, and by how much, at the layer's line", async () => {
    await tf.setBackend('cpu');
    const folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-shape-'));
    const file = join(folder, 'tooSmall.js');
    writeFileSync(
      file,
      [
        "const tf = require('@tensorflow/tfjs');",
        'module.exports = () => {',
        '  const m = tf.sequential();',
        '  m.add(tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 8, kernelSize: 5, name: "c1" }));',
        '  m.add(tf.layers.conv2d({ filters: 8, kernelSize: 14, name: "c2" }));',
        '  return m;',
        '};',
      ].join('\n'),
    );
    try {
      await assert.rejects(loadModelFile(file, tf), (e: unknown) => {
        assert.ok(ModelError.is(e));
        assert.match((e as Error).message, /layer c2's input became too small: it is 12×12, 2 smaller than its kernelSize 14×14/);
        return true;
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
