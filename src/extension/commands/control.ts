// "Run Control Experiment…" on a recorded run (the Recorded Runs view's context menu, or the palette
// with a run picker): the user picks a control (border:N, mask-centre:F, shuffle-pixels,
// shuffle-labels, with N or F asked and checked), then the run's model file is recorded again with
// the run's settings on the transformed dataset (Analyze CNN without questions, with the recorder's
// `control` option naming the source run), so Workspace Trust applies exactly as it does there.
// When the control run is recorded, "Compare with Source Run" opens the comparison of the two.
import * as vscode from 'vscode';
import type { RecordingOutcome } from '../../recorder/client';
import type { AnalyzeArgs } from '../recording/analyzeFlow';
import { CONTROL_KINDS, controlKindItem, controlSpec, controlValueProblem, needsValue, type ControlKind } from '../recording/controlSpec';
import type { Ctx } from '../ctx';
import { rerunSettings } from '../runs/runDisplay';
import { requireTrust } from './recording';
import { registerCommand } from './registerCommand';
import { exists } from './runs';
import type { RunPicker } from './runArgs';

/** One control in the quick pick. */
export interface ControlKindItem extends vscode.QuickPickItem {
  control: ControlKind;
}

/** The dialogs of the control command, replaceable by the integration tests (a quick pick cannot be answered there). */
export interface ControlUi {
  pickKind(items: ControlKindItem[], placeHolder: string): Thenable<ControlKindItem | undefined>;
  /** Asks N or F; `validate` returns the problem with a value, undefined when it is fine. */
  askValue(prompt: string, value: string, validate: (text: string) => string | undefined): Thenable<string | undefined>;
  /** Says the control run is recorded, offering `action`; resolves to the action when chosen. */
  offer(message: string, action: string): Thenable<string | undefined>;
}

/** What the control command offers the integration tests. */
export interface ControlCommands {
  ui: ControlUi;
}

/** What the command returns (for tests): the control run's recording outcome, when one was started. */
export interface ControlResult {
  spec: string;
  sourceRun: string;
  outcome: RecordingOutcome | undefined;
}

export interface ControlCommandSources {
  picker: RunPicker;
  /** Opens the comparison of two runs (ComparePanels.open). */
  compare(folders: string[]): Promise<unknown>;
}

export function registerControlCommands(ctx: Ctx, o: ControlCommandSources): ControlCommands {
  const commands: ControlCommands = {
    ui: {
      pickKind: (items, placeHolder) => vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true }),
      askValue: (prompt, value, validate) => vscode.window.showInputBox({ prompt, value, validateInput: validate }),
      offer: (message, action) => vscode.window.showInformationMessage(message, action),
    },
  };
  registerCommand(ctx, 'cnnSlicer.runControlExperiment', async (arg: unknown): Promise<ControlResult | undefined> => {
    // Asked first, as Analyze CNN does: nothing else is asked in an untrusted workspace.
    if (!(await requireTrust())) return undefined;
    const record = await o.picker.runOf(arg, vscode.l10n.t('Run a control experiment on which run?'), false);
    if (!record) return undefined;
    const modelFile = record.manifest.model.file;
    if (!(await exists(modelFile)))
      throw new Error(
        vscode.l10n.t('the model file {0} no longer exists; open the model where it is now and run “Analyze CNN”.', modelFile),
      );
    const picked = await commands.ui.pickKind(
      CONTROL_KINDS.map((kind) => ({ ...controlKindItem(kind, vscode.l10n), control: kind })),
      vscode.l10n.t('Which control? The model is trained again with the same settings on images with this content removed'),
    );
    if (!picked) return undefined;
    let value: string | undefined;
    if (needsValue(picked.control)) {
      value = await commands.ui.askValue(
        picked.control === 'border'
          ? vscode.l10n.t('N: the width in pixels of the border kept (the rest of each image is zeroed)')
          : vscode.l10n.t('F: the central fraction of each image zeroed (0 to 1)'),
        picked.control === 'border' ? '4' : '0.5',
        (text) => controlValueProblem(picked.control, text, vscode.l10n),
      );
      if (value === undefined) return undefined;
    }
    const spec = controlSpec(picked.control, value, vscode.l10n);
    if (!spec) throw new Error(controlValueProblem(picked.control, value ?? '', vscode.l10n) ?? vscode.l10n.t('no control was given'));
    const args: AnalyzeArgs = {
      modelFile,
      settings: rerunSettings(record.manifest),
      noPrompt: true,
      control: { spec, sourceRun: record.folder },
      settingsFrom: `the control's source run ${record.manifest.id}`,
    };
    ctx.log.info(`control experiment ${spec} of ${record.folder}`);
    const outcome = await vscode.commands.executeCommand<RecordingOutcome | undefined>('cnnSlicer.analyze', args);
    if (outcome?.kind === 'done' && outcome.status === 'completed') {
      const compare = vscode.l10n.t('Compare with Source Run');
      // Not awaited: the command settles with the recording; the button opens the comparison later.
      void commands.ui
        .offer(vscode.l10n.t('CNN Slicer: the control experiment {0} of run {1} is recorded.', spec, record.manifest.id), compare)
        .then((c) => (c === compare ? o.compare([record.folder, outcome.folder]) : undefined))
        .then(undefined, (e: unknown) => ctx.log.error(`comparing with the source run failed: ${String(e)}`));
    }
    return { spec, sourceRun: record.folder, outcome };
  });
  return commands;
}
