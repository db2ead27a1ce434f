// A PyTorch run in a real VS Code: a run folder the Python recorder wrote (test/fixtures/pytorch-run,
// its epochs awaiting their measures) put into the workspace's runs folder is measured by the
// extension (src/extension/runs/pendingMeasures.ts runs the bundled `cnn-slicer measure`), and the
// runs index then lists every epoch with its measures; not while another process holds the run's
// measuring lock (src/run/measureLock.ts), and once it lets go.
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ControlResult } from '../../../src/extension/commands/control';
import { takeMeasureLock } from '../../../src/run/measureLock';
import { activate, removeFolder, waitFor } from './helpers';

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

      // Run Control Experiment on it proposes a control measured on its [C, H, W] probe and gives the
      // training script's lines to record it; nothing is recorded by the extension.
      const offered: string[] = [];
      const proposed: string[] = [];
      const saved = api.controlCommands.ui;
      api.controlCommands.ui = {
        pickKind: async (items) => {
          proposed.push(...items.filter((i) => i.description).map((i) => `${i.description}: ${i.detail}`));
          return items.find((i) => i.control === 'border');
        },
        askValue: async (_prompt, _value, validate) => {
          assert.ok(validate('0'));
          return '2';
        },
        offer: async (message) => {
          offered.push(message);
          return undefined;
        },
      };
      try {
        const result = await vscode.commands.executeCommand<ControlResult | undefined>('cnnSlicer.runControlExperiment', {
          runFolder: folder,
        });
        assert.ok(result, 'the command ran');
        assert.equal(proposed.length, 1, 'a control is proposed from the probe');
        assert.equal(result.outcome, undefined, 'nothing recorded by the extension');
        assert.deepEqual(result.pythonLines, [
          `rec = Recorder(model, probe=(x, y), name="tiny-lenet", control="border:2", source_run=${JSON.stringify(folder)})`,
          'train_set = rec.control.dataset(train_set)',
        ]);
        await waitFor('the lines offered', () => offered.length === 1);
        assert.match(
          offered[0],
          /was trained by a PyTorch script, which records its control experiment itself: record border:2 there with `rec = Recorder\(/,
        );
      } finally {
        api.controlCommands.ui = saved;
      }
    } finally {
      removeFolder(folder);
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
  });

  it('is not measured while another process holds its measuring lock, and is measured once that process lets go', async () => {
    const api = await activate();
    const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'pytorch-run');
    const [id] = readdirSync(fixtures);
    const folder = join(api.ctx.runsFolders()[0], `${id}-locked`);
    cpSync(join(fixtures, id), folder, { recursive: true });
    // Another measurer of this host: this process, as the recorder's `measure --follow` would be.
    const held = takeMeasureLock(folder, { follow: true }).taken!;
    try {
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
      const metrics = readFileSync(join(folder, 'metrics.jsonl'), 'utf8');
      // Longer than the first look and two looks at a held lock (pendingMeasures.ts).
      await new Promise((done) => setTimeout(done, 8000));
      assert.equal(readFileSync(join(folder, 'metrics.jsonl'), 'utf8'), metrics, 'no measure started while the lock is held');
      const run = await api.ctx.runs.find(folder);
      assert.deepEqual(
        run?.pending?.map((l) => l.epoch),
        [0, 1, 2],
      );
      held.release();
      const measured = await waitFor(
        'the PyTorch run measured',
        async () => {
          await new Promise((done) => setTimeout(done, 500));
          const r = await api.ctx.runs.find(folder);
          return r && r.manifest.epochs.length === 3 && !r.pending ? r : undefined;
        },
        90_000,
      );
      assert.deepEqual(measured.manifest.epochs, [0, 1, 2]);
      const complete = readFileSync(join(folder, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.includes('"pending"'));
      assert.equal(complete.length, 3, 'one complete line per epoch');
    } finally {
      held.release();
      removeFolder(folder);
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
  });
});
