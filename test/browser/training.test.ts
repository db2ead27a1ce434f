// The training performance view in the standalone report of the real fixture run, plus a small
// synthetic report whose training answer holds undefined entropies at known places.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery, encodeFloat32 } from '../../src/contract/queries';
import type { ConfusionAnswer, InputDiversityAnswer, InputsAnswer, TrainingAnswer } from '../../src/contract/queries';
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

/** `data-count` of every cell as `[true][predicted]`. */
async function shownMatrix(page: Page): Promise<number[][]> {
  const cells = await page.$$eval('#panel-training rect.cm-cell', (els) =>
    els.map((e) => [Number(e.getAttribute('data-true')), Number(e.getAttribute('data-pred')), Number(e.getAttribute('data-count'))]),
  );
  const n = Math.max(...cells.map((c) => c[0])) + 1;
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(-1));
  for (const [t, p, c] of cells) m[t][p] = c;
  return m;
}

function nullsOf(values: (number | null)[][], epochs: number[]): string[] {
  return values.flatMap((row, c) => row.flatMap((v, i) => (v === null ? [`${c}@${epochs[i]}`] : []))).sort();
}

async function markersOf(page: Page, kind: 'labelGivenPred' | 'predGivenLabel'): Promise<string[]> {
  const list = await page.$$eval(`#panel-training .label-entropy.${kind} svg.chart .undefined-marker`, (els) =>
    els.map((e) => `${e.getAttribute('data-class')}@${e.getAttribute('data-epoch')}`),
  );
  return list.sort();
}

async function setEpochIndex(page: Page, index: number): Promise<void> {
  await page.$eval(
    '#panel-training .confusion input[type=range]',
    (el, i) => {
      const input = el as HTMLInputElement;
      input.value = String(i);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    index,
  );
}

describe('browser: training performance view', function () {
  const browser = useBrowser(this);

  it('draws the confusion matrix of the embedded answer, darkest cell = largest count, with hover and the slider', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training rect.cm-cell');
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    assert.equal(last, 2);
    const expected = await embedded<ConfusionAnswer>(page, queries.confusion(2));
    assert.equal(await page.locator('#panel-training rect.cm-cell').count(), 100);
    assert.deepEqual(await shownMatrix(page), expected.matrix);

    // Darker = more: the cell with the least luminance holds the largest count.
    const fills = await page.$$eval('#panel-training rect.cm-cell', (els) =>
      els.map((e) => ({ count: Number(e.getAttribute('data-count')), fill: getComputedStyle(e).fill })),
    );
    const luminance = (rgb: string) => {
      const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const darkest = fills.reduce((a, b) => (luminance(b.fill) < luminance(a.fill) ? b : a));
    assert.equal(darkest.count, Math.max(...expected.matrix.flat()));
    const zero = fills.find((c) => c.count === 0);
    if (zero) assert.ok(luminance(zero.fill) > luminance(darkest.fill));

    // The diagonal is outlined, and off-diagonal cells are not.
    const diagStroke = await page.$eval('#panel-training rect.cm-cell.diagonal', (e) => getComputedStyle(e).strokeWidth);
    assert.equal(diagStroke, '1.5px');
    assert.equal(await page.locator('#panel-training rect.cm-cell.diagonal').count(), 10);

    // Hover: the exact count, the share of the true class.
    const [t, p] = [3, 5];
    await page.hover(`#panel-training rect.cm-cell[data-true="${t}"][data-pred="${p}"]`);
    const tip = await page.textContent('#tooltip');
    const count = expected.matrix[t][p];
    const share = ((100 * count) / expected.matrix[t].reduce((a, b) => a + b, 0)).toFixed(1);
    assert.ok(tip?.includes(`true ${expected.classNames[t]} → predicted ${expected.classNames[p]}: ${count} input`), tip ?? '');
    assert.ok(tip?.includes(`${share} % of class ${expected.classNames[t]}`), tip ?? '');
    await page.mouse.move(0, 0);

    // The shared epoch slider moves the matrix to epoch 0's answer.
    await setEpochIndex(page, 0);
    const epoch0 = await embedded<ConfusionAnswer>(page, queries.confusion(0));
    await page.waitForFunction(() => document.querySelector('#panel-training .confusion .chart-note')?.textContent?.startsWith('Epoch 0'));
    assert.deepEqual(await shownMatrix(page), epoch0.matrix);
    assert.notDeepEqual(epoch0.matrix, expected.matrix);
    await setEpochIndex(page, 2);
    await page.waitForFunction(() => document.querySelector('#panel-training .confusion .chart-note')?.textContent?.startsWith('Epoch 2'));
    assert.deepEqual(await shownMatrix(page), expected.matrix);
    await closeChecked(page, problems);
  });

  it('lists the inputs of a clicked cell (mouse and keyboard) and says the pictures are not in the report', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training rect.cm-cell');
    const expected = await embedded<ConfusionAnswer>(page, queries.confusion(2));
    assert.ok(expected.cells);
    // An off-diagonal cell with inputs if there is one, else the fullest diagonal cell.
    let pick: [number, number] = [0, 0];
    let best = -1;
    expected.matrix.forEach((row, t) =>
      row.forEach((c, p) => {
        const score = c > 0 ? (t !== p ? 1000 + c : c) : -1;
        if (score > best) [best, pick] = [score, [t, p]];
      }),
    );
    const [t, p] = pick;
    await page.click(`#panel-training rect.cm-cell[data-true="${t}"][data-pred="${p}"]`);
    await page.waitForSelector('[data-testid=cell-inputs]');
    const listed = await page.$$eval('[data-testid=cell-input]', (els) => els.map((e) => Number(e.getAttribute('data-index'))));
    assert.deepEqual(listed, expected.cells[t][p]);
    assert.match((await page.textContent('#panel-training .cell-inputs-panel .pictures-note')) ?? '', /holds no pictures/);
    assert.equal(await page.getAttribute(`#panel-training rect.cm-cell[data-true="${t}"][data-pred="${p}"]`, 'aria-selected'), 'true');

    // Keyboard: the clicked cell holds the tab stop; an arrow key moves it, Enter opens the cell.
    const down = Math.min(9, t + 1) === t ? t - 1 : t + 1;
    await page.keyboard.press(down > t ? 'ArrowDown' : 'ArrowUp');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-true')), String(down));
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll('[data-testid=cell-input]').length === n ||
        (n === 0 && !!document.querySelector('p[data-testid=cell-inputs]')),
      expected.cells[down][p].length,
    );
    const listed2 = await page.$$eval('[data-testid=cell-input]', (els) => els.map((e) => Number(e.getAttribute('data-index'))));
    assert.deepEqual(listed2, expected.cells[down][p]);
    await screenshot(page, 'training-cell-inputs');
    await closeChecked(page, problems);
  });

  it('draws one line per class and a marker for every undefined label entropy, with hover and the class highlight', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training .label-entropy svg.chart');
    const training = await embedded<TrainingAnswer>(page, queries.training());
    for (const kind of ['labelGivenPred', 'predGivenLabel'] as const) {
      assert.equal(await page.locator(`#panel-training .label-entropy.${kind} g.series`).count(), 10);
      const values = kind === 'labelGivenPred' ? training.hLabelGivenPred : training.hPredGivenLabel;
      assert.deepEqual(await markersOf(page, kind), nullsOf(values, training.epochs));
    }
    // Hover at the first epoch: every class's value in bits, or "undefined".
    const svg = page.locator('#panel-training .label-entropy.labelGivenPred svg.chart');
    const box = (await svg.boundingBox())!;
    await page.mouse.move(box.x + 55, box.y + 60);
    const tip = (await page.textContent('#tooltip')) ?? '';
    assert.match(tip, /^Epoch 0/);
    training.hLabelGivenPred.forEach((row) => assert.ok(tip.includes(row[0] === null ? 'undefined' : `${row[0].toFixed(3)} bits`), tip));

    // A class picked in the legend is emphasised in both charts, the others fade.
    await page.click('#panel-training .legend-item[data-class="4"]');
    for (const kind of ['labelGivenPred', 'predGivenLabel']) {
      assert.equal(await page.locator(`#panel-training .label-entropy.${kind} g.series.highlighted`).getAttribute('data-class'), '4');
      assert.equal(await page.locator(`#panel-training .label-entropy.${kind} g.series.faded`).count(), 9);
    }
    assert.equal(await page.getAttribute('#panel-training .legend-item[data-class="4"]', 'aria-pressed'), 'true');
    await page.click('#panel-training .legend-item[data-class="4"]');
    assert.equal(await page.locator('#panel-training g.series.faded').count(), 0);

    // Clicking the plot moves the shared epoch: the confusion matrix and the rules follow.
    await page.mouse.click(box.x + 55, box.y + box.height - 12);
    await page.waitForFunction(() => document.querySelector('#panel-training .confusion .chart-note')?.textContent?.startsWith('Epoch 0'));
    assert.equal(await page.locator('#panel-training .label-entropy .epoch-rule[data-epoch="0"]').count(), 2);
    // Keyboard: the chart takes focus, arrows move through the epochs, Enter selects one.
    await svg.focus();
    await page.keyboard.press('End');
    assert.match((await page.textContent('#tooltip')) ?? '', /^Epoch 2/);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#panel-training .confusion .chart-note')?.textContent?.startsWith('Epoch 2'));

    // The loss chart: train values start after epoch 0 (a gap), the rule marks the shared epoch.
    assert.equal(training.trainLoss[0], null);
    assert.equal(await page.locator('#panel-training .loss-chart g.series').count(), 4);
    assert.equal(await page.locator('#panel-training .loss-chart .epoch-rule[data-epoch="2"]').count(), 2);
    assert.equal(
      await page.locator('#panel-training .loss-chart g.series[data-series="trainLoss"] circle.dot').count(),
      training.trainLoss.filter((v) => v !== null).length,
    );

    // Exports: the confusion matrix as CSV, a label-entropy chart as SVG.
    const csvText = await download(page, '#panel-training .confusion .export-button:text("CSV")');
    assert.equal(csvText.trim().split(/\r\n/).length, 101);
    assert.match(await download(page, '#panel-training .label-entropy.labelGivenPred .export-button:text("SVG")'), /^<svg[^>]*xmlns/);
    await closeChecked(page, problems);
  });

  it('draws the input diversity bars: one group per class and all, n/a markers for undefined values, the dataset toggle', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training svg.diversity-bars');
    // One answer: each class's draws of n, and "all" = their union, n × the classes inputs.
    const diversity = await embedded<InputDiversityAnswer>(page, queries.inputDiversity(f.manifest, 'probe'));
    const all = diversity.rows[0];
    assert.equal(all.class, 'all');
    all.counts.forEach((c, s) => assert.equal(c, all.bits[s] === null ? 0 : diversity.sizes[s] * f.manifest.dataset.classNames.length));
    assert.equal(await page.locator('#panel-training svg.diversity-bars g.bar-group').count(), 11);
    assert.equal(await page.getAttribute('#panel-training svg.diversity-bars g.bar-group >> nth=0', 'data-group'), 'all');
    const nulls = diversity.rows.flatMap((r) => r.bits.filter((b) => b === null)).length;
    assert.equal(await page.locator('#panel-training svg.diversity-bars g.bar.na .na-marker').count(), nulls);
    const defined = diversity.rows.flatMap((r) => r.bits.filter((b) => b !== null));
    const shown = (
      await page.$$eval('#panel-training svg.diversity-bars g.bar:not(.na)', (els) => els.map((e) => Number(e.getAttribute('data-bits'))))
    ).sort();
    assert.deepEqual(shown, defined.slice().sort());
    if (defined.length) {
      await page.hover('#panel-training svg.diversity-bars g.bar:not(.na) >> nth=0');
      assert.match((await page.textContent('#tooltip')) ?? '', new RegExp(`${defined[0].toFixed(3)} bits`));
    }
    await page.click('#panel-training .diversity .toggle:text("whole dataset")');
    // A report written without the dataset's diversity says so as information, not as a failure.
    await page.waitForSelector('#panel-training .diversity .status.not-in-report');
    assert.match((await page.textContent('#panel-training .diversity .status.not-in-report')) ?? '', /holds no answer/);
    assert.equal(await page.locator('#panel-training .diversity .status.error').count(), 0);
    await page.click('#panel-training .diversity .toggle:text("probe set")');
    await page.waitForSelector('#panel-training svg.diversity-bars');
    await closeChecked(page, problems);
  });

  it('looks right in the light, dark and high-contrast themes', async () => {
    const { page, problems } = await openReport(browser(), 'training');
    await page.waitForSelector('#panel-training rect.cm-cell');
    await page.click('#panel-training rect.cm-cell[data-true="1"][data-pred="1"]');
    await page.mouse.move(0, 0);
    await screenshot(page, 'training-light');
    for (const theme of ['dark', 'high-contrast'] as const) {
      await page.selectOption('select[aria-label=Theme]', theme);
      await screenshot(page, `training-${theme}`);
    }
    await closeChecked(page, problems);
  });

  it('marks exactly the undefined entropies of a synthetic report (long class names, nulls at known places)', async () => {
    const f = await browserFixture();
    const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck', 'bicycle', 'person'];
    const n = names.length;
    const epochs = [0, 1, 2, 3];
    const manifest = { ...f.manifest, id: 'synthetic-training', epochs, dataset: { ...f.manifest.dataset, classNames: names } };
    // Class c is undefined at epoch index c % 4 for even c in H(label|pred); class 5 at epochs 0 and 1 in H(pred|label).
    const hLabelGivenPred = names.map((_, c) => epochs.map((_, i) => (c % 2 === 0 && i === c % 4 ? null : 0.1 * ((c + i) % 7))));
    const hPredGivenLabel = names.map((_, c) => epochs.map((_, i) => (c === 5 && i < 2 ? null : 0.05 * ((c * i) % 9))));
    const training: TrainingAnswer = {
      epochs,
      classNames: names,
      trainLoss: [null, 1.2, 0.8, 0.5],
      trainAccuracy: [null, 0.5, 0.7, 0.8],
      probeLoss: [2.4, 1.1, 0.9, 0.6],
      probeAccuracy: [0.1, 0.5, 0.65, 0.78],
      hLabelGivenPred,
      hPredGivenLabel,
    };
    const cells = names.map((_, t) =>
      names.map((_, p) => (t === p ? [t * 10, t * 10 + 1, t * 10 + 2] : p === (t + 1) % n ? [t * 10 + 3] : [])),
    );
    const confusion: ConfusionAnswer = { epoch: 3, classNames: names, matrix: cells.map((r) => r.map((c) => c.length)), cells };
    const diversity: InputDiversityAnswer = {
      source: 'probe',
      sizes: [100, 500, 1000],
      classNames: names,
      rows: [
        // "All classes" is the union of the classes' draws: 100 of each, none at 500 (classes 0–9 are smaller).
        { class: 'all', available: 9840, bits: [12, null, null], counts: [100 * n, 0, 0] },
        ...names.map((_, c) => ({
          class: c,
          available: 100 + c * 40,
          bits: [10 + c * 0.1, c >= 10 ? 13 : null, null],
          counts: [100, c >= 10 ? 500 : 0, 0],
        })),
      ],
    };
    // The pictures of cell (true 2, predicted 2), as VS Code would answer them: 8×8 RGB gradients.
    const pictured = cells[2][2];
    const pixels = new Float32Array(pictured.length * 8 * 8 * 3).map((_, i) => (i % 192) / 191);
    const inputs: InputsAnswer = {
      inputs: pictured,
      labels: pictured.map(() => 2),
      images: encodeFloat32([pictured.length, 8, 8, 3], pixels),
      min: 0,
      max: 1,
    };
    const answers: ReportData['answers'] = {
      [canonicalQuery(queries.inputs({ kind: 'indices', indices: pictured }))]: { answer: inputs },
      [canonicalQuery(queries.training())]: { answer: training },
      [canonicalQuery(queries.confusion(3))]: { answer: confusion },
      [canonicalQuery(queries.inputDiversity(manifest, 'probe'))]: { answer: diversity },
    };
    const data: ReportData = {
      formatVersion: 1,
      runId: manifest.id,
      createdAt: new Date().toISOString(),
      manifest,
      answers,
      coverage: 'a synthetic test report',
    };
    const file = writePage(join(tempDir('cnn-slicer-training-'), 'report.html'), { data, title: 'synthetic training view' });
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'training');
    await page.waitForSelector('#panel-training .label-entropy svg.chart');
    await page.waitForSelector('#panel-training rect.cm-cell');
    const expectedPred = ['0@0', '2@2', '4@0', '6@2', '8@0', '10@2'].sort();
    assert.deepEqual(nullsOf(hLabelGivenPred, epochs), expectedPred);
    assert.deepEqual(await markersOf(page, 'labelGivenPred'), expectedPred);
    assert.deepEqual(await markersOf(page, 'predGivenLabel'), ['5@0', '5@1']);
    assert.equal(await page.locator('#panel-training .label-entropy.labelGivenPred g.series').count(), n);
    // A gap, not a zero: class 0's line has no point at epoch 0.
    assert.equal(await page.locator('#panel-training .label-entropy.labelGivenPred g.series[data-class="0"] circle.dot').count(), 3);
    assert.match((await page.textContent('#panel-training .label-entropy.labelGivenPred .undefined-note')) ?? '', /6 such points/);
    assert.equal(await page.locator('#panel-training rect.cm-cell').count(), n * n);
    assert.deepEqual(await shownMatrix(page), confusion.matrix);
    assert.equal(await page.locator('#panel-training svg.diversity-bars g.bar-group').count(), n + 1);
    assert.equal(
      await page.locator('#panel-training svg.diversity-bars g.bar.na').count(),
      diversity.rows.flatMap((r) => r.bits.filter((b) => b === null)).length,
    );
    // The "all" bar at 500 per class says which classes cannot give 500, not that "all" has too few inputs.
    await page.hover('#panel-training svg.diversity-bars g.bar-group[data-group="all"] g.bar[data-size="500"]');
    assert.equal(
      (await page.textContent('#tooltip')) ?? '',
      `all classes, 500 per class (${500 * n} inputs of all classes): n/a — needs 500 inputs of every class, classes ${names.slice(0, 10).join(', ')} have fewer`,
    );
    await page.mouse.move(0, 0);
    // A cell whose pictures the data source has: one thumbnail per input, drawn (not blank).
    await page.click('#panel-training rect.cm-cell[data-true="2"][data-pred="2"]');
    await page.waitForSelector('[data-testid=cell-input] canvas.thumb');
    assert.deepEqual(
      await page.$$eval('[data-testid=cell-input]', (els) => els.map((e) => Number(e.getAttribute('data-index')))),
      pictured,
    );
    const drawn = await page.$$eval('[data-testid=cell-input] canvas.thumb', (els) =>
      els.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        return { w: canvas.width, h: canvas.height, distinct: new Set(Array.from(px)).size };
      }),
    );
    assert.equal(drawn.length, pictured.length);
    for (const d of drawn) {
      assert.deepEqual([d.w, d.h], [8, 8]);
      assert.ok(d.distinct > 10, 'the thumbnail shows the picture, not a flat fill');
    }
    await screenshot(page, 'training-synthetic');
    await closeChecked(page, problems);
  });
});
