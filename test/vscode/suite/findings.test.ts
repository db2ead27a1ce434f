// The findings of a model file's newest run in VS Code: Problems-panel entries (source "CNN Slicer")
// at the line of the layer each is about, the model-wide ones at the createModel export, placed
// again after edits (a finding whose layer is deleted goes), and the summary appended to the
// layer's CodeLens. The first tests give RunFindings a known answer about the shared fixture run's
// layers (the rules are tested in the service); the last asks the real analysis service and
// checks the Problems panel shows exactly its answer, placed by layer name.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { AskFindings } from '../../../src/extension/editor/runFindings';
import type { RunRecord } from '../../../src/run/store';
import type { Finding, FindingsAnswer } from '../../../src/contract/queries/findings';
import { activate, finding, fixtureUri, log, ours, waitFor } from './helpers';
import { sharedFixtureRun } from './recordedRuns';

const MODEL = 'tiny-model.ts';

/** The 0-based line of the definition of the layer named `name` in the document's text. */
function lineOf(document: vscode.TextDocument, name: string): number {
  for (let line = 0; line < document.lineCount; line++) if (document.lineAt(line).text.includes(`name: '${name}'`)) return line;
  assert.fail(`no definition of ${name} in ${MODEL}`);
}

function createModelLine(document: vscode.TextDocument): number {
  for (let line = 0; line < document.lineCount; line++) if (/export function createModel/.test(document.lineAt(line).text)) return line;
  assert.fail('no createModel export');
}

describe('findings: the Problems panel at the layer’s line, and the lens summary', function () {
  this.timeout(180_000);
  let api: CnnSlicerApi;
  let document: vscode.TextDocument;
  let run: RunRecord;
  let realAsk: AskFindings;

  before(async () => {
    api = await activate();
    const folder = await sharedFixtureRun(api);
    document = await vscode.workspace.openTextDocument(fixtureUri(MODEL));
    await vscode.window.showTextDocument(document);
    // The newest run of the file (another test file may have recorded one after the shared run).
    run = await waitFor('the fixture model’s newest run', () => api.ctx.runs.newestOfModel(document.uri.fsPath));
    log(`findings of ${run.folder} (shared run ${folder})`);
    realAsk = api.runFindings.ask;
  });

  afterEach(async () => {
    if (document.isDirty) {
      await vscode.window.showTextDocument(document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  after(() => {
    api.runFindings.ask = realAsk;
    api.runFindings.forget();
    api.findingsDiagnostics.updateAll();
  });

  /** Gives RunFindings this answer for every run, and asks again. */
  function answerWith(findings: Finding[]): void {
    const answer: FindingsAnswer = { epoch: 1, findings, thresholds: {}, skipped: [] };
    api.runFindings.ask = async () => ({ answer, cached: false, ms: 0 });
    api.runFindings.forget();
    api.findingsDiagnostics.updateAll();
  }

  function layerIndex(name: string): number {
    const layer = run.manifest.layers.find((l) => l.name === name);
    assert.ok(layer, `the run has ${name}`);
    return layer.index;
  }

  it('puts each finding at its layer’s line (model-wide ones at createModel), with severity, source and code', async () => {
    const conv2 = layerIndex('conv2');
    const conv1 = layerIndex('conv1');
    answerWith([
      finding({ kind: 'probe-loss-rising', severity: 'warning', message: 'probe loss rising', view: { view: 'training' } }),
      finding({
        kind: 'dead-channels',
        layer: conv2,
        layerName: 'conv2',
        channels: [1, 5],
        message: '2 dead channels: 1, 5',
        ablation: { channels: [1, 5], mode: 'zero', accuracyBefore: 0.9, accuracyAfter: 0.9, lossBefore: 0.3, lossAfter: 0.3 },
      }),
      finding({
        kind: 'near-duplicate-channels',
        severity: 'warning',
        layer: conv2,
        layerName: 'conv2',
        channels: [0, 3, 4],
        message: 'dup',
      }),
      finding({ kind: 'inert-layer', layer: conv1, layerName: 'conv1', message: 'conv1 changes nothing' }),
    ]);
    const got = await waitFor('four findings in the Problems panel', () => {
      const d = ours(document.uri);
      return d.length === 4 ? d : undefined;
    });
    assert.deepEqual(
      got.map((d) => [d.range.start.line, d.code, d.severity]),
      [
        [createModelLine(document), 'probe-loss-rising', vscode.DiagnosticSeverity.Warning],
        [lineOf(document, 'conv1'), 'inert-layer', vscode.DiagnosticSeverity.Information],
        [lineOf(document, 'conv2'), 'dead-channels', vscode.DiagnosticSeverity.Information],
        [lineOf(document, 'conv2'), 'near-duplicate-channels', vscode.DiagnosticSeverity.Warning],
      ],
    );
    // The lens's column: the start of `tf.layers.conv2d(`.
    assert.equal(got[2].range.start.character, document.lineAt(lineOf(document, 'conv2')).text.indexOf('tf.layers.'));
    assert.equal(got[2].message, '2 dead channels: 1, 5 — zeroing these 2 channels: probe accuracy 90.0% → 90.0%, loss +0.00');

    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri)) ?? [];
    const titleAt = (line: number) =>
      lenses.find((l) => l.command?.command === 'cnnSlicer.showEntropy' && l.range.start.line === line)?.command?.title;
    assert.match(titleAt(lineOf(document, 'conv2')) ?? '', /show entropy.* · 2 dead · 3 near-duplicate$/);
    assert.match(titleAt(lineOf(document, 'conv1')) ?? '', / · inert$/);
    assert.doesNotMatch(titleAt(lineOf(document, 'pool1')) ?? '', /dead|inert|duplicate/);
  });

  it('follows edits: a line inserted above moves the entries, a deleted layer’s entries go', async () => {
    const conv2 = layerIndex('conv2');
    answerWith([
      finding({ kind: 'dead-channels', layer: conv2, layerName: 'conv2', channels: [1], message: 'conv2 dead' }),
      finding({ kind: 'inert-layer', layer: layerIndex('output'), layerName: 'output', message: 'output inert' }),
    ]);
    await waitFor('two findings', () => ours(document.uri).length === 2);
    const editor = await vscode.window.showTextDocument(document);
    const conv2Line = lineOf(document, 'conv2');
    await editor.edit((e) => e.insert(new vscode.Position(conv2Line, 0), '  // a comment above conv2\n'));
    await waitFor('the entries one line further down', () => {
      const d = ours(document.uri);
      return d.length === 2 && d[0].range.start.line === conv2Line + 1 && d[1].range.start.line === lineOf(document, 'output');
    });
    // Marked: the run is older than the text now.
    assert.match(ours(document.uri)[0].message, /recorded before your last edit/);
    const at = lineOf(document, 'conv2');
    await editor.edit((e) => e.delete(new vscode.Range(at, 0, at + 1, 0)));
    const left = await waitFor('only the output layer’s entry', () => {
      const d = ours(document.uri);
      return d.length === 1 ? d : undefined;
    });
    assert.equal(left[0].code, 'inert-layer');
    assert.equal(left[0].range.start.line, lineOf(document, 'output'));
  });

  it('shows the analysis service’s own findings, each at the line of the layer it names', async function () {
    api.runFindings.ask = realAsk;
    api.runFindings.forget();
    let answer: FindingsAnswer;
    try {
      answer = (await api.ctx.client().query(run.folder, { kind: 'findings' })).answer;
    } catch (e) {
      // Not `instanceof`: the test bundle has its own copy of QueryError.
      if ((e as { code?: unknown } | undefined)?.code === 'unsupported') {
        log(`the service does not answer findings yet: ${String(e)}`);
        this.skip();
      }
      throw e;
    }
    log(`the service found ${answer.findings.map((f) => `${f.kind}@${f.layerName ?? '-'}`).join(', ') || 'nothing'}`);
    api.findingsDiagnostics.updateAll();
    const expected = answer.findings
      .map((f) => [f.layerName === undefined ? createModelLine(document) : lineOf(document, f.layerName), f.kind] as const)
      .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
    const got = await waitFor(
      `the service's ${expected.length} findings in the Problems panel`,
      () => {
        const d = ours(document.uri);
        return d.length === expected.length ? d : undefined;
      },
      60_000,
    );
    assert.deepEqual(
      got.map((d) => [d.range.start.line, d.code]),
      expected.map((e) => [e[0], e[1]]),
    );
    for (const d of got) assert.equal(d.source, 'CNN Slicer');
  });
});
