// Recording from inside VS Code: "Analyze CNN" starts the recorder child process with the
// remembered settings, the run appears in the index while it records, "Cancel Recording" stops it
// after the current batch, and the answers are remembered per model.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RecordingOutcome } from '../../../src/recorder/client';
import { activate, fixtureUri, waitFor } from './helpers';

describe('recording', function () {
  this.timeout(120_000);

  it('records the fixture model from the Analyze CNN command and lists the finished run', async () => {
    const api = await activate();
    const modelFile = fixtureUri('tiny-model.ts').fsPath;
    const outcome = await vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
      modelFile,
      noPrompt: true,
      settings: { epochs: 1, probeSize: 40, k: 10, backend: 'wasm' },
    });
    assert.equal(outcome.kind, 'done', JSON.stringify(outcome));
    assert.ok(outcome.kind === 'done' && outcome.status === 'completed');
    api.ctx.runs.refresh();
    const run = await waitFor('the run index to list the new run', () => api.ctx.runs.find(outcome.folder));
    assert.equal(run.manifest.settings.epochs, 1);
    assert.equal(run.manifest.settings.probeSize, 40);
    assert.deepEqual(api.recordings.activeFolders(), []);
    // The status bar keeps saying it is done after the notification may have hidden.
    assert.equal(api.recordings.statusText(), '$(check) tiny-model.ts recorded');
    // The panel does not open by itself here (the fixture's setting): the message says the run is recorded.
    assert.equal(api.recordings.notices().at(-1), 'CNN Slicer: tiny-model.ts is recorded.');
    // The answers are remembered for this model: the next flow starts from them.
    const remembered = api.ctx.workspaceState.get<Record<string, unknown>>(`cnnSlicer.recordDefaults:${modelFile}`);
    assert.equal(remembered?.probeSize, 40);
  });

  it("opens the run's panel when a recording completes, with cnnSlicer.panels.openWhenRecorded (on by default)", async () => {
    const api = await activate();
    const config = vscode.workspace.getConfiguration('cnnSlicer');
    // The fixture workspace turns it off for the other tests; the user's default is on.
    assert.equal(config.inspect<boolean>('panels.openWhenRecorded')?.defaultValue, true);
    await config.update('panels.openWhenRecorded', true, vscode.ConfigurationTarget.Workspace);
    const noticesBefore = api.recordings.notices().length;
    try {
      const outcome = await vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
        modelFile: fixtureUri('tiny-model.ts').fsPath,
        noPrompt: true,
        settings: { epochs: 1, probeSize: 40, k: 10, backend: 'wasm' },
      });
      assert.ok(outcome.kind === 'done' && outcome.status === 'completed', JSON.stringify(outcome));
      await waitFor('the panel of the recorded run to open', () => api.panels.panelOf(outcome.folder), 30_000);
      // One notice per recording: the panel, not also an "Open Run" message about it.
      assert.deepEqual(api.recordings.notices().slice(noticesBefore), [], 'no message when the panel opened by itself');
      api.panels.close(outcome.folder);
    } finally {
      await config.update('panels.openWhenRecorded', false, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('cancels a recording from the command: the run stays, marked cancelled, with its completed epochs', async () => {
    const api = await activate();
    const modelFile = fixtureUri('tiny-model.ts').fsPath;
    const done = vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
      modelFile,
      noPrompt: true,
      settings: { epochs: 500, probeSize: 40, k: 10, backend: 'wasm' },
    });
    const folder = await waitFor('the recorder to create its run folder', () => api.recordings.activeFolders()[0], 60_000);
    try {
      // Live while recording: the index shows the run with status "recording".
      api.ctx.runs.refresh();
      await waitFor('the live run in the index', async () => (await api.ctx.runs.find(folder))?.manifest.status === 'recording', 30_000);
    } finally {
      // Whatever happened above, no recording outlives this test.
      await vscode.commands.executeCommand('cnnSlicer.cancelRecording', { runFolder: folder });
    }
    const outcome = await done;
    assert.ok(outcome.kind === 'done' && outcome.status === 'cancelled', JSON.stringify(outcome));
    api.ctx.runs.refresh();
    let seen = '';
    const run = await waitFor('the cancelled run in the index', async () => {
      const r = await api.ctx.runs.find(folder);
      const listed = await api.ctx.runs.list();
      seen = `${r?.manifest.status} (${listed.runs.length} runs, errors: ${listed.errors.map((e) => e.message).join('; ')})`;
      return r?.manifest.status === 'cancelled' ? r : undefined;
    }).catch(async (e: Error) => {
      const logFile = vscode.Uri.joinPath(api.ctx.extensionContext.logUri, 'CNN Slicer.log');
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(logFile));
      throw new Error(`${e.message}; last seen: ${seen}\n${text.split('\n').slice(-25).join('\n')}`);
    });
    assert.ok(run.manifest.epochs.length >= 1);
    assert.deepEqual(api.recordings.activeFolders(), []);
  });
});
