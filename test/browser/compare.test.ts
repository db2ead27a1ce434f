// The comparison report (`cnn-slicer report A B`) in real Chromium: two tiny recorded runs of
// different models (the fixture with two convolutions and a smaller one with one), so the curves
// of both runs, their legend and the stated architecture difference can be checked.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { writeComparisonReport } from '../../src/cli/compareReport';
import type { RunManifest } from '../../src/contract/runFormat';
import { copyFixtureRun } from '../support/fixtureRuns';
import { runColour } from '../../webview/compare';
import { closeChecked, launchBrowser, openPage, screenshot } from './harness';

describe('browser: comparison of two runs', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let report = '';
  let manifests: RunManifest[] = [];

  before(async function () {
    // The tiny model (seed 1) and an untrained model (seed 2), checked in under test/fixtures/runs.
    const a = copyFixtureRun('tiny', 'cnn-slicer-browser-compare-');
    const b = copyFixtureRun('untrained-seed2', 'cnn-slicer-browser-compare-');
    const dir = dirname(a.runs);
    manifests = [a.manifest, b.manifest];
    report = join(dir, 'compare.html');
    await writeComparisonReport({ runFolders: [a.folder, b.folder], out: report, theme: 'light' });
    browser = await launchBrowser();
  });

  after(async () => browser?.close());

  it('overlays both runs’ loss and accuracy curves in one colour per run, with a legend naming both', async function () {
    const { page, problems } = await openPage(browser!, report);
    await page.waitForSelector('.compare-curves svg.chart');
    const legend = await page.$$eval('.compare-curves .compare-legend [data-run]', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(legend.length, 2);
    manifests.forEach((m, r) =>
      assert.ok(legend[r].includes(m.id) && legend[r].includes(m.model.name), `legend names run ${m.id}: ${legend[r]}`),
    );
    for (const panel of ['loss', 'accuracy']) {
      const series = await page.$$eval(`.compare-curves g.panel[data-panel=${panel}] g.series`, (els) =>
        els.map((e) => ({
          key: e.getAttribute('data-series'),
          d: e.querySelector('path.line')?.getAttribute('d') ?? '',
          colour: e.querySelector<SVGPathElement>('path.line')?.style.stroke ?? '',
        })),
      );
      assert.deepEqual(
        series.map((s) => s.key),
        ['run-0-train', 'run-1-train', 'run-0-probe', 'run-1-probe'],
        `${panel}: train and probe curves of both runs`,
      );
      for (const s of series) assert.match(s.d, /^M[\d.]+,[\d.]+L/, `${panel} ${s.key} is a drawn line`);
      assert.notEqual(series[2].d, series[3].d, `${panel}: the two runs' probe curves differ`);
      assert.equal(series[0].colour, runColour(0));
      assert.equal(series[1].colour, runColour(1));
    }
    // The same run colour in the layer table and the diversity bars.
    const barColours = await page.$$eval('.compare-diversity rect.bar', (els) =>
      els.map((e) => `${e.getAttribute('data-run')} ${(e as SVGRectElement).style.fill}`),
    );
    assert.ok(barColours.length >= 2);
    for (const c of barColours) assert.equal(c.slice(2), runColour(Number(c[0])));
    await screenshot(page, 'compare-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await screenshot(page, 'compare-dark');
    await closeChecked(page, problems);
  });

  it('states plainly which layers only one run has and pairs the others as a diff aligns lines', async function () {
    const { page, problems } = await openPage(browser!, report);
    await page.waitForSelector('.compare-layers table');
    const differences = await page.$$eval('.compare-layers .architecture-difference', (els) => els.map((e) => e.textContent ?? ''));
    // A: input, conv1, conv2, pool1, flatten, dense; B: input, conv1, flatten, dense. Aligned as a diff aligns lines.
    assert.deepEqual(differences, [
      'conv2 (Conv2D, 10×10×6) only in A — not compared',
      'pool1 (MaxPooling2D, 5×5×6) only in A — not compared',
    ]);
    const rows = await page.$$eval('.compare-layers-table tbody tr', (els) =>
      els.map((e) => `${e.getAttribute('data-layer')} ${e.getAttribute('class')}`),
    );
    assert.deepEqual(rows, ['0 compared', '1 compared', '2 not-compared', '3 not-compared', '4 compared', '5 compared']);
    // The flatten and dense layers are paired across runs (A's layers 4–5 with B's 2–3), with both runs' values.
    const dense = await page.$$eval('.compare-layers-table tr[data-layer="5"] td.compare-value', (els) =>
      els.map((e) => e.getAttribute('data-run')),
    );
    assert.deepEqual(dense, ['0', '1', '0', '1']);
    // Layer 1 (a convolution in both) shows both runs' values.
    const layer1 = await page.$$eval('.compare-layers-table tr[data-layer="1"] td.compare-value', (els) =>
      els.map((e) => e.getAttribute('data-run')),
    );
    assert.deepEqual(layer1, ['0', '1', '0', '1']);
    await closeChecked(page, problems);
  });

  it('shows one class’s label entropies across runs and follows the class picker', async function () {
    const { page, problems } = await openPage(browser!, report);
    await page.waitForSelector('.compare-label-entropy svg.chart');
    const title = async () => page.$eval('.compare-label-entropy h3', (e) => e.textContent ?? '');
    assert.ok((await title()).endsWith(manifests[0].dataset.classNames[0]), await title());
    const before = await page.$$eval('.compare-label-entropy g.series', (els) => els.map((e) => e.getAttribute('data-series')));
    assert.deepEqual(before, ['run-0', 'run-1', 'run-0', 'run-1']);
    await page.selectOption('select[aria-label="Class compared"]', '2');
    assert.ok((await title()).endsWith(manifests[0].dataset.classNames[2]), await title());
    await closeChecked(page, problems);
  });
});
