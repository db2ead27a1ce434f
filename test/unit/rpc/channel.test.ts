// The typed request/response channel (src/rpc) over a real MessageChannel: ids pair answers with
// requests, results and errors are typed and validated on arrival, progress, cancellation and
// timeouts work, and malformed messages in either direction are answered or refused, never thrown.
import assert from 'node:assert/strict';
import { MessageChannel, MessagePort } from 'node:worker_threads';
import * as v from 'valibot';
import { RpcChannel } from '../../../src/rpc/channel';
import { defineNotification, defineRequest, describeIssues, RpcError } from '../../../src/contract/messages';
import { MessagePortLike, threadPort } from '../../../src/rpc/ports';

const add = defineRequest('math/add', {
  params: v.object({ a: v.number(), b: v.number() }),
  result: v.object({ sum: v.number() }),
});
const slow = defineRequest('slow', {
  params: v.object({ ms: v.number() }),
  result: v.object({ finished: v.boolean() }),
  progress: v.object({ fraction: v.number() }),
  errorData: v.object({ where: v.string() }),
});
const hello = defineNotification('hello', v.object({ name: v.string() }));

/** Two channels joined by a MessageChannel; `raw` posts straight into the server's port, bypassing the client. */
function pair() {
  const { port1, port2 } = new MessageChannel();
  const serverLog: string[] = [];
  const clientLog: string[] = [];
  const server = new RpcChannel(threadPort(port1), { peer: 'the client', log: (l) => serverLog.push(l) });
  const client = new RpcChannel(threadPort(port2), { peer: 'the server', log: (l) => clientLog.push(l) });
  return { server, client, serverLog, clientLog, port1, port2 };
}

/** Messages `port` receives, collected for inspection. */
function collect(port: MessagePort): unknown[] {
  const seen: unknown[] = [];
  port.on('message', (m) => seen.push(m));
  return seen;
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('rpc channel', () => {
  const ports: MessagePort[] = [];
  const open = () => {
    const p = pair();
    ports.push(p.port1, p.port2);
    return p;
  };
  afterEach(() => ports.splice(0).forEach((p) => p.close()));

  it('pairs each answer with its request by id, even when they complete out of order', async () => {
    const { server, client } = open();
    server.onRequest(add, async ({ a, b }) => {
      await tick(a); // the larger `a`, the later the answer
      return { sum: a + b };
    });
    const answers = await Promise.all([
      client.request(add, { a: 40, b: 1 }),
      client.request(add, { a: 1, b: 2 }),
      client.request(add, { a: 20, b: 5 }),
    ]);
    assert.deepEqual(answers, [{ sum: 41 }, { sum: 3 }, { sum: 25 }]);
  });

  it('carries a handler error as {code, message} with typed data', async () => {
    const { server, client } = open();
    server.onRequest(slow, () => {
      throw new RpcError('model', 'out of coffee', { where: 'model.ts:4' });
    });
    await assert.rejects(
      client.request(slow, { ms: 0 }),
      (e: unknown) =>
        RpcError.is(e, 'model') && e.message === 'out of coffee' && (e as RpcError<{ where: string }>).data?.where === 'model.ts:4',
    );
  });

  it('sends a coded error with its code and an uncoded one as internal', async () => {
    const { server, client } = open();
    server.onRequest(add, ({ a }) => {
      if (a === 1) throw Object.assign(new Error('no such epoch'), { code: 'epoch-not-recorded' });
      throw new TypeError('x is undefined');
    });
    await assert.rejects(client.request(add, { a: 1, b: 0 }), (e: unknown) => RpcError.is(e, 'epoch-not-recorded'));
    await assert.rejects(
      client.request(add, { a: 2, b: 0 }),
      (e: unknown) => RpcError.is(e, 'internal') && /x is undefined/.test((e as Error).message),
    );
  });

  it('delivers notifications and progress reports to their handlers', async () => {
    const { server, client } = open();
    const names: string[] = [];
    server.onNotification(hello, ({ name }) => void names.push(name));
    server.onRequest(slow, async (_, { progress }) => {
      progress({ fraction: 0.5 });
      await tick();
      progress({ fraction: 1 });
      return { finished: true };
    });
    client.notify(hello, { name: 'ada' });
    const fractions: number[] = [];
    assert.deepEqual(await client.request(slow, { ms: 0 }, { onProgress: (p) => fractions.push(p.fraction) }), { finished: true });
    assert.deepEqual(names, ['ada']);
    assert.deepEqual(fractions, [0.5, 1]);
  });

  it('cancels: the handler sees its signal aborted and its answer settles the request', async () => {
    const { server, client } = open();
    let sawAbort = false;
    server.onRequest(slow, (_, { signal }) => {
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => {
          sawAbort = true;
          reject(new RpcError('cancelled', 'stopped as asked'));
        });
        setTimeout(() => resolve({ finished: true }), 5000).unref();
      });
    });
    const controller = new AbortController();
    const asked = client.request(slow, { ms: 5000 }, { signal: controller.signal });
    await tick();
    controller.abort();
    await assert.rejects(asked, (e: unknown) => RpcError.is(e, 'cancelled') && (e as Error).message === 'stopped as asked');
    assert.ok(sawAbort);
  });

  it('does not send a request whose signal is already aborted', async () => {
    const { client, port1 } = open();
    const seen = collect(port1);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.request(add, { a: 1, b: 1 }, { signal: controller.signal }), (e: unknown) => RpcError.is(e, 'cancelled'));
    await tick();
    assert.deepEqual(seen, []);
  });

  it('times out a request nobody answers, sends a cancel, and ignores the late answer', async () => {
    const { server, client, clientLog } = open();
    let cancelled = false;
    server.onRequest(slow, async ({ ms }, { signal }) => {
      signal.addEventListener('abort', () => (cancelled = true));
      await tick(ms);
      return { finished: true };
    });
    const started = performance.now();
    await assert.rejects(
      client.request(slow, { ms: 200 }, { timeoutMs: 50 }),
      (e: unknown) => RpcError.is(e, 'timeout') && /the server did not answer "slow" within 50 ms/.test((e as Error).message),
    );
    assert.ok(performance.now() - started < 190);
    await tick(250);
    assert.ok(cancelled);
    assert.deepEqual(clientLog, []);
  });

  it('rejects every pending request when the channel closes, with the reason given', async () => {
    const { server, client } = open();
    server.onRequest(slow, () => new Promise(() => undefined));
    const asked = client.request(slow, { ms: 0 });
    await tick();
    client.close(new Error('the server stopped (SIGKILL)'));
    await assert.rejects(asked, /the server stopped \(SIGKILL\)/);
    await assert.rejects(client.request(add, { a: 1, b: 1 }), /the server stopped/);
  });

  it('answers a request with malformed params with bad-request and does not call the handler', async () => {
    const { server, client, serverLog } = open();
    let called = false;
    server.onRequest(add, () => {
      called = true;
      return { sum: 0 };
    });
    const untyped = client as unknown as { request(t: unknown, p: unknown): Promise<unknown> };
    await assert.rejects(
      untyped.request(add, { a: 'one', b: 2 }),
      (e: unknown) => RpcError.is(e, 'bad-request') && /malformed "math\/add" request: a: Invalid type/.test((e as Error).message),
    );
    assert.equal(called, false);
    assert.equal(serverLog.length, 1);
  });

  it('answers an unknown method with unknown-method', async () => {
    const { client } = open();
    await assert.rejects(client.request(add, { a: 1, b: 2 }), (e: unknown) => RpcError.is(e, 'unknown-method'));
  });

  it('answers garbage that carries an id with an error, logs garbage without one, and keeps working', async () => {
    const { server, port2, serverLog } = open();
    server.onRequest(add, ({ a, b }) => ({ sum: a + b }));
    const answers = collect(port2);
    for (const garbage of [
      42,
      null,
      'hello',
      [1, 2],
      { type: 'request', id: 7, method: 5 },
      { type: 'bogus', id: 8 },
      { id: 9 },
      { type: 'notification' },
      { type: 'cancel', id: -1 },
    ]) {
      port2.postMessage(garbage);
    }
    port2.postMessage({ type: 'request', id: 10, method: 'math/add', params: { a: 2, b: 3 } });
    await tick(50);
    assert.deepEqual(
      answers.map((m) => [(m as { id: number }).id, (m as { type: string }).type, (m as { error?: { code: string } }).error?.code]),
      [
        [7, 'error', 'bad-request'],
        [8, 'error', 'bad-request'],
        [9, 'error', 'bad-request'],
        [10, 'result', undefined],
      ],
    );
    assert.deepEqual((answers[3] as { result: unknown }).result, { sum: 5 });
    assert.equal(serverLog.length, 9);
    assert.match(serverLog[0], /ignored a malformed message from the client .*: 42/);
  });

  it('rejects a malformed result with bad-response instead of handing it to the caller', async () => {
    const { server, client, port1, clientLog } = open();
    server.close(); // the test answers by hand
    port1.on('message', (m: { id: number }) => port1.postMessage({ type: 'result', id: m.id, result: { sum: 'many' } }));
    await assert.rejects(
      client.request(add, { a: 1, b: 2 }),
      (e: unknown) =>
        RpcError.is(e, 'bad-response') &&
        /the server answered "math\/add" with a malformed result \(sum: Invalid type/.test((e as Error).message),
    );
    assert.equal(clientLog.length, 1);
  });

  it('rejects a pending request whose answer is garbage with bad-response', async () => {
    const { server, client, port1 } = open();
    server.close();
    port1.on('message', (m: { id: number }) => port1.postMessage({ type: 'error', id: m.id, error: { message: 3 } }));
    await assert.rejects(client.request(add, { a: 1, b: 2 }), (e: unknown) => RpcError.is(e, 'bad-response'));
  });

  it('ignores malformed notifications and progress reports, logging each', async () => {
    const { server, client, port1, port2, serverLog, clientLog } = open();
    const names: string[] = [];
    server.onNotification(hello, ({ name }) => void names.push(name));
    port2.postMessage({ type: 'notification', method: 'hello', params: { name: 7 } });
    port2.postMessage({ type: 'notification', method: 'goodbye', params: {} });
    await tick();
    server.close(); // from here the test answers by hand
    port1.on('message', (m: { id: number }) => {
      port1.postMessage({ type: 'progress', id: m.id, value: { fraction: 'half' } });
      port1.postMessage({ type: 'result', id: m.id, result: { finished: true } });
    });
    const fractions: unknown[] = [];
    assert.deepEqual(await client.request(slow, { ms: 0 }, { onProgress: (p) => fractions.push(p) }), { finished: true });
    await tick();
    assert.deepEqual(names, []);
    assert.deepEqual(fractions, []);
    assert.equal(serverLog.length, 2);
    assert.match(clientLog.join('\n'), /malformed progress report/);
  });

  it('survives a notification handler that throws', async () => {
    const { server, client, serverLog } = open();
    server.onNotification(hello, () => {
      throw new Error('boom');
    });
    server.onRequest(add, ({ a, b }) => ({ sum: a + b }));
    client.notify(hello, { name: 'x' });
    assert.deepEqual(await client.request(add, { a: 1, b: 1 }), { sum: 2 });
    assert.match(serverLog.join('\n'), /handling "hello" from the client failed: Error: boom/);
  });

  it('passes shared memory by reference (no copy, no element checks)', async () => {
    const fill = defineRequest('fill', {
      params: v.object({ buffer: v.instance(SharedArrayBuffer), value: v.number() }),
      result: v.object({}),
    });
    const { server, client } = open();
    server.onRequest(fill, ({ buffer, value }) => {
      new Float64Array(buffer).fill(value);
      return {};
    });
    const buffer = new SharedArrayBuffer(8 * 1000);
    await client.request(fill, { buffer, value: 2.5 });
    assert.equal(new Float64Array(buffer)[999], 2.5);
  });

  it('names the first problem and how many more in one line', () => {
    const r = v.safeParse(v.object({ a: v.number(), b: v.string(), c: v.string() }), { a: 'x', b: 1, c: 2 });
    assert.ok(!r.success);
    assert.match(describeIssues(r.issues), /^a: Invalid type: Expected number but received "x" \(and 2 more problems\)$/);
  });

  it('works over any MessagePortLike, such as a hand-made in-memory one', async () => {
    const listeners: [((m: unknown) => void)[], ((m: unknown) => void)[]] = [[], []];
    const end = (me: 0 | 1): MessagePortLike => ({
      postMessage: (m) => queueMicrotask(() => listeners[1 - me].forEach((l) => l(structuredClone(m)))),
      onMessage: (l) => {
        listeners[me].push(l);
        return () => listeners[me].splice(listeners[me].indexOf(l), 1);
      },
    });
    const server = new RpcChannel(end(0), { peer: 'a' }).onRequest(add, ({ a, b }) => ({ sum: a + b }));
    const client = new RpcChannel(end(1), { peer: 'b' });
    assert.deepEqual(await client.request(add, { a: 2, b: 2 }), { sum: 4 });
    server.close();
    assert.equal(listeners[0].length, 0);
  });
});
