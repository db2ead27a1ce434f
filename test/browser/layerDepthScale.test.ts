// Depth comparisons in the Layer view: the heatmap's "shared across pairs" scale keeps one colour per
// value when the user switches layer pairs (1:3 → 1:5), the scale in force is named beside the legend,
// and the epoch and depth strips sit in cards of their own, each with its own named legend, the depth
// strip's layer picker clear of the epoch strip's legend. Expected values come from the answers
// embedded in the report.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { queries } from '../../src/contract/plan';
import { scalePairs } from '../../webview/views/layer/scalePairs';
import { browserFixture, closeChecked, embedded, openPage, openReport, openView, screenshot, useBrowser } from './harness';
import { cifarShapeReport } from './cifarShapeReport';
import type { CifarShapeReport } from './cifarShapeReport';

const HEATMAP = '#panel-layer canvas.heatmap-canvas';
const DOMAIN = '#panel-layer [data-testid=scale-domain]';
const LEGEND = '#panel-layer .heatmap-card .legend';
const ALL = { kind: 'all' } as const;

const maxOf = (a: CapacityMatrixAnswer) => Math.max(...a.values.filter((v): v is number => v !== null));

function pairMax(report: CifarShapeReport, i: number, j: number): number {
  return Math.max(...report.manifest.epochs.map((e) => maxOf(report.answers.get(`${i}:${j}@${e}`)!)));
}

async function showPair(page: Page, report: CifarShapeReport, i: number, j: number): Promise<void> {
  await page.selectOption('#panel-layer select[aria-label="Layer I (columns)"]', String(i));
  await page.selectOption('#panel-layer select[aria-label="Layer J (rows)"]', String(j));
  const rows = report.manifest.layers[j].channels;
  const columns = report.manifest.layers[i].channels;
  await page.waitForSelector(`${HEATMAP}[data-rows="${rows}"][data-columns="${columns}"]`);
}

async function scaleMax(page: Page, want: number): Promise<number> {
  await page
    .waitForFunction(([sel, w]) => Number(document.querySelector(sel)?.getAttribute('data-scale-max')) === w, [HEATMAP, want] as const, {
      timeout: 10_000,
    })
    .catch(() => undefined);
  return Number(await page.getAttribute(HEATMAP, 'data-scale-max'));
}

/** The drawn colour at the centre of displayed cell (x, y), and the legend's colour for `fraction` of the domain. */
async function cellAndLegend(page: Page, x: number, y: number, fraction: number): Promise<[number[], number[]]> {
  return page.evaluate(
    ([sel, x, y, f]) => {
      const canvas = document.querySelector(sel) as HTMLCanvasElement;
      const d = canvas.dataset;
      const cell = Number(d.cellSize);
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const px = Math.floor((Number(d.plotLeft) + x * cell + cell / 2) * ratio);
      const py = Math.floor((Number(d.plotTop) + y * cell + cell / 2) * ratio);
      const drawn = Array.from(canvas.getContext('2d')!.getImageData(px, py, 1, 1).data).slice(0, 3);
      const bar = document.querySelector('#panel-layer .heatmap-card canvas.legend-bar') as HTMLCanvasElement;
      const lx = Math.round(f * (bar.width - 1));
      const legend = Array.from(bar.getContext('2d')!.getImageData(lx, 5, 1, 1).data).slice(0, 3);
      return [drawn, legend] as [number[], number[]];
    },
    [HEATMAP, x, y, fraction] as const,
  );
}

describe('browser: Layer view depth comparisons on one scale', function () {
  const browser = useBrowser(this);

  for (const theme of ['light', 'dark'] as const)
    it(`keeps "shared across pairs" when switching pair 1:3 to 1:5, and names the scale beside the legend (${theme})`, async () => {
      const f = await browserFixture();
      const report = cifarShapeReport(f.manifest, { theme, name: `cifar-shape-depth-${theme}` });
      const { page, problems } = await openPage(browser(), report.file, { width: 1400, height: 900 });
      await openView(page, 'layer');
      await page.waitForSelector(HEATMAP);

      // Shared across epochs (the default): each pair has its own scale, and the legend says whose.
      await showPair(page, report, 1, 3);
      const max13 = pairMax(report, 1, 3);
      const max15 = pairMax(report, 1, 5);
      assert.notEqual(max13, max15, 'the two pairs have different maxima');
      assert.equal(await scaleMax(page, max13), max13);
      assert.match((await page.textContent(LEGEND)) ?? '', /scale: shared across epochs of conv1 → pool1/);
      await showPair(page, report, 1, 5);
      assert.equal(await scaleMax(page, max15), max15);
      assert.match((await page.textContent(LEGEND)) ?? '', /scale: shared across epochs of conv1 → conv4/);

      // Shared across pairs: the largest value of every matrix the view compares, whichever pair is shown.
      const shared = Math.max(...[...report.answers.values()].map(maxOf));
      assert.ok(shared > max13 && shared > max15, 'a pair other than 1:3 and 1:5 holds the largest value');
      await page.selectOption('#panel-layer select[aria-label="Colour scale"]', 'pairs');
      await page.waitForSelector(`${DOMAIN}[data-scale="pairs"]`);
      assert.equal(await scaleMax(page, shared), shared, 'pair 1:5 uses the scale shared across pairs');
      assert.match((await page.textContent(LEGEND)) ?? '', /scale: shared across pairs/);
      assert.match((await page.textContent(LEGEND)) ?? '', new RegExp(shared.toFixed(2)));
      assert.doesNotMatch((await page.textContent(DOMAIN)) ?? '', /known so far/);
      await showPair(page, report, 1, 3);
      assert.equal(await scaleMax(page, shared), shared, 'pair 1:3 keeps the same scale');
      assert.equal(Number(await page.getAttribute(DOMAIN, 'data-max-bits')), shared);
      // A cell's colour is the legend's colour for its value on that scale.
      const a = report.answers.get('1:3@2')!;
      for (const [x, y] of [
        [0, 0],
        [5, 3],
        [a.columns - 1, a.rows - 1],
      ]) {
        const v = a.values[y * a.columns + x];
        if (v === null) continue;
        const [drawn, legend] = await cellAndLegend(page, x, y, v / shared);
        assert.ok(
          drawn.every((c, k) => Math.abs(c - legend[k]) <= 12),
          `cell (${x}, ${y}) = ${v} bits: drawn ${drawn}, legend ${legend}`,
        );
      }
      await page.locator(HEATMAP).scrollIntoViewIfNeeded();
      await screenshot(page, `layer-depth-scale-pairs-${theme}`);
      await closeChecked(page, problems);
    });

  it('spans every pair and epoch the LeNet report holds in "shared across pairs", and keeps it from pair to pair', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    const pairs = scalePairs(f.manifest, 1, 2);
    const answers = await Promise.all(
      pairs.flatMap(([i, j]) => f.manifest.epochs.map((e) => embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(i, j, e, ALL)))),
    );
    const shared = Math.max(...answers.map(maxOf));
    await page.selectOption('#panel-layer select[aria-label="Colour scale"]', 'pairs');
    assert.equal(await scaleMax(page, shared), shared);
    await page.waitForFunction((sel) => !/known so far/.test(document.querySelector(sel)?.textContent ?? ''), DOMAIN);
    assert.match((await page.textContent(DOMAIN)) ?? '', new RegExp(`of ${answers.length} of their ${answers.length} matrices`));
    const [i, j] = pairs[pairs.length - 1];
    await page.selectOption('#panel-layer select[aria-label="Layer I (columns)"]', String(i));
    await page.selectOption('#panel-layer select[aria-label="Layer J (rows)"]', String(j));
    await page.waitForFunction(([sel, rows]) => document.querySelector(sel)?.getAttribute('data-rows') === String(rows), [
      HEATMAP,
      f.manifest.layers[j].channels,
    ] as const);
    assert.equal(await scaleMax(page, shared), shared, `pair ${i}:${j} keeps the scale`);
    await screenshot(page, 'layer-depth-scale-lenet-light');
    await closeChecked(page, problems);
  });

  it("puts the epoch and depth strips in cards of their own, each legend naming its scale, the depth picker clear of the epoch strip's legend", async () => {
    const f = await browserFixture();
    const report = cifarShapeReport(f.manifest, { name: 'cifar-shape-strips' });
    const { page, problems } = await openPage(browser(), report.file, { width: 1400, height: 900 });
    await openView(page, 'layer');
    await page.waitForSelector(HEATMAP);
    await page.click('[data-testid=epoch-strip-toggle]');
    await page.click('[data-testid=depth-strip-toggle]');
    await page.waitForSelector('[data-testid=epoch-strip][data-ready="3"]');
    const depthCells = report.manifest.layers.filter((l) => l.index > 1 && l.channels > 1).length;
    await page.waitForSelector(`[data-testid=depth-strip][data-ready="${depthCells}"]`);
    const layout = await page.evaluate(() => {
      const epoch = document.querySelector('[data-testid=epoch-strip]')!;
      const depth = document.querySelector('[data-testid=depth-strip]')!;
      const epochCard = epoch.closest('section.card')!;
      const depthCard = depth.closest('section.card')!;
      const picker = document.querySelector('select[aria-label="Depth strip layer"]')!;
      return {
        sameCard: epochCard === depthCard,
        pickerInDepthCard: depthCard.contains(picker),
        pickerInEpochCard: epochCard.contains(picker),
        epochLegends: Array.from(epochCard.querySelectorAll('.legend')).map((l) => l.textContent ?? ''),
        depthLegends: Array.from(depthCard.querySelectorAll('.legend')).map((l) => l.textContent ?? ''),
        epochLegend: epochCard.querySelector('.legend')!.getBoundingClientRect().toJSON() as DOMRect,
        picker: picker.getBoundingClientRect().toJSON() as DOMRect,
      };
    });
    assert.equal(layout.sameCard, false, 'the strips sit in two cards');
    assert.ok(layout.pickerInDepthCard && !layout.pickerInEpochCard, "the depth strip's picker is in the depth strip's card");
    assert.equal(layout.epochLegends.length, 1);
    assert.equal(layout.depthLegends.length, 1);
    assert.match(layout.epochLegends[0], /scale: shared by the 3 epochs of this strip/);
    assert.match(layout.depthLegends[0], new RegExp(`scale: shared by the ${depthCells} pairs of this strip`));
    const e = layout.epochLegend;
    const p = layout.picker;
    const overlap = p.left < e.right && e.left < p.right && p.top < e.bottom && e.top < p.bottom;
    assert.ok(!overlap && p.top >= e.bottom, `the picker ${JSON.stringify(p)} is clear of and below the epoch legend ${JSON.stringify(e)}`);
    await screenshot(page, 'layer-depth-strips-cards-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'layer-depth-strips-cards-dark');
    await closeChecked(page, problems);
  });
});
