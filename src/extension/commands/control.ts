// "Run Control Experiment…" on a recorded run (the Recorded Runs view's context menu, or the palette
// with a run picker): the user picks a control (border:N, mask-centre:F, shuffle-pixels,
// shuffle-labels, with N or F asked and checked), then the run's model file is recorded again with
// the run's settings on the transformed dataset (Analyze CNN without questions, with the recorder's
// `control` option naming the source run), so Workspace Trust applies exactly as it does there.
// When the control run is recorded, "Compare with Source Run" opens the comparison of the two.
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { borderContent, proposeControl, type ControlProposal } from '../../analysis/borderContent';
import type { RecordingOutcome } from '../../recorder/client';
import type { RunRecord } from '../../run/store';
import { isPythonRun, probeImageShape, type RunManifest } from '../../contract/runFormat';
import { pytorchControlLines } from '../../contract/controlFormat';
import { decodeFloat32 } from '../../contract/queries';
import type { AnalyzeArgs } from '../recording/analyzeFlow';
import {
  controlKindItem,
  controlSpec,
  controlValueProblem,
  needsValue,
  offeredKinds,
  proposalReason,
  type ControlKind,
} from '../recording/controlSpec';
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
  /** For a PyTorch run: the lines of the training script that record the control (nothing is recorded here). */
  pythonLines?: string[];
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
    // A PyTorch run's model is trained by the user's script: its control is recorded there, not here.
    const pytorch = isPythonRun(record.manifest);
    if (!pytorch && !(await exists(modelFile)))
      throw new Error(
        vscode.l10n.t('the model file {0} no longer exists; open the model where it is now and run “Analyze CNN”.', modelFile),
      );
    const proposal = await proposeFor(ctx, record.folder, record.manifest);
    const picked = await commands.ui.pickKind(
      offeredKinds(proposal?.kind).map((kind) => {
        const item = controlKindItem(kind, vscode.l10n);
        if (kind !== proposal?.kind) return { ...item, control: kind };
        return {
          ...item,
          description: vscode.l10n.t('proposed: {0}', proposal.spec),
          detail: `${item.detail} ${proposalReason(proposal, vscode.l10n)}`,
          control: kind,
        };
      }),
      vscode.l10n.t('Which control? The model is trained again with the same settings on images with this content removed'),
    );
    if (!picked) return undefined;
    let value: string | undefined;
    if (needsValue(picked.control)) {
      value = await commands.ui.askValue(
        picked.control === 'border'
          ? vscode.l10n.t('N: the width in pixels of the border kept (the rest of each image is zeroed)')
          : vscode.l10n.t('F: the central fraction of each image zeroed (0 to 1)'),
        picked.control === 'border' ? String(proposal?.kind === 'border' ? proposal.width : 1) : '0.5',
        (text) => controlValueProblem(picked.control, text, vscode.l10n),
      );
      if (value === undefined) return undefined;
    }
    const spec = controlSpec(picked.control, value, vscode.l10n);
    if (!spec) throw new Error(controlValueProblem(picked.control, value ?? '', vscode.l10n) ?? vscode.l10n.t('no control was given'));
    if (pytorch) {
      const lines = pytorchControlLines(spec, record.folder, record.manifest.model.name);
      const copy = vscode.l10n.t('Copy the Lines');
      void commands.ui
        .offer(
          vscode.l10n.t(
            'CNN Slicer: run {0} was trained by a PyTorch script, which records its control experiment itself: record {1} there with `{2}` and train on `rec.control.dataset(train_set)`. The control run appears here as it trains.',
            record.manifest.id,
            spec,
            lines[0],
          ),
          copy,
        )
        .then((c) => (c === copy ? vscode.env.clipboard.writeText(lines.join('\n')) : undefined))
        .then(undefined, (e: unknown) => ctx.log.error(`copying the control lines failed: ${String(e)}`));
      return { spec, sourceRun: record.folder, outcome: undefined, pythonLines: lines };
    }
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
  // From the tree's context menu on a control run, the control finding and the run panel's header.
  registerCommand(ctx, 'cnnSlicer.compareWithSourceRun', async (arg: unknown): Promise<string[] | undefined> => {
    const record = await o.picker.runOf(arg, vscode.l10n.t('Compare which control run with its source run?'));
    if (!record) return undefined;
    const source = await sourceRunOf(ctx, record);
    const folders = [source.folder, record.folder];
    await o.compare(folders);
    return folders;
  });
  return commands;
}

/**
 * The source run of a control run: the folder its manifest names (relative to the control run),
 * else the run of the index with the source run's id (the folders were moved apart).
 * @throws Error when the run is not a control experiment, or its source run is not in the workspace.
 */
async function sourceRunOf(ctx: Ctx, record: RunRecord): Promise<RunRecord> {
  const control = record.manifest.control;
  if (!control)
    throw new Error(vscode.l10n.t('run {0} is not a control experiment: it has no source run to compare with.', record.manifest.id));
  const found =
    (await ctx.runs.find(resolve(record.folder, control.sourceRun.folder))) ??
    (await ctx.runs.runs()).find((r) => r.manifest.id === control.sourceRun.id);
  if (!found)
    throw new Error(
      vscode.l10n.t(
        'the source run {0} of control run {1} is not among the recorded runs of this workspace (deleted or moved?).',
        control.sourceRun.id,
        record.manifest.id,
      ),
    );
  return found;
}

/** The most probe values the proposal reads (4 M floats, 16 MB, about 21 MB of base64 from the service): a larger probe is measured on its first inputs. */
const PROPOSAL_MAX_VALUES = 4_000_000;

/**
 * The default control of a run (src/analysis/borderContent.ts `proposeControl`), measured on its
 * probe inputs as the analysis service reads them (the extension host loads no dataset); undefined
 * when they cannot be read or are not images (the log says why).
 */
async function proposeFor(ctx: Ctx, folder: string, manifest: RunManifest): Promise<ControlProposal | undefined> {
  const image = probeImageShape(manifest);
  if (!image) return undefined;
  const { height, width, channels } = image;
  const fit = Math.max(1, Math.floor(PROPOSAL_MAX_VALUES / (height * width * channels)));
  const count = Math.min(manifest.probe.size, fit);
  try {
    const x =
      count === manifest.probe.size
        ? { kind: 'all' as const }
        : { kind: 'indices' as const, indices: Array.from({ length: count }, (_, i) => i) };
    const { answer } = await ctx.client().query(folder, { kind: 'inputs', x });
    return proposeControl(borderContent(decodeFloat32(answer.images), height, width, channels));
  } catch (e) {
    ctx.log.warn(`no control proposed for ${folder}: its probe inputs could not be read (${e instanceof Error ? e.message : String(e)})`);
    return undefined;
  }
}
