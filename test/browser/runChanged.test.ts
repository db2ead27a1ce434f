// An epoch that lands while a run panel is open (issue 66, "views that show the latest epoch move
// on"): the host says `host/runChanged`, the page asks `run` again, and the Layer view, which showed
// the last epoch, draws the new last epoch; the header names it. A host that answers queries in
// place of the analysis service, as in queryPriority.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Query } from '../../src/contract/queries';
import type { RunManifest } from '../../src/contract/runFormat';
import { PROTOCOL_VERSION } from '../../src/contract/webviewProtocol';
import {
  browserFixture,
  closeChecked,
  fakeCapacityMatrix,
  newCheckedPage,
  openView,
  postToPage,
  useBrowser,
  writePage,
  stubVsCodeApi,
} from './harness';

describe('browser: a run panel follows an epoch that lands', function () {
  const browser = useBrowser(this);

  it('asks the run again on host/runChanged; the Layer view on the last epoch moves to the new one', async () => {
    const f = await browserFixture();
    let manifest: RunManifest = { ...f.manifest, epochs: [0, 1, 2] };
    const pageFile = writePage(join(f.dir, 'run-changed-panel.html'), { theme: 'light' });
    const { page, problems } = await newCheckedPage(browser());
    const runAsked: number[] = [];
    const post = postToPage(page);
    await page.exposeFunction('__cnnSlicerToHost', (text: string) => {
      const m = JSON.parse(text) as { type: string; id?: number; query?: Query };
      if (m.type === 'webview/ready') post({ type: 'host/hello', protocolVersion: PROTOCOL_VERSION, theme: 'light', runId: manifest.id });
      if (m.type !== 'webview/query' || !m.query) return;
      const q = m.query;
      if (q.kind === 'run') runAsked.push(manifest.epochs.length);
      const answer =
        q.kind === 'run'
          ? { manifest, notes: [] }
          : q.kind === 'capacityMatrix' && !q.x
            ? fakeCapacityMatrix(manifest, q.layerI, q.layerJ, q.epoch)
            : undefined;
      if (answer !== undefined) post({ type: 'host/answer', id: m.id, answer, cached: false, ms: 1 });
      else post({ type: 'host/error', id: m.id, code: 'unsupported', message: `the test host answers no ${q.kind} query` });
    });
    await stubVsCodeApi(page, { keepState: false });
    await page.goto(`file://${pageFile}`);
    await page.waitForSelector('.run-header');
    await openView(page, 'layer');
    await page.waitForSelector('#panel-layer canvas.heatmap-canvas[data-drawn-epoch="2"]');
    // Epoch 3 lands.
    manifest = { ...manifest, epochs: [0, 1, 2, 3] };
    post({ type: 'host/runChanged' });
    await page.waitForSelector('#panel-layer canvas.heatmap-canvas[data-drawn-epoch="3"]');
    assert.match(await page.$eval('.run-header', (e) => e.textContent ?? ''), /epochs 0–3/);
    assert.deepEqual(runAsked, [3, 4]);
    await closeChecked(page, problems);
  });
});
