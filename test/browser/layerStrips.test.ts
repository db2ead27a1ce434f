// Small multiples of capacity heatmaps in the Layer view (paper Figs. 10–12): the
// epoch strip of the current pair and the depth strip of the first convolution against every later
// multi-channel layer, each on ONE colour scale, with the default epochs and pairs, and a click
// that opens a cell large. Expected values come from the answers embedded in the report.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { depthPairs, queries, spreadEpochs } from '../../src/contract/plan';
import { browserFixture, closeChecked, embedded, openReport, screenshot, useBrowser } from './harness';

const ALL = { kind: 'all' } as const;
const HEATMAP = '#panel-layer canvas.heatmap-canvas';

function maxOf(a: CapacityMatrixAnswer): number {
  return Math.max(...a.values.filter((v): v is number => v !== null));
}

/** The drawn colour of matrix cell (x, y) (channel order) in the strip cell `key`, as [r, g, b]. */
async function stripColour(page: Page, strip: string, key: string, x: number, y: number): Promise<number[]> {
  return page.$eval(
    `[data-testid=${strip}] .strip-cell[data-key="${key}"] canvas.strip-canvas`,
    (c, [x, y]) => {
      const canvas = c as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cellSize);
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const px = Math.floor((x * cell + cell / 2) * ratio);
      const py = Math.floor((y * cell + cell / 2) * ratio);
      return Array.from(canvas.getContext('2d')!.getImageData(px, py, 1, 1).data).slice(0, 3);
    },
    [x, y],
  );
}

/** The strip legend's colour for a value: the gradient pixel at the value's place in the domain. */
async function legendColour(page: Page, strip: string, fraction: number): Promise<number[]> {
  return page.$eval(
    `[data-testid=${strip}] canvas.legend-bar`,
    (c, f) => {
      const canvas = c as HTMLCanvasElement;
      const x = Math.round(f * (canvas.width - 1));
      return Array.from(canvas.getContext('2d')!.getImageData(x, 5, 1, 1).data).slice(0, 3);
    },
    fraction,
  );
}

const close = (a: number[], b: number[], tolerance: number) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

/** Checks that every cell of a strip is coloured on the strip's one domain: each pixel is the legend's colour for its value. */
async function checkOneScale(page: Page, strip: string, cells: { key: string; answer: CapacityMatrixAnswer }[]): Promise<void> {
  const shared = Math.max(...cells.map((c) => maxOf(c.answer)));
  assert.equal(Number(await page.getAttribute(`[data-testid=${strip}]`, 'data-scale-max')), shared);
  for (const { key, answer } of cells) {
    const sel = `[data-testid=${strip}] .strip-cell[data-key="${key}"]`;
    assert.equal(Number(await page.getAttribute(`${sel} canvas`, 'data-scale-max')), shared, `${key} uses the strip's domain`);
    assert.equal(Number(await page.getAttribute(sel, 'data-max-bits')), maxOf(answer));
    assert.match((await page.textContent(sel)) ?? '', new RegExp(`max ${maxOf(answer).toFixed(3)} bits · mean \\d`));
    // The cell holding this matrix's largest value, and two others.
    const at = answer.values.indexOf(maxOf(answer));
    for (const index of [at, 0, answer.values.length - 1]) {
      const v = answer.values[index];
      if (v === null) continue;
      const x = index % answer.columns;
      const y = Math.floor(index / answer.columns);
      const drawn = await stripColour(page, strip, key, x, y);
      const expected = await legendColour(page, strip, v / shared);
      assert.ok(close(drawn, expected, 12), `${key} cell (${x}, ${y}) = ${v} bits: drawn ${drawn}, legend ${expected}`);
    }
  }
}

describe('browser: Layer view strips (small multiples of heatmaps)', function () {
  const browser = useBrowser(this);

  it('draws the epoch strip of the pair at 4 spread epochs (first and last) on one scale; a click opens an epoch large', async () => {
    const f = await browserFixture();
    const expected = spreadEpochs(f.manifest.epochs, 4);
    assert.equal(expected[0], f.manifest.epochs[0]);
    assert.equal(expected[expected.length - 1], f.manifest.epochs[f.manifest.epochs.length - 1]);
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    await page.click('[data-testid=epoch-strip-toggle]');
    await page.waitForSelector(`[data-testid=epoch-strip][data-ready="${expected.length}"]`);
    const keys = await page.$$eval('[data-testid=epoch-strip] .strip-cell', (els) => els.map((e) => (e as HTMLElement).dataset.key));
    assert.deepEqual(
      keys,
      expected.map((e) => `epoch-${e}`),
    );
    const cells = await Promise.all(
      expected.map(async (e) => ({
        key: `epoch-${e}`,
        answer: await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, e, ALL)),
      })),
    );
    assert.ok(new Set(cells.map((c) => maxOf(c.answer))).size > 1, 'the fixture maxima differ between epochs');
    await checkOneScale(page, 'epoch-strip', cells);
    await screenshot(page, 'layer-epoch-strip-light');

    // A click on the first epoch opens it large: the main heatmap shows that epoch, the cell is marked.
    await page.click(`[data-testid=epoch-strip] .strip-cell[data-key="epoch-${expected[0]}"]`);
    await page.waitForSelector(`${HEATMAP}[data-epoch="${expected[0]}"]`);
    assert.equal(await page.getAttribute(`[data-testid=epoch-strip] .strip-cell[data-key="epoch-${expected[0]}"]`, 'aria-current'), 'true');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'layer-epoch-strip-dark');
    await closeChecked(page, problems);
  });

  it("keeps every epoch strip cell in the sorted heatmap's order: the reference epoch's (the last)", async () => {
    const f = await browserFixture();
    const expected = spreadEpochs(f.manifest.epochs, 4);
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    const reference = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, last, ALL));
    const columnOrder = reference.orders.columnMax;
    assert.notDeepEqual(
      columnOrder,
      columnOrder.map((_, k) => k),
      'the fixture sorts columns away from channel order',
    );
    await page.click('#panel-layer button:text-is("columns by max")');
    await page.click('[data-testid=epoch-strip-toggle]');
    await page.waitForSelector(`[data-testid=epoch-strip][data-ready="${expected.length}"]`);
    const cells = await Promise.all(
      expected.map(async (e) => ({
        key: `epoch-${e}`,
        answer: await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, e, ALL)),
      })),
    );
    const shared = Math.max(...cells.map((c) => maxOf(c.answer)));
    for (const { key, answer } of cells) {
      for (const [x, y] of [
        [0, 0],
        [1, 3],
        [answer.columns - 1, 5],
      ]) {
        // Displayed column x shows channel columnOrder[x] at every epoch.
        const v = answer.values[y * answer.columns + columnOrder[x]]!;
        const drawn = await stripColour(page, 'epoch-strip', key, x, y);
        const expectedColour = await legendColour(page, 'epoch-strip', v / shared);
        assert.ok(
          close(drawn, expectedColour, 12),
          `${key} displayed (${x}, ${y}) = channel ${columnOrder[x]}: drawn ${drawn}, legend ${expectedColour}`,
        );
      }
    }
    await closeChecked(page, problems);
  });

  it('draws the depth strip of the first convolution against every later multi-channel layer on one scale; a click opens that pair large', async () => {
    const f = await browserFixture();
    const pairs = depthPairs(f.manifest);
    const multi = f.manifest.layers.filter((l) => l.index > 0 && l.channels > 1);
    const firstConv = multi.find((l) => /conv/i.test(l.className))!;
    assert.deepEqual(
      pairs,
      multi.filter((l) => l.index > firstConv.index).map((l) => [firstConv.index, l.index]),
    );
    assert.ok(pairs.length >= 2, 'the fixture has several later multi-channel layers');
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    await page.click('[data-testid=depth-strip-toggle]');
    await page.waitForSelector(`[data-testid=depth-strip][data-ready="${pairs.length}"]`);
    const keys = await page.$$eval('[data-testid=depth-strip] .strip-cell', (els) => els.map((e) => (e as HTMLElement).dataset.key));
    assert.deepEqual(
      keys,
      pairs.map(([i, j]) => `pair-${i}-${j}`),
    );
    const cells = await Promise.all(
      pairs.map(async ([i, j]) => ({
        key: `pair-${i}-${j}`,
        answer: await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(i, j, last, ALL)),
      })),
    );
    await checkOneScale(page, 'depth-strip', cells);
    await screenshot(page, 'layer-depth-strip-light');

    // A click on the last pair opens it large: the layer pickers and the main heatmap follow.
    const [i, j] = pairs[pairs.length - 1];
    await page.click(`[data-testid=depth-strip] .strip-cell[data-key="pair-${i}-${j}"]`);
    await page.waitForFunction(
      ([i, j]) =>
        document.querySelector<HTMLSelectElement>('#panel-layer select[aria-label="Layer I (columns)"]')?.value === String(i) &&
        document.querySelector<HTMLSelectElement>('#panel-layer select[aria-label="Layer J (rows)"]')?.value === String(j),
      [i, j],
    );
    const big = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(i, j, last, ALL));
    await page.waitForFunction(
      ([sel, rows, columns]) => {
        const c = document.querySelector<HTMLElement>(sel);
        return c?.dataset.rows === String(rows) && c.dataset.columns === String(columns);
      },
      [HEATMAP, big.rows, big.columns] as const,
    );
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'layer-depth-strip-dark');
    await closeChecked(page, problems);
  });

  it('shows a neutral "not in this report" in place of a strip cell the report did not precompute, and fits a half-width editor', async () => {
    const { page, problems } = await openReport(browser(), 'layer');
    await page.setViewportSize({ width: 640, height: 900 });
    await page.waitForSelector(HEATMAP);
    // Layers 2 × 4 are neither consecutive nor a depth pair of the first convolution: not precomputed.
    await page.selectOption('#panel-layer select[aria-label="Layer I (columns)"]', '2');
    await page.selectOption('#panel-layer select[aria-label="Layer J (rows)"]', '4');
    await page.click('[data-testid=epoch-strip-toggle]');
    await page.click('[data-testid=depth-strip-toggle]');
    await page.waitForSelector('[data-testid=epoch-strip] [data-testid=strip-not-in-report]');
    await page.waitForSelector(`[data-testid=depth-strip][data-ready="${depthPairs((await browserFixture()).manifest).length}"]`);
    assert.equal(await page.$$eval('[data-testid=epoch-strip] .status.error, [data-testid=epoch-strip] .error', (e) => e.length), 0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scroll at half width (overflow ${overflow} px)`);
    await screenshot(page, 'layer-strips-half-width-light');
    await closeChecked(page, problems);
  });
});
