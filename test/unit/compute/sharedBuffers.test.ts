/**
 * The compute workers' collector of shared buffers (src/compute/sharedBuffers.ts): it counts each
 * SharedArrayBuffer a message carries once, ignores ordinary buffers, and collects the garbage once
 * after the reply when the count passes its threshold; a real worker's memory goes back.
 */
import assert from 'node:assert/strict';
import { collectingPort, SharedBufferCollector } from '../../../src/compute/sharedBuffers';
import type { MessagePortLike } from '../../../src/rpc/ports';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the shared-buffer collector of the compute workers', () => {
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

  it('the default collector runs a real full collection', async () => {
    const collector = new SharedBufferCollector(1);
    collector.received([new SharedArrayBuffer(8)]);
    await turn();
    // gc is exposed from now on, in this process too: a real collection ran without a flag on the command line.
    assert.equal((await import('node:vm')).runInNewContext('typeof gc'), 'function');
  });
});
