// How soon each query is needed, as the views say it to the host (webview/protocol.ts, `priority`):
// the webview in VS Code mode in a real browser, in front of a host that records every query and
// answers it. The Layer view shows the last epoch's capacity matrix (on screen: `visible`) and then
// prefetches the pair at every other epoch: the neighbours a slider step or playback shows next as
// `soon`, the rest, off screen, as `background`.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CapacityMatrixAnswer, Query, QueryPriority } from '../../src/service/queries';
import type { RunManifest } from '../../src/run/format';
import { defaultLayers } from '../../webview/state';
import { PROTOCOL_VERSION } from '../../webview/protocol';
import { browserFixture, closeChecked, openView, screenshot, useBrowser, writePage } from './harness';

/** Eight recorded epochs: enough for neighbours and epochs further off. */
const EPOCHS = [0, 1, 2, 3, 4, 5, 6, 7];

/** A matrix of the pair's shape whose values depend on the epoch (the view only draws it). */
function matrix(manifest: RunManifest, layerI: number, layerJ: number, epoch: number): CapacityMatrixAnswer {
  const rows = manifest.layers[layerJ].channels;
  const columns = manifest.layers[layerI].channels;
  const values = Array.from({ length: rows * columns }, (_, k) => ((k * 7 + epoch) % 11) / 4);
  const identity = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    layerI,
    layerJ,
    epoch,
    inputCount: manifest.probe.size,
    bins: 32,
    rows,
    columns,
    values,
    orders: { rowMax: identity(rows), rowMean: identity(rows), columnMax: identity(columns), columnMean: identity(columns) },
  };
}

interface Asked {
  query: Query;
  priority: QueryPriority | undefined;
}

describe('browser: the priority each view gives its queries', function () {
  const browser = useBrowser(this);

  it('asks the capacity matrix on screen as visible, its neighbouring epochs as soon and the others as background', async () => {
    const f = await browserFixture();
    const manifest: RunManifest = { ...f.manifest, epochs: EPOCHS };
    const [layerI, layerJ] = defaultLayers(manifest);
    const last = EPOCHS[EPOCHS.length - 1];
    const pageFile = writePage(join(f.dir, 'priority-panel.html'), { theme: 'light' });
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    const asked: Asked[] = [];
    // Resolved once the prefetch has asked the pair's matrix at every epoch.
    let everyEpochAsked!: () => void;
    const allAsked = new Promise<void>((resolve) => (everyEpochAsked = resolve));
    const post = (m: unknown) =>
      void page.evaluate((msg) => window.postMessage(msg, '*'), m as Record<string, unknown>).catch(() => undefined);
    await page.exposeFunction('__cnnSlicerToHost', (text: string) => {
      const m = JSON.parse(text) as { type: string; id?: number; query?: Query; priority?: QueryPriority };
      if (m.type === 'webview/ready') post({ type: 'host/hello', protocolVersion: PROTOCOL_VERSION, theme: 'light', runId: manifest.id });
      if (m.type !== 'webview/query' || !m.query) return;
      asked.push({ query: m.query, priority: m.priority });
      const q = m.query;
      if (q.kind === 'run') post({ type: 'host/answer', id: m.id, answer: { manifest, notes: [] }, cached: false, ms: 1 });
      else if (q.kind === 'capacityMatrix' && !q.x)
        post({ type: 'host/answer', id: m.id, answer: matrix(manifest, q.layerI, q.layerJ, q.epoch), cached: false, ms: 1 });
      else post({ type: 'host/error', id: m.id, code: 'unsupported', message: `the test host answers no ${q.kind} query` });
      const matrices = new Set(asked.filter((a) => a.query.kind === 'capacityMatrix').map((a) => (a.query as { epoch: number }).epoch));
      if (EPOCHS.every((e) => matrices.has(e))) everyEpochAsked();
    });
    await page.addInitScript({
      content: `window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.__cnnSlicerToHost(JSON.stringify(m)),
        getState: () => null,
        setState: () => undefined,
      });`,
    });
    await page.goto(`file://${pageFile}`);
    await page.waitForSelector('.run-header');
    await openView(page, 'layer');
    await page.waitForSelector(`#panel-layer canvas.heatmap-canvas[data-drawn-epoch="${last}"]`);
    await allAsked;
    await screenshot(page, 'query-priority-layer');

    const matrixPriority = new Map<number, QueryPriority | undefined>();
    for (const a of asked) {
      if (a.query.kind !== 'capacityMatrix' || a.query.layerI !== layerI || a.query.layerJ !== layerJ) continue;
      assert.equal(matrixPriority.has(a.query.epoch), false, `the matrix at epoch ${a.query.epoch} is asked once`);
      matrixPriority.set(a.query.epoch, a.priority);
    }
    assert.equal(matrixPriority.get(last), 'visible', 'the matrix on screen');
    // The epoch before the last and the first (the prefetch goes round from the last to the first).
    assert.equal(matrixPriority.get(last - 1), 'soon');
    assert.equal(matrixPriority.get(0), 'soon');
    for (const e of EPOCHS.slice(1, -2)) assert.equal(matrixPriority.get(e), 'background', `the matrix at epoch ${e}, off screen`);
    // Every query says how soon it is needed; the run's manifest is on screen.
    assert.deepEqual(
      asked.filter((a) => a.priority === undefined).map((a) => a.query.kind),
      [],
    );
    assert.equal(asked.find((a) => a.query.kind === 'run')?.priority, 'visible');
    await closeChecked(page, problems);
  });
});
