// The run panels: one webview panel per run folder with the paper's four views (webview/), reused
// when the run is opened again and restored after a window reload. Each panel's messages go
// through its own WebviewBridge (validated there) to the shared analysis service; this module
// wires the bridge to the panel, the editor (go to source, theme) and the file system (exports).
import { newerRunOffers, NewerRunCandidate } from './newerRunOffers';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import { contentSecurityPolicy, webviewPage } from '../../contract/page';
import type { Focus } from '../../contract/webviewProtocol';
import type { Ctx } from '../ctx';
import { recordedBeforeEdit } from '../detection/sourcePosition';
import { layerSourceFile, type LayerSource } from '../editor/layerSource';
import { panelColumn } from './panelColumn';
import { PanelEntry, PanelSet } from './panelSet';
import { panelTitle, themeOfKind } from '../runs/runDisplay';
import type { RunLabels } from '../runs/runLabels';
import { WebviewBridge } from './webviewBridge';

export const PANEL_VIEW_TYPE = 'cnnSlicer.run';

/** What a page shows of its run that changes on disk: the status and the epochs. */
const runStateOf = (record: RunRecord): string => `${record.manifest.status}|${record.manifest.epochs.join(',')}`;
/** workspaceState key: run id → run folder of the panels opened, so a reload finds them again. */
const PANEL_RUNS_KEY = 'cnnSlicer.panelRuns';

interface Entry extends PanelEntry {
  record: RunRecord;
  /** The newer run of the same model this panel offered to switch to, if it offered one. */
  offered?: string;
  /** The newest run of the model this panel knows of: the one when it opened, then each offered (offered once). */
  seenNewest?: string;
}

export class RunPanels extends PanelSet<Entry> {
  constructor(
    ctx: Ctx,
    private readonly labels: RunLabels,
    private readonly layerSource: LayerSource,
  ) {
    super(
      ctx,
      PANEL_VIEW_TYPE,
      'run panel',
      (panel, state) => this.restore(panel, state),
      (panel) => showGone(panel, undefined),
    );
    this.disposables.push(
      ctx.runs.onDidChange(() => void this.updateTitles().then(() => this.checkNewerRuns())),
      labels.onDidChange(() => void this.updateTitles()),
      // A save, or the first unsaved change, of a model file can make its open runs older than the code.
      vscode.workspace.onDidSaveTextDocument((d) => this.modelFileChanged(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.modelFileChanged(e.document)),
    );
  }

  /** Opens (or reveals) the panel of a run, optionally on a view, layer and channel. */
  async open(runFolder: string, focus?: Focus): Promise<void> {
    const existing = this.entries.get(resolve(runFolder));
    if (existing) {
      existing.panel.reveal(existing.panel.viewColumn, false);
      if (focus) this.focus(existing, focus);
      return;
    }
    const record = await this.ctx.runs.find(runFolder);
    if (!record) {
      throw new Error(
        vscode.l10n.t(
          '{0} is not a recorded run of this workspace (runs are looked for in {1}).',
          runFolder,
          this.ctx.runsFolders().join(', ') || vscode.l10n.t('the workspace folders'),
        ),
      );
    }
    const title = await this.title(record);
    // Opened while the run was looked up (two quick clicks): reveal that one.
    if (this.entries.has(resolve(record.folder))) return this.open(record.folder, focus);
    // Beside the code when there is code to be beside (the model's editor): the views are read next to the model.
    const column = panelColumn([record.manifest.model.file]);
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      title,
      { viewColumn: column, preserveFocus: false },
      {
        enableScripts: true,
        // The views keep their state with setState, so a hidden panel need not hold its memory.
        retainContextWhenHidden: false,
        localResourceRoots: panelResourceRoots(this.ctx.extensionUri),
      },
    );
    this.attach(panel, record, focus);
  }

  /** Selects a layer in every open panel of runs of `modelFile` (the editor cursor moved onto it). */
  selectLayerOfModel(modelFile: string, layer: number): void {
    const target = resolve(modelFile);
    for (const e of this.entries.values()) {
      const model = e.record.manifest.model;
      if (resolve(model.file) === target || model.sourceFiles.some((f) => resolve(f) === target)) this.focus(e, { layer });
    }
  }

  /** Closes the panel of a run (it is being deleted); true if there was one. */
  close(runFolder: string): boolean {
    const e = this.entries.get(resolve(runFolder));
    e?.panel.dispose();
    return e !== undefined;
  }

  /**
   * The newer run of its model a run's panel offers to switch to ("a newer run of this model
   * exists — Switch"), if it offered one (for the integration tests).
   */
  offeredRunOf(runFolder: string): string | undefined {
    return this.entries.get(resolve(runFolder))?.offered;
  }

  /**
   * Shows the newest run of the model of `runFolder`'s panel in that same panel (the panel's
   * "Switch"); the run folder it shows now, or undefined when there is no panel or no newer run.
   */
  async switchToNewest(runFolder: string): Promise<string | undefined> {
    const entry = this.entries.get(resolve(runFolder));
    if (!entry) return undefined;
    const newer = await this.newerRunOf(entry);
    if (!newer) return undefined;
    await this.switchRun(entry, newer);
    return newer.folder;
  }

  /** Open panels (for the integration tests: opening a run twice must reuse its panel). */
  openPanelCount(): number {
    return this.entries.size;
  }

  /** The panel of a run, if open. */
  panelOf(runFolder: string): vscode.WebviewPanel | undefined {
    return this.entries.get(resolve(runFolder))?.panel;
  }

  /** How often the views in a run's panel said they were ready (for the integration tests). */
  readyCount(runFolder: string): number {
    return this.entries.get(resolve(runFolder))?.hellos ?? 0;
  }

  /** The views, layers and channels asked of a run's panel since it opened (for the integration tests). */
  focusesOf(runFolder: string): readonly Focus[] {
    return [...(this.entries.get(resolve(runFolder))?.focuses ?? [])];
  }

  /**
   * Hands a message to a run panel's bridge as its webview posts it (for the integration tests, which
   * cannot click inside a webview): false when the run has no panel.
   */
  receiveFromWebview(runFolder: string, raw: unknown): boolean {
    const entry = this.entries.get(resolve(runFolder));
    entry?.bridge.handle(raw);
    return entry !== undefined;
  }

  /** A panel VS Code kept across a window reload: find its run again from the state the views saved. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    // The state comes from the webview: untrusted, so only a plausible run id is taken from it.
    const saved = typeof state === 'object' && state !== null ? (state as { runId?: unknown }).runId : undefined;
    const runId = typeof saved === 'string' && saved.length > 0 && saved.length <= 200 ? saved : undefined;
    const record = runId !== undefined ? await this.findRunById(runId) : undefined;
    if (!record) {
      this.ctx.log.info(`a restored panel's run ${runId ?? '(unknown)'} is gone; showing a notice`);
      showGone(panel, runId);
      return;
    }
    const title = await this.title(record);
    if (this.entries.has(resolve(record.folder))) {
      // Two panels of one run (restored twice): keep the registered one, as opening it would.
      panel.dispose();
      return;
    }
    panel.title = title;
    panel.webview.options = { enableScripts: true, localResourceRoots: panelResourceRoots(this.ctx.extensionUri) };
    this.attach(panel, record);
  }

  private attach(panel: vscode.WebviewPanel, record: RunRecord, focus?: Focus): void {
    const key = resolve(record.folder);
    const extensionUri = this.ctx.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    const webview = panel.webview;
    const entry: Entry = {
      panel,
      record,
      disposables: [],
      hellos: 0,
      focuses: focus ? [focus] : [],
      bridge: undefined as unknown as WebviewBridge,
    };
    entry.bridge = new WebviewBridge({
      runFolder: record.folder,
      runId: record.manifest.id,
      client: this.ctx.client(),
      post: (m) => {
        if (m.type === 'host/hello') entry.hellos++;
        void webview
          .postMessage(m)
          .then(undefined, (e: unknown) => this.ctx.log.warn(`could not post to the ${record.manifest.id} panel: ${String(e)}`));
      },
      theme: () => themeOfKind(vscode.window.activeColorTheme.kind),
      revealLayer: (layer) =>
        void this.revealLayer(entry, layer).catch((e: unknown) => this.fail(vscode.l10n.t('Could not open the layer’s source'), e)),
      save: (fileName, format, data) =>
        void this.saveExportOf(entry.record, fileName, format, data).catch((e: unknown) =>
          this.fail(vscode.l10n.t('Could not save {0}', fileName), e),
        ),
      log: (line) => this.ctx.log.warn(line),
      // The command finds the source run in the manifest and shows its own errors (registerCommand).
      compareWithSource: () => void vscode.commands.executeCommand('cnnSlicer.compareWithSourceRun', { runFolder: record.folder }),
      initialFocus: focus,
    });
    this.register(key, entry, () => void this.forgetPanelRun(record.manifest.id));
    // A run opened on purpose while newer ones exist stays put: only a run newer than those offers a switch.
    void this.ctx.runs.newestOfModel(record.manifest.model.file).then((newest) => {
      if (newest && entry.seenNewest === undefined) entry.seenNewest = newest.folder;
    });
    void this.rememberPanelRun(record.manifest.id, record.folder);
    webview.html = panelPage(panel, extensionUri);
  }

  private async title(record: RunRecord): Promise<string> {
    return panelTitle(record.manifest, await this.labels.labelOf(record), vscode.l10n, await this.recordedBeforeEdit(record));
  }

  private async updateTitles(): Promise<void> {
    const all = await this.ctx.runs.runs();
    for (const e of this.entries.values()) {
      // A recording run's manifest grows each epoch; keep the newest (the layers stay the same).
      const folder = resolve(e.record.folder);
      const before = e.record;
      e.record = all.find((r) => resolve(r.folder) === folder) ?? e.record;
      // An epoch landed (recorded, or a PyTorch run's measured) or the recording ended: the views move on.
      if (runStateOf(e.record) !== runStateOf(before)) e.bridge.runChanged();
      const stale = await this.recordedBeforeEdit(e.record);
      const title = panelTitle(e.record.manifest, this.labels.label(e.record, all), vscode.l10n, stale);
      if (e.panel.title !== title) e.panel.title = title;
    }
  }

  /**
   * Whether a run was recorded from an older version of its model file, by the lenses' rule: the
   * file has unsaved changes or was saved after the run was created. A file that is gone says nothing.
   */
  private async recordedBeforeEdit(record: RunRecord): Promise<boolean> {
    const file = resolve(record.manifest.model.file);
    const isDirty = vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'file' && resolve(d.uri.fsPath) === file && d.isDirty);
    let mtimeMs: number | undefined;
    try {
      mtimeMs = (await vscode.workspace.fs.stat(vscode.Uri.file(file))).mtime;
    } catch {
      mtimeMs = undefined;
    }
    return recordedBeforeEdit({ isDirty, mtimeMs }, record.manifest.createdAt);
  }

  /** The model files whose documents had unsaved changes when last seen (a title changes when that does). */
  private readonly dirtyModelFiles = new Set<string>();

  private modelFileChanged(document: vscode.TextDocument): void {
    if (document.uri.scheme !== 'file') return;
    const file = resolve(document.uri.fsPath);
    if (![...this.entries.values()].some((e) => resolve(e.record.manifest.model.file) === file)) return;
    // Typing changes nothing more once the document is dirty; a save or an undo to clean does.
    const wasDirty = this.dirtyModelFiles.has(file);
    if (document.isDirty) this.dirtyModelFiles.add(file);
    else this.dirtyModelFiles.delete(file);
    if (wasDirty && document.isDirty) return;
    void this.updateTitles();
  }

  /** The newest run of an entry's model with a recorded epoch, when it is newer than the entry's run and has no panel of its own. */
  private async newerRunOf(entry: Entry): Promise<RunRecord | undefined> {
    const newest = await this.ctx.runs.newestOfModel(entry.record.manifest.model.file);
    if (!newest || resolve(newest.folder) === resolve(entry.record.folder)) return undefined;
    if (newest.manifest.createdAt <= entry.record.manifest.createdAt) return undefined;
    if (this.entries.has(resolve(newest.folder))) return undefined;
    return newest;
  }

  /**
   * After the run index changed: each panel whose model has a newer run follows it
   * (cnnSlicer.panels.followNewestRun) or offers once to switch to it, as the lenses already show it.
   */
  private async checkNewerRuns(): Promise<void> {
    const candidates: NewerRunCandidate<Entry>[] = [];
    const records = new Map<string, RunRecord>();
    for (const entry of [...this.entries.values()]) {
      const newer = await this.newerRunOf(entry);
      if (!newer || entry.seenNewest === newer.folder) continue;
      entry.seenNewest = newer.folder;
      if (this.ctx.settings(vscode.Uri.file(entry.record.manifest.model.file)).followNewestRun) {
        await this.switchRun(entry, newer);
        continue;
      }
      entry.offered = newer.folder;
      records.set(newer.folder, newer);
      candidates.push({ panel: entry, newer: newer.folder, createdAt: entry.record.manifest.createdAt });
    }
    // One message per newer run, however many panels show older runs of its model.
    for (const offer of newerRunOffers(candidates)) await this.offerSwitch(offer.switches, records.get(offer.newer)!);
  }

  private async offerSwitch(entry: Entry, newer: RunRecord): Promise<void> {
    const label = await this.labels.labelOf(newer);
    const old = await this.labels.labelOf(entry.record);
    const switchTo = vscode.l10n.t('Switch');
    void vscode.window
      .showInformationMessage(
        vscode.l10n.t(
          'CNN Slicer: a newer run of this model exists ({0}); the panel of {1} ({2}) still shows the older run.',
          label,
          entry.record.manifest.model.name,
          old,
        ),
        switchTo,
      )
      .then(async (choice) => {
        // The panel may have closed or moved on meanwhile: switch only the panel that offered.
        if (choice === switchTo && this.entries.get(resolve(entry.record.folder)) === entry) await this.switchRun(entry, newer);
      });
  }

  /** Shows `record` in `entry`'s panel instead of its run: a fresh page and bridge, the same tab and column. */
  private async switchRun(entry: Entry, record: RunRecord): Promise<void> {
    const key = resolve(entry.record.folder);
    if (this.entries.get(key) !== entry || this.entries.has(resolve(record.folder))) return;
    this.ctx.log.info(`the panel of ${entry.record.manifest.id} switches to the newer run ${record.manifest.id}`);
    entry.bridge.dispose();
    for (const d of entry.disposables) d.dispose();
    this.entries.delete(key);
    void this.forgetPanelRun(entry.record.manifest.id);
    const last = entry.focuses.at(-1);
    entry.panel.title = await this.title(record);
    this.attach(entry.panel, record, last?.view ? { view: last.view } : undefined);
  }

  private focus(entry: Entry, focus: Focus): void {
    entry.focuses.push(focus);
    entry.bridge.focus(focus);
  }

  private async findRunById(runId: string): Promise<RunRecord | undefined> {
    const remembered = this.ctx.workspaceState.get<Record<string, string>>(PANEL_RUNS_KEY)?.[runId];
    if (typeof remembered === 'string') {
      const record = await this.ctx.runs.find(remembered);
      if (record?.manifest.id === runId) return record;
    }
    return (await this.ctx.runs.runs()).find((r) => r.manifest.id === runId);
  }

  private async rememberPanelRun(runId: string, folder: string): Promise<void> {
    const map = { ...(this.ctx.workspaceState.get<Record<string, string>>(PANEL_RUNS_KEY) ?? {}), [runId]: folder };
    await this.ctx.workspaceState.update(PANEL_RUNS_KEY, map);
  }

  private async forgetPanelRun(runId: string): Promise<void> {
    const map = { ...(this.ctx.workspaceState.get<Record<string, string>>(PANEL_RUNS_KEY) ?? {}) };
    if (!(runId in map)) return;
    delete map[runId];
    await this.ctx.workspaceState.update(PANEL_RUNS_KEY, map);
  }

  private async revealLayer(entry: Entry, layer: number): Promise<void> {
    const { manifest } = entry.record;
    // The panel usually sits beside the code: open the file in the first column then, or beside
    // a panel that is itself in the first column. An editor already showing the file is reused.
    const found = manifest.layers.find((l) => l.index === layer);
    const source = found ? layerSourceFile(manifest, found) : undefined;
    const shown = source ? vscode.window.visibleTextEditors.find((e) => resolve(e.document.uri.fsPath) === resolve(source)) : undefined;
    const viewColumn =
      shown?.viewColumn ?? (entry.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One);
    await this.layerSource.reveal(entry.record, layer, { viewColumn });
  }
}

/** The folders a panel's page may load from: the bundle and the stylesheet, nothing else. */
export function panelResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** The views' page for a panel: the built bundle and stylesheet under the page's CSP, with a fresh nonce. */
export function panelPage(panel: vscode.WebviewPanel, extensionUri: vscode.Uri): string {
  const { webview } = panel;
  return webviewPage({
    title: panel.title,
    nonce: nonce(),
    cspSource: webview.cspSource,
    script: { src: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString() },
    style: { href: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css')).toString() },
  });
}

/** A fresh nonce per page load: the CSP lets only scripts carrying it run. */
export function nonce(): string {
  return randomBytes(18).toString('base64');
}

/** The page of a restored panel whose run no longer exists: text only, no script, the same strict CSP. */
function showGone(panel: vscode.WebviewPanel, runId: string | undefined): void {
  const text = runId
    ? vscode.l10n.t(
        'The run {0} is no longer available: it was deleted or moved, or its runs folder is no longer part of this workspace. Close this tab, or open another run from the Recorded Runs view.',
        runId,
      )
    : vscode.l10n.t(
        'This panel could not be restored because it does not say which run it showed. Close this tab and open the run again from the Recorded Runs view.',
      );
  showNotice(panel, text);
}

/** A panel's page of one line of text: no script, the same strict CSP. */
export function showNotice(panel: vscode.WebviewPanel, text: string): void {
  panel.webview.options = { enableScripts: false, localResourceRoots: [] };
  const n = nonce();
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  panel.webview.html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(n, panel.webview.cspSource))}">
<title>${esc(panel.title)}</title>
<style nonce="${n}">body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 1em 2em; } p { max-width: 60em; }</style>
</head>
<body>
<p role="alert">${esc(text)}</p>
</body>
</html>
`;
}
