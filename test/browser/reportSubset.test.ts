// A report with an input subset: the report holds each class alone (the picker offers them, and the
// views draw them from the embedded answers); a subset it does not hold is said once per view, not
// once per chart; the layer-level capacity list names the pairs the report holds (its --pairs
// included) and the ones it leaves out in one line.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { InterSampleAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { formatBits } from '../../src/contract/format';
import { queries } from '../../src/contract/plan';
import { writeReport } from '../../src/cli/report';
import {
  browserFixture,
  closeChecked,
  embedded,
  openPage,
  openReport,
  openView,
  screenshot,
  tempDir,
  useBrowser,
  writePage,
} from './harness';

/** Every class of the fixture with at least two probe inputs, as the report's data lists them. */
async function embeddedSubsets(page: Page): Promise<ReportData['subsets']> {
  return page.evaluate(() => (JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData).subsets);
}

/** Picks classes by checkbox in the Query view's picker (starting from every class) and applies the slice. */
async function applyClasses(page: Page, classes: number[]): Promise<void> {
  await openView(page, 'query');
  await page.click('[data-testid=subset-classes]');
  const boxes = page.locator('[aria-label="Classes in the slice"] input[type=checkbox]');
  const count = await boxes.count();
  for (let c = 0; c < count; c++) if (!classes.includes(c)) await boxes.nth(c).uncheck();
  await page.click('[data-testid=apply-query]');
  await page.waitForSelector('text=applied');
}

/** The text of every "not in this report" status in a view's panel. */
async function notInReportTexts(page: Page, view: string): Promise<string[]> {
  return page.$$eval(`#panel-${view} .not-in-report`, (els) => els.map((e) => e.textContent ?? ''));
}

describe('browser: a report with an input subset', function () {
  const browser = useBrowser(this);

  it('holds each class alone: the picker offers them and the views draw a class from the embedded answers', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'query');
    const held = (await embeddedSubsets(page)) ?? [];
    const expected = f.manifest.probe.classCounts.flatMap((n, c) => (n >= 2 ? [{ kind: 'classes', classes: [c] }] : []));
    assert.deepEqual(held, expected, 'the report holds every class with two inputs or more, alone');
    // The picker says which subsets the report holds, one button each.
    const offered = page.locator('[data-testid=held-subsets] [data-testid=held-subset]');
    assert.equal(await offered.count(), expected.length);
    // Picking class 3 by its checkbox is the same query as the report's class 3.
    await applyClasses(page, [3]);
    assert.equal(await page.locator('[data-testid=report-subset-note]').count(), 0);
    const layer = f.manifest.layers.find((l) => l.index > 0)!.index;
    const epoch = f.manifest.epochs[f.manifest.epochs.length - 1];
    const answer = await embedded<InterSampleAnswer>(page, queries.interSample(layer, epoch, { kind: 'classes', classes: [3] }));
    const row = page.locator('.view-query table[aria-label^="Inter-sample entropy of the slice"] tbody tr').first();
    await page.waitForFunction(() =>
      /bits/.test(document.querySelector('.view-query table[aria-label^="Inter-sample entropy"] tbody tr')?.textContent ?? ''),
    );
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[1], String(answer.inputCount));
    assert.ok(cells[2].startsWith(formatBits(answer.bits)), `${cells[2]} shows ${formatBits(answer.bits)}`);
    // Every view that takes the subset draws it: no note, no "not in this report".
    for (const view of ['layer', 'channel', 'information'] as const) {
      await openView(page, view);
      await page.waitForTimeout(300);
      assert.deepEqual(await notInReportTexts(page, view), [], `${view}: the report holds class 3`);
    }
    await openView(page, 'layer');
    await page.waitForSelector('#panel-layer .heatmap-card canvas, #panel-layer .heatmap-card svg.chart');
    assert.match((await page.textContent('[data-testid=epoch-progress]')) ?? '', /of \d+ epochs? ready/);
    await screenshot(page, 'report-subset-class-layer-light');
    await closeChecked(page, problems);
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`says once per view that a subset is not held, offers the held ones, and counts no epochs as loading (${theme})`, async () => {
      const f = await browserFixture();
      const { page, problems } = await openReport(browser());
      if (theme === 'dark') {
        await page.selectOption('select[aria-label=Theme]', 'dark');
        await page.waitForTimeout(150);
      }
      await applyClasses(page, [0, 1]);
      for (const view of ['query', 'layer', 'channel', 'information'] as const) {
        await openView(page, view);
        await page.locator(`#panel-${view} [data-testid=report-subset-note]`).waitFor();
        await page.waitForTimeout(400);
        assert.equal(await page.locator(`#panel-${view} [data-testid=report-subset-note]`).count(), 1, `${view}: one note`);
        const texts = await notInReportTexts(page, view);
        const note = (await page.textContent(`#panel-${view} [data-testid=report-subset-note]`)) ?? '';
        assert.match(note, /classes 0, 1/);
        assert.match(note, /each class alone/);
        // The charts that need the subset say so in a few words; no paragraph is repeated.
        const others = texts.filter((t) => t !== note);
        for (const t of others) assert.ok(t.length <= 140, `${view}: a short status, not a paragraph: ${t}`);
        assert.equal(
          new Set(others.filter((t) => t.length > 80)).size,
          others.filter((t) => t.length > 80).length,
          `${view}: no repeated paragraph`,
        );
        await screenshot(page, `report-subset-not-held-${view}-${theme}`);
      }
      await openView(page, 'layer');
      assert.doesNotMatch((await page.textContent('#panel-layer')) ?? '', /0 of \d+ epochs? ready/);
      // The note offers the classes of the slice the report holds alone: class 0 draws.
      const offer = page.locator('#panel-layer [data-testid=report-subset-note] [data-testid=report-subset-offer]');
      const label = (c: number) => (f.manifest.dataset.classNames[c] === String(c) ? `class ${c}` : f.manifest.dataset.classNames[c]);
      assert.deepEqual(await offer.allTextContents(), [label(0), label(1)]);
      await offer.first().click();
      await page.locator('#panel-layer [data-testid=report-subset-note]').waitFor({ state: 'detached' });
      await page.waitForTimeout(300);
      assert.deepEqual(await notInReportTexts(page, 'layer'), []);
      await closeChecked(page, problems);
    });
  }

  it('lists the capacity pairs the report holds, its --pairs included, and names the left-out pairs in one line', async () => {
    const f = await browserFixture();
    const out = join(tempDir('cnn-slicer-report-pairs-'), 'pairs.html');
    await writeReport({
      runFolder: f.runFolder,
      out,
      maxEpochs: 6,
      deconvolutionChannels: 1,
      datasetDiversity: false,
      pairs: [
        [1, 3],
        [1, 4],
      ],
      theme: 'light',
      maxSeconds: Number.POSITIVE_INFINITY,
    });
    const { page, problems } = await openPage(browser(), out);
    await openView(page, 'layer');
    const card = page.locator('#panel-layer .layer-capacity-card');
    await card.waitFor();
    // What the report holds, from its embedded keys.
    const held = await page.evaluate(() => {
      const data = JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData;
      const pairs = Object.keys(data.answers)
        .map((k) => JSON.parse(k) as { kind: string; layerI: number; layerJ: number; x?: unknown })
        .filter((q) => q.kind === 'layerCapacity' && q.x === undefined)
        .map((q) => `${q.layerI}:${q.layerJ}`);
      return [...new Set(pairs)];
    });
    assert.ok(held.includes('1:3') && held.includes('1:4'), 'the report holds its --pairs');
    const name = (l: number) => f.manifest.layers[l].name;
    await page.waitForTimeout(500);
    const rows = await card
      .locator('[role=listitem], [aria-label$="Show this pair\'s channel heatmap."]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    const listed = rows.map((r) => r.split(':')[0].replace(/ \(shown\)$/, ''));
    for (const key of held) {
      const [i, j] = key.split(':').map(Number);
      assert.ok(
        listed.some((l) => l.startsWith(`${name(i)} → ${name(j)}`)),
        `${name(i)} → ${name(j)} is listed: ${listed.join(' | ')}`,
      );
    }
    assert.ok(
      rows.every((r) => !/not in this report/.test(r)),
      `no listed pair is "not in this report": ${rows.filter((r) => /not in this report/.test(r)).join(' | ')}`,
    );
    // The consecutive pairs with a one-channel layer are named once, in one line.
    const leftOut = (await card.locator('[data-testid=lc-left-out]').textContent()) ?? '';
    const flatten = f.manifest.layers.find((l) => l.channels === 1 && l.index > 0)!;
    assert.match(leftOut, new RegExp(`${name(flatten.index - 1)} → ${name(flatten.index)}`));
    await screenshot(page, 'report-capacity-pairs-light');
    await closeChecked(page, problems);
  });

  it('names only the budget that left an answer out: a time note says --max-seconds, never --max-mb', async () => {
    const f = await browserFixture();
    const opened = await openReport(browser());
    const data = await opened.page.evaluate(() => JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData);
    await closeChecked(opened.page, opened.problems);
    const epoch = f.manifest.epochs[f.manifest.epochs.length - 1];
    const layers = f.manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
    const key = canonicalQuery(queries.capacityMatrix(layers[0], layers[1], epoch, { kind: 'all' }));
    assert.ok(data.answers[key], 'the report holds the capacity matrix the Layer view opens on');
    // A note as the time budget writes it.
    data.answers[key] = {
      omitted: `The capacity matrix of layer ${layers[0]}, against layer ${layers[1]}, epoch ${epoch} was not computed for this report: computing ran past its time budget of 1 s. Open the run in VS Code (answers are computed on demand), or write the report again with a larger --max-seconds.`,
    };
    const file = writePage(join(tempDir('cnn-slicer-report-notes-'), 'time.html'), { data, title: 'time budget note' });
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'layer');
    const note = page.locator('#panel-layer .heatmap-card .not-in-report').first();
    await note.waitFor();
    const text = (await note.textContent()) ?? '';
    assert.match(text, /--max-seconds/);
    assert.doesNotMatch(text, /--max-mb/);
    await closeChecked(page, problems);
  });
});
