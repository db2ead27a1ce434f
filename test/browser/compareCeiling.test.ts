// The comparison report in real Chromium, read as a user reads it: values at their ceiling
// log2(N(N−1)) are drawn against that ceiling and marked, with a sentence saying the difference is
// no finding; layers are named by their short names; and the label entropies of every class are
// shown side by side, one colour per run. Expected values come from the answers embedded in the
// report (never from what the view draws).
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { writeComparisonReport } from '../../src/cli/compareReport';
import { recordRun } from '../../src/recorder/record';
import type { RunManifest } from '../../src/contract/runFormat';
import { canonicalQuery } from '../../src/contract/queries';
import type { InputDiversityAnswer, InterSampleAnswer, Query, TrainingAnswer } from '../../src/contract/queries';
import { runColour } from '../../webview/compare';
import type { ReportData } from '../../src/contract/reportCodec';
import { shortLayerName } from '../../src/contract/layerLabel';
import { compareEpoch, compareQueries, queries } from '../../src/contract/plan';
import { decodeEntry } from '../../src/contract/reportCodec';
import { closeChecked, launchBrowser, openPage, screenshot, tempDir } from './harness';

const MODELS = resolve(__dirname, '../fixtures/models');

/** The ceiling of an inter-sample entropy of n inputs, and the 3 % band under it (docs/views.md). */
const ceilingOf = (n: number) => Math.log2(n * (n - 1));
const atCeiling = (bits: number | null, n: number) => bits !== null && n > 1 && bits >= 0.97 * ceilingOf(n);

async function record(runs: string, seed: number): Promise<{ folder: string; manifest: RunManifest }> {
  return recordRun({
    modelFile: join(MODELS, 'multiFile.ts'),
    dataset: 'synthetic:300',
    epochs: 2,
    batchSize: 16,
    probeSize: 60,
    runsFolder: runs,
    backend: 'wasm',
    seed,
  });
}

/** The answer the comparison report holds for run `r` (fails when it holds none). */
async function embeddedOf<T>(page: Page, r: number, q: Query): Promise<T> {
  const key = canonicalQuery(q);
  const entry = await page.evaluate(
    ([run, k]) => (JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData).runs?.[run]?.answers[k],
    [r, key] as const,
  );
  assert.ok(entry, `the report holds ${key} for run ${r}`);
  const decoded = await decodeEntry(entry);
  assert.ok('answer' in decoded, `the report holds an answer to ${key} for run ${r}`);
  return decoded.answer as T;
}

describe('browser: the comparison at the ceiling, layer names and every class’s label entropies', function () {
  this.timeout(240_000);
  let browser: Browser | undefined;
  let report = '';
  let darkReport = '';
  let manifests: RunManifest[] = [];

  before(async function () {
    const dir = tempDir('cnn-slicer-browser-compare-ceiling-');
    const runs = join(dir, 'runs');
    const a = await record(runs, 1);
    const b = await record(runs, 2);
    manifests = [a.manifest, b.manifest];
    report = join(dir, 'compare.html');
    darkReport = join(dir, 'compare-dark.html');
    await writeComparisonReport({ runFolders: [a.folder, b.folder], out: report, theme: 'light' });
    await writeComparisonReport({ runFolders: [a.folder, b.folder], out: darkReport, theme: 'dark' });
    browser = await launchBrowser();
  });

  after(async () => browser?.close());

  it('draws each inter-sample entropy against its ceiling, marks those at it and says the difference is no finding', async function () {
    const { page, problems } = await openPage(browser!, report);
    await page.waitForSelector('.compare-layers-table tbody tr');
    const bothAtCeiling: string[] = [];
    for (const l of manifests[0].layers) {
      const names = manifests.map((m) => shortLayerName(m.layers[l.index], m.layers));
      // Named by the short layer name, not by the type.
      const head = await page.$eval(`.compare-layers-table tr[data-layer="${l.index}"] td.layer-name`, (e) => e.textContent ?? '');
      assert.ok(head.includes(names[0]), `row ${l.index} names its layer ${names[0]}: "${head}"`);
      const flags: boolean[] = [];
      for (let r = 0; r < manifests.length; r++) {
        const a = await embeddedOf<InterSampleAnswer>(page, r, queries.interSample(l.index, compareEpoch(manifests[r])!, { kind: 'all' }));
        const cell = `.compare-layers-table tr[data-layer="${l.index}"] td.compare-value.inter-sample[data-run="${r}"]`;
        const attrs = await page.$eval(cell, (e) => ({
          ceiling: e.getAttribute('data-ceiling'),
          ticks: e.querySelectorAll('.ceiling-tick').length,
          text: e.textContent ?? '',
        }));
        const expected = atCeiling(a.bits, a.inputCount);
        flags.push(expected);
        assert.equal(attrs.ceiling === 'true', expected, `layer ${l.index} run ${r}: ${a.bits} bits of ${a.inputCount} inputs`);
        assert.equal(attrs.ticks, 1, `layer ${l.index} run ${r}: the ceiling is drawn`);
        if (expected) assert.match(attrs.text, /ceiling/, `layer ${l.index} run ${r} says it is at the ceiling`);
      }
      if (flags.every(Boolean)) bothAtCeiling.push(names[0]);
    }
    assert.ok(bothAtCeiling.length > 0, 'the raw inputs of both runs are at the ceiling');
    const note = await page.$eval('.compare-layers [data-testid=compare-ceiling-note]', (e) => e.textContent ?? '');
    assert.match(note, /not a finding/);
    if (bothAtCeiling.length === manifests[0].layers.length) assert.match(note, /every layer compared/);
    else for (const name of bothAtCeiling) assert.ok(note.includes(name), `the note names ${name}: ${note}`);
    await closeChecked(page, problems);
  });

  it('draws the ceiling of the input-diversity bars, marks the bars at it and says so', async function () {
    const { page, problems } = await openPage(browser!, report);
    await page.waitForSelector('.compare-diversity svg.diversity-compare');
    const answers = await Promise.all(
      manifests.map((_, r) => embeddedOf<InputDiversityAnswer>(page, r, compareQueries.inputDiversity(manifests))),
    );
    const s = answers[0].sizes.length - 1; // the size shown first: the largest
    const groupsAtCeiling: number[] = [];
    for (let g = 0; g < answers[0].rows.length; g++) {
      const flags = answers.map((a) => atCeiling(a.rows[g].bits[s], a.rows[g].counts[s]));
      for (let r = 0; r < answers.length; r++) {
        const bar = await page.$(`.compare-diversity g.bar-group[data-group="${g}"] rect.bar[data-run="${r}"]`);
        assert.ok(bar, `group ${g} run ${r} has a bar`);
        assert.equal((await bar.getAttribute('data-ceiling')) === 'true', flags[r], `group ${g} run ${r}`);
      }
      const lines = await page.$$(`.compare-diversity g.bar-group[data-group="${g}"] .ceiling-line`);
      assert.ok(lines.length >= 1, `group ${g}: its ceiling is drawn`);
      if (flags.every(Boolean)) groupsAtCeiling.push(g);
    }
    assert.ok(groupsAtCeiling.length > 0, 'some group of both runs is at the ceiling');
    const note = await page.$eval('.compare-diversity [data-testid=compare-ceiling-note]', (e) => e.textContent ?? '');
    assert.match(note, /not a finding/);
    await closeChecked(page, problems);
  });

  it('shows the label entropies of every class, one small chart per class and one colour per run', async function () {
    const { page, problems } = await openPage(browser!, report);
    await page.waitForSelector('.compare-class-multiples');
    const training = await Promise.all(manifests.map((_, r) => embeddedOf<TrainingAnswer>(page, r, queries.training())));
    const classes = manifests[0].dataset.classNames.length;
    for (const kind of ['labelGivenPred', 'predGivenLabel'] as const) {
      const panels = await page.$$(`.compare-class-multiples [data-measure="${kind}"] [data-class]`);
      assert.equal(panels.length, classes, `${kind}: one chart per class`);
      for (let c = 0; c < classes; c++) {
        for (let r = 0; r < manifests.length; r++) {
          const t = training[r];
          const values = (kind === 'labelGivenPred' ? t.hLabelGivenPred : t.hPredGivenLabel)[c];
          const points = await page.$$eval(
            `.compare-class-multiples [data-measure="${kind}"] [data-class="${c}"] [data-run="${r}"] circle.point`,
            (els) =>
              els.map((e) => ({
                epoch: Number(e.getAttribute('data-epoch')),
                bits: Number(e.getAttribute('data-bits')),
                fill: (e as SVGElement).style.fill,
              })),
          );
          const expected = t.epochs.flatMap((e, i) => (values[i] === null ? [] : [{ epoch: e, bits: values[i] }]));
          assert.equal(points.length, expected.length, `${kind} class ${c} run ${r}: a point per defined epoch`);
          points.forEach((p, i) => {
            assert.equal(p.epoch, expected[i].epoch);
            assert.ok(Math.abs(p.bits - expected[i].bits) < 1e-6, `${kind} class ${c} run ${r} epoch ${p.epoch}`);
            assert.equal(p.fill, runColour(r));
          });
        }
      }
    }
    await screenshot(page, 'compare-ceiling-light');
    await closeChecked(page, problems);
    const dark = await openPage(browser!, darkReport);
    await dark.page.waitForSelector('.compare-class-multiples');
    await screenshot(dark.page, 'compare-ceiling-dark');
    await closeChecked(dark.page, dark.problems);
  });
});
