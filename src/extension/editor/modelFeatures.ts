// What the editor shows on a model file: a "show entropy" CodeLens above every layer definition,
// the layer's channel entropies on hover, the `cnnSlicer.isModelFile` context key (the editor
// title's Analyze CNN button), and the cursor → panel link (moving onto a layer definition selects
// that layer in the open panels of its run). The commands behind the lenses and the hover links
// are in commands/panels.ts.
//
// Layer definitions come from SourceSites: the static scan (detection/) while the file has no
// run, and the newest run's layers matched to the current text once it has one, so the lenses
// follow edits. Everything reads the run index's metrics: no analysis service process is needed,
// so lenses and hovers are instant.
import * as vscode from 'vscode';
import { sitesAt } from '../detection/layerMatching';
import {
  EPOCH_STRIP_COMMAND,
  HOVER_COMMANDS,
  hoverMarkdown,
  repeatedCallsNotice,
  meanChannelBits,
  notRecordedMarkdown,
  notUsedMarkdown,
  ambiguousMarkdown,
  RECORD_AGAIN_COMMAND,
  staleNotice,
  type LayerHoverData,
} from './hoverContent';
import { pathKey, type SourceSites } from './sourceSites';
import { NOTEBOOK_CELL_SCHEME } from './notebookDocuments';
import { definitionLens, SHOW_LAYERS_COMMAND, unusedClasses, type DefinitionInstance } from './definitionLens';
import { layerSummary } from './findingsText';
import type { RunFindings } from './runFindings';
import type { RunRecord } from '../../run/store';
import { layerPerClassAsync } from '../../run/perClass';
import { MAX_FOCUS_LAYERS } from '../../contract/webviewProtocol';

/** Debounce of the context key after edits, and of the cursor → panel link. */
const CONTEXT_KEY_DELAY_MS = 300;
const CURSOR_DELAY_MS = 200;

export const IS_MODEL_FILE_KEY = 'cnnSlicer.isModelFile';

/**
 * The documents the features apply to: model modules and model.json, saved on disk (runs know files
 * by path), and the Python cells of notebooks (a run recorded in a notebook knows it by its path).
 */
export const MODEL_SELECTOR: vscode.DocumentSelector = [
  ...['typescript', 'javascript', 'typescriptreact', 'javascriptreact', 'json', 'python'].map((language) => ({ language, scheme: 'file' })),
  { language: 'python', scheme: NOTEBOOK_CELL_SCHEME },
];

/**
 * Selects a layer in every open panel of runs of `modelFile` (RunPanels.selectLayerOfModel), and
 * its position in the comparisons showing such runs, matched there by position and `layerClass`.
 */
export type SelectLayerOfModel = (modelFile: string, layer: number, layerClass: string | undefined) => void;

/**
 * Opens the Layer view of a run on the pair of `first` and `second` (consecutive layers) with its
 * epoch strip (RunPanels.open with a `layer` view focus).
 */
export type OpenEpochStrip = (runFolder: string, first: number, second: number) => Promise<void>;

/** Opens the Layer view of a run on several layers side by side (RunPanels.open with a `layers` focus). */
export type OpenLayers = (runFolder: string, layers: number[]) => Promise<void>;

/** Hover Markdown trusted for exactly the commands of its own links (the user's names in it are escaped), with theme icons. */
function trustedHover(text: string): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(text, true);
  markdown.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
  return markdown;
}

export class ModelFeatures implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  readonly onDidChangeCodeLenses: vscode.Event<void>;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private contextTimer?: ReturnType<typeof setTimeout>;
  private cursorTimer?: ReturnType<typeof setTimeout>;
  private contextValue: boolean | undefined;
  /** The last layer selected from the cursor, so moving within one definition does not repeat it. */
  private lastCursorLayer?: string;

  constructor(
    private readonly sites: SourceSites,
    private readonly selectLayerOfModel: SelectLayerOfModel,
    private readonly openEpochStrip?: OpenEpochStrip,
    /** The runs' findings, cached per run: a lens appends its layer's summary once they are here. */
    private readonly findings?: RunFindings,
    /** What a run is called in the tree and the panels ("#3", or the user's name): lenses and hovers say the same. */
    private readonly runName: (run: RunRecord) => Promise<string> = async (run) => run.manifest.id,
    /** The lens of a definition standing for several layers opens the Layer view on all of them. */
    private readonly openLayers?: OpenLayers,
  ) {
    // The lenses follow the runs (a new epoch changes their entropies, a new run their layers) and
    // the findings, which arrive after the lenses are first drawn.
    this.onDidChangeCodeLenses = this.lensesChanged.event;
    this.disposables.push(
      this.lensesChanged,
      sites.onDidChange(() => {
        this.lensesChanged.fire();
        // The Python parser loads after a `.py` file first opens: its key is known only then.
        this.scheduleContextKey(0);
      }),
      ...(findings ? [findings.onDidChange(() => this.lensesChanged.fire())] : []),
      vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, this),
      vscode.languages.registerHoverProvider(MODEL_SELECTOR, this),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleContextKey(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && e.document === vscode.window.activeTextEditor?.document)
          this.scheduleContextKey(CONTEXT_KEY_DELAY_MS);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)),
      // The lens and hover links of a run recorded before the last edit, and of a layer added since.
      vscode.commands.registerCommand(RECORD_AGAIN_COMMAND, (runFolder: unknown) => this.recordAgain(runFolder)),
      vscode.commands.registerCommand(EPOCH_STRIP_COMMAND, (runFolder: unknown, layer: unknown) => this.epochStrip(runFolder, layer)),
      vscode.commands.registerCommand(SHOW_LAYERS_COMMAND, (runFolder: unknown, layers: unknown) => this.showLayers(runFolder, layers)),
    );
    // The editor that is already open when the extension activates gets its key without waiting
    // for an event; deferred so activation itself only registers.
    this.scheduleContextKey(0);
  }

  /** The value last given to the `cnnSlicer.isModelFile` context key (undefined before the first). */
  get isModelFileContext(): boolean | undefined {
    return this.contextValue;
  }

  // --- CodeLens -------------------------------------------------------------------------------

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const info = await this.sites.sitesOf(document);
    if (!info) return [];
    const { run } = info;
    const runName = run ? await this.runName(run) : '';
    const lenses: vscode.CodeLens[] = [];
    const modelFile = run?.manifest.model.file ?? document.uri.fsPath;
    if (run && info.stale && info.sites.length) {
      // Once, above the first layer: every number below is of the older text.
      const first = info.sites[0];
      lenses.push(
        new vscode.CodeLens(new vscode.Range(first.line, first.column, first.line, first.column), {
          title: `$(warning) ${vscode.l10n.t('recorded before your last edit — Record Again')}`,
          tooltip: vscode.l10n.t(
            'The entropies shown are of run {0}, recorded from an older version of this file: click to record the model again with the same settings',
            runName,
          ),
          command: RECORD_AGAIN_COMMAND,
          arguments: [run.folder],
        }),
      );
    }
    const unused = run ? unusedClasses(info.sites) : new Set<string>();
    for (const site of info.sites) {
      const range = new vscode.Range(site.line, site.column, site.line, site.column);
      if (run && site.ambiguous) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(warning) ${vscode.l10n.t('stale')}`,
            tooltip: vscode.l10n.t('Another definition could also be this layer of run {0}: click to record the model again', runName),
            command: RECORD_AGAIN_COMMAND,
            arguments: [run.folder],
          }),
        );
        continue;
      }
      const owner = site.detected?.python?.owner;
      if (run && site.layers.length === 0 && owner !== undefined && unused.has(owner)) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(circle-slash) ${vscode.l10n.t("not used by this run's model")}`,
            tooltip: vscode.l10n.t('No layer of run {0} came from class {1}: the model it recorded does not build one', runName, owner),
            command: '',
          }),
        );
        continue;
      }
      if (run && site.layers.length === 0) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(circle-outline) ${vscode.l10n.t('not recorded yet')}`,
            tooltip: vscode.l10n.t('This layer is not in the newest run ({0}): click to record the model again and measure it', runName),
            command: 'cnnSlicer.showEntropy',
            // showEntropy without a run layer explains, saves the file and records it again.
            arguments: [undefined, undefined, modelFile],
          }),
        );
        continue;
      }
      if (!run) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(pulse) ${vscode.l10n.t('show entropy')}`,
            tooltip: vscode.l10n.t('No recorded run of this model yet: click to record one with Analyze CNN'),
            command: 'cnnSlicer.showEntropy',
            arguments: [undefined, undefined, modelFile],
          }),
        );
        continue;
      }
      const metrics = run.metrics[run.metrics.length - 1];
      // Asked once per run (cached), never per lens; absent until the service answered.
      const findings = this.findings?.cached(run)?.findings ?? [];
      const instances: DefinitionInstance[] = [];
      for (const index of site.layers) {
        const layer = run.manifest.layers[index];
        if (layer) instances.push({ layer, mean: meanChannelBits(metrics?.layers.find((l) => l.layer === index)) });
      }
      if (!instances.length) continue;
      // One lens per definition: a line that stands for several layers (a block's conv1 in each
      // block) gives their count and range, and opens the Layer view on all of them.
      const text = definitionLens(instances, { epoch: metrics?.epoch ?? 0, runName, bins: run.manifest.settings.bins }, vscode.l10n);
      const summaries = instances.map((i) => layerSummary(findings, i.layer.index, vscode.l10n)).filter((x): x is string => !!x);
      const summary = instances.length === 1 ? summaries[0] : undefined;
      const title = `$(pulse) ${text.title}`;
      const several = instances.length > 1;
      lenses.push(
        new vscode.CodeLens(range, {
          title: summary ? `${title} · ${summary}` : title,
          tooltip: summary ? `${text.tooltip}\n${vscode.l10n.t('Findings (see the Problems panel): {0}', summary)}` : text.tooltip,
          command: several ? SHOW_LAYERS_COMMAND : 'cnnSlicer.showEntropy',
          arguments: several ? [run.folder, instances.map((i) => i.layer.index)] : [run.folder, instances[0].layer.index],
        }),
      );
    }
    return lenses;
  }

  // --- hover ----------------------------------------------------------------------------------

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const info = await this.sites.sitesOf(document);
    const run = info?.run;
    if (!info || !run) return undefined;
    const here = sitesAt(info.sites, position.line, position.character);
    if (!here.length) return undefined;
    const runName = await this.runName(run);
    const sites = here.filter((s) => s.layers.length > 0);
    if (!sites.length) {
      // A definition the run has no layer for: added or changed since the run was recorded.
      const added = here.find((s) => s.detected);
      if (!added?.detected) return undefined;
      const kind = added.detected.factory ?? added.detected.className ?? vscode.l10n.t('layer');
      const owner = added.detected.python?.owner;
      let text =
        !added.ambiguous && owner !== undefined && unusedClasses(info.sites).has(owner)
          ? notUsedMarkdown(kind, owner, runName, vscode.l10n)
          : (added.ambiguous ? ambiguousMarkdown : notRecordedMarkdown)(kind, run.folder, runName, vscode.l10n);
      if (info.stale) text = `${staleNotice(run.folder, runName, vscode.l10n)}\n\n${text}`;
      return new vscode.Hover(trustedHover(text), new vscode.Range(added.line, added.column, added.endLine, added.endColumn));
    }
    const metrics = run.metrics[run.metrics.length - 1];
    const data: LayerHoverData[] = [];
    // Every layer of the definition: the hover's table has a row each and VS Code scrolls a tall hover.
    for (const index of sites.flatMap((s) => s.layers)) {
      const layer = run.manifest.layers[index];
      if (!layer) continue;
      const layerMetrics = metrics?.layers.find((l) => l.layer === index);
      // The class spread's per-class entropies: in the line, or one block of the epoch's per-class
      // file; a file that cannot be read leaves the column without numbers.
      const perClass =
        metrics && layerMetrics
          ? await layerPerClassAsync(
              run.folder,
              metrics,
              run.manifest.dataset.classNames.length,
              metrics.layers.indexOf(layerMetrics),
            ).catch(() => undefined)
          : undefined;
      data.push({
        runFolder: run.folder,
        runName,
        status: run.manifest.status,
        epoch: metrics?.epoch ?? run.manifest.epochs[run.manifest.epochs.length - 1] ?? 0,
        plannedEpochs: run.manifest.settings.epochs,
        layer,
        ...(layerMetrics ? { metrics: layerMetrics } : {}),
        ...(perClass ? { perClass } : {}),
        bins: run.manifest.settings.bins,
        probeSize: run.manifest.probe.size,
        stale: info.stale,
        ...(index > 0 && run.manifest.layers[index - 1] ? { before: run.manifest.layers[index - 1] } : {}),
      });
    }
    if (!data.length) return undefined;
    const modules = sites.filter((s) => s.detected?.python?.kind === 'module').flatMap((s) => s.layers);
    const repeated = repeatedCallsNotice(
      modules.map((i) => run.manifest.layers[i]?.name).filter((n): n is string => n !== undefined),
      vscode.l10n,
    );
    const body = hoverMarkdown(data, vscode.l10n);
    const markdown = trustedHover(repeated ? `${repeated}\n\n---\n\n${body}` : body);
    // The definition's whole call is the hover's range; a position only the run knows has no extent.
    const s = sites[0];
    const spans = sites.length === 1 && (s.endLine > s.line || s.endColumn > s.column);
    return new vscode.Hover(markdown, spans ? new vscode.Range(s.line, s.column, s.endLine, s.endColumn) : undefined);
  }

  // --- context key and cursor -----------------------------------------------------------------

  private scheduleContextKey(delayMs: number): void {
    if (this.contextTimer) clearTimeout(this.contextTimer);
    this.contextTimer = setTimeout(() => {
      this.contextTimer = undefined;
      const document = vscode.window.activeTextEditor?.document;
      const value = !!document && vscode.languages.match(MODEL_SELECTOR, document) > 0 && (this.sites.detect(document)?.isModel ?? false);
      if (value === this.contextValue) return;
      this.contextValue = value;
      void vscode.commands.executeCommand('setContext', IS_MODEL_FILE_KEY, value);
    }, delayMs);
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    // Not the moves made through the API: a panel's "go to source" places the cursor that way, and
    // answering it could send another layer of a shared definition back to the panel.
    if (e.kind === vscode.TextEditorSelectionChangeKind.Command) return;
    if (vscode.languages.match(MODEL_SELECTOR, e.textEditor.document) === 0) return;
    const editor = e.textEditor;
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      // Following the cursor is a convenience: if the sites cannot be read, the panel simply stays where it is.
      this.followCursor(editor).catch(() => undefined);
    }, CURSOR_DELAY_MS);
  }

  private async followCursor(editor: vscode.TextEditor): Promise<void> {
    {
      if (editor.document.isClosed) return;
      const info = await this.sites.sitesOf(editor.document);
      if (editor.document.isClosed) return;
      const run = info?.run;
      if (!info || !run) return;
      const at = editor.selection.active;
      const site = sitesAt(info.sites, at.line, at.character).find((s) => s.layers.length > 0);
      if (!site) {
        this.lastCursorLayer = undefined;
        return;
      }
      const layer = site.layers[0];
      const key = `${run.folder}\n${layer}`;
      if (key === this.lastCursorLayer) return;
      this.lastCursorLayer = key;
      this.selectLayerOfModel(run.manifest.model.file, layer, run.manifest.layers[layer]?.className);
    }
  }

  // --- commands of the lens and hover links -----------------------------------------------------

  /** Records the run's model again with its settings, saving the file first: the recorder reads it from disk. */
  private async recordAgain(runFolder: unknown): Promise<unknown> {
    if (typeof runFolder !== 'string') throw new Error(vscode.l10n.t('record again needs the folder of a run'));
    const run = await this.sites.runOf(runFolder);
    if (run) {
      const model = pathKey(run.manifest.model.file);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && pathKey(d.uri.fsPath) === model);
      if (open?.isDirty) await open.save();
    }
    return vscode.commands.executeCommand('cnnSlicer.rerun', runFolder);
  }

  /** The Layer view of a run on the pair of a layer and the one before it, for its epoch strip. */
  private async epochStrip(runFolder: unknown, layer: unknown): Promise<void> {
    if (typeof runFolder !== 'string' || typeof layer !== 'number' || !Number.isInteger(layer) || layer < 1)
      throw new Error(vscode.l10n.t('the epoch strip needs the folder of a run and a layer index'));
    if (!this.openEpochStrip) throw new Error(vscode.l10n.t('the epoch strip cannot be opened from the editor in this window'));
    // The Layer view pairs two layers after the input: this one and the one before it, or the next for the first.
    await this.openEpochStrip(runFolder, Math.max(1, layer - 1), layer >= 2 ? layer : layer + 1);
  }

  /** The Layer view of a run on the layers of one definition, in a small-multiples row. */
  private async showLayers(runFolder: unknown, layers: unknown): Promise<void> {
    if (
      typeof runFolder !== 'string' ||
      !Array.isArray(layers) ||
      !layers.length ||
      !layers.every((l): l is number => typeof l === 'number' && Number.isInteger(l) && l >= 0)
    )
      throw new Error(vscode.l10n.t('showing several layers needs the folder of a run and layer indices'));
    if (!this.openLayers) throw new Error(vscode.l10n.t('the Layer view cannot be opened from the editor in this window'));
    await this.openLayers(runFolder, layers.slice(0, MAX_FOCUS_LAYERS));
  }

  dispose(): void {
    if (this.contextTimer) clearTimeout(this.contextTimer);
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    for (const d of this.disposables) d.dispose();
  }
}
