// The module scan (src/extension/detection/moduleScan.ts): the layer definitions and the model
// factory of TypeScript and JavaScript modules, found without running them, where the recorder
// locates the same layers when it does run them.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { layerKindKey } from '../../../../src/extension/detection/layerMatching';
import { scanModule } from '../../../../src/extension/detection/moduleScan';
import type { DetectedLayer } from '../../../../src/extension/detection/types';
import { loadModelFile } from '../../../../src/recorder/modelLoader';
import { at, example, fixture, read, root } from '../../../support/modelSources';

const scanFile = (path: string) => scanModule(read(path));
const summary = (layers: DetectedLayer[] | undefined) => layers?.map((l) => [l.factory ?? l.className, l.name, l.line, l.column]);

describe('module scan: layer definitions and model factories of TypeScript and JavaScript modules', () => {
  it('finds every tf.layers call of the LeNet example in source order, with its factory, literal name and start', () => {
    const text = read(example('mnist-lenet.ts'));
    const d = scanModule(text);
    assert.equal(d?.kind, 'module');
    assert.equal(d?.isModel, true);
    const expected = [
      ['conv2d', 'conv1', 0],
      ['maxPooling2d', 'pool1', 0],
      ['conv2d', 'conv2', 1],
      ['maxPooling2d', 'pool2', 1],
      ['flatten', 'flatten', 0],
      ['dense', 'dense1', 0],
      ['dense', 'output', 1],
    ] as const;
    assert.deepEqual(
      summary(d?.layers),
      expected.map(([factory, name, nth]) => {
        const p = at(text, `tf.layers.${factory}(`, nth);
        return [factory, name, p.line, p.column];
      }),
    );
  });

  it('ends each definition after its closing parenthesis', () => {
    const text = read(example('mnist-lenet.ts'));
    const first = scanModule(text)!.layers[0];
    const callEnd = at(text, "name: 'conv1' })");
    assert.deepEqual([first.endLine, first.endColumn], [callEnd.line, callEnd.column + "name: 'conv1' })".length]);
  });

  it('finds the calls inside a helper that the CIFAR example calls twice once each', () => {
    const text = read(example('cifar-cnn.ts'));
    const d = scanModule(text);
    assert.equal(d?.isModel, true);
    assert.deepEqual(
      d?.layers.map((l) => l.factory),
      ['conv2d', 'conv2d', 'maxPooling2d', 'flatten', 'dense', 'dense'],
    );
    assert.ok(d?.layers.every((l) => l.name === undefined));
  });

  it('finds two definitions on one line, and a layer-only helper module that is not a model by itself', () => {
    const multi = scanFile(fixture('multiFile.ts'));
    const text = read(fixture('multiFile.ts'));
    assert.equal(multi?.isModel, true);
    assert.deepEqual(summary(multi?.layers), [
      ['flatten', undefined, at(text, 'tf.layers.flatten').line, at(text, 'tf.layers.flatten').column],
      ['dense', undefined, at(text, 'tf.layers.dense').line, at(text, 'tf.layers.dense').column],
      ['conv2d', undefined, at(text, 'tf.layers.conv2d').line, at(text, 'tf.layers.conv2d').column],
    ]);
    const blocks = scanFile(fixture('blocks.ts'));
    assert.equal(blocks?.isModel, false);
    assert.deepEqual(
      blocks?.layers.map((l) => l.factory),
      ['conv2d', 'maxPooling2d'],
    );
  });

  it('reads a CommonJS functional model: tf.input, and a member chain broken across lines starts at its first line', () => {
    const text = read(fixture('functional.js'));
    const d = scanModule(text);
    assert.equal(d?.isModel, true);
    assert.deepEqual(summary(d?.layers), [
      ['input', undefined, at(text, 'tf.input').line, at(text, 'tf.input').column],
      ['conv2d', undefined, at(text, 'tf.layers.conv2d').line, at(text, 'tf.layers.conv2d').column],
      ['flatten', undefined, at(text, 'tf.layers\n').line, at(text, 'tf.layers\n').column],
      ['dense', undefined, at(text, 'tf.layers.dense').line, at(text, 'tf.layers.dense').column],
    ]);
    const flatten = d.layers[2];
    assert.equal(flatten.endLine, at(text, '.flatten()').line);
  });

  it('calls a file with a model factory but no layers (yet) a model, and a file without a factory nothing', () => {
    assert.deepEqual(scanFile(fixture('empty.ts')), { kind: 'module', isModel: true, layers: [] });
    assert.deepEqual(scanFile(fixture('throws.ts')), { kind: 'module', isModel: true, layers: [] });
    assert.equal(scanFile(fixture('syntaxError.ts'))?.isModel, true);
    assert.equal(scanFile(fixture('noFactory.ts')), undefined);
  });

  it('finds nothing in ordinary code, including code that reads model.layers', () => {
    assert.equal(scanModule('export const x = 1;\nfunction f() { return 2; }\n'), undefined);
    const code =
      "import { LayersModel } from '@tensorflow/tfjs';\nexport function names(model: LayersModel) { return model.layers.map((l) => l.name); }\n";
    assert.equal(scanModule(code), undefined);
    assert.equal(scanModule(''), undefined);
  });

  it('ignores layer calls in comments, strings, template text and regular expressions', () => {
    const code = [
      "import * as tf from '@tensorflow/tfjs';",
      'export function createModel() {',
      '  const m = tf.sequential();',
      '  // m.add(tf.layers.dense({ units: 1 }));',
      '  /* m.add(tf.layers.conv2d({ filters: 1 }));',
      '     m.add(tf.layers.flatten()); */',
      "  const a = 'tf.layers.dense(';",
      '  const b = "tf.layers.dense({ units: 2 })";',
      '  const c = `tf.layers.dense(${1 + 1}) and tf.layers.flatten()`;',
      '  const r = /tf.layers.dense\\(/g;',
      "  const s = a / 2 / 3; m.add(tf.layers.dense({ units: 10, name: 'real' }));",
      '  return m;',
      '}',
    ].join('\n');
    const d = scanModule(code);
    assert.deepEqual(summary(d?.layers), [['dense', 'real', 10, code.split('\n')[10].indexOf('tf.layers.dense')]]);
  });

  it('finds layer calls inside template substitutions, which are code', () => {
    const code =
      "import * as tf from '@tensorflow/tfjs';\nconst s = `layer: ${tf.layers.dense({ units: 1, name: `d${1}` }).name} and ${`${tf.layers.flatten().name}`}`;\n";
    const d = scanModule(code);
    assert.deepEqual(
      d?.layers.map((l) => [l.factory, l.name, l.column]),
      [
        ['dense', undefined, code.split('\n')[1].indexOf('tf.layers.dense')],
        ['flatten', undefined, code.split('\n')[1].indexOf('tf.layers.flatten')],
      ],
    );
  });

  it('survives unterminated strings, comments and templates without throwing', () => {
    // A string ends at its line, so the call on the next line is still found.
    const open = "import * as tf from '@tensorflow/tfjs';\nconst s = 'unterminated\nconst l = tf.layers.dense({ units: 1 });\n";
    assert.deepEqual(summary(scanModule(open)?.layers), [['dense', undefined, 2, 10]]);
    // An unterminated comment or template runs to the end of the file.
    assert.equal(scanModule("import * as tf from '@tensorflow/tfjs';\n/* never closed\ntf.layers.dense({});\n"), undefined);
    assert.equal(scanModule("import * as tf from '@tensorflow/tfjs';\nconst t = `never closed\ntf.layers.dense({});\n"), undefined);
    // An unclosed call is a definition that ends at its line.
    const unclosed = scanModule(
      "import * as tf from '@tensorflow/tfjs';\nexport function createModel() { tf.layers.dense({ units: 1, name: 'x'",
    );
    assert.deepEqual(
      unclosed?.layers.map((l) => [l.factory, l.name, l.endLine]),
      [['dense', undefined, 1]],
    );
    for (const junk of [
      '`${',
      '`${`${',
      '/',
      "'",
      '"\\',
      '/*',
      'tf.layers.',
      'tf.layers.dense(',
      '}}}`',
      '${}',
      'a ? .5 : b?.c',
      'x = /[/]/.test(y) / 2',
    ]) {
      assert.doesNotThrow(() => scanModule(junk));
    }
  });

  it('reads the literal name option only: not computed names, nor names nested in other options', () => {
    const code = [
      "import * as tf from '@tensorflow/tfjs';",
      "tf.layers.dense({ units: 1, name: 'plain' });",
      'tf.layers.dense({ "name": "quoted", units: 1 });',
      'tf.layers.dense({ units: 1, name: `template` });',
      "tf.layers.dense({ units: 1, name: 'a' + i });",
      "tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ name: 'inner' }) });",
      'tf.layers.dense({ units: 1, name });',
      "tf.layers.dense(options, { name: 'second argument' });",
    ].join('\n');
    assert.deepEqual(
      scanModule(code)?.layers.map((l) => l.name),
      ['plain', 'quoted', 'template', undefined, undefined, undefined, undefined],
    );
  });

  it('follows the ways a module names TensorFlow.js: namespace, default, named and destructured imports', () => {
    const cases: [string, string[]][] = [
      ["import * as tfjs from '@tensorflow/tfjs-node';\ntfjs.layers.dense({ units: 1 });", ['dense']],
      ["import tfd from '@tensorflow/tfjs';\ntfd.layers.flatten();", ['flatten']],
      [
        "import { layers, input as inp, sequential } from '@tensorflow/tfjs';\nconst x = inp({ shape: [2] });\nlayers.dense({ units: 1 });",
        ['input', 'dense'],
      ],
      ["import { layers as L } from '@tensorflow/tfjs';\nL.conv2d({ filters: 1, kernelSize: 1 });", ['conv2d']],
      ["const { layers: L, input } = require('@tensorflow/tfjs');\ninput({ shape: [1] });\nL.dense({ units: 1 });", ['input', 'dense']],
      ["const t = require('@tensorflow/tfjs-node-gpu');\nt.layers.dense({ units: 1 });", ['dense']],
      ["import t = require('@tensorflow/tfjs');\nt.layers.dense({ units: 1 });", ['dense']],
      ["const t = await import('@tensorflow/tfjs');\nt.layers.dense({ units: 1 });", ['dense']],
      ["import * as tf from '@tensorflow/tfjs';\nconst L = tf.layers;\nL.dense({ units: 1 });", ['dense']],
      ["import * as tf from '@tensorflow/tfjs';\nconst { layers } = tf;\nlayers.dense({ units: 1 });", ['dense']],
      // A global tf (a script) needs no import.
      ['tf.layers.dense({ units: 1 });', ['dense']],
      // Not TensorFlow.js, not layers.
      ["import { layers } from './mine';\nlayers.dense({ units: 1 });", []],
      [
        "import * as tf from '@tensorflow/tfjs';\nclass X extends tf.layers.Layer {}\nnew tf.layers.Layer({});\nobj.tf.layers.dense({});",
        [],
      ],
      ["import type * as tf from '@tensorflow/tfjs';\nimport { layers } from '@tensorflow/tfjs';\nfoo.layers.dense({});", []],
    ];
    for (const [code, factories] of cases) {
      assert.deepEqual(scanModule(code)?.layers.map((l) => l.factory) ?? [], factories, code);
    }
  });

  it('recognises the model factory exports the recorder loads', () => {
    const tfImport = "import * as tf from '@tensorflow/tfjs';\n";
    const models = [
      'export const createModel = () => build();',
      'export async function createModel() { return build(); }',
      "export { build as createModel } from './build';",
      'function f() {}\nexport { f as createModel };',
      'module.exports = { createModel, dataset };',
      "module.exports = { 'createModel': f };",
      'module.exports.createModel = f;',
      'exports.createModel = function () {};',
      `${tfImport}export default function () { return tf.sequential(); }`,
      `${tfImport}module.exports = () => tf.sequential();`,
      `${tfImport}exports.default = () => tf.model({ inputs, outputs });`,
      `${tfImport}function f() {}\nexport { f as default };`,
    ];
    for (const code of models) assert.equal(scanModule(code)?.isModel, true, code);
    const notModels = [
      'export default 42; // createModel is mentioned only here',
      'module.exports = function () { return 1; }; // no tfjs, no createModel export; layers',
      'const createModel = 1; export const other = createModel;',
      `${tfImport}export function build() { return tf.sequential(); }`,
    ];
    for (const code of notModels) assert.notEqual(scanModule(code)?.isModel, true, code);
  });

  it('recognises a module that exports a built model, as the recorder now loads it (module.exports = model, export default model, export const model)', () => {
    for (const file of ['builtModelCommonJs.js', 'builtModelDefault.ts', 'builtModelNamed.ts'])
      assert.equal(scanFile(fixture(file))?.isModel, true, file);
    const tfImport = "import * as tf from '@tensorflow/tfjs';\n";
    const models = [
      `${tfImport}export const model = tf.sequential();`,
      `${tfImport}export let model = tf.model({ inputs, outputs });`,
      `${tfImport}const model = tf.sequential();\nexport { model };`,
      `${tfImport}const m = tf.sequential();\nexport { m as model };`,
      `${tfImport}exports.model = tf.sequential();`,
      `${tfImport}module.exports.model = tf.sequential();`,
      `${tfImport}const model = tf.sequential();\nmodule.exports = { model, dataset: 'mnist' };`,
      "import { layers, sequential } from '@tensorflow/tfjs-layers';\nexport const model = sequential({ layers: [layers.dense({ units: 2 })] });",
    ];
    for (const code of models) assert.equal(scanModule(code)?.isModel, true, code);
    const notModels = [
      'export const model = { name: "car" }; // no tfjs: a data model, not a network',
      `${tfImport}module.exports = { options: { model: 'x' } };`,
      `${tfImport}export const models = [];`,
    ];
    for (const code of notModels) assert.notEqual(scanModule(code)?.isModel, true, code);
  });

  it('handles a 1 MB module, finding every one of its definitions', () => {
    const unit = read(example('mnist-lenet.ts')).replace('export function createModel', 'function build');
    const filler = read(resolve(root, 'src/recorder/modelLoader.ts'));
    const parts: string[] = [];
    let size = 0;
    while (size < 1_000_000) {
      parts.push(unit, filler);
      size += unit.length + filler.length;
    }
    const d = scanModule(parts.join('\n') + '\nexport const createModel = build;\n');
    assert.equal(d?.isModel, true);
    // 7 layers per copy of the model, and modelLoader.ts's own `tf.input(` (a call, in a helper).
    assert.equal(d?.layers.length, (parts.length / 2) * 8);
  });
});

describe('the recorder locates layers where the scanner finds them', () => {
  before(async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  });

  for (const [name, path] of [
    ['LeNet', example('mnist-lenet.ts')],
    ['CIFAR (a helper called twice)', example('cifar-cnn.ts')],
    ['a model across two files', fixture('multiFile.ts')],
    ['a CommonJS functional model', fixture('functional.js')],
  ] as const) {
    it(`${name}: every recorded source position is the start of a detected call`, async () => {
      const loaded = await loadModelFile(path, tf);
      const located = loaded.layers.filter((l) => l.source);
      assert.ok(located.length >= loaded.layers.length - 1);
      for (const layer of located) {
        const source = layer.source!;
        const detected = scanFile(source.file)!.layers;
        const hit = detected.find((d) => d.line === source.line - 1 && d.column === source.column - 1);
        assert.ok(hit, `${layer.name} at ${source.file}:${source.line}:${source.column} is not a detected definition`);
        assert.equal(layerKindKey(hit.factory!), layerKindKey(layer.className), layer.name);
      }
    });
  }
});
