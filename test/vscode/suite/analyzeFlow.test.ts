// "Analyze CNN" in a real VS Code: a file that is not a model fails before the quick input
// instead of after both steps.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RecordingOutcome } from '../../../src/recorder/client';
import { activate, fixtureUri, waitFor } from './helpers';

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

  it('records with the optimizer and learning rate chosen, over the model’s own, for that recording only', async () => {
    const api = await activate();
    const modelFile = fixtureUri('tiny-model.ts').fsPath;
    const outcome = await vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
      modelFile,
      noPrompt: true,
      settings: { epochs: 1, probeSize: 40, k: 10, backend: 'wasm', optimizer: 'sgd', learningRate: 0.005 },
    });
    assert.ok(outcome.kind === 'done' && outcome.status === 'completed', JSON.stringify(outcome));
    api.ctx.runs.refresh();
    const run = await waitFor('the run in the index', () => api.ctx.runs.find(outcome.folder));
    // The fixture's training export says adam at 0.01: the choice wins, and the run says so.
    assert.equal(run.manifest.settings.optimizer, 'sgd');
    assert.equal(run.manifest.settings.learningRate, 0.005);
    // The other answers are remembered for the model; a training override is not, or it would
    // outlive every later edit of the file's `training` export.
    const remembered = api.ctx.workspaceState.get<Record<string, unknown>>(`cnnSlicer.recordDefaults:${modelFile}`);
    assert.equal(remembered?.probeSize, 40);
    assert.equal(remembered?.learningRate, undefined);
    assert.equal(remembered?.optimizer, undefined);
    try {
      const next = await vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
        modelFile,
        noPrompt: true,
        settings: { epochs: 1, probeSize: 40, k: 10, backend: 'wasm' },
      });
      assert.ok(next.kind === 'done' && next.status === 'completed', JSON.stringify(next));
      api.ctx.runs.refresh();
      const own = await waitFor('the second run in the index', () => api.ctx.runs.find(next.folder));
      // The fixture's own: adam at 0.01.
      assert.deepEqual([own.manifest.settings.optimizer, own.manifest.settings.learningRate], ['adam', 0.01]);
      await vscode.workspace.fs.delete(vscode.Uri.file(own.folder), { recursive: true });
    } finally {
      // Later tests record the fixture with its own training again.
      await api.ctx.workspaceState.update(`cnnSlicer.recordDefaults:${modelFile}`, undefined);
    }
  });
});
