// The Training performance view follows the slice's input subset (paper 5.2: the confusion matrix
// and the line charts of the selected inputs), says on each chart which inputs it is over, and its
// confusion matrix keeps its emphasis in every theme. The page is the fixture's report, plus the
// `training` answer of the subset as the real analysis engine computes it; expected values come
// from the embedded answers (the confusion cells over every probe input, the subset's curves).
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { ConfusionAnswer, TrainingAnswer } from '../../src/contract/queries';
import { AnalysisEngine } from '../../src/service/engine';
import { AnalysisClient } from '../../src/service/client';
import type { ReportData } from '../../src/contract/reportCodec';
import { queries } from '../../src/contract/plan';
import {
  browserFixture,
  closeChecked,
  connectBridge,
  download,
  embedded,
  newCheckedPage,
  openPage,
  openReport,
  openView,
  screenshot,
  tempDir,
  useBrowser,
  writePage,
} from './harness';

const SUBSET = { kind: 'classes' as const, classes: [2, 3, 4, 5, 6, 7, 8, 9] };

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

async function markersOf(page: Page, kind: 'labelGivenPred' | 'predGivenLabel'): Promise<string[]> {
  const list = await page.$$eval(`#panel-training .label-entropy.${kind} svg.chart .undefined-marker`, (els) =>
    els.map((e) => `${e.getAttribute('data-class')}@${e.getAttribute('data-epoch')}`),
  );
  return list.sort();
}

function nullsOf(values: (number | null)[][], epochs: number[]): string[] {
  return values.flatMap((row, c) => row.flatMap((v, i) => (v === null ? [`${c}@${epochs[i]}`] : []))).sort();
}

/** Picks classes 2–9 as the slice's inputs in the Query view and applies the slice. */
async function dropClasses01(page: Page): Promise<void> {
  await openView(page, 'query');
  await page.click('[data-testid=subset-classes]');
  for (const c of [0, 1]) await page.locator('[aria-label="Classes in the slice"] input[type=checkbox]').nth(c).uncheck();
  assert.match((await page.textContent('[data-testid=slice-summary]')) ?? '', /x = classes 2, 3, 4, 5, 6, 7, 8, 9,/);
  await page.click('[data-testid=apply-query]');
  await page.waitForSelector('text=applied');
}

/** Fills of the matrix cells with their counts, and the theme's background. */
async function cellFills(page: Page): Promise<{ background: string; cells: { count: number; fill: string }[] }> {
  return page.evaluate(() => ({
    background: getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim(),
    cells: Array.from(document.querySelectorAll('#panel-training rect.cm-cell')).map((e) => ({
      count: Number(e.getAttribute('data-count')),
      fill: getComputedStyle(e).fill,
    })),
  }));
}

/** The WCAG relative luminance of a CSS colour (`rgb(…)` or `#rrggbb`). */
function luminance(colour: string): number {
  const hex = /^#([0-9a-f]{6})$/i.exec(colour);
  const [r, g, b] = hex ? [0, 2, 4].map((k) => parseInt(hex[1].slice(k, k + 2), 16)) : (colour.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  const lin = (v: number) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The WCAG contrast ratio of two colours. */
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

describe('browser: the Training view follows the input subset; the confusion matrix in every theme', function () {
  const browser = useBrowser(this);
  let withSubset: string;
  let withoutSubset: string;
  let subsetAnswer: TrainingAnswer;
  let data: ReportData;
  let dir: string;
  before(async () => {
    const f = await browserFixture();
    const opened = await openReport(browser());
    data = await opened.page.evaluate(() => JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData);
    await closeChecked(opened.page, opened.problems);
    const engine = new AnalysisEngine({ roots: [dirname(f.runFolder)], splitForward: false });
    try {
      subsetAnswer = (await engine.answer(f.runFolder, queries.training(SUBSET))).answer;
    } finally {
      engine.close();
    }
    dir = tempDir('cnn-slicer-training-subset-');
    withoutSubset = writePage(join(dir, 'without.html'), { data, title: 'without the subset' });
    const more: ReportData = {
      ...data,
      answers: { ...data.answers, [canonicalQuery(queries.training(SUBSET))]: { answer: subsetAnswer } },
    };
    withSubset = writePage(join(dir, 'with.html'), { data: more, title: 'with the subset' });
  });

  it("draws the confusion matrix, label entropies and probe curves of the slice's inputs, and says so on each chart", async () => {
    const { page, problems } = await openPage(browser(), withSubset);
    await dropClasses01(page);
    await openView(page, 'training');
    await page.waitForSelector('#panel-training rect.cm-cell');
    // The matrix: the cells over every probe input (embedded), restricted to the inputs of classes 2–9.
    const all = await embedded<ConfusionAnswer>(page, queries.confusion(2));
    assert.ok(all.cells);
    const expected = all.cells.map((row, t) => row.map((cell) => (SUBSET.classes.includes(t) ? cell.length : 0)));
    assert.deepEqual(await shownMatrix(page), expected);
    const total = expected.flat().reduce((a, b) => a + b, 0);
    const correct = expected.reduce((a, row, t) => a + row[t], 0);
    assert.ok(total > 0 && total < all.matrix.flat().reduce((a, b) => a + b, 0));
    const note = (await page.textContent('#panel-training .confusion .chart-note')) ?? '';
    assert.match(note, new RegExp(`^Epoch 2: ${correct} of ${total} of the slice's inputs predicted right`));
    assert.equal(await page.getAttribute('#panel-training [data-testid=confusion-scope]', 'data-scope'), 'subset');
    assert.match(
      (await page.textContent('#panel-training [data-testid=confusion-scope]')) ?? '',
      new RegExp(`classes 2, 3, 4, 5, 6, 7, 8, 9 \\(${total} probe inputs\\)`),
    );

    // The label entropies are the subset's: an undefined marker wherever its answer is null.
    const embeddedSubset = await embedded<TrainingAnswer>(page, queries.training(SUBSET));
    assert.equal(embeddedSubset.inputCount, subsetAnswer.inputCount);
    for (const kind of ['labelGivenPred', 'predGivenLabel'] as const) {
      const values = kind === 'labelGivenPred' ? embeddedSubset.hLabelGivenPred : embeddedSubset.hPredGivenLabel;
      assert.deepEqual(await markersOf(page, kind), nullsOf(values, embeddedSubset.epochs));
    }
    // Classes 0 and 1 have no input in the subset: H(pred | label) is undefined for them at every epoch.
    assert.ok(embeddedSubset.hPredGivenLabel[0].every((v) => v === null));
    // Every line chart says which inputs it is over; the loss chart adds that the training set is not the subset's.
    const scopes = await page.$$eval('#panel-training [data-testid=training-scope]', (els) =>
      els.map((e) => ({ scope: e.getAttribute('data-scope'), text: e.textContent ?? '' })),
    );
    assert.equal(scopes.length, 3);
    for (const s of scopes) {
      assert.equal(s.scope, 'subset');
      assert.match(
        s.text,
        new RegExp(`the slice's inputs: classes 2, 3, 4, 5, 6, 7, 8, 9 \\(${embeddedSubset.inputCount} probe inputs\\)`),
      );
    }
    assert.match(scopes[2].text, /^Probe loss and accuracy \(dashed\) over .*training-set lines \(solid\) are over the whole training set/);
    // The loss chart's probe lines are the subset's: its export holds the subset's probe accuracy and loss.
    const csv = (await download(page, '#panel-training .loss-chart .export-button:text("CSV")')).trim().split(/\r\n/);
    const rows = csv.slice(1).map((line) => line.split(','));
    assert.deepEqual(
      rows.map((r) => Number(r[4])),
      embeddedSubset.probeAccuracy,
    );
    // The input diversity draws its own n per class: it says the slice does not apply.
    assert.match(
      (await page.textContent('#panel-training [data-testid=diversity-scope]')) ?? '',
      /the slice's inputs \(classes 2, 3, 4, 5, 6, 7, 8, 9\) do not apply here/,
    );
    assert.notDeepEqual(embeddedSubset.probeAccuracy, (await embedded<TrainingAnswer>(page, queries.training())).probeAccuracy);
    await screenshot(page, 'training-subset-light');
    await page.selectOption('select[aria-label=Theme]', 'dark');
    await page.waitForTimeout(200);
    await screenshot(page, 'training-subset-dark');
    await closeChecked(page, problems);
  });

  it('says on each line chart that it shows every probe input when the report lacks the subset, calmly', async () => {
    const { page, problems } = await openPage(browser(), withoutSubset);
    await dropClasses01(page);
    await openView(page, 'training');
    await page.waitForSelector('#panel-training [data-testid=training-scope]');
    const scopes = await page.$$eval('#panel-training [data-testid=training-scope]', (els) =>
      els.map((e) => ({ scope: e.getAttribute('data-scope'), text: e.textContent ?? '' })),
    );
    assert.equal(scopes.length, 3);
    for (const s of scopes) {
      assert.equal(s.scope, 'every');
      assert.match(
        s.text,
        /every probe input: this report does not hold these values for the slice's inputs \(classes 2, 3, 4, 5, 6, 7, 8, 9\)/,
      );
    }
    // The curves drawn are those of every probe input, with no error or warning in their place.
    const training = await embedded<TrainingAnswer>(page, queries.training());
    assert.deepEqual(await markersOf(page, 'predGivenLabel'), nullsOf(training.hPredGivenLabel, training.epochs));
    assert.deepEqual(await page.locator('#panel-training .status, #panel-training [role=alert]').allTextContents(), []);
    // The matrix still follows the subset: its cells come with the answer over every input.
    assert.equal(await page.getAttribute('#panel-training [data-testid=confusion-scope]', 'data-scope'), 'subset');
    await closeChecked(page, problems);
  });

  it('in VS Code mode, asks the real service for the curves of the subset and draws them', async () => {
    const f = await browserFixture();
    const client = new AnalysisClient({ roots: [dirname(f.runFolder)] });
    const { page, problems } = await newCheckedPage(browser());
    try {
      await connectBridge(page, {
        runFolder: f.runFolder,
        runId: f.manifest.id,
        client,
        theme: 'light',
        keepState: false,
        log: (line) => problems.push(line),
      });
      await page.goto(`file://${writePage(join(dir, 'panel.html'))}`);
      await page.waitForSelector('.run-header');
      await dropClasses01(page);
      await openView(page, 'training');
      await page.waitForSelector(
        '#panel-training .label-entropy.predGivenLabel [data-testid=training-scope][data-scope=subset]:has-text("probe inputs")',
        {
          timeout: 60_000,
        },
      );
      // The service's answer is the engine's for the same query (computed above in this process).
      assert.match(
        (await page.textContent('#panel-training .label-entropy.predGivenLabel [data-testid=training-scope]')) ?? '',
        new RegExp(`\\(${subsetAnswer.inputCount} probe inputs\\)`),
      );
      await page.waitForSelector('#panel-training .label-entropy.predGivenLabel svg.chart');
      assert.deepEqual(await markersOf(page, 'predGivenLabel'), nullsOf(subsetAnswer.hPredGivenLabel, subsetAnswer.epochs));
      assert.deepEqual(await markersOf(page, 'labelGivenPred'), nullsOf(subsetAnswer.hLabelGivenPred, subsetAnswer.epochs));
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
      client.dispose();
    }
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as const) {
    it(`in the ${theme} theme, a cell stands further out from the background the more inputs it holds; the legend counts in integers`, async () => {
      const file = writePage(join(dir, `${theme}.html`), { data, theme, title: `confusion ${theme}` });
      const { page, problems } = await openPage(browser(), file);
      await openView(page, 'training');
      await page.waitForSelector('#panel-training rect.cm-cell');
      const answer = await embedded<ConfusionAnswer>(page, queries.confusion(2));
      const { background, cells } = await cellFills(page);
      assert.ok(background, 'the theme sets the editor background');
      // Contrast with the background grows with the count: the diagonal never sinks below a cell of one error.
      const filled = cells.filter((c) => c.count > 0).sort((a, b) => a.count - b.count);
      for (let k = 1; k < filled.length; k++)
        if (filled[k].count > filled[k - 1].count)
          assert.ok(
            contrast(filled[k].fill, background) > contrast(filled[k - 1].fill, background),
            `${theme}: ${filled[k].count} inputs (${filled[k].fill}) stand out more than ${filled[k - 1].count} (${filled[k - 1].fill}) on ${background}`,
          );
      const biggest = Math.max(...answer.matrix.flat());
      assert.ok(contrast(filled[filled.length - 1].fill, background) >= 3, `${theme}: the fullest cell is clearly visible`);
      // The legend runs from the background to the emphasis colour and prints counts as integers.
      const ends = await page.$$eval('#panel-training .confusion .legend .legend-value', (els) => els.map((e) => e.textContent ?? ''));
      assert.deepEqual(ends, ['0', String(biggest)]);
      await page
        .locator('#panel-training .confusion')
        .screenshot({ path: join(dirname(await screenshot(page, `confusion-${theme}`)), `confusion-card-${theme}.png`) });
      await closeChecked(page, problems);
    });
  }
});
