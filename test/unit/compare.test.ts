import assert from 'node:assert/strict';
import type { RunLayer, RunManifest } from '../../src/run/format';
import { alignEpochs, matchLayers, meanDefined, runColour, runLetter } from '../../webview/compare';

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

    it('names every run’s layer type where they differ, and the runs that have no layer there', function () {
      const m = matchLayers([
        manifest(['InputLayer', 'Conv2D', 'Dense']),
        manifest(['InputLayer', 'Dense']),
        manifest(['InputLayer', 'Conv2D']),
      ]);
      assert.deepEqual(
        m.map((x) => x.compared),
        [true, false, false],
      );
      assert.equal(m[1].difference, 'layer 1: conv2d in run A, dense in run B and conv2d in run C — not compared');
      assert.equal(m[2].difference, 'layer 2: dense in run A, no layer 2 in run B and no layer 2 in run C — not compared');
      assert.equal(m[2].layers[1], undefined);
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
