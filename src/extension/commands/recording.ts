// The recording commands: "Analyze CNN" (the questions of analyzeFlow.ts, then a recording; on a
// `.py` file the Python flow of pythonAnalyze.ts, as PyTorch scripts record themselves), cancel
// a recording, the status bar item's menu, and the walkthrough's "open the example".
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { askSettings, effectiveDefaults, isAnalyzeArgs, notAModelMessage, pickModelFile } from '../recording/analyzeFlow';
import { initialSettings, rememberedAnswers } from '../recording/flowItems';
import type { Ctx } from '../ctx';
import { notAModelReason } from '../recording/modelFileCheck';
import { describeProgress } from '../recording/recordingProgress';
import { hasOwnTraining, modelTrainingDescription } from '../recording/modelTraining';
import { trainingNumbers } from '../recording/trainingExport';
import type { Recordings } from '../recording/recording';
import type { PythonAnalyze } from '../recording/pythonAnalyze';
import { isPythonFile } from '../detection/detectModel';
import { analyzeNotebook } from '../recording/notebookAnalyze';
import { isNotebookFile } from '../editor/notebookDocuments';
import type { MenuItem } from '../recording/recordingMenu';
import type { RecordingSettings } from '../settings';
import { type ExampleTypings, writeExampleTypings } from './exampleTypings';
import { registerCommand } from './registerCommand';
import { folderOfArg } from './runArgs';

/**
 * Whether recording may run: in an untrusted workspace, says why not (with a link to manage trust)
 * and resolves false. Every command that records asks this first.
 */
export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = vscode.l10n.t('Manage Workspace Trust');
  const c = await vscode.window.showWarningMessage(
    vscode.l10n.t(
      'CNN Slicer: recording runs the code of this workspace, so it needs a trusted workspace. Recorded runs can still be opened.',
    ),
    manage,
  );
  if (c === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

/** A control experiment's option as a command argument gave it, when it has the right shape. */
function controlOf(x: unknown): { spec: string; sourceRun: string } | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const { spec, sourceRun } = x as { spec?: unknown; sourceRun?: unknown };
  return typeof spec === 'string' && spec && typeof sourceRun === 'string' && sourceRun ? { spec, sourceRun } : undefined;
}

/** workspaceState key prefix: the Analyze CNN answers last given for a model file. */
const DEFAULTS_KEY = 'cnnSlicer.recordDefaults:';

export function registerRecordingCommands(
  ctx: Ctx,
  recordings: Recordings,
  openRun: (runFolder: string) => Promise<void>,
  python: PythonAnalyze,
): void {
  registerCommand(ctx, 'cnnSlicer.analyze', async (arg?: unknown) => {
    if (!(await requireTrust())) return undefined;
    const modelFile = await pickModelFile(arg);
    if (!modelFile) return undefined;
    // A PyTorch script records itself (docs/pytorch.md): run it, add the recorder lines, or read how.
    if (isPythonFile(modelFile))
      return python.analyze(modelFile, isAnalyzeArgs(arg) ? arg.pythonAction : undefined, isAnalyzeArgs(arg) ? arg.python : undefined);
    // A notebook records itself too, from its cells: add the recorder lines, or read how.
    if (isNotebookFile(modelFile)) {
      const action = isAnalyzeArgs(arg) ? arg.pythonAction : undefined;
      return analyzeNotebook(modelFile, python.ui, () => python.openDocs(), action === 'run' ? undefined : action);
    }
    const runsFolder = ctx.runsFolderFor(vscode.Uri.file(modelFile));
    if (!runsFolder) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t('CNN Slicer: open a folder first; runs are recorded into the workspace folder (setting cnnSlicer.runsFolder).'),
      );
      return undefined;
    }
    const args = isAnalyzeArgs(arg) ? arg : undefined;
    // Checked before the questions: a file the lenses already know is not a model fails at once.
    // Record Again and tests (noPrompt) record what they were given; the recorder reports its own errors.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.fileName === modelFile);
    const text = args?.noPrompt ? undefined : open ? open.getText() : await readFile(modelFile, 'utf8').catch(() => undefined);
    if (!args?.noPrompt && !args?.skipModelCheck) {
      const reason = text === undefined ? undefined : notAModelReason(text, modelFile);
      if (reason) {
        const anyway = vscode.l10n.t('Record Anyway');
        // Not awaited: the command returns now; the button starts the flow again without this check.
        void vscode.window.showErrorMessage(notAModelMessage(modelFile, reason), anyway).then((c) => {
          if (c === anyway) void vscode.commands.executeCommand('cnnSlicer.analyze', { modelFile, skipModelCheck: true });
        });
        return undefined;
      }
    }
    // A recorded run's settings (Record Again, a control experiment) are recorded as they are; the
    // flow starts from the answers remembered for the model, without a training override (rememberedAnswers).
    const fromRun = args?.settingsFrom !== undefined;
    const remembered = fromRun
      ? undefined
      : rememberedAnswers(ctx.workspaceState.get<Partial<RecordingSettings>>(DEFAULTS_KEY + modelFile));
    const config = ctx.settings(vscode.Uri.file(modelFile));
    const initial = initialSettings(config, { ...remembered, ...args?.settings });
    const exported = text === undefined || /\.json$/i.test(modelFile) ? {} : trainingNumbers(text);
    const chosen = args?.noPrompt
      ? initial
      : await askSettings(modelFile, initial, {
          ...effectiveDefaults(config, exported),
          lastDataset: remembered?.dataset,
          training: modelTrainingDescription(modelFile, text, vscode.l10n),
          trainingExport: exported,
          ownTraining: hasOwnTraining(modelFile, text),
        });
    if (!chosen) return undefined;
    if (!fromRun) await ctx.workspaceState.update(DEFAULTS_KEY + modelFile, rememberedAnswers(chosen));
    const entry = recordings.start(modelFile, runsFolder, chosen, controlOf(args?.control), args?.settingsFrom);
    // The first seconds (bundling the model, loading the dataset) get a cancellable notification.
    void vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('CNN Slicer: starting to record {0}', basename(modelFile)),
        cancellable: true,
      },
      (progress, token) =>
        new Promise<void>((resolve) => {
          token.onCancellationRequested(() => {
            entry.client.cancel();
            resolve();
          });
          const timer = setInterval(() => {
            const p = entry.client.lastProgress;
            if (p?.message) progress.report({ message: p.message });
            if (p && p.phase !== 'loading') resolve();
          }, 250);
          void entry.client.done.then(() => resolve());
          setTimeout(resolve, 20_000);
          void new Promise<void>((r) => token.onCancellationRequested(() => r())).then(() => clearInterval(timer));
          void entry.client.done.finally(() => clearInterval(timer));
        }),
    );
    // Returned for callers (the walkthrough, tests): the recorder's outcome.
    return entry.client.done;
  });

  registerRecordingMenus(ctx, recordings, openRun);

  registerCommand(ctx, 'cnnSlicer.openExample', async () => {
    const example = vscode.Uri.joinPath(ctx.extensionUri, 'examples', 'mnist-lenet.ts');
    const folder = vscode.workspace.workspaceFolders?.[0];
    // Copied into the workspace, so recording it writes the run beside the user's own files.
    if (folder) {
      const target = vscode.Uri.joinPath(folder.uri, 'mnist-lenet.ts');
      try {
        await vscode.workspace.fs.stat(target);
      } catch {
        await vscode.workspace.fs.copy(example, target);
      }
      // So that it type-checks without `npm install` (exampleTypings.ts); a failure only leaves the squiggles.
      let typings: ExampleTypings | undefined;
      if (folder.uri.scheme === 'file') {
        try {
          typings = writeExampleTypings(ctx.extensionUri.fsPath, folder.uri.fsPath);
          ctx.log.info(
            `example model: TensorFlow.js types ${typings === 'written' ? 'written to .cnnslicer/types with a tsconfig.json' : `not written (${typings})`}`,
          );
        } catch (e) {
          ctx.log.warn(`example model: could not write the TensorFlow.js types: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      await vscode.window.showTextDocument(target);
      // A TypeScript server already running (another TS file was open) keeps its inferred project: restart it on the new tsconfig.json.
      if (typings === 'written') void vscode.commands.executeCommand('typescript.restartTsServer').then(undefined, () => undefined);
    } else {
      await vscode.window.showTextDocument(example);
    }
  });
}

/** Cancel Recording and the status bar item's menu: live lists of the recordings under way (recordingMenu.ts). */
function registerRecordingMenus(ctx: Ctx, recordings: Recordings, openRun: (runFolder: string) => Promise<void>): void {
  registerCommand(ctx, 'cnnSlicer.cancelRecording', async (arg?: unknown) => {
    const folder = folderOfArg(arg);
    const list = recordings.list();
    if (list.length === 0) return;
    if (folder) return recordings.cancel(folder);
    if (list.length === 1) return recordings.cancel(list[0].client.folder);
    const pick = await recordings.menu.show(
      () =>
        recordings.list().map((a) => ({
          label: a.model,
          description: describeProgress(a.model, a.client.lastProgress),
          run: () => a.client.cancel(),
        })),
      vscode.l10n.t('Cancel which recording?'),
    );
    await pick?.run();
  });

  registerCommand(ctx, 'cnnSlicer.recordingMenu', async () => {
    const items = (): MenuItem[] => [
      ...recordings.list().map((a) => ({
        label: `$(debug-stop) ${vscode.l10n.t('Cancel {0}', a.model)}`,
        description: describeProgress(a.model, a.client.lastProgress),
        run: () => a.client.cancel(),
      })),
      ...recordings
        .list()
        .filter((a) => a.client.folder)
        .map((a) => ({ label: `$(graph) ${vscode.l10n.t('Open {0} (epochs so far)', a.model)}`, run: () => openRun(a.client.folder!) })),
      { label: `$(output) ${vscode.l10n.t('Show Log')}`, run: () => ctx.log.show() },
    ];
    const pick = await recordings.menu.show(items, vscode.l10n.t('CNN Slicer recordings'));
    await pick?.run();
  });
}
