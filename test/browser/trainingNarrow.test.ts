// The Training view in a narrow panel (three editor columns; tested at 300 px): the loss chart
// takes its card's width, so its last epoch is on screen; the confusion matrix shrinks its cells
// to fit its card, down to the smallest readable cell, and past that (a hundred classes) scrolls
// in a box of its own, its scrollbar right under it, where the keyboard reaches the last class.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import type { ConfusionAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, openPage, openView, screenshot, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

const WIDTH = 300;
const MATRIX = '#panel-training svg.confusion-matrix';

/** The fixture's report, its confusion matrices replaced by ones of `n` classes (a CIFAR-100 model's). */
async function manyClasses(n: number): Promise<string> {
  const html = readFileSync((await browserFixture()).report, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  const data = JSON.parse(json) as ReportData;
  let replaced = 0;
  for (const [key, entry] of Object.entries(data.answers)) {
    if ((JSON.parse(key) as { kind: string }).kind !== 'confusion' || 'omitted' in entry) continue;
    const plain = ('gzip' in entry ? JSON.parse(gunzipSync(Buffer.from(entry.gzip, 'base64')).toString('utf8')) : entry) as {
      answer: ConfusionAnswer;
    };
    const matrix = Array.from({ length: n }, (_, t) => Array.from({ length: n }, (_, p) => (t === p ? 2 : (t + p) % 7 === 0 ? 1 : 0)));
    const answer: ConfusionAnswer = { epoch: plain.answer.epoch, classNames: Array.from({ length: n }, (_, k) => `class ${k}`), matrix };
    data.answers[key] = { answer };
    replaced++;
  }
  assert.ok(replaced > 0, 'the report holds a confusion matrix');
  return writePage(join(tempDir('cnn-slicer-training-narrow-'), `classes-${n}.html`), { data, title: `${n} classes` });
}

interface Seen {
  right: number;
  /** The right edge of the box's visible part. */
  visibleRight: number;
}

/** Where the element `inner` ends against the visible part of `box` (its client area, scrolled or not). */
async function within(page: Page, box: string, inner: string): Promise<Seen> {
  return page.$eval(
    box,
    (b, sel) => {
      const el = b.querySelector(sel)!;
      const r = b.getBoundingClientRect();
      return { right: el.getBoundingClientRect().right, visibleRight: r.left + b.clientLeft + b.clientWidth };
    },
    inner,
  );
}

describe(`browser: the Training view at ${WIDTH} px`, function () {
  const browser = useBrowser(this);

  it('draws the loss chart at its card’s width, every epoch on screen', async () => {
    const f = await browserFixture();
    const { page, problems } = await openPage(browser(), f.report, { width: WIDTH, height: 900 });
    await openView(page, 'training');
    const svg = '#panel-training .loss-chart svg.chart';
    await page.waitForSelector(svg);
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    const fit = await page.$eval(svg, (s) => {
      const body = s.closest('.card-body')!;
      return { svg: s.getBoundingClientRect().width, room: body.clientWidth, scroll: body.scrollWidth };
    });
    assert.ok(fit.svg <= fit.room, `the loss chart (${fit.svg} px) fits its card (${fit.room} px)`);
    assert.ok(fit.scroll <= fit.room, `the card does not scroll (${fit.scroll} px in ${fit.room} px)`);
    // The last epoch's tick of each panel (loss, accuracy) is inside the card's visible box.
    const ticks = await page.$$eval(
      `${svg} g.tick text`,
      (ts, e) =>
        ts
          .filter((t) => t.textContent === String(e))
          .map((t) => ({ right: t.getBoundingClientRect().right, box: t.closest('.card-body')!.getBoundingClientRect().right })),
      last,
    );
    assert.ok(ticks.length >= 2, `epoch ${last} is a tick of both panels`);
    for (const t of ticks) assert.ok(t.right <= t.box, `epoch ${last}'s tick (right ${t.right}) is inside the card (right ${t.box})`);
    await page.locator('#panel-training .loss-chart').scrollIntoViewIfNeeded();
    await screenshot(page, 'training-300-loss');
    await closeChecked(page, problems);
  });

  it('fits the confusion matrix of ten classes to its card, the last class on screen', async () => {
    const f = await browserFixture();
    const { page, problems } = await openPage(browser(), f.report, { width: WIDTH, height: 900 });
    await openView(page, 'training');
    await page.waitForSelector(MATRIX);
    const n = f.manifest.dataset.classNames.length;
    const box = await page.$eval(MATRIX, (s) => {
      const body = s.closest('.card-body')!;
      return { svg: s.getBoundingClientRect().width, room: body.clientWidth };
    });
    assert.ok(box.svg <= box.room, `the matrix (${box.svg} px) fits its card (${box.room} px)`);
    const cell = await within(page, '#panel-training .confusion .card-body', `rect.cm-cell[data-true="0"][data-pred="${n - 1}"]`);
    assert.ok(cell.right <= cell.visibleRight, `class ${n - 1}'s column (right ${cell.right}) is on screen (${cell.visibleRight})`);
    const header = await within(page, '#panel-training .confusion .card-body', `g[role=columnheader][aria-colindex="${n + 1}"] text`);
    assert.ok(header.right <= header.visibleRight, `class ${n - 1}'s name (right ${header.right}) is on screen (${header.visibleRight})`);
    await page.locator('#panel-training .confusion').scrollIntoViewIfNeeded();
    await screenshot(page, 'training-300-confusion');
    await closeChecked(page, problems);
  });

  it('scrolls the confusion matrix of a hundred classes in its own box, and the keyboard reaches the last class', async () => {
    const { page, problems } = await openPage(browser(), await manyClasses(100), { width: WIDTH, height: 900 });
    await openView(page, 'training');
    await page.waitForSelector(MATRIX);
    const box = await page.$eval(MATRIX, (s) => {
      let b = s.parentElement!;
      while (!/auto|scroll/.test(getComputedStyle(b).overflowX)) b = b.parentElement!;
      return {
        overflowX: getComputedStyle(b).overflowX,
        scroll: b.scrollWidth,
        client: b.clientWidth,
        // The space between the matrix's bottom and its box's: where the scrollbar is.
        gap: b.getBoundingClientRect().bottom - s.getBoundingClientRect().bottom,
        cell: Number(s.querySelector('rect.cm-cell')!.getAttribute('width')) + 1,
      };
    });
    assert.equal(box.overflowX, 'auto');
    assert.ok(box.scroll > box.client, `the matrix's box scrolls (${box.scroll} px in ${box.client} px)`);
    assert.ok(box.gap <= 2, `the scrollbar is right under the matrix (${box.gap} px below it)`);
    assert.equal(box.cell, 8, 'the cells are at their smallest before the box scrolls');
    // One Tab stop for the grid; End walks to the last class, which scrolls into the box.
    await page.focus(`${MATRIX} rect.cm-cell[tabindex="0"]`);
    await page.keyboard.press('End');
    const seen = await page.$eval(MATRIX, (s) => {
      const b = s.parentElement!;
      const last = s.querySelector('rect.cm-cell[data-true="0"][data-pred="99"]')!.getBoundingClientRect();
      const r = b.getBoundingClientRect();
      return { scrollLeft: b.scrollLeft, left: last.left, right: last.right, boxLeft: r.left, boxRight: r.left + b.clientWidth };
    });
    assert.ok(
      seen.scrollLeft > 0 && seen.left >= seen.boxLeft && seen.right <= seen.boxRight + 0.5,
      `class 99 is scrolled into the box: ${JSON.stringify(seen)}`,
    );
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-pred')), '99');
    await screenshot(page, 'training-300-confusion-100');
    await closeChecked(page, problems);
  });
});
