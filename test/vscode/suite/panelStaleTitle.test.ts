// An open run panel says when its run was recorded before the last edit of its model file, by the
// lenses' rule (unsaved changes, or saved after the run), and follows the file as it changes.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activate, fixtureUri, waitFor } from './helpers';
import { sharedFixtureRun } from './recordedRuns';

describe('run panel title after an edit', function () {
  this.timeout(120_000);

  it('marks the panel recorded before your last edit while the model has unsaved changes, and not after a revert', async () => {
    const api = await activate();
    const folder = await sharedFixtureRun(api);
    await api.panels.open(folder);
    const panel = api.panels.panelOf(folder);
    assert.ok(panel);
    try {
      assert.doesNotMatch(panel.title, /recorded before your last edit/);
      const document = await vscode.workspace.openTextDocument(fixtureUri('tiny-model.ts'));
      await vscode.window.showTextDocument(document);
      const edit = new vscode.WorkspaceEdit();
      edit.insert(document.uri, new vscode.Position(0, 0), '// an edit\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      await waitFor('the stale title', () => / \(recorded before your last edit\)$/.test(panel.title));
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await waitFor('the plain title again', () => !panel.title.includes('recorded before your last edit'));
    } finally {
      api.panels.close(folder);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
