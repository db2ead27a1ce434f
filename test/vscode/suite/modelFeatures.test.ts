// Model files in a real VS Code: the `cnnSlicer.isModelFile` context key, the "show entropy"
// CodeLens on every layer definition of the fixture model (before and after a run, following
// edits), the hover with the layer's channel entropies once a run exists, the commands behind
// both, the cursor → panel link, and "go to source" landing where the lens is. What the commands
// open or select is read from the real run panels (RunPanels.focusesOf).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunRecord } from '../../../src/run/store';
import { activate, fixtureUri, hoverText, ourHoverText, waitFor } from './helpers';
import { sharedFixtureRun } from './recordedRuns';

const MODEL = 'tiny-model.ts';

/** The fixture model's layer definitions as the file itself says: [line, column of `tf.layers`, name]. */
function definitions(document: vscode.TextDocument): { line: number; column: number; name: string }[] {
  const out: { line: number; column: number; name: string }[] = [];
  for (let line = 0; line < document.lineCount; line++) {
    const text = document.lineAt(line).text;
    const column = text.indexOf('tf.layers.');
    if (column < 0) continue;
    const name = /name: '([^']+)'/.exec(text)?.[1];
    assert.ok(name, `the fixture names its layer on line ${line + 1}`);
    out.push({ line, column, name });
  }
  assert.ok(out.length >= 2, 'the fixture model has layers');
  return out;
}

async function entropyLenses(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses.filter((l) => l.command?.command === 'cnnSlicer.showEntropy').sort((a, b) => a.range.start.line - b.range.start.line);
}

describe('model features: detection, CodeLens, hover and the cursor link', function () {
  this.timeout(120_000);
  let api: CnnSlicerApi;
  let document: vscode.TextDocument;

  before(async () => {
    api = await activate();
    document = await vscode.workspace.openTextDocument(fixtureUri(MODEL));
  });

  afterEach(async () => {
    // Edits made by a test are undone, so every test sees the fixture as it is on disk.
    if (document.isDirty) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  it('sets cnnSlicer.isModelFile for a model file and clears it for other editors', async () => {
    await vscode.window.showTextDocument(document);
    await waitFor('cnnSlicer.isModelFile to be true', () => api.modelFeatures.isModelFileContext === true);
    const other = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'export const notAModel = 1;\n' });
    await vscode.window.showTextDocument(other);
    await waitFor('cnnSlicer.isModelFile to be false', () => api.modelFeatures.isModelFileContext === false);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.window.showTextDocument(document);
    await waitFor('cnnSlicer.isModelFile to be true again', () => api.modelFeatures.isModelFileContext === true);
  });

  it('puts a "show entropy" CodeLens at the start of every layer definition of the fixture model', async () => {
    const lenses = await entropyLenses(document.uri);
    const defs = definitions(document);
    assert.deepEqual(
      [...new Map(lenses.map((l) => [l.range.start.line, l.range.start.character])).entries()],
      defs.map((d) => [d.line, d.column]),
    );
    for (const lens of lenses) assert.match(lens.command!.title, /show entropy/);
  });

  it('follows edits: a layer added in the editor gets its lens without saving', async () => {
    const editor = await vscode.window.showTextDocument(document);
    const defs = definitions(document);
    const after = defs[0].line + 1;
    await editor.edit((e) => e.insert(new vscode.Position(after, 0), "  model.add(tf.layers.dropout({ rate: 0.1, name: 'added' }));\n"));
    const lines = (await entropyLenses(document.uri)).map((l) => l.range.start.line);
    assert.ok(lines.includes(after), `a lens on the new line ${after + 1}: ${lines.join(', ')}`);
    assert.equal(new Set(lines).size, defs.length + 1);
  });

  describe('with a recorded run', () => {
    let run: RunRecord;
    let indexOf: Map<string, number>;

    before(async () => {
      await sharedFixtureRun(api);
      run = await waitFor('a run of the fixture model', () => api.ctx.runs.newestOfModel(document.uri.fsPath));
      indexOf = new Map(run.manifest.layers.map((l) => [l.name, l.index]));
      // The lenses are recomputed when the run index changes; let that settle.
      await waitFor('lenses with the run', async () =>
        (await entropyLenses(document.uri)).some((l) => l.command?.arguments?.[0] === run.folder),
      );
    });

    it("titles each lens with the layer's mean channel entropy and points it at that run layer", async () => {
      const lenses = await entropyLenses(document.uri);
      const defs = definitions(document);
      assert.deepEqual(
        lenses.map((l) => [l.range.start.line, l.command!.arguments]),
        defs.map((d) => [d.line, [run.folder, indexOf.get(d.name)]]),
      );
      // Then, once the run's findings are in, the layer's summary ("2 dead", findings.test.ts).
      for (const lens of lenses) assert.match(lens.command!.title, /^\$\(pulse\) show entropy · \d+\.\d\d bits( · [^·]+)*$/);
    });

    // Each test that opens the run's panel starts without one.
    beforeEach(() => api.panels.close(run.folder));
    after(() => api.panels.close(run.folder));

    it('opens the channel view of the layer when a lens is clicked', async () => {
      const lens = (await entropyLenses(document.uri))[0];
      await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
      assert.ok(api.panels.panelOf(run.folder), 'the run panel is open');
      assert.deepEqual(api.panels.focusesOf(run.folder), [{ view: 'channel', layer: lens.command!.arguments![1] }]);
    });

    it("shows the layer's channel entropies in bits on hover, with links to the views", async () => {
      const conv = definitions(document).find((d) => d.name === 'conv1')!;
      const layer = run.manifest.layers[indexOf.get('conv1')!];
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        document.uri,
        new vscode.Position(conv.line, conv.column + 4),
      );
      const text = hoverText(hovers);
      assert.match(text, /\*\*conv1\*\* · Conv2D · /);
      assert.match(text, /entropy \(bits\)/);
      const rows = text.split('\n').filter((l) => /^\| \d+ \| (\d+\.\d\d|—) \|/.test(l));
      assert.equal(rows.length, Math.min(layer.channels, 32), 'one row per channel');
      assert.match(text, /Inter\\-sample entropy: (\d+\\\.\d\d bits|undefined)/);
      assert.ok(text.includes('command:cnnSlicer.showEntropy?'), 'an "Open in CNN Slicer" link');
      assert.ok(text.includes('command:cnnSlicer.compareEpochs?'), 'a "Compare epochs" link');
    });

    it('shows no hover away from layer definitions', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        document.uri,
        new vscode.Position(0, 1),
      );
      assert.doesNotMatch(hoverText(hovers), /entropy \(bits\)/);
    });

    it('"Compare epochs" opens the channel view of the layer', async () => {
      await vscode.commands.executeCommand('cnnSlicer.compareEpochs', run.folder, 2);
      assert.deepEqual(api.panels.focusesOf(run.folder), [{ view: 'channel', layer: 2 }]);
    });

    it('selects the layer in the panels when the cursor moves onto its definition, not when the API moves it', async () => {
      await vscode.window.showTextDocument(document);
      const target = definitions(document).find((d) => d.name === 'conv2')!;
      // The run's panel is open beside the editor, on no particular layer; the editor has the focus.
      await api.panels.open(run.folder);
      const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One });
      assert.deepEqual(api.panels.focusesOf(run.folder), []);
      // An API selection (what a panel's "go to source" does) is not sent back to the panels.
      editor.selection = new vscode.Selection(target.line, 0, target.line, 0);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(api.panels.focusesOf(run.folder), []);
      editor.selection = new vscode.Selection(0, 0, 0, 0);
      // A cursor command, as the arrow keys run it.
      await vscode.commands.executeCommand('cursorMove', { to: 'down', by: 'line', value: target.line });
      await waitFor('the layer to be selected in the panel', () => api.panels.focusesOf(run.folder).length > 0);
      assert.deepEqual(api.panels.focusesOf(run.folder), [{ layer: indexOf.get('conv2') }]);
    });

    it('after a dense({units: 32}) is inserted before the output layer, says "not recorded yet" there, keeps the output numbers on the output line and marks the run stale', async () => {
      const editor = await vscode.window.showTextDocument(document);
      const output = definitions(document).find((d) => d.name === 'output')!;
      // Unsaved, the new line takes the output layer's recorded line: matching by line alone would move the numbers onto it.
      await editor.edit((e) => e.insert(new vscode.Position(output.line, 0), '  model.add(tf.layers.dense({ units: 32 }));\n'));
      const all = async () =>
        ((await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri)) ?? []).filter(
          (l) => l.command,
        );
      const lenses = await waitFor('the lenses of the edited text', async () => {
        const found = await all();
        return found.some((l) => /not recorded yet/.test(l.command!.title)) ? found : undefined;
      });
      const on = (line: number) => lenses.filter((l) => l.range.start.line === line).map((l) => [l.command!.title, l.command!.arguments]);
      assert.deepEqual(
        on(output.line).map(([title]) => String(title).replace(/ · .*/, '')),
        ['$(circle-outline) not recorded yet'],
      );
      assert.deepEqual(
        on(output.line + 1).map(([, args]) => args),
        [[run.folder, indexOf.get('output')]],
      );
      assert.ok(
        lenses.some(
          (l) =>
            l.command!.command === 'cnnSlicer.recordAgainFromEditor' &&
            /recorded before your last edit — Record Again/.test(l.command!.title),
        ),
        'a stale lens with Record Again',
      );
      // CNN Slicer's hover alone: its first line is checked below, and the TypeScript server's may come first.
      const hoverAt = async (line: number) =>
        ourHoverText(
          await vscode.commands.executeCommand<vscode.Hover[]>(
            'vscode.executeHoverProvider',
            document.uri,
            new vscode.Position(line, output.column + 4),
          ),
        );
      const added = await hoverAt(output.line);
      assert.match(added, /not recorded yet/);
      assert.doesNotMatch(added, /\*\*output\*\*/);
      const moved = await hoverAt(output.line + 1);
      assert.match(moved, /\*\*output\*\* · Dense/);
      assert.match(moved.split('\n')[0], /recorded before your last edit — \[Record Again\]\(command:cnnSlicer\.recordAgainFromEditor\?/);
      // The links come before the channel table.
      assert.ok(moved.indexOf('command:cnnSlicer.showEntropy?') < moved.indexOf('entropy (bits)'), 'links first');
    });

    it('"Epoch strip" opens the Layer view of the run on the pair of the layer and the one before it, its epoch strip open', async () => {
      await vscode.commands.executeCommand('cnnSlicer.epochStrip', run.folder, 3);
      assert.deepEqual(api.panels.focusesOf(run.folder), [{ view: 'layer', layer: 3, pair: [2, 3], open: 'epochStrip' }]);
    });

    it("goes to a layer's source on the line its lens is on, after lines were inserted above it", async () => {
      const editor = await vscode.window.showTextDocument(document);
      const conv2 = definitions(document).find((d) => d.name === 'conv2')!;
      const layer = indexOf.get('conv2')!;
      // The run recorded conv2 on this line; three lines above it move it down (unsaved, as while typing).
      assert.equal(run.manifest.layers[layer].source?.line, conv2.line + 1);
      await editor.edit((e) => e.insert(new vscode.Position(conv2.line, 0), '  // one\n  // two\n  // three\n'));
      const lens = await waitFor('the lens of conv2 to follow the edit', async () =>
        (await entropyLenses(document.uri)).find((l) => l.command?.arguments?.[1] === layer && l.range.start.line === conv2.line + 3),
      );
      await vscode.commands.executeCommand('cnnSlicer.goToLayer', run.folder, layer);
      const active = vscode.window.activeTextEditor;
      assert.equal(active?.document.uri.fsPath, document.uri.fsPath);
      assert.deepEqual(
        [active.selection.active.line, active.selection.active.character],
        [lens.range.start.line, lens.range.start.character],
      );
      assert.match(active.document.lineAt(active.selection.active.line).text, /name: 'conv2'/);
    });
  });
});
