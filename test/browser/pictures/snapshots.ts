// Picture tests (docs/testing.md "Picture tests"), after Observable Plot's test/plot-snapshot.js:
// each chart of webview/charts/ is drawn alone from a fixed input in Chromium, and what it drew is
// compared with a snapshot checked in under test/snapshots/pictures/: an SVG chart's normalised
// element tree (serialise.ts; text, so fonts never matter), a canvas chart's pixels (PNG, with a
// tolerance). A mismatch fails the test and writes the actual picture, and for a canvas a picture
// of the differing pixels, to test-artifacts/snapshots/. UPDATE_SNAPSHOTS=1 rewrites the snapshots.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { webviewPage } from '../../../src/contract/page';
import { closeChecked, launchBrowser, tempDir } from '../harness';
import type { ChartName, ChartProps, PicturePageApi } from './entry';
import type { SerialiseOptions } from '../../support/serialise';
import { expectTextSnapshot, ROOT, writeFailure, writeSnapshotIfAsked } from '../../support/snapshotFiles';

export const SNAPSHOTS = join(ROOT, 'test', 'snapshots', 'pictures');

/** A channel differing by more than this (of 255) makes a pixel differ: anti-aliasing may move a little between machines. */
const CHANNEL_TOLERANCE = 24;
/** The share of a canvas's pixels that may differ before its picture does. */
const PIXEL_TOLERANCE = 0.002;

let page: Promise<string> | undefined;

/** The picture page (entry.tsx bundled, with the stylesheet, under the webview's CSP), built once per test process. */
function picturePage(): Promise<string> {
  page ??= (async () => {
    const bundle = await build({
      entryPoints: [join(__dirname, 'entry.tsx')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'warning',
    });
    const file = join(tempDir('cnn-slicer-pictures-'), 'pictures.html');
    const html = webviewPage({
      title: 'pictures',
      nonce: 'cGljdHVyZXM=',
      script: { inline: bundle.outputFiles[0].text },
      style: { inline: readFileSync(join(ROOT, 'media/webview.css'), 'utf8') },
      theme: 'light',
    });
    writeFileSync(file, html);
    return file;
  })();
  return page;
}

export interface Pictures {
  /** Draws a chart from its fixed input in a box `width` px wide, the page's earlier chart gone. */
  draw<K extends ChartName>(chart: K, props: ChartProps<K>, width?: number): Promise<Page>;
}

/**
 * The picture page of a `describe`: call it first in the callback with `this`. Bundles the page and
 * opens it in Chromium before the tests, and after them fails on any page error, console error,
 * CSP violation or network request the page reported, then closes it.
 */
export function usePictures(suite: Mocha.Suite): Pictures {
  suite.timeout(60_000);
  let browser: Browser | undefined;
  let opened: { page: Page; problems: string[] } | undefined;
  suite.beforeAll(async () => {
    const file = await picturePage();
    browser = await launchBrowser();
    const p = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const problems: string[] = [];
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    p.on('request', (r) => {
      if (!/^(file|data|blob):/.test(r.url())) problems.push(`network request: ${r.url()}`);
    });
    await p.goto(`file://${file}`);
    opened = { page: p, problems };
  });
  suite.afterAll(async () => {
    if (opened) await closeChecked(opened.page, opened.problems);
    await browser?.close();
  });
  return {
    async draw(chart, props, width = 800) {
      assert.ok(opened, 'the picture page is opened in the before hook of usePictures');
      const p = opened.page;
      await p.evaluate(([c, json, w]) => (window as unknown as { picture: PicturePageApi }).picture.draw(c, json, w), [
        chart,
        props,
        width,
      ] as const);
      // Effects (a canvas's drawing, a measured width) run after the first frame: two frames let them settle.
      await p.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      assert.deepEqual(opened.problems, [], `drawing ${chart} went wrong`);
      return p;
    },
  };
}

/**
 * Compares the chart under `selector` (an `<svg>`, or an HTML element holding inline SVGs) with the
 * snapshot `name` (`.svg`, or `.html` for HTML). The first run, or UPDATE_SNAPSHOTS=1, writes it.
 */
export async function expectSvg(page: Page, name: string, selector: string, o: SerialiseOptions = {}): Promise<void> {
  const actual = await page.evaluate(([s, opts]) => (window as unknown as { picture: PicturePageApi }).picture.serialise(s, opts), [
    selector,
    o,
  ] as const);
  expectTextSnapshot(SNAPSHOTS, name, actual);
}

/**
 * Compares a canvas's pixels (or a part of them, in CSS pixels) with the PNG snapshot `name`: the
 * sizes must match and at most PIXEL_TOLERANCE of the pixels differ by more than CHANNEL_TOLERANCE.
 * A failure writes the drawn PNG and `<name>.diff.png` (the differing pixels red over a faint copy).
 */
export async function expectPng(
  page: Page,
  name: string,
  selector: string,
  crop?: { x: number; y: number; width: number; height: number },
): Promise<void> {
  const url = await page.evaluate(([s, c]) => (window as unknown as { picture: PicturePageApi }).picture.canvas(s, c ?? undefined), [
    selector,
    crop ?? null,
  ] as const);
  comparePng(name, Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
}

/**
 * Compares every canvas under `selector`, each at its own pixels side by side in the page's order
 * (2 px apart), with the PNG snapshot `name`, as expectPng does: a chart of many small canvases.
 */
export async function expectPngs(page: Page, name: string, selector: string): Promise<void> {
  const url = await page.evaluate((s) => (window as unknown as { picture: PicturePageApi }).picture.canvases(s), selector);
  comparePng(name, Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
}

/** The PNG `actual` against its snapshot `name` (written when asked to): sizes equal, pixels within the tolerances. */
function comparePng(name: string, actual: Buffer): void {
  const expectedFile = join(SNAPSHOTS, name);
  if (writeSnapshotIfAsked(expectedFile, actual)) return;
  const a = PNG.sync.read(readFileSync(expectedFile));
  const b = PNG.sync.read(actual);
  if (a.width !== b.width || a.height !== b.height) {
    const [file] = writeFailure({ [name]: actual });
    assert.fail(`${name}: the canvas is ${b.width}×${b.height}, its snapshot ${a.width}×${a.height} (drawn: ${file})`);
  }
  const diff = new PNG({ width: a.width, height: a.height });
  let differing = 0;
  for (let k = 0; k < a.data.length; k += 4) {
    const off = Math.max(...[0, 1, 2, 3].map((c) => Math.abs(a.data[k + c] - b.data[k + c]))) > CHANNEL_TOLERANCE;
    if (off) differing++;
    const grey = 255 - Math.round((255 - (a.data[k] + a.data[k + 1] + a.data[k + 2]) / 3) * 0.25);
    diff.data.set(off ? [255, 0, 0, 255] : [grey, grey, grey, 255], k);
  }
  const pixels = a.width * a.height;
  if (differing <= PIXEL_TOLERANCE * pixels) return;
  const [file, diffFile] = writeFailure({ [name]: actual, [name.replace(/\.png$/, '.diff.png')]: PNG.sync.write(diff) });
  assert.fail(
    `${name}: ${differing} of ${pixels} pixels differ from its snapshot ${relative(ROOT, expectedFile)} ` +
      `(at most ${Math.floor(PIXEL_TOLERANCE * pixels)} may): drawn ${file}, differences ${diffFile}; UPDATE_SNAPSHOTS=1 accepts it`,
  );
}
