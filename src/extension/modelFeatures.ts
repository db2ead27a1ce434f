// What the editor shows on a model file: a "show entropy" CodeLens above every layer definition,
// the layer's channel entropies on hover, the `cnnSlicer.isModelFile` context key (the editor
// title's Analyze CNN button), and the cursor → panel link (moving onto a layer definition selects
// that layer in the open panels of its run).
//
// Layer definitions come from the static scanner (modelDetection.ts) while the file has no run,
// and from the newest run's recorded source locations once it has one, matched to the current
// text so the lenses follow edits. Everything reads the run index's metrics: no analysis service
// process is needed, so lenses and hovers are instant.
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../run/store';
import { registerCommand, type CommandContext } from './commands';
import { HOVER_COMMANDS, hoverMarkdown, meanChannelBits, formatBits, type LayerHoverData } from './hoverContent';
import { detectModel, layerSites, recordedInFile, sitesAt, type LayerSite, type ModelDetection } from './modelDetection';
import type { Services } from './services';

/** The documents the features apply to: model modules and model.json, saved on disk (runs know files by path). */
export const MODEL_SELECTOR: vscode.DocumentSelector = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact', 'json'].map((language) => ({
  language,
  scheme: 'file',
}));

/** Larger files are generated bundles or data, not model definitions: not scanned. */
const MAX_SCANNED_CHARS = 10_000_000;
/** Debounce of the context key after edits, and of the cursor → panel link. */
const CONTEXT_KEY_DELAY_MS = 300;
const CURSOR_DELAY_MS = 200;
/** Hover sections when a helper called many times defines many layers at one place. */
const MAX_HOVER_LAYERS = 4;

export const IS_MODEL_FILE_KEY = 'cnnSlicer.isModelFile';

/** A document's layer definitions and the run they belong to (if any). */
export interface ModelSites {
  detection?: ModelDetection;
  run?: RunRecord;
  sites: LayerSite[];
}

// The integration tests reach the model features through the extension's API (the `Services`
// object that `activate` returns), as they reach the panels and recordings.
export function registerModelFeatures(services: Services, commands: CommandContext): ModelFeatures {
  const features = new ModelFeatures(services);
  services.modelFeatures = features;
  commands.subscriptions.push(
    features,
    vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, features),
    vscode.languages.registerHoverProvider(MODEL_SELECTOR, features),
  );
  registerCommand(commands, 'cnnSlicer.showEntropy', (runFolder, layer, modelFile) => features.showEntropy(runFolder, layer, modelFile));
  registerCommand(commands, 'cnnSlicer.compareEpochs', (runFolder, layer) => features.compareEpochs(runFolder, layer));
  return features;
}

export class ModelFeatures implements vscode.CodeLensProvider, vscode.HoverProvider, vscode.Disposable {
  private readonly detections = new Map<string, { version: number; detection: ModelDetection | undefined }>();
  private readonly siteCache = new Map<string, { version: number; generation: number; sites: ModelSites | undefined }>();
  /** Bumped whenever the runs change, so cached sites are recomputed against the new runs. */
  private generation = 0;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly disposables: vscode.Disposable[] = [];
  private contextTimer?: ReturnType<typeof setTimeout>;
  private cursorTimer?: ReturnType<typeof setTimeout>;
  private contextValue: boolean | undefined;
  /** The last layer selected from the cursor, so moving within one definition does not repeat it. */
  private lastCursorLayer?: string;

  constructor(private readonly services: Services) {
    this.disposables.push(
      this.lensesChanged,
      services.runs.onDidChange(() => {
        this.generation++;
        this.siteCache.clear();
        this.lensesChanged.fire();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.scheduleContextKey(0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && e.document === vscode.window.activeTextEditor?.document) this.scheduleContextKey(CONTEXT_KEY_DELAY_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        this.detections.delete(document.uri.toString());
        this.siteCache.delete(document.uri.toString());
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)),
    );
    // The editor that is already open when the extension activates gets its key without waiting
    // for an event; deferred so activation itself only registers.
    this.scheduleContextKey(0);
  }

  /** The value last given to the `cnnSlicer.isModelFile` context key (undefined before the first). */
  get isModelFileContext(): boolean | undefined {
    return this.contextValue;
  }

  // --- detection ------------------------------------------------------------------------------

  /** The static detection of a document, cached per document version. */
  detect(document: vscode.TextDocument): ModelDetection | undefined {
    const key = document.uri.toString();
    const cached = this.detections.get(key);
    if (cached && cached.version === document.version) return cached.detection;
    const text = document.getText();
    const detection = text.length > MAX_SCANNED_CHARS ? undefined : detectModel(text, document.fileName);
    this.detections.set(key, { version: document.version, detection });
    return detection;
  }

  /**
   * The layer definitions of a document with the layers of its newest run. A helper module that only
   * creates layers gets sites once a run of a model that uses it exists; before that there is no
   * model to attach them to.
   */
  sitesOf(document: vscode.TextDocument): ModelSites | undefined {
    if (document.uri.scheme !== 'file') return undefined;
    const key = document.uri.toString();
    const cached = this.siteCache.get(key);
    if (cached && cached.version === document.version && cached.generation === this.generation) return cached.sites;
    const sites = this.computeSites(document);
    this.siteCache.set(key, { version: document.version, generation: this.generation, sites });
    return sites;
  }

  private computeSites(document: vscode.TextDocument): ModelSites | undefined {
    const detection = this.detect(document);
    const file = document.uri.fsPath;
    let run: RunRecord | undefined;
    try {
      run = this.services.runs.newestOfModel(file);
    } catch (e) {
      this.services.log.warn(`reading the runs of ${file} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!run && !detection?.isModel) return undefined;
    const self = pathKey(file);
    const recorded = run ? recordedInFile(run.manifest.layers, (p) => pathKey(p) === self) : [];
    const input = run?.manifest.layers.find((l) => l.index === 0 && !l.source);
    // model.json positions are left to name matching (see unchangedSince).
    const fileUnchanged = run && !/\.json$/i.test(file) ? unchangedSince(document, run) : undefined;
    const sites = layerSites(detection?.layers ?? [], recorded, { inputLayer: input?.index, fileUnchanged })
      // Recorded positions of a file that has since become shorter point nowhere.
      .filter((s) => s.line < document.lineCount);
    if (!sites.length && !detection?.isModel) return undefined;
    return { ...(detection ? { detection } : {}), ...(run ? { run } : {}), sites };
  }

  // --- CodeLens -------------------------------------------------------------------------------

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const info = this.sitesOf(document);
    if (!info) return [];
    const { run } = info;
    const lenses: vscode.CodeLens[] = [];
    const modelFile = run?.manifest.model.file ?? document.uri.fsPath;
    for (const site of info.sites) {
      const range = new vscode.Range(site.line, site.column, site.line, site.column);
      if (!run || site.layers.length === 0) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(pulse) ${vscode.l10n.t('show entropy')}`,
            tooltip: run
              ? vscode.l10n.t('This layer is not in the newest run ({0}): record the model again to measure it', run.manifest.id)
              : vscode.l10n.t('No recorded run of this model yet: click to record one with Analyze CNN'),
            command: 'cnnSlicer.showEntropy',
            arguments: [undefined, undefined, modelFile],
          }),
        );
        continue;
      }
      const metrics = run.metrics[run.metrics.length - 1];
      for (const index of site.layers) {
        const layer = run.manifest.layers[index];
        if (!layer) continue;
        const mean = meanChannelBits(metrics?.layers.find((l) => l.layer === index));
        // One definition that made several layers (a helper called twice) gets one lens per layer, named.
        const label = site.layers.length > 1 ? layer.name : vscode.l10n.t('show entropy');
        lenses.push(
          new vscode.CodeLens(range, {
            title: mean === undefined ? `$(pulse) ${label}` : `$(pulse) ${label} · ${vscode.l10n.t('{0} bits', formatBits(mean))}`,
            tooltip: vscode.l10n.t(
              'Mean channel entropy of {0} ({1}, {2} channels) at epoch {3} of run {4}; click for its channel view',
              layer.name,
              layer.className,
              layer.channels,
              metrics?.epoch ?? 0,
              run.manifest.id,
            ),
            command: 'cnnSlicer.showEntropy',
            arguments: [run.folder, index],
          }),
        );
      }
    }
    return lenses;
  }

  // --- hover ----------------------------------------------------------------------------------

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const info = this.sitesOf(document);
    const run = info?.run;
    if (!info || !run) return undefined;
    const sites = sitesAt(info.sites, position.line, position.character).filter((s) => s.layers.length > 0);
    if (!sites.length) return undefined;
    const metrics = run.metrics[run.metrics.length - 1];
    const data: LayerHoverData[] = [];
    for (const index of sites.flatMap((s) => s.layers).slice(0, MAX_HOVER_LAYERS)) {
      const layer = run.manifest.layers[index];
      if (!layer) continue;
      const layerMetrics = metrics?.layers.find((l) => l.layer === index);
      data.push({
        runFolder: run.folder,
        runId: run.manifest.id,
        status: run.manifest.status,
        epoch: metrics?.epoch ?? run.manifest.epochs[run.manifest.epochs.length - 1] ?? 0,
        plannedEpochs: run.manifest.settings.epochs,
        layer,
        ...(layerMetrics ? { metrics: layerMetrics } : {}),
        bins: run.manifest.settings.bins,
        probeSize: run.manifest.probe.size,
      });
    }
    if (!data.length) return undefined;
    const markdown = new vscode.MarkdownString(hoverMarkdown(data, vscode.l10n));
    // Trusted for exactly the two commands its own links run; layer names in it are escaped.
    markdown.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
    // The definition's whole call is the hover's range; a position only the run knows has no extent.
    const s = sites[0];
    const spans = sites.length === 1 && (s.endLine > s.line || s.endColumn > s.column);
    return new vscode.Hover(markdown, spans ? new vscode.Range(s.line, s.column, s.endLine, s.endColumn) : undefined);
  }

  // --- commands -------------------------------------------------------------------------------

  /** CodeLens and hover link: the channel view of a run's layer; without a run, record one first. */
  async showEntropy(runFolder: unknown, layer: unknown, modelFile?: unknown): Promise<void> {
    if (typeof runFolder === 'string' && isLayerIndex(layer)) {
      await this.openChannelView(runFolder, layer);
      return;
    }
    const file = typeof modelFile === 'string' ? modelFile : vscode.window.activeTextEditor?.document.uri.fsPath;
    if (!file) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a model file to see the entropies of its layers.'));
      return;
    }
    const hasRun = this.services.runs.newestOfModel(file) !== undefined;
    void vscode.window.showInformationMessage(
      hasRun
        ? vscode.l10n.t('This layer is not in the newest run of {0} yet, so it has no entropies: record the model again to measure it.', basename(file))
        : vscode.l10n.t('{0} has no recorded run yet: record one to see the entropies of its layers.', basename(file)),
    );
    // The recorder reads the file from disk: record what the user sees, as Analyze CNN does for the active editor.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && pathKey(d.uri.fsPath) === pathKey(file));
    if (open?.isDirty) await open.save();
    await vscode.commands.executeCommand('cnnSlicer.analyze', vscode.Uri.file(file));
  }

  /** Hover link: the channel view of a layer, whose small multiples show every channel over the epochs. */
  async compareEpochs(runFolder: unknown, layer: unknown): Promise<void> {
    if (typeof runFolder !== 'string' || !isLayerIndex(layer)) throw new Error(vscode.l10n.t('compare epochs needs a run folder and a layer index'));
    await this.openChannelView(runFolder, layer);
  }

  private async openChannelView(runFolder: string, layer: number): Promise<void> {
    const run = this.services.runs.find(runFolder);
    if (!run) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The run {0} no longer exists (deleted or moved). Record the model again, or pick another run in Recorded Runs.', basename(runFolder)));
      this.services.runs.refresh();
      return;
    }
    if (!this.services.panels) throw new Error(vscode.l10n.t('the run panels are not available in this window'));
    await this.services.panels.open(run.folder, { view: 'channel', layer: Math.min(layer, run.manifest.layers.length - 1) });
  }

  // --- context key and cursor -----------------------------------------------------------------

  private scheduleContextKey(delayMs: number): void {
    if (this.contextTimer) clearTimeout(this.contextTimer);
    this.contextTimer = setTimeout(() => {
      this.contextTimer = undefined;
      const document = vscode.window.activeTextEditor?.document;
      const value = !!document && vscode.languages.match(MODEL_SELECTOR, document) > 0 && (this.detect(document)?.isModel ?? false);
      if (value === this.contextValue) return;
      this.contextValue = value;
      void vscode.commands.executeCommand('setContext', IS_MODEL_FILE_KEY, value);
    }, delayMs);
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    // Not the moves made through the API: a panel's "go to source" places the cursor that way, and
    // answering it could send another layer of a shared definition back to the panel.
    if (e.kind === vscode.TextEditorSelectionChangeKind.Command) return;
    if (!this.services.panels || vscode.languages.match(MODEL_SELECTOR, e.textEditor.document) === 0) return;
    const editor = e.textEditor;
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      if (editor.document.isClosed) return;
      const info = this.sitesOf(editor.document);
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
      this.services.panels?.selectLayerOfModel(run.manifest.model.file, layer);
    }, CURSOR_DELAY_MS);
  }

  dispose(): void {
    if (this.contextTimer) clearTimeout(this.contextTimer);
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    for (const d of this.disposables) d.dispose();
    this.detections.clear();
    this.siteCache.clear();
  }
}

/**
 * Whether the document is, for certain, the text the run was recorded from: saved, and not
 * modified on disk since the run began. Undefined when that cannot be told. Not used for
 * model.json: the recorder's line for an entry can be that of a nested "class_name" (an
 * initializer's), while the entries' names are exact.
 */
function unchangedSince(document: vscode.TextDocument, run: RunRecord): boolean | undefined {
  if (document.isDirty) return false;
  const created = Date.parse(run.manifest.createdAt);
  if (!Number.isFinite(created)) return undefined;
  try {
    return statSync(document.uri.fsPath).mtimeMs <= created;
  } catch {
    return undefined;
  }
}

function isLayerIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

/** A path as the platform compares them: macOS and Windows disks are case-insensitive by default. */
function pathKey(path: string): string {
  const full = resolve(path);
  return process.platform === 'win32' || process.platform === 'darwin' ? full.toLowerCase() : full;
}
