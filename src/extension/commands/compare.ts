// The commands that compare runs (docs/views.md, "Comparing runs"): "Compare Runs" on a
// multi-selection in Recorded Runs or from the palette (a multi-select list of the recorded runs),
// and "Compare with Previous Run" on one run (the run of the same model file recorded before it).
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import type { ComparePanels } from '../panels/comparePanels';
import { compareCountProblem, previousRunOf, selectedRunFolders } from '../panels/compareRuns';
import type { Ctx } from '../ctx';
import { runDescription, runItemLabel, shownStatus } from '../runs/runDisplay';
import type { RunLabels } from '../runs/runLabels';
import { registerCommand } from './registerCommand';
import type { RunPicker } from './runArgs';

/** One run in the palette's list. */
export interface RunPickItem extends vscode.QuickPickItem {
  record: RunRecord;
}

/** The dialogs of the compare commands, replaceable by the integration tests (a quick pick cannot be ticked there). */
export interface CompareUi {
  /** The multi-select list of runs; resolves to the items ticked, or undefined when dismissed. */
  pickRuns(items: RunPickItem[], placeHolder: string): Thenable<readonly RunPickItem[] | undefined>;
  /** Says why nothing was compared (the user picked too few or too many runs). */
  warn(message: string): void;
  /** Says why there is nothing to compare (no earlier run). */
  inform(message: string): void;
}

/** What the compare commands offer the integration tests. */
export interface CompareCommands {
  ui: CompareUi;
}

export interface CompareCommandSources {
  labels: RunLabels;
  picker: RunPicker;
  /** Run folders being recorded now (their status in the pick list). */
  activeFolders(): string[];
}

export function registerCompareCommands(ctx: Ctx, panels: Pick<ComparePanels, 'open'>, o: CompareCommandSources): CompareCommands {
  const commands: CompareCommands = {
    ui: {
      pickRuns: (items, placeHolder) => vscode.window.showQuickPick(items, { canPickMany: true, placeHolder, matchOnDescription: true }),
      warn: (message) => void vscode.window.showWarningMessage(message),
      inform: (message) => void vscode.window.showInformationMessage(message),
    },
  };
  // From the tree VS Code passes the clicked run and the whole selection; from the palette nothing.
  registerCommand(ctx, 'cnnSlicer.compareRuns', async (arg: unknown, selected: unknown): Promise<boolean> => {
    const given = selectedRunFolders(arg, selected);
    let folders: string[];
    if (given.length > 0) {
      folders = given;
    } else {
      const picked = await pickRuns(ctx, o, commands.ui);
      if (picked === undefined) return false;
      folders = picked.map((r) => r.folder);
    }
    const problem = compareCountProblem(folders.length, vscode.l10n);
    if (problem) {
      commands.ui.warn(problem);
      return false;
    }
    await panels.open(folders);
    return true;
  });

  registerCommand(ctx, 'cnnSlicer.compareWithPrevious', async (arg: unknown): Promise<boolean> => {
    const record = await o.picker.runOf(arg, vscode.l10n.t('Compare which run with the run recorded before it?'), false);
    if (!record) return false;
    const all = await ctx.runs.runs();
    const previous = previousRunOf(record, all);
    if (!previous) {
      commands.ui.inform(
        vscode.l10n.t(
          '{0} has no earlier run of {1} with a recorded epoch to compare with. Record the model again and compare the new run with this one, or select two runs and run “Compare Runs”.',
          runItemLabel(record.manifest, o.labels.label(record, all)),
          record.manifest.model.name,
        ),
      );
      return false;
    }
    await panels.open([previous.folder, record.folder]);
    return true;
  });
  return commands;
}

/** The palette's list: every recorded run, newest first, labelled as in the tree; undefined if the user cancels. */
async function pickRuns(ctx: Ctx, o: CompareCommandSources, ui: CompareUi): Promise<RunRecord[] | undefined> {
  const runs = await ctx.runs.runs();
  if (runs.length < 2) {
    void vscode.window.showInformationMessage(
      runs.length === 0
        ? vscode.l10n.t(
            'There are no recorded runs in this workspace yet. Open a model file and run “Analyze CNN”, twice, to compare runs.',
          )
        : vscode.l10n.t(
            'There is only one recorded run in this workspace. Record a model again (“Record Again” in Recorded Runs) to compare two runs.',
          ),
    );
    return undefined;
  }
  const style = { locale: vscode.env.language };
  const picked = await ui.pickRuns(
    runs.map((record) => ({
      label: runItemLabel(record.manifest, o.labels.label(record, runs)),
      description: runDescription(record, shownStatus(record, o.activeFolders()), vscode.l10n, style),
      detail: record.folder,
      record,
    })),
    vscode.l10n.t('Pick two or more runs to compare'),
  );
  return picked?.map((p) => p.record);
}
