// "Analyze CNN" on a Jupyter notebook (docs/pytorch.md "In a notebook"). A notebook records itself,
// as a script does, once the Recorder is in its training loop and its cells run in a kernel; so the
// command opens the notebook and offers, in this order:
//   1. insert the recorder lines around the training loop the user picks, in the cell that holds
//      it (recorderLines.ts, each code cell scanned as a file), the import added to that cell where
//      no cell imports the Recorder;
//   2. add a cell with the recorder lines after the cell that defines the model (a loop to fill in);
//   3. open docs/pytorch.md.
// A notebook that already creates a Recorder is said so first, and its cell shown.
import { basename, extname } from 'node:path';
import * as vscode from 'vscode';
import { pythonParser } from '../detection/detectModel';
import { scanNotebookCell } from '../detection/notebookCells';
import { currentCells } from '../editor/notebookDocuments';
import { insertRecorderLines, snippetOf, type PythonAnalyzeResult, type PythonAnalyzeUi } from './pythonAnalyze';
import { findRecorderSites, importLineFor, loopEdit, recorderCell, type RecorderSites } from './recorderLines';

/** Analyze CNN on the notebook `file`: the action given, else the one the user picks. */
export async function analyzeNotebook(
  file: string,
  ui: PythonAnalyzeUi,
  openDocs: () => Promise<PythonAnalyzeResult>,
  action?: 'insert' | 'cell' | 'docs',
): Promise<PythonAnalyzeResult | undefined> {
  const name = basename(file);
  const title = vscode.l10n.t('Analyze CNN: {0}', name);
  const notebook = await vscode.workspace.openNotebookDocument(vscode.Uri.file(file));
  await vscode.window.showNotebookDocument(notebook);
  const parser = await pythonParser();
  const cells = currentCells(notebook);
  const sites = cells.map((text) => (text === undefined ? undefined : findRecorderSites(text, parser)));
  const existing = sites.findIndex((s) => s?.existingRecorder !== undefined);
  if (existing >= 0 && action === undefined) {
    const anyway = vscode.l10n.t('Insert Anyway');
    const c = await ui.ask(
      vscode.l10n.t(
        'CNN Slicer: {0} already creates a Recorder (cell {1}, line {2}): run its cells to record.',
        name,
        existing + 1,
        sites[existing]!.existingRecorder! + 1,
      ),
      undefined,
      [anyway],
    );
    if (c !== anyway) {
      await showCell(notebook, existing, sites[existing]!.existingRecorder!);
      return undefined;
    }
  }
  // A notebook imports the Recorder once, in any cell: `importLine` is undefined in that cell's sites.
  const imported = sites.some((s) => s !== undefined && s.importLine === undefined);
  const loops = sites.flatMap((s, cell) => (s ? s.loops.map((loop) => ({ cell, loop, sites: s })) : []));
  const chosen =
    action ??
    (
      await ui.pickAction(
        [
          ...(loops.length
            ? [
                {
                  action: 'insert' as const,
                  label: `$(insert) ${vscode.l10n.t('Insert the recorder lines at a training loop')}`,
                  detail: vscode.l10n.t('the Recorder’s three lines around the loop you pick, in its cell'),
                },
              ]
            : []),
          {
            action: 'cell' as const,
            label: `$(add) ${vscode.l10n.t('Add a cell with the recorder lines')}`,
            detail: vscode.l10n.t('after the cell that defines the model: a loop over epochs to fill in with your training'),
          },
          {
            action: 'docs' as const,
            label: `$(book) ${vscode.l10n.t('Open the docs: recording a PyTorch model')}`,
            detail: vscode.l10n.t('the three lines, the probe, a notebook’s runs and lenses'),
          },
        ],
        title,
      )
    )?.action;
  if (chosen === 'docs') return openDocs();
  if (chosen === 'insert') {
    if (!loops.length) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          'CNN Slicer: no training loop found in the cells of {0} (a loop over epochs, or one that calls .backward() or .step()).',
          name,
        ),
      );
      return undefined;
    }
    const picked = await ui.pickLoop(
      loops.map(({ cell, loop }) => ({
        loop,
        label: vscode.l10n.t('cell {0}, line {1}: {2}', cell + 1, loop.line + 1, loop.text),
        description: loop.signs.map((s) => (s === 'epochs' ? vscode.l10n.t('epochs') : `.${s}()`)).join(', '),
      })),
      title,
    );
    const at = picked && loops.find((l) => l.loop === picked.loop);
    if (!at) return undefined;
    const editor = await showCell(notebook, at.cell, at.loop.line);
    const importLine = imported ? undefined : importLineFor(at.sites as RecorderSites, at.loop);
    const line = await insertRecorderLines(editor, importLine, loopEdit(cells[at.cell]!, at.loop, basename(file, extname(file))));
    return line === undefined ? undefined : { action: 'insert', line, cell: at.cell };
  }
  if (chosen === 'cell') {
    // After the last cell that defines a model, else at the end.
    let after = -1;
    for (let i = 0; i < cells.length; i++) if (scanNotebookCell(cells, i, parser)?.isModel) after = i;
    const index = after >= 0 ? after + 1 : cells.length;
    const edit = new vscode.WorkspaceEdit();
    edit.set(notebook.uri, [
      vscode.NotebookEdit.insertCells(index, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, '', 'python')]),
    ]);
    if (!(await vscode.workspace.applyEdit(edit))) return undefined;
    const editor = await showCell(notebook, index, 0);
    await editor.insertSnippet(snippetOf(recorderCell(basename(file, extname(file)), !imported)));
    return { action: 'cell', cell: index };
  }
  return undefined;
}

/** Shows cell `cell` of the notebook, its editor focused with the cursor on 0-based line `line`. */
async function showCell(notebook: vscode.NotebookDocument, cell: number, line: number): Promise<vscode.TextEditor> {
  await vscode.window.showNotebookDocument(notebook, { selections: [new vscode.NotebookRange(cell, cell + 1)] });
  const at = new vscode.Position(line, 0);
  return vscode.window.showTextDocument(notebook.cellAt(cell).document, { selection: new vscode.Range(at, at) });
}
