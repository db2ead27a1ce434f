// Several channels and layers side by side in the Channel view (paper Figs. 9, 14 and 15): the
// feature maps and the deconvolutions of chosen channels for the same sample inputs, one column per
// channel and labelled with it, and two layers' small multiples on one y scale. Expected values
// are read from the answers embedded in the report, never from the view's own output.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { SmallMultiplesAnswer } from '../../src/contract/queries';
import { queries } from '../../src/contract/plan';
import { browserFixture, closeChecked, embedded, openPage, openReport, screenshot, useBrowser, openView } from './harness';

const LAYER_SELECT = 'select[aria-label="Layer shown in the Channel view"]';
const MAPS = '#panel-channel [data-testid=sbs-maps]';
const DECONVOLUTIONS = '#panel-channel [data-testid=sbs-deconvolutions]';
const MULTIPLES = '#panel-channel canvas.chart[data-channels]';

/** The channels of a grid's columns, in the order shown, with each column's title and picture count. */
async function gridColumns(page: Page, grid: string, picture: string): Promise<{ channel: number; title: string; pictures: number }[]> {
  return page.$$eval(
    `${grid} [data-testid=sbs-column][data-channel]`,
    (cols, testId) =>
      cols.map((c) => ({
        channel: Number((c as HTMLElement).dataset.channel),
        title: c.querySelector('.sbs-title')?.textContent ?? '',
        pictures: c.querySelectorAll(`canvas[data-testid=${testId}]`).length,
      })),
    picture,
  );
}

/** How many distinct grey levels the canvases of a selector hold together (1 = blank). */
async function greyLevels(page: Page, selector: string): Promise<number> {
  return page.$$eval(selector, (els) => {
    const seen = new Set<number>();
    for (const el of els) {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let p = 0; p < d.length; p += 4) seen.add(d[p]);
    }
    return seen.size;
  });
}

async function setEpochIndex(page: Page, index: number): Promise<void> {
  await page.$eval(
    '#panel-channel input[type=range][aria-label=Epoch]',
    (el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    index,
  );
}

describe('channels and layers side by side (browser)', function () {
  const browser = useBrowser(this);

  it("shows several channels' feature maps and deconvolutions side by side, one column per channel labelled with it", async () => {
    const { page, problems } = await openReport(browser(), 'channel');
    await page.selectOption(LAYER_SELECT, '3');
    await page.fill('input[aria-label="Channels of conv2 shown side by side"]', '2, 5, 9');
    await page.press('input[aria-label="Channels of conv2 shown side by side"]', 'Enter');
    await page.waitForSelector(`${MAPS} [data-testid=sbs-column][data-channel="9"] canvas`);
    const classes = (await browserFixture()).manifest.dataset.classNames.length;
    const maps = await gridColumns(page, MAPS, 'sbs-map');
    assert.deepEqual(
      maps.map((c) => [c.channel, c.title]),
      [
        [2, 'conv2 #2'],
        [5, 'conv2 #5'],
        [9, 'conv2 #9'],
      ],
    );
    for (const c of maps) assert.equal(c.pictures, classes, `one map of channel ${c.channel} per sample input`);
    assert.ok((await greyLevels(page, `${MAPS} canvas[data-testid=sbs-map]`)) > 5, 'the maps are drawn, not blank');

    await page.waitForSelector(`${DECONVOLUTIONS} [data-testid=sbs-column][data-channel="9"] canvas`);
    const deconvolutions = await gridColumns(page, DECONVOLUTIONS, 'sbs-projection');
    assert.deepEqual(
      deconvolutions.map((c) => [c.channel, c.title, c.pictures]),
      [
        [2, 'conv2 #2', classes],
        [5, 'conv2 #5', classes],
        [9, 'conv2 #9', classes],
      ],
    );
    // The same inputs in the same rows: every column, the input column included, has one picture per row at one height.
    const tops = await page.$$eval(`${DECONVOLUTIONS} [data-testid=sbs-column]`, (cols) =>
      cols.map((c) => Array.from(c.querySelectorAll('canvas')).map((x) => Math.round(x.getBoundingClientRect().top))),
    );
    for (const t of tops) assert.deepEqual(t, tops[0]);

    // The shared grey scale spans every map shown; per input, each row has its own range written under its class.
    await page.selectOption('select[aria-label="Grey scale of the feature maps"]', 'row');
    await page.waitForSelector('[data-testid=sbs-scale-note]:has-text("per input")');
    await screenshot(page, 'side-by-side-channels-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await page.locator(MAPS).scrollIntoViewIfNeeded();
    await screenshot(page, 'side-by-side-channels-dark');
    await closeChecked(page, problems);
  });

  it("takes the slice's chosen channels by default and says where a channel is not in the report", async () => {
    const { page, problems } = await openReport(browser(), 'channel');
    await page.selectOption(LAYER_SELECT, '1');
    await page.waitForSelector(`${MAPS} [data-testid=sbs-column][data-channel="3"] canvas`);
    // Nothing chosen: the first four channels.
    assert.deepEqual(
      (await gridColumns(page, MAPS, 'sbs-map')).map((c) => c.channel),
      [0, 1, 2, 3],
    );
    // Channels chosen in the Query view's slice are the ones shown.
    await openView(page, 'query');
    await page.fill('input[aria-label^="Channels of conv1"]', '1-2, 6');
    await page.press('input[aria-label^="Channels of conv1"]', 'Enter');
    await page.click('[data-testid=apply-query]');
    await openView(page, 'channel');
    await page.waitForSelector(`${MAPS} [data-testid=sbs-column][data-channel="6"] canvas`);
    assert.deepEqual(
      (await gridColumns(page, MAPS, 'sbs-map')).map((c) => c.channel),
      [1, 2, 6],
    );
    assert.match((await page.textContent('#panel-channel [data-testid=sbs-caption]')) ?? '', /the slice's chosen channels/);
    // The report holds deconvolutions at its last epoch only: at the first one each column says so in place, calmly.
    await setEpochIndex(page, 0);
    await page.waitForSelector(`${DECONVOLUTIONS} .not-in-report`);
    assert.equal(await page.$$eval(`${DECONVOLUTIONS} .not-in-report`, (els) => els.length), 3);
    await page.locator(DECONVOLUTIONS).scrollIntoViewIfNeeded();
    await screenshot(page, 'side-by-side-not-in-report-light');
    assert.equal(await page.$$eval(`${DECONVOLUTIONS} .error, ${DECONVOLUTIONS} .warning`, (els) => els.length), 0);
    await closeChecked(page, problems);
  });

  it("draws two layers' small multiples on one y scale, each labelled with its layer", async () => {
    const { page, problems } = await openReport(browser(), 'channel');
    await page.selectOption(LAYER_SELECT, '1');
    await page.waitForSelector(MULTIPLES);
    await page.selectOption('select[aria-label="Add a layer below, for comparison"]', '3');
    await page.waitForSelector(`[data-testid=multiples-beside] canvas.chart[data-channels="16"]`);
    const headings = await page.$$eval('#panel-channel [data-testid=multiples-heading]', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(headings.length, 2);
    assert.match(headings[0], /conv1/);
    assert.match(headings[1], /conv2/);
    const yMax = () => page.$$eval(MULTIPLES, (els) => els.map((e) => Number((e as HTMLElement).dataset.yMax)));
    const [a, b] = await yMax();
    assert.equal(a, b, 'one y scale for both layers');
    // The shared top is at least the larger layer's maximum (read from the report's own answers).
    const maxOf = (s: SmallMultiplesAnswer) => Math.max(...[s.all, ...s.perClass].flat(2).filter((v): v is number => v !== null));
    const conv1 = await embedded<SmallMultiplesAnswer>(page, queries.smallMultiples(1));
    const conv2 = await embedded<SmallMultiplesAnswer>(page, queries.smallMultiples(3));
    assert.ok(a >= Math.max(maxOf(conv1), maxOf(conv2)));
    assert.notEqual(maxOf(conv1).toFixed(2), maxOf(conv2).toFixed(2), 'the fixture layers have different maxima, so sharing matters');
    // Each layer its own scale once the shared scale is switched off.
    await page.click('#panel-channel button:has-text("Shared y scale")');
    await page.waitForFunction((sel) => {
      const v = Array.from(document.querySelectorAll(sel)).map((e) => (e as HTMLElement).dataset.yMax);
      return v.length === 2 && v[0] !== v[1];
    }, MULTIPLES);
    await page.click('#panel-channel button:has-text("Shared y scale")');
    await screenshot(page, 'side-by-side-layers-light');
    await closeChecked(page, problems);
  });

  it('fits a half-width editor group without a horizontal page scroll', async () => {
    const f = await browserFixture();
    const { page, problems } = await openPage(browser(), f.report, { width: 640, height: 900 });
    await openView(page, 'channel');
    await page.selectOption(LAYER_SELECT, '3');
    await page.fill('input[aria-label="Channels of conv2 shown side by side"]', '0-11');
    await page.press('input[aria-label="Channels of conv2 shown side by side"]', 'Enter');
    await page.selectOption('select[aria-label="Add a layer below, for comparison"]', '1');
    await page.waitForSelector(`${MAPS} [data-testid=sbs-column][data-channel="11"] canvas`);
    await page.waitForSelector(`${DECONVOLUTIONS} [data-testid=sbs-column][data-channel="11"] canvas`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls ${overflow} px sideways`);
    const inner = await page.$$eval('#panel-channel .sbs-grid', (els) =>
      els.map((e) => e.scrollWidth - (e.parentElement?.clientWidth ?? 0)),
    );
    for (const o of inner) assert.ok(o <= 0, `a side-by-side grid is ${o} px wider than its card`);
    await screenshot(page, 'side-by-side-half-width-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'side-by-side-half-width-dark');
    await closeChecked(page, problems);
  });
});
