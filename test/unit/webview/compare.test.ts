import assert from 'node:assert/strict';
import type { RunLayer, RunManifest } from '../../../src/contract/runFormat';
import {
  alignEpochs,
  comparableEpochs,
  epochForRun,
  matchLayers,
  matchName,
  meanDefined,
  positionOfLayer,
  runColour,
  runLabel,
  runLetter,
} from '../../../webview/compare';

/** A manifest with just the layers the matching reads. */
function manifest(classNames: string[]): RunManifest {
  const layers: RunLayer[] = classNames.map((className, index) => ({
    index,
    name: `${className.toLowerCase()}_${index}`,
    className,
    outputShape: [1],
    channels: 1,
    parameters: 0,
  }));
  return { layers } as unknown as RunManifest;
}

describe('webview/compare', function () {
  it('names a run in the legend by its letter, model and the name VS Code gives it, else its id', function () {
    const m = { id: '20261123-132501-mnist-lenet', model: { name: 'mnist-lenet.ts' } } as unknown as RunManifest;
    assert.equal(runLabel(m, 1, '#2'), 'B: mnist-lenet.ts #2');
    assert.equal(runLabel(m, 0), 'A: mnist-lenet.ts (20261123-132501-mnist-lenet)');
  });

  it('marks a control run in the legend with its spec', function () {
    const m = { id: 'c', model: { name: 'mnist-lenet.ts' }, control: { spec: 'border:1' } } as unknown as RunManifest;
    assert.equal(runLabel(m, 1, '#3'), 'B: mnist-lenet.ts #3 · control border:1');
  });

  describe('matchLayers', function () {
    it('compares layers of the same type at the same position, whatever their names', function () {
      const a = manifest(['InputLayer', 'Conv2D', 'Dense']);
      const b = manifest(['InputLayer', 'Conv2D', 'Dense']);
      b.layers[1].name = 'another_name';
      const m = matchLayers([a, b]);
      assert.deepEqual(
        m.map((x) => x.compared),
        [true, true, true],
      );
      assert.equal(m[1].difference, undefined);
    });

    it('names each position by its short layer name, and by both runs’ names where they differ', function () {
      const a = manifest(['InputLayer', 'Conv2D', 'Dense']);
      const b = manifest(['InputLayer', 'Conv2D', 'Dense']);
      a.layers[1].name = 'conv2d_Conv2D1';
      b.layers[1].name = 'conv2d_Conv2D7';
      b.layers[2].name = 'classifier';
      const m = matchLayers([a, b, manifest(['InputLayer'])]);
      assert.deepEqual(m[1].names, ['conv1', 'conv1', undefined]);
      assert.equal(matchName(m[0]), 'input');
      assert.equal(matchName(m[1]), 'conv1 / conv1 / —', 'generated tfjs names are shortened alike; the run without the layer says so');
      assert.equal(matchName(matchLayers([a, b])[1]), 'conv1', 'one name where every run has the layer and calls it the same');
      assert.equal(matchName(m[2]), 'dense1 / classifier / —');
    });

    it('never shows one label for two different layers of an unnamed model recorded twice', function () {
      // B has a conv layer more than A: per run, "conv2" is A's second conv and B's extra one.
      const a = manifest(['InputLayer', 'Conv2D', 'Conv2D', 'Dense']);
      const b = manifest(['InputLayer', 'Conv2D', 'Conv2D', 'Conv2D', 'Dense']);
      a.layers.forEach((l) => (l.name = `${l.className.toLowerCase()}_${l.className}${l.index}`));
      b.layers.forEach((l) => (l.name = `${l.className.toLowerCase()}_${l.className}${l.index}`));
      b.layers[2].outputShape = [7];
      const m = matchLayers([a, b]);
      const rowsOf = new Map<string, Set<number>>();
      for (const row of m) for (const name of row.names) if (name) rowsOf.set(name, (rowsOf.get(name) ?? new Set()).add(row.index));
      for (const [name, rows] of rowsOf) assert.equal(rows.size, 1, `${name} names the layers of rows ${[...rows].join(', ')}`);
      const labels = m.map(matchName);
      assert.equal(new Set(labels).size, labels.length, labels.join(', '));
      assert.deepEqual(labels, ['input', 'conv1', '— / conv2', 'conv3', 'dense1']);
      assert.deepEqual(m[2].names, [undefined, 'conv2'], 'the layer only B has');
      assert.deepEqual(m[3].names, ['conv3', 'conv3'], "A's second conv is named by its row");
    });

    it("keeps the user's names in a comparison, and numbers the generated layers around them", function () {
      const a = manifest(['InputLayer', 'Conv2D', 'Conv2D']);
      const b = manifest(['InputLayer', 'Conv2D', 'Conv2D']);
      a.layers[1].name = 'conv2';
      b.layers[1].name = 'conv2';
      a.layers[2].name = 'conv2d_Conv2D1';
      b.layers[2].name = 'conv2d_Conv2D1';
      const m = matchLayers([a, b]);
      assert.deepEqual(m.map(matchName), ['input', 'conv2', 'conv3']);
    });

    it('says which runs have a layer no other run matches, by its name, type and shape', function () {
      const m = matchLayers([
        manifest(['InputLayer', 'Conv2D', 'Dense']),
        manifest(['InputLayer', 'Dense']),
        manifest(['InputLayer', 'Conv2D']),
      ]);
      assert.deepEqual(
        m.map((x) => x.compared),
        [true, false, false],
      );
      assert.equal(m[1].difference, 'conv1 (Conv2D, 1) only in A and C — not compared');
      assert.equal(m[2].difference, 'dense1 (Dense, 1) only in A and B — not compared');
      assert.deepEqual(m[2].indices, [2, 1, undefined]);
      assert.equal(m[2].layers[2], undefined);
    });
  });

  it('places each run’s values on the union of the epochs, null where a run has no epoch', function () {
    const r = alignEpochs([
      { epochs: [0, 2, 4], values: [1, 2, null] },
      { epochs: [0, 1, 2], values: [5, 6, 7] },
    ]);
    assert.deepEqual(r.epochs, [0, 1, 2, 4]);
    assert.deepEqual(r.values, [
      [1, null, 2, null],
      [5, 6, 7, null],
    ]);
  });

  it('averages only defined values, and says undefined when none is (never 0)', function () {
    assert.equal(meanDefined([1, null, 3]), 2);
    assert.equal(meanDefined([null, null]), undefined);
    assert.equal(meanDefined([]), undefined);
  });

  it('gives runs distinct letters and colours', function () {
    assert.deepEqual([0, 1, 25, 26, 27].map(runLetter), ['A', 'B', 'Z', 'AA', 'AB']);
    assert.notEqual(runColour(0), runColour(1));
  });
});

describe('webview/compare: the epoch compared and the cursor’s layer', function () {
  it('reads each run at its last epoch, or at the epoch picked, or its latest epoch before it', function () {
    assert.equal(epochForRun([0, 1, 2, 3], 'last'), 3);
    assert.equal(epochForRun([0, 1, 2, 3], 1), 1);
    assert.equal(epochForRun([0, 2, 4], 3), 2, 'a run recording every other epoch');
    assert.equal(epochForRun([0, 1], 5), 1, 'a run that stopped earlier');
    assert.equal(epochForRun([2, 3], 1), undefined, 'no epoch at or before the one picked');
    assert.equal(epochForRun([], 'last'), undefined);
  });

  it('offers every epoch any run recorded', function () {
    assert.deepEqual(comparableEpochs([{ epochs: [0, 1, 2] }, { epochs: [0, 2, 4] }]), [0, 1, 2, 4]);
  });

  it('places the cursor’s layer (of the newest run) on its row, by index and type in that run', function () {
    const a = manifest(['InputLayer', 'Conv2D', 'MaxPooling2D', 'Dense']);
    const b = manifest(['InputLayer', 'Conv2D', 'Dense']);
    // The same name at another position must not attract the selection.
    b.layers[2].name = a.layers[1].name;
    const m = matchLayers([a, b]);
    assert.equal(positionOfLayer(m, 1, 'Conv2D'), 1);
    assert.equal(positionOfLayer(m, 2, 'MaxPooling2D'), 2, 'a layer only an older run has is still shown');
    assert.equal(positionOfLayer(m, 2, 'Dense'), 3, 'B’s layer 2 is its dense layer, on the row it shares with A’s layer 3');
    assert.equal(positionOfLayer(m, 2, 'Flatten'), undefined, 'no run has that type there');
    assert.equal(positionOfLayer(m, 7, 'Dense'), undefined, 'beyond every run');
    assert.equal(positionOfLayer(m, 1, undefined), 1);
    assert.equal(positionOfLayer(m, 2, undefined), 3, 'without a type, the newest run’s layer of that index');
  });
});
