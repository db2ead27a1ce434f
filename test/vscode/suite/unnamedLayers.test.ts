// Unnamed layers in a real VS Code: after a run, a layer inserted above another one with other
// options reads "not recorded yet" while the original keeps its numbers, and a copied definition
// that nothing recorded tells apart from its original makes both say "stale" rather than guess.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import { activate, fixtureUri, waitFor } from './helpers';
import { recordFixtureRun } from './recordedRuns';

const FILE = 'unnamed-model.ts';

/** Every lens title on each line that defines a layer, keyed by the line's text. */
async function lensesByLine(document: vscode.TextDocument): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri)) ?? [];
  return lenses
    .filter((l) => /tf\.layers\./.test(document.lineAt(l.range.start.line).text))
    .sort((a, b) => a.range.start.line - b.range.start.line)
    .map((l) => `${l.range.start.line}: ${l.command?.title ?? ''}`);
}

describe('unnamed layers: the editor matches definitions on their options', function () {
  this.timeout(180_000);
  let api: CnnSlicerApi;
  let document: vscode.TextDocument;
  let convLine = -1;

  before(async () => {
    api = await activate();
    // The fixture model without any `name:` option, as most tfjs examples are written.
    const text = readFileSync(fixtureUri('tiny-model.ts').fsPath, 'utf8')
      .replace(/, name: '[^']+'/g, '')
      .replace(/\{ name: '[^']+' \}/g, '');
    writeFileSync(fixtureUri(FILE).fsPath, text);
    await recordFixtureRun(api, FILE);
    document = await vscode.workspace.openTextDocument(fixtureUri(FILE));
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One });
    convLine = Array.from({ length: document.lineCount }, (_, i) => i).find((i) =>
      /tf\.layers\.conv2d\(\{ filters: 8/.test(document.lineAt(i).text),
    )!;
    assert.ok(convLine > 0, 'the fixture has a second convolution');
  });

  it('shows "stale" on a copied definition and its original, and no value on either', async () => {
    const original = document.lineAt(convLine).text;
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, new vscode.Position(convLine, 0), `${original}\n`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const lenses = await waitFor('the lenses of the edited text', async () => {
      const l = await lensesByLine(document);
      return l.some((t) => /stale/.test(t)) ? l : undefined;
    });
    const here = lenses.filter((t) => t.startsWith(`${convLine}:`) || t.startsWith(`${convLine + 1}:`));
    assert.ok(here.length >= 2 && here.every((t) => /stale/.test(t)), lenses.join('\n'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      document.uri,
      new vscode.Position(convLine + 1, document.lineAt(convLine + 1).text.indexOf('conv2d')),
    );
    const hover = (hovers ?? [])
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value))
      .join('\n');
    assert.match(hover, /stale/);
    assert.doesNotMatch(hover, /bits/);
    await vscode.commands.executeCommand('undo');
  });

  it('reads "not recorded yet" on a convolution inserted with other options, and keeps the numbers on the original', async () => {
    const edit = new vscode.WorkspaceEdit();
    edit.insert(
      document.uri,
      new vscode.Position(convLine, 0),
      "  model.add(tf.layers.conv2d({ filters: 8, kernelSize: 1, padding: 'same' }));\n",
    );
    assert.ok(await vscode.workspace.applyEdit(edit));
    const lenses = await waitFor('the lenses of the edited text', async () => {
      const l = await lensesByLine(document);
      return l.some((t) => t.startsWith(`${convLine}:`) && /not recorded yet/.test(t)) ? l : undefined;
    });
    const original = lenses.filter((t) => t.startsWith(`${convLine + 1}:`));
    assert.ok(original.length > 0 && original.every((t) => !/not recorded yet|stale/.test(t)), lenses.join('\n'));
    await vscode.commands.executeCommand('undo');
  });
});
