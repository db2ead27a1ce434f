// Driving VS Code (code-server) from Chromium as a person does, for the UI tier's walks
// (test/ui/*.test.ts): the .vsix under test (packaged once per set of inputs), a code-server
// window on a workspace (`openWorkbench`), and the workbench's parts by the selectors of VS Code's
// own smoke tests (`.monaco-workbench`, `.quick-input-widget`, `iframe.webview.ready` →
// `iframe#active-frame`): Quick Open, the palette, lenses, hovers, toasts, the status bar.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { launchBrowser, screenshot } from '../browser/harness';

export const ROOT = resolve(__dirname, '../..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'vscode');

// --- the scripts this test drives (ES modules with top-level await: imported, not required) ------

export interface CodeServer {
  url: string;
  logFile: string;
  exit: Promise<{ code: number | null; signal: string | null }>;
  stop(): Promise<void>;
}
// A module's exports are plain functions (no `this`), so they are typed as function properties.
export interface TestEnvModule {
  ensureTestEnv: (o?: { log?: (line: string) => void }) => Promise<unknown>;
  startCodeServer: (o: {
    userDataDir: string;
    extensionsDir: string;
    workspaceTrust?: boolean;
    log?: (line: string) => void;
  }) => Promise<CodeServer>;
  installExtension: (vsix: string, o: { extensionsDir: string; userDataDir: string; log?: (line: string) => void }) => Promise<string>;
}
export interface CodeServerTestModule {
  workbenchUrl: (serverUrl: string, o: { folder?: string }) => string;
}

export async function importScript<T>(name: string): Promise<T> {
  // A computed specifier: tsx leaves import() alone, and Node loads the module as ESM.
  return (await import(pathToFileURL(join(ROOT, 'scripts', name)).href)) as T;
}

export const log = (line: string) => process.stderr.write(`      vscodeUi: ${line}\n`);

export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

// --- the .vsix under test ------------------------------------------------------------------------

/** What the package is built from: a change to any of these makes a new .vsix. */
export const PACKAGE_INPUTS = {
  folders: ['src', 'webview', 'media', 'l10n', 'examples'],
  files: [
    'package.json',
    'package.nls.json',
    'package-lock.json',
    '.vscodeignore',
    'README.md',
    'LICENSE',
    'tsconfig.json',
    'esbuild.mjs',
    'scripts/package.mjs',
  ],
};

export function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    hash.update(`${relative(ROOT, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) add(path);
    }
  };
  for (const folder of PACKAGE_INPUTS.folders) if (existsSync(join(ROOT, folder))) walk(join(ROOT, folder));
  for (const file of PACKAGE_INPUTS.files) if (existsSync(join(ROOT, file))) add(join(ROOT, file));
  return hash.digest('hex');
}

/** The .vsix to install: CNN_SLICER_UI_VSIX, the last one built from the same inputs, or a new one. */
export async function extensionPackage(): Promise<string> {
  const given = process.env.CNN_SLICER_UI_VSIX;
  if (given) {
    const vsix = resolve(given);
    assert.ok(existsSync(vsix), `CNN_SLICER_UI_VSIX=${given}: no such file`);
    log(`testing ${vsix} (CNN_SLICER_UI_VSIX)`);
    return vsix;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const vsix = join(ARTIFACTS, 'cnn-slicer-ui-test.vsix');
  const stamp = `${vsix}.inputs`;
  const inputs = inputsHash();
  if (existsSync(vsix) && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) {
    log(`reusing ${relative(ROOT, vsix)} (built from the same sources)`);
    return vsix;
  }
  rmSync(stamp, { force: true });
  const started = Date.now();
  log('packaging the extension (scripts/package.mjs --stage, ≈ 20 s)…');
  // --stage: the production bundles are built in a temporary copy, never into dist/, which the
  // other browser tests read (and a watch build may be writing) while this runs.
  const output = await new Promise<string>((done, fail) => {
    execFile(
      process.execPath,
      [join(ROOT, 'scripts', 'package.mjs'), '--stage', '--out', vsix],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) => {
        if (error)
          fail(new Error(`npm run package failed: ${error.message}\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n')}`));
        else done(stdout);
      },
    );
  });
  writeFileSync(stamp, inputs);
  const size = output.split('\n').find((l) => /^package: [\d.]+ MB/.test(l));
  log(`packaged in ${seconds(started)}${size ? ` (${size.replace(/^package: /, '')})` : ''}`);
  return vsix;
}

// --- driving the workbench -------------------------------------------------------------------

/** Polls `probe` until it gives a value other than undefined/false; fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const QUICK_INPUT = '.quick-input-widget';
export const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;
export const QUICK_INPUT_ROW = `${QUICK_INPUT} .quick-input-list .monaco-list-row`;

/** The rows the quick input shows: their accessible labels. */
export async function quickInputRows(page: Page): Promise<string[]> {
  return page.$$eval(QUICK_INPUT_ROW, (rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

/** The focused row of the quick input (Enter picks it). */
export async function focusedRow(page: Page): Promise<string | undefined> {
  return page.$$eval(`${QUICK_INPUT_ROW}.focused`, (rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? '')[0]);
}

/**
 * Opens the quick input with `key` (F1: the command palette; Control+P: Quick Open), types `text`,
 * and waits until the focused row (with `anyRow`, any row) matches `row`. Reopens it while it does not: extension commands
 * appear only once the remote extension host is up, files once the file search has indexed.
 * Leaves the quick input open on that row; the caller presses Enter (after a screenshot, say).
 */
export async function quickInput(
  page: Page,
  key: string,
  text: string,
  row: RegExp,
  o: { anyRow?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const started = Date.now();
  for (;;) {
    await page.keyboard.press('Escape');
    await page.keyboard.press(key);
    await page.waitForSelector(QUICK_INPUT_BOX, { state: 'visible' });
    await page.keyboard.type(text);
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const rows = o.anyRow ? await quickInputRows(page) : [await focusedRow(page)];
      if (rows.some((r) => r !== undefined && row.test(r))) return;
      await page.waitForTimeout(100);
    }
    if (Date.now() - started > (o.timeoutMs ?? 60_000))
      assert.fail(`the quick input never offered ${row} for "${text}" (rows: ${JSON.stringify(await quickInputRows(page))})`);
  }
}

/** Runs a command from the palette: F1, its title, Enter. */
export async function runCommand(page: Page, title: string, beforeEnter?: () => Promise<unknown>): Promise<void> {
  await quickInput(page, 'F1', title, new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await beforeEnter?.();
  await page.keyboard.press('Enter');
}

/** Opens a workspace file with Quick Open (Ctrl+P) and waits until its editor shows `expectText`. */
export async function openFile(page: Page, name: string, expectText: string): Promise<void> {
  await quickInput(page, 'Control+P', name, new RegExp(`^${name.replace('.', '\\.')}\\b`));
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.tabs-container .tab.active[aria-label*="${name}"]`);
  // The editor renders spaces as no-break spaces.
  await waitUntil(`the editor of ${name}`, async () =>
    (
      await page.$$eval('.editor-instance .monaco-editor .view-line', (lines) =>
        lines.map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' ')).join('\n'),
      )
    ).includes(expectText),
  );
}

/** Moves the active editor's cursor to a 1-based line (Go to Line), and waits until `expectText` is on screen. */
export async function revealLine(page: Page, line: number, expectText: string): Promise<void> {
  await page.keyboard.press('Control+G');
  await page.waitForSelector(QUICK_INPUT_BOX);
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
  await waitUntil(`line ${line} on screen`, async () =>
    (
      await page.$$eval('.editor-instance .monaco-editor .view-line', (lines) =>
        lines.map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' ')).join('\n'),
      )
    ).includes(expectText),
  );
}

/** The text of the status bar items (the `.statusbar-item` elements VS Code renders). */
export async function statusItems(page: Page): Promise<{ id: string; text: string }[]> {
  return page.$$eval('.statusbar-item', (items) => items.map((i) => ({ id: i.id, text: (i.textContent ?? '').trim() })));
}

/** The texts of the notifications shown as toasts (`state`: a class they must have as well). */
export async function toasts(page: Page, state = ''): Promise<string[]> {
  return page.$$eval(`.notifications-toasts .notification-toast${state}`, (ts) =>
    ts.map((t) => (t.textContent ?? '').replace(/\s+/g, ' ').trim()),
  );
}

/** Waits for a notification toast matching `text`, and for its slide-in to end (for the screenshots). */
export async function waitForToast(page: Page, text: RegExp, timeoutMs = 20_000): Promise<string> {
  const found = await waitUntil(`a notification ${text}`, async () => (await toasts(page)).find((t) => text.test(t)), timeoutMs);
  await waitUntil(
    'the notification to settle',
    async () => (await toasts(page, '.notification-fade-in-done')).some((t) => text.test(t)),
    2000,
  ).catch(() => undefined);
  return found;
}

export interface Lens {
  text: string;
  /** Its tooltip (the link's title), empty for a lens without a command. */
  title: string;
  /** The centre of the lens's link, in page coordinates (where a click runs its command). */
  x: number;
  y: number;
}

/**
 * Clicks the lens above the line containing `marker`, found again right before: lenses are
 * re-rendered when they change and when the editor takes the focus back (after the palette closes,
 * say), so the lens is waited for rather than read once.
 */
export async function clickLens(page: Page, marker: string): Promise<void> {
  const lens = await waitUntil(`a lens above the line with ${marker}`, async () => (await lensesAbove(page, [marker]))[0]);
  await page.mouse.click(lens.x, lens.y);
}

/**
 * Clicks the lens above the line with `marker` until `effect` gives a value (3 clicks at most, 5 s
 * apart), and returns that value. VS Code re-renders the lenses when a provider refreshes them (a
 * runs folder found, a trust change): a click that lands while the widget is replaced does nothing,
 * as it would for a person, who clicks again.
 */
export async function clickLensUntil<T>(
  page: Page,
  marker: string,
  what: string,
  effect: () => Promise<T | undefined | false>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await clickLens(page, marker);
    try {
      return await waitUntil(what, effect, attempt < 3 ? 5000 : 20_000);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/**
 * The CodeLens above each line of the active code editor that contains `marker` (one lens per line:
 * the fixture has one layer definition per line). CodeLens are content widgets placed in a view
 * zone just above their line, so each line's lens is the nearest one whose bottom is above the
 * line's top. Evaluated as a string: the test compiler wraps named functions in a helper the page lacks.
 */
export async function lensesAbove(page: Page, markers: string[]): Promise<(Lens | undefined)[]> {
  return page.evaluate(`(() => {
    const markers = ${JSON.stringify(markers)};
    const editor = document.querySelector('.editor-instance .monaco-editor');
    if (!editor) return markers.map(() => undefined);
    const lines = [...editor.querySelectorAll('.view-line')];
    const lenses = [...editor.querySelectorAll('.codelens-decoration')].map((d) => ({ el: d, box: d.getBoundingClientRect(), link: d.querySelector('a'), text: (d.textContent || '').replace(/\\u00a0/g, ' ').trim() }));
    return markers.map((m) => {
      const line = lines.find((l) => (l.textContent || '').replace(/\\u00a0/g, ' ').includes(m));
      if (!line) return undefined;
      const top = line.getBoundingClientRect().top;
      const above = lenses.filter((l) => l.box.bottom <= top + 1 && top - l.box.bottom < l.box.height + 4).sort((a, b) => b.box.bottom - a.box.bottom)[0];
      if (!above) return undefined;
      // A lens without a command ("not used by this run's model") has no link: its text is the decoration's.
      const box = (above.link || above.el).getBoundingClientRect();
      return { text: above.text, title: above.link ? above.link.getAttribute('title') || '' : '', x: box.left + box.width / 2, y: box.top + box.height / 2 };
    });
  })()`);
}

/**
 * Hovers over the first span containing `spanText` on the visible line of the active code editor
 * that contains `lineText`, until CNN Slicer's hover (the one with `hoverText`, by default "Open in
 * CNN Slicer"; a definition of several layers shows a table of them instead) shows, and
 * returns that hover's text, runs of white space made one space. Each try moves the mouse 3 px aside
 * and back onto the span.
 */
export async function hoverOver(page: Page, lineText: string, spanText: string, hoverText = 'Open in CNN Slicer'): Promise<string> {
  const at = await page.evaluate(`(() => {
    const line = [...document.querySelectorAll('.editor-instance .monaco-editor .view-line')].find((l) => (l.textContent || '').replace(/\\u00a0/g, ' ').includes(${JSON.stringify(lineText)}));
    const span = line && [...line.querySelectorAll('span')].find((s) => (s.textContent || '').includes(${JSON.stringify(spanText)}));
    if (!span) return undefined;
    const box = span.getBoundingClientRect();
    return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
  })()`);
  assert.ok(at, `the line with ${lineText} is on screen`);
  const { x, y } = at as { x: number; y: number };
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: hoverText });
  await waitUntil(
    `the hover over ${spanText} on the line with ${lineText}`,
    async () => {
      await page.mouse.move(x - 3, y);
      await page.mouse.move(x, y);
      return hover
        .first()
        .waitFor({ state: 'visible', timeout: 3000 })
        .then(() => true)
        .catch(() => false);
    },
    30_000,
  );
  return ((await hover.first().textContent()) ?? '').replace(/\s+/g, ' ');
}

/** The webview of the run panel: the page VS Code nests in two iframes. */
export function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Saves the part of the window an element or a rectangle covers, for the documentation's pictures (small: a part, not the page). */
export async function docShot(
  page: Page,
  name: string,
  part: ReturnType<Page['locator']> | { x: number; y: number; width: number; height: number },
): Promise<void> {
  const dir = join(ROOT, 'test-artifacts', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  if ('first' in part) await part.first().screenshot({ path });
  else await page.screenshot({ path, clip: part });
}

// --- a window on a workspace -------------------------------------------------------------------

/** A code-server window on a copy of a fixture folder, the .vsix under test installed. */
export interface Workbench {
  page: Page;
  /** The workspace folder (a copy of the fixture) and VS Code's user data folder. */
  workspace: string;
  userData: string;
  /** Closes the window and the server; leaves the logs in test-artifacts/vscode/<logName>-*. */
  close(): Promise<void>;
}

/**
 * Packages (or reuses) the .vsix, installs it into a fresh code-server, copies `fixture` into a
 * temporary workspace (`prepare` may add to it) and opens the workspace in headless Chromium at
 * 1280×900. `settings`: the test user's settings beyond a plain window's (no welcome page, chat
 * side bar, tips or telemetry). Workspace trust stays on: the folder opens in Restricted Mode
 * unless the settings turn trust off. First use on a fresh machine installs Node 24 and
 * code-server (≈ 2 min) and Chromium (≈ 1 min).
 */
export async function openWorkbench(o: {
  fixture: string;
  logName: string;
  settings?: Record<string, unknown>;
  prepare?: (workspace: string) => void;
}): Promise<Workbench> {
  const started = Date.now();
  const env = await importScript<TestEnvModule>('vscode-test-env.mjs');
  const { workbenchUrl } = await importScript<CodeServerTestModule>('code-server-test.mjs');
  await env.ensureTestEnv({ log });
  const vsix = await extensionPackage();

  const temp = mkdtempSync(join(tmpdir(), 'cnn-slicer-ui-'));
  const workspace = join(temp, 'workspace');
  const userData = join(temp, 'user-data');
  const extensions = join(temp, 'extensions');
  cpSync(o.fixture, workspace, { recursive: true });
  o.prepare?.(workspace);
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions);
  // The test user's own settings: a plain window, so screenshots show the editor and the extension.
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.disableAIFeatures': true,
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.ignoreRecommendations': true,
      ...o.settings,
    }),
  );
  const installed = await env.installExtension(vsix, { extensionsDir: extensions, userDataDir: userData, log });
  assert.match(installed, /successfully installed/, installed);
  assert.ok(
    readdirSync(extensions).some((d) => d.startsWith('cnn-slicer.cnn-slicer-')),
    `the .vsix was installed into ${extensions}`,
  );

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const consoleLines: string[] = [];
  const close = async () => {
    await browser?.close().catch(() => undefined);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `${o.logName}-workbench.log`), `${consoleLines.join('\n')}\n`);
    if (server) {
      try {
        copyFileSync(server.logFile, join(ARTIFACTS, `${o.logName}-code-server.log`));
      } catch {
        // The server never wrote its log.
      }
      await server.stop();
    }
    // VS Code's own logs (the extension host's among them, with the extension's output channel).
    const logs = join(userData, 'logs');
    rmSync(join(ARTIFACTS, `${o.logName}-logs`), { recursive: true, force: true });
    if (existsSync(logs)) cpSync(logs, join(ARTIFACTS, `${o.logName}-logs`), { recursive: true });
    rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    server = await env.startCodeServer({ userDataDir: userData, extensionsDir: extensions, workspaceTrust: true, log });
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(workbenchUrl(server.url, { folder: workspace }));
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    log(`VS Code is up with the installed .vsix (${seconds(started)})`);
    return { page, workspace, userData, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Leaves a picture of the window behind when the current test failed (an `afterEach`). */
export async function screenshotIfFailed(test: Mocha.Test | undefined, page: Page | undefined): Promise<void> {
  if (test?.state === 'failed' && page && !page.isClosed()) {
    const name = `vscode-failed-${(test.title || 'test').replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
    await screenshot(page, name).catch(() => undefined);
  }
}
