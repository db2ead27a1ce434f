// The layer definitions of an open document, and where a run's layers are in it: the static
// detection (detection/detectModel.ts) cached per document version, and the run's layers matched
// to the current text (detection/sourcePosition.ts) cached per document version and run index
// generation. The CodeLens, the hover, the cursor → panel link and "go to source" all ask here,
// so they agree on a layer's line however the file was edited since the run.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import { isPythonRun } from '../../contract/runFormat';
import { detectModel, isPythonFile, pythonParser } from '../detection/detectModel';
import type { PythonSyntaxParser } from '../detection/pythonScan';
import type { LayerSite } from '../detection/layerMatching';
import {
  layerPosition,
  recordedBeforeEdit,
  sitesOfRun,
  type ManifestLayer,
  type SourcePosition,
  type TextLines,
} from '../detection/sourcePosition';
import type { ModelDetection } from '../detection/types';
import { cellSites, scanNotebookCell, type CellSites } from '../detection/notebookCells';
import type { RunIndex } from '../runs/runIndex';
import { currentCells, isNotebookFile, notebookCellOf, scanName, type CellOfNotebook } from './notebookDocuments';

/** Larger files are generated bundles or data, not model definitions: not scanned. */
const MAX_SCANNED_CHARS = 10_000_000;

/** A document's layer definitions and the run they belong to (if any). */
export interface ModelSites {
  detection?: ModelDetection;
  run?: RunRecord;
  sites: LayerSite[];
  /**
   * The run was recorded from an older version of the file (edited in the editor or on disk since
   * it began): the lenses and hover say so and offer to record again.
   */
  stale: boolean;
}

export class SourceSites implements vscode.Disposable {
  private readonly detections = new Map<string, { version: string; detection: ModelDetection | undefined }>();
  /**
   * Per document: the sites for each run folder, at one document version (a notebook cell's: with
   * its notebook's, since the other cells place it) and index generation.
   */
  private readonly siteCache = new Map<
    string,
    { version: string; generation: number; byRun: Map<string, Promise<{ sites: LayerSite[]; stale: boolean }>> }
  >();
  /** Per cell document and run folder: its sites, at one cell, notebook and index version (`cellSites`). */
  private readonly cellCache = new Map<string, { version: string; sites: Promise<CellSites> }>();
  /** Bumped whenever the runs change, so cached sites are recomputed against the new runs. */
  private generation = 0;
  /** The Python parser once loaded (the first `.py` file loads it: `pythonReady`), for the synchronous `detect`. */
  private python?: PythonSyntaxParser;
  private pythonLoad?: Promise<PythonSyntaxParser | undefined>;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the runs changed, so every site may have moved or gained entropies. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly runs: RunIndex,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.changed,
      runs.onDidChange(() => {
        this.generation++;
        this.siteCache.clear();
        this.changed.fire();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        this.detections.delete(document.uri.toString());
        this.siteCache.delete(document.uri.toString());
        for (const key of this.cellCache.keys()) if (key.startsWith(`${document.uri.toString()}\n`)) this.cellCache.delete(key);
      }),
    );
  }

  /** Every readable run of the runs folders, newest first (the findings published after a reload). */
  recordedRuns(): Promise<RunRecord[]> {
    return this.runs.runs();
  }

  /** The run recorded in `folder`, if it still exists (for the commands of the lens and hover links). */
  runOf(folder: string): Promise<RunRecord | undefined> {
    return this.runs.find(folder);
  }

  /**
   * The static detection of a document, cached per document version. A `.py` file is undefined until
   * the Python parser has loaded (`pythonReady`, started here): `onDidChange` fires then.
   */
  detect(document: vscode.TextDocument): ModelDetection | undefined {
    // A run's checkpoint (runs/<id>/epoch-N/model.json) is a model file, but the run's, not the user's.
    if (document.uri.scheme === 'file' && this.runs.isCheckpointFile(document.uri.fsPath)) return undefined;
    const name = scanName(document);
    if (isPythonFile(name) && !this.python) {
      void this.pythonReady();
      return undefined;
    }
    const key = document.uri.toString();
    // A cell is scanned with the cells above it: its version is also its notebook's.
    const cell = notebookCellOf(document);
    const version = cell ? `${document.version}:${cell.notebook.version}` : String(document.version);
    const cached = this.detections.get(key);
    if (cached && cached.version === version) return cached.detection;
    const text = document.getText();
    let detection: ModelDetection | undefined;
    if (cell) {
      const cells = currentCells(cell.notebook);
      const size = cells.reduce((n, t) => n + (t?.length ?? 0), 0);
      detection =
        this.python && document.languageId === 'python' && size <= MAX_SCANNED_CHARS
          ? scanNotebookCell(cells, cell.index, this.python)
          : undefined;
    } else detection = text.length > MAX_SCANNED_CHARS ? undefined : detectModel(text, name, this.python);
    this.detections.set(key, { version, detection });
    return detection;
  }

  /**
   * Loads the Python parser once (tree-sitter, ≈ 60 ms; never at activation): every site is then
   * computed again and `onDidChange` fires. A parser that fails to load is logged, and `.py` files
   * get no lenses; a later `.py` file tries again.
   */
  pythonReady(): Promise<PythonSyntaxParser | undefined> {
    this.pythonLoad ??= pythonParser().then(
      (parser) => {
        this.python = parser;
        this.generation++;
        this.siteCache.clear();
        this.changed.fire();
        return parser;
      },
      (e: unknown) => {
        this.log.warn(`the Python parser did not load, so Python files get no lenses: ${e instanceof Error ? e.message : String(e)}`);
        this.pythonLoad = undefined;
        return undefined;
      },
    );
    return this.pythonLoad;
  }

  /**
   * The layer definitions of a document with the layers of its newest run. A helper module that only
   * creates layers gets sites once a run of a model that uses it exists; before that there is no
   * model to attach them to.
   */
  async sitesOf(document: vscode.TextDocument): Promise<ModelSites | undefined> {
    const cell = notebookCellOf(document);
    // A notebook's JSON is not where its layers are: its cells are (notebookDocuments.ts).
    if (!cell && (document.uri.scheme !== 'file' || isNotebookFile(document.uri.fsPath))) return undefined;
    if (this.runs.isCheckpointFile(document.uri.fsPath)) return undefined;
    if (isPythonFile(scanName(document))) await this.pythonReady();
    const detection = this.detect(document);
    // A cell's runs are its notebook's.
    const file = cell ? cell.notebook.uri.fsPath : document.uri.fsPath;
    let run: RunRecord | undefined;
    try {
      run = await this.runs.newestOfModel(file);
    } catch (e) {
      this.log.warn(`reading the runs of ${file} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!run && !detection?.isModel) return undefined;
    const { sites, stale } = run
      ? await this.matched(document, run)
      : { sites: sitesOfRun(detection?.layers ?? [], [], () => false, { lineCount: document.lineCount }), stale: false };
    if (!sites.length && !detection?.isModel) return undefined;
    return { ...(detection ? { detection } : {}), ...(run ? { run } : {}), sites, stale };
  }

  /** The definitions of a document's current text with the layers of `run` placed on them. */
  async sitesFor(document: vscode.TextDocument, run: RunRecord): Promise<LayerSite[]> {
    return (await this.matched(document, run)).sites;
  }

  /** The sites of `run` in the document, and whether the run predates the document's text; cached. */
  private matched(document: vscode.TextDocument, run: RunRecord): Promise<{ sites: LayerSite[]; stale: boolean }> {
    const key = document.uri.toString();
    const cell = notebookCellOf(document);
    const version = cell ? `${document.version}:${cell.notebook.version}` : String(document.version);
    let cached = this.siteCache.get(key);
    if (!cached || cached.version !== version || cached.generation !== this.generation) {
      cached = { version, generation: this.generation, byRun: new Map() };
      this.siteCache.set(key, cached);
    }
    let sites = cached.byRun.get(run.folder);
    if (!sites) {
      sites = this.computeSites(document, run);
      cached.byRun.set(run.folder, sites);
    }
    return sites;
  }

  /**
   * Where `layer` of `run` is in the document now: on the definition it matched, else at its
   * recorded position (kept inside the text). The one answer for lens, hover and "go to source".
   */
  async positionOf(document: vscode.TextDocument, run: RunRecord, layer: ManifestLayer): Promise<SourcePosition | undefined> {
    const cell = notebookCellOf(document);
    if (cell) return (await this.cellSites(document, cell, run)).position(layer);
    return layerPosition(await this.sitesFor(document, run), layer, sameFileAs(document, run), document, isPythonRun(run.manifest));
  }

  /** A cell's sites for a run and the positions of its layers (detection/notebookCells.ts `cellSites`), cached as `matched` is. */
  private cellSites(document: vscode.TextDocument, cell: CellOfNotebook, run: RunRecord): Promise<CellSites> {
    const key = `${document.uri.toString()}\n${run.folder}`;
    const version = `${document.version}:${cell.notebook.version}:${this.generation}`;
    const cached = this.cellCache.get(key);
    if (cached?.version === version) return cached.sites;
    const notebook = pathKey(cell.notebook.uri.fsPath);
    const base = dirname(run.manifest.model.file);
    const inNotebook = (path: string) => pathKey(isAbsolute(path) ? path : resolve(base, path)) === notebook;
    const detected = this.detect(document)?.layers ?? [];
    const sites = Promise.resolve(
      cellSites(detected, run.manifest.layers, inNotebook, currentCells(cell.notebook), cell.index, textLines(document.getText())),
    );
    this.cellCache.set(key, { version, sites });
    return sites;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.cellCache.clear();
    this.detections.clear();
    this.siteCache.clear();
  }

  private async computeSites(document: vscode.TextDocument, run: RunRecord): Promise<{ sites: LayerSite[]; stale: boolean }> {
    // The text of this version, read before waiting on the disk (the cache entry is for this version).
    const detection = this.detect(document);
    const cell = notebookCellOf(document);
    if (cell) {
      // A cell is stale when its text changed since the run; its lines are its own.
      const { sites, stale } = await this.cellSites(document, cell, run);
      return { sites, stale };
    }
    const lineCount = document.lineCount;
    const isDirty = document.isDirty;
    // Python counts a layer's column in UTF-8 bytes: the lines of this version convert them.
    const utf8Columns = isPythonRun(run.manifest) ? textLines(document.getText()) : undefined;
    const mtimeMs = await modifiedMs(document.uri.fsPath);
    const stale = recordedBeforeEdit({ isDirty, mtimeMs }, run.manifest.createdAt);
    // Certain only when both times are known; model.json positions are left to name matching (the
    // recorder's line for an entry can be that of a nested "class_name", an initializer's, while
    // the entries' names are exact).
    const known = isDirty || (mtimeMs !== undefined && Number.isFinite(Date.parse(run.manifest.createdAt)));
    const fileUnchanged = /\.json$/i.test(document.fileName) || !known ? undefined : !stale;
    const sites = sitesOfRun(detection?.layers ?? [], run.manifest.layers, sameFileAs(document, run), {
      fileUnchanged,
      lineCount,
      ...(utf8Columns ? { utf8Columns } : {}),
    });
    return { sites, stale };
  }
}

/**
 * Whether a recorded source path is the document's file. A relative path is relative to the run's
 * model file, as src/contract/runFormat.ts defines it.
 */
function sameFileAs(document: vscode.TextDocument, run: RunRecord): (path: string) => boolean {
  const self = pathKey(document.uri.fsPath);
  const base = dirname(run.manifest.model.file);
  return (path) => pathKey(isAbsolute(path) ? path : resolve(base, path)) === self;
}

/** The lines of a text, as `TextLines` (a snapshot that later edits of the document leave alone). */
function textLines(text: string): TextLines {
  const lines = text.split(/\r\n|\r|\n/);
  return { lineCount: lines.length, lineAt: (line) => ({ text: lines[line] ?? '' }) };
}

/** The file's modification time, or undefined when it cannot be read. */
async function modifiedMs(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** A path as the platform compares them: macOS and Windows disks are case-insensitive by default. */
export function pathKey(path: string): string {
  const full = resolve(path);
  return process.platform === 'win32' || process.platform === 'darwin' ? full.toLowerCase() : full;
}
