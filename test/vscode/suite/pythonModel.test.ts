// A PyTorch model file in a real VS Code: the LeNet demo (examples/pytorch/train_lenet.py, copied
// into the workspace) records a run with the Python recorder, and the `.py` file then gets what a
// TensorFlow.js model file gets: the `cnnSlicer.isModelFile` key, a "show entropy" lens with the
// run's numbers at the line that defines each layer, hovers (a module forward() calls twice says
// so), "stale" / "not recorded yet" after a layer is inserted, and the findings in Problems at the
// layer's line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { AskFindings } from '../../../src/extension/editor/runFindings';
import type { FindingsAnswer } from '../../../src/contract/queries/findings';
import type { RunRecord } from '../../../src/run/store';
import { activate, finding, fixtureFolder, hoverText, log, ours, waitFor } from './helpers';

/** The repository (this file runs from dist/test/suite/). */
const REPO = join(__dirname, '..', '..', '..');
/** Debian's Python, which has torch (the PATH's python3 may not). */
const PYTHON = process.env.CNN_SLICER_TEST_PYTHON ?? '/usr/bin/python3';

/** The demo and its training loop, in the workspace; its ROOT (digits, the package) is the repository. */
function copyDemo(folder: string): string {
  mkdirSync(folder, { recursive: true });
  const script = readFileSync(join(REPO, 'examples', 'pytorch', 'train_lenet.py'), 'utf8');
  const root = /^ROOT = .*$/m;
  assert.match(script, root, 'the demo defines ROOT on one line');
  // Same line count: the recorded positions are those of the file as it is in the repository.
  writeFileSync(join(folder, 'train_lenet.py'), script.replace(root, `ROOT = ${JSON.stringify(REPO)}`));
  writeFileSync(join(folder, 'training.py'), readFileSync(join(REPO, 'examples', 'pytorch', 'training.py')));
  return join(folder, 'train_lenet.py');
}

function record(script: string, runs: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile(PYTHON, [script], { env: { ...process.env, CNN_SLICER_RUNS: runs }, timeout: 150_000 }, (error, stdout, stderr) => {
      log(`train_lenet.py: ${stdout.slice(-400)} ${stderr.slice(-800)}`);
      if (error) fail(new Error(`${script} failed: ${error.message}\n${stderr.slice(-2000)}`));
      else done();
    });
  });
}

async function lenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const all = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return all.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** The 0-based line and column of the first `text` in the document. */
function find(document: vscode.TextDocument, text: string): vscode.Position {
  for (let line = 0; line < document.lineCount; line++) {
    const column = document.lineAt(line).text.indexOf(text);
    if (column >= 0) return new vscode.Position(line, column);
  }
  assert.fail(`no ${text} in ${document.fileName}`);
}

describe('a PyTorch model file: lenses, hovers and findings of its run at the Python lines', function () {
  this.timeout(300_000);
  let api: CnnSlicerApi;
  let document: vscode.TextDocument;
  let run: RunRecord;
  let realAsk: AskFindings;

  before(async () => {
    api = await activate();
    const script = copyDemo(join(fixtureFolder().uri.fsPath, 'pytorch-lenet'));
    const started = Date.now();
    await record(script, api.ctx.runsFolders()[0]);
    log(`recorded the PyTorch LeNet in ${Date.now() - started} ms`);
    document = await vscode.workspace.openTextDocument(vscode.Uri.file(script));
    await vscode.window.showTextDocument(document);
    // Measured by the recorder's measurer (or the extension's, once the recorder has stopped).
    run = await waitFor(
      'the PyTorch run, measured',
      async () => {
        await new Promise((wait) => setTimeout(wait, 500));
        await vscode.commands.executeCommand('cnnSlicer.refreshRuns');
        const newest = await api.ctx.runs.newestOfModel(script);
        return newest && newest.manifest.status === 'completed' && !newest.pending?.length ? newest : undefined;
      },
      200_000,
    );
    log(`the run ${run.folder}: epochs ${run.manifest.epochs.join(', ')}`);
    realAsk = api.runFindings.ask;
  });

  afterEach(async () => {
    if (document.isDirty) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  after(() => {
    if (!realAsk) return;
    api.runFindings.ask = realAsk;
    api.runFindings.forget();
    api.findingsDiagnostics.updateAll();
  });

  it('is a model file, with a lens per recorded layer at the start of its definition, showing the run’s mean entropy', async () => {
    await vscode.window.showTextDocument(document);
    await waitFor('cnnSlicer.isModelFile to be true on the .py file', () => api.modelFeatures.isModelFileContext === true);
    const shown = (await lenses(document.uri)).filter((l) => l.command?.command === 'cnnSlicer.showEntropy');
    const metrics = run.metrics[run.metrics.length - 1];
    const layerAt = new Map<string, number[]>();
    for (const lens of shown) {
      const [folder, index] = lens.command?.arguments ?? [];
      assert.equal(folder, run.folder, `${lens.command?.title}: the newest run`);
      const key = `${lens.range.start.line}:${lens.range.start.character}`;
      layerAt.set(key, [...(layerAt.get(key) ?? []), index as number]);
      // The lens's number is the run's: the mean of the layer's defined channel entropies at the last epoch.
      const layer = metrics.layers.find((l) => l.layer === index);
      assert.ok(layer, `the run measured layer ${index}`);
      const defined = layer.channelBits.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const mean = defined.reduce((a, b) => a + b, 0) / defined.length;
      const bits = /· ([\d.]+) bits/.exec(lens.command?.title ?? '')?.[1];
      assert.ok(bits, lens.command?.title);
      assert.ok(Math.abs(Number(bits) - mean) < 0.006, `${lens.command?.title}: ${mean}`);
    }
    const name = (position: vscode.Position) =>
      (layerAt.get(`${position.line}:${position.character}`) ?? []).map((i) => run.manifest.layers[i].name);
    // Modules at the start of their construction, functional ops at the start of their call.
    assert.deepEqual(name(find(document, 'nn.Conv2d(1, 8')), ['conv1']);
    assert.deepEqual(name(find(document, 'nn.Conv2d(8, 16')), ['conv2']);
    assert.deepEqual(name(find(document, 'nn.Linear(64, 10)')), ['output']);
    assert.deepEqual(name(find(document, 'F.relu(self.conv1')), ['relu']);
    assert.deepEqual(name(find(document, 'F.relu(self.conv2')), ['relu-2']);
    assert.equal(
      shown.length,
      run.manifest.layers.filter((l) => l.source).length,
      'every located layer of the run has its lens, and nothing else',
    );
  });

  it('hovers with the layer’s channel entropies from the run', async () => {
    const at = find(document, 'nn.Conv2d(8, 16');
    const text = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at.translate(0, 3)),
    );
    assert.match(text, /conv2/);
    assert.match(text, /Conv2d/);
    assert.match(text, /16 channels|16/);
    // Channel 0's class spread, read from the measured epoch's per-class file (its line holds none).
    assert.match(text, /\| 0 \| \d\.\d\d \|[^|\n]*\| \d\.\d\d–\d\.\d\d \|/, text);
  });

  it('opens the run’s Channel view on a layer from its lens, and the deconvolution of a PyTorch channel answers', async () => {
    const conv2 = find(document, 'nn.Conv2d(8, 16');
    const lens = (await lenses(document.uri)).find(
      (l) => l.range.start.line === conv2.line && l.command?.command === 'cnnSlicer.showEntropy',
    );
    assert.ok(lens?.command);
    await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    const layer = lens.command.arguments?.[1] as number;
    await waitFor('the run panel on conv2', () => api.panels.focusesOf(run.folder).some((f) => f.view === 'channel' && f.layer === layer));
    // What the Channel view asks for its projections: the checkpoint's deconvolution, here an ONNX one.
    const epoch = run.manifest.epochs[run.manifest.epochs.length - 1];
    const result = await api.ctx
      .client()
      .query(run.folder, { kind: 'deconvolution', epoch, layer, channel: 0, x: { kind: 'indices', indices: [0, 1] } });
    const answer = result.answer as { projections: { shape: number[] } };
    assert.deepEqual(answer.projections.shape, [2, 28, 28, 1], 'one 28×28 projection per input, in the image layout');
    api.panels.close(run.folder);
  });

  it('after a layer is inserted: "not recorded yet" on it, "stale" for the run, and the other lenses stay on their layers', async () => {
    const editor = await vscode.window.showTextDocument(document);
    const conv1 = find(document, 'self.conv1 = nn.Conv2d');
    await editor.edit((e) => e.insert(new vscode.Position(conv1.line + 1, 0), '        self.extra = nn.Conv2d(8, 8, kernel_size=3)\n'));
    const got = await waitFor('the lenses of the edited text', async () => {
      const all = await lenses(document.uri);
      return all.some((l) => /not recorded yet/.test(l.command?.title ?? '')) ? all : undefined;
    });
    const titlesAt = (line: number) => got.filter((l) => l.range.start.line === line).map((l) => l.command?.title ?? '');
    assert.deepEqual(
      titlesAt(conv1.line + 1).map((t) => t.replace(/^\$\([\w-]+\) /, '')),
      ['not recorded yet'],
    );
    assert.ok(
      got.some((l) => /recorded before your last edit/.test(l.command?.title ?? '')),
      'the run is marked as recorded before the edit',
    );
    const conv2 = find(document, 'nn.Conv2d(8, 16');
    const conv2Lens = got.find((l) => l.range.start.line === conv2.line && l.command?.command === 'cnnSlicer.showEntropy');
    assert.equal(run.manifest.layers[conv2Lens?.command?.arguments?.[1] as number]?.name, 'conv2', 'conv2 keeps its numbers');
  });

  it('shows the findings of its run in Problems at the layer’s line, and the model-wide ones at the model class', async () => {
    // The engine's own findings of the run first: each at its layer's lens.
    const real = await waitFor('the findings of the run', async () => (await api.runFindings.load(run)) ?? undefined, 120_000);
    log(`findings of the PyTorch run: ${real.findings.map((f) => `${f.kind}@${f.layerName ?? '-'}`).join(', ')}`);
    // Placed against the text as it is now (the edit of the test before was undone just now).
    api.findingsDiagnostics.updateAll();
    await waitFor(
      'each finding in Problems at the line of its layer’s lens',
      async () => {
        const placed = ours(document.uri);
        if (placed.length !== real.findings.length) return false;
        const shown = (await lenses(document.uri)).filter((l) => l.command?.command === 'cnnSlicer.showEntropy');
        return real.findings.every((f) => {
          const lens = f.layer === undefined ? undefined : shown.find((l) => l.command?.arguments?.[1] === f.layer);
          return !lens || placed.some((d) => d.code === f.kind && d.range.start.line === lens.range.start.line);
        });
      },
      60_000,
    );

    // Then a known answer: a layer's finding at its line, a model-wide one at `class LeNet`.
    const conv2 = run.manifest.layers.find((l) => l.name === 'conv2');
    assert.ok(conv2);
    const answer: FindingsAnswer = {
      epoch: 1,
      findings: [
        finding({ kind: 'probe-loss-rising', severity: 'warning', message: 'probe loss rising', view: { view: 'training' } }),
        finding({ kind: 'inert-layer', layer: conv2.index, layerName: 'conv2', message: 'conv2 changes nothing' }),
      ],
      thresholds: {},
      skipped: [],
    };
    api.runFindings.ask = async () => ({ answer, cached: false, ms: 0 });
    api.runFindings.forget();
    api.findingsDiagnostics.updateAll();
    const got = await waitFor('the two findings in Problems', () => {
      const d = ours(document.uri);
      return d.length === 2 && d.some((x) => x.code === 'inert-layer') ? d : undefined;
    });
    assert.deepEqual(
      got.map((d) => [d.range.start.line, d.code]),
      [
        [find(document, 'class LeNet').line, 'probe-loss-rising'],
        [find(document, 'nn.Conv2d(8, 16').line, 'inert-layer'],
      ],
    );
    const lens = (await lenses(document.uri)).find(
      (l) => l.range.start.line === find(document, 'nn.Conv2d(8, 16').line && l.command?.command === 'cnnSlicer.showEntropy',
    );
    assert.match(lens?.command?.title ?? '', / · inert$/);
  });
});
