// The host↔webview protocol's validation, the page's CSP and escaping, the report's lookups, and
// the pure helpers of the views (slice text, saved-state validation).
import assert from 'node:assert/strict';
import { canonicalQuery } from '../../../src/contract/queries';
import type { RunManifest } from '../../../src/contract/runFormat';
import type { ReportData } from '../../../src/contract/reportCodec';
import { reportDataSource, ViewError } from '../../../webview/data';
import { contentSecurityPolicy, webviewPage } from '../../../src/contract/page';
import { capacityPairs, queries, reportPlan, spreadEpochs } from '../../../src/contract/plan';
import {
  isExportFileName,
  parseAnswer,
  parseHostMessage,
  parseWebviewMessage,
  PROTOCOL_VERSION,
} from '../../../src/contract/webviewProtocol';
import { describeSlice, parseIndices, ranges } from '../../../webview/slice';
import { applyFocus, defaultUiState, epochAfterLanding, restoreUiState } from '../../../webview/state';

const layer = (index: number, name: string, channels: number, outputShape: number[]) => ({
  index,
  name,
  className: 'Conv2D',
  outputShape,
  channels,
  parameters: 10,
});
const manifest = {
  formatVersion: 1,
  id: 'run-1',
  status: 'completed',
  createdAt: '2026-11-22T10:00:00Z',
  updatedAt: '2026-11-22T10:00:00Z',
  model: { file: '/m.ts', fingerprint: 'f', name: 'm.ts', sourceFiles: [] },
  layers: [
    layer(0, 'input', 1, [28, 28, 1]),
    layer(1, 'conv1', 8, [24, 24, 8]),
    layer(2, 'pool1', 8, [12, 12, 8]),
    layer(3, 'flatten', 1, [1152]),
    layer(4, 'conv9', 4, [2, 2, 4]),
  ],
  dataset: { spec: 'mnist', name: 'mnist', fingerprint: 'd', classNames: ['0', '1', '2'], inputShape: [28, 28, 1], trainSize: 10 },
  probe: { size: 30, inputsFile: 'i', labelsFile: 'l', classCounts: [10, 10, 10] },
  settings: { epochs: 2, batchSize: 8, optimizer: 'adam', learningRate: 0.01, seed: 1, recordEvery: 1, probeSize: 30, bins: 32, k: 10 },
  backend: { name: 'wasm', fallbackReasons: [] },
  epochs: [0, 1, 2],
} as unknown as RunManifest;

describe('webview protocol', () => {
  it('accepts each well-formed webview message and returns a clean copy', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION, extra: 1 }), {
      type: 'webview/ready',
      protocolVersion: PROTOCOL_VERSION,
    });
    assert.deepEqual(
      parseWebviewMessage({
        type: 'webview/query',
        id: 3,
        view: 'layer',
        query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0, junk: true },
      }),
      {
        type: 'webview/query',
        id: 3,
        view: 'layer',
        query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0 },
      },
    );
    assert.deepEqual(parseWebviewMessage({ type: 'webview/cancel', id: 3 }), { type: 'webview/cancel', id: 3 });
    assert.deepEqual(parseWebviewMessage({ type: 'webview/revealLayer', layer: 2 }), { type: 'webview/revealLayer', layer: 2 });
    assert.deepEqual(parseWebviewMessage({ type: 'webview/export', fileName: 'capacity-conv1.csv', format: 'csv', text: 'a,b\r\n' }), {
      type: 'webview/export',
      fileName: 'capacity-conv1.csv',
      format: 'csv',
      text: 'a,b\r\n',
    });
    assert.deepEqual(parseWebviewMessage({ type: 'webview/export', fileName: 'x.png', format: 'png', base64: 'iVBORw0KGgo=' }), {
      type: 'webview/export',
      fileName: 'x.png',
      format: 'png',
      base64: 'iVBORw0KGgo=',
    });
  });

  it('rejects malformed webview messages', () => {
    const bad: unknown[] = [
      null,
      'webview/ready',
      [],
      { type: 'webview/unknown' },
      { type: 'webview/ready', protocolVersion: 0 },
      { type: 'webview/ready', protocolVersion: 1.5 },
      { type: 'webview/query', id: -1, view: 'layer', query: { kind: 'run' } },
      { type: 'webview/query', id: 1.5, view: 'layer', query: { kind: 'run' } },
      { type: 'webview/query', id: 1, view: 'nope', query: { kind: 'run' } },
      { type: 'webview/query', id: 1, view: 'layer', query: { kind: 'drop tables' } },
      { type: 'webview/query', id: 1, view: 'layer', query: { kind: 'featureMaps', layer: 1, channels: [], epoch: 0, x: { kind: 'all' } } },
      { type: 'webview/query', id: 1, view: 'layer', query: { kind: 'capacityMatrix', layerI: '1', layerJ: 2, epoch: 0 } },
      { type: 'webview/cancel', id: 'x' },
      { type: 'webview/revealLayer', layer: -2 },
      { type: 'webview/revealLayer', layerName: 'conv1' },
      // Exports name a bare file with the format's extension: never a path.
      { type: 'webview/export', fileName: '../../.bashrc.csv', format: 'csv', text: '' },
      { type: 'webview/export', fileName: '/etc/passwd.csv', format: 'csv', text: '' },
      { type: 'webview/export', fileName: 'a\\b.csv', format: 'csv', text: '' },
      { type: 'webview/export', fileName: '.hidden.csv', format: 'csv', text: '' },
      { type: 'webview/export', fileName: 'x.exe', format: 'csv', text: '' },
      { type: 'webview/export', fileName: 'x.csv', format: 'exe', text: '' },
      { type: 'webview/export', fileName: 'x.csv', format: 'csv' },
      { type: 'webview/export', fileName: 'x.csv', format: 'csv', text: 'a', base64: 'YQ==' },
      { type: 'webview/export', fileName: 'x.png', format: 'png', text: 'not base64' },
      { type: 'webview/export', fileName: 'x.png', format: 'png', base64: 'ab$c' },
    ];
    for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
  });

  it('takes how soon a query is needed (visible, soon or background) and nothing else', () => {
    const q = { type: 'webview/query', id: 4, view: 'layer', query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0 } };
    for (const priority of ['visible', 'soon', 'background'])
      assert.deepEqual(parseWebviewMessage({ ...q, priority }), { ...q, priority }, priority);
    // Absent is how the previous version's webview asks: the host reads it as on screen.
    assert.equal(parseWebviewMessage(q)?.type, 'webview/query');
    for (const priority of ['urgent', 'Visible', 0, null, ['visible']])
      assert.equal(parseWebviewMessage({ ...q, priority }), undefined, `priority ${JSON.stringify(priority)}`);
  });

  it('bounds exported file names', () => {
    assert.ok(isExportFileName('layer view 3.svg', 'svg'));
    assert.ok(!isExportFileName('a..b.svg', 'svg'));
    assert.ok(!isExportFileName(`${'a'.repeat(200)}.svg`, 'svg'));
    assert.ok(!isExportFileName('x.SVG.png', 'svg'));
  });

  it('accepts well-formed host messages and rejects malformed ones', () => {
    assert.deepEqual(
      parseHostMessage({ type: 'host/hello', protocolVersion: 2, theme: 'dark', runId: 'r', focus: { view: 'channel', layer: 3 } }),
      {
        type: 'host/hello',
        protocolVersion: 2,
        theme: 'dark',
        runId: 'r',
        focus: { view: 'channel', layer: 3 },
      },
    );
    assert.deepEqual(parseHostMessage({ type: 'host/progress', id: 1, fraction: 0.5 }), { type: 'host/progress', id: 1, fraction: 0.5 });
    assert.deepEqual(parseHostMessage({ type: 'host/error', id: 1, code: 'out-of-range', message: 'layer 9 does not exist' }), {
      type: 'host/error',
      id: 1,
      code: 'out-of-range',
      message: 'layer 9 does not exist',
    });
    assert.equal(parseHostMessage({ type: 'host/answer', id: 1, answer: { kind: 'x' }, cached: false, ms: 3 })?.type, 'host/answer');
    for (const m of [
      { type: 'host/hello', protocolVersion: 2, theme: 'neon', runId: 'r' },
      { type: 'host/hello', protocolVersion: 2, theme: 'dark', runId: 'r', focus: { view: 'nope' } },
      { type: 'host/progress', id: 1, fraction: 1.5 },
      { type: 'host/progress', id: 1, fraction: Number.NaN },
      { type: 'host/answer', id: 1, answer: [1], cached: false, ms: 1 },
      { type: 'host/answer', id: 1, answer: {}, cached: 'no', ms: 1 },
      { type: 'host/error', id: 1, code: 'boom', message: 'x' },
      { type: 'host/focus', focus: { layer: -1 } },
      { type: 'host/theme', theme: 3 },
    ]) {
      assert.equal(parseHostMessage(m), undefined, JSON.stringify(m));
    }
  });

  it("checks an answer against the answer schema of the query's kind, keeping null bits", () => {
    const answer = { layerI: 1, layerJ: 2, epoch: 0, inputCount: 4, bins: 32, bits: null };
    assert.deepEqual(parseAnswer('layerCapacity', answer).answer, answer);
    assert.match(parseAnswer('layerCapacity', { ...answer, bits: 'x' }).problem ?? '', /malformed layerCapacity answer at bits/);
    assert.match(parseAnswer('capacityMatrix', answer).problem ?? '', /malformed capacityMatrix answer/);
  });
});

describe('webview page', () => {
  it('has a strict CSP: nonce scripts, nothing remote, no inline styles without the nonce', () => {
    const csp = contentSecurityPolicy('N0nce', 'https://file+.vscode-resource.vscode-cdn.net');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-N0nce'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|http:/);
    assert.match(csp, /connect-src 'none'/);
  });

  it('escapes embedded data and inline code so nothing can close its element early', () => {
    const html = webviewPage({
      title: 'a"<b',
      nonce: 'n',
      script: { inline: 'var s = "</script><script>alert(1)</script>";' },
      style: { inline: 'a{}</style><script>' },
      data: { evil: '</script><script>alert(2)</script><!--' },
    });
    assert.equal(html.match(/<\/script/gi)?.length, 2, 'only the data block and the bundle close a script element');
    assert.equal(html.match(/<\/style/gi)?.length, 1);
    assert.ok(!html.includes('alert(2)</script>'));
    assert.ok(html.includes('\\u003c/script>'));
    assert.match(html, /<title>a&quot;&lt;b<\/title>/);
    const json = html.slice(html.indexOf('id="cnn-slicer-report"'));
    const text = json.slice(json.indexOf('>') + 1, json.indexOf('</script>'));
    assert.deepEqual(JSON.parse(text), { evil: '</script><script>alert(2)</script><!--' });
  });
});

describe('report data source', () => {
  const answers: ReportData['answers'] = {
    [canonicalQuery(queries.training())]: { answer: { epochs: [0] } },
    [canonicalQuery(queries.deconvolution(3, 0, 2))]: { error: { code: 'unsupported', message: 'cannot pass back through flatten' } },
  };
  const data = reportDataSource({ formatVersion: 1, runId: 'r', createdAt: '', manifest, answers, coverage: 'all probe inputs' });

  it('answers a precomputed query by its canonical form, whatever the key order', async () => {
    assert.deepEqual(await data.query({ kind: 'training' }, { view: 'training' }), { epochs: [0] });
    const q = { x: { seed: 0, count: 1, kind: 'perClass' as const }, epoch: 2, channel: 0, layer: 3, kind: 'deconvolution' as const };
    await assert.rejects(
      data.query(q, { view: 'channel' }),
      (e: unknown) => e instanceof ViewError && e.code === 'unsupported' && /flatten/.test(e.message),
    );
  });

  it('explains a slice the report does not hold', async () => {
    await assert.rejects(
      data.query(queries.capacityMatrix(1, 4, 0, { kind: 'all' }), { view: 'layer' }),
      (e: unknown) => e instanceof ViewError && e.code === 'not-in-report' && /all probe inputs/.test(e.message),
    );
  });
});

describe('report plan', () => {
  it('pairs consecutive multi-channel layers and spreads epochs with first and last', () => {
    assert.deepEqual(capacityPairs(manifest), [
      [1, 2],
      [2, 4],
    ]);
    assert.deepEqual(spreadEpochs([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3), [0, 5, 10]);
    assert.deepEqual(spreadEpochs([0, 1], 6), [0, 1]);
    assert.deepEqual(spreadEpochs([0, 1, 2], 1), [2]);
  });

  it('lists each query once, subsets "all" left out so views and report agree', () => {
    const plan = reportPlan(manifest, { epochs: [2], datasetDiversity: false, deconvolutionChannels: 2 });
    const keys = plan.map((p) => canonicalQuery(p.query));
    assert.ok(keys.includes(canonicalQuery(queries.capacityMatrix(1, 2, 2, { kind: 'all' }))));
    assert.ok(keys.includes(canonicalQuery({ kind: 'capacityMatrix', layerI: 2, layerJ: 4, epoch: 2 })));
    assert.ok(
      keys.includes(
        canonicalQuery({
          kind: 'featureMaps',
          layer: 1,
          channels: [0, 1, 2, 3, 4, 5, 6, 7],
          epoch: 2,
          x: { kind: 'perClass', count: 1, seed: 0 },
        }),
      ),
    );
    assert.ok(!keys.some((k) => k.includes('"dataset"')));
    assert.equal(queries.interSample(1, 0, { kind: 'all' }).x, undefined);
  });
});

describe('slice helpers', () => {
  it('parses index lists and ranges, and says what is wrong', () => {
    assert.deepEqual(parseIndices('5, 0, 2-4, 3', 10), { indices: [0, 2, 3, 4, 5] });
    assert.match(parseIndices('4-2', 10).error ?? '', /backwards/);
    assert.match(parseIndices('12', 10).error ?? '', /0–9/);
    assert.match(parseIndices('a', 10).error ?? '', /not an index/);
    assert.match(parseIndices(' , ', 10).error ?? '', /at least one/);
  });

  it('describes a slice as dCNN(x, l, c, t)', () => {
    assert.equal(ranges([7, 0, 1, 2, 5]), '0–2, 5, 7');
    assert.equal(
      describeSlice(
        { layers: [1, 2], channels: { '1': [0, 1, 2, 3], '4': [1] }, subset: { kind: 'classes', classes: [0, 2] }, epoch: 1 },
        ['input', 'conv1', 'pool1'],
        ['zero', 'one', 'two'],
      ),
      'dCNN(x = classes zero, two, l = {conv1, pool1}, c = conv1: 0–3, t = epoch 1)',
    );
  });
});

describe('saved UI state', () => {
  it('moves a view on the last epoch to an epoch that lands, and leaves one on an earlier epoch (issue 66)', () => {
    assert.equal(epochAfterLanding(1, 1, [0, 1, 2]), 2);
    assert.equal(epochAfterLanding(0, 1, [0, 1, 2]), 0);
    assert.equal(epochAfterLanding(0, undefined, [0]), 0);
    assert.equal(epochAfterLanding(0, undefined, [1, 2]), 2, 'an epoch the run does not list goes to the last');
    assert.equal(epochAfterLanding(3, 2, []), 3);
  });

  it('defaults to the first two multi-channel layers at the last epoch', () => {
    const ui = defaultUiState(manifest);
    assert.deepEqual(ui.slice.layers, [1, 2]);
    assert.equal(ui.epoch, 2);
  });

  it('keeps what is valid for this run and drops the rest', () => {
    const saved = {
      version: 1,
      runId: 'run-1',
      tab: 'layer',
      epoch: 1,
      slice: { layers: [1, 4], channels: { '1': [0, 3], '2': [99] }, subset: { kind: 'perClass', count: 3, seed: 2 } },
      focus: { layer: 4, channel: 2 },
      views: { 'layer.sort': 'rowMax' },
    };
    const ui = restoreUiState(saved, manifest);
    assert.equal(ui.tab, 'layer');
    assert.equal(ui.epoch, 1);
    assert.deepEqual(ui.slice, { layers: [1, 4], channels: { '1': [0, 3] }, subset: { kind: 'perClass', count: 3, seed: 2 } });
    assert.deepEqual(ui.focus, { layer: 4, channel: 2 });
    assert.deepEqual(restoreUiState({ ...saved, epoch: 7, tab: 'evil', slice: { layers: [99] } }, manifest).epoch, 2);
    assert.deepEqual(restoreUiState({ ...saved, runId: 'another-run' }, manifest), defaultUiState(manifest));
    assert.deepEqual(restoreUiState('garbage', manifest), defaultUiState(manifest));
  });

  it('applies a focus with a layer pair and the epoch strip (a hover\'s "Epoch strip" link) as the Layer view\'s own settings', () => {
    const before = {
      ...defaultUiState(manifest),
      views: { 'layer.strips': { epochOpen: false, depthOpen: true, epochs: [0, 2], depthBase: 1 } },
    };
    const ui = applyFocus(before, { view: 'layer', layer: 3, pair: [2, 3], open: 'epochStrip' });
    assert.equal(ui.tab, 'layer');
    assert.deepEqual(ui.views['layer.pair'], { base: before.slice.layers.join(','), i: 2, j: 3 });
    // The strip opens; the user's other strip settings stay.
    assert.deepEqual(ui.views['layer.strips'], { epochOpen: true, depthOpen: true, epochs: [0, 2], depthBase: 1 });
    // A plain focus (the editor cursor) picks the pair ending at its layer, and leaves the strips alone.
    const cursor = applyFocus(before, { layer: 3 });
    assert.deepEqual(cursor.views['layer.pair'], { base: before.slice.layers.join(','), i: 2, j: 3 });
    assert.deepEqual(cursor.views['layer.strips'], before.views['layer.strips']);
    assert.deepEqual(applyFocus(before, { layer: 1 }).views['layer.pair'], { base: before.slice.layers.join(','), i: 1, j: 2 });
    assert.equal(applyFocus(before, { layer: 0 }).views['layer.pair'], undefined, 'the input has no pair of its own');
    const parsed = parseHostMessage({ type: 'host/focus', focus: { view: 'layer', layer: 3, pair: [2, 3], open: 'epochStrip' } });
    assert.deepEqual(parsed, { type: 'host/focus', focus: { view: 'layer', layer: 3, pair: [2, 3], open: 'epochStrip' } });
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { pair: [2, -1] } }), undefined);
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { open: 'everything' } }), undefined);
  });

  it('puts the layers of one definition (a lens standing for several) in the Layer view, validated both ways', () => {
    const before = defaultUiState(manifest);
    const ui = applyFocus(before, { view: 'layer', layer: 1, layers: [1, 3] });
    assert.equal(ui.tab, 'layer');
    assert.deepEqual(ui.views['layer.instances'], [1, 3]);
    // A later focus without layers (the editor cursor) leaves the row as it is.
    assert.deepEqual(applyFocus(ui, { layer: 3 }).views['layer.instances'], [1, 3]);
    assert.deepEqual(parseHostMessage({ type: 'host/focus', focus: { layers: [1, 3] } }), {
      type: 'host/focus',
      focus: { layers: [1, 3] },
    });
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { layers: [] } }), undefined, 'no empty row');
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { layers: [1.5] } }), undefined);
    assert.equal(parseHostMessage({ type: 'host/focus', focus: { layers: Array.from({ length: 257 }, (_, i) => i) } }), undefined);
  });
});
