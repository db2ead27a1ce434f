// The extension as a person meets it, in a real VS Code: the .vsix installed into code-server's
// VS Code (the way a user installs it), the fixture workspace opened in headless Chromium, and
// everything done through the UI: Quick Open, the command palette, the quick input of "Analyze
// CNN", the status bar, notifications, CodeLens, the run panel's webview. Nothing here calls the
// extension's API; what the tests check is what is on the screen (and, as a cross-check, what
// the recording wrote to disk). Screenshots of every stage go to test-artifacts/screenshots/vscode-*.png,
// code-server's log, the window's console and VS Code's own logs to test-artifacts/vscode/ui-*.
//
// One window for the whole file, as a person would use it: the folder opens in Restricted Mode
// (workspace trust is on), so the first test is the untrusted case; the second trusts the folder
// and records; the third and fourth use that run. Selectors are those of VS Code's own smoke tests
// (`.monaco-workbench`, `.quick-input-widget`, `iframe.webview.ready` → `iframe#active-frame`).
//
// Environment: CNN_SLICER_UI_VSIX=<file.vsix> tests that package instead of building one (CI can
// package once for this and `npm run test:vscode -- --vsix <file>`). Otherwise the .vsix is built
// with `scripts/package.mjs --stage` (production bundles in a temporary copy, so dist/ keeps the
// development build the other tests use) into test-artifacts/vscode/, and reused while its
// inputs (sources, manifest, lock file, build scripts) are unchanged.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunManifest } from '../../src/contract/runFormat';
import { screenshot } from '../browser/harness';
import {
  clickLens,
  clickLensUntil,
  docShot,
  hoverOver,
  lensesAbove,
  log,
  openFile,
  openWorkbench,
  panelFrame,
  focusedRow,
  QUICK_INPUT,
  QUICK_INPUT_ROW,
  quickInput,
  quickInputRows,
  revealLine,
  ROOT,
  runCommand,
  screenshotIfFailed,
  statusItems,
  toasts,
  waitForToast,
  waitUntil,
  type Workbench,
} from '../support/vscodeWorkbench';

const FIXTURE = join(ROOT, 'test', 'vscode', 'fixture');
const MODEL = 'tiny-model.ts';
/**
 * Epochs set in Analyze CNN's settings step. The fixture's own 2 epochs take ≈ 0.2 s (≈ 50 ms an
 * epoch on 2 cores), too short for anyone to read the status bar, or for its screenshot.
 */
const EPOCHS = 30;
/** The learning rate typed into the quick input (the fixture's own is 0.01). */
const LEARNING_RATE = 0.005;

/** The fixture's lines that define layers (one `tf.layers.` call per line): name and 1-based line. */
function fixtureLayers(): { name: string; line: number; marker: string }[] {
  return readFileSync(join(FIXTURE, MODEL), 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter((l) => /tf\.layers\.\w+\(/.test(l.text))
    .map((l) => {
      const name = /name: '([^']+)'/.exec(l.text)?.[1];
      assert.ok(name, `the fixture's layer on line ${l.line} has a name`);
      return { name, line: l.line, marker: `name: '${name}'` };
    });
}

// --- the tests -----------------------------------------------------------------------------------

describe('browser: the installed extension in VS Code (code-server)', function () {
  this.timeout(180_000);
  let window: Workbench | undefined;
  let workspace: string;
  let page: Page;
  /** The run the second test records; the later tests open it. */
  let recorded: { folder: string; manifest: RunManifest } | undefined;
  const layers = fixtureLayers();

  before(async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      log(`skipped: code-server's test environment is built for linux-x64 (this is ${process.platform}-${process.arch})`);
      this.skip();
    }
    // First run on a fresh machine: Node 24 and code-server (≈ 2 min), Chromium (≈ 1 min).
    this.timeout(900_000);
    // Workspace trust stays at its default: the folder opens in Restricted Mode.
    window = await openWorkbench({ fixture: FIXTURE, logName: 'ui' });
    ({ page, workspace } = window);
  });

  afterEach(async function () {
    await screenshotIfFailed(this.currentTest, page);
  });

  after(async function () {
    this.timeout(60_000);
    await window?.close();
  });

  it('in Restricted Mode shows the lenses, hides Analyze CNN, and explains instead of recording', async () => {
    // The folder is new to this VS Code: it opens in Restricted Mode.
    await waitUntil('the Restricted Mode status item', async () => (await statusItems(page)).some((i) => /Restricted Mode/.test(i.text)));
    await openFile(page, MODEL, "name: 'conv1'");

    // Detection runs no code, so the lenses are there without trust: one above each layer definition.
    await waitUntil('a "show entropy" lens above each layer', async () =>
      (
        await lensesAbove(
          page,
          layers.map((l) => l.marker),
        )
      ).every((l) => l && /show entropy/.test(l.text)),
    );
    assert.equal(
      await page.locator('.editor-instance .codelens-decoration').count(),
      layers.length,
      'one lens per layer definition, none elsewhere',
    );
    await screenshot(page, 'vscode-untrusted-lenses');

    // The palette offers the extension's other commands but not Analyze CNN.
    await quickInput(page, 'F1', 'CNN Slicer', /^CNN Slicer: Show Log/, { anyRow: true });
    const rows = await quickInputRows(page);
    assert.ok(!rows.some((r) => /Analyze CNN/.test(r)), `Analyze CNN is not offered in Restricted Mode (rows: ${JSON.stringify(rows)})`);
    await screenshot(page, 'vscode-untrusted-palette');
    await page.keyboard.press('Escape');

    // The lens of a model with no run starts Analyze CNN, which explains why it cannot record.
    await clickLensUntil(page, layers[0].marker, 'a notification /needs a trusted workspace/', async () =>
      (await toasts(page)).some((t) => /needs a trusted workspace/.test(t)),
    );
    const warning = await waitForToast(page, /needs a trusted workspace/);
    assert.match(warning, /recording runs the code of this workspace/);
    assert.match(warning, /Manage Workspace Trust/, 'the warning offers to manage workspace trust');
    await screenshot(page, 'vscode-untrusted-explained');

    // Nothing records: no recorder progress in the status bar, no run on disk.
    await page.waitForTimeout(2000);
    assert.ok(!(await statusItems(page)).some((i) => i.text.includes(MODEL)), 'no recording in the status bar');
    const runs = join(workspace, '.cnnslicer', 'runs');
    assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], [], 'no run was recorded');
  });

  it('records from the palette: trust, Analyze CNN, the status bar progress, the notification', async () => {
    // Clear the previous test's notification, then trust the folder as a person does: the
    // Workspace Trust editor's Trust button.
    await runCommand(page, 'Notifications: Clear All Notifications');
    if ((await statusItems(page)).some((i) => /Restricted Mode/.test(i.text))) {
      await runCommand(page, 'Workspaces: Manage Workspace Trust');
      const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ });
      await trust.waitFor();
      await screenshot(page, 'vscode-trust-editor');
      await trust.click();
      await waitUntil('Restricted Mode to end', async () => !(await statusItems(page)).some((i) => /Restricted Mode/.test(i.text)));
    }
    await openFile(page, MODEL, "name: 'conv1'");

    // Analyze CNN from the palette: the command's title, Enter.
    await runCommand(page, 'CNN Slicer: Analyze CNN', () => screenshot(page, 'vscode-palette'));

    // Step 1: the dataset; the first item is the model's own (its `dataset` export).
    await waitUntil('the dataset step', async () => /\(1\/2\)/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    const datasetRow = await waitUntil('the dataset items', () => focusedRow(page));
    assert.match(datasetRow, /The model's own dataset/);
    await page.keyboard.press('Enter');

    // Step 2: the settings; the first item starts the recording, the others change a setting.
    const settingsStep = async () => {
      await waitUntil('the settings step', async () =>
        /\(2\/2\)/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''),
      );
      return waitUntil(
        'the settings items',
        async () => ((await focusedRow(page)) ?? '').includes('Start recording') && quickInputRows(page),
      );
    };
    let settingRows = await settingsStep();
    for (const setting of [
      'Epochs',
      'Batch size',
      'Probe inputs',
      'Histogram bins',
      'Neighbours k',
      'Optimizer',
      'Learning rate',
      'Backend',
    ]) {
      assert.ok(
        settingRows.some((r) => r.startsWith(setting)),
        `the settings step lists ${setting} (rows: ${JSON.stringify(settingRows)})`,
      );
    }
    // The fixture trains 2 epochs of 300 synthetic images, over before anyone could read the
    // status bar: set more epochs, as a person would (pick "Epochs", type the number, Enter).
    await page.click(`${QUICK_INPUT_ROW}[aria-label^="Epochs"]`);
    await waitUntil('the Epochs input box', async () => /Epochs/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    await page.keyboard.type(String(EPOCHS));
    await page.keyboard.press('Enter');
    settingRows = await settingsStep();
    assert.ok(
      settingRows.some((r) => r.startsWith('Epochs') && r.includes(String(EPOCHS))),
      `the settings step shows the new epochs (rows: ${JSON.stringify(settingRows)})`,
    );
    // The settings users change most: the optimizer (a pick) and the learning rate (typed).
    await page.click(`${QUICK_INPUT_ROW}[aria-label^="Optimizer"]`);
    await waitUntil('the optimizer items', async () => (await quickInputRows(page)).some((r) => r.startsWith('sgd')));
    await page.click(`${QUICK_INPUT_ROW}[aria-label^="sgd"]`);
    await settingsStep();
    await page.click(`${QUICK_INPUT_ROW}[aria-label^="Learning rate"]`);
    await waitUntil('the learning rate input box', async () =>
      /Learning rate/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''),
    );
    await page.keyboard.type(String(LEARNING_RATE));
    await page.keyboard.press('Enter');
    settingRows = await settingsStep();
    assert.ok(
      settingRows.some((r) => r.startsWith('Optimizer') && r.includes('sgd')) &&
        settingRows.some((r) => r.startsWith('Learning rate') && r.includes(String(LEARNING_RATE))),
      `the settings step shows the optimizer and learning rate chosen (rows: ${JSON.stringify(settingRows)})`,
    );
    await screenshot(page, 'vscode-analyze-settings');

    // Every text the status bar shows for the model is kept, so a short recording cannot slip
    // between two polls; the spinner is noted with it.
    await page.evaluate(`(() => {
      const seen = (window.__cnnSlicerStatus = []);
      const texts = new Set();
      const record = () => {
        for (const item of document.querySelectorAll('.statusbar-item')) {
          const text = (item.textContent || '').trim();
          if (!text.includes(${JSON.stringify(MODEL)}) || texts.has(text)) continue;
          texts.add(text);
          seen.push({ text, spinning: !!item.querySelector('.codicon-loading.codicon-modifier-spin, .codicon-loading[class*="spin"]'), at: Date.now() });
        }
      };
      new MutationObserver(record).observe(document.querySelector('.part.statusbar'), { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
    const started = Date.now();
    await page.keyboard.press('Enter');

    // While it records: "tiny-model.ts: epoch 3/30 · 10% · 2s left" with a spinner. The
    // screenshot waits for training to be under way (past epoch 0, the untrained model's).
    const progress = new RegExp(`tiny-model\\.ts: epoch \\d+/${EPOCHS} · \\d+\\s?%`);
    const training = new RegExp(`tiny-model\\.ts: epoch [1-9]\\d*/${EPOCHS} · [1-9]\\d*\\s?%`);
    const showsTraining = `[...document.querySelectorAll('.statusbar-item')].some((i) => ${training}.test(i.textContent || ''))`;
    await page.waitForFunction(showsTraining, undefined, { timeout: 60_000, polling: 50 });
    await screenshot(page, 'vscode-status-bar');
    // Shown before and after the screenshot, so shown in it.
    assert.ok(await page.evaluate(showsTraining), 'the recording was still under way when the status bar screenshot was taken');

    // Done: the notification says so, and the status bar item turns into "tiny-model.ts recorded"
    // (it stays a while, so the outcome can still be clicked after the toast hides).
    const done = await waitForToast(page, /CNN Slicer: tiny-model\.ts is recorded/, 120_000);
    assert.match(done, /Open Run/, 'the notification offers to open the run');
    const recordedMs = Date.now() - started;
    await waitUntil('the status bar item to say the model is recorded', async () =>
      (await statusItems(page)).some((i) => i.text.includes(`${MODEL} recorded`) && !progress.test(i.text)),
    );
    await screenshot(page, 'vscode-recorded');

    const seen = await page.evaluate<{ text: string; spinning: boolean }[]>('window.__cnnSlicerStatus');
    const shown = seen.filter((s) => progress.test(s.text));
    assert.ok(shown.length > 0, `the status bar showed the epoch and percentage (it showed ${JSON.stringify(seen.map((s) => s.text))})`);
    assert.ok(
      shown.every((s) => s.spinning),
      'the status bar item spins while recording',
    );
    assert.ok(
      seen.some((s) => s.text.includes(`epoch ${EPOCHS}/${EPOCHS}`)),
      `the status bar followed the recording to its last epoch (it showed ${JSON.stringify(seen.map((s) => s.text))})`,
    );

    // What the UI reported is on disk: one complete run of the model, both epochs.
    const runs = join(workspace, '.cnnslicer', 'runs');
    const folders = readdirSync(runs).filter((d) => existsSync(join(runs, d, 'manifest.json')));
    assert.equal(folders.length, 1, `one run in ${runs}: ${folders.join(', ')}`);
    const folder = join(runs, folders[0]);
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.status, 'completed');
    assert.equal(manifest.settings.epochs, EPOCHS, 'the run has the epochs set in the quick input');
    assert.equal(manifest.settings.optimizer, 'sgd', 'the run trained with the optimizer picked in the quick input');
    assert.equal(manifest.settings.learningRate, LEARNING_RATE, 'the run has the learning rate typed in the quick input');
    assert.equal(manifest.epochs[manifest.epochs.length - 1], EPOCHS, 'every epoch was recorded');
    recorded = { folder, manifest };
    log(`recorded ${folders[0]} through the UI in ${(recordedMs / 1000).toFixed(1)} s`);
  });

  it('opens the channel view of conv2 from its lens, with one small multiple per channel', async function () {
    if (!recorded) this.skip();
    const { manifest } = recorded;
    const conv2 = manifest.layers.find((l) => l.name === 'conv2');
    assert.ok(conv2, 'the run has conv2');
    await runCommand(page, 'Notifications: Clear All Notifications');

    // After the run the lenses carry the layers' mean channel entropy.
    const markers = layers.map((l) => l.marker);
    await waitUntil('the lenses of the conv layers to show bits', async () => {
      const found = await lensesAbove(page, markers);
      const withBits = (name: string) => /show entropy · [\d.]+ bits/.test(found[layers.findIndex((l) => l.name === name)]?.text ?? '');
      return withBits('conv1') && withBits('conv2');
    });
    assert.equal(await page.locator('.editor-instance .codelens-decoration').count(), layers.length, 'still one lens per layer definition');
    await screenshot(page, 'vscode-lenses-with-bits');

    // Click conv2's lens: the run's panel opens beside the code, on conv2's Channel view.
    await clickLens(page, layers.find((l) => l.name === 'conv2')!.marker);
    const view = panelFrame(page);
    const panel = view.locator('#panel-channel');
    await panel.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await view.locator('select[aria-label="Layer shown in the Channel view"]').inputValue(), String(conv2.index));
    assert.equal(((await view.locator('#panel-channel .channel-toolbar .layer-link').textContent()) ?? '').trim(), 'conv2');

    // The small multiples: one per channel of conv2 (8 filters), drawn.
    const multiples = view.locator('#panel-channel canvas.chart[data-channels]');
    await multiples.waitFor({ timeout: 60_000 });
    assert.equal(await multiples.getAttribute('data-channels'), String(conv2.channels));
    assert.equal(conv2.channels, 8);
    const colours = await multiples.evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let p = 0; p < d.length && seen.size < 50; p += 4) seen.add((d[p] << 16) | (d[p + 1] << 8) | d[p + 2]);
      return seen.size;
    });
    assert.ok(colours > 5, `the small multiples are drawn (${colours} colours on the canvas)`);
    // The circle packing needs the analysis service's forward pass: wait for it, for the picture.
    await view.locator('#panel-channel svg.packing circle[data-channel]').first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'vscode-channel-view');
    // For docs/vscode.md: the panel beside the code (its right part).
    const box = await page.locator('.part.editor').boundingBox();
    if (box)
      await docShot(page, 'vscode-doc-run-panel', { x: box.x + box.width / 2 - 120, y: box.y, width: box.width / 2 + 120, height: 640 });
  });

  it('goes to the source line of a layer picked in the panel', async function () {
    if (!recorded) this.skip();
    const view = panelFrame(page);
    await view.locator('#panel-channel').waitFor({ state: 'visible' });
    const conv1 = recorded.manifest.layers.find((l) => l.name === 'conv1')!;
    const line = layers.find((l) => l.name === 'conv1')!.line;
    const selection = async () => (await statusItems(page)).find((i) => i.id === 'status.editor.selection')?.text ?? '';
    assert.doesNotMatch(await selection(), new RegExp(`^Ln ${line},`), 'the cursor is not on conv1 yet');

    // Pick conv1 in the Channel view, then click its name: the editor beside moves to its line.
    await view.locator('select[aria-label="Layer shown in the Channel view"]').selectOption(String(conv1.index));
    await view.locator(`#panel-channel canvas.chart[data-channels="${conv1.channels}"]`).waitFor();
    const link = view.locator('#panel-channel .channel-toolbar .layer-link');
    assert.equal(((await link.textContent()) ?? '').trim(), 'conv1');
    await link.click();
    const at = await waitUntil(`the cursor on line ${line}`, async () => {
      const text = await selection();
      return new RegExp(`^Ln ${line}, Col \\d+`).test(text) && text;
    });
    // The line is the editor's current line, in the editor of the model.
    await page.waitForSelector(`.tabs-container .tab.active[aria-label*="${MODEL}"]`);
    const current = await page.evaluate(`(() => {
      const editor = [...document.querySelectorAll('.editor-instance .monaco-editor')].find((e) => e.querySelector('.current-line'));
      if (!editor) return undefined;
      const top = editor.querySelector('.current-line').getBoundingClientRect().top;
      const line = [...editor.querySelectorAll('.view-line')].find((l) => Math.abs(l.getBoundingClientRect().top - top) < 2);
      return line ? (line.textContent || '').replace(/\\u00a0/g, ' ') : undefined;
    })()`);
    assert.match(String(current), /name: 'conv1'/, `the current line is conv1's definition (${at})`);
    await screenshot(page, 'vscode-go-to-source');
  });

  // The pictures of docs/vscode.md: each test checks what the picture must show, then saves the part
  // of the window that shows it (test-artifacts/screenshots/vscode-doc-*.png; docs/images/ holds the
  // ones looked at and kept).

  it('shows a layer’s hover beside its lens: the links first, then the channel entropies', async function () {
    if (!recorded) this.skip();
    await runCommand(page, 'View: Close All Editor Groups');
    await openFile(page, MODEL, "name: 'conv2'");
    const text = await hoverOver(page, "name: 'conv2'", 'conv2d');
    assert.ok(text.indexOf('Open in CNN Slicer') < text.indexOf('bits'), `the links come before the numbers: ${text}`);
    await docShot(page, 'vscode-doc-hover', { x: 352, y: 36, width: 660, height: 460 });
    await page.mouse.move(5, 5);
  });

  it('groups Recorded Runs by model file, and compares two runs from the palette in a panel beside the code', async function () {
    if (!recorded) this.skip();
    // The user edits the model: a convolution inserted after conv1. Its lens says it has no numbers
    // yet, while conv2 keeps its own.
    const modelPath = join(workspace, MODEL);
    const edited = readFileSync(modelPath, 'utf8').replace(
      /(.*name: 'conv1' \}\)\);\n)/,
      "$1  model.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1b' }));\n",
    );
    assert.match(edited, /name: 'conv1b'/, 'the fixture has the conv1 line the edit follows');
    writeFileSync(modelPath, edited);
    await openFile(page, MODEL, "name: 'conv1b'");
    const [conv1bLens, conv2Lens] = await waitUntil('the lenses of the edited file', async () => {
      const found = await lensesAbove(page, ["name: 'conv1b'", "name: 'conv2'"]);
      return found[0] && /not recorded yet/.test(found[0].text) ? found : undefined;
    });
    assert.match(conv1bLens!.text, /not recorded yet/);
    assert.match(conv2Lens?.text ?? '', /[\d.]+ bits/, `conv2 keeps its numbers: ${conv2Lens?.text}`);
    await screenshot(page, 'vscode-walk-edit');
    // A second run of the edited model, recorded as the first (the answers are remembered: Enter, Enter).
    await openFile(page, MODEL, "name: 'conv1'");
    await runCommand(page, 'CNN Slicer: Analyze CNN');
    await waitUntil('the dataset step', async () => /\(1\/2\)/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    await page.keyboard.press('Enter');
    await waitUntil('the settings step', async () => ((await focusedRow(page)) ?? '').includes('Start recording'));
    await screenshot(page, 'vscode-doc-analyze-settings-full');
    await docShot(page, 'vscode-doc-analyze-settings', page.locator(QUICK_INPUT));
    await page.keyboard.press('Enter');
    await waitForToast(page, /CNN Slicer: tiny-model\.ts is recorded/, 120_000);
    await runCommand(page, 'Notifications: Clear All Notifications');

    // The tree: the model file's group, expanded, with both runs under it.
    await runCommand(page, 'CNN Slicer: Focus on Recorded Runs View');
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Recorded Runs/i }) });
    const group = tree.locator('.monaco-list-row[aria-level="1"]', { hasText: MODEL });
    await group.first().waitFor({ timeout: 30_000 });
    await waitUntil('two runs under the model file', async () => (await tree.locator('.monaco-list-row[aria-level="2"]').count()) === 2);
    assert.match((await group.first().textContent()) ?? '', /2 runs/);
    // Both finished: a listing that raced the recorder's last write once saved "interrupted" over it.
    await waitUntil(
      'both runs shown completed',
      async () => (await tree.locator('.monaco-list-row[aria-level="2"]', { hasText: 'completed' }).count()) === 2,
    );
    await docShot(page, 'vscode-doc-runs-tree', page.locator('.part.sidebar'));

    // Compare Runs from the palette: tick both runs, OK.
    await runCommand(page, 'CNN Slicer: Compare Runs');
    await waitUntil('both runs offered', async () => (await quickInputRows(page)).length === 2);
    // A click on a row of a multi-select list ticks it.
    for (const i of [0, 1]) await page.locator(QUICK_INPUT_ROW).nth(i).click();
    await waitUntil('both runs ticked', async () => /2 Selected/.test((await page.textContent(QUICK_INPUT)) ?? ''));
    await page.keyboard.press('Enter');
    const compare = page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('iframe#active-frame');
    await compare.locator('.run-legend [data-run]').nth(1).waitFor({ timeout: 120_000 });
    await compare.locator('.compare-app').waitFor();
    // Layers are paired by name: conv2 with conv2 (not with B's conv1b, the layer at its position),
    // and conv1b, which only B has, says so.
    const rows = compare.locator('.compare-layers-table tbody tr');
    await waitUntil('the layer rows', async () => (await rows.count()) >= 6, 60_000);
    const texts = (await rows.allTextContents()).map((t) => t.replace(/\s+/g, ' '));
    const row = (name: string) => texts.filter((t) => new RegExp(`\\b${name}\\b`).test(t));
    assert.equal(row('conv1b').length, 1, texts.join('\n'));
    assert.match(row('conv1b')[0], /only in B/);
    assert.ok(row('conv2').length === 1 && !/only in/.test(row('conv2')[0]), `conv2 is compared with conv2: ${texts.join('\n')}`);
    await page.waitForTimeout(1500);
    await docShot(page, 'vscode-doc-compare', { x: 352, y: 36, width: 928, height: 640 });
  });

  it('puts a recording’s error in the Problems panel at the line it names', async function () {
    if (!recorded) this.skip();
    const broken = 'broken-model.ts';
    const text = readFileSync(join(FIXTURE, MODEL), 'utf8').replace('  return model;', '  const units: number = ;\n  return model;');
    writeFileSync(join(workspace, broken), text);
    await openFile(page, broken, "name: 'conv1'");
    await runCommand(page, 'CNN Slicer: Analyze CNN');
    await waitUntil('the dataset step', async () => /\(1\/2\)/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    await page.keyboard.press('Enter');
    await waitUntil('the settings step', async () => ((await focusedRow(page)) ?? '').includes('Start recording'));
    await page.keyboard.press('Enter');
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /CNN Slicer/ });
    await problem.first().waitFor({ timeout: 120_000 });
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.waitForTimeout(500);
    await docShot(page, 'vscode-doc-problems', { x: 352, y: 390, width: 928, height: 280 });
  });
  // The rest of a first hour (docs/vscode.md "A first hour, walked"): a reload, a cancel, a model.json.

  it('keeps the lenses, the comparison and the failed recording’s Problems entry across a window reload', async function () {
    if (!recorded) this.skip();
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 });
    // The comparison panel was open (in a background tab): VS Code restores it, and its views come
    // back with both runs.
    await page.locator('.tabs-container .tab', { hasText: 'compare tiny-model.ts' }).first().click({ timeout: 60_000 });
    const compare = page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('iframe#active-frame');
    await compare.locator('.run-legend [data-run]').nth(1).waitFor({ timeout: 120_000 });
    // The broken model did not change: its recording error is still in Problems.
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    await page
      .locator('.markers-panel .monaco-list-row', { hasText: /CNN Slicer/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'vscode-walk-reload');
    await docShot(page, 'vscode-doc-walk-reload', { x: 0, y: 0, width: 1280, height: 800 });
    // And the lenses show their bits again.
    await runCommand(page, 'View: Close All Editor Groups');
    await openFile(page, MODEL, "name: 'conv2'");
    await waitUntil(
      'the lenses to show bits after the reload',
      async () => /[\d.]+ bits/.test((await lensesAbove(page, ["name: 'conv2'"]))[0]?.text ?? ''),
      60_000,
    );
  });

  it('cancels a recording from the status bar’s menu: completed epochs kept, the run marked cancelled', async function () {
    if (!recorded) this.skip();
    await runCommand(page, 'Notifications: Clear All Notifications');
    await openFile(page, MODEL, "name: 'conv1'");
    await runCommand(page, 'CNN Slicer: Analyze CNN');
    await waitUntil('the dataset step', async () => /\(1\/2\)/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    await page.keyboard.press('Enter');
    await waitUntil('the settings step', async () => ((await focusedRow(page)) ?? '').includes('Start recording'));
    await page.click(`${QUICK_INPUT_ROW}[aria-label^="Epochs"]`);
    await waitUntil('the Epochs input box', async () => /Epochs/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('500');
    await page.keyboard.press('Enter');
    await waitUntil('the settings step again', async () => ((await focusedRow(page)) ?? '').includes('Start recording'));
    await page.keyboard.press('Enter');
    const training = /tiny-model\.ts: epoch ([2-9]|\d\d+)\/500/;
    const item = page.locator('.statusbar-item', { hasText: training });
    await item.first().waitFor({ timeout: 60_000 });
    // The status bar item's menu: Cancel, Open (epochs so far), Show Log.
    await item.first().click();
    const cancel = page.locator(QUICK_INPUT_ROW, { hasText: 'Cancel tiny-model.ts' });
    await cancel.first().waitFor();
    await screenshot(page, 'vscode-walk-cancel-menu');
    await docShot(page, 'vscode-doc-walk-cancel-menu', page.locator(QUICK_INPUT));
    await cancel.first().click();
    await waitForToast(page, /recording of tiny-model\.ts was cancelled; its completed epochs are kept/, 60_000);
    const runs = join(workspace, '.cnnslicer', 'runs');
    const cancelled = await waitUntil('the cancelled run on disk', async () =>
      readdirSync(runs)
        .filter((d) => existsSync(join(runs, d, 'manifest.json')))
        .map((d) => JSON.parse(readFileSync(join(runs, d, 'manifest.json'), 'utf8')) as RunManifest)
        .find((m) => m.status === 'cancelled'),
    );
    assert.ok(cancelled.epochs.length >= 2, `completed epochs are kept: ${cancelled.epochs.join(', ')}`);
    assert.equal(cancelled.settings.epochs, 500);
    await screenshot(page, 'vscode-walk-cancelled');
  });

  it('records a model.json: a lens at each layer’s class_name, with bits once it is recorded', async function () {
    if (!recorded) this.skip();
    await runCommand(page, 'Notifications: Clear All Notifications');
    // Named apart from the runs' checkpoints (each a model.json), which Quick Open would offer first.
    copyFileSync(join(ROOT, 'examples', 'model.json'), join(workspace, 'digits-model.json'));
    await openFile(page, 'digits-model.json', '"class_name": "Conv2D"');
    await waitUntil(
      'a lens above the first Conv2D',
      async () => /show entropy/.test((await lensesAbove(page, ['"class_name": "Conv2D"']))[0]?.text ?? ''),
      60_000,
    );
    await runCommand(page, 'CNN Slicer: Analyze CNN');
    await waitUntil('the dataset step', async () => /\(1\/2\)/.test((await page.textContent(`${QUICK_INPUT} .quick-input-title`)) ?? ''));
    // The model's own dataset: a model.json names none, so the MNIST digits (its input is 28×28×1).
    assert.match((await focusedRow(page)) ?? '', /model's own dataset/);
    await page.keyboard.press('Enter');
    await waitUntil('the settings step', async () => ((await focusedRow(page)) ?? '').includes('Start recording'));
    await page.keyboard.press('Enter');
    await waitForToast(page, /CNN Slicer: digits-model\.json is recorded/, 180_000);
    const lens = await waitUntil(
      'the Conv2D lens to show bits',
      async () => {
        const l = (await lensesAbove(page, ['"class_name": "Conv2D"']))[0];
        return l && /[\d.]+ bits/.test(l.text) ? l : undefined;
      },
      60_000,
    );
    assert.match(lens.text, /show entropy · [\d.]+ bits/);
    await screenshot(page, 'vscode-walk-model-json');
    await docShot(page, 'vscode-doc-walk-model-json', { x: 0, y: 0, width: 1280, height: 800 });
  });

  it('walks a PyTorch model: trained in the VS Code terminal, its run in the tree while it trains, lenses and hover in the .py file, findings in Problems', async function () {
    if (!recorded) this.skip();
    this.timeout(420_000);
    await runCommand(page, 'View: Close All Editor Groups');
    await runCommand(page, 'Notifications: Clear All Notifications');
    // The PyTorch demo in the workspace; its ROOT (the digits, the recorder package) is the repository.
    const folder = join(workspace, 'pytorch-lenet');
    mkdirSync(folder, { recursive: true });
    const script = readFileSync(join(ROOT, 'examples', 'pytorch', 'train_lenet.py'), 'utf8');
    writeFileSync(join(folder, 'train_lenet.py'), script.replace(/^ROOT = .*$/m, `ROOT = ${JSON.stringify(ROOT)}`));
    copyFileSync(join(ROOT, 'examples', 'pytorch', 'training.py'), join(folder, 'training.py'));
    await openFile(page, 'train_lenet.py', 'import torch.nn as nn');
    await revealLine(page, (script.split('\n').findIndex((l) => l.includes('nn.Conv2d(8, 16')) + 1) | 0, 'nn.Conv2d(8, 16');
    // Before any run: the scan's lenses (no Python runs for them).
    await waitUntil(
      'a lens above the first convolution',
      async () => /show entropy/.test((await lensesAbove(page, ['nn.Conv2d(1, 8']))[0]?.text ?? ''),
      60_000,
    );
    await screenshot(page, 'vscode-pytorch-before');

    // The user trains in the terminal, as they always do (Debian's python3, which has torch).
    await runCommand(page, 'Terminal: Create New Terminal');
    await page.locator('.terminal-wrapper.active, .terminal.xterm').first().waitFor({ timeout: 30_000 });
    // The shell's prompt first (the terminal draws on a canvas: there is no text to wait for);
    // keys typed before it are echoed twice.
    await page.waitForTimeout(4000);
    await page.keyboard.type(`/usr/bin/python3 pytorch-lenet/train_lenet.py\n`, { delay: 5 });

    // The run is in Recorded Runs while it trains.
    await runCommand(page, 'CNN Slicer: Focus on Recorded Runs View');
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Recorded Runs/i }) });
    // Its model file's group, with the run under it (the demo trains in about 5 s: the run is caught
    // recording, or already completed; test/vscode/suite/pythonTerminal.test.ts follows each epoch).
    const group = tree.locator('.monaco-list-row[aria-level="1"]', { hasText: 'train_lenet.py' });
    await group.first().waitFor({ timeout: 120_000 });
    const training = await waitUntil(
      'the PyTorch run in the tree',
      async () => {
        const rows = (await tree.locator('.monaco-list-row').allTextContents()).map((t) => t.replace(/\s+/g, ' '));
        const at = rows.findIndex((t) => t.includes('train_lenet.py'));
        return at >= 0 && /#1\s*(recording|completed)/.test(rows[at + 1] ?? '') ? rows[at + 1] : undefined;
      },
      120_000,
      200,
    );
    log(`the tree shows the PyTorch run: ${training}`);
    await docShot(page, 'vscode-doc-pytorch-training', { x: 0, y: 0, width: 1280, height: 900 });

    // Once measured, the lenses carry the run's numbers at the Python lines (the editor is still
    // scrolled to the model).
    await openFile(page, 'train_lenet.py', 'nn.Conv2d(8, 16');
    await revealLine(page, (script.split('\n').findIndex((l) => l.includes('nn.Conv2d(8, 16')) + 1) | 0, 'nn.Conv2d(8, 16');
    const [conv2Lens] = await waitUntil(
      'the conv2 lens to show bits',
      async () => {
        const found = await lensesAbove(page, ['nn.Conv2d(8, 16']);
        return found[0] && /show entropy · [\d.]+ bits/.test(found[0].text) ? found : undefined;
      },
      240_000,
      500,
    );
    log(`conv2's lens: ${conv2Lens?.text}`);
    assert.match(await hoverOver(page, 'nn.Conv2d(8, 16', 'Conv2d'), /conv2/);
    await docShot(page, 'vscode-doc-pytorch-hover', { x: 0, y: 0, width: 1280, height: 900 });
    await page.mouse.move(5, 5);

    // Findings in Problems, at the layer's line of the .py file.
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    await waitUntil(
      'a CNN Slicer finding of train_lenet.py in Problems',
      async () => /train_lenet\.py/.test((await page.locator('.markers-panel').textContent()) ?? ''),
      120_000,
      500,
    );
    await docShot(page, 'vscode-doc-pytorch-problems', { x: 0, y: 0, width: 1280, height: 900 });
  });
});
