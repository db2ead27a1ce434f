import assert from 'node:assert/strict';
import { eventLoopTurns } from '../../../src/tfjs/eventLoopTurns';

describe('eventLoopTurns: a turn of the event loop at most every few milliseconds', () => {
  it('lets a macrotask run on its first call, not again within the period, and again after it', async () => {
    const turn = eventLoopTurns(50);
    let ran = 0;
    setImmediate(() => ran++);
    await turn();
    assert.equal(ran, 1, 'the first call turns the loop');
    setImmediate(() => ran++);
    await turn();
    assert.equal(ran, 1, 'within the period it returns at once');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(ran, 2);
    setImmediate(() => ran++);
    await turn();
    assert.equal(ran, 3, 'after the period it turns again');
  });

  it('keeps a clock per caller', async () => {
    const a = eventLoopTurns(1000);
    const b = eventLoopTurns(1000);
    await a();
    let ran = 0;
    setImmediate(() => ran++);
    await b();
    assert.equal(ran, 1);
  });
});
