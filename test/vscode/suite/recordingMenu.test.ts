// The status bar item's menu follows the recording while it is open: a menu opened at one epoch
// reads the next epoch once the status bar does, instead of the text it was opened with.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RecordingOutcome } from '../../../src/recorder/client';
import { activate, fixtureUri, waitFor } from './helpers';

describe('the recording menu', function () {
  this.timeout(120_000);

  it('reads what the status bar reads while it stays open, epoch after epoch', async () => {
    const api = await activate();
    const done = vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
      modelFile: fixtureUri('tiny-model.ts').fsPath,
      noPrompt: true,
      settings: { epochs: 500, probeSize: 40, k: 10, backend: 'wasm' },
    });
    const folder = await waitFor('the recorder to create its run folder', () => api.recordings.activeFolders()[0], 60_000);
    try {
      const training = (): string | undefined => {
        const text = api.recordings.statusText();
        return text && /epoch \d+\//.test(text) ? text : undefined;
      };
      await waitFor('the status bar to show an epoch', training, 60_000);
      void vscode.commands.executeCommand('cnnSlicer.recordingMenu');
      const cancelItem = (): string | undefined => api.recordings.menu.openItems()?.find((i) => i.label.includes('Cancel'))?.description;
      const opened = await waitFor('the menu to open', cancelItem, 10_000);
      // Two later epochs: the open menu must have followed each one.
      const epochOf = (s: string): number => Number(/epoch (\d+)\//.exec(s)?.[1]);
      await waitFor('two more epochs', () => (epochOf(training() ?? '') >= epochOf(opened) + 2 ? true : undefined), 60_000);
      await waitFor(
        'the open menu to read what the status bar reads',
        () => {
          const status = training()?.replace('$(loading~spin) ', '');
          return status !== undefined && cancelItem() === status ? true : undefined;
        },
        5_000,
      );
      assert.ok(epochOf(cancelItem() ?? '') >= epochOf(opened) + 2, `menu: ${cancelItem()}, opened at: ${opened}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await vscode.commands.executeCommand('cnnSlicer.cancelRecording', { runFolder: folder });
    }
    const outcome = await done;
    assert.ok(outcome.kind === 'done' && outcome.status === 'cancelled', JSON.stringify(outcome));
  });
});
