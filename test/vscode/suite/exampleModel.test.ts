// "Open the example model" in a workspace without TensorFlow.js installed: the TypeScript server
// knows `tf` (its hover shows the real signature of tf.sequential) and reports no error on the
// file — where before the import was "Cannot find module" and the whole file turned red.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activate, fixtureUri, hoverText, waitFor } from './helpers';

describe('the example model in a workspace without TensorFlow.js', function () {
  this.timeout(180_000);
  const example = fixtureUri('mnist-lenet.ts');

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const uri of [example, fixtureUri('tsconfig.json'), fixtureUri('.cnnslicer', 'types')])
      await vscode.workspace.fs.delete(uri, { recursive: true }).then(undefined, () => undefined);
  });

  it('type-checks: the TypeScript server reads the types of tf and reports no error', async () => {
    await activate();
    await vscode.commands.executeCommand('cnnSlicer.openExample');
    const document = await waitFor('the example in the editor', () =>
      vscode.window.visibleTextEditors.map((e) => e.document).find((d) => d.uri.fsPath === example.fsPath),
    );
    const line = Array.from({ length: document.lineCount }, (_, i) => i).find((i) => document.lineAt(i).text.includes('tf.sequential('));
    assert.ok(line !== undefined, 'the example calls tf.sequential');
    const at = new vscode.Position(line, document.lineAt(line).text.indexOf('sequential') + 2);
    // The TypeScript server starts with the first TypeScript file: its hover comes once it has read the types.
    const hover = await waitFor(
      'the TypeScript hover of tf.sequential',
      async () => {
        const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, at));
        return /sequential\(config\?: .*Sequential/s.test(text) ? text : undefined;
      },
      150_000,
    );
    assert.match(hover, /Sequential/);
    // Diagnostics follow the project's load: give the server the time it took to answer the hover.
    await new Promise((r) => setTimeout(r, 3_000));
    const errors = vscode.languages.getDiagnostics(document.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepEqual(
      errors.map((d) => `${d.range.start.line + 1}: ${d.message}`),
      [],
    );
    // Nor on the tsconfig.json written beside it: VS Code's TypeScript 6 marked moduleResolution node10 and baseUrl as errors there.
    const config = await vscode.workspace.openTextDocument(fixtureUri('tsconfig.json'));
    await vscode.window.showTextDocument(config, { preview: false });
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(
      vscode.languages
        .getDiagnostics(config.uri)
        // Not the JSON schema's download, which this machine cannot reach (a warning).
        .filter((d) => d.severity === vscode.DiagnosticSeverity.Error)
        .map((d) => `${d.range.start.line + 1}: ${d.message}`),
      [],
    );
  });
});
