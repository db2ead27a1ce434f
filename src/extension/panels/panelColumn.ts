// Where a new run or comparison panel opens: beside the code, whichever way it was opened (a lens, a
// hover link, the Recorded Runs tree, the palette). `ViewColumn.Beside` alone is relative to the
// active group, which differs by where the click was: from a lens it is the code's group, from the
// tree or with a panel focused it may be another. The column is derived from the
// code's editor instead.
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { besideColumn } from './besideColumn';

/**
 * The column beside the editor showing the code (besideColumn.ts: the open column right of it, else
 * left of it, else a new one right of it): the run's model file if an editor shows it,
 * else the active text editor, else any visible text editor; `ViewColumn.Active` when no code is
 * visible at all (the panel then takes the editor area).
 */
export function panelColumn(modelFiles: readonly string[]): vscode.ViewColumn {
  const visible = vscode.window.visibleTextEditors.filter((e) => e.viewColumn !== undefined && e.document.uri.scheme === 'file');
  const wanted = new Set(modelFiles.map((f) => resolve(f)));
  const active = vscode.window.activeTextEditor;
  const code =
    visible.find((e) => wanted.has(resolve(e.document.uri.fsPath))) ??
    (active && visible.includes(active) ? active : undefined) ??
    visible.sort((a, b) => a.viewColumn! - b.viewColumn!)[0];
  if (!code?.viewColumn) return vscode.ViewColumn.Active;
  return besideColumn(
    code.viewColumn,
    vscode.window.tabGroups.all.map((g) => g.viewColumn),
  );
}
