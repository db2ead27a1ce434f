// The Layer view at 1400 × 900 on a CIFAR-shaped model: a 64 × 64 heatmap gets cells of a readable
// size (at least 8 px, drawn at that size, not shrunk by the page) and its colour legend is on
// screen without scrolling past the heatmap; and the channel-list fields show their whole value.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserFixture, closeChecked, openPage, openView, screenshot, useBrowser } from './harness';
import { cifarShapeReport } from './cifarShapeReport';

const HEATMAP = '#panel-layer canvas.heatmap-canvas';
const READABLE_CELL = 8;

async function openPair(page: Page, i: number, j: number): Promise<void> {
  await openView(page, 'layer');
  await page.waitForSelector(HEATMAP);
  await page.selectOption('#panel-layer select[aria-label="Layer I (columns)"]', String(i));
  await page.selectOption('#panel-layer select[aria-label="Layer J (rows)"]', String(j));
}

describe('browser: Layer view readable at 1400 × 900', function () {
  const browser = useBrowser(this);

  for (const theme of ['light', 'dark'] as const)
    it(`draws a 64 × 64 heatmap with cells of at least ${READABLE_CELL} px and its legend above the fold (${theme})`, async () => {
      const f = await browserFixture();
      const report = cifarShapeReport(f.manifest, { theme, name: `cifar-shape-1400-${theme}` });
      const { page, problems } = await openPage(browser(), report.file, { width: 1400, height: 900 });
      // conv3 × conv4: 64 rows × 64 columns.
      await openPair(page, 4, 5);
      const answer = report.answers.get('4:5@2')!;
      assert.equal(answer.rows, 64);
      await page.waitForSelector(`${HEATMAP}[data-rows="64"][data-columns="64"][data-epoch="2"]`);
      const box = await page.$eval(HEATMAP, (c) => {
        const r = c.getBoundingClientRect();
        const d = (c as HTMLElement).dataset;
        return {
          width: r.width,
          height: r.height,
          top: r.top,
          bottom: r.bottom,
          cell: Number(d.cellSize),
          left: Number(d.plotLeft),
          plotTop: Number(d.plotTop),
        };
      });
      await screenshot(page, `layer-1400-64-${theme}`);
      assert.ok(box.cell >= READABLE_CELL, `cells of ${box.cell} px`);
      // Drawn at that size on screen: the canvas is not shrunk by its card.
      const shownCell = ((box.width - box.left) / 64) * 1;
      assert.ok(shownCell >= READABLE_CELL, `cells shown at ${shownCell.toFixed(1)} px (canvas ${box.width} px wide)`);
      // The legend says the domain and is visible without scrolling past the heatmap.
      const legend = await page.$eval('#panel-layer .heatmap-card canvas.legend-bar', (c) => {
        const r = c.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom };
      });
      assert.ok(legend.bottom <= 900, `the legend is on screen at 1400 × 900 (its bottom at ${legend.bottom} px)`);
      assert.ok(legend.top < box.bottom, `the legend comes before the heatmap's end (${legend.top} vs ${box.bottom})`);
      await closeChecked(page, problems);
    });

  it('shows the whole value of the channel-list fields ("5, 7, 10, 12, 17")', async () => {
    const f = await browserFixture();
    const report = cifarShapeReport(f.manifest, { name: 'cifar-shape-1400-field' });
    const { page, problems } = await openPage(browser(), report.file, { width: 1400, height: 900 });
    await openView(page, 'query');
    // conv1 has 32 channels: every index of the list is valid.
    const field = 'input[aria-label^="Channels of conv2d_Conv2D1 in the slice"]';
    await page.waitForSelector(field);
    await page.fill(field, '5, 7, 10, 12, 17');
    const fits = (sel: string) =>
      page.$eval(sel, (el) => {
        const input = el as HTMLInputElement;
        return { value: input.value, scroll: input.scrollWidth, client: input.clientWidth };
      });
    const typed = await fits(field);
    assert.ok(typed.scroll <= typed.client, `"${typed.value}" fits its field (${typed.scroll} > ${typed.client} px)`);
    await page.press(field, 'Tab');
    const committed = await fits(field);
    assert.ok(committed.scroll <= committed.client, `"${committed.value}" fits its field after the slice takes it`);
    await screenshot(page, 'layer-1400-channel-field');
    await closeChecked(page, problems);
  });
});
