// Comparing runs (the hypercube's fifth axis): the runs' letters and colours, and which of their
// layers can be compared. Pure, so the matching is unit-tested without a browser.
import type { RunManifest } from '../src/contract/runFormat';
import { alignRuns, channelsLastShape } from './layerAlignment';
import { isNumbered, numberByKind } from '../src/contract/layerLabel';

/**
 * One colour per run, the same in every chart of the comparison. VS Code's chart colours follow
 * the theme; they differ from the class colours (Tableau 10) only in shade, so the comparison view
 * never colours by class.
 */
const RUN_COLOURS = [
  'var(--vscode-charts-blue)',
  'var(--vscode-charts-orange)',
  'var(--vscode-charts-green)',
  'var(--vscode-charts-purple)',
  'var(--vscode-charts-red)',
  'var(--vscode-charts-yellow)',
];

export function runColour(run: number): string {
  return RUN_COLOURS[run % RUN_COLOURS.length];
}

/** "A", "B", … "Z", "AA": how the comparison names a run in short. */
export function runLetter(run: number): string {
  const letter = String.fromCharCode(65 + (run % 26));
  return run < 26 ? letter : runLetter(Math.floor(run / 26) - 1) + letter;
}

/**
 * A run as the legend names it: its letter, model and the name VS Code's tree and tabs give it
 * ("A: lenet.ts #2"), or its id where it has none (a report: "A: lenet.ts (20261123-…)"); a control
 * run says so with its spec ("B: lenet.ts #3 · control border:1"): its numbers are the control's.
 */
export function runLabel(manifest: RunManifest, run: number, name?: string): string {
  const control = manifest.control ? ` · control ${manifest.control.spec}` : '';
  return `${runLetter(run)}: ${manifest.model.name} ${name ?? `(${manifest.id})`}${control}`;
}

/** One row of the comparison: the layers of the runs that are the same layer (webview/layerAlignment.ts). */
export interface LayerMatch {
  /** The row's position in the comparison (not a layer index: runs number their layers differently). */
  index: number;
  /** Each run's layer index in this row, undefined where a run has no such layer. */
  indices: (number | undefined)[];
  /** Each run's layer in this row, or undefined where a run has no such layer. */
  layers: (RunManifest['layers'][number] | undefined)[];
  /** Each run's short name of its layer here ("conv1", src/contract/layerLabel.ts), undefined where it has none. */
  names: (string | undefined)[];
  /** Every run has a layer here (of one type, by construction). */
  compared: boolean;
  /** Why the row is not compared ("conv1b (Conv2D) only in B"), in a sentence naming the runs; undefined when compared. */
  difference?: string;
  /** Said beside a compared row whose layers' output shapes differ ("output 8×8×16 in A, 8×8×32 in B"). */
  shapeNote?: string;
}

/**
 * Matches the runs' layers: by the names users gave, then by an alignment of the layer sequences
 * on type, output shape and order, as a diff aligns lines (webview/layerAlignment.ts). Layers of
 * different types are never in one row; layers of one type but different shapes are, said in
 * `shapeNote`; a layer that matches none of another run's is a row of its own, "only in B".
 */
export function matchLayers(manifests: RunManifest[]): LayerMatch[] {
  const rows = alignRuns(manifests.map((m) => m.layers));
  const rowLayers = rows.map((indices) =>
    indices.map((i, r) => (i === undefined ? undefined : manifests[r].layers.find((l) => l.index === i))),
  );
  const rowNames = comparisonNames(rowLayers);
  return rows.map((indices, index) => {
    const layers = rowLayers[index];
    const names = rowNames[index];
    const compared = layers.every((l) => l !== undefined);
    // Channels last, so that a PyTorch run's [C, H, W] and a TensorFlow.js run's [H, W, C] agree.
    const shapes = layers.map((l) => (l ? channelsLastShape(l).join('×') : undefined));
    const shapeNote =
      compared && new Set(shapes).size > 1 ? `output ${shapes.map((s, r) => `${s} in ${runLetter(r)}`).join(', ')}` : undefined;
    return {
      index,
      indices,
      layers,
      names,
      compared,
      ...(compared ? {} : { difference: describeDifference(layers, names) }),
      ...(shapeNote ? { shapeNote } : {}),
    };
  });
}

/**
 * Each row's name of each run's layer: the name the user gave, else the row's kind word and number
 * among the comparison's rows of that kind (layerLabel.ts numberByKind, user names taken), so a label
 * names one row of the comparison, never two layers. Where the runs differ, a generated layer's
 * label here may differ from its label in its own run's panel. A user name that the alignment put
 * in two rows (a moved layer) is "name (B)" in every row after its first.
 */
function comparisonNames(rows: readonly (readonly (RunManifest['layers'][number] | undefined)[])[]): (string | undefined)[][] {
  const taken = new Set(rows.flatMap((row) => row.filter((l) => l !== undefined && !isNumbered(l)).map((l) => l!.name)));
  const numbered = numberByKind(
    rows.map((row) => ({
      className: row.find((l) => l !== undefined)?.className ?? '',
      numbered: row.some((l) => l !== undefined && isNumbered(l)),
    })),
    taken,
  );
  const rowOfName = new Map<string, number>();
  return rows.map((row, k) =>
    row.map((l, r) => {
      if (!l) return undefined;
      if (isNumbered(l)) return numbered[k];
      const first = rowOfName.get(l.name) ?? k;
      rowOfName.set(l.name, first);
      return first === k ? l.name : `${l.name} (${runLetter(r)})`;
    }),
  );
}

function describeDifference(layers: (RunManifest['layers'][number] | undefined)[], names: (string | undefined)[]): string {
  const having = layers.map((l, r) => (l ? r : -1)).filter((r) => r >= 0);
  const first = layers[having[0]] as RunManifest['layers'][number];
  const distinct = [...new Set(having.map((r) => names[r]))];
  const letters = having.map(runLetter);
  const list = letters.length <= 2 ? letters.join(' and ') : `${letters.slice(0, -1).join(', ')} and ${letters[letters.length - 1]}`;
  return `${distinct.join(' / ')} (${first.className}, ${first.outputShape.join('×')}) only in ${list} — not compared`;
}

/**
 * How a row of the comparison names its layer: the short name when every run has a layer there
 * and calls it the same ("conv1"), else each run's name in run order ("conv1 / features", "— / conv1b").
 */
export function matchName(match: Pick<LayerMatch, 'names'>): string {
  const names = match.names.filter((n): n is string => n !== undefined);
  const distinct = [...new Set(names)];
  return distinct.length === 1 && names.length === match.names.length ? distinct[0] : match.names.map((n) => n ?? '—').join(' / ');
}

/** Mean of the defined values, undefined when none is. */
export function meanDefined(values: (number | null)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return defined.length ? defined.reduce((s, v) => s + v, 0) / defined.length : undefined;
}

/** The union of the runs' epochs, ascending, and each run's values placed on it (null where a run has no epoch). */
export function alignEpochs(runs: { epochs: number[]; values: (number | null)[] }[]): { epochs: number[]; values: (number | null)[][] } {
  const epochs = [...new Set(runs.flatMap((r) => r.epochs))].sort((a, b) => a - b);
  const values = runs.map((r) => {
    const at = new Map(r.epochs.map((e, i) => [e, r.values[i] ?? null]));
    return epochs.map((e) => at.get(e) ?? null);
  });
  return { epochs, values };
}

/**
 * Per epoch of the union, the sentence for a run that never recorded it ("A has no epoch 4 (3
 * epochs recorded)"), undefined where the run has it: the comparison ends the run's line there and
 * says so, rather than calling the value undefined.
 */
export function notRecordedEpochs(union: readonly number[], recorded: readonly number[], run: number): (string | undefined)[] {
  const have = new Set(recorded);
  const count = `${recorded.length} epoch${recorded.length === 1 ? '' : 's'} recorded`;
  return union.map((e) => (have.has(e) ? undefined : `${runLetter(run)} has no epoch ${e} (${count})`));
}

/** The epoch the layers are compared at: each run's last, or one epoch the user picked. */
export type CompareEpochChoice = 'last' | number;

/**
 * The epoch of a run the per-layer values are read at: its last recorded epoch, or for a picked
 * epoch that epoch — or, when the run stopped earlier or records sparser epochs, its latest epoch
 * before it. Undefined when the run has no epoch at or before the one picked (or none at all).
 */
export function epochForRun(epochs: readonly number[], choice: CompareEpochChoice): number | undefined {
  if (choice === 'last') return epochs.length ? Math.max(...epochs) : undefined;
  let best: number | undefined;
  for (const e of epochs) if (e <= choice && (best === undefined || e > best)) best = e;
  return best;
}

/** The epochs offered for the comparison: every epoch any run recorded, ascending. */
export function comparableEpochs(manifests: readonly Pick<RunManifest, 'epochs'>[]): number[] {
  return [...new Set(manifests.flatMap((m) => m.epochs))].sort((a, b) => a - b);
}

/**
 * The comparison's row for the layer the editor cursor is on (its index and class in the newest
 * run of its model, taken as the last run that has a layer of that index and class): that layer's
 * row, else undefined.
 */
export function positionOfLayer(matches: readonly LayerMatch[], index: number, className: string | undefined): number | undefined {
  const runs = matches[0]?.indices.length ?? 0;
  for (let r = runs - 1; r >= 0; r--) {
    const row = matches.find((m) => m.indices[r] === index);
    const layer = row?.layers[r];
    if (row && layer && (className === undefined || layer.className === className)) return row.index;
  }
  return undefined;
}
