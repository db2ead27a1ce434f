// The Layer view at 1400 × 900 on a CIFAR-shaped model: a 64 × 64 heatmap gets cells of a readable
// size (at least 8 px, drawn at that size, not shrunk by the page) and its colour legend is on
// screen without scrolling past the heatmap; and the channel-list fields show their whole value.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { browserFixture, closeChecked, openPage, openView, screenshot, useBrowser } from './harness';
import { cifarShapeReport } from './cifarShapeReport';

const HEATMAP = '#panel-layer canvas.heatmap-canvas';
const READABLE_CELL = 8;

/** The text a field shows (its value, else its placeholder), its width in the field's font, and the room the field gives it. */
async function shownText(page: Page, sel: string): Promise<{ text: string; textWidth: number; room: number; fits: boolean }> {
  return page.$eval(sel, (el) => {
    const input = el as HTMLInputElement;
    const text = input.value || input.placeholder;
    const style = getComputedStyle(input);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const textWidth = Math.ceil(ctx.measureText(text).width);
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return { text, textWidth, room, fits: textWidth <= room + 1 && input.scrollWidth <= input.clientWidth };
  });
}

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

  it(`keeps cells of ${READABLE_CELL} px in a narrow editor (520 px): the heatmap scrolls sideways in its own box, the page does not`, async () => {
    const f = await browserFixture();
    const report = cifarShapeReport(f.manifest, { name: 'cifar-shape-520' });
    const { page, problems } = await openPage(browser(), report.file, { width: 520, height: 900 });
    await openPair(page, 4, 5);
    await page.waitForSelector(`${HEATMAP}[data-rows="64"][data-columns="64"]`);
    const cell = Number(await page.getAttribute(HEATMAP, 'data-cell-size'));
    assert.ok(cell >= READABLE_CELL, `cells of ${cell} px at 520 px`);
    const box = await page.$eval('#panel-layer .heatmap', (el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      overflowX: getComputedStyle(el).overflowX,
    }));
    assert.ok(box.scroll > box.client && box.overflowX === 'auto', `the heatmap's box scrolls sideways: ${JSON.stringify(box)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scroll of the page (overflow ${overflow} px)`);
    // The keyboard cursor brings its column into the box: End goes to the last column.
    await page.focus(HEATMAP);
    await page.keyboard.press('End');
    const seen = await page.$eval('#panel-layer .heatmap', (el) => {
      const canvas = el.querySelector('canvas')!;
      const d = canvas.dataset;
      const right = Number(d.plotLeft) + 64 * Number(d.cellSize);
      return { scrollLeft: el.scrollLeft, visibleRight: el.scrollLeft + el.clientWidth, right };
    });
    assert.ok(seen.scrollLeft > 0 && seen.visibleRight >= seen.right, `the last column is scrolled into view: ${JSON.stringify(seen)}`);
    await screenshot(page, 'layer-520-64-light');
    await closeChecked(page, problems);
  });

  it('shows the whole value of the channel-list fields ("5, 7, 10, 12, 17"), in the Query view and the Channel view', async () => {
    const f = await browserFixture();
    const report = cifarShapeReport(f.manifest, { name: 'cifar-shape-1400-field' });
    const { page, problems } = await openPage(browser(), report.file, { width: 1400, height: 900 });
    await openView(page, 'query');
    // conv1 has 32 channels: every index of the lists is valid.
    const field = 'input[aria-label^="Channels of conv2d_Conv2D1 in the slice"]';
    await page.waitForSelector(field);
    for (const list of ['5, 7, 10, 12, 17', '0, 2, 5, 7, 10, 12, 17, 21, 30']) {
      await page.fill(field, list);
      const typed = await shownText(page, field);
      assert.ok(typed.fits, `"${typed.text}" fits the Query view's field (${typed.textWidth} px of text, ${typed.room} px of room)`);
      await page.press(field, 'Tab');
      const committed = await shownText(page, field);
      assert.ok(committed.fits, `"${committed.text}" fits the field once the slice takes it (${committed.textWidth} > ${committed.room})`);
    }
    await page.fill(field, '5, 7, 10, 12, 17');
    await page.press(field, 'Tab');
    await page.click('[data-testid=apply-query]');
    await screenshot(page, 'layer-1400-channel-field-query');
    // The Channel view's side-by-side field shows the slice's channels until others are typed.
    await openView(page, 'channel');
    await page.selectOption('#panel-channel select[aria-label="Layer shown in the Channel view"]', '1');
    const sbs = 'input[aria-label^="Channels of conv1 shown side by side"]';
    await page.waitForSelector(sbs);
    const placeholder = await shownText(page, sbs);
    assert.equal(placeholder.text, '5, 7, 10, 12, 17');
    assert.ok(placeholder.fits, `"${placeholder.text}" fits the side-by-side field (${placeholder.textWidth} > ${placeholder.room})`);
    await page.fill(sbs, '0, 2, 5, 7, 10, 12, 17, 21, 30');
    const typed = await shownText(page, sbs);
    assert.ok(typed.fits, `"${typed.text}" fits the side-by-side field (${typed.textWidth} > ${typed.room})`);
    await page.locator(sbs).scrollIntoViewIfNeeded();
    await screenshot(page, 'layer-1400-channel-field-channel');
    await closeChecked(page, problems);
  });
});
