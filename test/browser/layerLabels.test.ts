// Short layer labels where the user reads them: within a run no two layers share a label (a layer
// tfjs named is never called like one the user named), and a comparison never shows one label for
// two different layers (two unnamed models whose convolutions pair off differently).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeComparisonReport } from '../../src/cli/compareReport';
import type { RunManifest } from '../../src/contract/runFormat';
import { copyFixtureRun } from '../support/fixtureRuns';
import type { ReportData } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, openPage, openView, screenshot, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

describe('browser: short layer labels are unique', function () {
  this.timeout(180_000);
  const browser = useBrowser(this);

  it("never calls a layer tfjs named like the user's own layer of the run", async () => {
    const f = await browserFixture();
    const json = embeddedJson(readFileSync(f.report, 'utf8'));
    assert.ok(json, 'the report embeds its data');
    const data = JSON.parse(json) as ReportData;
    const manifest: RunManifest = structuredClone(data.manifest);
    // The user named the first convolution "conv2"; tfjs named the second (the second of its kind).
    const convs = manifest.layers.filter((l) => l.className === 'Conv2D');
    assert.equal(convs.length, 2);
    convs[0].name = 'conv2';
    convs[1].name = 'conv2d_Conv2D2';
    const file = writePage(join(tempDir('cnn-slicer-layer-labels-'), 'labels.html'), { data: { ...data, manifest } });
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'channel');
    const select = 'select[aria-label="Layer shown in the Channel view"]';
    await page.waitForSelector(select);
    const options = await page.$$eval(`${select} option`, (os) => os.map((o) => (o.textContent ?? '').replace(/^\d+ · | \(.*$/g, '')));
    assert.equal(new Set(options).size, options.length, options.join(', '));
    assert.equal(options[convs[0].index - 1], 'conv2');
    assert.equal(options[convs[1].index - 1], 'conv3', `the generated convolution moves past the user's conv2: ${options.join(', ')}`);
    await closeChecked(page, problems);
  });

  it('shows each label of a comparison on one row only, in the table and the information plane', async () => {
    // The tiny model (seed 1) and one conv block (seed 2), checked in under test/fixtures/runs.
    const a = copyFixtureRun('tiny', 'cnn-slicer-browser-compare-labels-');
    const b = copyFixtureRun('one-conv-block-seed2', 'cnn-slicer-browser-compare-labels-');
    const dir = dirname(a.runs);
    const report = join(dir, 'compare.html');
    await writeComparisonReport({ runFolders: [a.folder, b.folder], out: report, theme: 'light' });
    const { page, problems } = await openPage(browser(), report);
    await page.waitForSelector('.compare-layers-table tbody tr');
    const rows = await page.$$eval('.compare-layers-table tbody td.layer-name', (tds) =>
      tds.map((td) => (td.firstChild?.textContent ?? '').trim()),
    );
    // A: conv, conv (10×10×6), pool, …; B: conv (10×10×6), pool, …: B's only conv pairs with A's second.
    assert.deepEqual(rows.slice(0, 3), ['input', 'conv1 / —', 'conv2']);
    const rowsOf = new Map<string, number[]>();
    rows.forEach((r, k) => {
      for (const label of r.split(' / ')) if (label !== '—') rowsOf.set(label, [...new Set([...(rowsOf.get(label) ?? []), k])]);
    });
    for (const [label, at] of rowsOf) assert.equal(at.length, 1, `${label} names the layers of rows ${at.join(', ')}: ${rows.join(' | ')}`);
    // The compared information plane names B's conv as its row does.
    const legend = '.compare-information-plane .ip-layer-legend';
    if (await page.$(legend)) {
      const labels = await page.$$eval(`${legend} button`, (bs) => bs.map((b) => (b.textContent ?? '').trim()));
      assert.ok(labels.some((l) => l.endsWith('B conv2')) && !labels.some((l) => l.endsWith('B conv1')), labels.join(', '));
    }
    await screenshot(page, 'compare-layer-labels');
    await closeChecked(page, problems);
  });
});
