// The "Recorded Runs" view in a real VS Code: runs grouped by model file, its items for a recorded run of the fixture model,
// the layers under it, "go to layer" opening the model at the layer's line, rename, delete (with the
// confirmation answered by the test), unreadable run folders, and refusing paths that are not runs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunNode, RunsNode, RunsView } from '../../../src/extension/runs/runsTree';
import { activate, fixtureFolder, fixtureUri, removeFolder, waitFor } from './helpers';
import { recordFixtureRun, sharedFixtureRun } from './recordedRuns';

function topNodes(tree: RunsView): Promise<RunsNode[]> {
  return tree.provider.getChildren();
}

/** Every run of the tree: the runs under each model file's group. */
async function runNodes(tree: RunsView): Promise<RunNode[]> {
  return (await topNodes(tree)).flatMap((n) => (n.kind === 'model' ? n.runs : []));
}

async function runNode(tree: RunsView, folder: string): Promise<RunNode | undefined> {
  return (await runNodes(tree)).find((n) => n.runFolder === folder);
}

function item(tree: RunsView, node: RunsNode | undefined): vscode.TreeItem {
  assert.ok(node, 'the node is in the tree');
  return tree.provider.getTreeItem(node);
}

describe('runs tree', function () {
  this.timeout(120_000);
  let api: CnnSlicerApi;
  let tree: RunsView;
  let folder: string;

  before(async () => {
    api = await activate();
    tree = api.runsView;
    folder = await sharedFixtureRun(api);
  });

  it('groups the runs by model file: the file’s workspace path, its full path on hover, its runs newest first', async () => {
    const other = join(api.ctx.runsFolders()[0], 'other-model-run');
    const otherModel = fixtureUri('other-model.ts').fsPath;
    const template = (await api.ctx.runs.find(folder))!.manifest;
    writeFileSync(otherModel, '// another model\n');
    mkdirSync(other, { recursive: true });
    writeFileSync(
      join(other, 'manifest.json'),
      JSON.stringify({
        ...template,
        id: 'other-model-run',
        epochs: [],
        model: { ...template.model, file: otherModel, relativeFile: undefined, name: 'other-model.ts', sourceFiles: [otherModel] },
      }),
    );
    try {
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
      // Other suites may have recorded other models in this workspace: wait for this model's group.
      const top = await waitFor('the other model’s group', async () => {
        const nodes = await topNodes(tree);
        return nodes.some((n) => n.kind === 'model' && n.modelFile === otherModel) ? nodes : undefined;
      });
      const groups = top.filter((n) => n.kind === 'model');
      assert.ok(groups.length >= 2 && top.slice(0, groups.length).every((n) => n.kind === 'model'), 'the groups come first');
      const byFile = new Map(groups.map((g) => [g.modelFile, g]));
      const tiny = byFile.get(fixtureUri('tiny-model.ts').fsPath);
      const lone = byFile.get(otherModel);
      assert.ok(tiny && lone, [...byFile.keys()].join(', '));
      const tinyItem = item(tree, tiny);
      assert.equal(labelText(tinyItem.label), 'tiny-model.ts');
      assert.equal(tinyItem.tooltip, fixtureUri('tiny-model.ts').fsPath);
      assert.equal(tinyItem.contextValue, 'modelFile', 'no run menu applies to a group');
      assert.equal(tinyItem.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
      assert.equal(tinyItem.description, `${tiny.runs.length} ${tiny.runs.length === 1 ? 'run' : 'runs'}`);
      assert.equal(item(tree, lone).description, '1 run');
      // The fixture model's runs, and only they, under its group, newest first; each knows its group.
      const tinyRuns = (await api.ctx.runs.runsOfModel(fixtureUri('tiny-model.ts').fsPath)).map((r) => r.folder);
      assert.deepEqual(
        (await tree.provider.getChildren(tiny)).map((n) => (n.kind === 'run' ? n.runFolder : n.kind)),
        tinyRuns,
      );
      assert.ok(tinyRuns.includes(folder));
      assert.deepEqual(
        (await tree.provider.getChildren(lone)).map((n) => (n.kind === 'run' ? n.runFolder : n.kind)),
        [other],
      );
      const run = await runNode(tree, folder);
      const parent = tree.provider.getParent(run!);
      assert.equal(parent?.kind === 'model' && parent.modelFile, tiny.modelFile, 'a run’s parent is its model file');
      const times = tiny.runs.map((r) => r.record.manifest.createdAt);
      assert.deepEqual(times, [...times].sort().reverse());
    } finally {
      removeFolder(other);
      rmSync(otherModel, { force: true });
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
    // Other suites may have left other models' groups (the findings-after-reload model): wait for this one's to go.
    await waitFor('the other model’s group gone', async () =>
      (await topNodes(tree)).every((n) => n.kind !== 'model' || n.modelFile !== otherModel),
    );
  });

  it('lists a recorded run under its model with its own label, status, dataset and a context value for its menus', async () => {
    const node = await waitFor('the run in the tree', () => runNode(tree, folder));
    const it = item(tree, node);
    // The group names the model; the run item does not repeat it.
    assert.match(labelText(it.label), /^#\d+$/);
    assert.match(labelText(item(tree, tree.provider.getParent(node)).label), /tiny-model\.ts/);
    assert.match(String(it.description), /^completed · synthetic:300 · /);
    assert.equal(it.contextValue, 'run.done');
    assert.equal(it.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed, 'the twistie expands it');
    // A single click opens the run's panel.
    assert.equal(it.command?.command, 'cnnSlicer.openRun');
    assert.deepEqual(it.command.arguments, [{ runFolder: folder }]);
    assert.ok(it.iconPath instanceof vscode.ThemeIcon && it.iconPath.id === 'pass');
    const tooltip = it.tooltip as vscode.MarkdownString;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.ok(tooltip.value.includes('Epochs: 1/1'), tooltip.value);
    assert.ok(tooltip.value.includes(basename(folder).replace(/-/g, '\\-')), 'the folder is in the tooltip');
  });

  it('shows the details and every layer of the run, each layer linked to its source line', async () => {
    const children = await tree.provider.getChildren(await runNode(tree, folder));
    assert.equal(children[0].kind, 'details');
    const details = (await tree.provider.getChildren(children[0])).map((n) => item(tree, n));
    assert.deepEqual(
      details.map((d) => d.label),
      ['Model', 'Dataset', 'Date', 'Epochs', 'Backend', 'Probe', 'Folder'],
    );
    // Paths inside the workspace folder are shown relative to it.
    assert.equal(details[0].description, 'tiny-model.ts');
    assert.match(String(details[6].description), /^\.cnnslicer\/runs\/[^/]+$/);
    assert.equal(details[3].description, '1/1');
    const layers = children.slice(1).map((n) => item(tree, n));
    assert.deepEqual(
      layers.map((l) => l.label),
      ['input · Input', 'conv1 · Conv2D', 'pool1 · MaxPooling2D', 'conv2 · Conv2D', 'flatten · Flatten', 'output · Dense'],
    );
    assert.equal(layers[1].description, '10×10×4');
    assert.equal(layers[1].contextValue, 'layer');
    assert.deepEqual(layers[1].command?.command, 'cnnSlicer.goToLayer');
    assert.deepEqual(layers[1].command?.arguments, [folder, 1]);
    assert.equal(layers[0].command, undefined, 'the model input has no source line');
  });

  it('goes to a layer: opens the model file with the cursor on the layer definition', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('cnnSlicer.goToLayer', folder, 3);
    const editor = await waitFor('an editor on the model file', () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.fsPath === fixtureUri('tiny-model.ts').fsPath ? e : undefined;
    });
    const line = editor.selection.active.line;
    assert.match(editor.document.lineAt(line).text, /name: 'conv2'/);
    const source = (await api.ctx.runs.find(folder))!.manifest.layers[3].source!;
    assert.deepEqual([line, editor.selection.active.character], [source.line - 1, source.column - 1]);
    assert.ok(
      editor.visibleRanges.some((r) => r.contains(editor.selection.active)),
      'the line is scrolled into view',
    );
  });

  it('renames a run in the view only (the run folder is not touched) and can go back to its number', async () => {
    const manifestBefore = vscode.Uri.file(join(folder, 'manifest.json'));
    const before = await vscode.workspace.fs.stat(manifestBefore);
    const numbered = labelText(item(tree, await runNode(tree, folder)).label);
    await vscode.commands.executeCommand('cnnSlicer.renameRun', { runFolder: folder, label: 'baseline' });
    await waitFor('the new label', async () => item(tree, await runNode(tree, folder)).label === 'baseline');
    assert.equal((await vscode.workspace.fs.stat(manifestBefore)).mtime, before.mtime);
    await vscode.commands.executeCommand('cnnSlicer.renameRun', { runFolder: folder, label: '' });
    await waitFor('the numbered label again', async () => item(tree, await runNode(tree, folder)).label === numbered);
  });

  it('deletes a run after its confirmation, closing its panel', async () => {
    const doomed = await recordFixtureRun(api);
    assert.notEqual(doomed, folder);
    await vscode.commands.executeCommand('cnnSlicer.openRun', { runFolder: doomed });
    const panels = api.panels;
    assert.ok(panels.panelOf(doomed), 'its panel is open');
    const asked: string[] = [];
    const original = api.runCommands.ui;
    api.runCommands.ui = { confirm: async (message, _detail, action) => (asked.push(message), action) };
    try {
      await vscode.commands.executeCommand('cnnSlicer.deleteRun', { runFolder: doomed });
    } finally {
      api.runCommands.ui = original;
    }
    assert.match(asked[0], /^Delete the run “tiny-model\.ts · #\d+”\?$/);
    // Where there is no trash (code-server has none) a second confirmation precedes deleting for good.
    assert.ok(
      asked.length === 1 || (asked.length === 2 && /cannot be moved to the trash\. Delete it permanently\?$/.test(asked[1])),
      asked.join(' / '),
    );
    assert.equal(existsSync(doomed), false, 'the folder is gone');
    assert.equal(panels.panelOf(doomed), undefined, 'its panel is closed');
    await waitFor('the run to leave the tree', async () => !(await runNode(tree, doomed)));
    assert.ok(await runNode(tree, folder), 'the other run stays');
  });

  it('keeps a run when the confirmation is declined', async () => {
    const original = api.runCommands.ui;
    let asked = 0;
    api.runCommands.ui = { confirm: async () => (asked++, undefined) };
    try {
      await vscode.commands.executeCommand('cnnSlicer.deleteRun', { runFolder: folder });
    } finally {
      api.runCommands.ui = original;
    }
    assert.equal(asked, 1);
    assert.ok(existsSync(join(folder, 'manifest.json')));
  });

  it('deletes for good only after a second confirmation when the trash is not available', async () => {
    const run = await recordFixtureRun(api);
    const asked: string[] = [];
    const original = api.runCommands.ui;
    // Yes to the trash, no to deleting permanently.
    api.runCommands.ui = { confirm: async (message, _detail, action) => (asked.push(message), asked.length === 1 ? action : undefined) };
    let kept: boolean;
    try {
      await vscode.commands.executeCommand('cnnSlicer.deleteRun', { runFolder: run });
      kept = existsSync(join(run, 'manifest.json'));
    } finally {
      api.runCommands.ui = original;
      removeFolder(run);
    }
    if (asked.length === 1) {
      // This machine has a trash: the run went there at the first answer.
      assert.equal(kept, false);
    } else {
      assert.equal(asked.length, 2);
      assert.match(asked[1], /cannot be moved to the trash/);
      assert.equal(kept, true, 'declining the second confirmation keeps the run');
    }
  });

  it('records a run again with its own settings, not the workspace defaults', async () => {
    const old = (await api.ctx.runs.find(folder))!.manifest;
    // Resolves with the recording's outcome (the recording module's cnnSlicer.analyze).
    const outcome = await vscode.commands.executeCommand<{ kind: string; folder?: string } | undefined>(
      'cnnSlicer.rerun',
      await runNode(tree, folder),
    );
    // A failed recording says why here rather than as a time-out below.
    assert.equal(outcome?.kind, 'done', JSON.stringify(outcome));
    api.ctx.runs.refresh();
    // The new run is the outcome's folder (a folder name freed by an earlier test may come back).
    const newFolder = outcome?.folder;
    assert.ok(newFolder && newFolder !== folder, JSON.stringify(outcome));
    const again = await waitFor('the new run in the index', () => api.ctx.runs.find(newFolder), 60_000);
    try {
      assert.equal(again.manifest.model.file, old.model.file);
      assert.equal(again.manifest.dataset.spec, old.dataset.spec);
      // The fixture workspace's settings say 2 epochs, 60 probe inputs and k = 20; the old run had 1, 40 and 10.
      const pick = (s: typeof old.settings) => ({ epochs: s.epochs, probeSize: s.probeSize, k: s.k, bins: s.bins, batchSize: s.batchSize });
      assert.deepEqual(pick(again.manifest.settings), pick(old.settings));
    } finally {
      removeFolder(again.folder);
      api.ctx.runs.refresh();
    }
  });

  it('records a run again with its seed, probe per class, record every and learning rate, over an answer remembered from Analyze CNN', async () => {
    const more = ['--epochs', '2', '--seed', '5', '--probe-per-class', '4', '--record-every', '2', '--lr', '0.02'];
    const source = await recordFixtureRun(api, 'tiny-model.ts', more);
    const old = (await api.ctx.runs.find(source))!.manifest;
    const key = `cnnSlicer.recordDefaults:${old.model.file}`;
    const remembered = api.ctx.workspaceState.get(key);
    // An Analyze CNN answer remembered for the model (before, a learning rate typed once stuck to every recording).
    await api.ctx.workspaceState.update(key, { learningRate: 0.3, optimizer: 'sgd', probeSize: 60 });
    let again: Awaited<ReturnType<typeof api.ctx.runs.find>>;
    try {
      const outcome = await vscode.commands.executeCommand<{ kind: string; folder?: string } | undefined>(
        'cnnSlicer.rerun',
        await runNode(tree, source),
      );
      assert.equal(outcome?.kind, 'done', JSON.stringify(outcome));
      api.ctx.runs.refresh();
      // The index refreshes at most every 150 ms: until then it may hold the run as it was while recording.
      again = await waitFor(
        'the new run in the index, completed',
        async () => {
          const r = await api.ctx.runs.find(outcome.folder!);
          return r?.manifest.status === 'completed' ? r : undefined;
        },
        60_000,
      );
      const pick = (s: typeof old.settings) => ({
        seed: s.seed,
        probePerClass: s.probePerClass,
        recordEvery: s.recordEvery,
        epochs: s.epochs,
        optimizer: s.optimizer,
        learningRate: s.learningRate,
      });
      assert.deepEqual(pick(again.manifest.settings), {
        seed: 5,
        probePerClass: 4,
        recordEvery: 2,
        epochs: 2,
        optimizer: 'adam',
        learningRate: 0.02,
      });
      assert.deepEqual(pick(again.manifest.settings), pick(old.settings));
      assert.deepEqual(again.manifest.epochs, old.epochs);
      assert.deepEqual(again.manifest.probe.classCounts, old.probe.classCounts);
      // Record Again leaves the remembered answers as they were.
      assert.deepEqual(api.ctx.workspaceState.get(key), { learningRate: 0.3, optimizer: 'sgd', probeSize: 60 });
    } finally {
      await api.ctx.workspaceState.update(key, remembered);
      // The extension may still be writing answers into a new run's cache (its findings for the Problems panel).
      for (const f of [source, again?.folder]) if (f) removeFolder(f);
      api.ctx.runs.refresh();
    }
  });

  it('refuses to delete or open a folder that is not a run of the workspace', async () => {
    const original = api.runCommands.ui;
    let asked = 0;
    api.runCommands.ui = { confirm: async (_m, _d, action) => (asked++, action) };
    try {
      // The command wrapper shows the error; the command itself resolves.
      await vscode.commands.executeCommand('cnnSlicer.deleteRun', { runFolder: fixtureFolder().uri.fsPath });
      await vscode.commands.executeCommand('cnnSlicer.deleteRun', { runFolder: join(folder, '..', '..') });
    } finally {
      api.runCommands.ui = original;
    }
    assert.equal(asked, 0, 'nothing was offered for deletion');
    assert.ok(existsSync(fixtureUri('tiny-model.ts').fsPath));
    const panels = api.panels;
    const count = panels.openPanelCount();
    await assert.rejects(panels.open(fixtureFolder().uri.fsPath), /not a recorded run/);
    assert.equal(panels.openPanelCount(), count);
  });

  it('copies a run’s folder path to the clipboard', async () => {
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('cnnSlicer.copyRunPath', await runNode(tree, folder));
    assert.equal(await vscode.env.clipboard.readText(), folder);
  });

  it('lists an unreadable run folder as an error item with the reason', async () => {
    const broken = join(api.ctx.runsFolders()[0], 'broken-run');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'manifest.json'), '{ not json');
    try {
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
      const node = await waitFor('the unreadable run in the tree', async () =>
        (await topNodes(tree)).find((n) => n.kind === 'unreadable' && n.runFolder === broken),
      );
      const it = item(tree, node);
      assert.equal(it.label, 'broken-run');
      assert.equal(it.contextValue, 'unreadableRun');
      assert.doesNotMatch(String(it.contextValue), /^run/, 'the run menus (viewItem =~ /^run/) do not apply');
      assert.match((it.tooltip as vscode.MarkdownString).value, /damaged/);
    } finally {
      removeFolder(broken);
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
    await waitFor('the unreadable run to leave the tree', async () => !(await topNodes(tree)).some((n) => n.kind === 'unreadable'));
  });
});

/** A tree item's label as text, whether VS Code holds it as a string or as a highlighted label. */
function labelText(label: string | vscode.TreeItemLabel | undefined): string {
  return typeof label === 'string' ? label : (label?.label ?? '');
}
