import { strict as assert } from 'node:assert';
import { ActivationCache, SMALL_ACTIVATION_BYTES } from '../../../src/service/activations';

/** Activations of `bytes` bytes (a multiple of 4), filled with `v`. */
const acts = (bytes: number, v = 1) => ({ shape: [bytes / 4], data: new Float32Array(bytes / 4).fill(v) });
const key = (folder: string, layer: number) => ActivationCache.key(folder, 0, layer);
const BIG = 4 * SMALL_ACTIVATION_BYTES;

describe('ActivationCache', () => {
  it('keeps what fits, least recently used first out', () => {
    const cache = new ActivationCache(2 * BIG);
    cache.remember(key('a', 1), acts(BIG));
    cache.remember(key('a', 2), acts(BIG));
    cache.get(key('a', 1));
    cache.remember(key('a', 3), acts(BIG));
    assert.ok(cache.peek(key('a', 1)));
    assert.equal(cache.peek(key('a', 2)), undefined, 'the least recently used went');
    assert.ok(cache.peek(key('a', 3)));
  });

  it('lets large layers go before small ones, whatever their order of use', () => {
    const cache = new ActivationCache(2 * BIG + 1024);
    cache.remember(key('a', 9), acts(1024)); // the class scores, used first
    cache.remember(key('a', 1), acts(BIG));
    cache.remember(key('a', 2), acts(BIG));
    cache.remember(key('a', 3), acts(BIG));
    assert.ok(cache.peek(key('a', 9)), 'the small layer stays');
    assert.equal(cache.peek(key('a', 1)), undefined);
    assert.ok(cache.peek(key('a', 2)) && cache.peek(key('a', 3)));
  });

  it('lets small layers go too where large ones alone do not free enough', () => {
    const cache = new ActivationCache(SMALL_ACTIVATION_BYTES + 1024);
    cache.remember(key('a', 1), acts(SMALL_ACTIVATION_BYTES));
    cache.remember(key('a', 2), acts(1024));
    cache.remember(key('a', 3), acts(1024));
    assert.equal(cache.peek(key('a', 1)), undefined);
    assert.ok(cache.peek(key('a', 2)) && cache.peek(key('a', 3)));
  });

  it('never keeps a layer larger than its budget', () => {
    const cache = new ActivationCache(1024);
    cache.remember(key('a', 1), acts(2048));
    assert.equal(cache.peek(key('a', 1)), undefined);
  });

  it("drops a run's layers, with keepSmall all but the small ones, and no other run's", () => {
    const cache = new ActivationCache(4 * BIG);
    cache.remember(key('a', 1), acts(BIG));
    cache.remember(key('a', 2), acts(SMALL_ACTIVATION_BYTES));
    cache.remember(key('ab', 1), acts(BIG));
    cache.dropRun('a', { keepSmall: true });
    assert.equal(cache.peek(key('a', 1)), undefined);
    assert.ok(cache.peek(key('a', 2)), 'a layer of SMALL_ACTIVATION_BYTES is small');
    assert.ok(cache.peek(key('ab', 1)), 'a run whose folder starts with the same letters is another run');
    cache.dropRun('a');
    assert.equal(cache.peek(key('a', 2)), undefined);
    // The bytes freed count: two large layers fit again beside run ab's.
    cache.remember(key('a', 3), acts(BIG));
    cache.remember(key('a', 4), acts(BIG));
    assert.ok(cache.peek(key('ab', 1)) && cache.peek(key('a', 3)) && cache.peek(key('a', 4)));
  });
});
