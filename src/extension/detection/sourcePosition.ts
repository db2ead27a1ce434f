// Where a recorded layer is in the current text of a file: the one answer the CodeLens, the hover,
// the cursor → panel link and "go to source" all use, so that after an edit they agree. A run
// records each layer's line at recording time; once the file is edited that line may hold another
// layer or none, so the recorded layers are first matched to the definitions in the current text
// (`layerSites`), and the recorded line is used only for a layer the text no longer has a match
// for. Pure, tested in test/unit/extension/detection/sourcePosition.test.ts.
import { layerSites, recordedInFile, type LayerSite } from './layerMatching';
import type { DetectedLayer } from './types';

/** A layer of a run as its manifest describes it (src/contract/runFormat.ts `RunLayer`, the part used here). */
export interface ManifestLayer {
  index: number;
  name: string;
  className: string;
  /** Its output's shape without the batch: the last dimension tells apart definitions of one kind with literal `units` or `filters`. */
  outputShape?: readonly number[];
  /** 1-based, as the recorder notes it; absent for the model input. In a notebook, of the cell `cell` (notebookCells.ts). */
  source?: { file: string; line: number; column: number; cell?: { digest: string; index?: number } };
  /** The configuration arguments the run recorded (`filters`, `kernelSize`, …): they tell apart definitions of one kind. */
  args?: Record<string, string | number | number[]>;
}

/** The lines of the current text, as much as clamping a position needs (a `vscode.TextDocument` fits). */
export interface TextLines {
  readonly lineCount: number;
  lineAt(line: number): { readonly text: string };
}

/** A layer's position in the current text (0-based). */
export interface SourcePosition {
  line: number;
  column: number;
  /** True when the layer matched a definition in the current text; false for the recorded position. */
  matched: boolean;
}

/**
 * The definitions of a file's current text with the run's layers placed on them: what the lenses
 * show, and what `layerPosition` looks a layer up in.
 *
 * `sameFile` tells whether a recorded source path is this file (the caller knows about
 * case-insensitive disks). `fileUnchanged` is what the caller knows for sure: the file is the text
 * the run was recorded from (see `layerSites`).
 */
export function sitesOfRun(
  detected: readonly DetectedLayer[],
  layers: readonly ManifestLayer[],
  sameFile: (path: string) => boolean,
  options: { fileUnchanged?: boolean; lineCount: number; utf8Columns?: TextLines },
): LayerSite[] {
  const lines = options.utf8Columns;
  const recorded = recordedInFile(lines ? layers.map((l) => inUtf16(l, lines)) : layers, sameFile);
  const input = layers.find((l) => l.index === 0 && !l.source);
  return (
    layerSites(detected, recorded, { inputLayer: input?.index, fileUnchanged: options.fileUnchanged })
      // Recorded positions of a file that has since become shorter point nowhere.
      .filter((s) => s.line < options.lineCount)
  );
}

/**
 * A layer whose source column a Python run counts in UTF-8 bytes (python/cnn_slicer/sources.py,
 * Python's `col_offset` + 1) with the column in UTF-16 code units of the same line of `lines`, as
 * the editor counts. Equal on an ASCII line; a line the text no longer has keeps the column.
 */
function inUtf16<L extends ManifestLayer>(layer: L, lines: TextLines): L {
  const source = layer.source;
  if (!source || source.line < 1 || source.line > lines.lineCount) return layer;
  const column = utf16Column(lines.lineAt(source.line - 1).text, source.column - 1) + 1;
  return column === source.column ? layer : { ...layer, source: { ...source, column } };
}

/**
 * The UTF-16 index in `text` of its UTF-8 byte offset `bytes`. Past the end of the text, the bytes
 * beyond it count one unit each: a line edited since the run never merges two recorded positions.
 */
export function utf16Column(text: string, bytes: number): number {
  let b = 0;
  let i = 0;
  while (i < text.length && b < bytes) {
    const c = text.codePointAt(i) as number;
    b += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += c >= 0x10000 ? 2 : 1;
  }
  return i + Math.max(0, bytes - b);
}

/**
 * Where `layer` is: the definition `sites` placed it on, else (the current text has no match for
 * it) its recorded position, kept inside the text; undefined when the run does not locate it (the
 * model input) or locates it in another file.
 */
export function layerPosition(
  sites: readonly LayerSite[],
  layer: ManifestLayer,
  sameFile: (path: string) => boolean,
  lines: TextLines,
  utf8Columns = false,
): SourcePosition | undefined {
  const site = sites.find((s) => s.layers.includes(layer.index));
  if (site) return { line: site.line, column: site.column, matched: true };
  if (!layer.source || !sameFile(layer.source.file) || lines.lineCount === 0) return undefined;
  const line = Math.min(Math.max(layer.source.line - 1, 0), lines.lineCount - 1);
  const text = lines.lineAt(line).text;
  const recorded = Math.max(layer.source.column - 1, 0);
  const column = Math.min(utf8Columns ? utf16Column(text, recorded) : recorded, text.length);
  return { line, column, matched: false };
}

/**
 * Whether a run was recorded from an older version of its model file: the editor holds unsaved
 * changes, or the file on disk was modified after the run began. A run's manifest keeps no hash of
 * the file's text alone (`model.fingerprint` also hashes the built layers, which only the recorder
 * knows), so the file's modification time is compared with the run's `createdAt`: a save without
 * change, or a checkout that rewrites the file, also counts as an edit. False when either time is
 * unknown, so that a run is never called stale without cause.
 */
export function recordedBeforeEdit(file: { isDirty: boolean; mtimeMs: number | undefined }, runCreatedAt: string): boolean {
  if (file.isDirty) return true;
  const createdMs = Date.parse(runCreatedAt);
  if (!Number.isFinite(createdMs) || file.mtimeMs === undefined || !Number.isFinite(file.mtimeMs)) return false;
  return file.mtimeMs > createdMs;
}
