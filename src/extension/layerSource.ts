// "Go to source" for a recorded layer: opens the model file at the line the model loader noted
// when the layer was created (1-based line and column, src/recorder/modelLoader.ts), selects it and
// highlights the line for a moment so the eye finds it. Used by the runs tree (click on a layer),
// by the panels (a layer name clicked in a view) and by anyone holding a run folder and an index.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunLayer, RunManifest } from '../run/format';

/** How long the revealed line stays highlighted. */
const HIGHLIGHT_MS = 1500;

let highlight: vscode.TextEditorDecorationType | undefined;

/** The decoration, created once and owned by the extension's subscriptions. */
function highlightDecoration(subscriptions: { dispose(): unknown }[]): vscode.TextEditorDecorationType {
  if (!highlight) {
    // The colours VS Code itself uses when it jumps to a symbol, so every theme defines them.
    const created = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
      border: '1px solid',
      borderColor: new vscode.ThemeColor('editor.rangeHighlightBorder'),
    });
    highlight = created;
    subscriptions.push({
      dispose: () => {
        created.dispose();
        if (highlight === created) highlight = undefined;
      },
    });
  }
  return highlight;
}

/** The source file of a layer as an absolute path (a relative one is relative to the model file). */
export function layerSourceFile(manifest: RunManifest, layer: RunLayer): string | undefined {
  if (!layer.source) return undefined;
  return isAbsolute(layer.source.file) ? layer.source.file : resolve(dirname(manifest.model.file), layer.source.file);
}

export interface RevealOptions {
  /** Where the editor goes; by default where an editor already shows the file, else the active group. */
  viewColumn?: vscode.ViewColumn;
  preview?: boolean;
  subscriptions: { dispose(): unknown }[];
}

/**
 * Opens `manifest.layers[index]`'s definition. Tells the user (and returns undefined) when the layer
 * has no location (the model input) or its file is gone.
 */
export async function revealLayerSource(manifest: RunManifest, index: number, options: RevealOptions): Promise<vscode.TextEditor | undefined> {
  const layer = manifest.layers.find((l) => l.index === index);
  if (!layer) {
    void vscode.window.showWarningMessage(vscode.l10n.t('The run {0} has no layer {1}.', manifest.id, index));
    return undefined;
  }
  const file = layerSourceFile(manifest, layer);
  if (!file || !layer.source) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The layer “{0}” is the model input; it has no line in the source.', layer.name));
    return undefined;
  }
  if (!existsSync(file)) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} no longer exists; it was moved or deleted after the run was recorded.', file));
    return undefined;
  }
  const uri = vscode.Uri.file(file);
  const document = await vscode.workspace.openTextDocument(uri);
  // The file may have been edited since the run: stay inside it rather than fail.
  const line = Math.min(Math.max(layer.source.line - 1, 0), document.lineCount - 1);
  const column = Math.min(Math.max(layer.source.column - 1, 0), document.lineAt(line).text.length);
  const position = new vscode.Position(line, column);
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  const editor = await vscode.window.showTextDocument(document, {
    viewColumn: options.viewColumn ?? shown?.viewColumn,
    selection: new vscode.Range(position, position),
    preview: options.preview,
  });
  editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  const decoration = highlightDecoration(options.subscriptions);
  editor.setDecorations(decoration, [document.lineAt(line).range]);
  setTimeout(() => editor.setDecorations(decoration, []), HIGHLIGHT_MS);
  return editor;
}
