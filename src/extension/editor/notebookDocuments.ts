// VS Code's notebook documents as the editor features see them: a notebook cell is a text document
// of its own (scheme `vscode-notebook-cell`), whose path (`fsPath`) is the notebook's. A run
// recorded in a notebook knows the `.ipynb` file and each layer's cell by its text
// (detection/notebookCells.ts); here a cell document is found in its notebook, and the notebook's
// cells are read as that matching needs them.
import * as vscode from 'vscode';
import type { CurrentCell } from '../detection/notebookCells';

export const NOTEBOOK_CELL_SCHEME = 'vscode-notebook-cell';

/** A cell document's notebook (saved on disk: runs know notebooks by path) and its place in it. */
export interface CellOfNotebook {
  notebook: vscode.NotebookDocument;
  index: number;
}

/** Whether a path is a Jupyter notebook's (its cells, not its JSON, carry the layers' lines). */
export function isNotebookFile(path: string): boolean {
  return /\.ipynb$/i.test(path);
}

/** The notebook and index of a cell document, if it is a cell of an open notebook saved on disk. */
export function notebookCellOf(document: vscode.TextDocument): CellOfNotebook | undefined {
  if (document.uri.scheme !== NOTEBOOK_CELL_SCHEME) return undefined;
  const key = document.uri.toString();
  for (const notebook of vscode.workspace.notebookDocuments) {
    if (notebook.uri.scheme !== 'file') continue;
    const cell = notebook.getCells().find((c) => c.document.uri.toString() === key);
    if (cell) return { notebook, index: cell.index };
  }
  return undefined;
}

/** A notebook's cells now: each code cell's text, undefined for a markdown cell. */
export function currentCells(notebook: vscode.NotebookDocument): CurrentCell[] {
  return notebook.getCells().map((c) => (c.kind === vscode.NotebookCellKind.Code ? c.document.getText() : undefined));
}

/**
 * The name the scanners read a document's language from (detection/detectModel.ts goes by the file
 * name): a Python cell's is a `.py` name, since its path is the notebook's.
 */
export function scanName(document: vscode.TextDocument): string {
  return document.uri.scheme === NOTEBOOK_CELL_SCHEME && document.languageId === 'python' ? `${document.uri.fsPath}.py` : document.fileName;
}
