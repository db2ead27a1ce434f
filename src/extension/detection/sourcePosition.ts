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
  /** 1-based, as the recorder notes it; absent for the model input. */
  source?: { file: string; line: number; column: number };
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
  options: { fileUnchanged?: boolean; lineCount: number },
): LayerSite[] {
  const recorded = recordedInFile(layers, sameFile);
  const input = layers.find((l) => l.index === 0 && !l.source);
  return (
    layerSites(detected, recorded, { inputLayer: input?.index, fileUnchanged: options.fileUnchanged })
      // Recorded positions of a file that has since become shorter point nowhere.
      .filter((s) => s.line < options.lineCount)
  );
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
): SourcePosition | undefined {
  const site = sites.find((s) => s.layers.includes(layer.index));
  if (site) return { line: site.line, column: site.column, matched: true };
  if (!layer.source || !sameFile(layer.source.file) || lines.lineCount === 0) return undefined;
  const line = Math.min(Math.max(layer.source.line - 1, 0), lines.lineCount - 1);
  const column = Math.min(Math.max(layer.source.column - 1, 0), lines.lineAt(line).text.length);
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
