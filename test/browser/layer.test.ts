// The Layer view as a person uses it (paper 5.3, Figs. 8–11): the channel-capacity heatmap of two
// layers, its sorting, exact values on hover, the feature maps of a clicked cell, the epoch slider,
// layer-level capacity, exports, and a 512 × 512 matrix that must stay fluid. Expected values are
// read independently from the answers embedded in the report, never from the view's own output.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { CapacityMatrixAnswer, LayerCapacityAnswer } from '../../src/contract/queries';
import type { RunManifest } from '../../src/contract/runFormat';
import type { ReportData } from '../../src/contract/reportCodec';
import { queries } from '../../src/contract/plan';
import {
  browserFixture,
  closeChecked,
  download,
  embedded,
  openPage,
  openReport,
  openView,
  screenshot,
  tempDir,
  useBrowser,
  writePage,
} from './harness';

const ALL = { kind: 'all' } as const;
const HEATMAP = '#panel-layer canvas.heatmap-canvas';

/** Row or column indices by their max or mean over defined cells, descending, ties by index. */
function expectedOrder(a: Pick<CapacityMatrixAnswer, 'rows' | 'columns' | 'values'>, axis: 'row' | 'column', by: 'max' | 'mean'): number[] {
  const n = axis === 'row' ? a.rows : a.columns;
  const m = axis === 'row' ? a.columns : a.rows;
  const key = Array.from({ length: n }, (_, i) => {
    const vs: number[] = [];
    for (let k = 0; k < m; k++) {
      const v = axis === 'row' ? a.values[i * a.columns + k] : a.values[k * a.columns + i];
      if (v !== null) vs.push(v);
    }
    if (!vs.length) return -Infinity;
    return by === 'max' ? Math.max(...vs) : vs.reduce((s, v) => s + v, 0) / vs.length;
  });
  return Array.from({ length: n }, (_, i) => i).sort((x, y) => key[y] - key[x] || x - y);
}

interface HeatmapInfo {
  rows: number;
  columns: number;
  rowOrder: number[];
  columnOrder: number[];
  selected: string;
  epoch: number;
}

async function heatmapInfo(page: Page): Promise<HeatmapInfo> {
  return page.$eval(HEATMAP, (c) => {
    // No named helper in here: the test transpiler would wrap it in a function the page lacks.
    const d = (c as HTMLElement).dataset;
    const [rowOrder, columnOrder] = [d.rowOrder, d.columnOrder].map((s) => (s ? s.split(',').map(Number) : []));
    return { rows: Number(d.rows), columns: Number(d.columns), rowOrder, columnOrder, selected: d.selected ?? '', epoch: Number(d.epoch) };
  });
}

/**
 * Client coordinates of a whole pixel near the centre of the displayed cell (x, y), from the
 * canvas's own layout (mouse events carry whole pixels, and a cell may be a single pixel).
 */
async function cellCentre(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.$eval(
    HEATMAP,
    (c, [x, y]) => {
      const box = c.getBoundingClientRect();
      const d = (c as HTMLElement).dataset;
      const cell = Number(d.cellSize);
      return {
        x: Math.ceil(box.left + Number(d.plotLeft) + x * cell + (cell - 1) / 2),
        y: Math.ceil(box.top + Number(d.plotTop) + y * cell + (cell - 1) / 2),
      };
    },
    [x, y],
  );
}

/** Hovers a displayed cell and returns the tooltip's first line once it names that cell. */
async function hoverCell(page: Page, x: number, y: number, prefix: string): Promise<string> {
  const p = await cellCentre(page, x, y);
  await page.mouse.move(p.x, p.y);
  const line = () =>
    page.$eval('#tooltip', (t) => ((t as HTMLElement).hidden ? '' : (t.querySelector(':scope > div > div')?.textContent ?? '')));
  for (let i = 0; i < 50; i++) {
    const text = await line();
    if (text.startsWith(prefix)) return text;
    await page.waitForTimeout(20);
  }
  return line();
}

/** Pixels of a canvas: whether any is painted, and how many distinct colours there are. */
async function canvasPixels(page: Page, selector: string): Promise<{ painted: number; colours: number; width: number }[]> {
  return page.$$eval(selector, (els) =>
    els.map((el) => {
      const c = el as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0) painted++;
        colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      }
      return { painted, colours: colours.size, width: c.width };
    }),
  );
}

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

async function openLayerView(page: Page): Promise<void> {
  await openView(page, 'layer');
  await page.waitForSelector(HEATMAP);
}

describe('browser: Layer view', function () {
  const browser = useBrowser(this);

  it('draws the 8 × 8 capacity heatmap of conv1 × pool1 on a canvas, in light and dark themes', async () => {
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    const info = await heatmapInfo(page);
    assert.equal(info.rows, 8);
    assert.equal(info.columns, 8);
    assert.equal(info.epoch, 2);
    assert.deepEqual(info.rowOrder, [0, 1, 2, 3, 4, 5, 6, 7]);
    const label = (await page.getAttribute(HEATMAP, 'aria-label')) ?? '';
    assert.match(label, /pool1 \(8 rows\) and conv1 \(8 columns\) at epoch 2/);
    // The pickers default to the slice's layers, each with its layer link.
    assert.equal(await page.$eval('#panel-layer select[aria-label="Layer I (columns)"]', (s) => (s as HTMLSelectElement).value), '1');
    assert.equal(await page.$eval('#panel-layer select[aria-label="Layer J (rows)"]', (s) => (s as HTMLSelectElement).value), '2');
    assert.deepEqual(await page.$$eval('#panel-layer .layer-controls .layer-link', (els) => els.map((e) => e.textContent)), [
      'conv1',
      'pool1',
    ]);
    // Painted: every pixel opaque, and the cells are not all one colour.
    const [px] = await canvasPixels(page, HEATMAP);
    assert.ok(px.painted > 0 && px.colours > 8, `heatmap looks blank: ${JSON.stringify(px)}`);
    // The legend says which way the colours go, and how undefined cells look.
    const legend = await page.textContent('#panel-layer .heatmap-card');
    assert.match(legend ?? '', /brighter = smaller capacity/);
    assert.match(legend ?? '', /undefined/);
    await screenshot(page, 'layer-light');

    const corner = () =>
      page.$eval(HEATMAP, (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(1, 1, 1, 1).data).join(','));
    const lightCorner = await corner();
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForFunction((light) => {
      const c = document.querySelector('#panel-layer canvas.heatmap-canvas') as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(1, 1, 1, 1).data).join(',') !== light;
    }, lightCorner);
    assert.notEqual(await corner(), lightCorner, 'the canvas background follows the theme');
    await screenshot(page, 'layer-dark');
    await closeChecked(page, problems);
  });

  it('sorts rows and columns by max or mean as the answer orders them, and keeps the sort', async () => {
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    const a = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, 2, ALL));
    assert.equal(a.values.length, 64);

    await page.click('#panel-layer button:text-is("rows by max")');
    let info = await heatmapInfo(page);
    assert.deepEqual(info.rowOrder, expectedOrder(a, 'row', 'max'));
    assert.deepEqual(info.rowOrder, a.orders.rowMax);
    assert.deepEqual(info.columnOrder, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(await page.getAttribute('#panel-layer button:text-is("rows by max")', 'aria-pressed'), 'true');

    await page.click('#panel-layer button:text-is("columns by mean")');
    info = await heatmapInfo(page);
    assert.deepEqual(info.columnOrder, expectedOrder(a, 'column', 'mean'));
    assert.deepEqual(info.rowOrder, expectedOrder(a, 'row', 'max'));

    // The sort survives leaving the view and coming back.
    await openView(page, 'training');
    await openLayerView(page);
    info = await heatmapInfo(page);
    assert.deepEqual(info.columnOrder, expectedOrder(a, 'column', 'mean'));

    await page.click('#panel-layer button:text-is("rows by mean")');
    assert.deepEqual((await heatmapInfo(page)).rowOrder, expectedOrder(a, 'row', 'mean'));
    await page.click('#panel-layer button:text-is("columns by max")');
    assert.deepEqual((await heatmapInfo(page)).columnOrder, expectedOrder(a, 'column', 'max'));
    await page.click('#panel-layer button:text-is("original order")');
    info = await heatmapInfo(page);
    assert.deepEqual(info.rowOrder, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(info.columnOrder, [0, 1, 2, 3, 4, 5, 6, 7]);
    await closeChecked(page, problems);
  });

  it('shows the exact value of the hovered cell, sorted or not, and follows the epoch slider', async () => {
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    const a2 = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, 2, ALL));
    const a0 = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, 0, ALL));
    const fmt = (a: CapacityMatrixAnswer, r: number, c: number) => {
      const v = a.values[r * a.columns + c];
      return `pool1 #${r} × conv1 #${c}: ${v === null ? 'undefined' : `${v.toFixed(3)} bits`}`;
    };
    // Original order: displayed (x, y) is channel (c, r).
    assert.equal(await hoverCell(page, 5, 3, 'pool1 #3 × conv1 #5'), fmt(a2, 3, 5));
    assert.equal(await hoverCell(page, 0, 7, 'pool1 #7 × conv1 #0'), fmt(a2, 7, 0));
    // Sorted: the displayed position maps through the order.
    await page.click('#panel-layer button:text-is("rows by max")');
    const order = expectedOrder(a2, 'row', 'max');
    assert.equal(await hoverCell(page, 2, 1, `pool1 #${order[1]} × conv1 #2`), fmt(a2, order[1], 2));
    await page.click('#panel-layer button:text-is("original order")');

    // The epoch slider moves the matrix: epoch 0 shows epoch 0's values.
    await setEpochIndex(page, 0);
    await page.waitForSelector(`${HEATMAP}[data-epoch="0"]`);
    const at0 = await hoverCell(page, 5, 3, 'pool1 #3 × conv1 #5');
    assert.equal(at0, fmt(a0, 3, 5));
    assert.notDeepEqual(a0.values, a2.values, 'the fixture trains between epochs 0 and 2');
    await setEpochIndex(page, 2);
    await page.waitForSelector(`${HEATMAP}[data-epoch="2"]`);
    const at2 = await hoverCell(page, 5, 3, 'pool1 #3 × conv1 #5');
    assert.equal(at2, fmt(a2, 3, 5));
    assert.ok(a0.values.some((v, i) => v !== a2.values[i]));
    assert.ok(await page.isVisible('#panel-layer button[aria-label="Play through the epochs"]'), 'the slider has playback');
    await closeChecked(page, problems);
  });

  it('shows the feature maps of both channels of a clicked cell for one input per class', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    const a = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, 2, ALL));
    assert.match((await page.textContent('#panel-layer .feature-maps-card')) ?? '', /Click a cell/);
    const p = await cellCentre(page, 6, 4);
    await page.mouse.click(p.x, p.y);
    await page.waitForSelector('#panel-layer [data-testid=feature-maps]');
    assert.equal((await heatmapInfo(page)).selected, '4,6');
    const classes = f.manifest.dataset.classNames.length;
    assert.equal(classes, 10);
    const maps = await canvasPixels(page, '#panel-layer [data-testid=feature-maps] [data-testid=feature-map]');
    assert.equal(maps.length, 2 * classes);
    maps.forEach((m, i) => assert.ok(m.painted > 0, `feature map ${i} is blank`));
    assert.ok(
      maps.some((m) => m.colours > 2),
      'some map shows structure',
    );
    // One figure per input, labelled with its class; the pair's capacity in the title.
    const captions = await page.$$eval('#panel-layer .fm-figure figcaption strong', (els) => els.map((e) => e.textContent));
    assert.deepEqual(captions, f.manifest.dataset.classNames);
    const v = a.values[4 * a.columns + 6]!;
    assert.match(
      (await page.textContent('#panel-layer .feature-maps-card h3')) ?? '',
      new RegExp(`conv1 #6.*pool1 #4.*${v.toFixed(3).replace('.', '\\.')} bits`),
    );
    // Hover on a map: input index, class and value range.
    // The maps may lie below the fold (the heatmap card grew a scale line): hover where they are.
    await page.locator('#panel-layer [data-testid=feature-map]').first().scrollIntoViewIfNeeded();
    const first = (await page.locator('#panel-layer [data-testid=feature-map]').first().boundingBox())!;
    await page.mouse.move(first.x + first.width / 2, first.y + first.height / 2);
    await page.waitForSelector('#tooltip:not([hidden])');
    const tip = (await page.textContent('#tooltip')) ?? '';
    assert.match(tip, new RegExp(`^input #\\d+ · ${f.manifest.dataset.classNames[0]}`));
    assert.match(tip, /conv1 #6: values -?\d/);

    // Linked selection: the layer link of the column channel highlights that column.
    await page.click('#panel-layer .feature-maps-card h3 .layer-link[data-layer="1"]');
    assert.equal(await page.getAttribute(HEATMAP, 'data-highlight-column'), '6');
    assert.equal(await page.getAttribute(HEATMAP, 'data-highlight-row'), '');
    await screenshot(page, 'layer-feature-maps');
    await closeChecked(page, problems);
  });

  it('moves a cell cursor with the keyboard and selects with Enter', async () => {
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    await page.click('#panel-layer button:text-is("columns by max")');
    await page.focus(HEATMAP);
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowDown', 'ArrowDown', 'Enter']) await page.keyboard.press(key);
    const info = await heatmapInfo(page);
    assert.equal(info.selected, `${info.rowOrder[2]},${info.columnOrder[3]}`);
    assert.match(
      (await page.textContent('#panel-layer .heatmap .sr-only')) ?? '',
      new RegExp(`selected pool1 #${info.rowOrder[2]} × conv1 #${info.columnOrder[3]}: \\d+\\.\\d{3} bits`),
    );
    await page.waitForSelector('#panel-layer [data-testid=feature-map]');
    await closeChecked(page, problems);
  });

  it('compares layer-level capacity across layer pairs; pairs a report lacks say so in place', async () => {
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    const lc = await embedded<LayerCapacityAnswer>(page, queries.layerCapacity(1, 2, 2, ALL));
    await page.waitForSelector('#panel-layer [data-pair="1-2"][data-bits]:not([data-bits=""])');
    assert.equal(Number(await page.getAttribute('#panel-layer [data-pair="1-2"]', 'data-bits')), lc.bits);
    assert.match(
      (await page.textContent('#panel-layer [data-pair="1-2"]')) ?? '',
      new RegExp(`${lc.bits!.toFixed(3).replace('.', '\\.')} bits`),
    );
    // Each row says "computing…" until its answer (or the report's refusal) arrives.
    for (const pair of ['2-3', '3-4'])
      await page.waitForFunction(
        (sel) => !/computing/.test(document.querySelector(sel)?.textContent ?? ''),
        `#panel-layer [data-pair="${pair}"]`,
      );
    for (const pair of ['2-3', '3-4']) assert.match((await page.textContent(`#panel-layer [data-pair="${pair}"]`)) ?? '', /\d\.\d{3} bits/);
    // A consecutive pair the report does not hold (pool2 → flatten) is not a row: one line names it.
    assert.equal(await page.$('#panel-layer [data-pair="4-5"]'), null);
    assert.match((await page.textContent('#panel-layer [data-testid=lc-left-out]')) ?? '', /pool2 → flatten/);
    // Activating a row shows that pair's heatmap (conv2 × pool2: 16 × 16).
    await page.click('#panel-layer [data-pair="3-4"] .lc-row');
    await page.waitForSelector(`${HEATMAP}[data-rows="16"][data-columns="16"]`);
    assert.equal(await page.$eval('#panel-layer select[aria-label="Layer I (columns)"]', (s) => (s as HTMLSelectElement).value), '3');
    // A pair of the user's own: absent from the report, shown with the message.
    await page.selectOption('#panel-layer select[aria-label="First layer of the pair to compare"]', '1');
    await page.selectOption('#panel-layer select[aria-label="Second layer of the pair to compare"]', '3');
    await page.click('#panel-layer button:text-is("Add pair")');
    await page.waitForSelector('#panel-layer [data-pair="1-3"]');
    // The row says "computing…" until the report's answer (a refusal) arrives.
    await page.waitForFunction(() => !/computing/.test(document.querySelector('#panel-layer [data-pair="1-3"]')?.textContent ?? ''));
    assert.match((await page.textContent('#panel-layer [data-pair="1-3"]')) ?? '', /not in this report/);
    await page.click('#panel-layer [data-pair="1-3"] .lc-remove');
    assert.equal(await page.$('#panel-layer [data-pair="1-3"]'), null);
    await closeChecked(page, problems);
  });

  it('exports the heatmap as CSV, JSON and PNG', async () => {
    const { page, problems } = await openReport(browser());
    await openLayerView(page);
    const a = await embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, 2, ALL));
    const button = (format: string) => `#panel-layer .heatmap-card .export-button:text-is("${format}")`;
    const csv = (await download(page, button('CSV'))).trim().split(/\r\n/);
    assert.equal(csv[0], 'row layer,row channel,column layer,column channel,bits');
    assert.equal(csv.length, 1 + 64);
    const [, r, , c, bits] = csv[1 + 3 * 8 + 5].split(',');
    assert.deepEqual([Number(r), Number(c), Number(bits)], [3, 5, a.values[3 * 8 + 5]]);
    const json = JSON.parse(await download(page, button('JSON'))) as {
      matrix: (number | null)[][];
      orders: CapacityMatrixAnswer['orders'];
    };
    assert.equal(json.matrix.length, 8);
    assert.equal(json.matrix[3][5], a.values[3 * 8 + 5]);
    assert.deepEqual(json.orders, a.orders);
    const png = await download(page, button('PNG'), null);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    await closeChecked(page, problems);
  });

  it('stays fluid with two 512-channel layers: draws, and hover names the exact cell', async () => {
    const f = await browserFixture();
    const N = 512;
    const manifest: RunManifest = {
      ...f.manifest,
      id: 'synthetic-512',
      epochs: [0],
      layers: [
        { index: 0, name: 'input', className: 'InputLayer', outputShape: [8, 8, 1], channels: 1, parameters: 0 },
        { index: 1, name: 'wide1', className: 'Conv2D', outputShape: [4, 4, N], channels: N, parameters: N * 10 },
        { index: 2, name: 'wide2', className: 'Conv2D', outputShape: [2, 2, N], channels: N, parameters: N * N * 9 },
      ],
    };
    // Deterministic pseudo-random capacities with a few undefined cells.
    let seed = 12345;
    const values: (number | null)[] = [];
    for (let k = 0; k < N * N; k++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      values.push(k % 997 === 3 ? null : (seed / 2 ** 32) * 3);
    }
    const matrix = { rows: N, columns: N, values };
    const answer: CapacityMatrixAnswer = {
      layerI: 1,
      layerJ: 2,
      epoch: 0,
      inputCount: 200,
      bins: 32,
      ...matrix,
      orders: {
        rowMax: expectedOrder(matrix, 'row', 'max'),
        rowMean: expectedOrder(matrix, 'row', 'mean'),
        columnMax: expectedOrder(matrix, 'column', 'max'),
        columnMean: expectedOrder(matrix, 'column', 'mean'),
      },
    };
    const data: ReportData = {
      formatVersion: 1,
      runId: manifest.id,
      createdAt: new Date().toISOString(),
      manifest,
      answers: { [canonicalQuery(queries.capacityMatrix(1, 2, 0, ALL))]: { answer } },
      coverage: 'one synthetic 512 × 512 capacity matrix',
    };
    const file = writePage(join(tempDir('cnn-slicer-layer-'), 'synthetic-512.html'), { data, title: 'synthetic 512' });

    const { page, problems } = await openPage(browser(), file);
    const t0 = Date.now();
    await openLayerView(page);
    await page.waitForSelector(`${HEATMAP}[data-draw-ms]:not([data-draw-ms=""])`);
    const shownMs = Date.now() - t0;
    const info = await heatmapInfo(page);
    assert.equal(info.rows, N);
    assert.equal(info.columns, N);
    const drawMs = await page.getAttribute(HEATMAP, 'data-draw-ms');
    console.log(`      512 × 512 heatmap: draw ${drawMs} ms (cells + overlays), tab click to drawn ${shownMs} ms`);

    const fmt = (r: number, c: number) => {
      const v = values[r * N + c];
      return `wide2 #${r} × wide1 #${c}: ${v === null ? 'undefined' : `${v.toFixed(3)} bits`}`;
    };
    assert.equal(await hoverCell(page, 417, 300, 'wide2 #300 × wide1 #417'), fmt(300, 417));
    assert.equal(await hoverCell(page, 511, 0, 'wide2 #0 × wide1 #511'), fmt(0, 511));
    // An undefined cell says so (k % 997 === 3: k = 3 is row 0, column 3).
    assert.equal(await hoverCell(page, 3, 0, 'wide2 #0 × wide1 #3'), 'wide2 #0 × wide1 #3: undefined');

    const t1 = Date.now();
    await page.click('#panel-layer button:text-is("rows by max")');
    await page.click('#panel-layer button:text-is("columns by mean")');
    const sorted = await heatmapInfo(page);
    console.log(
      `      512 × 512 heatmap: two re-sorts in ${Date.now() - t1} ms, last draw ${await page.getAttribute(HEATMAP, 'data-draw-ms')} ms`,
    );
    assert.deepEqual(sorted.rowOrder, answer.orders.rowMax);
    assert.deepEqual(sorted.columnOrder, answer.orders.columnMean);
    const r = answer.orders.rowMax[200];
    const c = answer.orders.columnMean[77];
    assert.equal(await hoverCell(page, 77, 200, `wide2 #${r} × wide1 #${c}`), fmt(r, c));
    // A click selects exactly that cell.
    const p = await cellCentre(page, 77, 200);
    await page.mouse.click(p.x, p.y);
    assert.equal((await heatmapInfo(page)).selected, `${r},${c}`);
    const [px] = await canvasPixels(page, HEATMAP);
    assert.ok(px.colours > 100, 'the 512 × 512 heatmap is drawn');
    await page.mouse.move(0, 0);
    await screenshot(page, 'layer-512');
    await closeChecked(page, problems);
  });
});
