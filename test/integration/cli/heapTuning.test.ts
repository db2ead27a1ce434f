import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MEASURE_HEAP_FLAG } from '../../../src/cli/heapTuning';

// heapTuning.ts sets a V8 flag at run time, where V8 ignores a name it does not know: this Node
// must know it, or `measure` would silently run with the default growth (docs/native-engine.md).
describe('heapTuning: the V8 flag of cnn-slicer measure', () => {
  it('is a flag this Node and its V8 accept', () => {
    const r = spawnSync(process.execPath, [MEASURE_HEAP_FLAG, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ok');
    assert.equal(r.stderr, '');
    const unknown = spawnSync(process.execPath, ['--heap-growing-percent-of-nothing=3', '-e', '0'], { encoding: 'utf8' });
    assert.notEqual(unknown.status, 0, 'an unknown flag is refused, so the check above can fail');
  });
});
