// Shared set-up of the browser tests: Debian Chromium driven by playwright-core (installed on first
// use by scripts/ensure-chromium.mjs), a real recorded fixture run, its standalone report, and
// screenshots kept under test-artifacts/screenshots/ (ignored by git, kept by CI as artifacts).
//
// Every page opened here fails its test on a page error, a console error or a Content Security
// Policy violation: the report runs under the same strict CSP as the VS Code webview.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { canonicalQuery } from '../../src/contract/queries';
import type { Query } from '../../src/contract/queries';
import type { RunManifest } from '../../src/contract/runFormat';
import { decodeEntry } from '../../src/contract/reportCodec';
import { writeReport } from '../../src/cli/report';
import { readRun } from '../../src/run/store';
import type { ReportData } from '../../src/contract/reportCodec';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import { WebviewBridge } from '../../src/extension/panels/webviewBridge';
import { AnalysisClient } from '../../src/service/client';
import type { BridgeOptions } from '../../src/extension/panels/webviewBridge';
import type { WebviewTheme } from '../../src/contract/webviewProtocol';
import { webviewPage } from '../../src/contract/page';
import { copyFixtureRun } from '../support/fixtureRuns';
import type { PageOptions } from '../../src/contract/page';
import { embeddedJson } from '../../src/contract/page';

export const ROOT = resolve(__dirname, '../..');
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

/** The flags that work on these machines (docs/testing.md). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let executable: string | undefined;

export function chromiumPath(): string {
  executable ??= execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-chromium.mjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return executable;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: FLAGS, headless: true });
}

export interface Fixture {
  runFolder: string;
  manifest: RunManifest;
  /** The report of the run, light theme. */
  report: string;
  dir: string;
}

let fixture: Promise<Fixture> | undefined;

/**
 * A real run of examples/mnist-lenet.ts on the MNIST digits (2 epochs, probe of 200: the checked-in
 * fixture run test/fixtures/runs/mnist-lenet, copied once per test process) and its report. The
 * build (dist/webview.js) must exist: npm test builds first.
 */
export function browserFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const { runs, folder } = copyFixtureRun('mnist-lenet', 'cnn-slicer-browser-');
    const dir = dirname(runs);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const report = join(dir, 'report.html');
    await writeReport({
      runFolder: folder,
      out: report,
      maxEpochs: 6,
      deconvolutionChannels: 16,
      datasetDiversity: false,
      theme: 'light',
      // Tests check what a complete report shows, however loaded the machine is.
      maxSeconds: Number.POSITIVE_INFINITY,
    });
    return { runFolder: folder, manifest: readRun(folder).manifest, report, dir };
  })();
  return fixture;
}

/**
 * The browser of one `describe`: call it first in the describe's callback with `this` (the suite).
 * Gives the suite the long timeout, records the fixture and launches Chromium before its tests,
 * and closes Chromium after them. Returns the browser, there once the `before` hooks have run; a
 * suite's own set-up goes in its own `before` hook after this call.
 */
/**
 * A suite's analysis service and panel page, as the extension host has them: an `AnalysisClient`
 * over the fixture run's runs folder and a page file without embedded data (the app waits for the
 * host), made before the suite's tests and the client disposed after.
 */
export function useHostService(suite: Mocha.Suite, pageName: string): { client(): AnalysisClient; pageFile(): string } {
  let client: AnalysisClient | undefined;
  let pageFile: string | undefined;
  suite.beforeAll(async () => {
    const f = await browserFixture();
    client = new AnalysisClient({ roots: [dirname(f.runFolder)] });
    pageFile = writePage(join(f.dir, pageName), { theme: 'dark' });
  });
  suite.afterAll(() => client?.dispose());
  return {
    client: () => {
      assert.ok(client, 'the client is made in the before hook of useHostService');
      return client;
    },
    pageFile: () => {
      assert.ok(pageFile, 'the page is written in the before hook of useHostService');
      return pageFile;
    },
  };
}

export function useBrowser(suite: Mocha.Suite): () => Browser {
  suite.timeout(180_000);
  let browser: Browser | undefined;
  suite.beforeAll(async () => {
    await browserFixture();
    browser = await launchBrowser();
  });
  suite.afterAll(async () => browser?.close());
  return () => {
    assert.ok(browser, 'the browser is launched in the before hook of useBrowser');
    return browser;
  };
}

export interface OpenedPage {
  page: Page;
  /** Page errors, console errors and CSP violations seen so far. */
  problems: string[];
}

/** A fresh page, not yet at any file, that records every problem it reports (see openPage). */
export async function newCheckedPage(browser: Browser, o: { width?: number; height?: number } = {}): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width: o.width ?? 1280, height: o.height ?? 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith('file:') && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`network request: ${url}`);
  });
  return { page, problems };
}

/** Opens a file (the report) in a fresh page and records every problem the page reports. */
export async function openPage(browser: Browser, file: string, o: { width?: number; height?: number } = {}): Promise<OpenedPage> {
  const opened = await newCheckedPage(browser, o);
  await opened.page.goto(`file://${file}`);
  await opened.page.waitForSelector('.run-header');
  return opened;
}

/** Sends a host message to the page as VS Code delivers one to its webview; a page already closed drops it. */
export function postToPage(page: Page): (message: unknown) => void {
  return (m) => void page.evaluate((msg) => window.postMessage(msg, '*'), m as Record<string, unknown>).catch(() => undefined);
}

/**
 * Puts the real WebviewBridge behind `page` as VS Code's webview API (stubVsCodeApi): the page's
 * messages go to the bridge, the bridge's to the page. Call before the page is opened. Reveals,
 * saves and host log lines go nowhere unless the test says where.
 */
export async function connectBridge(
  page: Page,
  o: Omit<BridgeOptions, 'post' | 'theme' | 'revealLayer' | 'save' | 'log'> &
    Partial<Pick<BridgeOptions, 'revealLayer' | 'save' | 'log'>> & { theme: WebviewTheme; keepState: boolean },
): Promise<WebviewBridge> {
  const { theme, keepState, ...rest } = o;
  const bridge = new WebviewBridge({
    revealLayer: () => undefined,
    save: () => undefined,
    log: () => undefined,
    ...rest,
    post: postToPage(page),
    theme: () => theme,
  });
  await page.exposeFunction('__cnnSlicerToHost', (json: string) => bridge.handle(JSON.parse(json)));
  await stubVsCodeApi(page, { keepState });
  return bridge;
}

/** A test host's capacity matrix of the pair's shape (from the manifest) whose values depend on the epoch: the views only draw it. */
export function fakeCapacityMatrix(manifest: RunManifest, layerI: number, layerJ: number, epoch: number): CapacityMatrixAnswer {
  const rows = manifest.layers[layerJ].channels;
  const columns = manifest.layers[layerI].channels;
  const identity = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    layerI,
    layerJ,
    epoch,
    inputCount: manifest.probe.size,
    bins: 32,
    rows,
    columns,
    values: Array.from({ length: rows * columns }, (_, k) => ((k * 7 + epoch) % 11) / 4),
    orders: { rowMax: identity(rows), rowMean: identity(rows), columnMax: identity(columns), columnMean: identity(columns) },
  };
}

/** Opens the fixture's report (see openPage), at a view if given. */
export async function openReport(browser: Browser, view?: View): Promise<OpenedPage> {
  const opened = await openPage(browser, (await browserFixture()).report);
  if (view) await openView(opened.page, view);
  return opened;
}

/** Ends a test's page: fails the test on any problem the page reported (see openPage), then closes the page. */
export async function closeChecked(page: Page, problems: string[]): Promise<void> {
  assert.deepEqual(problems, []);
  await page.close();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export type View = 'query' | 'training' | 'layer' | 'channel' | 'information';

/** Clicks a view's tab and waits until its panel is shown. */
export async function openView(page: Page, view: View): Promise<void> {
  await page.click(`#tab-${view}`);
  await page.waitForSelector(`#panel-${view}`);
}

/** Switches the Query view's architecture overview from the network graph (the default) to the layer table and waits for it. */
export async function showArchitectureTable(page: Page): Promise<void> {
  await page.click('[data-testid=overview-table]');
  await page.waitForSelector('table.architecture tbody tr');
}

/** The data the fixture's report page embeds (the JSON the page reads), to derive a page from. */
export async function fixtureReportData(): Promise<ReportData> {
  const html = readFileSync((await browserFixture()).report, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  return JSON.parse(json) as ReportData;
}

/**
 * Gives the page VS Code's webview API before its scripts run: messages go to the test's exposed
 * `__cnnSlicerToHost`, and the webview state is kept in sessionStorage (so it survives a reload,
 * as VS Code keeps it) or, with `keepState: false`, not at all.
 */
export async function stubVsCodeApi(page: Page, o: { keepState: boolean }): Promise<void> {
  const state = o.keepState
    ? `getState: () => JSON.parse(sessionStorage.getItem('vscode-state') || 'null'),
        setState: (s) => sessionStorage.setItem('vscode-state', JSON.stringify(s)),`
    : `getState: () => null,
        setState: () => undefined,`;
  await page.addInitScript({
    content: `window.acquireVsCodeApi = () => ({
        postMessage: (m) => window.__cnnSlicerToHost(JSON.stringify(m)),
        ${state}
      });`,
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Writes a page built as the report builds it (the same page builder, the built bundle and the
 * stylesheet inlined) to `file` and returns `file`: with `data`, a report of synthetic answers;
 * without, a page with nothing embedded, as a VS Code panel gets (the app waits for the host).
 */
export function writePage(file: string, o: { data?: ReportData; theme?: PageOptions['theme']; title?: string } = {}): string {
  const html = webviewPage({
    title: o.title ?? basename(file, '.html'),
    nonce: 'dGVzdG5vbmNl',
    script: { inline: readFileSync(join(ROOT, 'dist/webview.js'), 'utf8') },
    style: { inline: readFileSync(join(ROOT, 'media/webview.css'), 'utf8') },
    data: o.data,
    theme: o.theme ?? 'light',
  });
  writeFileSync(file, html);
  return file;
}

/**
 * The answer embedded in the page for a query, looked up by canonical query inside the page itself
 * (what the report carries, never the view's own output). Fails the test if the report holds none.
 */
export async function embedded<T>(page: Page, q: Query): Promise<T> {
  const key = canonicalQuery(q);
  const entry = await page.evaluate((k) => {
    const data = JSON.parse(document.getElementById('cnn-slicer-report')!.textContent) as ReportData;
    return data.answers[k];
  }, key);
  assert.ok(entry, `the report holds ${key}`);
  const decoded = await decodeEntry(entry);
  assert.ok('answer' in decoded, `the report holds an answer to ${key}`);
  return decoded.answer as T;
}

/** Clicks an export button and returns the file the page saved (text, or bytes with `encoding` null). */
export async function download(page: Page, button: string): Promise<string>;
export async function download(page: Page, button: string, encoding: null): Promise<Buffer>;
export async function download(page: Page, button: string, encoding: BufferEncoding | null = 'utf8'): Promise<string | Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const bytes = readFileSync(await file.path());
  return encoding ? bytes.toString(encoding) : bytes;
}
