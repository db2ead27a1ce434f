// A view's data source follows whether the view is on screen (webview/viewPresence.tsx): on screen
// its queries go at their own priority, drawn ahead as `background`, and a view the user left
// cancels what it waits for and asks it again, at its own priority, when it is back.
import assert from 'node:assert/strict';
import type { Query, QueryPriority } from '../../../src/contract/queries';
import { ViewError } from '../../../webview/data';
import type { DataSource } from '../../../webview/data';
import { PARKED_MESSAGE, presenceSource } from '../../../webview/viewPresence';

interface Request {
  query: Query;
  priority: QueryPriority | undefined;
  signal: AbortSignal;
  settled: boolean;
  answer(a: unknown): void;
  fail(e: Error): void;
  progress(fraction: number, message?: string): void;
}

/** A host whose requests the test answers by hand; `requests` lists every one, `live()` those neither cancelled nor answered. */
function fakeHost(mode: 'vscode' | 'report' = 'vscode') {
  const requests: Request[] = [];
  const data: DataSource = {
    mode,
    query(q, options) {
      return new Promise((resolve, reject) => {
        const r: Request = {
          query: q,
          priority: options.priority,
          signal: options.signal!,
          settled: false,
          answer: (a) => {
            r.settled = true;
            resolve(a as never);
          },
          fail: (e) => {
            r.settled = true;
            reject(e);
          },
          progress: (f, m) => options.onProgress?.(f, m),
        };
        requests.push(r);
      });
    },
    revealLayer: () => undefined,
    save: () => undefined,
  };
  const live = () => requests.filter((r) => !r.signal.aborted && !r.settled);
  return { data, requests, live };
}

const q = (layer: number): Query => ({ kind: 'channelEntropies', layer, epoch: 1, x: { kind: 'all' } });
const tick = () => new Promise((r) => setImmediate(r));

describe('webview/viewPresence: the queries of a view on screen first, of a view left cancelled', () => {
  it('asks at the view’s own priority on screen, as background when drawn ahead', async () => {
    const host = fakeHost();
    const on = presenceSource(host.data, 'on');
    void on.data.query(q(1), { view: 'channel' });
    void on.data.query(q(2), { view: 'channel', priority: 'soon' });
    const ahead = presenceSource(host.data, 'ahead');
    void ahead.data.query(q(3), { view: 'layer' });
    void ahead.data.query(q(4), { view: 'layer', priority: 'soon' });
    assert.deepEqual(
      host.requests.map((r) => r.priority),
      ['visible', 'soon', 'background', 'background'],
    );
  });

  it('asks a view’s waiting background queries again at their own priority once it is on screen, not one already computing', async () => {
    const host = fakeHost();
    const view = presenceSource(host.data, 'ahead');
    const answers: unknown[] = [];
    void view.data.query(q(1), { view: 'layer' }).then((a) => answers.push(a));
    void view.data.query(q(2), { view: 'layer', priority: 'soon' }).then((a) => answers.push(a));
    void view.data.query(q(3), { view: 'layer' }).then((a) => answers.push(a));
    host.requests[2].progress(0, 'computing');
    view.setPresence('on');
    assert.deepEqual(
      host.live().map((r) => `${(r.query as { layer: number }).layer} ${r.priority}`),
      ['3 background', '1 visible', '2 soon'],
    );
    assert.equal(host.requests.length, 5, 'two asked again');
    assert.ok(host.requests[0].signal.aborted && host.requests[1].signal.aborted, 'the waiting ones cancelled');
    // The caller gets the answer of the request asked again, once.
    for (const r of host.live()) r.answer(`answer ${(r.query as { layer: number }).layer}`);
    host.requests[0].answer('stale');
    await tick();
    assert.deepEqual(answers.sort(), ['answer 1', 'answer 2', 'answer 3']);
  });

  it('cancels what a view left waits for, keeps its callers waiting, and asks again when it is back', async () => {
    const host = fakeHost();
    const view = presenceSource(host.data, 'on');
    const progress: (string | undefined)[] = [];
    let answer: unknown;
    void view.data.query(q(1), { view: 'channel', onProgress: (_f, m) => progress.push(m) }).then((a) => (answer = a));
    const done = view.data.query(q(2), { view: 'channel' });
    host.requests[1].answer('kept');
    assert.equal(await done, 'kept');
    view.setPresence('left');
    assert.equal(host.live().length, 0, 'nothing left asked');
    assert.ok(host.requests[0].signal.aborted);
    assert.deepEqual(progress, [PARKED_MESSAGE]);
    // Asked while left: parked, not sent.
    void view.data.query(q(3), { view: 'channel' });
    assert.equal(host.requests.length, 2);
    view.setPresence('on');
    assert.deepEqual(
      host.live().map((r) => `${(r.query as { layer: number }).layer} ${r.priority}`),
      ['1 visible', '3 visible'],
    );
    host.live()[0].answer('fresh');
    await tick();
    assert.equal(answer, 'fresh');
    // What had arrived is not asked again.
    assert.equal(host.requests.filter((r) => (r.query as { layer: number }).layer === 2).length, 1);
  });

  it('cancels a request when its caller aborts, and passes errors on', async () => {
    const host = fakeHost();
    const view = presenceSource(host.data, 'on');
    const controller = new AbortController();
    const asked = view.data.query(q(1), { view: 'channel', signal: controller.signal });
    controller.abort();
    await assert.rejects(asked, (e: unknown) => e instanceof ViewError && e.code === 'cancelled');
    assert.ok(host.requests[0].signal.aborted);
    const failing = view.data.query(q(2), { view: 'channel' });
    host.requests[1].fail(new ViewError('internal', 'boom'));
    await assert.rejects(failing, /boom/);
    // A caller that aborts while its view is left: rejected, and nothing is asked when the view is back.
    const parked = new AbortController();
    view.setPresence('left');
    const p = view.data.query(q(3), { view: 'channel', signal: parked.signal });
    parked.abort();
    await assert.rejects(p, (e: unknown) => e instanceof ViewError && e.code === 'cancelled');
    view.setPresence('on');
    assert.equal(host.requests.length, 2);
  });

  it('leaves a report’s source as it is (it looks answers up)', () => {
    const host = fakeHost('report');
    assert.equal(presenceSource(host.data, 'left').data, host.data);
  });
});
