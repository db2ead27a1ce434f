// The commands on recorded runs (the Recorded Runs view's menus): record again, rename, delete,
// reveal the folder, copy its path, refresh. Opening a run is in panels.ts, going to a layer's
// source in source.ts.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import { isPythonRun } from '../../contract/runFormat';
import type { AnalyzeArgs } from '../recording/analyzeFlow';
import { recordAgainTarget } from '../recording/trainingScript';
import type { Ctx } from '../ctx';
import { rerunSettings, runItemLabel, shownStatus, validateRunName } from '../runs/runDisplay';
import type { RunLabels } from '../runs/runLabels';
import { registerCommand } from './registerCommand';
import type { RunPicker } from './runArgs';

/** The dialogs of the run commands, replaceable by the integration tests (a modal cannot be clicked there). */
export interface RunsUi {
  /** A modal warning with one action; resolves to the action when chosen. */
  confirm(message: string, detail: string, action: string): Thenable<string | undefined>;
}

/** What the run commands offer the integration tests. */
export interface RunCommands {
  ui: RunsUi;
}

export interface RunCommandDeps {
  labels: RunLabels;
  picker: RunPicker;
  /** Run folders being recorded now (such a run is cancelled, not deleted). */
  activeFolders(): string[];
  /** Closes a run's panel, if open (the run is being deleted). */
  closePanel(runFolder: string): void;
  /** Redraws the Recorded Runs view. */
  refreshView(): void;
}

export function registerRunCommands(ctx: Ctx, deps: RunCommandDeps): RunCommands {
  const { labels, picker } = deps;
  const commands: RunCommands = {
    ui: { confirm: (message, detail, action) => vscode.window.showWarningMessage(message, { modal: true, detail }, action) },
  };
  const nameOf = async (record: RunRecord) => runItemLabel(record.manifest, await labels.labelOf(record));

  registerCommand(ctx, 'cnnSlicer.rerun', async (arg: unknown) => {
    const record = await picker.runOf(arg, vscode.l10n.t('Record which run again?'));
    if (!record) return;
    const modelFile = record.manifest.model.file;
    if (!(await exists(modelFile))) {
      throw new Error(
        vscode.l10n.t('the model file {0} no longer exists; open the model where it is now and run “Analyze CNN”.', modelFile),
      );
    }
    if (isPythonRun(record.manifest)) return recordPythonRunAgain(record);
    // Same model, same settings (every one the run was recorded with): no questions (the recording module's `noPrompt`).
    const settingsFrom = `run ${record.manifest.id} being recorded again`;
    const args: AnalyzeArgs = { modelFile, settings: rerunSettings(record.manifest), noPrompt: true, settingsFrom };
    return vscode.commands.executeCommand('cnnSlicer.analyze', args);
  });

  // cnnSlicer.cancelRecording is registered with the recording commands (recording.ts); the tree's
  // inline and context-menu entries pass it the node, whose `runFolder` it reads.

  registerCommand(ctx, 'cnnSlicer.renameRun', async (arg: unknown) => {
    const record = await picker.runOf(arg, vscode.l10n.t('Rename which run?'));
    if (!record) return;
    const id = record.manifest.id;
    const given =
      typeof arg === 'object' && arg !== null && typeof (arg as { label?: unknown }).label === 'string'
        ? (arg as { label: string }).label
        : undefined;
    const name =
      given ??
      (await vscode.window.showInputBox({
        title: vscode.l10n.t('Rename Run'),
        prompt: vscode.l10n.t(
          'A name for the run {0} of {1}, shown in this workspace only. Leave it empty for the default name.',
          id,
          record.manifest.model.name,
        ),
        value: labels.names.get(id) ?? '',
        // What the run is called again when the name is cleared.
        placeHolder: await labels.defaultLabelOf(record),
        validateInput: (v) => validateRunName(v, vscode.l10n),
      }));
    if (name === undefined) return;
    const problem = validateRunName(name, vscode.l10n);
    if (problem) throw new Error(problem);
    await labels.names.set(id, name);
    deps.refreshView();
  });

  registerCommand(ctx, 'cnnSlicer.deleteRun', async (arg: unknown) => {
    const folder = await picker.pathOf(arg);
    const record = await ctx.runs.find(folder);
    if (record && shownStatus(record, deps.activeFolders()) === 'recording') {
      const cancel = vscode.l10n.t('Cancel Recording');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t('“{0}” is still being recorded. Cancel the recording before deleting the run.', await nameOf(record)),
        cancel,
      );
      if (choice === cancel) await vscode.commands.executeCommand('cnnSlicer.cancelRecording', { runFolder: folder });
      return;
    }
    const name = record ? await nameOf(record) : basename(folder);
    const trash = vscode.l10n.t('Move to Trash');
    const choice = await commands.ui.confirm(
      vscode.l10n.t('Delete the run “{0}”?', name),
      vscode.l10n.t('Its folder {0} (checkpoints, probe set, metrics and cached answers) will be moved to the trash.', folder),
      trash,
    );
    if (choice !== trash) return;
    deps.closePanel(folder);
    const uri = vscode.Uri.file(folder);
    try {
      // Some machines' trash never answers (headless or remote hosts, seen with code-server):
      // after 10 s it counts as unavailable, like an error.
      await Promise.race([
        vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true }),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(vscode.l10n.t('the trash did not answer within 10 s'))), 10_000),
        ),
      ]);
    } catch (e) {
      // No trash here (a remote or headless machine, some file systems): say so, and delete for
      // good only if the user agrees a second time.
      if (await exists(folder)) {
        const reason = e instanceof Error ? e.message : String(e);
        ctx.log.warn(`moving ${folder} to the trash failed: ${reason}`);
        const permanently = vscode.l10n.t('Delete Permanently');
        const again = await commands.ui.confirm(
          vscode.l10n.t('“{0}” cannot be moved to the trash. Delete it permanently?', name),
          vscode.l10n.t('{0} could not be moved to the trash ({1}). Deleting it permanently cannot be undone.', folder, reason),
          permanently,
        );
        if (again !== permanently) return;
        await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
      }
    }
    ctx.log.info(`deleted the run ${folder}`);
    if (record) await labels.names.set(record.manifest.id, undefined);
    ctx.runs.refresh();
  });

  registerCommand(ctx, 'cnnSlicer.revealRunFolder', async (arg: unknown) => {
    const uri = vscode.Uri.file(await picker.pathOf(arg));
    if (!vscode.env.remoteName) {
      await vscode.commands.executeCommand('revealFileInOS', uri);
      return;
    }
    // In a remote window the OS file manager is on the other machine: use the Explorer instead,
    // which only shows folders inside the workspace.
    if (vscode.workspace.getWorkspaceFolder(uri)) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
      return;
    }
    const copy = vscode.l10n.t('Copy Path');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('The run folder {0} is outside the workspace, so the Explorer cannot show it.', uri.fsPath),
      copy,
    );
    if (choice === copy) await vscode.env.clipboard.writeText(uri.fsPath);
  });

  registerCommand(ctx, 'cnnSlicer.copyRunPath', async (arg: unknown) => {
    const folder = await picker.pathOf(arg);
    await vscode.env.clipboard.writeText(folder);
    vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', folder), 3000);
  });

  registerCommand(ctx, 'cnnSlicer.refreshRuns', () => {
    // The index re-reads the runs folders (searched again for .cnnslicer/runs ones) and fires onDidChange, which redraws the tree.
    ctx.runsFolderList.search();
    ctx.runs.refresh();
    deps.refreshView();
  });

  return commands;
}

/** Whether something is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Record Again on a PyTorch run: its model is trained by the user's script, which the run names
 * (trainingScript.ts) and which runs again with the recorder; a notebook opens to run its cells;
 * else Analyze CNN on the model file, which offers the scripts that import it.
 */
async function recordPythonRunAgain(record: RunRecord): Promise<unknown> {
  const target = recordAgainTarget(record.manifest, existsSync);
  if (target.kind === 'script')
    return vscode.commands.executeCommand('cnnSlicer.analyze', {
      modelFile: target.file,
      pythonAction: 'run',
      ...(target.python ? { python: target.python } : {}),
    } satisfies AnalyzeArgs);
  if (target.kind === 'notebook') {
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(target.file));
    void vscode.window.showInformationMessage(
      vscode.l10n.t('CNN Slicer: run the cells of {0} to record {1} again.', basename(target.file), record.manifest.model.name),
    );
    return undefined;
  }
  return vscode.commands.executeCommand('cnnSlicer.analyze', vscode.Uri.file(record.manifest.model.file));
}
