// "Go to Layer Definition" (cnnSlicer.goToLayer, a click on a layer in the Recorded Runs view):
// the layer's definition in the current text, where its CodeLens is (LayerSource).
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { LayerSource } from '../editor/layerSource';
import { registerCommand } from './registerCommand';
import { isLayerIndex, layerOfArg, type RunPicker } from './runArgs';

export function registerSourceCommands(ctx: Ctx, layerSource: LayerSource, picker: RunPicker): void {
  registerCommand(ctx, 'cnnSlicer.goToLayer', async (arg: unknown, index?: unknown) => {
    const record = await picker.runOf(arg, vscode.l10n.t('Which run?'));
    if (!record) return undefined;
    const layer = typeof index === 'number' ? index : layerOfArg(arg);
    if (!isLayerIndex(layer)) throw new Error(vscode.l10n.t('No layer was given (expected a layer index).'));
    return layerSource.reveal(record, layer);
  });
}
