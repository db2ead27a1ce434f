// The comparison in a narrow panel (three editor columns), of a run with fewer epochs than the
// other: every chart fits its width or scrolls visibly, and a run's missing epochs end its line
// with a sentence saying so, not an "undefined" marker.
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { writeComparisonReport } from '../../src/cli/compareReport';
import type { ReportData } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, openPage, screenshot, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

/** Cuts every per-epoch array of an answer to its first `n` epochs (arrays per class are cut inside). */
function firstEpochs(value: unknown, epochs: number, n: number): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === epochs && !value.some(Array.isArray)) return value.slice(0, n);
  return value.map((v) => firstEpochs(v, epochs, n));
}

/** A comparison of the fixture run (A, cut to its first two epochs) with a copy of it (B, three epochs). */
async function comparisonPage(theme: 'light' | 'dark'): Promise<string> {
  const fixture = await browserFixture();
  const dir = tempDir('cnn-slicer-browser-narrow-');
  const copy = join(dir, 'runs', 'copy');
  cpSync(fixture.runFolder, copy, { recursive: true });
  const out = join(dir, 'compare.html');
  await writeComparisonReport({ runFolders: [fixture.runFolder, copy], out, theme });
  const json = embeddedJson(readFileSync(out, 'utf8'));
  assert.ok(json, 'the report embeds its data');
  const data = JSON.parse(json) as ReportData;
  const a = data.runs![0];
  assert.deepEqual(a.manifest.epochs, [0, 1, 2], 'the fixture records epochs 0–2');
  a.manifest = { ...a.manifest, epochs: [0, 1] };
  for (const [key, entry] of Object.entries(a.answers)) {
    if ((JSON.parse(key) as { kind: string }).kind !== 'training' || 'omitted' in entry) continue;
    const plain = ('gzip' in entry ? JSON.parse(gunzipSync(Buffer.from(entry.gzip, 'base64')).toString('utf8')) : entry) as {
      answer: { epochs: number[] };
    };
    const n = plain.answer.epochs.length;
    a.answers[key] = { answer: Object.fromEntries(Object.entries(plain.answer).map(([k, v]) => [k, firstEpochs(v, n, 2)])) };
  }
  return writePage(join(dir, `narrow-${theme}.html`), { data, theme });
}

/** Charts wider than the space they are given, not inside a box that scrolls them visibly. */
async function cutOffCharts(page: Page): Promise<string[]> {
  return page.$$eval('svg.chart, table.data', (els) =>
    els.flatMap((el) => {
      const width = el.getBoundingClientRect().width;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const style = getComputedStyle(p);
        const scrolls = /auto|scroll/.test(style.overflowX) && p.scrollWidth > p.clientWidth;
        if (scrolls) return [];
        if (style.overflowX !== 'visible' || p === document.body) {
          return width > p.clientWidth + 1
            ? [`${el.closest('[class*="compare"]')?.className ?? el.tagName}: ${Math.round(width)} px in ${p.clientWidth} px`]
            : [];
        }
      }
      return width > document.documentElement.clientWidth + 1 ? [`${el.tagName}: ${Math.round(width)} px in the page`] : [];
    }),
  );
}

describe('browser: the comparison in a narrow panel, of runs with different epochs', function () {
  const browser = useBrowser(this);

  for (const theme of ['light', 'dark'] as const) {
    it(`fits every chart in 320 px or scrolls it visibly (${theme})`, async function () {
      const { page, problems } = await openPage(browser(), await comparisonPage(theme), { width: 320, height: 900 });
      await page.waitForSelector('.compare-label-entropy svg.chart');
      await page.waitForSelector('.compare-layers-table');
      assert.deepEqual(await cutOffCharts(page), []);
      // The loss chart, a line chart, takes its card's width rather than scrolling.
      const curves = await page.$eval('.compare-curves svg.chart', (s) => ({
        svg: s.getBoundingClientRect().width,
        room: s.closest('.card-body')!.clientWidth,
      }));
      assert.ok(curves.svg <= curves.room, `the loss chart (${curves.svg} px) fits its card (${curves.room} px)`);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 320, 'the page itself does not scroll sideways');
      await screenshot(page, `compare-narrow-${theme}`);
      await closeChecked(page, problems);
    });
  }

  it('ends the line of a run at its last epoch and says it has no later epoch, never "undefined"', async function () {
    const { page, problems } = await openPage(browser(), await comparisonPage('light'), { width: 900, height: 900 });
    await page.waitForSelector('.compare-label-entropy svg.chart');
    const labels = await page.$$eval('.compare-label-entropy .undefined-marker', (els) =>
      els.map((e) => e.getAttribute('data-label') ?? ''),
    );
    assert.deepEqual(
      labels.filter((l) => /^A\b.*epoch 2/.test(l)),
      [],
      'no undefined marker for an epoch run A never recorded',
    );
    const svg = page.locator('.compare-label-entropy svg.chart').first();
    await svg.focus();
    await page.keyboard.press('End');
    const tip = (await page.textContent('#tooltip')) ?? '';
    assert.match(tip, /^Epoch 2/);
    assert.ok(tip.includes('A has no epoch 2 (2 epochs recorded)'), tip);
    assert.ok(!/A\s*undefined/.test(tip), tip);

    // The small multiples of every class: A's lines end at its last epoch, and a sentence says why.
    await page.waitForSelector('.compare-class-multiples [data-testid=missing-epochs]');
    const note = await page.textContent('.compare-class-multiples [data-testid=missing-epochs]');
    assert.equal(note, 'A has no epoch 2 (2 epochs recorded): its lines end at epoch 1.');
    const aEpochs = await page.$$eval('.compare-class-multiples [data-run="0"] circle.point', (els) =>
      els.map((e) => Number(e.getAttribute('data-epoch'))),
    );
    assert.ok(aEpochs.length > 0 && Math.max(...aEpochs) === 1, `A's points stop at epoch 1: ${aEpochs.join(', ')}`);
    const undefinedRuns = await page.$$eval('.compare-class-multiples .undefined-runs', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(
      !undefinedRuns.some((t) => t.startsWith('A')),
      `A is not called undefined for its missing epoch: ${undefinedRuns.join('; ')}`,
    );
    await page.locator('.compare-class-multiples').scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-class-multiples-missing-epochs');
    await closeChecked(page, problems);
  });
});
