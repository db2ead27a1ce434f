import assert from 'node:assert/strict';
import type { RunLayer, RunManifest } from '../../../src/contract/runFormat';
import { matchLayers, matchName, positionOfLayer } from '../../../webview/compare';
import { alignRuns } from '../../../webview/layerAlignment';

type Spec = [className: string, shape: number[], name?: string];

/** A run's layers: tfjs's generated names (`conv2d_Conv2D2`) unless a spec names its layer. */
function run(specs: Spec[]): RunManifest {
  const counts = new Map<string, number>();
  const layers: RunLayer[] = specs.map(([className, outputShape, name], index) => {
    const n = (counts.get(className) ?? 0) + 1;
    counts.set(className, n);
    return {
      index,
      name: name ?? (index === 0 ? 'input1' : `${className.toLowerCase()}_${className}${n}`),
      className,
      outputShape,
      channels: 1,
      parameters: 0,
    };
  });
  return { layers } as unknown as RunManifest;
}

/** The example LeNet, each layer named by the user unless `unnamed`. */
function lenet(unnamed = false, insertConv1b = false): Spec[] {
  const specs: Spec[] = [
    ['InputLayer', [28, 28, 1], 'input1'],
    ['Conv2D', [24, 24, 8], 'conv1'],
    ['MaxPooling2D', [12, 12, 8], 'pool1'],
    ...(insertConv1b ? [['Conv2D', [12, 12, 16], 'conv1b'] as Spec] : []),
    ['Conv2D', [8, 8, 16], 'conv2'],
    ['MaxPooling2D', [4, 4, 16], 'pool2'],
    ['Flatten', [256], 'flatten'],
    ['Dense', [10], 'output'],
  ];
  return unnamed ? specs.map(([c, s, n]) => (n === 'input1' ? [c, s, n] : [c, s])) : specs;
}

/** Each row as "A's name / B's name" with — where a run has no layer there. */
function rows(manifests: RunManifest[]): string[] {
  return alignRuns(manifests.map((m) => m.layers)).map((row) =>
    row.map((i, r) => (i === undefined ? '—' : manifests[r].layers[i].name)).join(' / '),
  );
}

describe('webview/layerAlignment: which layers of two runs are the same layer', function () {
  it('pairs an inserted named layer with nothing, and every other layer with its namesake', function () {
    const m = matchLayers([run(lenet()), run(lenet(false, true))]);
    assert.deepEqual(
      m.map((x) => matchName(x)),
      ['input', 'conv1', 'pool1', '— / conv1b', 'conv2', 'pool2', 'flatten', 'output'],
    );
    assert.deepEqual(m[4].indices, [3, 4], 'conv2 is A’s layer 3 and B’s layer 4');
    assert.equal(m[3].compared, false);
    assert.equal(m[3].difference, 'conv1b (Conv2D, 12×12×16) only in B — not compared');
    assert.ok(m.filter((x) => x.index !== 3).every((x) => x.compared && x.shapeNote === undefined));
  });

  it('pairs an inserted unnamed layer with nothing: the old layer keeps its pair by type and shape', function () {
    const a = run(lenet(true));
    const b = run(lenet(true, true));
    assert.deepEqual(rows([a, b]), [
      'input1 / input1',
      'conv2d_Conv2D1 / conv2d_Conv2D1',
      'maxpooling2d_MaxPooling2D1 / maxpooling2d_MaxPooling2D1',
      '— / conv2d_Conv2D2',
      'conv2d_Conv2D2 / conv2d_Conv2D3',
      'maxpooling2d_MaxPooling2D2 / maxpooling2d_MaxPooling2D2',
      'flatten_Flatten1 / flatten_Flatten1',
      'dense_Dense1 / dense_Dense1',
    ]);
    const m = matchLayers([a, b]);
    // One label a row: the layers are numbered by the comparison's rows, so "conv2" is not also A's second conv.
    assert.equal(matchName(m[3]), '— / conv2');
    assert.equal(matchName(m[4]), 'conv3', 'the row of A’s conv2 and B’s conv3 has a label of its own');
  });

  it('pairs a removed layer with nothing ("only in A")', function () {
    const m = matchLayers([run(lenet(false, true)), run(lenet())]);
    assert.equal(m[3].difference, 'conv1b (Conv2D, 12×12×16) only in A — not compared');
    assert.equal(m.length, 8);
  });

  it('pairs a renamed layer by type, shape and order', function () {
    const b = lenet();
    b[3] = ['Conv2D', [8, 8, 16], 'features'];
    const m = matchLayers([run(lenet()), run(b)]);
    assert.equal(m.length, 7);
    assert.equal(matchName(m[3]), 'conv2 / features');
    assert.ok(m.every((x) => x.compared));
  });

  it('follows named layers that swapped places, and says the others are only in one run', function () {
    // B swaps two dense layers of one shape: the names, not the order, pair them.
    const a = run([
      ['InputLayer', [4], 'input1'],
      ['Dense', [8], 'hidden'],
      ['Dense', [8], 'extra'],
      ['Dense', [2], 'out'],
    ]);
    const b = run([
      ['InputLayer', [4], 'input1'],
      ['Dense', [8], 'extra'],
      ['Dense', [8], 'hidden'],
      ['Dense', [2], 'out'],
    ]);
    const m = matchLayers([a, b]);
    for (const x of m) if (x.compared) assert.equal(x.names[0], x.names[1], `row ${x.index} pairs ${x.names.join(' with ')}`);
    assert.equal(m.filter((x) => !x.compared).length, 2, 'one of the swapped layers is said to be only in each run');
  });

  it('never pairs layers of different types, and says when paired layers differ in shape', function () {
    const a = run([
      ['InputLayer', [8], 'input1'],
      ['Dense', [16]],
      ['Dense', [4]],
    ]);
    const b = run([
      ['InputLayer', [8], 'input1'],
      ['Dropout', [8]],
      ['Dense', [32]],
      ['Dense', [4]],
    ]);
    const m = matchLayers([a, b]);
    assert.deepEqual(
      m.map((x) => x.layers.map((l) => l?.className ?? '—').join(' / ')),
      ['InputLayer / InputLayer', '— / Dropout', 'Dense / Dense', 'Dense / Dense'],
    );
    assert.equal(m[2].shapeNote, 'output 16 in A, 32 in B');
    assert.equal(m[3].shapeNote, undefined);
  });

  it('finds the row of the cursor’s layer in the newest run, not at its index in the older one', function () {
    const m = matchLayers([run(lenet()), run(lenet(false, true))]);
    assert.equal(positionOfLayer(m, 4, 'Conv2D'), 4, 'B’s layer 4 is conv2, row 4');
    assert.equal(positionOfLayer(m, 3, 'Conv2D'), 3, 'B’s layer 3 is conv1b, its own row');
    assert.equal(positionOfLayer(m, 3, 'Dense'), undefined);
  });

  it('pairs a PyTorch run’s layers with a TensorFlow.js run’s of the same architecture: by name, the class they compute and the shape channels last', function () {
    // The two LeNet demos as they record: PyTorch's channels-first Conv2d / MaxPool2d / Linear and
    // functional relu layers; tfjs's channels-last Conv2D / MaxPooling2D / Flatten / Dense.
    const torch = run([
      ['InputLayer', [1, 28, 28], 'input'],
      ['Conv2d', [8, 24, 24], 'conv1'],
      ['relu', [8, 24, 24], 'relu'],
      ['MaxPool2d', [8, 12, 12], 'pool1'],
      ['Conv2d', [16, 8, 8], 'conv2'],
      ['relu', [16, 8, 8], 'relu-2'],
      ['MaxPool2d', [16, 4, 4], 'pool2'],
      ['Linear', [64], 'dense1'],
      ['relu', [64], 'relu-3'],
      ['Linear', [10], 'output'],
    ]);
    for (const l of torch.layers) if (l.outputShape.length === 3) l.dataFormat = 'channelsFirst';
    // tfjs records its input placeholder as `Input`, the PyTorch recorder as `InputLayer`.
    const tfjs = run([
      ['Input', [28, 28, 1], 'input1'],
      ['Conv2D', [24, 24, 8], 'conv1'],
      ['MaxPooling2D', [12, 12, 8], 'pool1'],
      ['Conv2D', [8, 8, 16], 'conv2'],
      ['MaxPooling2D', [4, 4, 16], 'pool2'],
      ['Flatten', [256], 'flatten'],
      ['Dense', [64], 'dense1'],
      ['Dense', [10], 'output'],
    ]);
    const m = matchLayers([torch, tfjs]);
    assert.deepEqual(
      m.filter((x) => x.compared).map((x) => x.layers.map((l) => l?.name).join(' / ')),
      ['input / input1', 'conv1 / conv1', 'pool1 / pool1', 'conv2 / conv2', 'pool2 / pool2', 'dense1 / dense1', 'output / output'],
    );
    // The same shapes in the two layouts: no note.
    assert.deepEqual(
      m.filter((x) => x.shapeNote).map((x) => x.shapeNote),
      [],
    );
    assert.deepEqual(
      m.filter((x) => !x.compared).map((x) => x.layers.map((l) => l?.name ?? '—').join(' / ')),
      ['relu / —', 'relu-2 / —', '— / flatten', 'relu-3 / —'],
    );
  });
});
