// The report opens under its strict CSP with no error, shows the run, and switches views and themes.
import assert from 'node:assert/strict';
import { closeChecked, openReport, openView, screenshot, useBrowser } from './harness';

describe('browser: report shell', function () {
  const browser = useBrowser(this);

  it('opens with the run header and five tabs, no error, no request outside the file', async () => {
    const { page, problems } = await openReport(browser());
    assert.match((await page.textContent('.run-title')) ?? '', /mnist-lenet\.ts/);
    assert.deepEqual(await page.$$eval('[role=tab]', (els) => els.map((e) => e.textContent)), [
      'Query',
      'Training performance',
      'Layer',
      'Channel',
      'Information',
    ]);
    for (const v of ['training', 'layer', 'channel', 'information', 'query'] as const) await openView(page, v);
    await closeChecked(page, problems);
  });

  it('follows the theme switch (body classes and colours change)', async () => {
    const { page, problems } = await openReport(browser());
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    for (const theme of ['dark', 'high-contrast'] as const) {
      await page.selectOption('select[aria-label=Theme]', theme);
      // The body class is set by an effect after the render that follows the change: wait for it.
      await page.waitForFunction((t) => document.body.classList.contains(`vscode-${t}`), theme);
      assert.notEqual(await bg(), light);
      await screenshot(page, `shell-${theme}`);
    }
    await closeChecked(page, problems);
  });
});
