// Marking a group of channels in the capacity heatmap (the paper's Fig. 8B): the
// band is drawn over the marked channels, stays on them when re-sorted and when the epoch changes,
// and the readout compares the marked cells with the rest. Expected values come from the answers
// embedded in the report, never from the view's own output.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { queries } from '../../src/contract/plan';
import { browserFixture, closeChecked, download, embedded, openReport, openView, screenshot, useBrowser } from './harness';

const ALL = { kind: 'all' } as const;
const HEATMAP = '#panel-layer canvas.heatmap-canvas';
const READOUT = '#panel-layer [data-testid=marks-readout]';
const CYAN = [0x17, 0xc3, 0xe6];

async function setEpochIndex(page: Page, index: number): Promise<void> {
  await page.$eval(
    '#panel-layer input[type=range][aria-label=Epoch]',
    (el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    index,
  );
}

/** Page coordinates of a point in the label band: above display column `x`, or beside display row `y`. */
async function labelPoint(page: Page, axis: 'columns' | 'rows', pos: number): Promise<{ x: number; y: number }> {
  return page.$eval(
    HEATMAP,
    (c, [axis, pos]) => {
      const d = (c as HTMLElement).dataset;
      const box = c.getBoundingClientRect();
      const cell = Number(d.cellSize);
      const left = box.left + Number(d.plotLeft);
      const top = box.top + Number(d.plotTop);
      return axis === 'columns'
        ? { x: Math.round(left + Number(pos) * cell + cell / 2), y: Math.round(top - 6) }
        : { x: Math.round(left - 6), y: Math.round(top + Number(pos) * cell + cell / 2) };
    },
    [axis, pos] as const,
  );
}

/** The drawn colour in the label band just above display column `x` (where a mark's bar goes). */
async function barColour(page: Page, x: number): Promise<number[]> {
  return page.$eval(
    HEATMAP,
    (c, x) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.dataset;
      const cell = Number(d.cellSize);
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const px = Math.floor((Number(d.plotLeft) + x * cell + cell / 2) * ratio);
      const py = Math.floor((Number(d.plotTop) - 1.5) * ratio);
      return Array.from(canvas.getContext('2d')!.getImageData(px, py, 1, 1).data).slice(0, 3);
    },
    x,
  );
}

/**
 * Waits until the canvas shows the marked display columns (and, given, the column order and epoch):
 * it is drawn in an effect after the render that sets the other data attributes, so its pixels are
 * read once these, which the drawing itself sets, say so.
 */
async function drawn(page: Page, o: { markedPositions: readonly number[]; order?: readonly number[]; epoch?: number }): Promise<void> {
  let selector = `${HEATMAP}[data-drawn-marked-columns="${o.markedPositions.join(',')}"]`;
  if (o.order) selector += `[data-drawn-column-order="${o.order.join(',')}"]`;
  if (o.epoch !== undefined) selector += `[data-drawn-epoch="${o.epoch}"]`;
  await page.waitForSelector(selector);
}

const close = (a: number[], b: number[], tolerance: number) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

/** Mean of the defined cells of the marked block (rows × columns, an empty list = all) and of the rest. */
function expectedMeans(a: CapacityMatrixAnswer, rows: number[], columns: number[]): { marked: number; rest: number } {
  const marked: number[] = [];
  const rest: number[] = [];
  for (let r = 0; r < a.rows; r++)
    for (let c = 0; c < a.columns; c++) {
      const v = a.values[r * a.columns + c];
      if (v === null) continue;
      ((rows.length === 0 || rows.includes(r)) && (columns.length === 0 || columns.includes(c)) ? marked : rest).push(v);
    }
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  return { marked: mean(marked), rest: mean(rest) };
}

async function readout(page: Page): Promise<{ marked: number; rest: number; text: string }> {
  return {
    marked: Number(await page.getAttribute(READOUT, 'data-marked-mean')),
    rest: Number(await page.getAttribute(READOUT, 'data-rest-mean')),
    text: (await page.textContent(READOUT)) ?? '',
  };
}

function assertMeans(got: { marked: number; rest: number; text: string }, want: { marked: number; rest: number }, what: string): void {
  assert.ok(Math.abs(got.marked - want.marked) < 1e-9, `${what}: marked mean ${got.marked} = ${want.marked}`);
  assert.ok(Math.abs(got.rest - want.rest) < 1e-9, `${what}: rest mean ${got.rest} = ${want.rest}`);
  assert.ok(got.text.includes(`${want.marked.toFixed(3)} bits`), `${what}: the readout shows the marked mean: ${got.text}`);
  assert.ok(got.text.includes(`${want.rest.toFixed(3)} bits`), `${what}: the readout shows the rest's mean: ${got.text}`);
}

describe('browser: marking a group of channels in the capacity heatmap (Fig. 8B)', function () {
  const browser = useBrowser(this);

  it('draws the band over the marked channels, keeps it there when re-sorted and at another epoch, and compares the group with the rest', async () => {
    const f = await browserFixture();
    const epochs = f.manifest.epochs;
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    const answers = await Promise.all(epochs.map((e) => embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, e, ALL))));
    const last = epochs.length - 1;
    await setEpochIndex(page, last);
    await page.waitForSelector(`${HEATMAP}[data-epoch="${epochs[last]}"]`);
    assert.equal(await page.getAttribute(READOUT, 'data-marked'), 'false');

    // A click on column 2's label, then a drag along the labels from column 4 to column 5.
    const c2 = await labelPoint(page, 'columns', 2);
    await page.mouse.click(c2.x, c2.y);
    const c4 = await labelPoint(page, 'columns', 4);
    const c5 = await labelPoint(page, 'columns', 5);
    await page.mouse.move(c4.x, c4.y);
    await page.mouse.down();
    await page.mouse.move(c5.x, c5.y, { steps: 4 });
    await page.mouse.up();
    const marked = [2, 4, 5];
    await page.waitForSelector(`${HEATMAP}[data-marked-columns="2,4,5"]`);
    assert.equal(await page.getAttribute(HEATMAP, 'data-marked-column-positions'), '2,4,5');
    assert.equal(await page.getAttribute(HEATMAP, 'data-selected'), '', 'marking selects no cell');
    for (let x = 0; x < answers[last].columns; x++) {
      const colour = await barColour(page, x);
      assert.equal(
        close(colour, CYAN, 30),
        marked.includes(x),
        `column ${x}'s label band is ${marked.includes(x) ? '' : 'not '}cyan: ${colour}`,
      );
    }
    assertMeans(await readout(page), expectedMeans(answers[last], [], marked), `epoch ${epochs[last]}`);
    await screenshot(page, 'layer-marks-light');
    // The JSON export names the marked channels and the two means.
    const exported = JSON.parse(await download(page, '#panel-layer .heatmap-card .export-button:text-is("JSON")')) as {
      marks: { rows: number[]; columns: number[]; markedMeanBits: number; restMeanBits: number };
    };
    assert.deepEqual([exported.marks.rows, exported.marks.columns], [[], marked]);
    assert.ok(Math.abs(exported.marks.markedMeanBits - expectedMeans(answers[last], [], marked).marked) < 1e-9);

    // Re-sorted: the band follows channels 2, 4 and 5 to their new places; the means do not change.
    await page.click('#panel-layer button:text-is("columns by max")');
    const order = answers[last].orders.columnMax;
    const positions = marked.map((ch) => order.indexOf(ch)).sort((x, y) => x - y);
    await page.waitForSelector(`${HEATMAP}[data-column-order="${order.join(',')}"]`);
    assert.equal(await page.getAttribute(HEATMAP, 'data-marked-column-positions'), positions.join(','));
    await drawn(page, { markedPositions: positions, order });
    for (let x = 0; x < order.length; x++)
      assert.equal(close(await barColour(page, x), CYAN, 30), positions.includes(x), `sorted: display column ${x} (channel ${order[x]})`);
    assertMeans(await readout(page), expectedMeans(answers[last], [], marked), 'sorted');

    // Another epoch: same channels, same places (the reference epoch's order), that epoch's means.
    await setEpochIndex(page, 0);
    await page.waitForSelector(`${HEATMAP}[data-epoch="${epochs[0]}"]`);
    assert.equal(await page.getAttribute(HEATMAP, 'data-marked-columns'), '2,4,5');
    assert.equal(await page.getAttribute(HEATMAP, 'data-marked-column-positions'), positions.join(','));
    await drawn(page, { markedPositions: positions, order, epoch: epochs[0] });
    for (let x = 0; x < order.length; x++)
      assert.equal(close(await barColour(page, x), CYAN, 30), positions.includes(x), `epoch ${epochs[0]}: display column ${x}`);
    assertMeans(await readout(page), expectedMeans(answers[0], [], marked), `epoch ${epochs[0]}`);

    // A marked row too: the marked group is the block of marked rows × marked columns.
    await page.click('#panel-layer button:text-is("original order")');
    const r1 = await labelPoint(page, 'rows', 1);
    await page.mouse.click(r1.x, r1.y);
    await page.waitForSelector(`${HEATMAP}[data-marked-rows="1"]`);
    assertMeans(await readout(page), expectedMeans(answers[0], [1], marked), 'rows and columns');
    // A second click on a label unmarks it.
    await page.mouse.click(r1.x, r1.y);
    await page.waitForSelector(`${HEATMAP}[data-marked-rows=""]`);

    // The arrow keys still move the cell cursor and Enter selects.
    await page.focus(HEATMAP);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute(HEATMAP, 'data-selected'), '1,1');

    // The marks are part of the view state, not of the heatmap: leaving the view and coming back keeps them.
    await openView(page, 'training');
    await openView(page, 'layer');
    await page.waitForSelector(`${HEATMAP}[data-marked-columns="2,4,5"]`);

    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'layer-marks-dark');
    await page.click(`${READOUT} button:text-is("Clear marks")`);
    await page.waitForSelector(`${READOUT}[data-marked="false"]`);
    assert.equal(await page.getAttribute(HEATMAP, 'data-marked-columns'), '');
    await closeChecked(page, problems);
  });
});
