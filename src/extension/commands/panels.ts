// The commands that open a run's panel: from the Recorded Runs view (open, open at a layer), and
// from the editor — the "show entropy" CodeLens and the hover's links, which open the channel view
// of a layer, or offer to record the model when it has no run yet.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Focus } from '../../contract/webviewProtocol';
import type { Ctx } from '../ctx';
import type { RunPanels } from '../panels/panels';
import { pathKey } from '../editor/sourceSites';
import { registerCommand } from './registerCommand';
import { isLayerIndex, layerOfArg, type RunPicker } from './runArgs';

export function registerPanelCommands(ctx: Ctx, panels: Pick<RunPanels, 'open'>, picker: RunPicker): void {
  registerCommand(ctx, 'cnnSlicer.openRun', async (arg: unknown) => {
    const record = await picker.runOf(arg, vscode.l10n.t('Open which run?'), false);
    if (!record) return;
    const layer = layerOfArg(arg);
    const focus: Focus | undefined = layer !== undefined ? { view: 'channel', layer } : undefined;
    await panels.open(record.folder, focus);
  });

  // The inline action on a layer: the run's panel on that layer's channel view.
  registerCommand(ctx, 'cnnSlicer.openRunAtLayer', async (arg: unknown) => {
    const record = await picker.runOf(arg, vscode.l10n.t('Open which run?'));
    if (!record) return;
    const layer = layerOfArg(arg);
    await panels.open(record.folder, layer !== undefined ? { view: 'channel', layer } : { view: 'channel' });
  });

  /** The channel view of a run's layer, whose small multiples show every channel over the epochs. */
  async function openChannelView(runFolder: string, layer: number): Promise<void> {
    const run = await ctx.runs.find(runFolder);
    if (!run) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          'The run {0} no longer exists (deleted or moved). Record the model again, or pick another run in Recorded Runs.',
          basename(runFolder),
        ),
      );
      ctx.runs.refresh();
      return;
    }
    await panels.open(run.folder, { view: 'channel', layer: Math.min(layer, run.manifest.layers.length - 1) });
  }

  // CodeLens and hover link: the channel view of a run's layer; without a run, record one first.
  registerCommand(ctx, 'cnnSlicer.showEntropy', async (runFolder: unknown, layer: unknown, modelFile?: unknown) => {
    if (typeof runFolder === 'string' && isLayerIndex(layer)) {
      await openChannelView(runFolder, layer);
      return;
    }
    const file = typeof modelFile === 'string' ? modelFile : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a model file to see the entropies of its layers.'));
      return;
    }
    const newest = await ctx.runs.newestOfModel(file);
    const hasRun = newest !== undefined;
    void vscode.window.showInformationMessage(
      hasRun
        ? vscode.l10n.t(
            'This layer is not in the newest run of {0} yet, so it has no entropies: record the model again to measure it.',
            basename(file),
          )
        : vscode.l10n.t('{0} has no recorded run yet: record one to see the entropies of its layers.', basename(file)),
    );
    // The recorder reads the file from disk: record what the user sees, as Analyze CNN does for the active editor.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && pathKey(d.uri.fsPath) === pathKey(file));
    if (open?.isDirty) await open.save();
    // A PyTorch run names the script that trained it: Record Again runs that, not the model file (runs.ts).
    if (newest?.manifest.trainingScript) {
      await vscode.commands.executeCommand('cnnSlicer.rerun', newest.folder);
      return;
    }
    // Else Analyze CNN; on a file that only defines a PyTorch model it offers the scripts that import it (pythonAnalyze.ts).
    await vscode.commands.executeCommand('cnnSlicer.analyze', vscode.Uri.file(file));
  });

  // Hover link: the channel view of a layer, whose small multiples compare its channels over the epochs.
  registerCommand(ctx, 'cnnSlicer.compareEpochs', async (runFolder: unknown, layer: unknown) => {
    if (typeof runFolder !== 'string' || !isLayerIndex(layer))
      throw new Error(vscode.l10n.t('compare epochs needs a run folder and a layer index'));
    await openChannelView(runFolder, layer);
  });
}
