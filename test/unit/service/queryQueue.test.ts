import assert from 'node:assert/strict';
import { CancelledError } from '../../../src/analysis/errors';
import { QueryQueue } from '../../../src/service/queryQueue';

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

  it('runs a quick slice in a quick slot while long measures hold every shared slot, before waiting long ones of a higher priority', async () => {
    const queue = new QueryQueue(1, 1);
    const started: string[] = [];
    const long = await queue.acquire('visible');
    const asks = (
      [
        ['long visible', 'visible', false],
        ['quick background', 'background', true],
      ] as const
    ).map(async ([name, priority, quick]) => {
      const release = await queue.acquire(priority, undefined, quick);
      started.push(name);
      return release;
    });
    const quickRelease = await asks[1];
    assert.deepEqual(started, ['quick background'], 'the quick slice started at once; the long one waits for the shared slot');
    assert.ok(queue.wouldWait(true) && queue.wouldWait(false));
    quickRelease();
    assert.equal(queue.pending, 1, 'a freed quick slot is not given to a long query');
    long();
    (await asks[0])();
    assert.deepEqual(started, ['quick background', 'long visible']);
    assert.ok(!queue.wouldWait(false));
  });

  it('gives a freed quick slot to the first waiting quick slice by priority, passing over long ones', async () => {
    const queue = new QueryQueue(1, 1);
    const started: string[] = [];
    await queue.acquire('visible');
    const firstQuick = await queue.acquire('background', undefined, true);
    const asks = (
      [
        ['long visible', 'visible', false],
        ['quick background', 'background', true],
        ['quick soon', 'soon', true],
      ] as const
    ).map(async ([name, priority, quick]) => {
      const release = await queue.acquire(priority, undefined, quick);
      started.push(name);
      release();
    });
    assert.equal(queue.pending, 3);
    firstQuick();
    await asks[1];
    assert.deepEqual(started, ['quick soon', 'quick background'], 'both quick slices ran in the quick slot, higher priority first');
    assert.equal(queue.pending, 1, 'the long query still waits for the shared slot');
  });

  it('uses the shared slots first, so quick slices fill them before the quick slot', async () => {
    const queue = new QueryQueue(2, 1);
    await queue.acquire('visible', undefined, true);
    await queue.acquire('visible', undefined, true);
    assert.ok(queue.full, 'two quick slices took the two shared slots');
    await queue.acquire('visible', undefined, true);
    assert.ok(queue.wouldWait(true), 'the third took the quick slot; a fourth waits');
    assert.throws(() => new QueryQueue(1, -1), RangeError);
  });
  it('puts the queries of a panel that is not the active one behind every other panel’s, whatever their priorities, and back', async () => {
    const queue = new QueryQueue(1);
    const started: string[] = [];
    const first = await queue.acquire();
    const ask = (name: string, priority: 'visible' | 'soon' | 'background', asker?: string, quick = false) =>
      queue.acquire(priority, undefined, quick, asker).then((release) => {
        started.push(name);
        release();
      });
    // Panel B's Channel view asked first, all visible; then panel A (the active one) and the CLI.
    const asks = [
      ask('B visible 1', 'visible', 'B'),
      ask('B visible 2', 'visible', 'B', true),
      ask('A background', 'background', 'A'),
      ask('A visible', 'visible', 'A'),
      ask('no panel, soon', 'soon'),
    ];
    queue.standBehind('B', true);
    // Asked while B stands behind: behind as well.
    asks.push(ask('B visible 3', 'visible', 'B', true));
    first();
    await Promise.all(asks);
    assert.deepEqual(started, ['A visible', 'no panel, soon', 'A background', 'B visible 2', 'B visible 3', 'B visible 1']);

    // Back among the others: by priority again.
    started.length = 0;
    const hold = await queue.acquire();
    const again = [ask('A soon', 'soon', 'A'), ask('B visible', 'visible', 'B')];
    queue.standBehind('B', false);
    hold();
    await Promise.all(again);
    assert.deepEqual(started, ['B visible', 'A soon']);
  });
});
