// "Analyze CNN" on a `.py` file in a real VS Code (src/extension/recording/pythonAnalyze.ts): run the
// script with the recorder in a terminal, with the workspace's Python (the fixture's
// python.defaultInterpreterPath: Debian's /usr/bin/python3, which has torch but not cnn_slicer, and
// is externally managed), and the run appears in the workspace's runs folder and completes; insert
// the recorder lines at the loop picked.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PythonAnalyzeResult, PythonAnalyzeUi } from '../../../src/extension/recording/pythonAnalyze';
import { activate, fixtureUri, log, removeFolder, waitFor } from './helpers';

/** A tiny CNN trained 2 epochs on synthetic data with the Recorder's three lines: seconds. */
const SCRIPT = `import torch
from torch import nn
from cnn_slicer import Recorder

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
x = torch.randn(96, 1, 8, 8)
y = torch.randint(0, 3, (96,))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
with Recorder(model, probe=(x[:32], y[:32]), name="py-analyze", optimizer=optimizer, epochs=2) as rec:
    rec.epoch(0)
    for epoch in range(2):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[32:]), y[32:])
        loss.backward()
        optimizer.step()
        rec.epoch(epoch + 1, train_loss=float(loss))
print("recorded", rec.run_dir)
`;

/** The run folders of the model `name` in `runsFolder`, with their manifests. */
function runsOf(runsFolder: string, name: string): { folder: string; manifest: { status: string; epochs: number[] } }[] {
  if (!existsSync(runsFolder)) return [];
  return readdirSync(runsFolder)
    .filter((id) => id.endsWith(`-${name}`) && existsSync(join(runsFolder, id, 'manifest.json')))
    .map((id) => ({ folder: join(runsFolder, id), manifest: JSON.parse(readFileSync(join(runsFolder, id, 'manifest.json'), 'utf8')) }));
}

describe('Analyze CNN on a .py file', function () {
  this.timeout(180_000);

  it('runs the script with the recorder, offering the bundled copy of cnn_slicer, and records a run', async () => {
    const api = await activate();
    const file = fixtureUri('train_tiny.py');
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(SCRIPT));
    const runsFolder = api.ctx.runsFolderFor(file);
    assert.ok(runsFolder);
    const asked: { message: string; detail?: string; choices: string[] }[] = [];
    const offered: string[] = [];
    const saved = api.pythonAnalyze.ui;
    const ui: PythonAnalyzeUi = {
      pickAction: async (items) => {
        offered.push(...items.map((i) => i.action));
        return items.find((i) => i.action === 'run');
      },
      pickLoop: async () => assert.fail('no loop is asked when running'),
      pickScript: async () => assert.fail('a script with a training loop is analyzed itself'),
      ask: async (message, detail, choices) => {
        asked.push({ message, detail, choices });
        return choices.find((c) => /Bundled/.test(c));
      },
    };
    api.pythonAnalyze.ui = ui;
    let result: PythonAnalyzeResult | undefined;
    try {
      const started = Date.now();
      result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>('cnnSlicer.analyze', file);
      assert.deepEqual(offered, ['run', 'insert', 'docs'], 'the three actions, in the issue’s order');
      assert.ok(result?.action === 'run', JSON.stringify(result));
      assert.equal(result.interpreter.path, '/usr/bin/python3');
      assert.equal(result.env.CNN_SLICER_RUNS, runsFolder);
      // Debian's Python has torch but not cnn_slicer: the install command is shown first, pip's
      // refusal (PEP 668) is said, and the run uses the extension's copy.
      assert.equal(asked.length, 1, JSON.stringify(asked));
      const bundled = join(api.ctx.extensionUri.fsPath, 'python');
      assert.ok(asked[0].message.includes(`/usr/bin/python3 -m pip install --no-deps ${bundled}`), asked[0].message);
      assert.match(asked[0].detail ?? '', /PEP 668/);
      assert.ok(!asked[0].choices.some((c) => /Install/.test(c)), 'no install into an externally managed Python');
      assert.equal(result.env.PYTHONPATH?.split(':')[0], bundled);
      assert.deepEqual(result.commands, [`/usr/bin/python3 ${file.fsPath}`]);

      const run = await waitFor(
        'the run recorded and completed',
        () => runsOf(runsFolder, 'py-analyze').find((r) => r.manifest.status === 'completed'),
        150_000,
      );
      assert.deepEqual(run.manifest.epochs, [0, 1, 2]);
      // And its epochs are measured (by the recorder's `cnn-slicer measure --follow` of the bundled CLI,
      // else the extension's pending measures): the runs index lists them with their measures.
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
      const measured = await waitFor(
        'the run measured',
        async () => {
          await new Promise((done) => setTimeout(done, 500));
          const r = await api.ctx.runs.find(run.folder);
          return r && r.manifest.epochs.length === 3 && !r.pending ? r : undefined;
        },
        90_000,
      );
      for (const line of measured.metrics) assert.equal(line.layers.length, measured.manifest.layers.length);
      log(`      a run recorded from the terminal in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      api.pythonAnalyze.ui = saved;
      if (result?.action === 'run') result.terminal.dispose();
      for (const r of runsOf(runsFolder, 'py-analyze')) removeFolder(r.folder);
      await vscode.workspace.fs.delete(file);
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
  });

  it('inserts the recorder lines around the training loop picked', async () => {
    const api = await activate();
    const file = fixtureUri('train_plain.py');
    const text = [
      'import torch',
      '',
      'def fit(net, loader, epochs):',
      '    opt = torch.optim.Adam(net.parameters())',
      '    for epoch in range(epochs):',
      '        for x, y in loader:',
      '            opt.zero_grad()',
      '            torch.nn.functional.cross_entropy(net(x), y).backward()',
      '            opt.step()',
      '',
    ].join('\n');
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(text));
    const saved = api.pythonAnalyze.ui;
    const loops: string[] = [];
    api.pythonAnalyze.ui = {
      ...saved,
      pickAction: async (items) => items.find((i) => i.action === 'insert'),
      pickLoop: async (items) => {
        loops.push(...items.map((i) => i.label));
        return items[0];
      },
    };
    try {
      const result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>('cnnSlicer.analyze', file);
      assert.deepEqual(result, { action: 'insert', line: 5 });
      assert.deepEqual(loops, ['line 5: for epoch in range(epochs):', 'line 6: for x, y in loader:']);
      const editor = vscode.window.activeTextEditor;
      assert.equal(editor?.document.uri.fsPath, file.fsPath);
      assert.deepEqual(editor.document.getText().split('\n').slice(0, 9), [
        'import torch',
        'from cnn_slicer import Recorder',
        '',
        'def fit(net, loader, epochs):',
        '    opt = torch.optim.Adam(net.parameters())',
        '    with Recorder(net, probe=(x_probe, y_probe), name="train_plain", epochs=epochs, optimizer=opt) as rec:',
        '        rec.epoch(0)  # the model before training',
        '        for epoch in range(epochs):',
        '            for x, y in loader:',
      ]);
      assert.equal(editor.document.lineAt(12).text, '            rec.epoch(epoch + 1)');
      // The model's placeholder is selected, to type over.
      assert.equal(editor.document.getText(editor.selection), 'net');
    } finally {
      api.pythonAnalyze.ui = saved;
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.workspace.fs.delete(file);
    }
  });
});
