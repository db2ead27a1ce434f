import assert from 'node:assert/strict';
import { MEASURE_HEAP_FLAG, tuneHeap, wantsHeapTuning } from '../../../src/cli/heapTuning';

describe('heapTuning: V8 heap growth for cnn-slicer measure', () => {
  it('is wanted by measure (with or without --verbose first) and by no other command', () => {
    assert.equal(wantsHeapTuning(['measure', 'run'], [], {}), true);
    assert.equal(wantsHeapTuning(['--verbose', 'measure', 'run', '--follow'], [], {}), true);
    for (const command of ['report', 'query', 'findings', 'record', 'runs', 'demo'])
      assert.equal(wantsHeapTuning([command, 'x'], [], {}), false, command);
    assert.equal(wantsHeapTuning([], [], {}), false);
  });

  it("leaves a user's own heap growth as it is, given as a flag or in NODE_OPTIONS", () => {
    assert.equal(wantsHeapTuning(['measure', 'run'], ['--heap-growing-percent=50'], {}), false);
    assert.equal(wantsHeapTuning(['measure', 'run'], ['--heap_growing_percent=50'], {}), false);
    assert.equal(wantsHeapTuning(['measure', 'run'], [], { NODE_OPTIONS: '--max-old-space-size=4096 --heap-growing-percent=80' }), false);
    assert.equal(wantsHeapTuning(['measure', 'run'], ['--max-old-space-size=4096'], { NODE_OPTIONS: '--enable-source-maps' }), true);
  });

  it('sets the one flag for measure only', () => {
    const set: string[] = [];
    const measureArgs = ['measure', 'run'];
    // The process's own flags decide too: under mocha there is no heap flag among them.
    assert.equal(
      tuneHeap(measureArgs, (f) => set.push(f)),
      wantsHeapTuning(measureArgs),
    );
    assert.equal(
      tuneHeap(['report', 'run'], (f) => set.push(f)),
      false,
    );
    assert.deepEqual(set, wantsHeapTuning(measureArgs) ? [MEASURE_HEAP_FLAG] : []);
    assert.equal(MEASURE_HEAP_FLAG, '--heap-growing-percent=300');
  });
});
