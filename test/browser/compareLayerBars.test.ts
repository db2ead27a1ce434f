// "Layers side by side" read as a bar chart: in every column of the table (a run's inter-sample
// entropy, a run's mean channel entropy) the bars start at one x, whatever the text after them
// ("at ceiling" on the convolutions, none on dense1 and output), so a smaller value never looks
// larger. Measured in the page at the widths of a wide editor: 1280, 1400 and 1920 px.
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeComparisonReport } from '../../src/cli/compareReport';
import type { InterSampleAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { interSampleCeiling } from '../../webview/charts/diversityBars';
import { browserFixture, closeChecked, openPage, screenshot, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

/** The layers whose inter-sample entropy is set at its ceiling, as a model's convolutions often are. */
const AT_CEILING = ['conv1', 'pool1', 'conv2', 'pool2'];

describe('browser: the bars of "Layers side by side" share a baseline', function () {
  const browser = useBrowser(this);
  let report = '';

  before(async () => {
    // The fixture run and a copy of it, their convolutions' inter-sample entropy at its ceiling
    // ("at ceiling" after the value), dense1's and output's below it (no text after the value).
    const fixture = await browserFixture();
    const dir = tempDir('cnn-slicer-browser-layer-bars-');
    const copy = join(dir, 'runs', 'copy');
    cpSync(fixture.runFolder, copy, { recursive: true });
    const out = join(dir, 'compare.html');
    await writeComparisonReport({ runFolders: [fixture.runFolder, copy], out, theme: 'light' });
    const json = embeddedJson(readFileSync(out, 'utf8'));
    assert.ok(json, 'the report embeds its data');
    const data = JSON.parse(json) as ReportData;
    let set = 0;
    for (const run of data.runs ?? []) {
      const atCeiling = new Set(run.manifest.layers.filter((l) => AT_CEILING.includes(l.name)).map((l) => l.index));
      for (const [key, entry] of Object.entries(run.answers)) {
        const q = JSON.parse(key) as { kind: string; layer?: number };
        if (q.kind !== 'interSample' || !atCeiling.has(q.layer ?? -1) || 'omitted' in entry) continue;
        const plain = ('gzip' in entry ? JSON.parse(gunzipSync(Buffer.from(entry.gzip, 'base64')).toString('utf8')) : entry) as {
          answer: InterSampleAnswer;
        };
        run.answers[key] = { answer: { ...plain.answer, bits: interSampleCeiling(plain.answer.inputCount) } };
        set++;
      }
    }
    assert.equal(set, 2 * AT_CEILING.length, 'each run has the inter-sample entropy of the four layers');
    report = writePage(join(dir, 'layer-bars.html'), { data, title: 'compare' });
  });

  for (const width of [1280, 1400, 1920])
    it(`starts every bar of a column at the same x at ${width} px`, async () => {
      const { page, problems } = await openPage(browser(), report, { width, height: 900 });
      await page.waitForSelector('.compare-layers-table td.compare-value svg rect');
      const bars = await page.$$eval('.compare-layers-table tr.compared td.compare-value', (tds) =>
        tds.map((td) => {
          const row = td.closest('tr')!;
          const rect = td.querySelector('svg rect')!.getBoundingClientRect();
          return {
            column: `${td.classList.contains('inter-sample') ? 'inter-sample' : 'mean-channel'} of run ${td.getAttribute('data-run')}`,
            layer: row.querySelector('td.layer-name')?.textContent ?? '',
            x: rect.x,
            atCeiling: td.getAttribute('data-ceiling') === 'true',
          };
        }),
      );
      const columns = [...new Set(bars.map((b) => b.column))];
      assert.equal(columns.length, 4, `two runs × two measures: ${columns.join(', ')}`);
      assert.ok(
        bars.some((b) => b.atCeiling) && bars.some((b) => !b.atCeiling && b.column.startsWith('inter-sample')),
        'the table mixes values at their ceiling with values below it',
      );
      for (const column of columns) {
        const of = bars.filter((b) => b.column === column);
        assert.ok(of.length >= 4, `${column}: ${of.length} bars`);
        const left = Math.min(...of.map((b) => b.x));
        const off = of.filter((b) => Math.abs(b.x - left) > 0.5).map((b) => `${b.layer.trim()} at +${(b.x - left).toFixed(1)} px`);
        assert.deepEqual(off, [], `${column}: every bar starts at x = ${left.toFixed(1)}`);
      }
      await page.locator('.compare-layers').scrollIntoViewIfNeeded();
      await screenshot(page, `compare-layer-bars-${width}`);
      await closeChecked(page, problems);
    });
});
