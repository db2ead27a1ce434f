// The training script of a PyTorch model defined in another file, in a real VS Code (issue 66): a
// project laid out as kuangliu/pytorch-cifar (test/fixtures/python-models/cifar-project: `models/`
// and a `main.py` that imports it). Analyze CNN on `models/resnet.py` offers main.py, whose recorder
// lines name the run ResNet18 with its classes and epochs; Record Again on a run that names its
// training script runs that script, not the model file.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { PythonAnalyzeResult, TrainingScriptItem } from '../../../src/extension/recording/pythonAnalyze';
import { activate, fixtureUri, removeFolder } from './helpers';

// This file runs from dist/test/suite/ of the repository (also when the suite tests an installed .vsix).
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');

describe('the training script of a model defined in another file', function () {
  this.timeout(120_000);
  const project = () => fixtureUri('cifar-project').fsPath;

  before(() => cpSync(join(FIXTURES, 'python-models', 'cifar-project'), project(), { recursive: true }));
  after(() => removeFolder(project()));

  it('Analyze CNN on models/resnet.py offers main.py, and its recorder lines name ResNet18 with classes and epochs', async () => {
    const api = await activate();
    const saved = api.pythonAnalyze.ui;
    const offered: TrainingScriptItem[] = [];
    api.pythonAnalyze.ui = {
      ...saved,
      pickAction: async () => assert.fail('a file that only defines the model offers its scripts first'),
      pickScript: async (items) => {
        offered.push(...items);
        return items.find((i) => i.script?.file === join(project(), 'main.py'));
      },
      pickLoop: async (items) => items[0],
    };
    try {
      const result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>(
        'cnnSlicer.analyze',
        vscode.Uri.file(join(project(), 'models', 'resnet.py')),
      );
      // main.py trains it; check_resnet.py imports it but has no training loop; the file itself last.
      assert.deepEqual(
        offered.map((i) => i.label),
        ['$(play) main.py trains ResNet18 — record it', '$(file-code) Analyze resnet.py itself'],
      );
      assert.ok(result?.action === 'insert', JSON.stringify(result));
      const editor = vscode.window.activeTextEditor;
      assert.equal(editor?.document.uri.fsPath, join(project(), 'main.py'));
      assert.ok(
        editor.document
          .getText()
          .includes('with Recorder(net, probe=(x_probe, y_probe), name="ResNet18", classes=classes, epochs=200) as rec:'),
        editor.document.getText(),
      );
    } finally {
      api.pythonAnalyze.ui = saved;
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it('Record Again on a run that names its training script runs that script', async () => {
    const api = await activate();
    // The recorder's PyTorch run, as if main.py (here a stand-in that records nothing) had recorded models/resnet.py.
    const script = join(project(), 'record_stand_in.py');
    writeFileSync(script, '# a stand-in for main.py: it names the Recorder, and prints\nprint("recorded")\n');
    const source = join(FIXTURES, 'pytorch-run');
    const [id] = readdirSync(source);
    const folder = join(api.ctx.runsFolders()[0], id);
    mkdirSync(folder, { recursive: true });
    cpSync(join(source, id), folder, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    const model = join(project(), 'models', 'resnet.py');
    Object.assign(manifest, { epochs: [], trainingScript: { file: script, relativeFile: relative(folder, script), kind: 'script' } });
    Object.assign(manifest.model, { file: model, relativeFile: relative(folder, model), sourceFiles: [model] });
    writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(folder, 'metrics.jsonl'), '');
    const saved = api.pythonAnalyze.ui;
    api.pythonAnalyze.ui = {
      ...saved,
      pickAction: async () => assert.fail('Record Again asks nothing'),
      pickScript: async () => assert.fail('Record Again asks nothing'),
      // Debian's Python lacks cnn_slicer: run with the bundled copy.
      ask: async (_message, _detail, choices) => choices.find((c) => /Bundled/.test(c)),
    };
    let result: PythonAnalyzeResult | undefined;
    try {
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
      result = await vscode.commands.executeCommand<PythonAnalyzeResult | undefined>('cnnSlicer.rerun', folder);
      assert.ok(result?.action === 'run', JSON.stringify(result));
      assert.deepEqual(result.commands, [`/usr/bin/python3 ${script}`]);
    } finally {
      api.pythonAnalyze.ui = saved;
      if (result?.action === 'run') result.terminal.dispose();
      removeFolder(folder);
      await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
    }
  });
});
