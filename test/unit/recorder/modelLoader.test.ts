import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModelFile, ModelError } from '../../../src/recorder/modelLoader';

const fixtures = resolve(__dirname, '../../fixtures/models');
const fixture = (name: string) => resolve(fixtures, name);

/** 1-based line and column of the n-th occurrence of `needle` in a fixture, read from the file itself. */
function position(name: string, needle: string, nth = 0): { line: number; column: number } {
  const lines = readFileSync(fixture(name), 'utf8').split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    let from = 0;
    for (;;) {
      const c = lines[i].indexOf(needle, from);
      if (c < 0) break;
      if (seen++ === nth) return { line: i + 1, column: c + 1 };
      from = c + 1;
    }
  }
  throw new Error(`${needle} not found in ${name}`);
}

describe('model loader: source locations of layers', () => {
  before(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });

  it('locates layers created across functions and files of a TypeScript model at the start of each tf.layers call', async () => {
    const m = await loadModelFile(fixture('multiFile.ts'), tf);
    const where = m.layers.map((l) => l.source && { file: l.source.file, line: l.source.line, column: l.source.column });
    assert.deepEqual(where, [
      { file: fixture('multiFile.ts'), ...position('multiFile.ts', 'tf.layers.conv2d') },
      { file: fixture('blocks.ts'), ...position('blocks.ts', 'tf.layers.conv2d') },
      { file: fixture('blocks.ts'), ...position('blocks.ts', 'tf.layers.maxPooling2d') },
      { file: fixture('multiFile.ts'), ...position('multiFile.ts', 'tf.layers.flatten') },
      { file: fixture('multiFile.ts'), ...position('multiFile.ts', 'tf.layers.dense') },
    ]);
    assert.deepEqual(m.sourceFiles, [fixture('multiFile.ts'), fixture('blocks.ts')]);
  });

  it('reads the layer table: classes, output shapes, channels and parameters', async () => {
    const m = await loadModelFile(fixture('multiFile.ts'), tf);
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.outputShape, l.channels, l.parameters]),
      [
        ['Conv2D', [10, 10, 4], 4, 40],
        ['Conv2D', [10, 10, 6], 6, 4 * 9 * 6 + 6],
        ['MaxPooling2D', [5, 5, 6], 6, 0],
        ['Flatten', [150], 1, 0],
        ['Dense', [3], 1, 453],
      ],
    );
    assert.equal(m.dataset, 'synthetic');
    assert.deepEqual(m.training, { epochs: 2, batchSize: 16 });
  });

  it('locates a functional CommonJS model importing @tensorflow/tfjs-node, including a chain split over lines', async () => {
    const m = await loadModelFile(fixture('functional.js'), tf);
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.source?.line, l.source?.column]),
      [
        ['InputLayer', ...Object.values(position('functional.js', 'tf.input'))],
        ['Conv2D', ...Object.values(position('functional.js', 'tf.layers.conv2d'))],
        ['Flatten', ...Object.values(position('functional.js', 'tf.layers', 1))],
        ['Dense', ...Object.values(position('functional.js', 'tf.layers.dense'))],
      ],
    );
  });

  it('gives each layer of a model.json the line of its entry', async () => {
    const m = await loadModelFile(fixture('model.json'), tf);
    const lines = readFileSync(fixture('model.json'), 'utf8').split('\n');
    assert.deepEqual(
      m.layers.map((l) => l.name),
      ['conv_a', 'pool_a', 'flat', 'out'],
    );
    for (const l of m.layers) {
      assert.match(lines[l.source!.line - 1], /"class_name"/);
      const below = lines.slice(l.source!.line, l.source!.line + 60).join('\n');
      assert.ok(below.includes(`"name": "${l.name}"`), `${l.name} entry at line ${l.source!.line}`);
    }
  });
});

it('locates model.json layers whose config holds initializers at the layer entry, not the initializer', async () => {
  const example = resolve(__dirname, '../../../examples/model.json');
  const m = await loadModelFile(example, tf);
  const lines = readFileSync(example, 'utf8').split('\n');
  const conv1 = m.layers.find((l) => l.name === 'conv1')!;
  assert.match(lines[conv1.source!.line - 1], /"class_name": "Conv2D"/);
  for (const l of m.layers) assert.doesNotMatch(lines[l.source!.line - 1], /Zeros|VarianceScaling|GlorotUniform/);
});

it('locates each layer of a one-line converted model.json by line and column', async () => {
  const pretty = readFileSync(fixture('model.json'), 'utf8');
  const oneLine = JSON.stringify(JSON.parse(pretty));
  const folder = mkdtempSync(join(tmpdir(), 'cnn-slicer-onelinejson-'));
  try {
    const file = join(folder, 'model.json');
    writeFileSync(file, oneLine);
    const m = await loadModelFile(file, tf);
    // The oracle: the pretty-printed file's entry lines (tested above) say which "class_name" of the
    // file starts each layer's entry; the one-line file has the same keys in the same order.
    const prettyModel = await loadModelFile(fixture('model.json'), tf);
    const prettyLines = pretty.split('\n');
    const occurrences = (text: string) => [...text.matchAll(/"class_name"/g)].map((x) => x.index);
    const oneLineKeys = occurrences(oneLine);
    const expected = prettyModel.layers.map((l) => {
      const before = prettyLines.slice(0, l.source!.line - 1).join('\n');
      return { line: 1, column: oneLineKeys[occurrences(before).length] + 1 };
    });
    assert.deepEqual(
      m.layers.map((l) => ({ line: l.source?.line, column: l.source?.column })),
      expected,
    );
    assert.equal(new Set(expected.map((e) => e.column)).size, m.layers.length, 'every layer has its own column');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

describe('model loader: model modules as users write them', () => {
  before(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });

  it('takes a built model exported with module.exports = model, with globalAveragePooling2d() called without a config', async () => {
    const m = await loadModelFile(fixture('builtModelCommonJs.js'), tf);
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.source?.line]),
      [
        ['Conv2D', position('builtModelCommonJs.js', 'tf.layers.conv2d').line],
        ['GlobalAveragePooling2D', position('builtModelCommonJs.js', 'tf.layers.globalAveragePooling2d').line],
        ['Dense', position('builtModelCommonJs.js', 'tf.layers.dense').line],
      ],
    );
    assert.deepEqual(m.model.outputs[0].shape, [null, 3]);
  });

  it('takes a built model as the default export, with maxPooling2d() and globalMaxPooling2d() called without a config', async () => {
    const m = await loadModelFile(fixture('builtModelDefault.ts'), tf);
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.outputShape]),
      [
        ['Conv2D', [10, 10, 2]],
        ['MaxPooling2D', [5, 5, 2]],
        ['GlobalMaxPooling2D', [2]],
        ['Dense', [3]],
      ],
    );
  });

  it('constructs a model class exported as the default (extends tf.Sequential) with new, locating its layers', async () => {
    const m = await loadModelFile(fixture('classModel.ts'), tf);
    assert.equal(m.model.getClassName(), 'Sequential');
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.outputShape, l.source?.line]),
      [
        ['Conv2D', [10, 10, 2], position('classModel.ts', 'tf.layers.conv2d').line],
        ['MaxPooling2D', [5, 5, 2], position('classModel.ts', 'tf.layers.maxPooling2d').line],
        ['Flatten', [50], position('classModel.ts', 'tf.layers.flatten').line],
        ['Dense', [3], position('classModel.ts', 'tf.layers.dense').line],
      ],
    );
  });

  it('takes a built model exported as `export const model`, imported from @tensorflow/tfjs-layers too', async () => {
    const m = await loadModelFile(fixture('builtModelNamed.ts'), tf);
    assert.deepEqual(
      m.layers.map((l) => [l.className, l.source?.line]),
      [
        ['Conv1D', position('builtModelNamed.ts', 'layers.conv1d').line],
        ['GlobalAveragePooling1D', position('builtModelNamed.ts', 'layers.globalAveragePooling1d').line],
        ['Dense', position('builtModelNamed.ts', 'layers.dense').line],
      ],
    );
  });

  it('fails with a clear message when an async factory never settles, instead of waiting forever', async () => {
    const started = Date.now();
    await assert.rejects(loadModelFile(fixture('neverSettles.ts'), tf, { factoryTimeoutMs: 300 }), (e: unknown) => {
      assert.ok(ModelError.is(e), `expected a ModelError, got ${String(e)}`);
      assert.match((e as Error).message, /neverSettles\.ts did not return a model within 0\.3 s: its promise never settled/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  it('says once, while it waits, that the factory has not returned yet and what the limit is', async () => {
    const notices: string[] = [];
    const onSlowFactory = (m: string) => notices.push(m);
    await assert.rejects(loadModelFile(fixture('neverSettles.ts'), tf, { factoryTimeoutMs: 1000, slowNoticeMs: 200, onSlowFactory }));
    assert.equal(notices.length, 1);
    assert.match(
      notices[0],
      /neverSettles\.ts has not returned its model after 0\.2 s; waiting up to 1 s \(record --model-timeout S sets the limit\)/,
    );
    // A factory that returns in time says nothing, and no notice fires after it returned.
    notices.length = 0;
    await loadModelFile(fixture('builtModelNamed.ts'), tf, { slowNoticeMs: 50, onSlowFactory });
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(notices, []);
  });
});

describe('model loader: clear, located errors', () => {
  const fails = async (name: string, pattern: RegExp) => {
    await assert.rejects(loadModelFile(fixture(name), tf), (e: unknown) => {
      assert.ok(ModelError.is(e), `expected a ModelError, got ${String(e)}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
  };
  it('reports a syntax error at file:line:column from esbuild', () =>
    fails('syntaxError.ts', new RegExp(`syntaxError\\.ts:${position('syntaxError.ts', '(;').line}:\\d+: Unexpected`)));
  it('reports a file that exports no factory, listing what it exports', () =>
    fails('noFactory.ts', /exports no model factory.*it exports answer/));
  it("maps a throwing factory's stack to the user's line", () =>
    fails(
      'throws.ts',
      new RegExp(`throws\\.ts:${position('throws.ts', 'throw new Error').line}:\\d+: the model factory threw: out of coffee`),
    ));
  it('reports an empty model', () => fails('empty.ts', /has no layers/));
  it('reports a missing file', () => fails('doesNotExist.ts', /not found/));
});
