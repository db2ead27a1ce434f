// Comparing runs in a real VS Code: "Compare Runs" on a multi-selection of the Recorded Runs view
// opens one comparison panel whose views ask the analysis service about both runs (counted by the
// panel's bridge per run), the same set again reveals it, fewer than two runs are refused, "Compare
// with Previous Run" sets a run beside the one recorded before it, the panel is restored after a
// reload from the run ids its views saved, and the editor cursor selects its layer by position and type.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ComparePanels } from '../../../src/extension/panels/comparePanels';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunNode } from '../../../src/extension/runs/runsTree';
import { activate, extension, fixtureUri, waitFor } from './helpers';
import { recordFixtureRun } from './recordedRuns';

describe('comparing runs', function () {
  this.timeout(180_000);
  let api: CnnSlicerApi;
  let panels: ComparePanels;
  /** Two runs of the fixture model, recorded one after the other: `older` is `newer`'s previous run. */
  let older: string;
  let newer: string;

  async function runNodes(...folders: string[]): Promise<RunNode[]> {
    const top = await api.runsView.provider.getChildren();
    const runs = top.flatMap((n): RunNode[] => (n.kind === 'model' ? n.runs : []));
    return folders.map((f) => {
      const node = runs.find((n) => n.runFolder === f);
      assert.ok(node, `the tree lists ${f}`);
      return node;
    });
  }

  before(async () => {
    api = await activate();
    panels = api.comparePanels;
    older = await recordFixtureRun(api);
    newer = await recordFixtureRun(api);
  });

  afterEach(() => {
    panels.close([older, newer]);
  });

  it('offers Compare Runs on a multi-selection of runs and Compare with Previous Run on a single run', () => {
    const menus = (
      extension().packageJSON as { contributes: { menus: Record<string, { command: string; when?: string; group?: string }[]> } }
    ).contributes.menus['view/item/context'];
    const compare = menus.find((m) => m.command === 'cnnSlicer.compareRuns');
    assert.match(compare?.when ?? '', /viewItem =~ \/\^run\\\.\/ && listMultiSelection/);
    const previous = menus.find((m) => m.command === 'cnnSlicer.compareWithPrevious');
    assert.match(previous?.when ?? '', /!listMultiSelection/);
    // The one-run actions of the context menu act on the clicked run only: hidden under a multi-selection.
    const oneRun = menus.filter(
      (m) =>
        /viewItem (=~ \/\^run\\\.\/|== run\.)/.test(m.when ?? '') &&
        m.command !== 'cnnSlicer.compareRuns' &&
        !m.group?.startsWith('inline'),
    );
    assert.ok(oneRun.length >= 6);
    for (const m of oneRun) assert.match(m.when ?? '', /!listMultiSelection/, m.command);
  });

  it('opens one panel for two selected runs, whose views get both runs’ data from the service', async () => {
    const before = panels.openPanelCount();
    const [a, b] = await runNodes(older, newer);
    // What VS Code passes a context-menu command of a multi-selection: the clicked node, then the selection.
    const opened = await vscode.commands.executeCommand<boolean>('cnnSlicer.compareRuns', b, [b, a]);
    assert.equal(opened, true);
    assert.equal(panels.openPanelCount(), before + 1);
    const panel = panels.panelOf([older, newer]);
    assert.ok(panel);
    assert.equal(panel.viewType, 'cnnSlicer.compare');
    assert.match(panel.title, /^CNN Slicer: compare tiny-model\.ts \(#\d+\) · tiny-model\.ts \(#\d+\)$/);
    assert.deepEqual(panels.runsOf([older, newer]), [older, newer], 'run A is the older run');
    await waitFor('the comparison’s views to say they are ready', () => panels.readyCount([older, newer]) > 0, 60_000);
    // The views asked each run its manifest, curves and per-layer entropies, and got answers.
    const kinds = await waitFor(
      'answers for both runs',
      () => {
        const k = panels.answeredKinds([older, newer]);
        return (
          k.length === 2 &&
          k.every((run) => ['run', 'training', 'interSample', 'channelEntropies'].every((q) => run.includes(q as never))) &&
          k
        );
      },
      90_000,
    );
    assert.equal(kinds.length, 2);

    // The same set again, in another order: the panel is revealed, not opened twice.
    await vscode.commands.executeCommand('cnnSlicer.compareRuns', [{ runFolder: newer }, { runFolder: older }]);
    assert.equal(panels.openPanelCount(), before + 1);
    assert.equal(panels.panelOf([newer, older]), panel);
  });

  it('refuses to compare a single run, opening nothing', async () => {
    const before = panels.openPanelCount();
    const [a] = await runNodes(older);
    assert.equal(await vscode.commands.executeCommand<boolean>('cnnSlicer.compareRuns', a, [a]), false);
    assert.equal(panels.openPanelCount(), before);
  });

  it('from the palette, lists every run newest first as the tree labels them, and refuses fewer than two ticked', async () => {
    const ui = api.compareCommands.ui;
    const original = { ...ui };
    const offered: { label: string; detail?: string }[][] = [];
    const warnings: string[] = [];
    let tick: (items: readonly { detail?: string }[]) => number[] = () => [];
    ui.pickRuns = (items) => {
      offered.push(items.map((i) => ({ label: i.label, detail: i.detail })));
      return Promise.resolve(tick(items).map((i) => items[i]));
    };
    ui.warn = (message) => warnings.push(message);
    try {
      const before = panels.openPanelCount();
      tick = (items) => [items.findIndex((i) => i.detail === newer)];
      assert.equal(await vscode.commands.executeCommand<boolean>('cnnSlicer.compareRuns'), false);
      assert.equal(panels.openPanelCount(), before, 'one run ticked: nothing opened');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /needs at least two runs; you picked 1/);

      // The list: every recorded run, newest first, with the tree's label and the run folder.
      const all = await api.ctx.runs.runs();
      const tree = await api.runsView.provider.getChildren();
      assert.deepEqual(
        offered[0].map((o) => o.detail),
        all.map((r) => r.folder),
      );
      const treeLabels = new Map(
        tree.flatMap((g) =>
          g.kind === 'model' ? g.runs.map((n) => [n.runFolder, labelText(api.runsView.provider.getTreeItem(n).label)] as const) : [],
        ),
      );
      // The tree names the model in the group and the run below it; the pick names both.
      const modelNames = new Map(all.map((r) => [r.folder, r.manifest.model.name] as const));
      for (const o of offered[0]) assert.equal(o.label, `${modelNames.get(o.detail!)} · ${treeLabels.get(o.detail!)}`);
      const times = all.map((r) => r.manifest.createdAt);
      assert.deepEqual(times, [...times].sort().reverse(), 'newest first');

      tick = (items) => [items.findIndex((i) => i.detail === newer), items.findIndex((i) => i.detail === older)];
      assert.equal(await vscode.commands.executeCommand<boolean>('cnnSlicer.compareRuns'), true);
      assert.deepEqual(panels.runsOf([older, newer]), [older, newer]);
    } finally {
      Object.assign(ui, original);
    }
  });

  it('compares a run with the run of the same model recorded before it', async () => {
    const [b] = await runNodes(newer);
    assert.equal(await vscode.commands.executeCommand<boolean>('cnnSlicer.compareWithPrevious', b), true);
    assert.deepEqual(panels.runsOf([older, newer]), [older, newer]);
  });

  it('says so when a run has no earlier run of its model to compare with', async () => {
    const ui = api.compareCommands.ui;
    const original = { ...ui };
    const messages: string[] = [];
    ui.inform = (message) => messages.push(message);
    try {
      const before = panels.openPanelCount();
      const oldest = (await api.ctx.runs.runsOfModel(fixtureUri('tiny-model.ts').fsPath)).at(-1)!;
      assert.equal(await vscode.commands.executeCommand<boolean>('cnnSlicer.compareWithPrevious', { runFolder: oldest.folder }), false);
      assert.equal(panels.openPanelCount(), before);
      assert.equal(messages.length, 1);
      assert.match(
        messages[0],
        /^tiny-model\.ts · #1 has no earlier run of tiny-model\.ts with a recorded epoch to compare with\. Record the model again/,
      );
    } finally {
      Object.assign(ui, original);
    }
  });

  it('restores a comparison after a reload from the run ids its views saved', async () => {
    const ids = await Promise.all([older, newer].map(async (f) => (await api.ctx.runs.find(f))!.manifest.id));
    const panel = vscode.window.createWebviewPanel('cnnSlicer.compare', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    await panels.restore(panel, { version: 1, runId: ids[0], views: { compareRuns: ids } });
    assert.equal(panels.panelOf([older, newer]), panel);
    assert.match(panel.title, /^CNN Slicer: compare tiny-model\.ts/);
    await waitFor('the restored comparison to say it is ready', () => panels.readyCount([older, newer]) > 0, 60_000);

    const gone = vscode.window.createWebviewPanel('cnnSlicer.compare', 'restored', vscode.ViewColumn.Active, { enableScripts: true });
    try {
      await panels.restore(gone, { version: 1, views: { compareRuns: [ids[0], '20000101-000000-deleted'] } });
      assert.match(gone.webview.html, /its runs 20000101-000000-deleted are no longer available/);
      assert.equal(gone.webview.options.enableScripts, false);
    } finally {
      gone.dispose();
    }
  });

  it('selects the layer under the editor cursor by its position and type', async () => {
    await panels.open([older, newer]);
    const document = await vscode.workspace.openTextDocument(fixtureUri('tiny-model.ts'));
    const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One });
    const line = Array.from({ length: document.lineCount }, (_, i) => i).find((i) => /tf\.layers\.conv2d/.test(document.lineAt(i).text));
    assert.ok(line !== undefined, 'the fixture defines a convolution');
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('cursorMove', { to: 'down', by: 'line', value: line });
    const focus = await waitFor('the comparison to get the cursor’s layer', () => panels.focusesOf([older, newer])[0]);
    const run = (await api.ctx.runs.newestOfModel(document.uri.fsPath))!;
    assert.equal(focus.layerClass, 'Conv2D');
    assert.equal(run.manifest.layers[focus.layer!].className, 'Conv2D');
  });
});

function labelText(label: string | vscode.TreeItemLabel | undefined): string {
  return typeof label === 'string' ? label : (label?.label ?? '');
}
