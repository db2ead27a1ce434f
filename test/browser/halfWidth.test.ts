// The views in a half-width editor group (issue 14 item 5): at 640 px the Layer and Query views fit
// without a horizontal scroll bar, and layer links show short labels with the full name on hover.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserFixture, closeChecked, openPage, openView, screenshot, useBrowser, type View } from './harness';

const HALF_WIDTH_PX = 640;

/** How far the page, or any element inside a view's panel, reaches past the viewport's right edge. */
async function overflow(page: Page, view: View): Promise<{ page: number; widest: string[] }> {
  return page.evaluate(
    ({ view, width }) => {
      const root = document.scrollingElement!;
      const widest: string[] = [];
      for (const el of document.querySelectorAll(`#panel-${view} *`)) {
        const r = el.getBoundingClientRect();
        // Inside a scroller of its own (a wide table in a box that scrolls) is not a page scroll.
        if (r.width > 0 && r.right > width + 1 && !el.closest('[data-scroll-x]')) {
          widest.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} right=${Math.round(r.right)}`);
        }
      }
      return { page: root.scrollWidth - root.clientWidth, widest: widest.slice(0, 8) };
    },
    { view, width: HALF_WIDTH_PX },
  );
}

describe('views at half width (640 px)', function () {
  const browser = useBrowser(this);

  for (const view of ['layer', 'query'] as const) {
    it(`shows the ${view} view without horizontal scrolling`, async () => {
      const { page, problems } = await openPage(browser(), (await browserFixture()).report, { width: HALF_WIDTH_PX, height: 900 });
      await openView(page, view);
      // Give the charts their first layout (they size to their card).
      await page.waitForTimeout(1_500);
      await screenshot(page, `half-width-${view}`);
      const seen = await overflow(page, view);
      assert.equal(seen.page, 0, `the page scrolls sideways by ${seen.page} px: ${seen.widest.join('; ')}`);
      assert.deepEqual(seen.widest, [], 'every element of the view ends inside the 640 px viewport');
      await closeChecked(page, problems);
    });
  }

  it('labels layer links by short label with the full name on hover', async () => {
    const { manifest } = await browserFixture();
    const { page, problems } = await openPage(browser(), (await browserFixture()).report, { width: HALF_WIDTH_PX, height: 900 });
    await openView(page, 'query');
    const link = page.locator('table.architecture tr[data-layer="2"] .layer-link');
    const layer = manifest.layers[2];
    assert.ok(((await link.getAttribute('title')) ?? '').includes(layer.name), 'the full name is in the title');
    assert.ok(((await link.textContent()) ?? '').length <= layer.name.length);
    await closeChecked(page, problems);
  });
});
