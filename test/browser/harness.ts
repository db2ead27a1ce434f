// Shared set-up of the browser tests: Debian Chromium driven by playwright-core (installed on first
// use by scripts/ensure-chromium.mjs), a real recorded fixture run, its standalone report, and
// screenshots kept under test-artifacts/screenshots/ (ignored by git, kept by CI as artifacts).
//
// Every page opened here fails its test on a page error, a console error or a Content Security
// Policy violation: the report runs under the same strict CSP as the VS Code webview.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { RunManifest } from '../../src/analysis/runFormat';
import { writeReport } from '../../src/cli/report';
import { recordRun } from '../../src/recorder/record';
import { readRun } from '../../src/recorder/runStore';

const ROOT = resolve(__dirname, '../..');
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

/** The flags that work on these machines (docs/testing.md, ../shared/docs/offline-vscode.md). */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let executable: string | undefined;

export function chromiumPath(): string {
  executable ??= execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-chromium.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
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
 * A real run of examples/mnist-lenet.ts on the MNIST digits (2 epochs, probe of 200), recorded
 * once per test process, and its report. The build (dist/webview.js) must exist: npm test builds first.
 */
export function browserFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-browser-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const runs = join(dir, 'runs');
    const { folder } = await recordRun({ modelFile: join(ROOT, 'examples/mnist-lenet.ts'), dataset: 'mnist', epochs: 2, probeSize: 200, runsFolder: runs, k: 50, seed: 1 });
    const report = join(dir, 'report.html');
    await writeReport({ runFolder: folder, out: report, maxEpochs: 6, deconvolutionChannels: 16, datasetDiversity: false, theme: 'light' });
    return { runFolder: folder, manifest: readRun(folder).manifest, report, dir };
  })();
  return fixture;
}

export interface OpenedPage {
  page: Page;
  /** Page errors, console errors and CSP violations seen so far. */
  problems: string[];
}

/** Opens a file (the report) in a fresh page and records every problem the page reports. */
export async function openPage(browser: Browser, file: string, o: { width?: number; height?: number } = {}): Promise<OpenedPage> {
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
  await page.goto(`file://${file}`);
  await page.waitForSelector('.run-header');
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Clicks a view's tab and waits until its panel is shown. */
export async function openView(page: Page, view: 'query' | 'training' | 'layer' | 'channel'): Promise<void> {
  await page.click(`#tab-${view}`);
  await page.waitForSelector(`#panel-${view}`);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
