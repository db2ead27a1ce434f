// Where panels open in a real VS Code: beside the model's code, the same whether
// the run is opened from a CodeLens, from the Recorded Runs tree or with another panel focused —
// never in the code's own editor group, never in a third group.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunNode } from '../../../src/extension/runs/runsTree';
import { activate, fixtureUri, waitFor } from './helpers';
import { recordFixtureRun, sharedFixtureRun } from './recordedRuns';

describe('panel placement', function () {
  this.timeout(180_000);
  let api: CnnSlicerApi;
  let folder: string;
  let second: string;

  async function treeRun(runFolder: string): Promise<RunNode> {
    const top = await api.runsView.provider.getChildren();
    const node = top.flatMap((n): RunNode[] => (n.kind === 'model' ? n.runs : [])).find((n) => n.runFolder === runFolder);
    assert.ok(node, `the tree lists ${runFolder}`);
    return node;
  }

  /** Clicks a run in the tree: focuses the view, then runs the item's own command (its single-click action). */
  async function clickTreeRun(runFolder: string): Promise<void> {
    await vscode.commands.executeCommand('cnnSlicer.runs.focus');
    const command = api.runsView.provider.getTreeItem(await treeRun(runFolder)).command;
    assert.ok(command, 'a run item opens on a click');
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
  }

  async function showModel(): Promise<vscode.TextEditor> {
    const document = await vscode.workspace.openTextDocument(fixtureUri('tiny-model.ts'));
    return vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
  }

  function columnOf(runFolder: string): vscode.ViewColumn | undefined {
    return api.panels.panelOf(runFolder)?.viewColumn;
  }

  before(async () => {
    api = await activate();
    folder = await sharedFixtureRun(api);
    second = await recordFixtureRun(api);
    await waitFor('both runs in the index', async () => (await api.ctx.runs.find(second)) !== undefined);
  });

  beforeEach(async () => {
    api.panels.close(folder);
    api.panels.close(second);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    api.panels.close(folder);
    api.panels.close(second);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a run from the Recorded Runs tree beside the code, not in its group', async () => {
    const editor = await showModel();
    await clickTreeRun(folder);
    const column = await waitFor('the run panel', () => columnOf(folder));
    assert.equal(editor.viewColumn, vscode.ViewColumn.One);
    assert.equal(column, vscode.ViewColumn.Two);
  });

  it('opens a run from a CodeLens beside the code, the same column as from the tree', async () => {
    const editor = await showModel();
    const lens = await waitFor('a lens with the run', async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri)) ?? [];
      return lenses.find((l) => l.command?.command === 'cnnSlicer.showEntropy' && typeof l.command.arguments?.[0] === 'string');
    });
    const runFolder = lens.command!.arguments![0] as string;
    await vscode.commands.executeCommand(lens.command!.command, ...lens.command!.arguments!);
    assert.equal(await waitFor('the run panel', () => columnOf(runFolder)), vscode.ViewColumn.Two);
    api.panels.close(runFolder);
  });

  it('opens a second run beside the code while the first run’s panel is focused, not in a third group', async () => {
    await showModel();
    await clickTreeRun(folder);
    await waitFor('the first panel', () => columnOf(folder));
    api.panels.panelOf(folder)!.reveal(undefined, false);
    await waitFor('the first panel to be active', () => api.panels.panelOf(folder)?.active);
    await clickTreeRun(second);
    assert.equal(await waitFor('the second panel', () => columnOf(second)), vscode.ViewColumn.Two);
  });

  it('opens a run beside the model’s code when another file beside it is the active editor, not in a third group', async () => {
    await showModel();
    const readme = await vscode.workspace.openTextDocument(fixtureUri('README.md'));
    await vscode.window.showTextDocument(readme, { viewColumn: vscode.ViewColumn.Two, preserveFocus: false });
    await clickTreeRun(folder);
    assert.equal(await waitFor('the run panel', () => columnOf(folder)), vscode.ViewColumn.Two);
  });

  it('opens a comparison beside the code too', async () => {
    await showModel();
    await vscode.commands.executeCommand('cnnSlicer.compareRuns', [{ runFolder: folder }, { runFolder: second }]);
    const column = await waitFor('the comparison panel in a column', () => api.comparePanels.panelOf([folder, second])?.viewColumn);
    assert.equal(column, vscode.ViewColumn.Two);
    api.comparePanels.close([folder, second]);
  });

  it('opens a comparison in the first column when the model sits in the second (Quick Open into a panel’s group), not a third', async () => {
    // Another file in the first column, a run's panel in the second, and the model opened into the
    // panel's group, the way Quick Open does with that group focused.
    const readme = await vscode.workspace.openTextDocument(fixtureUri('README.md'));
    await vscode.window.showTextDocument(readme, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    await clickTreeRun(folder);
    assert.equal(await waitFor('the run panel', () => columnOf(folder)), vscode.ViewColumn.Two);
    const document = await vscode.workspace.openTextDocument(fixtureUri('tiny-model.ts'));
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Two, preserveFocus: false });
    await vscode.commands.executeCommand('cnnSlicer.compareRuns', [{ runFolder: folder }, { runFolder: second }]);
    const column = await waitFor('the comparison panel in a column', () => api.comparePanels.panelOf([folder, second])?.viewColumn);
    assert.notEqual(column, vscode.ViewColumn.Three, 'no third column');
    assert.equal(vscode.window.tabGroups.all.length <= 2, true, `${vscode.window.tabGroups.all.length} editor groups`);
    api.comparePanels.close([folder, second]);
  });
});
