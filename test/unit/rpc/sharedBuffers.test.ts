/**
 * The worker threads' collector of shared buffers (src/rpc/sharedBuffers.ts): it counts each
 * SharedArrayBuffer a message carries once, ignores ordinary buffers, and collects the garbage once
 * after the reply when the count passes its threshold; a real worker's memory goes back.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ArrayBufferPacer, collectingPort, SharedBufferCollector } from '../../../src/rpc/sharedBuffers';
import type { MessagePortLike } from '../../../src/rpc/ports';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the shared-buffer collector of the worker threads', () => {
  it('counts each shared buffer once, nested in requests, and collects once past its threshold', async () => {
    let collections = 0;
    const collector = new SharedBufferCollector(1000, () => collections++);
    const a = new SharedArrayBuffer(600);
    collector.received({ id: 1, args: [{ values: new Float32Array(a) }] });
    // The same buffer again (as a view on it, or itself) adds nothing; ordinary buffers never count.
    collector.received({ id: 2, args: [a, new Float32Array(a, 8, 4), new ArrayBuffer(5000), new Float64Array(900)] });
    await turn();
    assert.equal(collections, 0);
    collector.received({ id: 3, args: [{ codes: { shared: new SharedArrayBuffer(500) } }] });
    assert.equal(collections, 0, 'after the reply, not inside the request');
    await turn();
    assert.equal(collections, 1);
    // The count starts again.
    collector.received({ id: 4, args: [new SharedArrayBuffer(900)] });
    await turn();
    assert.equal(collections, 1);
    collector.received({ id: 5, args: [new SharedArrayBuffer(200)] });
    collector.received({ id: 6, args: [new SharedArrayBuffer(200)] });
    await turn();
    assert.equal(collections, 2, 'one collection for requests that pass the threshold together');
  });

  it('a collecting port hands every message on and counts it', async () => {
    let collections = 0;
    let deliver: (m: unknown) => void = () => undefined;
    const posted: unknown[] = [];
    const port: MessagePortLike = {
      postMessage: (m) => posted.push(m),
      onMessage: (listener) => {
        deliver = listener;
        return () => undefined;
      },
    };
    const received: unknown[] = [];
    const wrapped = collectingPort(port, new SharedBufferCollector(100, () => collections++));
    wrapped.onMessage((m) => received.push(m));
    const message = { id: 1, args: [new SharedArrayBuffer(128)] };
    deliver(message);
    wrapped.postMessage('reply');
    assert.deepEqual(received, [message]);
    assert.deepEqual(posted, ['reply']);
    await turn();
    assert.equal(collections, 1);
  });

  it('serves every worker that is handed layers in shared buffers request after request', () => {
    // The forward worker went without it: a complete MobileNetV2 report's ablations left gigabytes
    // of layers it was done with mapped (docs/views.md "Each class alone, and ablations in bounded passes").
    for (const worker of ['src/compute/computeWorker.ts', 'src/tfjs/forwardWorker.ts']) {
      const source = readFileSync(join(__dirname, '../../..', worker), 'utf8');
      assert.match(source, /collectingPort\(threadPort\(parentPort\)\)/, worker);
    }
  });

  it('the default collector runs a real full collection', async () => {
    const collector = new SharedBufferCollector(1);
    collector.received([new SharedArrayBuffer(8)]);
    await turn();
    // gc is exposed from now on, in this process too: a real collection ran without a flag on the command line.
    assert.equal((await import('node:vm')).runInNewContext('typeof gc'), 'function');
  });
});

describe("the array-buffer pacer of the analysis' thread", () => {
  it('collects once the buffers grew by its threshold since the least seen after the last collection', () => {
    let bytes = 1000;
    let collections = 0;
    const pacer = new ArrayBufferPacer({ threshold: 500, bytes: () => bytes, collect: () => collections++ });
    assert.equal(pacer.look(), false, 'the first look sets the base');
    bytes = 1499;
    assert.equal(pacer.look(), false);
    bytes = 800;
    assert.equal(pacer.look(), false, 'freed buffers lower the base');
    bytes = 1299;
    assert.equal(pacer.look(), false);
    bytes = 1300;
    assert.equal(pacer.look(), true, 'grown by 500 over 800');
    assert.equal(collections, 1);
    // The collection's own release may come a little later: the next look sets the base again.
    bytes = 5000;
    assert.equal(pacer.look(), false);
    bytes = 5400;
    assert.equal(pacer.look(), false);
    bytes = 5500;
    assert.equal(pacer.look(), true);
    assert.equal(pacer.collections, 2);
  });

  it('looks on its timer, which keeps no process alive, while some user has it open', async () => {
    let looks = 0;
    const pacer = new ArrayBufferPacer({ intervalMs: 5, bytes: () => ++looks * 1e9, collect: () => undefined });
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(30);
    assert.equal(looks, 0, 'not open');
    const first = pacer.open();
    const second = pacer.open();
    await sleep(60);
    assert.ok(looks >= 3, `looked ${looks} times`);
    assert.ok(pacer.collections >= 1);
    // The first user closes (twice: it counts once); the second keeps it looking.
    first();
    first();
    let seen = looks;
    await sleep(40);
    assert.ok(looks > seen, 'still open for the second user');
    second();
    seen = looks;
    await sleep(40);
    assert.equal(looks, seen, 'closed');
  });

  it('looks before allocating only while open', () => {
    let bytes = 0;
    let collections = 0;
    const pacer = new ArrayBufferPacer({ threshold: 100, bytes: () => bytes, collect: () => collections++, lookEveryMs: 0 });
    pacer.lookIfOpen();
    bytes = 1000;
    pacer.lookIfOpen();
    assert.equal(collections, 0, 'not open: no look');
    const close = pacer.open();
    pacer.lookIfOpen(); // the first look sets the base
    bytes = 1100;
    pacer.lookIfOpen();
    assert.equal(collections, 1);
    close();
    bytes = 5000;
    pacer.lookIfOpen();
    pacer.lookIfOpen();
    assert.equal(collections, 1, 'closed: no look');
  });

  it('looks before allocating at most once per lookEveryMs', async () => {
    let looks = 0;
    const pacer = new ArrayBufferPacer({ bytes: () => (looks++, 0), collect: () => undefined, lookEveryMs: 40 });
    const close = pacer.open();
    try {
      for (let i = 0; i < 100; i++) pacer.lookIfOpen();
      assert.equal(looks, 1, 'one look for 100 allocations at once');
      await new Promise((r) => setTimeout(r, 60));
      pacer.lookIfOpen();
      assert.equal(looks, 2, 'and another once the time has passed');
    } finally {
      close();
    }
  });

  const arrayBuffers = () => process.memoryUsage().arrayBuffers;
  /**
   * `mb` MB of buffers that lived through two young-generation collections (old, as a layer read
   * across a query's awaits is), then garbage: only a full collection frees them.
   */
  const oldGarbage = async (mb: number) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
    const holdThenDrop = () => {
      const held = Array.from({ length: mb / 16 }, (_, i) => new Float32Array(4 * 1024 * 1024).fill(i));
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      return held.length;
    };
    assert.equal(holdThenDrop(), mb / 16);
    await turn();
  };
  /** Waits for the background release of a collection's freed buffers, up to half a second. */
  const released = async (before: number, bytes: number) => {
    for (let i = 0; i < 50 && arrayBuffers() - before >= bytes; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it("gives a real thread's garbage buffers back", async () => {
    // No garbage before: V8 collects old garbage itself when new buffers pile up on it.
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pacer = new ArrayBufferPacer({ threshold: 64 * 1024 * 1024 });
    pacer.look();
    const before = arrayBuffers();
    await oldGarbage(160);
    assert.ok(arrayBuffers() - before >= 64 * 1024 * 1024, 'the garbage is still counted');
    assert.equal(pacer.look(), true);
    await released(before, 32 * 1024 * 1024);
    assert.ok(arrayBuffers() - before < 32 * 1024 * 1024, `${((arrayBuffers() - before) / 2 ** 20).toFixed(0)} MB left`);
  });

  it("the forward passes and the ablations look first where they allocate a layer's worth", () => {
    // A thread busy with them runs no timer for seconds: one channel-importance query of a
    // MobileNetV2 layer ran 13 s with one tick (docs/views.md "The report's own garbage").
    const source = (file: string) => readFileSync(join(__dirname, '../../..', file), 'utf8');
    const looks = (file: string) => source(file).split('paceBeforeAllocating();').length - 1;
    assert.equal(looks('src/service/splitForward.ts'), 2, 'the split pass and the tail runner');
    assert.equal(looks('src/tfjs/forward.ts'), 1, 'a one-thread pass');
    assert.equal(looks('src/service/ablation.ts'), 1, 'the ablated blocks');
    assert.match(source('src/service/engine.ts'), /threadPacer\.open\(\)/);
    assert.match(source('src/service/engine.ts'), /this\.stopPacing\(\)/);
  });
});
