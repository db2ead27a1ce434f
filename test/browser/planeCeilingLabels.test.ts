// The comparison's information plane when the runs' H(S) differ a little (0.479 and 0.462 bits in
// the issue: two lines a few pixels apart): each run's H(S) line carries its own label, on that line
// (not on the other run's), in the run's colour and naming the run, and no note sits on a line.
// Geometry measured in the page; the expected positions come from the axis's own ticks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { InformationPlaneAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { decodeEntry } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, openPage, screenshot, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

const PLANE = '.compare-information-plane svg.information-plane';

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Two runs of the fixture's pairwise plane: B's H(S) 0.017 bits below A's (as 0.462 against 0.479), B's capacity ceiling further out. */
async function comparison(): Promise<{ data: ReportData; hs: [number, number] }> {
  const html = readFileSync((await browserFixture()).report, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  const data = JSON.parse(json) as ReportData;
  const key = canonicalQuery({ kind: 'informationPlane', estimator: 'pairwise' });
  const decoded = await decodeEntry(data.answers[key]);
  assert.ok('answer' in decoded);
  const a = decoded.answer as InformationPlaneAnswer;
  const hsA = a.ceilings.ity;
  assert.ok(typeof hsA === 'number' && hsA > 0.1, `the fixture has an H(S): ${hsA}`);
  const hsB = hsA - 0.017;
  // B's points below its own H(S), as I(T;Y) ≤ H(S) holds for every run.
  const b: InformationPlaneAnswer = {
    ...a,
    ceilings: { ixt: (a.ceilings.ixt ?? 0) + 0.5, ity: hsB },
    layers: a.layers.map((l) => ({ ...l, points: l.points.map((p) => ({ ...p, ity: p.ity === null ? null : p.ity * 0.95 })) })),
  };
  const runOf = (id: string, plane: InformationPlaneAnswer) => ({
    runId: id,
    manifest: { ...data.manifest, id },
    answers: { ...data.answers, [key]: { answer: plane } },
    coverage: data.coverage,
  });
  return { data: { ...data, answers: {}, runs: [runOf(`${data.runId}-a`, a), runOf(`${data.runId}-b`, b)] }, hs: [hsA, hsB] };
}

/** The page y of `bits` on the plane's left axis, from its tick labels (two ticks make the linear scale). */
async function axisY(page: Page, bits: number): Promise<number> {
  const ticks = await page.$$eval(`${PLANE} g.axis`, (axes) =>
    Array.from(axes[1].querySelectorAll('.tick')).map((t) => ({
      value: Number(t.querySelector('text')?.textContent),
      y: t.querySelector('line')!.getBoundingClientRect().y,
    })),
  );
  const [t0, t1] = [ticks[0], ticks[ticks.length - 1]];
  return t0.y + ((bits - t0.value) * (t1.y - t0.y)) / (t1.value - t0.value);
}

const crosses = (lineY: number, b: Box): boolean => lineY > b.y - 0.5 && lineY < b.y + b.height + 0.5;
const intersects = (a: Box, b: Box): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('browser: the H(S) line of each run in a comparison carries its own label', function () {
  const browser = useBrowser(this);

  for (const theme of ['light', 'dark'] as const)
    it(`puts each run's H(S) label on its own line, in its colour, and no note on a line (${theme})`, async () => {
      const { data, hs } = await comparison();
      const file = writePage(join(tempDir('cnn-slicer-plane-hs-'), `hs-${theme}.html`), { data, title: 'compare', theme });
      const { page, problems } = await openPage(browser(), file, { width: 1280, height: 900 });
      await page.waitForSelector(`${PLANE}[data-estimator="pairwise"]`);
      const lines = await page.$$eval(`${PLANE} g.ip-ceiling[data-axis=ity]`, (gs) =>
        gs.map((g) => {
          const label = g.querySelector('text')!;
          const r = label.getBoundingClientRect();
          return {
            text: label.textContent ?? '',
            fill: getComputedStyle(label).fill,
            lineY: g.querySelector('line')!.getBoundingClientRect().y,
            label: { x: r.x, y: r.y, width: r.width, height: r.height },
          };
        }),
      );
      assert.equal(lines.length, 2, `one H(S) line per run: ${lines.map((l) => l.text).join('; ')}`);
      const runStroke = await page.$$eval(`${PLANE} g.ip-trajectory path.ip-line`, (paths) =>
        Object.fromEntries(paths.map((p) => [p.closest('g.ip-trajectory')!.getAttribute('data-run'), getComputedStyle(p).stroke])),
      );
      assert.notEqual(runStroke['0'], runStroke['1'], 'the runs have their own colours');
      for (const [r, bits] of hs.entries()) {
        const letter = 'AB'[r];
        const value = bits.toFixed(3);
        const own = lines.filter((l) => l.text.includes(`H(S) = ${value}`));
        assert.equal(own.length, 1, `run ${letter}'s H(S) = ${value} is labelled once: ${lines.map((l) => l.text).join('; ')}`);
        const [l] = own;
        assert.ok(l.text.includes(letter), `the label names run ${letter}: "${l.text}"`);
        const y = await axisY(page, bits);
        assert.ok(
          Math.abs(l.lineY - y) <= 1,
          `run ${letter}'s line is at ${value} bits (y ${l.lineY.toFixed(1)}, axis says ${y.toFixed(1)})`,
        );
        const mid = l.label.y + l.label.height / 2;
        assert.ok(
          Math.abs(mid - l.lineY) <= 2,
          `"${l.text}" sits on its own line (its middle at y ${mid.toFixed(1)}, its line at ${l.lineY.toFixed(1)})`,
        );
        assert.equal(l.fill, runStroke[String(r)], `"${l.text}" is in run ${letter}'s colour`);
      }
      // No H(S) line runs through a note or through another run's label.
      const notes = await page.$$eval(`${PLANE} text.ip-off-scale`, (ts) =>
        ts.map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent ?? '', box: { x: r.x, y: r.y, width: r.width, height: r.height } };
        }),
      );
      assert.ok(notes.length > 0, 'the capacity ceilings are off the scale and noted');
      for (const l of lines) {
        for (const n of notes) assert.ok(!crosses(l.lineY, n.box), `the line of "${l.text}" runs through the note "${n.text}"`);
        for (const o of lines) if (o !== l) assert.ok(!crosses(l.lineY, o.label), `the line of "${l.text}" runs through "${o.text}"`);
      }
      // Labels of lines, notes and trajectories stay apart.
      const labels = await page.$$eval(`${PLANE} text.ip-label`, (ts) =>
        ts.map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent ?? '', box: { x: r.x, y: r.y, width: r.width, height: r.height } };
        }),
      );
      const all = [...lines.map((l) => ({ text: l.text, box: l.label })), ...notes, ...labels];
      for (let i = 0; i < all.length; i++)
        for (let j = i + 1; j < all.length; j++)
          assert.ok(!intersects(all[i].box, all[j].box), `"${all[i].text}" overlaps "${all[j].text}"`);
      await page.locator(PLANE).scrollIntoViewIfNeeded();
      await screenshot(page, `plane-compare-hs-${theme}`);
      await closeChecked(page, problems);
    });
});
