// Layer matching (src/extension/detection/layerMatching.ts): the layers of a recorded run placed
// on the definitions of the current text, following edits, and the definitions at a position.
import assert from 'node:assert/strict';
import { detectModel } from '../../../../src/extension/detection/detectModel';
import { layerKindKey, layerSites, recordedInFile, sitesAt, type RecordedLayer } from '../../../../src/extension/detection/layerMatching';
import { at, example, fixture, read } from '../../../support/modelSources';

describe('layer sites: matching a run to the current text', () => {
  const rec = (index: number, name: string, className: string, line: number, column: number): RecordedLayer => ({
    index,
    name,
    className,
    line,
    column,
  });
  const lenetText = read(example('mnist-lenet.ts'));
  const lenet = detectModel(lenetText, 'mnist-lenet.ts')!.layers;
  // The run's layer table as the recorder writes it: index 0 is the input, then one per tf.layers call.
  const lenetRun = lenet.map((d, i) =>
    rec(
      i + 1,
      d.name!,
      { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!,
      d.line,
      d.column,
    ),
  );

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
    const edited = text.replace(
      '  model.add(tf.layers.flatten());',
      '  model.add(tf.layers.dropout({ rate: 0.5 }));\n  model.add(tf.layers.flatten());',
    );
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
    const run = before.map((d, i) =>
      rec(
        i + 1,
        `l${i}`,
        { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!,
        d.line,
        d.column,
      ),
    );
    const after = detectModel(text.replace('function convBlock', '// a comment\nfunction convBlock'), 'c.ts')!.layers;
    assert.deepEqual(
      layerSites(after, run).map((s) => [s.line, s.layers]),
      before.map((d, i) => [d.line + 1, [i + 1]]),
    );
  });

  it('follows named layers that were reordered', () => {
    const swapped = lenetText.replace(/^(.*'dense1'.*)\n(.*'output'.*)$/m, '$2\n$1');
    const sites = layerSites(detectModel(swapped, 'x.ts')!.layers, lenetRun);
    assert.deepEqual(
      sites.slice(-2).map((s) => [s.detected?.name, s.layers]),
      [
        ['output', [7]],
        ['dense1', [6]],
      ],
    );
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
    assert.deepEqual(
      layerSites([], lenetRun).map((s) => s.line),
      lenet.map((d) => d.line),
    );
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
    const detected = detectModel(read(path), path)!.layers;
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
    const run = detected
      .slice(1)
      .map((d, i) => rec(i + 1, `l${i}`, { conv2d: 'Conv2D', flatten: 'Flatten', dense: 'Dense' }[d.factory!]!, d.line, d.column));
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
    assert.deepEqual(
      recordedInFile(layers, (p) => p === '/m/blocks.ts'),
      [rec(2, 'b', 'Conv2D', 5, 4)],
    );
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
    assert.deepEqual(
      sitesAt(sites, dense.line, dense.column + 20).map((s) => s.detected?.factory),
      ['dense'],
    );
    assert.deepEqual(
      sitesAt(sites, flatten.line, flatten.column).map((s) => s.detected?.factory),
      ['flatten'],
    );
  });

  it('is every definition of the line when the position is outside all of them', () => {
    assert.deepEqual(
      sitesAt(sites, flatten.line, 0).map((s) => s.detected?.factory),
      ['flatten', 'dense'],
    );
    assert.deepEqual(sitesAt(sites, 0, 0), []);
  });

  it('is the inner definition of nested calls, and covers the lines of a multi-line call', () => {
    const code =
      "import * as tf from '@tensorflow/tfjs';\nconst t = tf.layers.timeDistributed({\n  layer: tf.layers.dense({ units: 2 }),\n});\n";
    const nested = layerSites(detectModel(code, 'n.ts')!.layers, []);
    assert.deepEqual(
      sitesAt(nested, 2, 12).map((s) => s.detected?.factory),
      ['dense'],
    );
    assert.deepEqual(
      sitesAt(nested, 2, 1).map((s) => s.detected?.factory),
      ['timeDistributed'],
    );
    assert.deepEqual(
      sitesAt(nested, 3, 0).map((s) => s.detected?.factory),
      ['timeDistributed'],
    );
  });
});

describe('layer sites after an edit: kind, chain position and units, never generated names', () => {
  // A hand-written model recorded with auto-generated names, so names cannot tell its layers apart after an edit.
  const original = [
    "import * as tf from '@tensorflow/tfjs';",
    'export function createModel() {',
    '  const model = tf.sequential();',
    '  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3 }));',
    '  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));',
    '  model.add(tf.layers.flatten());',
    "  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));",
    '  return model;',
    '}',
    '',
  ].join('\n');
  const classOf: Record<string, string> = { conv2d: 'Conv2D', maxPooling2d: 'MaxPooling2D', flatten: 'Flatten', dense: 'Dense' };
  /** The run the recorder writes for `text`: generated names, the last dimension of each layer's output. */
  const recordRun = (text: string, units: number[]): RecordedLayer[] =>
    detectModel(text, 'm.ts')!.layers.map((d, i) => ({
      index: i + 1,
      name: `${d.factory}_${classOf[d.factory!]}${i + 1}`,
      className: classOf[d.factory!],
      units: units[i],
      line: d.line,
      column: d.column,
    }));
  const run = recordRun(original, [8, 8, 1352, 10]);
  const layersOfLine = (text: string, rec: RecordedLayer[] = run) =>
    layerSites(detectModel(text, 'm.ts')!.layers, rec).map((s) => [s.detected?.factory, s.layers]);

  it('reads literal units and filters as the last output dimension of a definition', () => {
    assert.deepEqual(
      detectModel(original, 'm.ts')!.layers.map((d) => d.units),
      [8, undefined, undefined, 10],
    );
  });

  it("takes a recorded layer's units from the last dimension of its output, not from its channels", () => {
    // The run records a dense layer of 10 units as one channel of 10 values.
    const runLayer = {
      index: 4,
      name: 'dense_Dense1',
      className: 'Dense',
      outputShape: [10],
      channels: 1,
      source: { file: 'm.ts', line: 7, column: 13 },
    };
    const [dense] = recordedInFile([runLayer], () => true);
    assert.equal(dense.units, 10);
  });

  it("takes a channels-first convolution's filters from the first dimension of its output", () => {
    const runLayer = {
      index: 1,
      name: 'conv1',
      className: 'Conv2D',
      outputShape: [48, 9, 9],
      channels: 48,
      dataFormat: 'channelsFirst' as const,
      source: { file: 'm.ts', line: 7, column: 13 },
    };
    const [conv] = recordedInFile([runLayer], () => true);
    assert.equal(conv.units, 48);
  });

  it('leaves a dense({units: 32}) inserted before the output layer without a run layer, and keeps the output layer on its own line', () => {
    // The new line takes the recorded output line's position, so matching by line alone would move the output's numbers onto it.
    const edited = original.replace(
      '  model.add(tf.layers.dense({ units: 10',
      "  model.add(tf.layers.dense({ units: 32, activation: 'relu' }));\n  model.add(tf.layers.dense({ units: 10",
    );
    const sites = layerSites(detectModel(edited, 'm.ts')!.layers, run);
    const newLine = at(edited, 'tf.layers.dense({ units: 32');
    const output = at(edited, 'tf.layers.dense({ units: 10');
    assert.deepEqual(sites.find((s) => s.line === newLine.line)?.layers, []);
    assert.deepEqual(sites.find((s) => s.line === output.line)?.layers, [4]);
    assert.deepEqual(
      sites.map((s) => s.layers),
      [[1], [2], [3], [], [4]],
    );
  });

  it('drops the run layer of a deleted definition and keeps the others on theirs', () => {
    const edited = original.replace('  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));\n', '');
    assert.deepEqual(layersOfLine(edited), [
      ['conv2d', [1]],
      ['flatten', [3]],
      ['dense', [4]],
    ]);
  });

  it('follows reordered layers of one kind by their units', () => {
    const two = original.replace(
      '  model.add(tf.layers.flatten());',
      "  model.add(tf.layers.flatten());\n  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));",
    );
    const twoRun = recordRun(two, [8, 8, 1352, 64, 10]);
    // The two dense layers swapped lines: units say which is which.
    const swapped = two
      .replace("  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));\n", '')
      .replace(
        "  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));",
        "  model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));\n  model.add(tf.layers.dense({ units: 64, activation: 'relu' }));",
      );
    const sites = layerSites(detectModel(swapped, 'm.ts')!.layers, twoRun);
    assert.deepEqual(sites.find((s) => s.line === at(swapped, 'units: 10').line)?.layers, [5]);
    // The 64-unit layer now comes after the output in the chain: order cannot place both, so it
    // is not recorded in this order yet rather than given the output layer's numbers.
    assert.notDeepEqual(sites.find((s) => s.line === at(swapped, 'units: 64').line)?.layers, [5]);
  });

  it('follows a layer the user named, wherever it moved, and leaves a newly named one unrecorded', () => {
    const named = original.replace(
      "dense({ units: 10, activation: 'softmax' })",
      "dense({ units: 10, activation: 'softmax', name: 'logits' })",
    );
    const namedRun = recordRun(named, [8, 8, 1352, 10]).map((r) => (r.className === 'Dense' ? { ...r, name: 'logits' } : r));
    // Renamed in the source since the run: the old name is nowhere, so kind, order and units place it.
    const renamed = named.replace("name: 'logits'", "name: 'scores'");
    assert.deepEqual(layersOfLine(renamed, namedRun), [
      ['conv2d', [1]],
      ['maxPooling2d', [2]],
      ['flatten', [3]],
      ['dense', [4]],
    ]);
    // A named layer moved above an inserted one keeps its run layer by name.
    const moved = named.replace(
      '  model.add(tf.layers.flatten());',
      "  model.add(tf.layers.flatten());\n  model.add(tf.layers.dense({ units: 10, name: 'extra' }));",
    );
    const sites = layerSites(detectModel(moved, 'm.ts')!.layers, namedRun);
    assert.deepEqual(sites.find((s) => s.line === at(moved, "name: 'logits'").line)?.layers, [4]);
    assert.deepEqual(sites.find((s) => s.line === at(moved, "name: 'extra'").line)?.layers, []);
  });
});
