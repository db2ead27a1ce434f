// The host side of a panel's messages (src/extension/panels/webviewBridge.ts) with a recording client in
// place of the analysis service: a comparison panel's hello names its runs, each query goes to the
// run it names by index, and a query naming a run the panel does not show is refused, never sent.
// Also the comparison fields of the typed protocol (src/contract/webviewProtocol.ts) as both sides parse them.
import assert from 'node:assert/strict';
import type { Query } from '../../../../src/contract/queries';
import { queryFolder, WebviewBridge } from '../../../../src/extension/panels/webviewBridge';
import type { BridgeOptions, QueryClient } from '../../../../src/extension/panels/webviewBridge';
import { MAX_COMPARED_RUNS, parseHostMessage, parseWebviewMessage, PROTOCOL_VERSION } from '../../../../src/contract/webviewProtocol';
import type { HostToWebview } from '../../../../src/contract/webviewProtocol';

const RUNS = [
  { folder: '/ws/runs/a', runId: 'run-a' },
  { folder: '/ws/runs/b', runId: 'run-b' },
];

function bridge(o: Partial<BridgeOptions> = {}) {
  const posted: HostToWebview[] = [];
  const asked: string[] = [];
  const logs: string[] = [];
  const answered: number[] = [];
  const client: QueryClient = {
    query: (run: string, query: Query) => {
      asked.push(`${run} ${query.kind}`);
      return Promise.resolve({ answer: { kind: query.kind, from: run }, cached: false, ms: 1 } as never);
    },
  };
  const b = new WebviewBridge({
    runFolder: RUNS[0].folder,
    runId: RUNS[0].runId,
    client,
    post: (m) => posted.push(m),
    theme: () => 'dark',
    revealLayer: () => undefined,
    save: () => undefined,
    log: (l) => logs.push(l),
    answered: (run) => answered.push(run),
    ...o,
  });
  return { b, posted, asked, logs, answered };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('webview bridge: Compare with Source Run', () => {
  it('a run panel asks its host for the comparison with its source run; the message names no run or path', () => {
    let asked = 0;
    const run = bridge({ compareWithSource: () => asked++ });
    run.b.handle({ type: 'webview/compareWithSource' });
    assert.equal(asked, 1);
    assert.deepEqual(run.logs, []);
    // Anything added to the message is dropped: the host finds the source run in the manifest, never from the webview.
    assert.deepEqual(parseWebviewMessage({ type: 'webview/compareWithSource', folder: '/etc' }), { type: 'webview/compareWithSource' });
  });
  it('a comparison panel, which has no source run, ignores the message and logs it', () => {
    const compare = bridge({ comparedRuns: RUNS });
    compare.b.handle({ type: 'webview/compareWithSource' });
    assert.match(compare.logs[0], /ignored a request .* to compare with a source run/);
  });
});

describe('webview bridge: comparison panels', () => {
  it('announces a comparison panel’s runs in its hello, and a run panel’s none', () => {
    const compare = bridge({ comparedRuns: RUNS });
    compare.b.handle({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION });
    assert.deepEqual(compare.posted[0], {
      type: 'host/hello',
      protocolVersion: PROTOCOL_VERSION,
      theme: 'dark',
      runId: 'run-a',
      runIds: ['run-a', 'run-b'],
    });
    assert.ok(parseHostMessage(compare.posted[0]), 'the webview accepts the hello it gets');
    const single = bridge();
    single.b.handle({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION });
    assert.equal('runIds' in single.posted[0], false);
  });

  it('names the compared runs as the tree and the tabs do, when the host gives every run a name', () => {
    const named = bridge({ comparedRuns: RUNS.map((r, i) => ({ ...r, name: `#${i + 1}` })) });
    named.b.handle({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION });
    assert.deepEqual((named.posted[0] as { runNames?: string[] }).runNames, ['#1', '#2']);
    assert.ok(parseHostMessage(named.posted[0]), 'the webview accepts the hello it gets');
    const hello = { type: 'host/hello', protocolVersion: PROTOCOL_VERSION, theme: 'light', runId: 'a', runIds: ['a', 'b'] };
    assert.equal(parseHostMessage({ ...hello, runNames: ['#1', 2] }), undefined);
    assert.equal(parseHostMessage({ ...hello, runNames: ['x'.repeat(5000), '#2'] }), undefined);
  });

  it('sends each query to the run it names and answers it by id', async () => {
    const h = bridge({ comparedRuns: RUNS });
    h.b.handle({ type: 'webview/query', id: 1, view: 'training', query: { kind: 'training' }, run: 1 });
    h.b.handle({ type: 'webview/query', id: 2, view: 'training', query: { kind: 'run' }, run: 0 });
    await settle();
    assert.deepEqual(h.asked, ['/ws/runs/b training', '/ws/runs/a run']);
    assert.deepEqual(
      h.posted.map((m) => (m.type === 'host/answer' ? [m.id, (m.answer as unknown as { from: string }).from] : m.type)),
      [
        [1, '/ws/runs/b'],
        [2, '/ws/runs/a'],
      ],
    );
    assert.deepEqual(h.answered, [1, 0]);
  });

  it('refuses a query for a run the panel does not show, or naming no run, without asking the service', async () => {
    const h = bridge({ comparedRuns: RUNS });
    h.b.handle({ type: 'webview/query', id: 5, view: 'training', query: { kind: 'training' }, run: 2 });
    h.b.handle({ type: 'webview/query', id: 6, view: 'training', query: { kind: 'training' } });
    await settle();
    assert.deepEqual(h.asked, []);
    assert.deepEqual(
      h.posted.map((m) => (m.type === 'host/error' ? `${m.id} ${m.code}` : m.type)),
      ['5 protocol', '6 protocol'],
    );
    assert.equal(h.logs.length, 2);
    assert.match(h.logs[0], /run 2, which it does not show/);
  });

  it('refuses a run panel’s query that names a run (a run panel shows exactly one)', async () => {
    const h = bridge();
    h.b.handle({ type: 'webview/query', id: 1, view: 'training', query: { kind: 'training' }, run: 1 });
    h.b.handle({ type: 'webview/query', id: 2, view: 'training', query: { kind: 'training' } });
    await settle();
    assert.deepEqual(h.asked, ['/ws/runs/a training']);
    assert.deepEqual(
      h.posted.map((m) => m.type),
      ['host/error', 'host/answer'],
    );
  });

  it('passes the priority a panel gives its query on to the service, and none when the panel gives none', async () => {
    const priorities: unknown[] = [];
    const client: QueryClient = {
      query: (_run, query, options) => {
        priorities.push(options?.priority);
        return Promise.resolve({ answer: { kind: query.kind }, cached: false, ms: 1 } as never);
      },
    };
    const h = bridge({ client });
    const q = { type: 'webview/query', view: 'layer', query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0 } };
    h.b.handle({ ...q, id: 1, priority: 'visible' });
    h.b.handle({ ...q, id: 2, priority: 'soon' });
    h.b.handle({ ...q, id: 3, priority: 'background' });
    h.b.handle({ ...q, id: 4 });
    await settle();
    assert.deepEqual(priorities, ['visible', 'soon', 'background', undefined]);
    assert.deepEqual(
      h.posted.map((m) => m.type),
      ['host/answer', 'host/answer', 'host/answer', 'host/answer'],
    );
  });

  it('names its panel to the service as one asker, and puts it behind the others while it is not the active panel', async () => {
    const askers: unknown[] = [];
    const standing: string[] = [];
    const client: QueryClient = {
      query: (_run, query, options) => {
        askers.push(options?.asker);
        return Promise.resolve({ answer: { kind: query.kind }, cached: false, ms: 1 } as never);
      },
      standing: (asker, behind) => standing.push(`${asker} ${behind}`),
    };
    const one = bridge({ client });
    const two = bridge({ client });
    const q = { type: 'webview/query', view: 'layer', query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0 } };
    one.b.handle({ ...q, id: 1 });
    one.b.handle({ ...q, id: 2 });
    two.b.handle({ ...q, id: 1 });
    await settle();
    assert.equal(askers[0], askers[1], 'one panel, one asker');
    assert.notEqual(askers[0], askers[2], 'two panels, two askers');
    assert.match(String(askers[0]), /^panel-\d+$/);
    one.b.setActive(true);
    assert.deepEqual(standing, [], 'an active panel stands where it is');
    one.b.setActive(false);
    one.b.setActive(false);
    one.b.setActive(true);
    two.b.setActive(false);
    // Disposed (hidden), nothing of it waits: it stands among the others again.
    two.b.dispose();
    assert.deepEqual(standing, [
      `${String(askers[0])} true`,
      `${String(askers[0])} false`,
      `${String(askers[2])} true`,
      `${String(askers[2])} false`,
    ]);
  });

  it('resolves the folder of a query: the run panel’s own, or the comparison’s run by index', () => {
    assert.equal(queryFolder({ runFolder: '/r' }, undefined), '/r');
    assert.equal(queryFolder({ runFolder: '/r' }, 0), undefined);
    assert.equal(queryFolder({ runFolder: '/ws/runs/a', comparedRuns: RUNS }, 1), '/ws/runs/b');
    assert.equal(queryFolder({ runFolder: '/ws/runs/a', comparedRuns: RUNS }, 2), undefined);
    assert.equal(queryFolder({ runFolder: '/ws/runs/a', comparedRuns: RUNS }, undefined), undefined);
  });
});

describe('webview protocol: comparison fields', () => {
  it('takes a run index within the most runs a comparison shows, never a path', () => {
    const q = { type: 'webview/query', id: 1, view: 'training', query: { kind: 'training' } };
    assert.equal(parseWebviewMessage({ ...q, run: MAX_COMPARED_RUNS - 1 })?.type, 'webview/query');
    for (const run of [MAX_COMPARED_RUNS, -1, 1.5, '/ws/runs/a', '0'])
      assert.equal(parseWebviewMessage({ ...q, run }), undefined, `run ${JSON.stringify(run)}`);
  });

  it('takes a hello naming two or more runs, and a focus with the cursor layer’s class', () => {
    const hello = { type: 'host/hello', protocolVersion: PROTOCOL_VERSION, theme: 'light', runId: 'a' };
    assert.deepEqual(parseHostMessage({ ...hello, runIds: ['a', 'b'] }), { ...hello, runIds: ['a', 'b'] });
    assert.equal(parseHostMessage({ ...hello, runIds: ['a'] }), undefined);
    assert.equal(parseHostMessage({ ...hello, runIds: Array.from({ length: MAX_COMPARED_RUNS + 1 }, (_, i) => `r${i}`) }), undefined);
    assert.equal(parseHostMessage({ ...hello, runIds: ['a', 3] }), undefined);
    assert.deepEqual(parseHostMessage({ type: 'host/focus', focus: { layer: 2, layerClass: 'Conv2D' } }), {
      type: 'host/focus',
      focus: { layer: 2, layerClass: 'Conv2D' },
    });
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { layer: 2, layerClass: 'x'.repeat(201) } }), undefined);
  });
});

describe('webview bridge: the run changed on disk (issue 66)', () => {
  it('tells a ready page that its run changed, in a message both sides parse; a page not ready yet reads the run anyway', () => {
    const run = bridge();
    run.b.runChanged();
    assert.deepEqual(run.posted, [], 'not before the page said it is ready: its first run query reads the run as it is');
    run.b.handle({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION });
    run.b.runChanged();
    assert.deepEqual(run.posted.at(-1), { type: 'host/runChanged' });
    assert.deepEqual(parseHostMessage({ type: 'host/runChanged', epochs: [1] }), { type: 'host/runChanged' });
  });
});
