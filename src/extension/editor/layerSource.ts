// "Go to source" for a recorded layer: opens the file that defines it at the layer's position in
// the current text — the same position its CodeLens is on (SourceSites.positionOf), so an edit
// since the run does not send the user to the wrong line — selects it and highlights the line for a
// moment so the eye finds it. Used by the runs tree (click on a layer), by the panels (a layer name
// clicked in a view) and by the cnnSlicer.goToLayer command.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunLayer, RunManifest } from '../../contract/runFormat';
import type { RunRecord } from '../../run/store';
import { pathKey, type SourceSites } from './sourceSites';
import { cellOfLayer } from '../detection/notebookCells';
import { currentCells, isNotebookFile } from './notebookDocuments';

/** How long the revealed line stays highlighted. */
const HIGHLIGHT_MS = 1500;

/** The source file of a layer as an absolute path (a relative one is relative to the model file). */
export function layerSourceFile(manifest: RunManifest, layer: RunLayer): string | undefined {
  if (!layer.source) return undefined;
  return isAbsolute(layer.source.file) ? layer.source.file : resolve(dirname(manifest.model.file), layer.source.file);
}

export interface RevealOptions {
  /** Where the editor goes; by default where an editor already shows the file, else the active group. */
  viewColumn?: vscode.ViewColumn;
  preview?: boolean;
}

export class LayerSource implements vscode.Disposable {
  /** The highlight, created on first use: the colours VS Code itself uses when it jumps to a symbol. */
  private highlight?: vscode.TextEditorDecorationType;

  constructor(private readonly sites: SourceSites) {}

  /**
   * Opens the definition of layer `index` of `run`. Tells the user (and returns undefined) when the
   * layer has no location (the model input) or its file is gone.
   */
  async reveal(run: RunRecord, index: number, options: RevealOptions = {}): Promise<vscode.TextEditor | undefined> {
    const { manifest } = run;
    const layer = manifest.layers.find((l) => l.index === index);
    if (!layer) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The run {0} has no layer {1}.', manifest.id, index));
      return undefined;
    }
    const file = layerSourceFile(manifest, layer);
    if (!file || !layer.source) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('The layer “{0}” is the model input; it has no line in the source.', layer.name),
      );
      return undefined;
    }
    if (!(await isFile(file))) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('{0} no longer exists; it was moved or deleted after the run was recorded.', file),
      );
      return undefined;
    }
    const uri = vscode.Uri.file(file);
    const document = isNotebookFile(file)
      ? await this.notebookCell(run, layer, uri, options)
      : await vscode.workspace.openTextDocument(uri);
    if (!document) return undefined;
    const at = await this.sites.positionOf(document, run, layer);
    const position = new vscode.Position(at?.line ?? 0, at?.column ?? 0);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === document.uri.toString());
    const editor = await vscode.window.showTextDocument(document, {
      viewColumn: options.viewColumn ?? shown?.viewColumn,
      selection: new vscode.Range(position, position),
      preview: options.preview,
    });
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    const decoration = this.decoration();
    editor.setDecorations(decoration, [document.lineAt(position.line).range]);
    setTimeout(() => editor.setDecorations(decoration, []), HIGHLIGHT_MS);
    return editor;
  }

  /**
   * The cell document of a notebook that defines `layer`, its notebook shown with that cell selected;
   * undefined (the user told) when the cell is no longer found (notebookCells.ts).
   */
  private async notebookCell(
    run: RunRecord,
    layer: RunLayer,
    uri: vscode.Uri,
    options: RevealOptions,
  ): Promise<vscode.TextDocument | undefined> {
    const notebook = await vscode.workspace.openNotebookDocument(uri);
    const key = pathKey(uri.fsPath);
    const base = dirname(run.manifest.model.file);
    const inNotebook = (path: string) => pathKey(isAbsolute(path) ? path : resolve(base, path)) === key;
    const placed = cellOfLayer(run.manifest.layers, layer, inNotebook, currentCells(notebook));
    if (!placed) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('The cell that defined the layer “{0}” is no longer in {1}.', layer.name, uri.fsPath),
      );
      return undefined;
    }
    const shown = vscode.window.visibleNotebookEditors.find((e) => e.notebook.uri.toString() === notebook.uri.toString());
    await vscode.window.showNotebookDocument(notebook, {
      viewColumn: options.viewColumn ?? shown?.viewColumn,
      selections: [new vscode.NotebookRange(placed.cell, placed.cell + 1)],
      preview: options.preview,
    });
    return notebook.cellAt(placed.cell).document;
  }

  dispose(): void {
    this.highlight?.dispose();
    this.highlight = undefined;
  }

  private decoration(): vscode.TextEditorDecorationType {
    this.highlight ??= vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
      border: '1px solid',
      borderColor: new vscode.ThemeColor('editor.rangeHighlightBorder'),
    });
    return this.highlight;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
