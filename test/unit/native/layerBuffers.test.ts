import assert from 'node:assert/strict';
import { largestLayerBytes, LayerBuffers } from '../../../src/native/layerBuffers';

describe('the arrays a pass writes its layers into (layerBuffers.ts)', () => {
  it('an array given back is the next one taken of its length; another length gets a new array', () => {
    const buffers = new LayerBuffers(1 << 20);
    const a = buffers.take(100);
    assert.equal(a.length, 100);
    buffers.give(a);
    assert.equal(buffers.bytesFree, 400);
    assert.notEqual(buffers.take(50), a);
    assert.equal(buffers.take(100), a);
    assert.equal(buffers.reused, 1);
    assert.equal(buffers.bytesFree, 0);
  });

  it('ignores arrays it did not give, and an array given twice', () => {
    const buffers = new LayerBuffers(1 << 20);
    buffers.give(new Float32Array(100));
    assert.equal(buffers.bytesFree, 0);
    const a = buffers.take(100);
    buffers.give(a);
    buffers.give(a);
    assert.equal(buffers.bytesFree, 400);
    assert.equal(buffers.take(100), a);
    assert.notEqual(buffers.take(100), a, 'given once, taken once');
  });

  it('an array the pass still reads is free only once the pass lets it go, whichever comes first', () => {
    const buffers = new LayerBuffers(1 << 20);
    const a = buffers.take(10);
    buffers.hold(a);
    buffers.give(a);
    assert.equal(buffers.bytesFree, 0, 'given back while held: not free yet');
    assert.notEqual(buffers.take(10), a);
    buffers.release(a);
    assert.equal(buffers.take(10), a);
    const b = buffers.take(10);
    buffers.hold(b);
    buffers.release(b);
    assert.equal(buffers.bytesFree, 0, 'released, not given back: its reader still has it');
    buffers.give(b);
    assert.equal(buffers.take(10), b);
  });

  it('keeps at most maxFreeBytes free (the oldest let go), and nothing larger than that', () => {
    const buffers = new LayerBuffers(1000);
    const [a, b, c] = [buffers.take(100), buffers.take(100), buffers.take(100)];
    const big = buffers.take(251);
    for (const x of [a, b, c, big]) buffers.give(x);
    assert.equal(buffers.bytesFree, 800, 'a went (3 × 400 is over 1000); big (1,004 bytes) is not kept');
    const d = buffers.take(150);
    buffers.give(d);
    assert.equal(buffers.bytesFree, 1000, 'b went: 400 + 400 + 600 is over 1000');
    assert.equal(buffers.take(150), d);
    assert.deepEqual(
      [buffers.take(100), buffers.take(100)].map((x) => [a, b, c].indexOf(x)),
      [2, -1],
    );
  });

  it('expect: only arrays the next takes can use are kept, those free now and those given back after', () => {
    const buffers = new LayerBuffers(1 << 20);
    const arrays = [buffers.take(10), buffers.take(10), buffers.take(20), buffers.take(30)];
    const later = [buffers.take(20), buffers.take(10), buffers.take(30)];
    for (const x of arrays) buffers.give(x);
    buffers.expect([10, 30, 40]);
    assert.equal(buffers.bytesFree, (10 + 30) * 4, 'one array of 10 and the one of 30 stay');
    for (const x of later) buffers.give(x);
    assert.equal(buffers.bytesFree, (10 + 30) * 4, 'given back after: none of 20, and no second one of 10 or 30');
    assert.equal(buffers.take(30), arrays[3]);
    assert.equal(buffers.take(10), arrays[0]);
    assert.equal(buffers.bytesFree, 0);
    buffers.expect([]);
    buffers.give(later[0]);
    assert.equal(buffers.bytesFree, 0, 'nothing more to take: nothing kept');
  });

  it('adopt: an array moved back from another thread (a new view of memory it took) is kept as one given back', () => {
    const buffers = new LayerBuffers(1024);
    const taken = buffers.take(8);
    const movedBack = new Float32Array(taken.buffer.slice(0));
    buffers.adopt(movedBack);
    assert.equal(buffers.take(8), movedBack);
    assert.equal(buffers.reused, 1);
    buffers.expect([4]);
    buffers.adopt(new Float32Array(8));
    assert.equal(buffers.bytesFree, 0, 'a length the next segment does not take is let go');
  });

  it('shared: new arrays in shared memory, reused as the others; the garbage collected once 64 MB of them were let go', () => {
    let collections = 0;
    const buffers = new LayerBuffers(1 << 20, true, () => collections++);
    const a = buffers.take(1000);
    assert.ok(a.buffer instanceof SharedArrayBuffer);
    buffers.give(a);
    assert.equal(buffers.take(1000), a);
    assert.ok(new LayerBuffers(1 << 20).take(10).buffer instanceof ArrayBuffer, 'unshared by default');
    // Arrays of 4 MB, larger than the 1 MB kept free: each is let go when given back.
    for (let k = 0; k < 15; k++) buffers.give(buffers.take(1 << 20));
    assert.equal(collections, 0, '60 MB let go');
    buffers.give(buffers.take(1 << 20));
    assert.equal(collections, 1, '64 MB let go');
    for (let k = 0; k < 16; k++) buffers.give(buffers.take(1 << 20));
    assert.equal(collections, 2, 'counted again from 0');
  });

  it('largestLayerBytes: the largest of the layers 1..last, float32, over the inputs (not the input layer)', () => {
    const layers = [{ outputShape: [3, 224, 224] }, { outputShape: [64, 112, 112] }, { outputShape: [10] }];
    assert.equal(largestLayerBytes(layers, 100), 100 * 64 * 112 * 112 * 4);
    assert.equal(largestLayerBytes(layers, 100, 0), 0);
    assert.equal(largestLayerBytes([{ outputShape: [3] }, { outputShape: [10] }], 2), 80);
  });
});
