// The model.json scan (src/extension/detection/modelJson.ts): the layers of a TensorFlow.js
// layers-format model.json, each at its entry's position, read with jsonc-parser so that a file
// being edited still shows what it can.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { scanModelJson } from '../../../../src/extension/detection/modelJson';
import { example, fixture, read, root } from '../../../support/modelSources';

describe('model.json scan (TensorFlow.js layers format)', () => {
  it('lists the layers of modelTopology.config.layers at their "class_name" keys', () => {
    const path = example('model.json');
    const text = read(path);
    const d = scanModelJson(text);
    assert.equal(d?.kind, 'json');
    assert.equal(d?.isModel, true);
    const json = JSON.parse(text) as { modelTopology: { config: { layers: { class_name: string; config: { name: string } }[] } } };
    const entryLines = text.split('\n').flatMap((l, i) => (/^ {10}"class_name"/.test(l) ? [i] : []));
    assert.deepEqual(
      d?.layers.map((l) => [l.className, l.name, l.line, l.column]),
      json.modelTopology.config.layers.map((l, i) => [l.class_name, l.config.name, entryLines[i], 10]),
    );
    assert.deepEqual(
      scanModelJson(read(fixture('model.json')))?.layers.map((l) => l.name),
      ['conv_a', 'pool_a', 'flat', 'out'],
    );
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
                {
                  class_name: 'Dense',
                  name: 'd',
                  config: { units: 2, name: 'd', kernel_initializer: { class_name: 'Zeros', config: { name: 'nope' } } },
                },
              ],
            },
          },
        },
      },
      null,
      2,
    );
    assert.deepEqual(
      scanModelJson(text)?.layers.map((l) => [l.className, l.name]),
      [
        ['InputLayer', 'in'],
        ['Dense', 'd'],
      ],
    );
  });

  it('finds nothing in other JSON, and what it can in a truncated model.json', () => {
    assert.equal(scanModelJson(read(resolve(root, 'package.json'))), undefined);
    assert.equal(scanModelJson('{"modelTopologyX": 1}'), undefined);
    const text = read(example('model.json'));
    const cut = text.slice(0, text.indexOf('"pool2"'));
    assert.deepEqual(
      scanModelJson(cut)?.layers.map((l) => l.name),
      ['conv1', 'pool1', 'conv2'],
    );
    for (const junk of [
      '{"modelTopology": {"config": {"layers": [{',
      '{"modelTopology"',
      '"modelTopology" ]]]}}}',
      '{"modelTopology": "\\',
    ]) {
      assert.doesNotThrow(() => scanModelJson(junk));
    }
  });
  it('ends each entry after its closing brace', () => {
    const text = '{\n  "modelTopology": {"config": {"layers": [\n    {"class_name": "Dense", "config": {"name": "d"}}\n  ]}}\n}\n';
    const [d] = scanModelJson(text)!.layers;
    const line = text.split('\n')[2];
    assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [2, line.indexOf('"class_name"'), 2, line.lastIndexOf('}') + 1]);
  });

  it('reads an old Sequential\'s config array, and locates an entry without "class_name" at its brace', () => {
    const text =
      '{"modelTopology": {"class_name": "Sequential", "config": [\n  {"config": {"name": "a"}},\n  {"class_name": "Dense", "config": {"name": "b"}}\n]}}';
    assert.deepEqual(
      scanModelJson(text)?.layers.map((l) => [l.className, l.name, l.line, l.column]),
      [
        [undefined, 'a', 1, 2],
        ['Dense', 'b', 2, 3],
      ],
    );
  });

  it('tolerates what an editor holds while the user types: comments, trailing commas, a broken value', () => {
    const text = [
      '{',
      '  // converted by hand',
      '  "modelTopology": {"config": {"layers": [',
      '    {"class_name": "Conv2D", "config": {"name": "c", "filters": 8,}},',
      '    {"class_name": "Flatten", "config": {"name": "f", "oops": }},',
      '    {"class_name": "Dense", "config": {"name": "d"}},',
      '  ]}},',
      '}',
    ].join('\n');
    assert.deepEqual(
      scanModelJson(text)?.layers.map((l) => [l.name, l.line]),
      [
        ['c', 3],
        ['f', 4],
        ['d', 5],
      ],
    );
  });

  it("reads string escapes in names, and does not take names of nested objects for the layer's", () => {
    const text = JSON.stringify({
      modelTopology: {
        config: {
          layers: [{ class_name: 'Dense', config: { kernel_initializer: { config: { name: 'nope' } }, name: 'say "hi" \\u00e9' } }],
        },
      },
    });
    assert.deepEqual(
      scanModelJson(text)?.layers.map((l) => l.name),
      ['say "hi" \\u00e9'],
    );
  });
});
