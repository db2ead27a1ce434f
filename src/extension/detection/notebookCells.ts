// A run's layers as seen from one cell of a notebook. The recorder writes a layer defined in a
// notebook cell as `source: {file: <the .ipynb>, line, column, cell: {digest, index?}}`, its line
// counted in the cell (python/cnn_slicer/notebook.py; docs/run-format.md "Source lines"). A
// notebook's cells have no path of their own and move as the user inserts, deletes and reorders
// them, so a recorded cell is found again by its text:
//   1. the one current code cell whose text has the recorded digest (the cell as it ran): fresh;
//      where several have it, the one at the recorded index, else none (which one is unknown);
//   2. else the cell at the recorded index, if no cell took it by its text: the cell edited since
//      the run, so its layers' lines are "stale", as in an edited file;
//   3. else nowhere: the layers of that cell get no line.
// In a cell edited since the run, only the definitions the scan of its current text matches get a
// layer (`cellSites`): a recorded line of an edited cell may be any line of another text.
// Pure (node:crypto only), tested in test/unit/extension/detection/notebookCells.test.ts.
import { createHash } from 'node:crypto';
import type { LayerSite } from './layerMatching';
import { layerPosition, sitesOfRun, type ManifestLayer, type SourcePosition, type TextLines } from './sourcePosition';
import { scanPythonModel, type PythonSyntaxParser } from './pythonScan';
import type { DetectedLayer, ModelDetection } from './types';

/**
 * The recorder's digest of a cell's text (python/cnn_slicer/notebook.py `cell_digest`): SHA-256 of
 * the text with line endings `\n` and trailing white space removed, UTF-8, the first 16 hex digits.
 */
export function cellDigest(text: string): string {
  const normalized = text.replace(/\r\n?/g, '\n').trimEnd();
  return createHash('sha256').update(normalized, 'utf8').digest('hex').slice(0, 16);
}

/** A notebook's cell now: the text of a code cell, undefined for a markdown cell. */
export type CurrentCell = string | undefined;

/** Where a recorded cell is now: the index of the current cell, and whether its text changed since the run. */
export interface PlacedCell {
  cell: number;
  edited: boolean;
}

/**
 * The current cell of every recorded cell (by digest) that is still found, by the rules above.
 * `recorded` are the run's cells (digest and recorded index), `cells` the notebook's now.
 */
export function placeRecordedCells(
  recorded: readonly { digest: string; index?: number }[],
  cells: readonly CurrentCell[],
): Map<string, PlacedCell> {
  const digests = cells.map((text) => (text === undefined ? undefined : cellDigest(text)));
  const placed = new Map<string, PlacedCell>();
  const distinct = new Map<string, number | undefined>();
  for (const r of recorded) if (!distinct.has(r.digest)) distinct.set(r.digest, r.index);
  const taken = new Set<number>();
  for (const [digest, index] of distinct) {
    const same = digests.flatMap((d, i) => (d === digest ? [i] : []));
    const cell = same.length === 1 ? same[0] : index !== undefined && same.includes(index) ? index : undefined;
    if (cell !== undefined) {
      placed.set(digest, { cell, edited: false });
      taken.add(cell);
    }
  }
  for (const [digest, index] of distinct) {
    if (placed.has(digest) || index === undefined || index >= cells.length || cells[index] === undefined || taken.has(index)) continue;
    placed.set(digest, { cell: index, edited: true });
    taken.add(index);
  }
  return placed;
}

/**
 * IPython's own syntax in a cell (`%magic`, `!command`, `%%cell_magic` lines), which no Python
 * parser reads: each such line made a comment of the same length, so lines and columns stay.
 */
function asPython(text: string): string {
  return text.replace(/^([ \t]*)[%!]/gm, '$1#');
}

/**
 * The Python scan of cell `cell` in the context of the code cells above it, as the kernel runs
 * them: their imports and classes are known to it (`import torch.nn as nn` in a first cell, a block
 * class in another). Its definitions are the cell's own, on the cell's 0-based lines.
 */
export function scanNotebookCell(cells: readonly CurrentCell[], cell: number, parser: PythonSyntaxParser): ModelDetection | undefined {
  const text = cells[cell];
  if (text === undefined) return undefined;
  const prefix = cells
    .slice(0, cell)
    .filter((t): t is string => t !== undefined)
    .map((t) => `${asPython(t)}\n`)
    .join('');
  const offset = prefix.split('\n').length - 1;
  const scan = scanPythonModel(prefix + asPython(text), parser);
  const layers = scan.layers.filter((l) => l.line >= offset).map((l) => ({ ...l, line: l.line - offset, endLine: l.endLine - offset }));
  return scan.isModel || layers.length > 0 ? { ...scan, layers } : undefined;
}

/** The file name the layers of the cell are given in `layersInCell`'s answer (no file has it). */
export const IN_THIS_CELL = '\u0000cell';

/**
 * The run's layers as seen from cell `cell` of its notebook: those recorded in that cell keep their
 * source with `file` set to {@link IN_THIS_CELL} (lines are the cell's own), every other layer's
 * source is dropped. `stale`: the cell's text changed since the run (rule 2), so its lines are of
 * the older text. `inNotebook` tells whether a recorded path is this notebook.
 */
export function layersInCell<L extends ManifestLayer>(
  layers: readonly L[],
  inNotebook: (path: string) => boolean,
  cells: readonly CurrentCell[],
  cell: number,
): { layers: L[]; stale: boolean } {
  const recorded = layers.flatMap((l) => (l.source?.cell && inNotebook(l.source.file) ? [l.source.cell] : []));
  const placed = placeRecordedCells(recorded, cells);
  let stale = false;
  const seen = layers.map((l): L => {
    const ref = l.source?.cell;
    const here = ref && inNotebook(l.source!.file) ? placed.get(ref.digest) : undefined;
    if (!here || here.cell !== cell) {
      const { source: _dropped, ...rest } = l;
      return rest as L;
    }
    stale ||= here.edited;
    return { ...l, source: { ...l.source!, file: IN_THIS_CELL } };
  });
  return { layers: seen, stale };
}

/** The current cell of `layer` among the run's `layers` recorded in this notebook, if it was recorded in one that is found. */
export function cellOfLayer(
  layers: readonly ManifestLayer[],
  layer: ManifestLayer,
  inNotebook: (path: string) => boolean,
  cells: readonly CurrentCell[],
): PlacedCell | undefined {
  const ref = layer.source?.cell;
  if (!ref || !inNotebook(layer.source!.file)) return undefined;
  const recorded = layers.flatMap((l) => (l.source?.cell && inNotebook(l.source.file) ? [l.source.cell] : []));
  return placeRecordedCells(recorded, cells).get(ref.digest);
}

/** The lenses' sites of one cell for a run (`cellSites`). */
export interface CellSites {
  sites: LayerSite[];
  /** The cell's text changed since the run. */
  stale: boolean;
  /** Where a layer of the run is in the cell (0-based), if it is there. */
  position(layer: ManifestLayer): SourcePosition | undefined;
}

/**
 * The sites of cell `cell` (its scan `detected`, its text `lines`) with the run's `layers` placed on
 * them, as sourcePosition.ts `sitesOfRun` places a file's; columns counted in UTF-8 bytes (Python).
 * In an edited cell, a layer the scan does not match has no site and no position.
 */
export function cellSites(
  detected: readonly DetectedLayer[],
  layers: readonly ManifestLayer[],
  inNotebook: (path: string) => boolean,
  cells: readonly CurrentCell[],
  cell: number,
  lines: TextLines,
): CellSites {
  const seen = layersInCell(layers, inNotebook, cells, cell);
  const here = (path: string) => path === IN_THIS_CELL;
  const all = sitesOfRun(detected, seen.layers, here, { fileUnchanged: !seen.stale, lineCount: lines.lineCount, utf8Columns: lines });
  const sites = seen.stale ? all.filter((s) => s.detected) : all;
  const recordedHere = seen.stale ? () => false : here;
  return {
    sites,
    stale: seen.stale,
    position: (layer) => {
      const at = seen.layers.find((l) => l.index === layer.index);
      return at && layerPosition(sites, at, recordedHere, lines, true);
    },
  };
}
