import assert from 'node:assert/strict';
import { CancelledError } from '../../src/compute/pool';
import { QueryQueue } from '../../src/service/queryQueue';

describe('query queue (a burst computed in priority order)', () => {
  it('starts waiting queries on-screen first, then soon, then background, first come first within one', async () => {
    const queue = new QueryQueue(1);
    const started: string[] = [];
    const first = await queue.acquire('background');
    const asks = (
      [
        ['bg1', 'background'],
        ['soon1', 'soon'],
        ['vis1', 'visible'],
        ['bg2', 'background'],
        ['vis2', 'visible'],
        ['soon2', 'soon'],
      ] as const
    ).map(async ([name, priority]) => {
      const release = await queue.acquire(priority);
      started.push(name);
      release();
    });
    assert.equal(queue.pending, 6);
    first();
    await Promise.all(asks);
    assert.deepEqual(started, ['vis1', 'vis2', 'soon1', 'soon2', 'bg1', 'bg2']);
  });

  it('starts quick slices before long measures within one priority, never before a higher priority', async () => {
    const queue = new QueryQueue(1);
    const started: string[] = [];
    const first = await queue.acquire();
    const asks = (
      [
        ['long visible', 'visible', false],
        ['quick soon', 'soon', true],
        ['quick visible', 'visible', true],
        ['long soon', 'soon', false],
      ] as const
    ).map(async ([name, priority, quick]) => {
      const release = await queue.acquire(priority, undefined, quick);
      started.push(name);
      release();
    });
    first();
    await Promise.all(asks);
    assert.deepEqual(started, ['quick visible', 'long visible', 'quick soon', 'long soon']);
  });

  it('takes a free slot at once, and lets a waiting query go when it is cancelled', async () => {
    const queue = new QueryQueue(2);
    const a = await queue.acquire();
    await queue.acquire('background');
    assert.ok(queue.full);
    const controller = new AbortController();
    const cancelled = queue.acquire('visible', controller.signal);
    const next = queue.acquire('background');
    controller.abort();
    await assert.rejects(cancelled, (e) => CancelledError.is(e));
    assert.equal(queue.pending, 1);
    a();
    a(); // a second release of the same slot changes nothing
    const releaseNext = await next;
    assert.equal(queue.pending, 0);
    assert.ok(queue.full, 'the waiting query took the freed slot, and the slot released twice was freed once');
    releaseNext();
    assert.ok(!queue.full);
  });
});
