// What the run commands are given and how they find the run they act on: a tree node,
// `{ runFolder }`, a path or a Uri; else the run selected in the Recorded Runs view; else one the
// user picks. Shared by the command groups on runs (runs.ts, panels.ts, source.ts).
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunLayer } from '../../contract/runFormat';
import type { RunRecord } from '../../run/store';
import { runDescription, runItemLabel, shownStatus } from '../runs/runDisplay';
import type { RunIndex } from '../runs/runIndex';
import type { RunLabels } from '../runs/runLabels';

/** What a run command was given: a tree node or `{ runFolder }`, a path or a Uri. */
export function folderOfArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { runFolder?: unknown }).runFolder === 'string')
    return (arg as { runFolder: string }).runFolder;
  return undefined;
}

/** The layer a command was given: a layer node, or `{ layer }` beside a run folder. */
export function layerOfArg(arg: unknown): number | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as { kind?: unknown; layer?: unknown };
  if (a.kind === 'layer' && typeof a.layer === 'object' && a.layer !== null) return (a.layer as RunLayer).index;
  return isLayerIndex(a.layer) ? a.layer : undefined;
}

export function isLayerIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

/** Where the run commands look for their run besides their argument. */
export interface RunPickerSources {
  runs: RunIndex;
  labels: RunLabels;
  /** The node selected in the Recorded Runs view. */
  selection(): unknown;
  /** Run folders being recorded now (their status in the pick list). */
  activeFolders(): string[];
}

export class RunPicker {
  constructor(private readonly o: RunPickerSources) {}

  /**
   * The run a command acts on: its argument, else (for a keybinding on the view) the selected run,
   * else one the user picks; undefined when the user picks none. Commands shown in the palette
   * always ask rather than act on a selection the user may have forgotten.
   */
  async runOf(arg: unknown, placeHolder: string, useSelection = true): Promise<RunRecord | undefined> {
    const folder = folderOfArg(arg) ?? (useSelection ? folderOfArg(this.o.selection()) : undefined);
    if (folder !== undefined) {
      const record = await this.o.runs.find(folder);
      if (!record)
        throw new Error(
          vscode.l10n.t(
            '{0} is not a recorded run of this workspace (deleted or moved?). Refresh the Recorded Runs view and try again.',
            folder,
          ),
        );
      return record;
    }
    const runs = await this.o.runs.runs();
    if (!runs.length) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('There are no recorded runs in this workspace yet. Open a model file and run “Analyze CNN”.'),
      );
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      runs.map((record) => ({
        label: runItemLabel(record.manifest, this.o.labels.label(record, runs)),
        description: runDescription(record, shownStatus(record, this.o.activeFolders()), vscode.l10n, {
          locale: vscode.env.language,
        }),
        detail: record.folder,
        record,
      })),
      { placeHolder, matchOnDescription: true },
    );
    return picked?.record;
  }

  /** A folder for the path commands (delete, reveal, copy): a run, or an unreadable run folder the index listed. */
  async pathOf(arg: unknown): Promise<string> {
    const folder = folderOfArg(arg) ?? folderOfArg(this.o.selection());
    if (folder === undefined) throw new Error(vscode.l10n.t('No run was given. Select a run in the Recorded Runs view first.'));
    const record = await this.o.runs.find(folder);
    if (record) return record.folder;
    const unreadable = (await this.o.runs.list()).errors.find((e) => resolve(e.folder) === resolve(folder));
    if (unreadable) return unreadable.folder;
    throw new Error(
      vscode.l10n.t(
        '{0} is not a recorded run of this workspace (deleted or moved?). Refresh the Recorded Runs view and try again.',
        folder,
      ),
    );
  }
}
