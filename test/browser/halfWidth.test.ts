// The views in a half-width editor group: at 640 px the Layer and Query views fit
// without a horizontal scroll bar, and layer links show short labels with the full name on hover.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  fixtureReportData,
  closeChecked,
  openPage,
  openView,
  screenshot,
  showArchitectureTable,
  tempDir,
  useBrowser,
  writePage,
  type View,
} from './harness';

/**
 * The fixture's report with the layer names tfjs makes up when a model names none
 * (`max_pooling2d_MaxPooling2D1`): the example names its layers, and long names are what overflowed.
 */
async function generatedNamesPage(): Promise<string> {
  const data = await fixtureReportData();
  const counts = new Map<string, number>();
  for (const layer of data.manifest.layers) {
    const n = (counts.get(layer.className) ?? 0) + 1;
    counts.set(layer.className, n);
    const snake = layer.className.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    layer.name = layer.index === 0 ? `input${n}` : `${snake}_${layer.className}${n}`;
  }
  return writePage(join(tempDir('cnn-slicer-half-width-'), 'generated-names.html'), { data, title: 'generated names' });
}

const HALF_WIDTH_PX = 640;

/** How far the page, or any element inside a view's panel, reaches past the viewport's right edge. */
async function overflow(page: Page, view: View): Promise<{ page: number; widest: string[] }> {
  return page.evaluate(
    ({ view, width }) => {
      const root = document.scrollingElement!;
      const widest: string[] = [];
      for (const el of Array.from(document.querySelectorAll(`#panel-${view} *`))) {
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
  let page640: string;

  before(async () => {
    page640 = await generatedNamesPage();
  });

  for (const view of ['layer', 'query'] as const) {
    it(`shows the ${view} view of a model with tfjs's generated layer names without horizontal scrolling`, async () => {
      const { page, problems } = await openPage(browser(), page640, { width: HALF_WIDTH_PX, height: 900 });
      await openView(page, view);
      // Give the charts their first layout (they size to their card).
      await page.waitForTimeout(1_500);
      await screenshot(page, `half-width-${view}`);
      const seen = await overflow(page, view);
      assert.equal(seen.page, 0, `the page scrolls sideways by ${seen.page} px: ${seen.widest.join('; ')}`);
      assert.deepEqual(seen.widest, [], 'every element of the view ends inside the 640 px viewport');
      // The long names are in the titles only, never in the text a person reads.
      const text = await page.innerText(`#panel-${view}`);
      assert.ok(
        !/_(Conv2D|MaxPooling2D|Dense|Flatten)\d/.test(text),
        `a generated name is shown: ${/\S*_(Conv2D|MaxPooling2D|Dense|Flatten)\d\S*/.exec(text)?.[0]}`,
      );
      await closeChecked(page, problems);
    });
  }

  it('labels layer links by short label with the full name on hover', async () => {
    const { page, problems } = await openPage(browser(), page640, { width: HALF_WIDTH_PX, height: 900 });
    await openView(page, 'query');
    await showArchitectureTable(page);
    const link = page.locator('table.architecture tr[data-layer="2"] .layer-link');
    assert.equal(((await link.textContent()) ?? '').trim(), 'pool1');
    assert.match((await link.getAttribute('title')) ?? '', /max_pooling2d_MaxPooling2D1 \(MaxPooling2D\)/);
    await closeChecked(page, problems);
  });
});
