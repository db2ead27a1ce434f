// "All views": the five views one under the other. The view the user was on is drawn at once; the
// views below the window are drawn as they come near it (a placeholder says so until then), and a
// view once drawn keeps its state when scrolled away from.
import assert from 'node:assert/strict';
import { closeChecked, openReport, openView, screenshot, useBrowser } from './harness';

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
    // The views whose placeholder is showing. Every placeholder stands in a view; one seen outside
    // any (once, on a loaded CI machine, mid-update) is looked at again until the page settles, and
    // named with where it stands if it stays.
    const placeholders = async (): Promise<string[]> => {
      for (let attempt = 0; ; attempt++) {
        const seen = await page.$$eval('[data-testid=view-placeholder]', (els) =>
          els.map(
            (e) =>
              e.closest<HTMLElement>('[data-view]')?.dataset.view ?? `outside any view, in ${e.parentElement?.outerHTML.slice(0, 200)}`,
          ),
        );
        if (!seen.some((v) => v.startsWith('outside')) || attempt === 20) return seen;
        await page.waitForTimeout(100);
      }
    };
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
    const waiting = await page.$$eval('[data-testid=view-placeholder]', (els) =>
      els.map((e) => (e.closest('[data-view]') as HTMLElement).dataset.view),
    );
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
