// A dead layer in the Query view (issue 44 item 1), in Chromium: test/fixtures/models/deadLayer.ts
// recorded and written as a standalone report. The layer table and the slice result say
// "undefined (all probe inputs are identical here)" for the dead conv, its pool and its flatten,
// with no "at ceiling" mark, and a number for the live conv.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { writeReport } from '../../src/cli/report';
import { recordRun } from '../../src/recorder/record';
import { closeChecked, launchBrowser, openPage, openView, screenshot, showArchitectureTable, tempDir } from './harness';

const MODEL = resolve(__dirname, '../fixtures/models/deadLayer.ts');

describe('browser: a dead layer in the Query view', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let report = '';
  before(async () => {
    const dir = tempDir('cnn-slicer-dead-browser-');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const { folder } = await recordRun({
      modelFile: MODEL,
      dataset: 'synthetic:150',
      epochs: 1,
      batchSize: 25,
      probeSize: 45,
      runsFolder: join(dir, 'runs'),
      backend: 'wasm',
    });
    report = join(dir, 'report.html');
    await writeReport({
      runFolder: folder,
      out: report,
      maxEpochs: 2,
      deconvolutionChannels: 4,
      datasetDiversity: false,
      theme: 'light',
      maxSeconds: Number.POSITIVE_INFINITY,
    });
    browser = await launchBrowser();
  });
  after(async () => browser?.close());

  it('shows "undefined" with the reason, and no ceiling mark, where every probe input is identical', async () => {
    const { page, problems } = await openPage(browser!, report);
    await openView(page, 'query');
    await showArchitectureTable(page);
    const row = (name: string) => page.locator('table.architecture tbody tr', { has: page.locator(`text="${name}"`) });
    for (const name of ['dead', 'deadPool', 'flat']) {
      const r = row(name);
      await r.locator('[data-testid=inter-sample-undefined]').waitFor();
      assert.equal(
        await r.locator('[data-testid=inter-sample-undefined]').textContent(),
        'undefined (all probe inputs are identical here)',
      );
      assert.equal(await r.locator('[data-testid=ceiling-mark]').count(), 0, name);
    }
    assert.match((await row('conv').locator('td:nth-child(6)').textContent()) ?? '', /^\d+\.\d{3} bits/);
    await screenshot(page, 'query-dead-layer');
    await closeChecked(page, problems);
  });
});
