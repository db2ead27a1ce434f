// A dead layer in the Query view (issue 44 item 1), in Chromium: test/fixtures/models/deadLayer.ts
// recorded and written as a standalone report. The layer table and the slice result say
// "undefined (all probe inputs are identical here)" for the dead conv, its pool and its flatten,
// with no "at ceiling" mark, and a number for the live conv.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { writeReport } from '../../src/cli/report';
import { copyFixtureRun } from '../support/fixtureRuns';
import { closeChecked, launchBrowser, openPage, openView, screenshot, showArchitectureTable, tempDir } from './harness';

describe('browser: a dead layer in the Query view', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let report = '';
  before(async () => {
    const dir = tempDir('cnn-slicer-dead-browser-');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    // The recorded run of deadLayer.ts (synthetic:150, 1 epoch, batch 25, probe 45, wasm): test/fixtures/runs/dead-layer.
    const { runs, folder } = copyFixtureRun('dead-layer', 'cnn-slicer-dead-browser-run-');
    process.once('exit', () => rmSync(dirname(runs), { recursive: true, force: true }));
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
    assert.match((await row('conv').locator('td:nth-child(7)').textContent()) ?? '', /^\d+\.\d{3} bits/);
    await screenshot(page, 'query-dead-layer');
    await closeChecked(page, problems);
  });
});
