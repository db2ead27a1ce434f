// "Analyze CNN" on a Jupyter notebook in a real VS Code (src/extension/recording/notebookAnalyze.ts):
// the recorder lines inserted around the training loop picked, in the cell that holds it; a cell
// with the recorder lines added after the model's cell; a notebook that records already said so.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PythonAnalyzeResult, PythonAnalyzeUi } from '../../../src/extension/recording/pythonAnalyze';
import { activate, fixtureUri } from './helpers';

const CELLS = [
  '# A CNN trained in a notebook',
  'import torch\nimport torch.nn as nn',
  'class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.conv = nn.Conv2d(1, 4, 3)\n        self.fc = nn.Linear(4 * 6 * 6, 10)\n\n    def forward(self, x):\n        return self.fc(torch.relu(self.conv(x)).flatten(1))',
  'net = Net()\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\nfor epoch in range(3):\n    opt.zero_grad()\n    torch.nn.functional.cross_entropy(net(x), y).backward()\n    opt.step()',
];

/** Writes a notebook of `cells` (markdown where a cell starts with "#") and returns its URI. */
async function writeNotebook(name: string, cells: string[]): Promise<vscode.Uri> {
  const uri = fixtureUri(name);
  const notebook = {
    cells: cells.map((text, i) => ({
      cell_type: text.startsWith('#') ? 'markdown' : 'code',
      id: `c${i}`,
      metadata: {},
      source: text.split(/(?<=\n)/),
      ...(text.startsWith('#') ? {} : { execution_count: null, outputs: [] }),
    })),
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(notebook, null, 1)));
  return uri;
}

async function closeNotebook(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.workspace.fs.delete(uri);
}

describe('Analyze CNN on a notebook', function () {
  this.timeout(60_000);

  it('inserts the recorder lines around the training loop picked, in its cell, with the import', async () => {
    const api = await activate();
    const uri = await writeNotebook('train_loop.ipynb', CELLS);
    const saved = api.pythonAnalyze.ui;
    const offered: string[] = [];
    const loops: string[] = [];
    const ui: PythonAnalyzeUi = {
      ...saved,
      pickAction: async (items) => {
        offered.push(...items.map((i) => i.action));
        return items.find((i) => i.action === 'insert');
      },
      pickLoop: async (items) => {
        loops.push(...items.map((i) => i.label));
        return items[0];
      },
      ask: async () => assert.fail('nothing records yet: no question'),
    };
    api.pythonAnalyze.ui = ui;
    try {
      const result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>('cnnSlicer.analyze', uri);
      assert.deepEqual(offered, ['insert', 'cell', 'docs']);
      assert.deepEqual(loops, ['cell 4, line 3: for epoch in range(3):']);
      assert.deepEqual(result, { action: 'insert', line: 3, cell: 3 });
      const notebook = vscode.workspace.notebookDocuments.find((n) => n.uri.toString() === uri.toString());
      assert.ok(notebook, 'the notebook is open');
      assert.deepEqual(notebook.cellAt(3).document.getText().split('\n').slice(0, 6), [
        'from cnn_slicer import Recorder',
        'net = Net()',
        'opt = torch.optim.SGD(net.parameters(), lr=0.1)',
        'with Recorder(net, probe=(x_probe, y_probe), name="Net", epochs=3, optimizer=opt) as rec:',
        '    rec.epoch(0)  # the model before training',
        '    for epoch in range(3):',
      ]);
      assert.equal(notebook.cellAt(3).document.lineAt(9).text, '        rec.epoch(epoch + 1)');
      // The other cells are as they were.
      assert.equal(notebook.cellAt(2).document.getText(), CELLS[2]);
    } finally {
      api.pythonAnalyze.ui = saved;
      await closeNotebook(uri);
    }
  });

  it('adds a cell with the recorder lines after the cell that defines the model', async () => {
    const api = await activate();
    const uri = await writeNotebook('train_cell.ipynb', CELLS.slice(0, 3));
    const saved = api.pythonAnalyze.ui;
    const offered: string[] = [];
    api.pythonAnalyze.ui = {
      ...saved,
      pickAction: async (items) => {
        offered.push(...items.map((i) => i.action));
        return items.find((i) => i.action === 'cell');
      },
    };
    try {
      const result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>('cnnSlicer.analyze', uri);
      assert.deepEqual(offered, ['cell', 'docs'], 'no training loop: nothing to insert around');
      assert.deepEqual(result, { action: 'cell', cell: 3 });
      const notebook = vscode.workspace.notebookDocuments.find((n) => n.uri.toString() === uri.toString())!;
      assert.equal(notebook.cellCount, 4);
      assert.deepEqual(notebook.cellAt(3).document.getText().split('\n'), [
        'from cnn_slicer import Recorder',
        '',
        'with Recorder(model, probe=(x_probe, y_probe), name="train_cell", epochs=epochs) as rec:',
        '    rec.epoch(0)  # the model before training',
        '    for epoch in range(1, epochs + 1):',
        '        pass  # train one epoch',
        '        rec.epoch(epoch)',
      ]);
      assert.equal(notebook.cellAt(3).kind, vscode.NotebookCellKind.Code);
    } finally {
      api.pythonAnalyze.ui = saved;
      await closeNotebook(uri);
    }
  });

  it('says so where a cell creates a Recorder already, and shows that cell', async () => {
    const api = await activate();
    const recording = [...CELLS.slice(0, 3), 'from cnn_slicer import Recorder\nrec = Recorder(Net(), probe=(x, y))\nrec.epoch(0)'];
    const uri = await writeNotebook('train_recorded.ipynb', recording);
    const saved = api.pythonAnalyze.ui;
    const asked: string[] = [];
    api.pythonAnalyze.ui = {
      ...saved,
      pickAction: async () => assert.fail('the notebook records already: no action offered'),
      ask: async (message) => {
        asked.push(message);
        return undefined;
      },
    };
    try {
      const result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>('cnnSlicer.analyze', uri);
      assert.equal(result, undefined);
      assert.deepEqual(asked, ['CNN Slicer: train_recorded.ipynb already creates a Recorder (cell 4, line 2): run its cells to record.']);
      assert.equal(
        vscode.window.activeTextEditor?.document.uri.toString(),
        vscode.workspace.notebookDocuments
          .find((n) => n.uri.toString() === uri.toString())
          ?.cellAt(3)
          .document.uri.toString(),
      );
    } finally {
      api.pythonAnalyze.ui = saved;
      await closeNotebook(uri);
    }
  });
});
