// The Network view (after CNNVis) at full size: at Auto zoom the LeNet graph fills the panel's
// height with thumbnails and class strips large enough to read, a ResNet-style graph keeps its
// clusters at a readable size and scrolls, no layer title is cut short, a report holds every
// epoch's graph (the slider and ▶ play through them, or ▶ is disabled with its reason where one is
// missing), and a click's tooltip does not stay over the page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { NetworkGraphAnswer } from '../../src/contract/queries';
import type { ReportData } from '../../src/contract/reportCodec';
import { browserFixture, closeChecked, embedded, openPage, openReport, screenshot, tempDir, useBrowser, writePage } from './harness';
import { resnetReport } from './resnetNetwork';
import { embeddedJson } from '../../src/contract/page';

const CANVAS = '[data-testid=network-canvas]';
/** The named minimums, in screen px at Auto zoom. */
const MIN_GRAPH_HEIGHT = 450;
const MIN_THUMB = 28;
const MIN_STRIP = 6;
const MIN_CLUSTER = 40;

interface Sizes {
  height: number;
  zoom: number;
  thumb: number;
  strip: number;
  truncated: number;
  /** The smallest cluster's width and height on screen. */
  cluster: { w: number; h: number };
}

async function sizes(page: Page): Promise<Sizes> {
  const box = (await page.locator(CANVAS).boundingBox())!;
  const zoom = Number(await page.getAttribute(CANVAS, 'data-zoom'));
  const clusters = await page.$$eval('[data-testid=network-summary] li[data-cluster]', (els) =>
    els.map((el) => ({ w: Number(el.getAttribute('data-w')), h: Number(el.getAttribute('data-h')) })),
  );
  return {
    height: box.height,
    zoom,
    thumb: Number((await page.getAttribute(CANVAS, 'data-thumb-px')) || 0),
    strip: Number((await page.getAttribute(CANVAS, 'data-strip-px')) || 0),
    truncated: Number((await page.getAttribute(CANVAS, 'data-truncated-titles')) ?? NaN),
    cluster: { w: Math.min(...clusters.map((c) => c.w)) * zoom, h: Math.min(...clusters.map((c) => c.h)) * zoom },
  };
}

/** Moves the Network view's epoch slider to an index, as dragging it would. */
async function setSlider(page: Page, index: number): Promise<void> {
  await page.$eval(
    '.network-toolbar input[type=range]',
    (el, i) => {
      (el as HTMLInputElement).value = String(i);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    index,
  );
}

async function reportData(): Promise<ReportData> {
  const html = readFileSync((await browserFixture()).report, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  return JSON.parse(json) as ReportData;
}

describe('browser: the Network view at full size', function () {
  const browser = useBrowser(this);

  it('fills the panel at Auto zoom on LeNet (1280 × 900): tall graph, readable thumbnails and class strips, whole titles', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    const last = f.manifest.epochs[f.manifest.epochs.length - 1];
    await page.waitForSelector(`${CANVAS}[data-epoch="${last}"]`);
    const height = (await page.locator(CANVAS).boundingBox())!.height;
    assert.ok(height >= MIN_GRAPH_HEIGHT, `graph ${height} px tall (at least ${MIN_GRAPH_HEIGHT})`);
    // The thumbnails are drawn once their pictures are read.
    await page.waitForFunction((s) => (document.querySelector(s)?.getAttribute('data-thumb-px') ?? '') !== '', CANVAS);
    const s = await sizes(page);
    assert.ok(s.thumb >= MIN_THUMB, `thumbnails ${s.thumb} px (at least ${MIN_THUMB})`);
    assert.ok(s.strip >= MIN_STRIP, `class strips ${s.strip} px (at least ${MIN_STRIP})`);
    assert.ok(s.cluster.h >= MIN_CLUSTER && s.cluster.w >= MIN_CLUSTER, `smallest cluster ${s.cluster.w} × ${s.cluster.h} px`);
    assert.equal(s.truncated, 0, 'no layer title is cut short');
    // Every layer node holds its whole title: the answer's nodes, by the manifest's layers.
    const answer = await embedded<NetworkGraphAnswer>(page, { kind: 'networkGraph', epoch: last });
    assert.equal(Number(await page.getAttribute(CANVAS, 'data-nodes')), answer.nodes.length);
    await screenshot(page, 'network-full-lenet');
    await page.selectOption('select[aria-label="Theme"]', 'dark');
    await page.waitForFunction(() => document.body.classList.contains('vscode-dark'));
    await screenshot(page, 'network-full-lenet-dark');
    await closeChecked(page, problems);
  });

  it('keeps a ResNet-style graph’s clusters at a readable size and scrolls', async () => {
    const { data, last } = resnetReport((await browserFixture()).manifest);
    const file = writePage(join(tempDir('cnn-slicer-network-full-'), 'resnet.html'), { data });
    const { page, problems } = await openPage(browser(), file, { width: 1280, height: 900 });
    await page.waitForSelector(`${CANVAS}[data-epoch="${last}"]`);
    const s = await sizes(page);
    assert.ok(s.cluster.h >= MIN_CLUSTER && s.cluster.w >= MIN_CLUSTER, `smallest cluster ${s.cluster.w} × ${s.cluster.h} px`);
    assert.ok(s.strip >= MIN_STRIP, `class strips ${s.strip} px`);
    assert.equal(s.truncated, 0, 'no layer title is cut short');
    const scroll = await page.$eval('.network-scroll', (el) => ({
      w: el.scrollWidth - el.clientWidth,
      h: el.scrollHeight - el.clientHeight,
    }));
    assert.ok(scroll.w > 0 || scroll.h > 0, 'the large graph scrolls');
    await screenshot(page, 'network-full-resnet');
    await closeChecked(page, problems);
  });

  it('holds every epoch’s graph in a report: the slider and ▶ go through them', async () => {
    const f = await browserFixture();
    const { page, problems } = await openReport(browser());
    const epochs = f.manifest.epochs;
    for (const e of epochs) await embedded<NetworkGraphAnswer>(page, { kind: 'networkGraph', epoch: e });
    await page.waitForSelector(`${CANVAS}[data-epoch="${epochs[epochs.length - 1]}"]`);
    // The slider to the first epoch: its graph, no note.
    await setSlider(page, 0);
    await page.waitForSelector(`${CANVAS}[data-epoch="${epochs[0]}"]`);
    assert.equal(await page.locator('.network-view .not-in-report').count(), 0);
    // ▶ plays to the last epoch.
    const play = page.locator('.network-toolbar button[aria-label="Play through the epochs"]');
    assert.equal(await play.isDisabled(), false);
    await play.click();
    await page.waitForSelector(`${CANVAS}[data-epoch="${epochs[epochs.length - 1]}"]`, { timeout: 20_000 });
    await closeChecked(page, problems);
  });

  it('disables ▶ with its reason when a report lacks an epoch’s graph', async () => {
    const f = await browserFixture();
    const data = await reportData();
    const first = f.manifest.epochs[0];
    delete data.answers[canonicalQuery({ kind: 'networkGraph', epoch: first })];
    const file = writePage(join(tempDir('cnn-slicer-network-full-'), 'missing.html'), { data });
    const { page, problems } = await openPage(browser(), file);
    await page.waitForSelector('[data-testid=network-epochs-note]');
    const play = page.locator('.network-toolbar button[aria-label="Play through the epochs"]');
    assert.equal(await play.isDisabled(), true);
    const reason = (await play.getAttribute('title')) ?? '';
    const held = f.manifest.epochs.filter((e) => e !== first);
    assert.match(
      reason,
      new RegExp(`holds the network graph at epochs? ${held.length > 2 ? `${held[0]}–${held[held.length - 1]}` : held.join(', ')} only`),
    );
    await setSlider(page, 0);
    await page.waitForFunction(
      (e) => (document.querySelector('[data-testid=network-epochs-note]')?.textContent ?? '').includes(`No network graph at epoch ${e}`),
      first,
    );
    await screenshot(page, 'network-full-missing-epoch');
    await closeChecked(page, problems);
  });

  it('hides the tooltip when a cluster is clicked', async () => {
    const { page, problems } = await openReport(browser());
    await page.waitForSelector(CANVAS);
    const c = await page.$eval('[data-testid=network-summary] li[data-cluster]', (el) => ({
      x: Number(el.getAttribute('data-x')) + Number(el.getAttribute('data-w')) / 2,
      y: Number(el.getAttribute('data-y')) + Number(el.getAttribute('data-h')) / 2,
    }));
    const margin = Number(await page.getAttribute(CANVAS, 'data-margin'));
    const zoom = Number(await page.getAttribute(CANVAS, 'data-zoom'));
    await page.$eval('.network-scroll', (el) => el.scrollTo(0, 0));
    await page.locator(CANVAS).scrollIntoViewIfNeeded();
    const box = (await page.locator(CANVAS).boundingBox())!;
    const at = { x: box.x + (margin + c.x) * zoom, y: box.y + (margin + c.y) * zoom };
    await page.mouse.move(at.x, at.y);
    await page.waitForFunction(() => !document.getElementById('tooltip')!.hidden);
    await page.mouse.click(at.x, at.y);
    await page.waitForFunction(() => document.getElementById('tooltip')!.hidden, undefined, { timeout: 5_000 });
    await closeChecked(page, problems);
  });
});
