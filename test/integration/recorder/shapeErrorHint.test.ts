import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFile, ModelError } from '../../../src/recorder/modelLoader';
import { checkLayerShapes } from '../../../src/recorder/modelFacts';
import { recordRun } from '../../../src/recorder/record';
import { emptyOutputMessage, explainShapeError, windowFromSource } from '../../../src/recorder/shapeErrorHint';

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

describe('a layer whose output has no values is refused before training, at its line, on every backend', function () {
  this.timeout(120_000);
  const file = resolve(__dirname, '../../fixtures/models/kernelTooLarge.ts');
  const convLine =
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes("name: 'conv'")) + 1;

  it('names the layer, its input shape, its kernel (with stride and dilation) and its output shape', () => {
    const text = emptyOutputMessage({
      layer: 'c2',
      className: 'Conv2D',
      inputShape: [4, 4, 1],
      outputShape: [0, 0, 16],
      config: { kernelSize: [5, 5], strides: [1, 1], dilationRate: [1, 1], padding: 'valid' },
    });
    assert.match(
      text,
      /^layer c2 \(Conv2D\) has an empty output: its input shape is \[4, 4, 1\], its kernel is 5×5 \(kernelSize\), padding 'valid', so its output shape is \[0, 0, 16\]\. /,
    );
    assert.ok(!text.includes('\n'));
    const pooled = emptyOutputMessage({
      layer: 'p',
      className: 'MaxPooling1D',
      inputShape: [null, 3, 8],
      outputShape: [null, 0, 8],
      config: { poolSize: [4], strides: [2], padding: 'valid' },
    });
    assert.match(pooled, /its input shape is \[any, 3, 8\], its pool window is 4 \(poolSize\), strides 2, padding 'valid'/);
  });

  it('finds the first empty layer of a functional model (tfjs builds it with a negative dimension)', async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [3, 3, 1] });
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 5, name: 'too_wide' });
    const out = tf.layers.dense({ units: 2 }).apply(tf.layers.flatten().apply(conv.apply(input))) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const source = { file: 'm.ts', line: 7, column: 3 };
    const layers = model.layers.map((l) => ({ source: l.name === 'too_wide' ? source : undefined }));
    assert.throws(
      () => checkLayerShapes({ model, layers } as unknown as Parameters<typeof checkLayerShapes>[0]),
      (e: unknown) => {
        assert.ok(ModelError.is(e));
        assert.deepEqual(e.location, source);
        assert.match(
          e.message,
          /^m\.ts:7:3: layer too_wide \(Conv2D\) has an empty output: its input shape is \[3, 3, 1\], its kernel is 5×5/,
        );
        return true;
      },
    );
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`recordRun on ${backend}: one located line, and no run folder`, async () => {
      const runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-empty-'));
      try {
        await assert.rejects(recordRun({ modelFile: file, backend, epochs: 1, probeSize: 20, runsFolder: runs }), (e: unknown) => {
          assert.ok(ModelError.is(e), String(e));
          assert.deepEqual(e.location, { file, line: convLine, column: e.location?.column });
          assert.ok(!e.message.includes('\n'), e.message);
          for (const part of ['layer conv (Conv2D)', 'input shape is [4, 4, 1]', 'kernel is 5×5', 'output shape is [0, 0, 16]'])
            assert.ok(e.message.includes(part), `"${part}" in ${e.message}`);
          return true;
        });
        assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], []);
      } finally {
        rmSync(runs, { recursive: true, force: true });
      }
    });
  }
});
