// Which layers of several runs are the same layer: the one matcher behind the comparison's table,
// the comparison report and the compared information plane. Layers are matched the way a diff
// matches lines: an alignment of the runs' layer sequences that keeps their order. A pair counts
// for more when the user named both layers alike (a name is an anchor), less when only the type and
// output shape agree, least when only the type does (said in the row); layers of different types
// are never paired. Pure, tested in test/unit/webview/layerAlignment.test.ts.
import { alignByWorth } from '../src/analysis/alignment';
import { isChannelsFirst, spatialAxesOf } from '../src/analysis/layout';
import type { RunLayer } from '../src/contract/runFormat';
import { isGeneratedName } from '../src/contract/layerLabel';
import { comparableClass } from '../src/contract/layerKinds';

export type AlignedLayer = Pick<RunLayer, 'index' | 'name' | 'className' | 'outputShape' | 'dataFormat'>;

/** Worth of a pair: the same user-given name and type; the same type and shape; the same type only. */
const NAMED = 1000;
const SAME_SHAPE = 10;
const SAME_TYPE = 1;

/** Whether a layer's name is one the user gave (tfjs numbers the others per model, so they name no layer across runs). */
export function isUserName(layer: Pick<RunLayer, 'name' | 'className'>): boolean {
  return !isGeneratedName(layer.name, layer.className);
}

export function sameShape(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return (a ?? []).join('×') === (b ?? []).join('×');
}

/** A layer's output shape with its channels last: a PyTorch run's `[C, H, W]` as `[H, W, C]`. */
export function channelsLastShape(layer: Pick<RunLayer, 'outputShape' | 'dataFormat'>): number[] {
  const shape = [...(layer.outputShape ?? [])];
  return isChannelsFirst(shape, layer.dataFormat) ? [...spatialAxesOf(shape, layer.dataFormat), shape[0]] : shape;
}

/**
 * What a layer is, for pairing: layer 0 is every run's model input (tfjs records it as `Input`, a
 * model.json as `InputLayer`, the PyTorch recorder as `InputLayer`); the others by comparableClass.
 */
function kindOf(layer: AlignedLayer): string {
  return layer.index === 0 ? 'model input' : comparableClass(layer.className);
}

/**
 * A pair's worth. The same layer of a PyTorch run and of a TensorFlow.js run has another class name
 * (`Conv2d`, `Conv2D`: compared as layerKinds.ts `comparableClass`) and another layout (`[C, H, W]`,
 * `[H, W, C]`: compared channels last).
 */
function pairWorth(a: AlignedLayer, b: AlignedLayer): number {
  if (kindOf(a) !== kindOf(b)) return 0;
  const named = isUserName(a) && isUserName(b) && a.name === b.name ? NAMED : 0;
  return named + (sameShape(channelsLastShape(a), channelsLastShape(b)) ? SAME_SHAPE : SAME_TYPE);
}

/**
 * Pairs (i, j), increasing in both, of the alignment of `a` and `b` with the largest total worth
 * (Needleman–Wunsch with free gaps). A layer whose user-given name is also in the other run is
 * paired only with that layer, so a renamed or moved layer never takes a named one's place.
 */
export function alignLayers(a: readonly AlignedLayer[], b: readonly AlignedLayer[]): [number, number][] {
  const userNamesA = new Set(a.filter(isUserName).map((l) => l.name));
  const userNamesB = new Set(b.filter(isUserName).map((l) => l.name));
  const worth = (i: number, j: number): number => {
    const x = a[i];
    const y = b[j];
    // A layer named in both runs pairs with its namesake only.
    if (isUserName(x) && userNamesB.has(x.name) && x.name !== y.name) return 0;
    if (isUserName(y) && userNamesA.has(y.name) && x.name !== y.name) return 0;
    return pairWorth(x, y);
  };
  return alignByWorth(a.length, b.length, worth);
}

/**
 * Rows of layer indices, one per layer of any run, in order: `rows[k][r]` is run r's layer index
 * in row k, undefined where run r has no layer matching it. Each run is aligned with the rows
 * built so far (each row stands for its first run's layer), so the first run orders the rows and
 * a layer only another run has gets a row of its own where it sits.
 */
export function alignRuns(runs: readonly (readonly AlignedLayer[])[]): (number | undefined)[][] {
  if (runs.length === 0) return [];
  let rows: (number | undefined)[][] = runs[0].map((l) => [l.index, ...runs.slice(1).map(() => undefined)]);
  const representative = (row: (number | undefined)[]): AlignedLayer => {
    const r = row.findIndex((x) => x !== undefined);
    return runs[r].find((l) => l.index === row[r]) as AlignedLayer;
  };
  for (let r = 1; r < runs.length; r++) {
    const pairs = alignLayers(rows.map(representative), runs[r]);
    const merged: (number | undefined)[][] = [];
    let i = 0;
    let j = 0;
    const pushLayer = (k: number): void => {
      const row: (number | undefined)[] = runs.map(() => undefined);
      row[r] = runs[r][k].index;
      merged.push(row);
    };
    for (const [pi, pj] of pairs) {
      while (i < pi) merged.push(rows[i++]);
      while (j < pj) pushLayer(j++);
      const row = [...rows[i++]];
      row[r] = runs[r][j++].index;
      merged.push(row);
    }
    while (i < rows.length) merged.push(rows[i++]);
    while (j < runs[r].length) pushLayer(j++);
    rows = merged;
  }
  return rows;
}
