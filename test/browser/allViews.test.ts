// "All views": the five views one under the other. The view the user was on is drawn at once; the
// views below the window are drawn as they come near it (a placeholder says so until then), and a
// view once drawn keeps its state when scrolled away from.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { closeChecked, openReport, openView, screenshot, useBrowser } from './harness';

/**
 * The views whose placeholder is showing, read in one step in the page. (`page.$$eval` finds the
 * elements and runs its function in two round trips: a placeholder the page replaces in between is
 * detached by then, outside any view; CI saw it once.)
 */
function waitingViews(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=view-placeholder]')].map(
      (e) => e.closest<HTMLElement>('[data-view]')?.dataset.view ?? `outside any view, in ${e.parentElement?.outerHTML.slice(0, 200)}`,
    ),
  );
}

describe('All views', function () {
  const browser = useBrowser(this);

  it('draws the current view at once and the others as they come near the window', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training svg.chart');
    await page.evaluate(() => {
      const box = document.querySelector('.run-tools vscode-checkbox') as HTMLInputElement;
      box.checked = true;
      box.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForSelector('#panel-information');
    const placeholders = (): Promise<string[]> => waitingViews(page);
    // The Training view stays drawn; the Information view, last, is far below the window.
    assert.equal(await page.$$eval('#panel-training svg.chart', (els) => els.length > 0), true);
    const waiting = await placeholders();
    assert.ok(waiting.includes('information'), `the Information view waits: ${waiting.join(', ')}`);
    assert.ok(!waiting.includes('training'), 'the view the user was on is drawn at once');
    assert.match(
      await page.$eval('#panel-information [data-testid=view-placeholder]', (e) => e.textContent ?? ''),
      /Information view is drawn when you scroll to it/,
    );
    // Scrolled to the end, every view is drawn, and stays drawn when scrolled back.
    for (let i = 0; i < 12 && (await placeholders()).length > 0; i++) {
      await page.evaluate(() => window.scrollBy(0, window.innerHeight));
      await page.waitForTimeout(150);
    }
    assert.deepEqual(await placeholders(), []);
    await page.waitForSelector('#panel-information svg.chart');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(150);
    assert.deepEqual(await placeholders(), []);
    await screenshot(page, 'all-views');
    await closeChecked(page, problems);
  });

  it('draws the view the user was on (a tab chosen before) without scrolling', async () => {
    const { page, problems } = await openReport(browser(), 'query');
    await openView(page, 'channel');
    await page.evaluate(() => {
      const box = document.querySelector('.run-tools vscode-checkbox') as HTMLInputElement;
      box.checked = true;
      box.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForSelector('#panel-query');
    const waiting = await waitingViews(page);
    assert.ok(!waiting.includes('channel'), 'the Channel view, current, is drawn at once');
    // The Query view, at the top of the window, is drawn when the page's intersection observer
    // reports it on screen: a frame or two later, without any scrolling.
    const queryDrawn = await page
      .waitForFunction(() => !document.querySelector('#panel-query [data-testid=view-placeholder]'), undefined, { timeout: 5000 })
      .then(
        () => true,
        () => false,
      );
    assert.ok(queryDrawn, 'the Query view, at the top of the window, is drawn without scrolling');
    assert.equal(await page.evaluate(() => window.scrollY), 0, 'nothing scrolled the page');
    await closeChecked(page, problems);
  });
});
