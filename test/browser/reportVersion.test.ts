/**
 * A report page reads only the embedded format versions it knows (src/contract/reportCodec.ts
 * `reportVersionProblem`): one written by a newer CNN Slicer shows one line saying so and what to
 * do, instead of views failing on data they misread.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { ReportData } from '../../src/contract/reportCodec';
import { REPORT_FORMAT_VERSION } from '../../src/contract/reportCodec';
import { launchBrowser, screenshot, tempDir, writePage } from './harness';

describe('report page: format version', function () {
  this.timeout(180_000);
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => browser?.close());

  it('refuses a report of an unknown format version with one line naming the versions it reads and what to do', async () => {
    const file = join(tempDir('cnn-slicer-version-'), 'newer.html');
    const data = {
      formatVersion: REPORT_FORMAT_VERSION + 1,
      runId: 'newer',
      createdAt: new Date().toISOString(),
      manifest: {},
      answers: {},
      coverage: '',
    } as unknown as ReportData;
    writePage(file, { data });
    const page = await browser.newPage({ viewport: { width: 1000, height: 400 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    const text = await page.locator('#root').innerText();
    assert.match(
      text,
      new RegExp(
        `format version ${REPORT_FORMAT_VERSION + 1}, and this page reads versions 1 to ${REPORT_FORMAT_VERSION}\\. Write it again`,
      ),
    );
    assert.equal(await page.locator('.run-header').count(), 0, 'no view is drawn');
    assert.deepEqual(errors, []);
    await screenshot(page, 'report-unknown-version');
    await page.close();
  });
});
