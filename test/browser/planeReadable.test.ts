// The information plane read at a glance: the axes fit the trajectories (a far ceiling is named in
// an inset note instead of stretching the axis), no two layer labels overlap, each layer has its own
// marker shape, and in a comparison each ceiling is named once. On the recorded LeNet fixture's
// report; expected values come from the answers embedded in it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { InformationPlaneAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { decodeEntry } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, embedded, openPage, openView, screenshot, tempDir, useBrowser, writePage } from './harness';
import { embeddedJson } from '../../src/contract/page';

const PLANE = '#panel-information svg.information-plane';

interface Rect {
  text: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

async function rects(page: Page, selector: string): Promise<Rect[]> {
  return page.$$eval(selector, (els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { text: e.textContent ?? '', x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
}

/** Every pair of boxes that intersect, in words. */
function overlaps(boxes: Rect[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) out.push(`"${a.text}" × "${b.text}"`);
    }
  return out;
}

/** The axis checks: each axis reaches past its largest point, not far past, and a ceiling beyond it is noted. */
async function checkAxes(page: Page, plane: string, a: InformationPlaneAnswer): Promise<void> {
  // Each axis's top, read from its tick labels (the bottom axis is drawn first, the left one second).
  const [xMax, yMax] = await page.$$eval(`${plane} g.axis`, (axes) =>
    axes.map((g) => Math.max(...Array.from(g.querySelectorAll('.tick text')).map((t) => Number(t.textContent)))),
  );
  const points = a.layers.flatMap((l) => l.points);
  const dataX = Math.max(...points.map((p) => p.ixt ?? 0));
  const dataY = Math.max(...points.map((p) => p.ity ?? 0));
  for (const [axis, top, data, ceiling] of [
    ['ixt', xMax, dataX, a.ceilings.ixt],
    ['ity', yMax, dataY, a.ceilings.ity],
  ] as const) {
    assert.ok(top >= data, `${axis}: the axis (to ${top}) reaches the largest point (${data})`);
    if (ceiling === null || ceiling === undefined) continue;
    if (ceiling > data * 1.5) {
      assert.ok(top <= data * 1.6, `${axis}: the axis (to ${top}) fits the data (at most ${data}), not the ceiling ${ceiling}`);
      const note = await page.$$eval(`${plane} text.ip-off-scale[data-axis=${axis}]`, (ts) => ts.map((t) => t.textContent ?? ''));
      assert.equal(note.length, 1, `${axis}: the off-scale ceiling is noted once`);
      assert.match(note[0], new RegExp(`= ${ceiling.toFixed(3)} bits, off the scale`));
    } else {
      assert.ok(top >= ceiling, `${axis}: the ceiling ${ceiling} near the data is in range (axis to ${top})`);
      assert.equal(await page.$$eval(`${plane} g.ip-ceiling[data-axis=${axis}] line`, (ls) => ls.length), 1);
    }
  }
}

async function reportData(): Promise<ReportData> {
  const html = readFileSync((await browserFixture()).report, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  return JSON.parse(json) as ReportData;
}

/**
 * The fixture report with its pairwise information plane grown to more layers, as a deeper model's:
 * `count(plane)` copies of its own layers (`copy(k)`: which measured layer, its new name and the scale of its
 * points' I(X;T) and I(T;Y)), written as a page; returns the page file and the grown plane.
 */
async function deeperPlanePage(
  page: string,
  count: (a: InformationPlaneAnswer) => number,
  copy: (k: number, a: InformationPlaneAnswer) => { from: number; name: string; ixt: number; ity: number },
): Promise<{ file: string; plane: InformationPlaneAnswer }> {
  const data = await reportData();
  const key = canonicalQuery({ kind: 'informationPlane', estimator: 'pairwise' });
  const decoded = await decodeEntry(data.answers[key]);
  assert.ok('answer' in decoded);
  const a = decoded.answer as InformationPlaneAnswer;
  const layers = [...data.manifest.layers];
  const copies = Array.from({ length: count(a) }, (_, k) => copy(k, a));
  const extra = copies.map((c, k) => ({ ...layers[a.layers[c.from].layer], index: layers.length + k, name: c.name }));
  const plane: InformationPlaneAnswer = {
    ...a,
    layers: [
      ...a.layers,
      ...copies.map((c, k) => ({
        layer: extra[k].index,
        points: a.layers[c.from].points.map((p) => ({
          ...p,
          ixt: p.ixt === null ? null : p.ixt * c.ixt,
          ity: p.ity === null ? null : p.ity * c.ity,
        })),
      })),
    ],
  };
  const grown: ReportData = {
    ...data,
    manifest: { ...data.manifest, layers: [...layers, ...extra] },
    answers: { ...data.answers, [key]: { answer: plane } },
  };
  return { file: writePage(join(tempDir('cnn-slicer-plane-'), page), { data: grown }), plane };
}

describe('browser: the information plane at a glance', function () {
  const browser = useBrowser(this);

  for (const theme of ['light', 'dark'] as const)
    it(`fits its axes to the data, keeps the labels apart and gives each layer its own marker (${theme})`, async () => {
      const data = await reportData();
      const file = writePage(join(tempDir('cnn-slicer-plane-'), `plane-${theme}.html`), { data, theme });
      const { page, problems } = await openPage(browser(), file);
      await openView(page, 'information');
      for (const estimator of ['pairwise', 'binned'] as const) {
        if (estimator === 'binned') await page.click('#panel-information .info-toolbar button[data-estimator="binned"]');
        await page.waitForSelector(`${PLANE}[data-estimator="${estimator}"]`);
        const a = await embedded<InformationPlaneAnswer>(page, { kind: 'informationPlane', estimator });
        await checkAxes(page, PLANE, a);
        const labels = await rects(page, `${PLANE} text.ip-label`);
        assert.equal(labels.length, a.layers.length, 'every layer is labelled');
        const notes = await rects(page, `${PLANE} text.ip-off-scale`);
        assert.deepEqual(overlaps([...labels, ...notes]), [], `${estimator}: no two labels overlap`);
        await screenshot(page, `plane-${estimator}-${theme}`);
      }
      await closeChecked(page, problems);
    });

  it('gives each of ten layers its own marker shape', async () => {
    // The fixture's plane with three more layers (copies of conv1, pool1 and conv2 under new names), as a deeper model has.
    const { file, plane } = await deeperPlanePage(
      'deeper.html',
      () => 3,
      (k) => ({ from: k, name: `extra_${k + 1}`, ixt: 0.8, ity: 0.9 }),
    );
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    await page.waitForSelector(`${PLANE}[data-estimator="pairwise"]`);
    const markers = await page.$$eval('#panel-information .ip-layer-legend svg.ip-marker path', (ps) => ps.map((p) => p.getAttribute('d')));
    assert.equal(markers.length, plane.layers.length);
    assert.ok(plane.layers.length >= 10);
    assert.equal(new Set(markers).size, plane.layers.length, `${plane.layers.length} layers, ${new Set(markers).size} marker shapes`);
    const labels = await rects(page, `${PLANE} text.ip-label`);
    assert.deepEqual(overlaps(labels), [], 'no two labels overlap');
    await screenshot(page, 'plane-ten-layers');
    await closeChecked(page, problems);
  });

  it('labels only what fits on a plane of 67 layers, and a point of an unlabelled layer names it on hover', async () => {
    // A ResNet18 run has 67 measured layers: the fixture's plane with layers added (copies of its
    // own, under new names, at points spread over its range), most of them crowded together.
    const LAYERS = 67;
    const { file, plane } = await deeperPlanePage(
      'deep.html',
      (a) => LAYERS - a.layers.length,
      (k, a) => ({
        from: k % a.layers.length,
        name: `layer${1 + (k % 4)}.${k % 2}.conv${1 + (k % 3)}_${k}`,
        ixt: 0.6 + ((k * 37) % 40) / 100,
        ity: 0.6 + ((k * 53) % 40) / 100,
      }),
    );
    assert.equal(plane.layers.length, LAYERS);
    const { page, problems } = await openPage(browser(), file);
    await openView(page, 'information');
    await page.waitForSelector(`${PLANE}[data-estimator="pairwise"][data-trajectories="${LAYERS}"]`);
    const labels = await rects(page, `${PLANE} text.ip-label`);
    const notes = await rects(page, `${PLANE} text.ip-off-scale`);
    assert.deepEqual(overlaps([...labels, ...notes]), [], 'no two labels overlap');
    assert.ok(labels.length >= 3, `some layers are labelled (${labels.length})`);
    assert.ok(labels.length < LAYERS, `not all 67 labels fit (${labels.length} drawn)`);
    assert.equal(await page.$eval(PLANE, (svg) => Number(svg.getAttribute('data-labelled'))), labels.length);
    // Every label names a different layer, and sits in its own trajectory.
    const owners = await page.$$eval(`${PLANE} g.ip-trajectory:has(text.ip-label)`, (gs) => gs.map((g) => g.getAttribute('data-layer')));
    assert.equal(new Set(owners).size, labels.length);
    // An unlabelled layer's last point names the layer in its tooltip.
    const unlabelled = await page.$$eval(`${PLANE} g.ip-trajectory:not(:has(text.ip-label))`, (gs) =>
      gs.map((g) => Number(g.getAttribute('data-layer'))),
    );
    assert.equal(unlabelled.length, LAYERS - labels.length);
    const layer = unlabelled[unlabelled.length - 1];
    const point = page.locator(`${PLANE} g.ip-trajectory[data-layer="${layer}"] g.ip-point`).last();
    await point.hover({ force: true });
    const tip = page.locator('.tooltip');
    await tip.waitFor({ state: 'visible' });
    // The layer's label as the legend writes it.
    const name = await page.$eval(`#panel-information .ip-layer-legend button[data-layer="${layer}"]`, (b) => b.textContent ?? '');
    assert.ok(name.length > 0);
    assert.ok(((await tip.textContent()) ?? '').startsWith(`${name} · epoch`), `the tooltip names ${name}: ${await tip.textContent()}`);
    await screenshot(page, 'plane-67-layers');
    await closeChecked(page, problems);
  });

  it('names each ceiling once in a comparison, and keeps the labels of both runs apart', async () => {
    // The fixture's run twice: run B's capacity ceiling differs (a different probe size would), its H(S) is the same.
    const data = await reportData();
    const key = canonicalQuery({ kind: 'informationPlane', estimator: 'pairwise' });
    const decoded = await decodeEntry(data.answers[key]);
    assert.ok('answer' in decoded);
    const a = decoded.answer as InformationPlaneAnswer;
    const b: InformationPlaneAnswer = { ...a, ceilings: { ...a.ceilings, ixt: (a.ceilings.ixt ?? 0) + 0.5 } };
    const runOf = (id: string, plane: InformationPlaneAnswer) => ({
      runId: id,
      manifest: { ...data.manifest, id },
      answers: { ...data.answers, [key]: { answer: plane } },
      coverage: data.coverage,
    });
    const compared: ReportData = { ...data, answers: {}, runs: [runOf(`${data.runId}-a`, a), runOf(`${data.runId}-b`, b)] };
    for (const theme of ['light', 'dark'] as const) {
      const file = writePage(join(tempDir('cnn-slicer-plane-compare-'), `compare-${theme}.html`), {
        data: compared,
        title: 'compare',
        theme,
      });
      const { page, problems } = await openPage(browser(), file);
      const plane = '.compare-information-plane svg.information-plane';
      await page.waitForSelector(`${plane}[data-estimator="pairwise"]`);
      const ceilingTexts = await page.$$eval(`${plane} .ip-ceiling`, (gs) =>
        gs.map((g) => `${g.getAttribute('data-axis')}: ${g.textContent}`),
      );
      assert.deepEqual(
        ceilingTexts.filter((t) => t.startsWith('ity')),
        [`ity: H(S) = ${a.ceilings.ity!.toFixed(3)}`],
        'H(S), equal in both runs, is named once',
      );
      assert.deepEqual(
        ceilingTexts.filter((t) => t.startsWith('ixt')).sort(),
        [a.ceilings.ixt!, b.ceilings.ixt!].map((c, r) => `ixt: ${'AB'[r]}: capacity ceiling = ${c.toFixed(3)}`).sort(),
        'each run’s capacity ceiling is named once, with its run',
      );
      const labels = await rects(page, `${plane} text.ip-label`);
      assert.equal(labels.length, 2 * a.layers.length);
      const ceilingLabels = await rects(page, `${plane} text.ip-ceiling-label`);
      assert.deepEqual(overlaps([...labels, ...ceilingLabels]), [], 'no two labels overlap');
      await screenshot(page, `plane-compare-${theme}`);
      await closeChecked(page, problems);
    }
  });
});
