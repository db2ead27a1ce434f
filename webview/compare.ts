// Comparing runs (the hypercube's fifth axis): the runs' letters and colours, and which of their
// layers can be compared. Pure, so the matching is unit-tested without a browser.
import type { RunManifest } from '../src/run/format';
import { shortLayerName } from './layerLabel';

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

/** A run as the legend names it: its letter, model and id. */
export function runLabel(manifest: RunManifest, run: number): string {
  return `${runLetter(run)}: ${manifest.model.name} (${manifest.id})`;
}

/** One layer position across the runs: compared when every run has a layer there of the same type. */
export interface LayerMatch {
  /** Layer index, the same in every run (layers are matched by position). */
  index: number;
  /** The layer at this position in each run, or undefined where a run has fewer layers. */
  layers: (RunManifest['layers'][number] | undefined)[];
  /** Each run's short name of its layer here ("conv1", webview/layerLabel.ts), undefined where it has none. */
  names: (string | undefined)[];
  compared: boolean;
  /** Why the position is not compared, in a sentence naming the runs; undefined when compared. */
  difference?: string;
}

/** Layer type as people say it: "conv2d", "dense", "maxpooling2d". */
export function layerType(className: string): string {
  return className.toLowerCase();
}

/**
 * Matches the runs' layers by position and type. Names are not compared (tfjs numbers them per
 * model, so the same architecture gets different names), types are: a convolution is never set
 * beside a dense layer.
 */
export function matchLayers(manifests: RunManifest[]): LayerMatch[] {
  const count = Math.max(0, ...manifests.map((m) => m.layers.length));
  const out: LayerMatch[] = [];
  for (let index = 0; index < count; index++) {
    const layers = manifests.map((m) => m.layers[index]);
    const types = layers.map((l) => (l ? layerType(l.className) : undefined));
    const compared = types.every((t) => t !== undefined && t === types[0]);
    const names = layers.map((l, r) => (l ? shortLayerName(l, manifests[r].layers) : undefined));
    out.push({ index, layers, names, compared, difference: compared ? undefined : describeDifference(index, types) });
  }
  return out;
}

function describeDifference(index: number, types: (string | undefined)[]): string {
  const parts = types.map((t, run) => (t === undefined ? `no layer ${index} in run ${runLetter(run)}` : `${t} in run ${runLetter(run)}`));
  const list = parts.length <= 2 ? parts.join(', ') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `layer ${index}: ${list} — not compared`;
}

/**
 * How a row of the comparison names its layer: the short name when every run that has a layer
 * there calls it the same ("conv1"), else each run's name in run order ("conv1 / features").
 */
export function matchName(match: Pick<LayerMatch, 'names'>): string {
  const names = match.names.filter((n): n is string => n !== undefined);
  const distinct = [...new Set(names)];
  return distinct.length <= 1 ? (distinct[0] ?? '—') : match.names.map((n) => n ?? '—').join(' / ');
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
 * The comparison's layer position for the layer the editor cursor is on (its index and class in
 * the newest run of its model): that position when at least one compared run has a layer of the
 * same type there, else undefined. Positions and types are matched, never names — tfjs names
 * layers per model, so the same name can be a different layer in another run.
 */
export function positionOfLayer(matches: readonly LayerMatch[], index: number, className: string | undefined): number | undefined {
  const match = matches[index];
  if (!match) return undefined;
  if (className === undefined) return match.compared ? index : undefined;
  const type = layerType(className);
  return match.layers.some((l) => l !== undefined && layerType(l.className) === type) ? index : undefined;
}
