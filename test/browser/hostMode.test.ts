// The webview in VS Code mode, in a real browser: `acquireVsCodeApi` is provided the way VS Code
// provides it, and the host side is the real WebviewBridge (src/extension/panels/webviewBridge.ts) in
// front of the real analysis service — so every slice is computed, not looked up. Checks the
// protocol end to end: hello, queries with answers, reveal, export, host focus, saved state
// across a reload, and a malformed message ignored and logged.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { AnalysisClient } from '../../src/service/client';
import type { WebviewBridge } from '../../src/extension/panels/webviewBridge';
import type { ExportFormat, Focus } from '../../src/contract/webviewProtocol';
import {
  browserFixture,
  connectBridge,
  newCheckedPage,
  screenshot,
  showArchitectureTable,
  tempDir,
  useBrowser,
  useHostService,
} from './harness';
import { recordWideConv } from '../support/recordedModels';

interface Host {
  page: Page;
  bridge: WebviewBridge;
  reveals: number[];
  saves: { fileName: string; format: ExportFormat; data: Uint8Array | string }[];
  logs: string[];
  problems: string[];
}

describe('browser: the views in VS Code mode (real bridge, real service)', function () {
  const browser = useBrowser(this);
  // The page a panel gets: the same builder, no embedded data (so the app waits for the host).
  const service = useHostService(this, 'panel.html');

  /** A panel on the fixture run, or on `run` (a run of another folder, with its own client). */
  async function openPanel(initialFocus?: Focus, run?: { folder: string; id: string; client: AnalysisClient }): Promise<Host> {
    const f = await browserFixture();
    const { page, problems } = await newCheckedPage(browser());
    const reveals: number[] = [];
    const saves: Host['saves'] = [];
    const logs: string[] = [];
    // What VS Code injects into a webview: one API object, state kept across reloads.
    const bridge = await connectBridge(page, {
      runFolder: run?.folder ?? f.runFolder,
      runId: run?.id ?? f.manifest.id,
      client: run?.client ?? service.client(),
      theme: 'dark',
      keepState: true,
      revealLayer: (l) => reveals.push(l),
      save: (fileName, format, data) => saves.push({ fileName, format, data }),
      log: (line) => logs.push(line),
      initialFocus,
    });
    const host: Host = { page, bridge, reveals, saves, logs, problems };
    await page.goto(`file://${service.pageFile()}`);
    await page.waitForSelector('.run-header');
    return host;
  }

  it('opens the run through the host and computes a slice no report holds', async () => {
    const h = await openPanel();
    const { page } = h;
    assert.match((await page.textContent('.run-title')) ?? '', /mnist-lenet\.ts/);
    await page.click('[data-testid=subset-perClass]');
    await page.fill('input[aria-label="Inputs per class"]', '5');
    await page.press('input[aria-label="Inputs per class"]', 'Enter');
    await page.click('[data-testid=apply-query]');
    const cells = page.locator('table[aria-label^="Inter-sample entropy of the slice"] tbody tr td:nth-child(3)');
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('table[aria-label^="Inter-sample entropy of the slice"] tbody tr td:nth-child(2)')).every(
          (td) => td.textContent === '50',
        ),
      undefined,
      { timeout: 60_000 },
    );
    const texts = await cells.allTextContents();
    assert.equal(texts.length, 2);
    // 50 inputs put an estimate near its ceiling log2(50·49) = 11.259 bits, which the table then says.
    for (const t of texts) assert.match(t, /^\d+\.\d{3} bits( at ceiling \(11\.259 bits\))?$/);
    // 5 per class over 10 classes: 50 inputs, computed by the service on this subset.
    assert.deepEqual(
      await page.locator('table[aria-label^="Inter-sample entropy of the slice"] tbody tr td:nth-child(2)').allTextContents(),
      ['50', '50'],
    );
    await screenshot(page, 'host-mode-query-dark');
    assert.deepEqual(h.problems, []);
    assert.deepEqual(h.logs, []);
    await page.close();
  });

  it('asks the host to reveal a layer and to save an export; keeps UI state across a reload', async () => {
    const h = await openPanel();
    const { page } = h;
    await showArchitectureTable(page);
    await page.click('table.architecture tr[data-layer="3"] .layer-link');
    assert.deepEqual(h.reveals, [3]);
    await page.click('section[aria-label^="Architecture"] .export-button:text("CSV")');
    await page.waitForFunction(() =>
      document.querySelector('section[aria-label^="Architecture"] .export-message')?.textContent?.startsWith('saved'),
    );
    assert.equal(h.saves.length, 1);
    assert.equal(h.saves[0].format, 'csv');
    assert.match(h.saves[0].fileName, /^architecture-mnist-lenet-ts\.csv$/);
    assert.match(String(h.saves[0].data), /^index,name,type,outputShape,channels,parameters,source\r\n0,input,/);
    await page.click('#tab-training');
    await page.reload();
    await page.waitForSelector('.run-header');
    assert.equal(await page.getAttribute('#tab-training', 'aria-selected'), 'true');
    await page.click('#tab-query');
    await page.waitForSelector('table.architecture tr[data-layer="3"].focused-row');
    assert.deepEqual(h.problems, []);
    await page.close();
  });

  it('follows the host: a focus request selects the view and layer; a malformed message is ignored and logged', async () => {
    const h = await openPanel({ view: 'query', layer: 2 });
    const { page } = h;
    await showArchitectureTable(page);
    assert.equal(await page.getAttribute('table.architecture tr[data-layer="2"]', 'class'), 'focused-row');
    h.bridge.focus({ view: 'query', layer: 4 });
    await page.waitForSelector('table.architecture tr[data-layer="4"].focused-row');
    await page.evaluate(() =>
      (window as unknown as { __cnnSlicerToHost(s: string): void }).__cnnSlicerToHost(
        JSON.stringify({ type: 'webview/export', fileName: '../../escape.csv', format: 'csv', text: 'x' }),
      ),
    );
    assert.equal(h.saves.length, 0);
    assert.equal(h.logs.length, 1);
    assert.match(h.logs[0], /ignored a malformed message/);
    assert.deepEqual(h.problems, []);
    await page.close();
  });

  it('channel importance of an 80-channel convolution: 16 measured beside every estimate, then all 80 on "Measure all"', async () => {
    const runs = tempDir('cnn-slicer-host-importance-');
    const r = await recordWideConv(runs);
    const wide = new AnalysisClient({ roots: [runs] });
    const h = await openPanel(undefined, { folder: r.folder, id: r.manifest.id, client: wide });
    const { page } = h;
    await page.click('#tab-information');
    await page.waitForFunction(() =>
      /Channel importance · wide1/.test(document.querySelector('#panel-information .importance-card')?.textContent ?? ''),
    );
    await page.click('[data-testid=importance-measure]');
    const estimate = '#panel-information [data-testid=importance-estimate]';
    await page.waitForSelector(estimate, { timeout: 180_000 });
    assert.match(await page.innerText(estimate), /ablated exactly: ρ = −?[0-9.]+ over the 16 measured channels — (verified|unverified)/);
    await screenshot(page, 'host-mode-importance-two-tier');
    await page.click('#panel-information [data-testid=importance-all]');
    const measuredRows = (value: string) =>
      page.locator(`#panel-information table.importance-ranking tr[data-measured="${value}"]`).count();
    assert.equal(await measuredRows('true'), 16);
    assert.equal(await measuredRows('false'), 64);
    assert.equal(await page.$$eval('#panel-information svg.importance-scatter circle.is-dot', (cs) => cs.length), 16);
    await page.click('[data-testid=importance-measure-all]');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.startsWith('Every channel ablated exactly') === true,
      estimate,
      { timeout: 180_000 },
    );
    assert.equal(await measuredRows('false'), 0);
    assert.equal(await measuredRows('true'), 80);
    assert.equal(await page.$('[data-testid=importance-measure-all]'), null);
    assert.deepEqual(h.problems, []);
    await page.close();
    wide.dispose();
  });

  it('follows the editor cursor on every tab: the Layer view’s pair, the Information plane’s trajectory, the Query view’s row', async () => {
    const h = await openPanel({ view: 'layer', layer: 2 });
    const { page } = h;
    const pairShown = (): Promise<string[]> =>
      page.$$eval('#panel-layer select[aria-label^="Layer I"], #panel-layer select[aria-label^="Layer J"]', (ss) =>
        ss.map((s) => (s as HTMLSelectElement).value),
      );
    await page.waitForSelector('#panel-layer select[aria-label^="Layer I"]');
    assert.deepEqual(await pairShown(), ['1', '2'], 'the lens on layer 2 opens the pair ending at it');
    // The cursor moves to layer 4 (a plain focus, as the editor sends it): the pair follows.
    h.bridge.focus({ layer: 4 });
    await page.waitForFunction(
      () => (document.querySelector('#panel-layer select[aria-label^="Layer J"]') as HTMLSelectElement)?.value === '4',
    );
    assert.deepEqual(await pairShown(), ['3', '4']);
    await screenshot(page, 'host-mode-layer-follows-cursor');
    // A pick in the panel wins until the cursor moves again.
    await page.selectOption('#panel-layer select[aria-label^="Layer I"]', '1');
    assert.deepEqual(await pairShown(), ['1', '4']);
    h.bridge.focus({ layer: 3 });
    await page.waitForFunction(
      () => (document.querySelector('#panel-layer select[aria-label^="Layer J"]') as HTMLSelectElement)?.value === '3',
    );
    assert.deepEqual(await pairShown(), ['2', '3']);

    // Information: the cursor's layer is the highlighted trajectory.
    await page.click('#tab-information');
    await page.waitForSelector('#panel-information g.ip-trajectory[data-layer="3"]');
    h.bridge.focus({ layer: 4 });
    await page.waitForSelector('#panel-information g.ip-trajectory.highlighted[data-layer="4"]');
    assert.equal(await page.locator('#panel-information g.ip-trajectory.highlighted').count(), 1);
    await screenshot(page, 'host-mode-information-follows-cursor');

    // Query: its row in the architecture table.
    await page.click('#tab-query');
    await showArchitectureTable(page);
    h.bridge.focus({ layer: 2 });
    await page.waitForSelector('table.architecture tr[data-layer="2"].focused-row');
    assert.deepEqual(h.problems, []);
    await page.close();
  });
});
