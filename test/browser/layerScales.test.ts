// Comparisons across epochs in the Layer view: one colour scale shared by
// the epochs of a layer pair (the per-matrix scale as a named option), a sort order fixed to a
// reference epoch so scrubbing keeps rows and columns in place, and playback that waits for each
// frame to be drawn. Expected values come from the answers embedded in the report, never from the
// view's own output.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { decodeEntry } from '../../src/contract/reportCodec';
import { queries } from '../../src/contract/plan';
import { PROTOCOL_VERSION } from '../../src/contract/webviewProtocol';
import {
  browserFixture,
  closeChecked,
  download,
  embedded,
  openReport,
  openView,
  screenshot,
  useBrowser,
  writePage,
  stubVsCodeApi,
} from './harness';
import { embeddedJson } from '../../src/contract/page';

const ALL = { kind: 'all' } as const;
const HEATMAP = '#panel-layer canvas.heatmap-canvas';
const DOMAIN = '#panel-layer [data-testid=scale-domain]';

function maxOf(a: CapacityMatrixAnswer): number {
  return Math.max(...a.values.filter((v): v is number => v !== null));
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

/** The drawn colour at the centre of a displayed cell (x, y), as [r, g, b]. */
async function cellColour(page: Page, x: number, y: number): Promise<number[]> {
  return page.$eval(
    HEATMAP,
    (c, [x, y]) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.dataset;
      const cell = Number(d.cellSize);
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      const px = Math.floor((Number(d.plotLeft) + x * cell + cell / 2) * ratio);
      const py = Math.floor((Number(d.plotTop) + y * cell + cell / 2) * ratio);
      return Array.from(canvas.getContext('2d')!.getImageData(px, py, 1, 1).data).slice(0, 3);
    },
    [x, y],
  );
}

/** The legend's colour for a value: the gradient pixel at the value's place in the domain. */
async function legendColour(page: Page, fraction: number): Promise<number[]> {
  return page.$eval(
    '#panel-layer .heatmap-card canvas.legend-bar',
    (c, f) => {
      const canvas = c as HTMLCanvasElement;
      const x = Math.round(f * (canvas.width - 1));
      return Array.from(canvas.getContext('2d')!.getImageData(x, 5, 1, 1).data).slice(0, 3);
    },
    fraction,
  );
}

const close = (a: number[], b: number[], tolerance: number) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);

describe('browser: Layer view comparisons across epochs', function () {
  const browser = useBrowser(this);

  it('colours every epoch of a pair on one scale (the max over its epochs), and keeps "this matrix" as an option', async () => {
    const f = await browserFixture();
    const epochs = f.manifest.epochs;
    assert.ok(epochs.length >= 3, 'the fixture records several epochs');
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    const answers = await Promise.all(epochs.map((e) => embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, e, ALL))));
    const maxima = answers.map(maxOf);
    const shared = Math.max(...maxima);
    assert.ok(new Set(maxima).size > 1, `the fixture's maxima differ between epochs: ${maxima.join(', ')}`);
    await page.waitForSelector(`#panel-layer [data-testid=epoch-progress][data-ready="${epochs.length}"]`);
    assert.match(
      (await page.textContent('#panel-layer [data-testid=epoch-progress]')) ?? '',
      new RegExp(`${epochs.length} of ${epochs.length} epochs ready`),
    );

    // Shared: the same domain at every epoch, and a cell's colour is the legend's colour for its value.
    for (const [k, e] of epochs.entries()) {
      await setEpochIndex(page, k);
      await page.waitForSelector(`${HEATMAP}[data-epoch="${e}"]`);
      assert.equal(Number(await page.getAttribute(HEATMAP, 'data-scale-max')), shared, `epoch ${e} uses the shared domain`);
      assert.equal(Number(await page.getAttribute(DOMAIN, 'data-max-bits')), shared);
      assert.match((await page.textContent('#panel-layer .heatmap-card .legend')) ?? '', new RegExp(shared.toFixed(2)));
      for (const [x, y] of [
        [0, 0],
        [5, 3],
        [7, 6],
      ]) {
        const v = answers[k].values[y * 8 + x]!;
        const drawn = await cellColour(page, x, y);
        const expected = await legendColour(page, v / shared);
        assert.ok(close(drawn, expected, 12), `epoch ${e} cell (${x}, ${y}) = ${v} bits: drawn ${drawn}, legend ${expected}`);
      }
    }
    await screenshot(page, 'layer-shared-scale-light');
    // The JSON export names the domain the picture was coloured with.
    const exported = JSON.parse(await download(page, '#panel-layer .heatmap-card .export-button:text-is("JSON")')) as {
      colourScale: { mode: string; maxBits: number; epochs: number[] };
    };
    assert.deepEqual(exported.colourScale, { mode: 'shared', minBits: 0, maxBits: shared, epochs });
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'layer-shared-scale-dark');

    // This matrix: each epoch spans its own range again (the old behaviour, now a named choice).
    await page.selectOption('#panel-layer select[aria-label="Colour scale"]', 'matrix');
    for (const [k, e] of epochs.entries()) {
      await setEpochIndex(page, k);
      await page.waitForSelector(`${HEATMAP}[data-epoch="${e}"]`);
      await page.waitForSelector(`${DOMAIN}[data-scale="matrix"]`);
      assert.equal(Number(await page.getAttribute(HEATMAP, 'data-scale-max')), maxima[k], `epoch ${e} uses its own max`);
      assert.match((await page.textContent(DOMAIN)) ?? '', /this matrix's own range/);
    }
    await closeChecked(page, problems);
  });

  it('keeps rows and columns in place while scrubbing: the order of the reference epoch (default the last), which the user can pick', async () => {
    const f = await browserFixture();
    const epochs = f.manifest.epochs;
    const last = epochs[epochs.length - 1];
    const { page, problems } = await openReport(browser(), 'layer');
    await page.waitForSelector(HEATMAP);
    const answers = await Promise.all(epochs.map((e) => embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, e, ALL))));
    const lastOrders = answers[answers.length - 1].orders;
    // A sort whose order differs between epoch 0 and the last, so a recomputed order would show.
    const candidates = [
      { button: 'columns by max', axis: 'columnOrder', key: 'columnMax' },
      { button: 'columns by mean', axis: 'columnOrder', key: 'columnMean' },
      { button: 'rows by max', axis: 'rowOrder', key: 'rowMax' },
      { button: 'rows by mean', axis: 'rowOrder', key: 'rowMean' },
    ] as const;
    const pick = candidates.find((c) => answers[0].orders[c.key].join() !== lastOrders[c.key].join());
    assert.ok(pick, 'some order of the fixture changes between the first and the last epoch');
    const order = async () =>
      (await page.getAttribute(HEATMAP, pick.axis === 'columnOrder' ? 'data-column-order' : 'data-row-order')) ?? '';

    await page.click(`#panel-layer button:text-is("${pick.button}")`);
    assert.equal(await order(), lastOrders[pick.key].join(','));
    // Select a cell, then scrub: the cell stays on the same channels and the same place.
    const cell = await page.$eval(HEATMAP, (c) => {
      const d = (c as HTMLElement).dataset;
      const box = c.getBoundingClientRect();
      const size = Number(d.cellSize);
      return { x: box.left + Number(d.plotLeft) + 2 * size + size / 2, y: box.top + Number(d.plotTop) + 1 * size + size / 2 };
    });
    await page.mouse.click(Math.round(cell.x), Math.round(cell.y));
    const selected = await page.getAttribute(HEATMAP, 'data-selected');
    assert.ok(selected);
    for (const k of [0, 1, epochs.length - 1]) {
      await setEpochIndex(page, k);
      await page.waitForSelector(`${HEATMAP}[data-epoch="${epochs[k]}"]`);
      assert.equal(await order(), lastOrders[pick.key].join(','), `epoch ${epochs[k]} keeps the order of epoch ${last}`);
      assert.equal(await page.getAttribute(HEATMAP, 'data-selected'), selected);
    }
    // The user picks epoch 0 as the reference: every epoch shows epoch 0's order.
    await page.selectOption('#panel-layer select[aria-label="Sort reference epoch"]', String(epochs[0]));
    for (const k of [epochs.length - 1, 0]) {
      await setEpochIndex(page, k);
      await page.waitForSelector(`${HEATMAP}[data-epoch="${epochs[k]}"]`);
      await page.waitForFunction(([sel, attr, want]) => document.querySelector(sel)?.getAttribute(attr) === want, [
        HEATMAP,
        pick.axis === 'columnOrder' ? 'data-column-order' : 'data-row-order',
        answers[0].orders[pick.key].join(','),
      ] as const);
    }
    await closeChecked(page, problems);
  });

  it('plays every epoch in order, advancing only after the current epoch is drawn, at the chosen speed', async () => {
    const f = await browserFixture();
    const epochs = f.manifest.epochs;
    // A host that answers from the report, slowly for capacity matrices: slower than a frame, so
    // a slider that did not wait would run ahead of the heatmap.
    const report = readFileSync(f.report, 'utf8');
    const json = embeddedJson(report);
    assert.ok(json, 'the report embeds its answers');
    const data = JSON.parse(json) as ReportData;
    const pageFile = writePage(`${f.dir}/slow-panel.html`, { theme: 'light' });
    const page = await browser().newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    const post = (m: unknown) =>
      void page.evaluate((msg) => window.postMessage(msg, '*'), m as Record<string, unknown>).catch(() => undefined);
    const SLOW_MS = 1500;
    await page.exposeFunction('__cnnSlicerToHost', async (text: string) => {
      const m = JSON.parse(text) as { type: string; id?: number; query?: Parameters<typeof canonicalQuery>[0] };
      if (m.type === 'webview/ready') post({ type: 'host/hello', protocolVersion: PROTOCOL_VERSION, theme: 'light', runId: data.runId });
      if (m.type !== 'webview/query' || !m.query) return;
      const stored = data.answers[canonicalQuery(m.query)];
      const decoded = stored ? await decodeEntry(stored) : undefined;
      const entry = decoded && !('omitted' in decoded) ? decoded : undefined;
      const delay = m.query.kind === 'capacityMatrix' ? SLOW_MS : 0;
      setTimeout(() => {
        if (entry && 'answer' in entry) post({ type: 'host/answer', id: m.id, answer: entry.answer, cached: false, ms: delay });
        else
          post({
            type: 'host/error',
            id: m.id,
            code: entry?.error.code ?? 'internal',
            message: entry?.error.message ?? 'not in the test host',
          });
      }, delay);
    });
    await stubVsCodeApi(page, { keepState: false });
    await page.goto(`file://${pageFile}`);
    await page.waitForSelector('.run-header');
    await openView(page, 'layer');
    await setEpochIndex(page, 0);
    await page.waitForSelector(`${HEATMAP}[data-drawn-epoch="${epochs[0]}"]`);
    await page.selectOption('#panel-layer select[aria-label="Playback speed"]', '2');

    // Record, in order, every epoch the slider shows and every epoch the heatmap draws.
    await page.evaluate(() => {
      const log: string[] = [];
      (window as unknown as { playLog: string[] }).playLog = log;
      const canvas = document.querySelector('#panel-layer canvas.heatmap-canvas')!;
      const output = document.querySelector('#panel-layer output.epoch-value')!;
      // Only changes count: a redraw of the same epoch (a hover, a resize) is not a new frame.
      let lastDrawn = canvas.getAttribute('data-drawn-epoch');
      let lastSlider = output.textContent;
      new MutationObserver(() => {
        const e = canvas.getAttribute('data-drawn-epoch');
        if (e !== lastDrawn) log.push(`drawn ${e}`);
        lastDrawn = e;
      }).observe(canvas, { attributes: true, attributeFilter: ['data-drawn-epoch'] });
      new MutationObserver(() => {
        if (output.textContent !== lastSlider) log.push(`slider ${output.textContent}`);
        lastSlider = output.textContent;
      }).observe(output, { childList: true, characterData: true, subtree: true });
    });
    const t0 = Date.now();
    await page.click('#panel-layer button[aria-label="Play through the epochs"]');
    await page.waitForSelector('#panel-layer [data-testid=playback-waiting]', { timeout: 10_000 });
    await screenshot(page, 'layer-playback-waiting');
    await page.waitForSelector('#panel-layer button[aria-label="Play through the epochs"]', { timeout: 60_000 });
    const playedMs = Date.now() - t0;
    const log = await page.evaluate(() => (window as unknown as { playLog: string[] }).playLog);
    const slider = log.filter((l) => l.startsWith('slider')).map((l) => Number(l.split(' ')[1]));
    const drawn = log.filter((l) => l.startsWith('drawn')).map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(slider, epochs.slice(1), `the slider went through every epoch once, in order: ${log.join('; ')}`);
    assert.deepEqual(drawn, epochs.slice(1), `every epoch was drawn, in order: ${log.join('; ')}`);
    // Never past an undrawn frame: each move of the slider comes after the previous epoch was drawn.
    for (let k = 1; k < slider.length; k++) {
      const moved = log.indexOf(`slider ${slider[k]}`);
      const previousDrawn = log.indexOf(`drawn ${slider[k - 1]}`);
      assert.ok(
        previousDrawn >= 0 && previousDrawn < moved,
        `epoch ${slider[k - 1]} was drawn before the slider moved on: ${log.join('; ')}`,
      );
    }
    assert.ok(playedMs >= SLOW_MS, `playback waited for the slow answers (${playedMs} ms)`);
    assert.match(
      (await page.textContent('#panel-layer [data-testid=epoch-progress]')) ?? '',
      new RegExp(`${epochs.length} of ${epochs.length} epochs ready`),
    );
    await screenshot(page, 'layer-playback-done');
    assert.deepEqual(problems, []);
    await page.close();
  });
});
