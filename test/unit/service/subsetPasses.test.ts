/**
 * Paused subset passes (src/service/subsetPasses.ts) over fake passes: a sweep up a subset's
 * layers continues one pass, a layer already behind it starts another, a failing pass is closed
 * and never continued, a cancelled query leaves its pass paused, and at most a few passes stay
 * paused (each pins a model).
 */
import assert from 'node:assert/strict';
import { CancelledError } from '../../../src/analysis/errors';
import { SubsetPasses, PassSource } from '../../../src/service/subsetPasses';
import type { Activations } from '../../../src/tfjs/forward';

/** A fake pass over layers 1..last: layer l's single value is l (plus `offset`, to tell passes apart). */
function fakePasses(last: number, o: { failAt?: number } = {}) {
  const log = { started: 0, closed: 0, computed: [] as number[] };
  const start = (): Promise<PassSource> => {
    const id = log.started++;
    async function* steps(): AsyncGenerator<{ index: number; out: Activations }> {
      for (let l = 1; l <= last; l++) {
        if (l === o.failAt) throw new Error(`layer ${l} failed`);
        log.computed.push(l);
        yield { index: l, out: { shape: [1, 1], data: Float32Array.of(l + 1000 * id) } };
      }
    }
    return Promise.resolve({ steps: steps(), close: () => void log.closed++ });
  };
  return { log, start };
}

const value = (a: Activations) => a.data[0];

describe('paused subset passes', () => {
  it('a sweep up the layers runs one pass; every layer on the way is handed to `passed`', async () => {
    const passes = new SubsetPasses();
    const { log, start } = fakePasses(10);
    const passed: number[] = [];
    const remember = (l: number) => void passed.push(l);
    assert.equal(value(await passes.layer('r|1|a', 3, start, remember)), 3);
    assert.equal(value(await passes.layer('r|1|a', 4, start, remember)), 4);
    assert.equal(value(await passes.layer('r|1|a', 9, start, remember)), 9);
    assert.equal(log.started, 1);
    assert.deepEqual(log.computed, [1, 2, 3, 4, 5, 6, 7, 8, 9], 'each layer once');
    assert.deepEqual(passed, [1, 2, 5, 6, 7, 8]);
    assert.equal(passes.paused, 1);
  });

  it('a layer the pass has passed starts a new pass; another key never continues it', async () => {
    const passes = new SubsetPasses();
    const { log, start } = fakePasses(10);
    const ignore = () => undefined;
    await passes.layer('r|1|a', 5, start, ignore);
    assert.equal(value(await passes.layer('r|1|a', 2, start, ignore)), 1002, 'a second pass');
    assert.equal(value(await passes.layer('r|2|a', 6, start, ignore)), 2006, 'another epoch: a third');
    // The furthest paused pass of the key still below the layer is continued: the first one.
    assert.equal(value(await passes.layer('r|1|a', 7, start, ignore)), 7);
    assert.equal(log.started, 3);
  });

  it('a failing pass is closed, its error reaches the query, and the next query starts afresh', async () => {
    const passes = new SubsetPasses();
    const { log, start } = fakePasses(10, { failAt: 4 });
    const ignore = () => undefined;
    await passes.layer('r|1|a', 2, start, ignore);
    await assert.rejects(passes.layer('r|1|a', 6, start, ignore), /layer 4 failed/);
    assert.equal(log.closed, 1);
    assert.equal(passes.paused, 0);
    assert.equal(value(await passes.layer('r|1|a', 3, start, ignore)), 1003, 'a new pass');
    assert.equal(log.started, 2);
  });

  it('a pass that ends before the layer asked is an error, not a hang', async () => {
    const passes = new SubsetPasses();
    const { start } = fakePasses(3);
    await assert.rejects(
      passes.layer('r|1|a', 5, start, () => undefined),
      /handed out no activations of layer 5/,
    );
    assert.equal(passes.paused, 0);
  });

  it('a cancelled query leaves its pass paused where it stopped; the next query continues it', async () => {
    const passes = new SubsetPasses();
    const { log, start } = fakePasses(10);
    const controller = new AbortController();
    const passed: number[] = [];
    await assert.rejects(
      passes.layer(
        'r|1|a',
        8,
        start,
        (l) => {
          passed.push(l);
          if (l === 3) controller.abort();
        },
        controller.signal,
      ),
      CancelledError,
    );
    assert.deepEqual(passed, [1, 2, 3]);
    assert.equal(log.closed, 0);
    assert.equal(value(await passes.layer('r|1|a', 8, start, () => undefined)), 8);
    assert.equal(log.started, 1);
  });

  it('keeps at most `maxPaused` passes, closing the least recently used; dropRun and clear close the rest', async () => {
    const passes = new SubsetPasses(2);
    const { log, start } = fakePasses(10);
    const ignore = () => undefined;
    await passes.layer('r|1|a', 2, start, ignore);
    await passes.layer('r|1|b', 2, start, ignore);
    await passes.layer('r|1|a', 3, start, ignore); // a: used most recently
    await passes.layer('q|1|c', 2, start, ignore); // b goes
    assert.equal(log.closed, 1);
    assert.equal(passes.paused, 2);
    assert.equal(value(await passes.layer('r|1|a', 4, start, ignore)), 4, 'a is still paused');
    passes.dropRun('r');
    assert.equal(passes.paused, 1);
    assert.equal(log.closed, 2);
    passes.clear();
    assert.equal(passes.paused, 0);
    assert.equal(log.closed, 3);
  });

  it('a pass dropped while a query continues it is closed when that query is done, and never continued', async () => {
    const passes = new SubsetPasses();
    const { log, start } = fakePasses(10);
    const answer = passes.layer('r|1|a', 6, start, (l) => l === 2 && passes.dropRun('r'));
    assert.equal(value(await answer), 6);
    assert.equal(log.closed, 1);
    assert.equal(passes.paused, 0);
    await passes.layer('r|1|a', 7, start, () => undefined);
    assert.equal(log.started, 2);
  });
});
