// Runs whose model output is not a softmax over the dataset's classes, in real Chromium: a
// regression model (one linear unit: no class predictions, so no label measures) must show one note
// saying why instead of a 0 % accuracy, empty confusion matrix and blank entropy charts, while every
// other view works as for any run; a binary classifier (one sigmoid unit) shows its 2×2 matrix.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { npyFromFloat32, seededRandom, serializeNpy } from '../../src/analysis';
import { writeComparisonReport } from '../../src/cli/compareReport';
import { writeReport } from '../../src/cli/report';
import { recordRun } from '../../src/recorder/record';
import type { RunManifest } from '../../src/contract/runFormat';
import { readRun } from '../../src/run/store';
import { closeChecked, launchBrowser, openPage, openView, screenshot, tempDir } from './harness';

const MODELS = resolve(__dirname, '../fixtures/models');

/** A percentage as the charts and labels print one that is zero ("0%", "0.0 %"). */
const ZERO_PERCENT = /(^|[^\d.])0(\.0+)?\s?%/;

async function record(runs: string, model: string, dataset: string): Promise<{ folder: string; manifest: RunManifest }> {
  return recordRun({
    modelFile: join(MODELS, model),
    dataset,
    epochs: 2,
    batchSize: 16,
    probeSize: 40,
    runsFolder: runs,
    k: 10,
    backend: 'cpu',
    seed: 1,
    learningRate: 0.05,
  });
}

/** Two well separated classes of 6 values each, as `npy:x,y`. */
function binaryDataset(dir: string): string {
  const random = seededRandom(3);
  const count = 160;
  const x = new Float32Array(count * 6);
  const y = Int32Array.from({ length: count }, (_, i) => i % 2);
  for (let i = 0; i < x.length; i++) x[i] = y[Math.floor(i / 6)] * 2 - 1 + random() - 0.5;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'x.npy'), serializeNpy(npyFromFloat32([count, 6], x)));
  writeFileSync(join(dir, 'y.npy'), serializeNpy({ dtype: 'int32', shape: [count], data: y }));
  return `npy:${join(dir, 'x.npy')},${join(dir, 'y.npy')}`;
}

async function panelText(page: Page, view: string): Promise<string> {
  return page.$eval(`#panel-${view}`, (el) => (el as HTMLElement).innerText);
}

describe('browser: runs without label measures (regression) and binary classifiers', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let regression: { folder: string; manifest: RunManifest };
  let regressionReport = '';
  let binaryReport = '';
  let binaryFolder = '';
  let compareReport = '';

  before(async function () {
    const dir = tempDir('cnn-slicer-browser-labelless-');
    const runs = join(dir, 'runs');
    regression = await record(runs, 'regressionConv.ts', 'synthetic:200');
    assert.equal(regression.manifest.output?.kind, 'none');
    assert.ok(regression.manifest.output?.labelMeasuresAbsent);
    const classifier = await record(runs, 'multiFile.ts', 'synthetic:200');
    const binary = await record(runs, 'binarySigmoid.ts', binaryDataset(join(dir, 'binary')));
    assert.equal(binary.manifest.output?.kind, 'binary');
    binaryFolder = binary.folder;
    const report = (run: { folder: string }, name: string) =>
      writeReport({
        runFolder: run.folder,
        out: join(dir, name),
        maxEpochs: 3,
        deconvolutionChannels: 4,
        datasetDiversity: false,
        theme: 'light',
        maxSeconds: Number.POSITIVE_INFINITY,
      });
    regressionReport = join(dir, 'regression.html');
    await report(regression, 'regression.html');
    binaryReport = join(dir, 'binary.html');
    await report(binary, 'binary.html');
    compareReport = join(dir, 'compare.html');
    await writeComparisonReport({ runFolders: [regression.folder, classifier.folder], out: compareReport, theme: 'light' });
    browser = await launchBrowser();
  });

  after(async () => browser?.close());

  it('shows one note saying why in place of the confusion matrix, label entropies and accuracy, and no 0 % anywhere', async function () {
    const { page, problems } = await openPage(browser!, regressionReport);
    await openView(page, 'training');
    const note = page.locator('#panel-training .label-measures-absent');
    await note.waitFor();
    assert.equal(await note.count(), 1);
    const said = await note.innerText();
    assert.match(said, /No label measures\./);
    assert.ok(said.includes('not a score per class of the 3 classes'), said);
    // Nothing of the label measures is drawn: no matrix, no entropy chart, no accuracy panel or probe line.
    await page.waitForSelector('#panel-training .loss-chart svg.chart');
    assert.equal(await page.locator('#panel-training rect.cm-cell').count(), 0);
    assert.equal(await page.locator('#panel-training .confusion').count(), 0);
    assert.equal(await page.locator('#panel-training .label-entropy').count(), 0);
    assert.equal(await page.locator('#panel-training g.panel[data-panel=accuracy]').count(), 0);
    assert.equal(await page.locator('#panel-training g.series[data-series=probeLoss]').count(), 0);
    // The training loss is drawn, under the loss it was trained on.
    assert.equal(await page.locator('#panel-training g.series[data-series=trainLoss] path.line').count(), 1);
    assert.match(await panelText(page, 'training'), /Training loss \(meanSquaredError\)/);
    // The input diversity needs only the labels of the inputs, not predictions: still shown.
    await page.waitForSelector('#panel-training .diversity svg, #panel-training .diversity canvas');
    const text = await panelText(page, 'training');
    assert.doesNotMatch(text, ZERO_PERCENT, text);
    assert.doesNotMatch(text, /accuracy \d/i, text);
    // The header says it once, with the reason on hover.
    const header = page.locator('.run-header .no-label-measures');
    assert.equal(await header.innerText(), 'no class predictions (no accuracy)');
    assert.ok((await header.getAttribute('title'))?.includes('not a score per class'));
    assert.doesNotMatch(await page.locator('.run-header').innerText(), ZERO_PERCENT);
    await screenshot(page, 'labelless-training');
    await closeChecked(page, problems);
  });

  it('keeps every measure that needs no labels: the layer, channel and query views draw as for any run', async function () {
    const { page, problems } = await openPage(browser!, regressionReport);
    await openView(page, 'layer');
    await page.waitForSelector('#panel-layer svg.chart, #panel-layer canvas');
    await openView(page, 'channel');
    await page.waitForSelector('#panel-channel svg.chart, #panel-channel canvas');
    await screenshot(page, 'labelless-channel');
    await openView(page, 'query');
    await page.waitForSelector('#panel-query svg, #panel-query canvas');
    for (const view of ['layer', 'channel', 'query']) {
      await openView(page, view as 'layer');
      assert.doesNotMatch(await panelText(page, view), /internal error|cannot answer/i);
    }
    await closeChecked(page, problems);
  });

  it('shows a binary classifier’s 2×2 confusion matrix over every probe input, with its accuracy', async function () {
    const { page, problems } = await openPage(browser!, binaryReport);
    await openView(page, 'training');
    await page.waitForSelector('#panel-training rect.cm-cell');
    const cells = await page.$$eval('#panel-training rect.cm-cell', (els) =>
      els.map((e) => [Number(e.getAttribute('data-true')), Number(e.getAttribute('data-pred')), Number(e.getAttribute('data-count'))]),
    );
    assert.deepEqual(cells.map(([t, p]) => `${t}${p}`).sort(), ['00', '01', '10', '11']);
    assert.equal(
      cells.reduce((sum, c) => sum + c[2], 0),
      40,
    );
    // The cells are the ones the recorder counted at the last epoch (the sigmoid thresholded at
    // 0.5), not an argmax over the one unit, which would predict class 0 for every input.
    const recorded = readRun(binaryFolder).metrics.at(-1)!.confusion;
    const shown = [0, 1].map((t) => [0, 1].map((p) => cells.find((c) => c[0] === t && c[1] === p)![2]));
    assert.deepEqual(shown, recorded);
    assert.ok(recorded[0][1] + recorded[1][1] > 0, `some inputs are predicted as class 1: ${JSON.stringify(recorded)}`);
    assert.equal(await page.locator('.label-measures-absent').count(), 0);
    assert.equal(await page.locator('.run-header .no-label-measures').count(), 0);
    assert.equal(await page.locator('#panel-training g.panel[data-panel=accuracy]').count(), 1);
    await screenshot(page, 'binary-training');
    await closeChecked(page, problems);
  });

  it('compares a regression run with a classifier: the note names the regression run, which draws no accuracy or entropy line', async function () {
    const { page, problems } = await openPage(browser!, compareReport);
    await page.waitForSelector('.compare-curves svg.chart');
    const notes = page.locator('.label-measures-absent');
    assert.equal(await notes.count(), 1);
    const said = await notes.innerText();
    assert.ok(said.includes(regression.manifest.id) && said.includes('has no label measures'), said);
    // Run A (index 0) is the regression: a training-loss line, nothing else; run B has all four.
    const seriesOf = (panel: string) =>
      page.$$eval(`.compare-curves g.panel[data-panel=${panel}] g.series`, (els) => els.map((e) => e.getAttribute('data-series')));
    assert.deepEqual((await seriesOf('loss')).sort(), ['run-0-train', 'run-1-probe', 'run-1-train']);
    assert.deepEqual((await seriesOf('accuracy')).sort(), ['run-1-probe', 'run-1-train']);
    const entropies = await page.$$eval('.compare-label-entropy g.series', (els) => els.map((e) => e.getAttribute('data-series')));
    assert.ok(entropies.length > 0 && entropies.every((k) => k === 'run-1'), entropies.join(', '));
    await screenshot(page, 'labelless-compare');
    await closeChecked(page, problems);
  });
});
