// The findings of a model file's newest run in the Problems panel: each finding about a layer at
// that layer's line (the place the layer's CodeLens is: SourceSites), each finding about the whole
// model or its training at the model's definition line (the `createModel` export), severity Warning
// or Information, source "CNN Slicer", code the finding's kind; the findings of one kind on a line
// that stands for several layers (a block's definition) are one entry naming them (groupFindings). Shown for the open model files (and
// the helper modules a run's layers are defined in), updated when the runs change (a recording
// completes), when a model file is opened, and on every edit: the findings are placed again with
// the lenses' matcher, a finding whose layer the text no longer has is dropped, and while the run
// predates the text each message says so. After a reload (activation), the model files of the runs
// folders get theirs too without being shown: each one's newest run is published once the runs are
// listed (recordedModels.ts), its file opened as a document but not in an editor.
// `cnnSlicer.diagnostics.enabled` turns them off.
import * as vscode from 'vscode';
import { pathKey, type SourceSites } from './sourceSites';
import { groupFindings, modelDefinitionLine, placeFindings } from './findingsText';
import { findingsEnabled, RunFindings } from './runFindings';
import { MODEL_SELECTOR } from './modelFeatures';
import { runsToPublish } from './recordedModels';
import { isNotebookFile, notebookCellOf, scanName } from './notebookDocuments';
import type { RunLayerSource } from '../../contract/runFormat';

/** Debounce of the placement after edits. */
const EDIT_DELAY_MS = 300;
export const DIAGNOSTIC_SOURCE = 'CNN Slicer';

export class FindingsDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('cnnSlicer.findings');
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Per document, the update under way: a later one supersedes it. */
  private readonly generation = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were set (the integration tests wait on it). */
  readonly onDidUpdate = this.changed.event;

  constructor(
    private readonly sites: SourceSites,
    private readonly findings: RunFindings,
  ) {
    this.disposables.push(
      this.collection,
      this.changed,
      vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length) this.schedule(e.document, EDIT_DELAY_MS);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d, 0)),
      // New runs, epochs and ended recordings: the newest run of a file may be another now.
      sites.onDidChange(() => this.updateAll()),
      findings.onDidChange(() => this.updateAll()),
    );
    // The documents open at activation, then every recorded model file's: deferred so that
    // activation itself only registers (it reads no file and starts no process).
    setTimeout(() => {
      this.updateAll();
      this.publishRecordedModels().catch(() => undefined);
    }, 0);
  }

  /**
   * Publishes the findings of the newest run of every model file in the runs folders, shown or not
   * (after a reload the Problems panel would otherwise wait for each file to be shown): each file is
   * opened as a document (not in an editor) and placed as an open one is. Resolves once all are scheduled.
   */
  async publishRecordedModels(): Promise<void> {
    const runs = runsToPublish(await this.sites.recordedRuns());
    const open = new Set(vscode.workspace.textDocuments.map((d) => pathKey(d.uri.fsPath)));
    for (const run of runs) {
      const uri = vscode.Uri.file(run.manifest.model.file);
      if (open.has(pathKey(uri.fsPath)) || !findingsEnabled(uri)) continue;
      if (isNotebookFile(uri.fsPath)) {
        // A notebook's findings are on its cells: opened as a notebook (not in an editor), its cells are documents.
        const notebook = await vscode.workspace.openNotebookDocument(uri).then(
          (n) => n,
          () => undefined,
        );
        for (const cell of notebook?.getCells() ?? []) this.schedule(cell.document, 0);
        continue;
      }
      // A model file deleted or unreadable since its run has nothing to place findings in.
      const document = await vscode.workspace.openTextDocument(uri).then(
        (d) => d,
        () => undefined,
      );
      if (document) this.schedule(document, 0);
    }
  }

  /** Updates every open model document now (a recording completed). */
  updateAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** The diagnostics of a document, for tests. */
  of(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.collection.get(uri) ?? [];
  }

  /** Places the findings of `document`'s newest run again: now, or after `delayMs` of quiet. */
  private schedule(document: vscode.TextDocument, delayMs: number): void {
    if (vscode.languages.match(MODEL_SELECTOR, document) === 0) return;
    const key = document.uri.toString();
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.update(document).catch(() => undefined);
      }, delayMs),
    );
  }

  private async update(document: vscode.TextDocument): Promise<void> {
    const key = document.uri.toString();
    const generation = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, generation);
    const current = () => this.generation.get(key) === generation && !document.isClosed;
    if (!findingsEnabled(document.uri)) {
      this.set(document.uri, []);
      return;
    }
    const info = await this.sites.sitesOf(document);
    const run = info?.run;
    if (!current()) return;
    if (!info || !run || !RunFindings.answerable(run)) {
      this.set(document.uri, []);
      return;
    }
    const answer = await this.findings.load(run);
    if (!current()) return;
    if (!answer) {
      this.set(document.uri, []);
      return;
    }
    // The text may have changed while the answer came: place against the version now.
    const positions = new Map<number, { line: number; column: number } | undefined>();
    for (const f of answer.findings) {
      if (f.layer === undefined || positions.has(f.layer)) continue;
      const layer = run.manifest.layers[f.layer];
      const at = layer ? await this.sites.positionOf(document, run, layer) : undefined;
      // Only where the matcher finds the layer in the current text; a recorded line may hold another layer now.
      positions.set(f.layer, at && (at.matched || !info.stale) ? at : undefined);
    }
    if (!current()) return;
    // A notebook's findings about the whole model go to the cell of its first layer, not to every cell.
    const firstLayer = run.manifest.layers[1];
    const isModelFile = notebookCellOf(document)
      ? !!firstLayer && (await this.sites.positionOf(document, run, firstLayer)) !== undefined
      : pathKey(run.manifest.model.file) === pathKey(document.uri.fsPath);
    if (!current()) return;
    const placed = placeFindings(
      answer.findings,
      (layer) => positions.get(layer),
      isModelFile ? modelDefinitionLine(document.getText(), scanName(document)) : undefined,
      vscode.l10n,
      info.stale,
    );
    // One entry per kind and definition line: a line that stands for several layers (a block's
    // `self.conv1 = …`) names them by range, each layer's own entry one click away (related information).
    const sameSource = (l: number) => {
      const s = run.manifest.layers[l]?.source;
      // A notebook's cells share its path and count lines each from 1: the cell tells them apart.
      const same = (o: RunLayerSource) => o.file === s?.file && o.line === s.line && o.cell?.digest === s.cell?.digest;
      return s ? run.manifest.layers.filter((o) => o.source && same(o.source)).length : 1;
    };
    const grouped = groupFindings(
      placed,
      (p) => (p.finding.layer === undefined ? 1 : sameSource(p.finding.layer)),
      vscode.l10n,
      info.stale,
    );
    this.set(
      document.uri,
      grouped.map((p) => {
        const line = document.lineAt(Math.min(p.line, document.lineCount - 1));
        // The layer's definition from its start to the end of its line: visible, and the lens's position.
        const range = new vscode.Range(line.lineNumber, Math.min(p.column, line.text.length), line.lineNumber, line.text.length);
        const d = new vscode.Diagnostic(
          range,
          p.message,
          p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information,
        );
        d.source = DIAGNOSTIC_SOURCE;
        d.code = p.code;
        if (p.related.length)
          d.relatedInformation = p.related.map((r) => {
            const at = document.lineAt(Math.min(r.line, document.lineCount - 1));
            const position = new vscode.Position(at.lineNumber, Math.min(r.column, at.text.length));
            return new vscode.DiagnosticRelatedInformation(new vscode.Location(document.uri, position), r.message);
          });
        return d;
      }),
    );
  }

  private set(uri: vscode.Uri, diagnostics: vscode.Diagnostic[]): void {
    if (diagnostics.length) this.collection.set(uri, diagnostics);
    else this.collection.delete(uri);
    this.changed.fire(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}
