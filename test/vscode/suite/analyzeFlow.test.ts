// "Analyze CNN" in a real VS Code: a file that is not a model fails before the quick input
// instead of after both steps.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activate, fixtureUri } from './helpers';

describe('Analyze CNN flow', function () {
  this.timeout(60_000);

  it('stops at once on a file that is not a model, without opening the quick input', async () => {
    await activate();
    const file = fixtureUri('notAModel.ts');
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode('export const answer = 42;\n'));
    try {
      // The old flow waited in the dataset quick pick here; the check returns before it opens.
      const outcome = await Promise.race([
        vscode.commands.executeCommand('cnnSlicer.analyze', file).then((r) => ({ returned: r })),
        new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 5_000)),
      ]);
      assert.notEqual(outcome, 'waiting', 'Analyze CNN returned instead of waiting in the quick input');
      assert.deepEqual(outcome, { returned: undefined });
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await vscode.workspace.fs.delete(file);
    }
  });
});
