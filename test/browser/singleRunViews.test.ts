// The single-run views' details that are easy to get wrong, checked as a person sees them: the feature
// maps of a clicked heatmap cell appear next to the heatmap (not somewhere else on the page), the
// label-entropy undefined markers keep clear of the y axis and name their class, any number of
// layers' small multiples share one y scale, the heatmap strips follow the Query view's channel
// selection, a double-click (or the clear button) clears a channel band, and the input-diversity
// sizes mean "per class" for every bar. Expected values come from the answers embedded in the report.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { CapacityMatrixAnswer, InputDiversityAnswer, SmallMultiplesAnswer, TrainingAnswer } from '../../src/contract/queries';
import { queries, stripEpochs } from '../../src/contract/plan';
import { browserFixture, closeChecked, embedded, openPage, openReport, openView, SCREENSHOTS, screenshot, useBrowser } from './harness';
import { join } from 'node:path';

const HEATMAP = '#panel-layer canvas.heatmap-canvas';
const ALL = { kind: 'all' } as const;

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

async function boxOf(page: Page, selector: string): Promise<Box> {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  });
}

/** Client coordinates of the centre of heatmap cell (column x, row y), from the canvas's own layout. */
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

/** Waits until the page has stopped scrolling (two reads 150 ms apart agree). */
async function settled(page: Page): Promise<void> {
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const now = await page.evaluate(() => window.scrollY);
    if (now === last) return;
    last = now;
    await page.waitForTimeout(150);
  }
}

async function viewportShot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

async function dark(page: Page): Promise<void> {
  await page.selectOption('select[aria-label=Theme]', 'dark');
  await page.waitForTimeout(200);
}

describe('browser: single-run views as a person sees them', function () {
  const browser = useBrowser(this);

  for (const layout of [
    { name: 'beside', width: 1280, height: 900 },
    { name: 'below', width: 640, height: 900 },
  ])
    it(`shows the feature maps of a clicked cell next to the heatmap (${layout.name} it at ${layout.width} px), the clicked cell still on screen`, async () => {
      const { page, problems } = await openPage(browser(), (await browserFixture()).report, layout);
      await openView(page, 'layer');
      await page.waitForSelector(HEATMAP);
      // A cell in the lower half of the heatmap, scrolled to the middle of the screen as a person would.
      await page.locator(HEATMAP).scrollIntoViewIfNeeded();
      await page.evaluate((sel) => document.querySelector(sel)!.scrollIntoView({ block: 'center' }), HEATMAP);
      await settled(page);
      const at = await cellCentre(page, 5, 6);
      await page.mouse.click(at.x, at.y);
      await page.waitForSelector('#panel-layer [data-testid=feature-maps] [data-testid=feature-map]');
      await settled(page);
      const heat = await boxOf(page, '#panel-layer .heatmap-card');
      const maps = await boxOf(page, '#panel-layer .feature-maps-card');
      const beside = maps.left >= heat.right - 1 && maps.top < heat.bottom && maps.bottom > heat.top;
      const below = maps.top >= heat.bottom - 1 && maps.top - heat.bottom <= 24 && maps.left < heat.right && maps.right > heat.left;
      assert.ok(
        layout.name === 'beside' ? beside : below,
        `the maps (${JSON.stringify(maps)}) are ${layout.name} the heatmap (${JSON.stringify(heat)})`,
      );
      // Nothing else sits between the heatmap and its maps.
      const between = await page.$$eval(
        '#panel-layer .card',
        (cards, [h, m]) =>
          cards.filter((c) => {
            const r = c.getBoundingClientRect();
            return (
              !c.matches('.heatmap-card, .feature-maps-card') && r.top < m.top && r.bottom > h.top && r.top >= h.top && r.left < m.right
            );
          }).length,
        [heat, maps] as const,
      );
      assert.equal(between, 0, 'no other card between the heatmap and the feature maps');
      // The page did not jump away: the clicked cell is still on screen, and so is a feature map.
      const cell = await cellCentre(page, 5, 6);
      const viewport = page.viewportSize()!;
      assert.ok(cell.y >= 0 && cell.y <= viewport.height, `the clicked cell is at y = ${cell.y}, off the ${viewport.height} px screen`);
      const firstMap = await boxOf(page, '#panel-layer [data-testid=feature-map]');
      assert.ok(
        firstMap.top < viewport.height && firstMap.bottom > 0,
        `the first feature map (y ${firstMap.top}–${firstMap.bottom}) is on screen`,
      );
      assert.equal(await page.getAttribute(HEATMAP, 'data-selected'), '6,5');
      await viewportShot(page, `viewfixes-feature-maps-${layout.name}-light`);
      await dark(page);
      await viewportShot(page, `viewfixes-feature-maps-${layout.name}-dark`);
      await closeChecked(page, problems);
    });

  it('keeps every undefined label-entropy marker clear of the y axis, and each names its class on hover', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    const training = await embedded<TrainingAnswer>(page, queries.training());
    let checked = 0;
    for (const kind of ['labelGivenPred', 'predGivenLabel'] as const) {
      const card = `#panel-training .label-entropy.${kind}`;
      await page.waitForSelector(`${card} svg.chart`);
      // The y axis: the axis whose domain line is upright.
      const axisRight = await page.$$eval(`${card} svg.chart g.axis path.domain`, (paths) =>
        Math.max(
          ...paths
            .map((p) => p.getBoundingClientRect())
            .filter((r) => r.height > r.width)
            .map((r) => r.right),
        ),
      );
      const plotRight = await page.$eval(`${card} svg.chart`, (svg) => svg.getBoundingClientRect().right);
      const markers = await page.$$eval(`${card} svg.chart .undefined-marker`, (els) =>
        els.map((e) => {
          // The × itself (the paths), not its invisible hit area.
          const boxes = Array.from(e.querySelectorAll('path')).map((p) => p.getBoundingClientRect());
          return {
            left: Math.min(...boxes.map((b) => b.left)),
            right: Math.max(...boxes.map((b) => b.right)),
            cls: Number(e.getAttribute('data-class')),
            epoch: Number(e.getAttribute('data-epoch')),
          };
        }),
      );
      const values = kind === 'labelGivenPred' ? training.hLabelGivenPred : training.hPredGivenLabel;
      assert.equal(markers.length, values.flat().filter((v) => v === null).length, `${kind}: one marker per undefined value`);
      for (const m of markers) {
        assert.ok(
          m.left > axisRight + 1,
          `${kind}: the marker of class ${m.cls} at epoch ${m.epoch} (x ${m.left}) is on the y axis (x ${axisRight})`,
        );
        assert.ok(m.right < plotRight, `${kind}: the marker of class ${m.cls} runs past the chart`);
      }
      const first = markers.find((m) => m.epoch === training.epochs[0]);
      if (!first) continue;
      // Hovering a marker names its class (and the epoch), not the whole epoch's table.
      const marker = `${card} svg.chart .undefined-marker[data-class="${first.cls}"][data-epoch="${first.epoch}"]`;
      await page.hover(marker);
      await page.waitForSelector('#tooltip:not([hidden]) [data-testid=marker-tip]');
      assert.match(
        (await page.textContent('#tooltip')) ?? '',
        new RegExp(`^class ${training.classNames[first.cls]}: undefined at epoch ${first.epoch}`),
      );
      assert.match(
        (await page.getAttribute(marker, 'data-label')) ?? '',
        new RegExp(`^class ${training.classNames[first.cls]}: undefined`),
      );
      checked++;
    }
    assert.ok(checked > 0, 'the fixture has undefined values at its first epoch');
    await page.mouse.move(0, 0);
    const chart = page.locator('#panel-training .label-entropy.labelGivenPred svg.chart');
    await chart.screenshot({ path: join(SCREENSHOTS, 'viewfixes-undefined-markers-chart-light.png') });
    await page.locator('#panel-training .label-entropy.labelGivenPred').scrollIntoViewIfNeeded();
    await viewportShot(page, 'viewfixes-undefined-markers-light');
    await dark(page);
    await viewportShot(page, 'viewfixes-undefined-markers-dark');
    await chart.screenshot({ path: join(SCREENSHOTS, 'viewfixes-undefined-markers-chart-dark.png') });
    await closeChecked(page, problems);
  });

  it("draws any number of layers' small multiples on one y scale; each can be removed, and the scale can be per layer", async () => {
    const { page, problems } = await openReport(browser(), 'channel');
    await page.selectOption('select[aria-label="Layer shown in the Channel view"]', '1');
    const multiples = '#panel-channel canvas.chart[data-channels]';
    await page.waitForSelector(multiples);
    const add = 'select[aria-label="Add a layer below, for comparison"]';
    await page.selectOption(add, '2');
    await page.selectOption(add, '3');
    await page.waitForSelector('[data-testid=multiples-beside][data-layer="3"] canvas.chart[data-channels="16"]');
    await page.waitForSelector('[data-testid=multiples-beside][data-layer="2"] canvas.chart[data-channels="8"]');
    const headings = await page.$$eval('#panel-channel [data-testid=multiples-heading]', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(headings.length, 3);
    assert.match(headings[0], /conv1.*one y scale for all 3 layers/);
    assert.match(headings[1], /pool1/);
    assert.match(headings[2], /conv2/);
    const maxOf = (s: SmallMultiplesAnswer) => Math.max(...[s.all, ...s.perClass].flat(2).filter((v): v is number => v !== null));
    const maxima = await Promise.all(
      [1, 2, 3].map(async (l) => maxOf(await embedded<SmallMultiplesAnswer>(page, queries.smallMultiples(l)))),
    );
    assert.ok(new Set(maxima.map((m) => m.toFixed(2))).size > 1, 'the layers have different maxima, so sharing matters');
    const yMax = () => page.$$eval(multiples, (els) => els.map((e) => Number((e as HTMLElement).dataset.yMax)));
    await page.waitForFunction(
      (sel) => new Set(Array.from(document.querySelectorAll(sel)).map((e) => (e as HTMLElement).dataset.yMax)).size === 1,
      multiples,
    );
    const shared = await yMax();
    assert.equal(shared.length, 3);
    assert.ok(shared[0] >= Math.max(...maxima), `the shared top ${shared[0]} is at least the largest maximum ${Math.max(...maxima)}`);
    await page.locator('#panel-channel [data-testid=multiples-beside][data-layer="3"]').scrollIntoViewIfNeeded();
    await viewportShot(page, 'viewfixes-multiples-three-layers-light');
    await dark(page);
    await viewportShot(page, 'viewfixes-multiples-three-layers-dark');
    // Per layer: each its own top.
    await page.click('#panel-channel button:has-text("Shared y scale")');
    await page.waitForFunction(
      (sel) => new Set(Array.from(document.querySelectorAll(sel)).map((e) => (e as HTMLElement).dataset.yMax)).size > 1,
      multiples,
    );
    await page.click('#panel-channel button:has-text("Shared y scale")');
    // Removing a layer leaves the others, still on one scale.
    await page.click('button[aria-label="Remove pool1 from the comparison"]');
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, multiples);
    const two = await yMax();
    assert.equal(two[0], two[1]);
    assert.ok(two[0] >= Math.max(maxima[0], maxima[2]));
    await closeChecked(page, problems);
  });

  it("restricts the epoch and depth strips to the Query view's chosen channels, as the main heatmap, and says so", async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    await page.fill('input[aria-label^="Channels of conv1 in the slice"]', '1-3, 6');
    await page.press('input[aria-label^="Channels of conv1 in the slice"]', 'Enter');
    await page.fill('input[aria-label^="Channels of pool1 in the slice"]', '0-4');
    await page.press('input[aria-label^="Channels of pool1 in the slice"]', 'Enter');
    await page.click('[data-testid=apply-query]');
    await openView(page, 'layer');
    await page.waitForSelector(`${HEATMAP}[data-columns="4"]`);
    await page.click('[data-testid=epoch-strip-toggle]');
    await page.click('[data-testid=depth-strip-toggle]');
    const epochs = stripEpochs(f.manifest);
    await page.waitForSelector(`[data-testid=epoch-strip][data-ready="${epochs.length}"]`);
    const epoch = await page.$eval(HEATMAP, (c) => Number((c as HTMLElement).dataset.epoch));
    const columns = [1, 2, 3, 6];
    const rowsOf: Record<number, number[]> = { 2: [0, 1, 2, 3, 4] };
    const shownMax = (a: CapacityMatrixAnswer) => {
      const rows = rowsOf[a.layerJ] ?? Array.from({ length: a.rows }, (_, r) => r);
      return Math.max(...rows.flatMap((r) => columns.map((c) => a.values[r * a.columns + c] ?? -Infinity)));
    };
    // Epoch strip: conv1 × pool1, 4 columns × 5 rows in every cell, max and scale over those cells only.
    const epochCells = await page.$$eval('[data-testid=epoch-strip] canvas.strip-canvas', (els) =>
      els.map((e) => ({ rows: Number((e as HTMLElement).dataset.rows), columns: Number((e as HTMLElement).dataset.columns) })),
    );
    assert.deepEqual(
      epochCells,
      epochs.map(() => ({ rows: 5, columns: 4 })),
    );
    const answers = await Promise.all(epochs.map((e) => embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, 2, e, ALL))));
    const cellMax = await page.$$eval('[data-testid=epoch-strip] .strip-cell', (els) =>
      els.map((e) => Number((e as HTMLElement).dataset.maxBits)),
    );
    assert.deepEqual(cellMax, answers.map(shownMax));
    assert.equal(Number(await page.getAttribute('[data-testid=epoch-strip]', 'data-scale-max')), Math.max(...answers.map(shownMax)));
    assert.ok(
      answers.some((a) => shownMax(a) < Math.max(...a.values.filter((v): v is number => v !== null))),
      'the restriction changes a max',
    );
    assert.match(
      (await page.textContent('[data-testid=epoch-strip-restriction]')) ?? '',
      /conv1 channels 1, 2, 3, 6; pool1 channels 0, 1, 2, 3, 4/,
    );
    // Depth strip: conv1's 4 columns against every later multi-channel layer; pool1's rows restricted too.
    await page.waitForSelector('[data-testid=depth-strip][data-ready="3"]');
    const depthCells = await page.$$eval('[data-testid=depth-strip] canvas.strip-canvas', (els) =>
      els.map((e) => ({
        j: Number((e as HTMLElement).dataset.layerJ),
        rows: Number((e as HTMLElement).dataset.rows),
        columns: Number((e as HTMLElement).dataset.columns),
      })),
    );
    assert.deepEqual(depthCells, [
      { j: 2, rows: 5, columns: 4 },
      { j: 3, rows: 16, columns: 4 },
      { j: 4, rows: 16, columns: 4 },
    ]);
    const depthAnswers = await Promise.all(
      [2, 3, 4].map((j) => embedded<CapacityMatrixAnswer>(page, queries.capacityMatrix(1, j, epoch, ALL))),
    );
    assert.equal(Number(await page.getAttribute('[data-testid=depth-strip]', 'data-scale-max')), Math.max(...depthAnswers.map(shownMax)));
    assert.match(
      (await page.textContent('[data-testid=depth-strip-restriction]')) ?? '',
      /conv1 channels 1, 2, 3, 6; pool1 channels 0, 1, 2, 3, 4/,
    );
    await page.locator('[data-testid=epoch-strip-section]').scrollIntoViewIfNeeded();
    await viewportShot(page, 'viewfixes-strips-restricted-light');
    await dark(page);
    await viewportShot(page, 'viewfixes-strips-restricted-dark');
    await closeChecked(page, problems);
  });

  it('clears a channel band on a double-click, and with its clear button from the keyboard', async () => {
    const { page, problems } = await openReport(browser(), 'query');
    const field = 'input[aria-label^="Channels of conv1 in the slice"]';
    const band = page.locator('[data-band-layer="1"] rect.channel-band');
    const drag = async (from: number, to: number) => {
      // The Network view above the slicer fills the window's height: the band is scrolled to first.
      await band.scrollIntoViewIfNeeded();
      const box = (await band.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * ((from + 0.5) / 8));
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height * ((to + 0.5) / 8), { steps: 5 });
      await page.mouse.up();
    };
    const fieldShows = (text: string) =>
      page.waitForFunction(([f, t]) => (document.querySelector(f) as HTMLInputElement).value === t, [field, text], { timeout: 3000 });
    await drag(1, 4);
    await fieldShows('1-4');
    assert.match((await page.textContent('[data-testid=slice-summary]')) ?? '', /conv1: 1–4/);
    await viewportShot(page, 'viewfixes-band-picked-light');
    const box = (await band.boundingBox())!;
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height * (2.5 / 8));
    await fieldShows('');
    assert.doesNotMatch((await page.textContent('[data-testid=slice-summary]')) ?? '', /conv1:/);
    assert.equal(await page.getAttribute('[data-band-layer="1"]', 'aria-label'), 'channels of conv1: all');
    // The clear button: disabled with nothing to clear, reachable and pressed with the keyboard.
    const clear = 'button[aria-label^="Clear the channels of conv1"]';
    assert.equal(await page.isDisabled(clear), true);
    await drag(5, 6);
    await fieldShows('5-6');
    await page.focus(field);
    await page.keyboard.press('Tab');
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''),
      await page.getAttribute(clear, 'aria-label'),
    );
    await viewportShot(page, 'viewfixes-band-clear-button-light');
    await dark(page);
    await viewportShot(page, 'viewfixes-band-clear-button-dark');
    await page.keyboard.press('Enter');
    await fieldShows('');
    assert.doesNotMatch((await page.textContent('[data-testid=slice-summary]')) ?? '', /conv1:/);
    await closeChecked(page, problems);
  });

  it('draws every input-diversity bar at n inputs per class: the "all classes" bar draws n × the classes', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training svg.diversity-bars g.bar-group[data-group="all"]');
    const perClass = await embedded<InputDiversityAnswer>(page, queries.inputDiversity(f.manifest, 'probe'));
    const classes = f.manifest.dataset.classNames.length;
    const legend = (await page.textContent('[data-testid=diversity-legend]')) ?? '';
    for (const n of perClass.sizes) assert.match(legend, new RegExp(`${n} per class`));
    // The "all classes" bars are the union of the classes' draws, n × classes inputs, not n inputs in total.
    const all = perClass.rows.find((r) => r.class === 'all')!;
    const shownAll = await page.$$eval('#panel-training svg.diversity-bars g.bar-group[data-group="all"] g.bar', (els) =>
      els.map((e) => e.getAttribute('data-bits')),
    );
    assert.deepEqual(
      shownAll,
      all.bits.map((b) => (b === null ? 'null' : String(b))),
    );
    assert.ok(
      all.bits.some((b) => b !== null),
      'the fixture fills at least one size in every class',
    );
    assert.deepEqual(
      all.counts.filter((c, s) => all.bits[s] !== null),
      perClass.sizes.filter((_, s) => all.bits[s] !== null).map((n) => n * classes),
    );
    // A class's bars are its n inputs.
    const one = perClass.rows.find((r) => r.class === 1)!;
    const shownOne = await page.$$eval('#panel-training svg.diversity-bars g.bar-group[data-group="1"] g.bar', (els) =>
      els.map((e) => e.getAttribute('data-bits')),
    );
    assert.deepEqual(
      shownOne,
      one.bits.map((b) => (b === null ? 'null' : String(b))),
    );
    await page.hover('#panel-training svg.diversity-bars g.bar-group[data-group="all"] g.bar >> nth=0');
    assert.match(
      (await page.textContent('#tooltip')) ?? '',
      new RegExp(
        `^all classes, ${perClass.sizes[0]} per class \\(${perClass.sizes[0] * classes} inputs of all classes\\): .* \\(${perClass.sizes[0] * classes} inputs drawn of ${all.available} available\\)`,
      ),
    );
    // The note under the bars says what the "all" bars hold.
    assert.match(
      (await page.textContent('#panel-training .diversity .chart-note')) ?? '',
      new RegExp(
        `"all" bar is those ${classes} draws together, n × ${classes} inputs \\(${perClass.sizes.map((n) => n * classes).join(', ')}\\)`,
      ),
    );
    await page.locator('#panel-training .diversity').scrollIntoViewIfNeeded();
    await viewportShot(page, 'viewfixes-diversity-per-class-light');
    await dark(page);
    await viewportShot(page, 'viewfixes-diversity-per-class-dark');
    await screenshot(page, 'viewfixes-training-dark');
    await closeChecked(page, problems);
  });
});
