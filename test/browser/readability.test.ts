// What makes the views readable, checked as a person sees it: an empty confusion cell stands out
// from the page in every theme, a class circle zooms on the first click, the channel text field
// follows a band drag, and an input subset is named by every chart of the Channel view (or the
// chart says it shows all probe inputs), with "not in this report" shown as information.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { ChannelEntropiesAnswer, InputDiversityAnswer, TrainingAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { queries } from '../../src/contract/plan';
import {
  browserFixture,
  closeChecked,
  embedded,
  openPage,
  openReport,
  openView,
  screenshot,
  showArchitectureTable,
  tempDir,
  useBrowser,
  writePage,
} from './harness';

const PACKING = '#panel-channel svg.packing';

/** The colour of one screen pixel as [r, g, b], decoded in the page from a 1 × 1 screenshot. */
async function pixelAt(page: Page, x: number, y: number): Promise<number[]> {
  const png = await page.screenshot({ clip: { x: Math.floor(x), y: Math.floor(y), width: 1, height: 1 } });
  return page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = document.createElement('canvas');
    canvas.width = 1;
    canvas.height = 1;
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3));
  }, png.toString('base64'));
}

const colourDistance = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0);

/** The zoom group's transform once its tween has finished (two reads 150 ms apart agree). */
async function settledTransform(page: Page): Promise<string> {
  let last = '';
  for (let i = 0; i < 40; i++) {
    const now = (await page.getAttribute(`${PACKING} g.cp-zoom`, 'transform')) ?? '';
    if (now === last) return now;
    last = now;
    await page.waitForTimeout(150);
  }
  return last;
}

/** Client coordinates of the centre of an element, scrolled into view. */
async function centreOf(page: Page, selector: string): Promise<{ x: number; y: number }> {
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  const box = (await page.locator(selector).first().boundingBox())!;
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

describe('browser: readability of the views', function () {
  const browser = useBrowser(this);

  it('draws an empty confusion cell distinguishable from the background in the light, dark and high-contrast themes', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training rect.cm-cell');
    const zero = '#panel-training rect.cm-cell[data-count="0"]:not(.diagonal)';
    assert.ok((await page.locator(zero).count()) > 0, 'the fixture matrix has an empty cell');
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      await page.selectOption('select[aria-label=Theme]', theme);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(150);
      const cell = await centreOf(page, zero);
      // The corner of the matrix's own SVG holds nothing: it is the card's background.
      const svg = (await page.locator('#panel-training svg.confusion-matrix').boundingBox())!;
      const background = await pixelAt(page, svg.x + 2, svg.y + 2);
      const empty = await pixelAt(page, cell.x, cell.y);
      assert.ok(
        colourDistance(empty, background) >= 45,
        `${theme}: an empty cell (rgb ${empty.join(',')}) must stand out from the background (rgb ${background.join(',')})`,
      );
      await screenshot(page, `readability-confusion-${theme}`);
    }
    await closeChecked(page, problems);
  });

  it('zooms into a class circle on the first click, selects a channel on the second, and zooms out on another layer', async () => {
    const { page, problems } = await openReport(browser(), 'channel');
    await page.waitForSelector(PACKING);
    const home = await settledTransform(page);
    // The largest channel circle of class 3: a click there lands on a channel, not on the class rim.
    const channel = await page.$$eval(`${PACKING} circle.cp-channel[data-class="3"]`, (els) => {
      const biggest = els.reduce((a, b) => (Number(b.getAttribute('r')) > Number(a.getAttribute('r')) ? b : a));
      return biggest.getAttribute('data-channel')!;
    });
    const circle = `${PACKING} circle.cp-channel[data-class="3"][data-channel="${channel}"]`;
    let p = await centreOf(page, circle);
    await page.mouse.click(p.x, p.y);
    assert.equal(await page.getAttribute(PACKING, 'data-zoom'), '3', 'the first click zooms into the class');
    assert.equal(await page.locator(`${PACKING} circle.cp-channel.focused`).count(), 0, 'the first click selects no channel');
    assert.notEqual(await settledTransform(page), home);
    await screenshot(page, 'readability-packing-zoomed-light');

    p = await centreOf(page, circle);
    await page.mouse.click(p.x, p.y);
    assert.equal(await page.getAttribute(PACKING, 'data-zoom'), '3');
    await page.waitForSelector(`${PACKING} circle.cp-channel.focused[data-channel="${channel}"]`);
    assert.match((await page.textContent('#panel-channel .channel-selected')) ?? '', new RegExp(`#${channel}`));

    // Another layer: the picture starts from the whole packing again.
    await page.selectOption('select[aria-label="Layer shown in the Channel view"]', '3');
    await page.waitForSelector(`${PACKING}[data-zoom="none"]`);
    await closeChecked(page, problems);
  });

  it('shows a channel band drag in the channel text field of its layer', async () => {
    const { page, problems } = await openReport(browser(), 'query');
    const field = 'input[aria-label^="Channels of conv1 in the slice"]';
    assert.equal(await page.inputValue(field), '');
    const drag = async (from: number, to: number) => {
      const band = page.locator('[data-band-layer="1"] rect.channel-band');
      // The Network view above the slicer fills the window's height: the band is scrolled to first.
      await band.scrollIntoViewIfNeeded();
      const box = (await band.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * ((from + 0.5) / 8));
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * ((to + 0.5) / 8), { steps: 5 });
      await page.mouse.up();
    };
    const shows = async (text: string) => {
      await page
        .waitForFunction(([f, t]) => (document.querySelector(f) as HTMLInputElement).value === t, [field, text], { timeout: 3000 })
        .catch(() => undefined);
      assert.equal(await page.inputValue(field), text);
    };
    await drag(0, 3);
    await shows('0-3');
    await drag(5, 6);
    await shows('5-6');
    // Typing still works and is not rewritten as the slice follows it.
    await page.fill(field, '1, 2, 7');
    await page.press(field, 'Tab');
    assert.match((await page.textContent('[data-testid=slice-summary]')) ?? '', /conv1: 1–2, 7/);
    await page.waitForTimeout(100);
    assert.equal(await page.inputValue(field), '1, 2, 7');
    await drag(2, 5);
    await shows('2-5');
    await screenshot(page, 'readability-channel-field');
    await closeChecked(page, problems);
  });

  it('names a classes {0, 1} subset in the circle packing, says which charts show all probe inputs, and shows "not in this report" neutrally', async () => {
    // The fixture's report plus the channel entropies of conv1 at epoch 2 for classes 0 and 1 (as
    // the service would answer them), so that the packing has the subset's answer to draw.
    const opened = await openReport(browser());
    const data = await opened.page.evaluate(() => JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData);
    const all = await embedded<ChannelEntropiesAnswer>(opened.page, queries.channelEntropies(1, 2, { kind: 'all' }));
    await closeChecked(opened.page, opened.problems);
    const subset = { kind: 'classes' as const, classes: [0, 1] };
    const classCounts = all.classCounts.map((n, k) => (k < 2 ? n : 0));
    const answer: ChannelEntropiesAnswer = {
      ...all,
      inputCount: classCounts[0] + classCounts[1],
      perClass: all.perClass.map((row, k) => (k < 2 ? row : row.map(() => null))),
      classCounts,
      source: 'computed',
    };
    data.answers[canonicalQuery(queries.channelEntropies(1, 2, subset))] = { answer };
    const file = writePage(join(tempDir('cnn-slicer-readability-'), 'subset.html'), { data, title: 'subset report' });
    const { page, problems } = await openPage(browser(), file);

    await page.click('[data-testid=subset-classes]');
    for (let c = 2; c < 10; c++) await page.locator('[aria-label="Classes in the slice"] input[type=checkbox]').nth(c).uncheck();
    assert.match((await page.textContent('[data-testid=slice-summary]')) ?? '', /x = classes 0, 1,/);
    // Before applying, the Query view warns what this report cannot answer for the slice: the
    // inter-sample entropies and the capacity of the subset, not the channel entropies of conv1,
    // which this report holds.
    const warning = page.locator('[data-testid=report-coverage]');
    await warning.waitFor();
    // The warning of an intermediate draft (classes 0, 1, 2, …, for which the channel entropies are
    // missing too) stays until the checks of the final draft resolve (answers decode asynchronously).
    await page
      .waitForFunction(
        () => !/channel entropies/.test(document.querySelector('[data-testid=report-coverage]')?.textContent ?? ''),
        undefined,
        {
          timeout: 5000,
        },
      )
      .catch(() => undefined);
    const warned = (await warning.textContent()) ?? '';
    assert.match(
      warned,
      /cannot answer part of this slice: the inter-sample entropy at conv1; the inter-sample entropy at pool1; the capacity of conv1 × pool1\./,
    );
    assert.doesNotMatch(warned, /channel entropies/);
    await screenshot(page, 'readability-report-coverage-light');
    await page.click('[data-testid=apply-query]');
    await page.waitForSelector('text=applied');
    assert.equal(await warning.count(), 0, 'the warning goes once the slice is applied');
    // The slice result lacks the subset in this report: said in place, not as a warning.
    const cell = page.locator('.view-query .not-in-report').first();
    await cell.waitFor();
    assert.equal(await page.locator('.view-query table .warning:has-text("not in this report")').count(), 0);

    await openView(page, 'channel');
    await page.waitForSelector(PACKING);
    const caption = (await page.textContent('#panel-channel .channel-packing .channel-caption')) ?? '';
    assert.match(caption, new RegExp(`classes 0, 1 and the slice together \\(${answer.inputCount} inputs of the slice: classes 0, 1\\)`));
    assert.doesNotMatch(caption, /10 classes/);
    const firstLevel = await page.$$eval(`${PACKING} circle[data-class]:not([data-channel])`, (els) =>
      els.map((e) => e.getAttribute('data-class')).sort(),
    );
    assert.deepEqual(firstLevel, ['0', '1', 'all']);
    // The multiples and the deconvolution cannot take the subset: each says so in words.
    assert.match(
      (await page.textContent('#panel-channel .channel-multiples [data-testid=all-inputs-note]')) ?? '',
      /every probe input.*classes 0, 1\) do not apply/,
    );
    assert.match(
      (await page.textContent('#panel-channel .channel-deconvolution [data-testid=all-inputs-note]')) ?? '',
      /one sample input of every class.*classes 0, 1\) do not apply/,
    );
    await screenshot(page, 'readability-subset-channel-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(150);
    await screenshot(page, 'readability-subset-channel-dark');
    await page.selectOption('select[aria-label=Theme]', 'light');

    // The Layer view has no capacity of the subset in this report: a neutral note, not an alert.
    await openView(page, 'layer');
    const note = page.locator('#panel-layer .status.not-in-report').first();
    await note.waitFor();
    assert.match((await note.textContent()) ?? '', /Not in this report/);
    assert.equal(await page.locator('#panel-layer .status.error').count(), 0);
    assert.equal(await note.getAttribute('role'), 'status');
    const [colour, errorColour] = await note.evaluate((el) => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--vscode-errorForeground)';
      document.body.append(probe);
      const out = [getComputedStyle(el).color, getComputedStyle(probe).color];
      probe.remove();
      return out;
    });
    assert.notEqual(colour, errorColour, 'the note is not in the error colour');
    await screenshot(page, 'readability-not-in-report-light');
    await closeChecked(page, problems);
  });

  it('gives the label-entropy charts their card width, keeps undefined markers apart and names their classes', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    const training = await embedded<TrainingAnswer>(page, queries.training());
    for (const kind of ['labelGivenPred', 'predGivenLabel'] as const) {
      const card = `#panel-training .label-entropy.${kind}`;
      await page.waitForSelector(`${card} svg.chart`);
      const [svgWidth, plotWidth] = await page.$eval(`${card} .label-entropy-plot`, (el) => [
        Number(el.querySelector('svg.chart')!.getAttribute('width')),
        el.clientWidth,
      ]);
      assert.ok(svgWidth >= 500, `${kind}: the chart is ${svgWidth} px wide on a 1280 px page`);
      assert.ok(Math.abs(svgWidth - plotWidth) <= 1, `${kind}: the chart (${svgWidth} px) fills its card (${plotWidth} px)`);
      const boxes = await page.$$eval(`${card} svg.chart .undefined-marker`, (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        }),
      );
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i], boxes[j]];
          const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          assert.ok(!overlap, `${kind}: undefined markers ${i} and ${j} overlap`);
        }
      const values = kind === 'labelGivenPred' ? training.hLabelGivenPred : training.hPredGivenLabel;
      const expected = training.epochs.flatMap((e, i) => {
        const classes = values.flatMap((row, c) => (row[i] === null ? [training.classNames[c]] : []));
        return classes.length ? [`epoch ${e}: class${classes.length === 1 ? '' : 'es'} ${classes.join(', ')}`] : [];
      });
      if (expected.length) assert.equal(await page.textContent(`${card} [data-testid=undefined-list]`), expected.join('; '));
    }
    assert.ok(training.hLabelGivenPred.flat().filter((v) => v === null).length > 1, 'the fixture has several undefined markers');
    await page.mouse.move(0, 0);
    await screenshot(page, 'readability-training-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(150);
    await screenshot(page, 'readability-training-dark');
    await closeChecked(page, problems);
  });

  it('says when an inter-sample entropy is at its ceiling log2(N(N−1)), on the diversity bars and in the Query view', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training svg.diversity-bars');
    const f = await browserFixture();
    // The bars: each class's draws of n and "all classes", their union of n × classes inputs, from one answer.
    const diversity = await embedded<InputDiversityAnswer>(page, queries.inputDiversity(f.manifest, 'probe'));
    // Expected independently: the bars within 3 % of log2(n(n−1)) for their n inputs drawn.
    const saturated = diversity.rows.flatMap((r) =>
      r.bits.flatMap((b, s) => (b !== null && r.counts[s] > 1 && b >= 0.97 * Math.log2(r.counts[s] * (r.counts[s] - 1)) ? [1] : [])),
    ).length;
    assert.ok(saturated > 0, 'the probe subsets of the fixture are small enough to saturate');
    assert.equal(await page.locator('#panel-training svg.diversity-bars g.bar[data-ceiling=true]').count(), saturated);
    assert.equal(await page.locator('#panel-training svg.diversity-bars line.ceiling-mark').count(), saturated);
    assert.match((await page.textContent('#panel-training [data-testid=ceiling-note]')) ?? '', /at its ceiling.*log2\(n\(n−1\)\)/);

    await openView(page, 'query');
    await showArchitectureTable(page);
    const ceiling = Math.log2(f.manifest.probe.size * (f.manifest.probe.size - 1));
    const cells = await page.$$eval('table.architecture tbody tr', (trs) =>
      trs.map((tr) => tr.querySelectorAll('td')[6]?.textContent ?? ''),
    );
    const expectedMarks = cells.filter((t) => /^(\d+\.\d{3}) bits/.test(t) && Number(/^(\d+\.\d{3})/.exec(t)![1]) >= 0.97 * ceiling).length;
    assert.equal(await page.locator('table.architecture [data-testid=ceiling-mark]').count(), expectedMarks);
    for (const t of cells) if (/at ceiling/.test(t)) assert.match(t, new RegExp(`at ceiling \\(${ceiling.toFixed(3)} bits\\)`));
    await screenshot(page, 'readability-ceiling-query-light');
    await closeChecked(page, problems);
  });

  it('brings the feature maps of a clicked heatmap cell into view', async () => {
    const { page, problems } = await openPage(browser(), (await browserFixture()).report, { width: 1280, height: 700 });
    await openView(page, 'layer');
    const heatmap = '#panel-layer canvas.heatmap-canvas';
    await page.waitForSelector(heatmap);
    const p = await page.$eval(heatmap, (c) => {
      const box = c.getBoundingClientRect();
      const d = (c as HTMLElement).dataset;
      const cell = Number(d.cellSize);
      return {
        x: Math.ceil(box.left + Number(d.plotLeft) + 4 * cell + (cell - 1) / 2),
        y: Math.ceil(box.top + Number(d.plotTop) + 6 * cell + (cell - 1) / 2),
      };
    });
    await page.mouse.click(p.x, p.y);
    await page.waitForSelector('#panel-layer [data-testid=feature-maps]');
    // Once any smooth scroll settles, the maps' top half is on screen.
    await page.waitForFunction(
      () => {
        const r = document.querySelector('#panel-layer [data-testid=feature-maps]')!.getBoundingClientRect();
        return r.top >= 0 && r.top + Math.min(r.height, window.innerHeight) / 2 <= window.innerHeight;
      },
      undefined,
      { timeout: 5000 },
    );
    await screenshot(page, 'readability-feature-maps-light');
    await closeChecked(page, problems);
  });
});
