// The report opens under its strict CSP with no error, shows the run, and switches views and themes.
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { browserFixture, launchBrowser, openPage, openView, screenshot } from './harness';

describe('browser: report shell', function () {
  this.timeout(180_000);
  let browser: Browser;
  before(async () => {
    await browserFixture();
    browser = await launchBrowser();
  });
  after(async () => browser?.close());

  it('opens with the run header and four tabs, no error, no request outside the file', async () => {
    const f = await browserFixture();
    const { page, problems } = await openPage(browser, f.report);
    assert.match(await page.textContent('.run-title') ?? '', /mnist-lenet\.ts/);
    assert.deepEqual(await page.$$eval('[role=tab]', (els) => els.map((e) => e.textContent)), ['Query', 'Training performance', 'Layer', 'Channel']);
    for (const v of ['training', 'layer', 'channel', 'query'] as const) await openView(page, v);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('follows the theme switch (body classes and colours change)', async () => {
    const f = await browserFixture();
    const { page, problems } = await openPage(browser, f.report);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    for (const theme of ['dark', 'high-contrast'] as const) {
      await page.selectOption('select[aria-label=Theme]', theme);
      assert.ok(await page.evaluate((t) => document.body.classList.contains(`vscode-${t}`), theme));
      assert.notEqual(await bg(), light);
      await screenshot(page, `shell-${theme}`);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });
});
