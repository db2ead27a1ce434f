// A control run (docs/control.md) as a person sees it: its run panel (VS Code mode, the real bridge in
// front of the real analysis service) and its standalone report mark it as a control with its spec
// and source run; in VS Code the header's "Compare with Source Run" and the control finding's ask
// the host for the comparison (webview/compareWithSource); a report says how to write one instead.
// The control run is the fixture run copied with a `control` field in its manifest.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunControl } from '../../src/contract/controlFormat';
import type { RunManifest } from '../../src/contract/runFormat';
import { AnalysisClient } from '../../src/service/client';
import { WebviewBridge } from '../../src/extension/panels/webviewBridge';
import type { ReportData } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, openPage, screenshot, stubVsCodeApi, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

function control(sourceId: string): RunControl {
  return {
    spec: 'border:1',
    kind: 'border',
    parameter: 1,
    sourceRun: { id: sourceId, folder: `../../runs/${sourceId}` },
    chanceAccuracy: 0.13,
    kept: { inputShare: 0.015, contentShare: 0.0002 },
  };
}

describe('browser: a control run marked as a control, with Compare with Source Run', function () {
  const browser = useBrowser(this);
  let client: AnalysisClient | undefined;
  after(() => client?.dispose());

  it('the run panel says it is a control with its spec, and its header and its finding ask the host for the comparison', async () => {
    const f = await browserFixture();
    // The fixture run copied as a control run of itself, in a runs folder of its own.
    const root = join(tempDir('cnn-slicer-control-'), 'controls');
    mkdirSync(root);
    const folder = join(root, `${basename(f.runFolder)}-control`);
    cpSync(f.runFolder, folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as RunManifest;
    writeFileSync(
      join(folder, 'manifest.json'),
      JSON.stringify({ ...manifest, id: `${manifest.id}-control`, control: control(manifest.id) }),
    );
    client = new AnalysisClient({ roots: [root] });
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const compared: number[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    const bridge = new WebviewBridge({
      runFolder: folder,
      runId: `${manifest.id}-control`,
      client,
      post: (m) =>
        void page.evaluate((msg) => window.postMessage(msg, '*'), m as unknown as Record<string, unknown>).catch(() => undefined),
      theme: () => 'light',
      revealLayer: () => undefined,
      save: () => undefined,
      log: (line) => problems.push(`host log: ${line}`),
      compareWithSource: () => compared.push(Date.now()),
    });
    await page.exposeFunction('__cnnSlicerToHost', (json: string) => bridge.handle(JSON.parse(json)));
    await stubVsCodeApi(page, { keepState: false });
    await page.goto(`file://${writePage(join(f.dir, 'control-panel.html'))}`);
    const mark = '.run-header [data-testid=control-mark]';
    await page.waitForSelector(mark);
    assert.equal(await page.getAttribute(mark, 'data-control'), 'border:1');
    assert.match(await page.innerText(mark), new RegExp(`Control experiment border:1 of run ${manifest.id}`));
    await page.click(`${mark} [data-testid=compare-with-source]`);
    assert.equal(compared.length, 1, 'the header asked the host for the comparison');
    // The control's finding (the real service's, on the copied run) opens the comparison too, not a "cannot open".
    const finding = '#panel-query li.finding[data-kind^=control]';
    await page.waitForSelector(finding, { timeout: 120_000 });
    assert.doesNotMatch(await page.innerText(finding), /cannot open/);
    await page.click(`${finding} [data-testid=finding-compare-open]`);
    assert.equal(compared.length, 2, 'the finding asked the host for the comparison');
    // What the control's design causes is left out (classes never predicted at chance, …).
    assert.equal(await page.$('#panel-query li.finding[data-kind=class-never-predicted]'), null);
    await screenshot(page, 'control-run-panel');
    bridge.dispose();
    await closeChecked(page, problems);
  });

  it('a control run’s report marks it in its header, and says how to compare it with its source run', async () => {
    const f = await browserFixture();
    const html = readFileSync(f.report, 'utf8');
    const json = embeddedJson(html);
    assert.ok(json, 'the report embeds its data');
    const data = JSON.parse(json) as ReportData;
    const file = writePage(join(tempDir('cnn-slicer-control-report-'), 'control-report.html'), {
      data: { ...data, manifest: { ...data.manifest, control: control(data.manifest.id) } },
    });
    const { page, problems } = await openPage(browser(), file);
    const mark = '.run-header [data-testid=control-mark]';
    await page.waitForSelector(mark);
    const text = await page.innerText(mark);
    assert.match(text, new RegExp(`Control experiment border:1 of run ${data.manifest.id}`));
    assert.match(text, /cnn-slicer report/);
    assert.equal(await page.$(`${mark} [data-testid=compare-with-source]`), null, 'a report has no host to open a comparison');
    await closeChecked(page, problems);
  });
});
