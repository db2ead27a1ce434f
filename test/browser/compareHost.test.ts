// The comparison panel in VS Code mode, in real Chromium: the page gets `acquireVsCodeApi` as VS
// Code provides it and talks to the real WebviewBridge of a comparison (two runs) in front of the
// real analysis service. Checks what a person sees: both runs named, the per-layer values change
// when another epoch is picked (and say which epoch each run is read at), the epoch picked and the
// compared runs survive a reload, and the editor cursor's layer is highlighted by position and type.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunManifest } from '../../src/contract/runFormat';
import { copyFixtureRunInto } from '../support/fixtureRuns';
import { AnalysisClient } from '../../src/service/client';
import { WebviewBridge } from '../../src/extension/panels/webviewBridge';
import { screenshot, tempDir, useBrowser, writePage, stubVsCodeApi } from './harness';

interface Host {
  page: Page;
  bridge: WebviewBridge;
  logs: string[];
  problems: string[];
  /** Answers sent per run index. */
  answered: number[];
}

describe('browser: the comparison panel in VS Code mode (real bridge, real service)', function () {
  this.timeout(240_000);
  const browser = useBrowser(this);
  let client: AnalysisClient;
  let pageFile: string;
  const runs: { folder: string; manifest: RunManifest }[] = [];

  before(async () => {
    const dir = tempDir('cnn-slicer-browser-compare-host-');
    const runsFolder = join(dir, 'runs');
    // The tiny model from seeds 1 and 2, checked in under test/fixtures/runs.
    for (const name of ['tiny', 'tiny-seed2'] as const) runs.push(copyFixtureRunInto(name, runsFolder));
    client = new AnalysisClient({ roots: [runsFolder] });
    pageFile = writePage(join(dir, 'compare-panel.html'), { theme: 'dark' });
  });
  after(() => client?.dispose());

  async function openPanel(page?: Page): Promise<Host> {
    const p = page ?? (await browser().newPage({ viewport: { width: 1200, height: 900 } }));
    const host: Host = { page: p, logs: [], problems: [], answered: [0, 0], bridge: undefined as unknown as WebviewBridge };
    p.on('pageerror', (e) => host.problems.push(e.message));
    p.on('console', (m) => m.type() === 'error' && host.problems.push(m.text()));
    host.bridge = new WebviewBridge({
      runFolder: runs[0].folder,
      runId: runs[0].manifest.id,
      // Named as the Recorded Runs tree names them: the legend must say the same.
      comparedRuns: runs.map((r, i) => ({ folder: r.folder, runId: r.manifest.id, name: `#${i + 1}` })),
      client,
      post: (m) => void p.evaluate((msg) => window.postMessage(msg, '*'), m as unknown as Record<string, unknown>).catch(() => undefined),
      theme: () => 'dark',
      revealLayer: () => undefined,
      save: () => undefined,
      log: (line) => host.logs.push(line),
      answered: (run) => host.answered[run]++,
    });
    await p.exposeFunction('__cnnSlicerToHost', (json: string) => host.bridge.handle(JSON.parse(json)));
    await stubVsCodeApi(p, { keepState: true });
    await p.goto(`file://${pageFile}`);
    await p.waitForSelector('.compare-app');
    return host;
  }

  /** The per-layer values as the table shows them, once no epoch is being computed: "layer: A inter, B inter, A mean, B mean". */
  async function layerValues(page: Page): Promise<string[]> {
    await page.waitForSelector('.compare-layers-table tbody tr');
    await page.waitForFunction(() => !document.querySelector('.compare-layers [role=status]'), undefined, { timeout: 120_000 });
    return page.$$eval('.compare-layers-table tbody tr.compared', (rows) =>
      rows.map(
        (r) =>
          `${r.getAttribute('data-layer')}: ${Array.from(r.querySelectorAll('td.compare-value, td.muted'))
            .map((td) => td.textContent?.trim())
            .join(', ')}`,
      ),
    );
  }

  it('shows both runs and reads each run’s per-layer values at the epoch picked', async () => {
    const h = await openPanel();
    const { page } = h;
    // The legend draws once both runs' manifests have arrived from the host.
    await page.waitForFunction(() => document.querySelectorAll('.run-legend [data-run]').length === 2, undefined, { timeout: 60_000 });
    const legend = await page.$$eval('.run-legend [data-run]', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(legend.length, 2);
    runs.forEach((r, i) =>
      assert.ok(legend[i].includes(`#${i + 1}`) && !legend[i].includes(r.manifest.id), `the legend names run ${i} #${i + 1}: ${legend[i]}`),
    );
    const last = await layerValues(page);
    assert.match((await page.textContent('.compare-epochs-note')) ?? '', /Each run at its last epoch \(A: epoch 2, B: epoch 2\)/);
    assert.ok(last.length >= 3, last.join('\n'));
    assert.ok(h.answered[0] > 0 && h.answered[1] > 0, 'the host answered both runs');

    await page.selectOption('select[aria-label="Epoch of the layer values"]', '0');
    await page.waitForFunction(() => /Each run at epoch 0/.test(document.querySelector('.compare-epochs-note')?.textContent ?? ''));
    const first = await layerValues(page);
    assert.match((await page.textContent('.compare-epochs-note')) ?? '', /\(A: epoch 0, B: epoch 0\)/);
    assert.equal(first.length, last.length);
    // The input layer is the same at every epoch; the trained layers are not.
    const trained = (rows: string[]) => rows.filter((r) => !r.startsWith('0:'));
    assert.notDeepEqual(trained(first), trained(last), 'the per-layer values change with the epoch');
    for (const row of first) assert.match(row, /\d\.\d{3} bits|undefined|—/);
    await screenshot(page, 'compare-host-epoch0-dark');

    // Kept across a reload: the epoch picked, and the runs compared (what the host restores the panel from).
    await page.reload();
    await page.waitForSelector('.compare-app');
    assert.equal(await page.inputValue('select[aria-label="Epoch of the layer values"]'), '0');
    const saved = await page.evaluate(
      () => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null') as { views?: Record<string, unknown> },
    );
    assert.deepEqual(
      saved?.views?.compareRuns,
      runs.map((r) => r.manifest.id),
    );
    assert.deepEqual(h.problems, []);
    assert.deepEqual(h.logs, []);
    await page.close();
  });

  it('highlights the editor cursor’s layer by position and type, not when the type differs', async () => {
    const h = await openPanel();
    const { page } = h;
    await page.waitForSelector('.compare-layers-table tbody tr');
    const conv = runs[0].manifest.layers.find((l) => l.className === 'Conv2D')!;
    h.bridge.focus({ layer: conv.index, layerClass: 'Conv2D' });
    await page.waitForSelector(`.compare-layers-table tr[data-layer="${conv.index}"].focused-row`);
    await screenshot(page, 'compare-host-focus-dark');
    // A layer of another type at that position (the model was edited) selects nothing.
    h.bridge.focus({ layer: conv.index, layerClass: 'Dense' });
    await page.waitForFunction(() => !document.querySelector('.compare-layers-table tr.focused-row'));
    assert.deepEqual(h.problems, []);
    await page.close();
  });
});
