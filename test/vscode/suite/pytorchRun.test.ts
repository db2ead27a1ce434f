// A PyTorch run in a real VS Code: a run folder the Python recorder wrote (test/fixtures/pytorch-run,
// its epochs awaiting their measures) put into the workspace's runs folder is measured by the
// extension (src/extension/runs/pendingMeasures.ts runs the bundled `cnn-slicer measure`), and the
// runs index then lists every epoch with its measures.
import assert from 'node:assert/strict';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activate, waitFor } from './helpers';

describe('a PyTorch run', function () {
  this.timeout(120_000);

  it('is measured once VS Code finds it, and then lists every epoch with its measures', async () => {
    const api = await activate();
    // This file runs from dist/test/suite/ of the repository (also when the suite tests an installed .vsix).
    const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'pytorch-run');
    const [id] = readdirSync(fixtures);
    const folder = join(api.ctx.runsFolders()[0], id);
    cpSync(join(fixtures, id), folder, { recursive: true });
    try {
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
      const measured = await waitFor(
        'the PyTorch run measured',
        async () => {
          await new Promise((done) => setTimeout(done, 500));
          const run = await api.ctx.runs.find(folder);
          return run && run.manifest.epochs.length === 3 && !run.pending ? run : undefined;
        },
        90_000,
      );
      assert.deepEqual(measured.manifest.epochs, [0, 1, 2]);
      assert.equal(measured.manifest.checkpoint?.format, 'onnx');
      for (const line of measured.metrics) assert.equal(line.layers.length, measured.manifest.layers.length);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
  });
});
