// The comparison panels ("Compare Runs", "Compare with Previous Run"): one webview panel per set of
// runs, showing the views' CompareView (webview/views/compare/CompareView.tsx) fed by the analysis service
// run by run. Each panel's WebviewBridge announces its runs' ids in the hello and sends each query
// to the run it names by index, so the webview never names a path; every run was found by the run
// index, which takes only direct children of the runs folders. Panels are revealed when the same
// set is compared again and restored after a window reload from the run ids the views saved, as the
// run panels (panels.ts) are.
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import type { Query } from '../../contract/queries';
import type { Focus } from '../../contract/webviewProtocol';
import { MAX_COMPARED_RUNS } from '../../contract/webviewProtocol';
import { compareKey, compareOrder, comparedRunIdsOfState, comparePanelTitle, isRunOfModel } from './compareRuns';
import type { Ctx } from '../ctx';
import { panelColumn } from './panelColumn';
import { panelPage, panelResourceRoots, showNotice } from './panels';
import { PanelEntry, PanelSet } from './panelSet';
import { themeOfKind } from '../runs/runDisplay';
import type { RunLabels } from '../runs/runLabels';
import { WebviewBridge } from './webviewBridge';

export const COMPARE_VIEW_TYPE = 'cnnSlicer.compare';

interface Entry extends PanelEntry {
  /** The runs, oldest first: run A, B, … in the views. */
  records: RunRecord[];
  /** Answers sent per run index, and the query kinds answered (what the integration tests check). */
  answered: Map<number, Set<Query['kind']>>;
}

export class ComparePanels extends PanelSet<Entry> {
  constructor(
    ctx: Ctx,
    private readonly labels: RunLabels,
  ) {
    super(
      ctx,
      COMPARE_VIEW_TYPE,
      'comparison panel',
      (panel, state) => this.restore(panel, state),
      (panel) => showNotice(panel, restoreFailedText()),
    );
    this.disposables.push(
      ctx.runs.onDidChange(() => void this.updateTitles()),
      labels.onDidChange(() => void this.updateTitles()),
    );
  }

  /**
   * Opens (or reveals) the comparison of the runs in `runFolders` (two to MAX_COMPARED_RUNS, any
   * order). A folder that is not a recorded run of this workspace is refused.
   */
  async open(runFolders: readonly string[]): Promise<void> {
    const existing = this.entries.get(compareKey(runFolders));
    if (existing) {
      existing.panel.reveal(existing.panel.viewColumn, false);
      return;
    }
    const records: RunRecord[] = [];
    for (const folder of runFolders) {
      const record = await this.ctx.runs.find(folder);
      if (!record) {
        throw new Error(
          vscode.l10n.t(
            '{0} is not a recorded run of this workspace (runs are looked for in {1}). Refresh the Recorded Runs view and pick the runs again.',
            folder,
            this.ctx.runsFolders().join(', ') || vscode.l10n.t('the workspace folders'),
          ),
        );
      }
      if (!records.some((r) => resolve(r.folder) === resolve(record.folder))) records.push(record);
    }
    if (records.length < 2 || records.length > MAX_COMPARED_RUNS)
      throw new Error(vscode.l10n.t('A comparison shows 2 to {0} runs, not {1}.', MAX_COMPARED_RUNS, records.length));
    const ordered = compareOrder(records);
    const title = await this.title(ordered);
    const names = await this.names(ordered);
    const key = compareKey(ordered.map((r) => r.folder));
    // Opened while the runs were looked up (two quick clicks): reveal that one.
    if (this.entries.has(key)) return this.open(runFolders);
    const column = panelColumn(ordered.map((r) => r.manifest.model.file));
    const panel = vscode.window.createWebviewPanel(
      COMPARE_VIEW_TYPE,
      title,
      { viewColumn: column, preserveFocus: false },
      { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: panelResourceRoots(this.ctx.extensionUri) },
    );
    this.attach(panel, ordered, names);
  }

  /** A panel VS Code kept across a window reload: find its runs again from the ids the views saved. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const ids = comparedRunIdsOfState(state);
    if (!ids) {
      this.ctx.log.info('a restored comparison panel does not say which runs it showed; showing a notice');
      showNotice(panel, restoreFailedText());
      return;
    }
    const all = await this.ctx.runs.runs();
    const records = ids.map((id) => all.find((r) => r.manifest.id === id));
    const missing = ids.filter((_, i) => records[i] === undefined);
    if (missing.length > 0) {
      this.ctx.log.info(`a restored comparison panel's runs ${missing.join(', ')} are gone; showing a notice`);
      showNotice(
        panel,
        vscode.l10n.t(
          'This comparison cannot be shown again: its runs {0} are no longer available (deleted or moved, or their runs folder is no longer part of this workspace). Close this tab, or select runs in Recorded Runs and run “Compare Runs”.',
          missing.join(', '),
        ),
      );
      return;
    }
    const ordered = compareOrder(records as RunRecord[]);
    if (this.entries.has(compareKey(ordered.map((r) => r.folder)))) {
      panel.dispose();
      return;
    }
    panel.title = await this.title(ordered);
    const names = await this.names(ordered);
    panel.webview.options = { enableScripts: true, localResourceRoots: panelResourceRoots(this.ctx.extensionUri) };
    this.attach(panel, ordered, names);
  }

  /**
   * The editor cursor is on layer `layer` (of class `layerClass`) of the newest run of `modelFile`:
   * every comparison panel showing a run of that model highlights the layer position, which the
   * views match to their runs by position and type (never by name).
   */
  selectLayerOfModel(modelFile: string, layer: number, layerClass: string | undefined): void {
    for (const e of this.entries.values()) {
      if (!e.records.some((r) => isRunOfModel(r.manifest, modelFile))) continue;
      const focus: Focus = { layer, ...(layerClass !== undefined ? { layerClass } : {}) };
      e.focuses.push(focus);
      e.bridge.focus(focus);
    }
  }

  /** Closes every comparison that shows the run in `runFolder` (it is being deleted); true if there was one. */
  closeWith(runFolder: string): boolean {
    const target = resolve(runFolder);
    const closing = [...this.entries.values()].filter((e) => e.records.some((r) => resolve(r.folder) === target));
    for (const e of closing) e.panel.dispose();
    return closing.length > 0;
  }

  /** Open comparison panels (for the integration tests). */
  openPanelCount(): number {
    return this.entries.size;
  }

  /** The comparison panel of a set of runs, if open. */
  panelOf(runFolders: readonly string[]): vscode.WebviewPanel | undefined {
    return this.entries.get(compareKey(runFolders))?.panel;
  }

  /** The runs of a comparison panel, oldest first (run A first), if open. */
  runsOf(runFolders: readonly string[]): string[] | undefined {
    return this.entries.get(compareKey(runFolders))?.records.map((r) => r.folder);
  }

  /** How often the views in a comparison panel said they were ready. */
  readyCount(runFolders: readonly string[]): number {
    return this.entries.get(compareKey(runFolders))?.hellos ?? 0;
  }

  /** The query kinds answered for each run of a comparison panel (index = run A, B, …). */
  answeredKinds(runFolders: readonly string[]): Query['kind'][][] {
    const e = this.entries.get(compareKey(runFolders));
    return e ? e.records.map((_, r) => [...(e.answered.get(r) ?? [])].sort()) : [];
  }

  /** The focuses sent to a comparison panel since it opened (for the integration tests). */
  focusesOf(runFolders: readonly string[]): readonly Focus[] {
    return [...(this.entries.get(compareKey(runFolders))?.focuses ?? [])];
  }

  close(runFolders: readonly string[]): boolean {
    const e = this.entries.get(compareKey(runFolders));
    e?.panel.dispose();
    return e !== undefined;
  }

  private attach(panel: vscode.WebviewPanel, records: RunRecord[], names: readonly string[]): void {
    const key = compareKey(records.map((r) => r.folder));
    const extensionUri = this.ctx.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    const webview = panel.webview;
    const name = records.map((r) => r.manifest.id).join(' + ');
    const entry: Entry = {
      panel,
      records,
      disposables: [],
      hellos: 0,
      answered: new Map(),
      focuses: [],
      bridge: undefined as unknown as WebviewBridge,
    };
    entry.bridge = new WebviewBridge({
      runFolder: records[0].folder,
      runId: records[0].manifest.id,
      comparedRuns: records.map((r, i) => ({ folder: r.folder, runId: r.manifest.id, name: names[i] })),
      client: this.ctx.client(),
      post: (m) => {
        if (m.type === 'host/hello') entry.hellos++;
        void webview
          .postMessage(m)
          .then(undefined, (e: unknown) => this.ctx.log.warn(`could not post to the comparison of ${name}: ${String(e)}`));
      },
      theme: () => themeOfKind(vscode.window.activeColorTheme.kind),
      // The comparison has no layer links; a message asking for one is ignored (and logged).
      revealLayer: (layer) => this.ctx.log.warn(`the comparison of ${name} asked to reveal layer ${layer}, which it does not offer`),
      save: (fileName, format, data) =>
        void this.saveExportOf(records[0], fileName, format, data).catch((e: unknown) =>
          this.fail(vscode.l10n.t('Could not save {0}', fileName), e),
        ),
      log: (line) => this.ctx.log.warn(line),
      answered: (run, query) => {
        const kinds = entry.answered.get(run) ?? new Set<Query['kind']>();
        kinds.add(query.kind);
        entry.answered.set(run, kinds);
      },
    });
    this.register(key, entry);
    webview.html = panelPage(panel, extensionUri);
  }

  /** What the tree and the tabs call each run ("#2"): the comparison's legend names them so too. */
  private async names(records: readonly RunRecord[]): Promise<string[]> {
    const all = await this.ctx.runs.runs();
    return records.map((r) => this.labels.label(r, all));
  }

  private async title(records: readonly RunRecord[]): Promise<string> {
    const all = await this.ctx.runs.runs();
    return comparePanelTitle(
      records.map((r) => ({ manifest: r.manifest, label: this.labels.label(r, all) })),
      vscode.l10n,
    );
  }

  private async updateTitles(): Promise<void> {
    const all = await this.ctx.runs.runs();
    for (const e of this.entries.values()) {
      e.records = e.records.map((r) => all.find((x) => resolve(x.folder) === resolve(r.folder)) ?? r);
      const title = comparePanelTitle(
        e.records.map((r) => ({ manifest: r.manifest, label: this.labels.label(r, all) })),
        vscode.l10n,
      );
      if (e.panel.title !== title) e.panel.title = title;
    }
  }
}

function restoreFailedText(): string {
  return vscode.l10n.t(
    'This comparison could not be restored because it does not say which runs it showed. Close this tab, select the runs in Recorded Runs and run “Compare Runs” again.',
  );
}
