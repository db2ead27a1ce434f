import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { detectModel, layerKindKey, layerSites, recordedInFile, sitesAt, type DetectedLayer, type RecordedLayer } from '../../src/extension/modelDetection';
import { loadModelFile } from '../../src/recorder/modelLoader';

const root = resolve(__dirname, '../..');
const fixture = (name: string) => resolve(root, 'test/fixtures/models', name);
const example = (name: string) => resolve(root, 'examples', name);
const read = (path: string) => readFileSync(path, 'utf8');
const detectFile = (path: string) => detectModel(read(path), path);

/** 0-based line and column of the n-th occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 0): { line: number; column: number } {
  let from = 0;
  for (let seen = 0; ; seen++) {
    const k = text.indexOf(needle, from);
    if (k < 0) throw new Error(`${needle} (#${nth}) not found`);
    if (seen === nth) {
      const before = text.slice(0, k);
      const line = before.split('\n').length - 1;
      return { line, column: k - (before.lastIndexOf('\n') + 1) };
    }
    from = k + 1;
  }
}

const summary = (layers: DetectedLayer[] | undefined) => layers?.map((l) => [l.factory ?? l.className, l.name, l.line, l.column]);

describe('model detection: finding models and layer definitions without running them', () => {
  describe('TypeScript and JavaScript modules', () => {
    it('finds every tf.layers call of the LeNet example in source order, with its factory, literal name and start', () => {
      const text = read(example('mnist-lenet.ts'));
      const d = detectModel(text, 'mnist-lenet.ts');
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
      const first = detectModel(text, 'x.ts')!.layers[0];
      const callEnd = at(text, "name: 'conv1' })");
      assert.deepEqual([first.endLine, first.endColumn], [callEnd.line, callEnd.column + "name: 'conv1' })".length]);
    });

    it('finds the calls inside a helper that the CIFAR example calls twice once each', () => {
      const text = read(example('cifar-cnn.ts'));
      const d = detectModel(text, 'cifar-cnn.ts');
      assert.equal(d?.isModel, true);
      assert.deepEqual(
        d?.layers.map((l) => l.factory),
        ['conv2d', 'conv2d', 'maxPooling2d', 'flatten', 'dense', 'dense'],
      );
      assert.ok(d?.layers.every((l) => l.name === undefined));
    });

    it('finds two definitions on one line, and a layer-only helper module that is not a model by itself', () => {
      const multi = detectFile(fixture('multiFile.ts'));
      const text = read(fixture('multiFile.ts'));
      assert.equal(multi?.isModel, true);
      assert.deepEqual(summary(multi?.layers), [
        ['flatten', undefined, at(text, 'tf.layers.flatten').line, at(text, 'tf.layers.flatten').column],
        ['dense', undefined, at(text, 'tf.layers.dense').line, at(text, 'tf.layers.dense').column],
        ['conv2d', undefined, at(text, 'tf.layers.conv2d').line, at(text, 'tf.layers.conv2d').column],
      ]);
      const blocks = detectFile(fixture('blocks.ts'));
      assert.equal(blocks?.isModel, false);
      assert.deepEqual(blocks?.layers.map((l) => l.factory), ['conv2d', 'maxPooling2d']);
    });

    it('reads a CommonJS functional model: tf.input, and a member chain broken across lines starts at its first line', () => {
      const text = read(fixture('functional.js'));
      const d = detectModel(text, 'functional.js');
      assert.equal(d?.isModel, true);
      assert.deepEqual(summary(d?.layers), [
        ['input', undefined, at(text, 'tf.input').line, at(text, 'tf.input').column],
        ['conv2d', undefined, at(text, 'tf.layers.conv2d').line, at(text, 'tf.layers.conv2d').column],
        ['flatten', undefined, at(text, 'tf.layers\n').line, at(text, 'tf.layers\n').column],
        ['dense', undefined, at(text, 'tf.layers.dense').line, at(text, 'tf.layers.dense').column],
      ]);
      const flatten = d!.layers[2];
      assert.equal(flatten.endLine, at(text, '.flatten()').line);
    });

    it('calls a file with a model factory but no layers (yet) a model, and a file without a factory nothing', () => {
      assert.deepEqual(detectFile(fixture('empty.ts')), { kind: 'module', isModel: true, layers: [] });
      assert.deepEqual(detectFile(fixture('throws.ts')), { kind: 'module', isModel: true, layers: [] });
      assert.equal(detectFile(fixture('syntaxError.ts'))?.isModel, true);
      assert.equal(detectFile(fixture('noFactory.ts')), undefined);
    });

    it('finds nothing in ordinary code, including code that reads model.layers', () => {
      assert.equal(detectModel('export const x = 1;\nfunction f() { return 2; }\n', 'a.ts'), undefined);
      const code = "import { LayersModel } from '@tensorflow/tfjs';\nexport function names(model: LayersModel) { return model.layers.map((l) => l.name); }\n";
      assert.equal(detectModel(code, 'a.ts'), undefined);
      assert.equal(detectModel('', 'a.ts'), undefined);
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
      const d = detectModel(code, 'm.ts');
      assert.deepEqual(summary(d?.layers), [['dense', 'real', 10, code.split('\n')[10].indexOf('tf.layers.dense')]]);
    });

    it('finds layer calls inside template substitutions, which are code', () => {
      const code = "import * as tf from '@tensorflow/tfjs';\nconst s = `layer: ${tf.layers.dense({ units: 1, name: `d${1}` }).name} and ${`${tf.layers.flatten().name}`}`;\n";
      const d = detectModel(code, 'm.ts');
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
      assert.deepEqual(summary(detectModel(open, 'a.ts')?.layers), [['dense', undefined, 2, 10]]);
      // An unterminated comment or template runs to the end of the file.
      assert.equal(detectModel("import * as tf from '@tensorflow/tfjs';\n/* never closed\ntf.layers.dense({});\n", 'a.ts'), undefined);
      assert.equal(detectModel("import * as tf from '@tensorflow/tfjs';\nconst t = `never closed\ntf.layers.dense({});\n", 'a.ts'), undefined);
      // An unclosed call is a definition that ends at its line.
      const unclosed = detectModel("import * as tf from '@tensorflow/tfjs';\nexport function createModel() { tf.layers.dense({ units: 1, name: 'x'", 'a.ts');
      assert.deepEqual(unclosed?.layers.map((l) => [l.factory, l.name, l.endLine]), [['dense', undefined, 1]]);
      for (const junk of ['`${', '`${`${', '/', "'", '"\\', '/*', 'tf.layers.', 'tf.layers.dense(', '}}}`', '${}', 'a ? .5 : b?.c', 'x = /[/]/.test(y) / 2']) {
        assert.doesNotThrow(() => detectModel(junk, 'junk.ts'));
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
        detectModel(code, 'a.ts')?.layers.map((l) => l.name),
        ['plain', 'quoted', 'template', undefined, undefined, undefined, undefined],
      );
    });

    it('follows the ways a module names TensorFlow.js: namespace, default, named and destructured imports', () => {
      const cases: [string, string[]][] = [
        ["import * as tfjs from '@tensorflow/tfjs-node';\ntfjs.layers.dense({ units: 1 });", ['dense']],
        ["import tfd from '@tensorflow/tfjs';\ntfd.layers.flatten();", ['flatten']],
        ["import { layers, input as inp, sequential } from '@tensorflow/tfjs';\nconst x = inp({ shape: [2] });\nlayers.dense({ units: 1 });", ['input', 'dense']],
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
        ["import * as tf from '@tensorflow/tfjs';\nclass X extends tf.layers.Layer {}\nnew tf.layers.Layer({});\nobj.tf.layers.dense({});", []],
        ["import type * as tf from '@tensorflow/tfjs';\nimport { layers } from '@tensorflow/tfjs';\nfoo.layers.dense({});", []],
      ];
      for (const [code, factories] of cases) {
        assert.deepEqual(detectModel(code, 'a.ts')?.layers.map((l) => l.factory) ?? [], factories, code);
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
      for (const code of models) assert.equal(detectModel(code, 'a.ts')?.isModel, true, code);
      const notModels = [
        'export default 42; // createModel is mentioned only here',
        'module.exports = function () { return 1; }; // no tfjs, no createModel export; layers',
        'const createModel = 1; export const other = createModel;',
        `${tfImport}export function build() { return tf.sequential(); }`,
      ];
      for (const code of notModels) assert.notEqual(detectModel(code, 'a.ts')?.isModel, true, code);
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
      const d = detectModel(parts.join('\n') + '\nexport const createModel = build;\n', 'big.ts');
      assert.equal(d?.isModel, true);
      // 7 layers per copy of the model, and modelLoader.ts's own `tf.input(` (a call, in a helper).
      assert.equal(d?.layers.length, (parts.length / 2) * 8);
    });
  });

  describe('model.json (TensorFlow.js layers format)', () => {
    it('lists the layers of modelTopology.config.layers at their "class_name" keys', () => {
      const path = example('model.json');
      const text = read(path);
      const d = detectModel(text, path);
      assert.equal(d?.kind, 'json');
      assert.equal(d?.isModel, true);
      const json = JSON.parse(text) as { modelTopology: { config: { layers: { class_name: string; config: { name: string } }[] } } };
      const entryLines = text.split('\n').flatMap((l, i) => (/^ {10}"class_name"/.test(l) ? [i] : []));
      assert.deepEqual(
        d?.layers.map((l) => [l.className, l.name, l.line, l.column]),
        json.modelTopology.config.layers.map((l, i) => [l.class_name, l.config.name, entryLines[i], 10]),
      );
      assert.deepEqual(detectFile(fixture('model.json'))?.layers.map((l) => l.name), ['conv_a', 'pool_a', 'flat', 'out']);
    });

    it('reads the Keras converter layout (model_config) and layer-level names of functional models', () => {
      const text = JSON.stringify(
        {
          modelTopology: {
            keras_version: '2',
            model_config: {
              class_name: 'Model',
              config: {
                name: 'm',
                layers: [
                  { class_name: 'InputLayer', name: 'in', config: { name: 'in' } },
                  { class_name: 'Dense', name: 'd', config: { units: 2, name: 'd', kernel_initializer: { class_name: 'Zeros', config: { name: 'nope' } } } },
                ],
              },
            },
          },
        },
        null,
        2,
      );
      assert.deepEqual(
        detectModel(text, 'model.json')?.layers.map((l) => [l.className, l.name]),
        [
          ['InputLayer', 'in'],
          ['Dense', 'd'],
        ],
      );
    });

    it('finds nothing in other JSON, and what it can in a truncated model.json', () => {
      assert.equal(detectModel(read(resolve(root, 'package.json')), 'package.json'), undefined);
      assert.equal(detectModel('{"modelTopologyX": 1}', 'a.json'), undefined);
      const text = read(example('model.json'));
      const cut = text.slice(0, text.indexOf('"pool2"'));
      assert.deepEqual(detectModel(cut, 'model.json')?.layers.map((l) => l.name), ['conv1', 'pool1', 'conv2']);
      for (const junk of ['{"modelTopology": {"config": {"layers": [{', '{"modelTopology"', '"modelTopology" ]]]}}}', '{"modelTopology": "\\']) {
        assert.doesNotThrow(() => detectModel(junk, 'model.json'));
      }
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
          const detected = detectFile(source.file)!.layers;
          const hit = detected.find((d) => d.line === source.line - 1 && d.column === source.column - 1);
          assert.ok(hit, `${layer.name} at ${source.file}:${source.line}:${source.column} is not a detected definition`);
          assert.equal(layerKindKey(hit.factory!), layerKindKey(layer.className), layer.name);
        }
      });
    }
  });
});

describe('layer sites: matching a run to the current text', () => {
  const rec = (index: number, name: string, className: string, line: number, column: number): RecordedLayer => ({ index, name, className, line, column });
  const lenetText = read(example('mnist-lenet.ts'));
  const lenet = detectModel(lenetText, 'mnist-lenet.ts')!.layers;
  // The run's layer table as the recorder writes it: index 0 is the input, then one per tf.layers call.
  const lenetRun = lenet.map((d, i) => rec(i + 1, d.name!, { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!, d.line, d.column));

  it('takes the recorded positions as they are when the file is unchanged', () => {
    const sites = layerSites(lenet, lenetRun);
    assert.deepEqual(
      sites.map((s) => [s.line, s.layers]),
      lenet.map((d, i) => [d.line, [i + 1]]),
    );
  });

  it('follows the layers when lines moved since the run, by name', () => {
    const edited = detectModel('// a new header\n// of two lines\n' + lenetText, 'x.ts')!.layers;
    const sites = layerSites(edited, lenetRun);
    assert.deepEqual(
      sites.map((s) => [s.line, s.layers]),
      lenet.map((d, i) => [d.line + 2, [i + 1]]),
    );
  });

  it('follows unnamed layers by order and kind, leaving a layer added since the run without a run layer', () => {
    const text = read(example('cifar-cnn.ts'));
    const before = detectModel(text, 'c.ts')!.layers;
    // The recorder's table: the helper's three calls made layers 1–3 and 4–6.
    const run = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((index) => {
      const d = before[[0, 1, 2, 0, 1, 2, 3, 4, 5][index - 1]];
      const cls = { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!;
      return rec(index, `${d.factory}_${index}`, cls, d.line, d.column);
    });
    assert.deepEqual(
      layerSites(before, run).map((s) => s.layers),
      [[1, 4], [2, 5], [3, 6], [7], [8], [9]],
    );
    // A dropout inserted before the flatten, and everything below moves down a line.
    const edited = text.replace('  model.add(tf.layers.flatten());', '  model.add(tf.layers.dropout({ rate: 0.5 }));\n  model.add(tf.layers.flatten());');
    const after = detectModel(edited, 'c.ts')!.layers;
    assert.deepEqual(
      layerSites(after, run).map((s) => [s.detected?.factory, s.layers]),
      [
        ['conv2d', [1, 4]],
        ['conv2d', [2, 5]],
        ['maxPooling2d', [3, 6]],
        ['dropout', []],
        ['flatten', [7]],
        ['dense', [8]],
        ['dense', [9]],
      ],
    );
  });

  it('does not take a recorded position that now holds another layer of the same kind', () => {
    // One line inserted above the helper: the recorded position of its second conv2d is now the
    // first conv2d's, but keeping the order puts every layer right.
    const text = read(example('cifar-cnn.ts'));
    const before = detectModel(text, 'c.ts')!.layers;
    const run = before.map((d, i) => rec(i + 1, `l${i}`, { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!, d.line, d.column));
    const after = detectModel(text.replace('function convBlock', '// a comment\nfunction convBlock'), 'c.ts')!.layers;
    assert.deepEqual(
      layerSites(after, run).map((s) => [s.line, s.layers]),
      before.map((d, i) => [d.line + 1, [i + 1]]),
    );
  });

  it('follows named layers that were reordered', () => {
    const swapped = lenetText.replace(/^(.*'dense1'.*)\n(.*'output'.*)$/m, '$2\n$1');
    const sites = layerSites(detectModel(swapped, 'x.ts')!.layers, lenetRun);
    assert.deepEqual(sites.slice(-2).map((s) => [s.detected?.name, s.layers]), [
      ['output', [7]],
      ['dense1', [6]],
    ]);
  });

  it('drops recorded layers whose definition was removed', () => {
    const edited = detectModel(lenetText.replace(/^.*'pool2'.*\n/m, ''), 'x.ts')!.layers;
    const sites = layerSites(edited, lenetRun);
    assert.deepEqual(
      sites.map((s) => s.layers),
      [[1], [2], [3], [5], [6], [7]],
    );
  });

  it('keeps a recorded layer the scanner did not see while the rest matches exactly (the file is unchanged)', () => {
    const missing = lenet.filter((d) => d.name !== 'pool2');
    const sites = layerSites(missing, lenetRun);
    assert.deepEqual(
      sites.map((s) => [s.line, s.layers, s.detected === undefined]),
      lenet.map((d, i) => [d.line, [i + 1], d.name === 'pool2']),
    );
    // With no static detection at all, the run's positions are all there is.
    assert.deepEqual(layerSites([], lenetRun).map((s) => s.line), lenet.map((d) => d.line));
  });

  it('trusts recorded positions when the caller knows the file is unchanged, on the same line if the column differs', () => {
    const shifted = lenetRun.map((r) => (r.name === 'conv2' ? { ...r, column: r.column + 4 } : r));
    const missing = lenet.filter((d) => d.name !== 'output');
    const sites = layerSites(missing, shifted, { fileUnchanged: true });
    assert.deepEqual(
      sites.map((s) => [s.line, s.column, s.layers, s.detected === undefined]),
      lenet.map((d, i) => [d.line, d.column, [i + 1], d.name === 'output']),
    );
  });

  it('drops the last layer once it is deleted, when the caller knows the file changed', () => {
    const edited = detectModel(lenetText.replace(/^.*'output'.*\n/m, ''), 'x.ts')!.layers;
    assert.deepEqual(
      layerSites(edited, lenetRun, { fileUnchanged: false }).map((s) => s.layers),
      [[1], [2], [3], [4], [5], [6]],
    );
  });

  it('matches model.json layers by name, whatever line the run recorded', () => {
    const path = example('model.json');
    const detected = detectFile(path)!.layers;
    // The recorded lines of a model.json are not the entries' own lines; names are exact.
    const run = detected.map((d, i) => rec(i + 1, d.name!, d.className!, d.line + 30, 14));
    assert.deepEqual(
      layerSites(detected, run).map((s) => [s.line, s.layers]),
      detected.map((d, i) => [d.line, [i + 1]]),
    );
  });

  it('gives the single tf.input call the run input layer, which the recorder does not locate', () => {
    const text = read(fixture('functional.js'));
    const detected = detectModel(text, 'f.js')!.layers;
    const run = detected.slice(1).map((d, i) => rec(i + 1, `l${i}`, { conv2d: 'Conv2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!, d.line, d.column));
    assert.deepEqual(
      layerSites(detected, run, { inputLayer: 0 }).map((s) => [s.detected?.factory, s.layers]),
      [
        ['input', [0]],
        ['conv2d', [1]],
        ['flatten', [2]],
        ['dense', [3]],
      ],
    );
    assert.deepEqual(layerSites(detected, run).map((s) => s.layers)[0], []);
  });

  it('reads the layers of one file from a manifest, 1-based positions made 0-based', () => {
    const layers = [
      { index: 0, name: 'input', className: 'Input' },
      { index: 1, name: 'a', className: 'Conv2D', source: { file: '/m/model.ts', line: 13, column: 13 } },
      { index: 2, name: 'b', className: 'Conv2D', source: { file: '/m/blocks.ts', line: 6, column: 5 } },
    ];
    assert.deepEqual(recordedInFile(layers, (p) => p === '/m/blocks.ts'), [rec(2, 'b', 'Conv2D', 5, 4)]);
  });

  it('compares factory and class names of the same kind of layer', () => {
    for (const [a, b] of [
      ['maxPooling2d', 'MaxPooling2D'],
      ['maxPool2d', 'MaxPooling2D'],
      ['globalAvgPool2d', 'GlobalAveragePooling2D'],
      ['avgPooling1d', 'AveragePooling1D'],
      ['conv2dTranspose', 'Conv2DTranspose'],
      ['batchNormalization', 'BatchNormalization'],
      ['input', 'InputLayer'],
      ['reLU', 'ReLU'],
    ]) {
      assert.equal(layerKindKey(a), layerKindKey(b), `${a} ~ ${b}`);
    }
    assert.notEqual(layerKindKey('dense'), layerKindKey('Conv2D'));
  });
});

describe('sites at a position', () => {
  const text = read(fixture('multiFile.ts'));
  const sites = layerSites(detectModel(text, 'm.ts')!.layers, []);
  const flatten = at(text, 'tf.layers.flatten');
  const dense = at(text, 'tf.layers.dense');

  it('is the definition whose call spans the position', () => {
    assert.deepEqual(sitesAt(sites, dense.line, dense.column + 20).map((s) => s.detected?.factory), ['dense']);
    assert.deepEqual(sitesAt(sites, flatten.line, flatten.column).map((s) => s.detected?.factory), ['flatten']);
  });

  it('is every definition of the line when the position is outside all of them', () => {
    assert.deepEqual(sitesAt(sites, flatten.line, 0).map((s) => s.detected?.factory), ['flatten', 'dense']);
    assert.deepEqual(sitesAt(sites, 0, 0), []);
  });

  it('is the inner definition of nested calls, and covers the lines of a multi-line call', () => {
    const code = "import * as tf from '@tensorflow/tfjs';\nconst t = tf.layers.timeDistributed({\n  layer: tf.layers.dense({ units: 2 }),\n});\n";
    const nested = layerSites(detectModel(code, 'n.ts')!.layers, []);
    assert.deepEqual(sitesAt(nested, 2, 12).map((s) => s.detected?.factory), ['dense']);
    assert.deepEqual(sitesAt(nested, 2, 1).map((s) => s.detected?.factory), ['timeDistributed']);
    assert.deepEqual(sitesAt(nested, 3, 0).map((s) => s.detected?.factory), ['timeDistributed']);
  });
});
