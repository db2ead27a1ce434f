// The Information view as a person uses it: the information plane of the recorded fixture
// run (one trajectory per layer, one point per recorded epoch, coloured by epoch, the estimator
// switched, saturated points marked and said, the ceilings drawn and labelled), the channel × epoch
// label information of the selected layer with its uninformative channels linking to the Channel
// view, the redundancy of the layer with itself, themes, exports and the half-width layout.
// Expected values are read from the answers embedded in the report, never from the view's output.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { CapacityMatrixAnswer, ChannelLabelInformationAnswer, InformationPlaneAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { decodeEntry } from '../../src/contract/reportCodec';
import { shortLayerName } from '../../src/contract/layerLabel';
import { redundancy } from '../../src/analysis/redundancy';
import { runColour } from '../../webview/compare';
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
  fixtureReportData,
} from './harness';

const PLANE = '#panel-information svg.information-plane';
const HEATMAP = '#panel-information .ci-heatmap';

/** The points of every trajectory as drawn: layer → epochs, and which of them are marked saturated. */
async function drawnPlane(page: Page): Promise<Record<string, { epochs: number[]; saturated: number[]; rings: number; label: string }>> {
  return page.$$eval(`${PLANE} g.ip-trajectory`, (groups) => {
    const out: Record<string, { epochs: number[]; saturated: number[]; rings: number; label: string }> = {};
    for (const g of groups) {
      const points = Array.from(g.querySelectorAll('g.ip-point'));
      out[g.getAttribute('data-layer')!] = {
        epochs: points.map((p) => Number(p.getAttribute('data-epoch'))),
        saturated: points.filter((p) => p.getAttribute('data-saturated') === 'true').map((p) => Number(p.getAttribute('data-epoch'))),
        rings: g.querySelectorAll('circle.ip-saturated').length,
        label: g.querySelector('text.ip-label')?.textContent ?? '',
      };
    }
    return out;
  });
}

async function setTheme(page: Page, theme: 'light' | 'dark' | 'high-contrast'): Promise<void> {
  await page.selectOption('select[aria-label="Theme"]', theme);
  await page.waitForFunction((t) => document.body.classList.contains(`vscode-${t}`), theme);
}

describe('browser: information view', function () {
  const browser = useBrowser(this);

  it('draws one trajectory per layer with one point per recorded epoch, switches the estimator and marks the saturated points', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'information');
    await page.waitForSelector(`${PLANE}[data-estimator="pairwise"]`);
    const pairwise = await embedded<InformationPlaneAnswer>(page, { kind: 'informationPlane', estimator: 'pairwise' });
    const layers = f.manifest.layers.filter((l) => l.index > 0);
    assert.deepEqual(
      pairwise.layers.map((l) => l.layer),
      layers.map((l) => l.index),
    );

    // One trajectory per layer, labelled with the short layer label, one point per recorded epoch (0 → last).
    let drawn = await drawnPlane(page);
    assert.deepEqual(
      Object.keys(drawn).map(Number),
      layers.map((l) => l.index),
    );
    for (const l of layers) {
      assert.deepEqual(drawn[l.index].epochs, f.manifest.epochs, `layer ${l.index}: one point per recorded epoch`);
      assert.equal(drawn[l.index].label, shortLayerName(l, f.manifest.layers));
      assert.deepEqual(drawn[l.index].saturated, [], 'the pairwise estimator never saturates');
    }
    // Coloured by epoch: the first and the last point of a trajectory differ in colour.
    const fills = await page.$$eval(`${PLANE} g.ip-trajectory[data-layer="1"] g.ip-point path`, (ps) =>
      ps.map((p) => p.getAttribute('fill')),
    );
    assert.equal(new Set(fills).size, f.manifest.epochs.length);
    // The ceilings are lines with their names and values.
    const ceilings = await page.$$eval(`${PLANE} .ip-ceiling`, (gs) => gs.map((g) => `${g.getAttribute('data-axis')}: ${g.textContent}`));
    assert.deepEqual(ceilings, [
      `ixt: capacity ceiling = ${pairwise.ceilings.ixt!.toFixed(3)}`,
      `ity: H(S) = ${pairwise.ceilings.ity!.toFixed(3)}`,
    ]);
    assert.match(
      await page.innerText('#panel-information [data-testid=saturated-note]'),
      /No saturated point \(the pairwise estimator never saturates\)/,
    );
    await screenshot(page, 'information-light');

    // The binned estimator: the same trajectories, its saturated points ringed and named in words.
    await page.click('#panel-information .info-toolbar button[data-estimator="binned"]');
    await page.waitForSelector(`${PLANE}[data-estimator="binned"]`);
    assert.equal(await page.getAttribute('#panel-information .info-toolbar button[data-estimator="binned"]', 'aria-pressed'), 'true');
    const binned = await embedded<InformationPlaneAnswer>(page, { kind: 'informationPlane', estimator: 'binned' });
    drawn = await drawnPlane(page);
    let saturatedCount = 0;
    for (const l of binned.layers) {
      const expected = l.points.filter((p) => p.saturated).map((p) => p.epoch);
      saturatedCount += expected.length;
      assert.deepEqual(drawn[l.layer].epochs, f.manifest.epochs);
      assert.deepEqual(drawn[l.layer].saturated, expected, `layer ${l.layer}: the saturated points are marked`);
      assert.equal(drawn[l.layer].rings, expected.length, `layer ${l.layer}: each saturated point has its ring`);
    }
    // conv1 of 4,608 units over 200 probe inputs: every input is its own symbol.
    assert.ok(saturatedCount > 0, 'the fixture has saturated points under the binned estimator');
    const note = await page.innerText('#panel-information [data-testid=saturated-note]');
    assert.match(note, /Saturated/);
    assert.ok(
      note.includes(
        `conv1 at epochs ${binned.layers[0].points
          .filter((p) => p.saturated)
          .map((p) => p.epoch)
          .join(', ')}`,
      ),
      note,
    );
    const binnedCeilings = await page.$$eval(`${PLANE} .ip-ceiling`, (gs) => gs.map((g) => g.textContent));
    assert.deepEqual(binnedCeilings, [`log2 N = ${Math.log2(200).toFixed(3)}`, `H(Y) = ${binned.ceilings.ity!.toFixed(3)}`]);
    // Every saturated point sits on the same corner (both ceilings), so the later layers' markers cover
    // conv1's: its point is hovered by an event sent to it, as the pointer would.
    await page.dispatchEvent(`${PLANE} g.ip-trajectory[data-layer="1"] g.ip-point[data-saturated="true"] >> nth=0`, 'mousemove');
    await page.waitForFunction(() => /saturated/.test(document.getElementById('tooltip')?.textContent ?? ''));

    // Exports: every point as a CSV row, the picture as PNG with its caption.
    const csv = await download(page, '#panel-information .information-plane-card .export-button:has-text("CSV")');
    const lines = csv.trim().split(/\r?\n/);
    assert.equal(lines[0], 'estimator,layer,layer name,epoch,I(X;T) bits,I(T;Y) bits,saturated');
    assert.equal(lines.length - 1, layers.length * f.manifest.epochs.length);
    const png = await download(page, '#panel-information .information-plane-card .export-button:has-text("PNG")', null);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');

    await page.dispatchEvent(`${PLANE} g.ip-trajectory[data-layer="1"] g.ip-point[data-saturated="true"] >> nth=0`, 'mouseleave');
    await page.waitForSelector('#tooltip', { state: 'hidden' });
    await setTheme(page, 'dark');
    await screenshot(page, 'information-dark');
    await setTheme(page, 'high-contrast');
    await screenshot(page, 'information-high-contrast');
    await closeChecked(page, problems);
  });

  it('shows the label information of each channel of the layer over the epochs and the layer’s redundancy, linked to the focus', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'information');
    await page.waitForSelector(`${HEATMAP}[data-channels]`);
    // conv1, the first layer of the default slice: 8 channels × the recorded epochs.
    const info = await embedded<ChannelLabelInformationAnswer>(page, { kind: 'channelLabelInformation', layer: 1 });
    assert.equal(await page.getAttribute(HEATMAP, 'data-channels'), '8');
    assert.equal(await page.getAttribute(HEATMAP, 'data-epochs'), String(f.manifest.epochs.length));
    const cells = await page.$$eval(`${HEATMAP} rect.ci-cell`, (rs) =>
      rs.map((r) => ({
        channel: Number(r.closest('g')!.getAttribute('data-channel')),
        epoch: Number(r.getAttribute('data-epoch')),
        bits: r.getAttribute('data-bits'),
      })),
    );
    assert.equal(cells.length, 8 * info.epochs.length);
    for (const c of cells) assert.equal(c.bits, String(info.bits[info.epochs.indexOf(c.epoch)][c.channel] ?? ''));
    assert.equal(await page.getAttribute(HEATMAP, 'data-uninformative'), info.uninformative.join(','));
    if (info.uninformative.length === 0) await page.waitForSelector('#panel-information [data-testid=uninformative-none]');
    else assert.equal(await page.$$eval('#panel-information .uninformative-list li', (li) => li.length), info.uninformative.length);

    // Redundancy: the capacity matrix of conv1 with itself at the last epoch, sorted into blocks, and its number.
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    const matrix = await embedded<CapacityMatrixAnswer>(page, { kind: 'capacityMatrix', layerI: 1, layerJ: 1, epoch: last });
    const expected = redundancy(matrix);
    const canvas = '#panel-information .redundancy-card canvas.heatmap-canvas';
    await page.waitForSelector(canvas);
    assert.equal(await page.getAttribute(canvas, 'data-rows'), '8');
    assert.equal(await page.getAttribute(canvas, 'data-row-order'), expected.order.join(','));
    assert.equal(await page.getAttribute(canvas, 'data-column-order'), expected.order.join(','));
    const number = await page.innerText('#panel-information [data-testid=redundancy-number]');
    assert.ok(number.includes(`${expected.nearDuplicatePairs} of ${expected.comparedPairs} channel pairs`), number);
    assert.ok(number.includes(`${Math.round((expected.share ?? 0) * 100)}%`), number);

    // Clicking channel 3's row picks it everywhere: outlined in the heatmap and the redundancy matrix.
    await page.click(`${HEATMAP} g.ci-row[data-channel="3"] rect.ci-cell >> nth=0`);
    await page.waitForSelector(`${HEATMAP} text.ci-channel.focused`);
    assert.equal(await page.textContent(`${HEATMAP} text.ci-channel.focused`), '3');
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-highlight-row') === '3', canvas);

    // Another layer: the layer picker moves the focus, and the heatmap follows.
    await page.selectOption('#panel-information select[aria-label="Layer of the channel cards"]', '3');
    await page.waitForSelector(`${HEATMAP}[data-channels="16"]`);
    await page.waitForSelector(`${PLANE} g.ip-trajectory.highlighted[data-layer="3"]`);

    // A dense layer: no heatmap nor redundancy, and its units' importance from the report (16 of 64 measured).
    const dense1 = f.manifest.layers.find((l) => l.name === 'dense1')!.index;
    await page.selectOption('#panel-information select[aria-label="Layer of the channel cards"]', String(dense1));
    await page.waitForSelector('#panel-information [data-testid=importance-estimate]');
    assert.match(await page.innerText('#panel-information'), /dense1 is a dense layer: its 64 units hold one value each/);
    assert.equal(await page.$(HEATMAP), null);
    assert.equal(await page.$('#panel-information .redundancy-card'), null);
    assert.match(await page.innerText('#panel-information .importance-card'), /16 of the 64 channels zeroed alone/);
    assert.match(await page.innerText('#panel-information [data-testid=importance-estimate]'), /ablated exactly: ρ = /);
    // A unit has no channel entropy: the scatter draws the first measure with values, and its toggle says so.
    assert.equal(
      await page.getAttribute('#panel-information .importance-measures [aria-pressed=true]', 'data-measure'),
      'labelInformation',
    );
    await screenshot(page, 'information-dense-importance');
    await closeChecked(page, problems);
  });

  it('lists the uninformative channels, each opening the Channel view on that channel', async () => {
    // The fixture's conv1 with channel 5 made uninformative at the last epoch (its real values
    // elsewhere), so the list has an entry whatever the training learned.
    const data = await fixtureReportData();
    const key = canonicalQuery({ kind: 'channelLabelInformation', layer: 1 });
    const decoded = await decodeEntry(data.answers[key]);
    assert.ok('answer' in decoded);
    const answer = decoded.answer as ChannelLabelInformationAnswer;
    answer.bits[answer.bits.length - 1][5] = 0.004;
    answer.uninformative = [...new Set([...answer.uninformative, 5])].sort((a, b) => a - b);
    data.answers[key] = { answer };
    const file = writePage(join(tempDir('cnn-slicer-information-'), 'uninformative.html'), { data, title: 'uninformative' });
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    const item = '#panel-information .uninformative-list li[data-channel="5"]';
    await page.waitForSelector(item);
    assert.match(await page.innerText(item), /#5 → Channel view\s+0\.004 bits/);
    assert.match(await page.innerText('#panel-information .ci-uninformative'), /uninformative channel/);
    // Its source link names the layer's definition.
    assert.match((await page.getAttribute(`${item} .layer-link`, 'title')) ?? '', /conv1 \(Conv2D\) is defined at mnist-lenet\.ts:\d+/);
    await page.click(`${item} button.channel-link`);
    await page.waitForSelector('#panel-channel canvas.chart[data-channels][data-focused="5"]');
    assert.equal(await page.getAttribute('#tab-channel', 'aria-selected'), 'true');
    assert.equal(await page.inputValue('#panel-channel select[aria-label="Layer shown in the Channel view"]'), '1');
    await closeChecked(page, problems);
  });

  it('draws a wide layer’s channel heatmap on one canvas, still hovered cell by cell', async () => {
    // conv1's answer widened to 1,600 channels (its 8 real ones repeated): past 4,096 cells the SVG gives way to a canvas.
    const data = await fixtureReportData();
    const key = canonicalQuery({ kind: 'channelLabelInformation', layer: 1 });
    const decoded = await decodeEntry(data.answers[key]);
    assert.ok('answer' in decoded);
    const answer = decoded.answer as ChannelLabelInformationAnswer;
    answer.bits = answer.bits.map((row) => Array.from({ length: 1600 }, (_, c) => row[c % row.length]));
    answer.uninformative = [];
    data.answers[key] = { answer };
    const file = writePage(join(tempDir('cnn-slicer-information-wide-'), 'wide.html'), { data, title: 'wide' });
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    const canvas = `#panel-information canvas.ci-heatmap[data-channels="1600"]`;
    await page.waitForSelector(canvas);
    assert.equal(await page.$$eval('#panel-information svg.ci-heatmap', (s) => s.length), 0);
    const colours = await page.$eval(canvas, (c) => {
      const el = c as HTMLCanvasElement;
      const d = el.getContext('2d')!.getImageData(0, 0, el.width, el.height).data;
      const seen = new Set<number>();
      for (let p = 0; p < d.length && seen.size < 20; p += 4) seen.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]);
      return seen.size;
    });
    assert.ok(colours > 5, 'the canvas is not blank');
    // The first cell of the first epoch: the left edge of the cells is 40 px in, their top 26 px down.
    const box = (await page.$(canvas))!;
    await box.hover({ position: { x: 42, y: 26.5 } });
    await page.waitForFunction(() => /conv1 #0 · epoch 0/.test(document.getElementById('tooltip')?.textContent ?? ''));
    await closeChecked(page, problems);
  });

  it('overlays both runs’ information-plane trajectories in a comparison, one colour per run', async () => {
    // The fixture's run twice under two ids: a comparison report's answers are keyed by run.
    const data = await fixtureReportData();
    const runOf = (id: string) => ({ runId: id, manifest: { ...data.manifest, id }, answers: data.answers, coverage: data.coverage });
    const compared: ReportData = { ...data, answers: {}, runs: [runOf(`${data.runId}-a`), runOf(`${data.runId}-b`)] };
    const file = writePage(join(tempDir('cnn-slicer-information-compare-'), 'compare.html'), { data: compared, title: 'compare' });
    const { page, problems } = await openPage(browser(), file);
    const plane = '.compare-information-plane svg.information-plane';
    await page.waitForSelector(`${plane}[data-estimator="pairwise"]`);
    const layers = data.manifest.layers.length - 1;
    const runs = await page.$$eval(`${plane} g.ip-trajectory`, (gs) => gs.map((g) => g.getAttribute('data-run')));
    assert.equal(runs.filter((r) => r === '0').length, layers);
    assert.equal(runs.filter((r) => r === '1').length, layers);
    // Each run's points in its colour, the same as the comparison legend's.
    for (const r of [0, 1]) {
      const fills = await page.$$eval(`${plane} g.ip-trajectory[data-run="${r}"] g.ip-point path`, (ps) => [
        ...new Set(ps.map((p) => p.getAttribute('fill'))),
      ]);
      assert.deepEqual(fills, [runColour(r)]);
    }
    await page.click('.compare-information-plane button[data-estimator="binned"]');
    await page.waitForSelector(`${plane}[data-estimator="binned"]`);
    assert.match(await page.innerText('.compare-information-plane .ip-saturated-note'), /Saturated/);
    await screenshot(page, 'information-compare');
    await closeChecked(page, problems);
  });

  it('writes H(S) as one value at one precision wherever the view names it', async () => {
    const { page, problems } = await openReport(browser(), 'information');
    await page.waitForSelector(`${PLANE}[data-estimator="pairwise"]`);
    await page.waitForSelector(`${HEATMAP}[data-channels]`);
    const pairwise = await embedded<InformationPlaneAnswer>(page, { kind: 'informationPlane', estimator: 'pairwise' });
    const text = (await page.textContent('#panel-information')) ?? '';
    const values = [...text.matchAll(/H\(S\)\s*=\s*([\d.]+)/g)].map((m) => m[1]);
    // The plane's ceiling line and the channel heatmap's note both name it.
    assert.ok(values.length >= 2, `H(S) is named with its value at least twice: ${JSON.stringify(values)}`);
    assert.deepEqual([...new Set(values)], [pairwise.ceilings.ity!.toFixed(3)]);
    assert.doesNotMatch(text, /about 0\.\d+ bits/, 'no second, rounded H(S) of some other probe set');
    await closeChecked(page, problems);
  });

  it('fits a half-width (640 px) panel without horizontal scroll', async () => {
    const { page, problems } = await openPage(browser(), (await browserFixture()).report, { width: 640, height: 900 });
    await openView(page, 'information');
    await page.waitForSelector(`${PLANE}`);
    await page.waitForSelector(`${HEATMAP}[data-channels]`);
    await page.waitForSelector('#panel-information .redundancy-card canvas.heatmap-canvas');
    const seen = await page.evaluate(() => {
      const root = document.scrollingElement!;
      const widest: string[] = [];
      for (const el of Array.from(document.querySelectorAll('#panel-information *, .tabs *'))) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > 641 && !el.closest('[data-scroll-x]'))
          widest.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} right=${Math.round(r.right)}`);
      }
      return { page: root.scrollWidth - root.clientWidth, widest: widest.slice(0, 8) };
    });
    await screenshot(page, 'information-half-width');
    assert.equal(seen.page, 0, `the page scrolls sideways: ${seen.widest.join('; ')}`);
    assert.deepEqual(seen.widest, []);
    await closeChecked(page, problems);
  });
});
