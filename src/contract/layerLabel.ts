// Short layer labels for the tree and the views: tfjs names its layers
// `max_pooling2d_MaxPooling2D1`, which truncates in the tree and overflows a half-width panel.
// A layer the user did not name is called by its kind and its number among the layers of that kind
// ("pool1 · MaxPooling2D"); a name the user gave is kept. The full name stays in the tooltips.
// Pure: the extension (runsTree.ts) and the webview share it.
import type { RunLayer } from './runFormat';
import { layerKind, layerWord } from './layerKinds';

/**
 * Whether a layer's name is a long one TensorFlow.js or Keras made up: `conv2d_Conv2D1` (tfjs),
 * `max_pooling2d_3`, `input_1` (Keras). A name without an underscore is short already and kept,
 * even when it spells the class (`flatten`, `dense1`): it may be the user's.
 */
export function isGeneratedName(name: string, className: string): boolean {
  if (new RegExp(`_${className}\\d+$`).test(name)) return true;
  if (!name.includes('_')) return false;
  const bare = name
    .replace(/_?\d+$/, '')
    .replace(/_/g, '')
    .toLowerCase();
  return bare === className.toLowerCase() || (layerKind(className).input === true && bare === 'input');
}

type LabelledLayer = Pick<RunLayer, 'index' | 'name' | 'className'>;

/** Whether layer 0 carries the input's generated name (`input1`, `input_1`): called "input". */
const isInputName = (layer: LabelledLayer): boolean => layer.index === 0 && /^input_?\d*$/.test(layer.name);

/** Whether a layer is called by its kind and number rather than by its name. */
export const isNumbered = (layer: LabelledLayer): boolean => isInputName(layer) || isGeneratedName(layer.name, layer.className);

/**
 * Labels the `numbered` rows (in order) by kind word: a row gets its number among the rows of its
 * kind after row 0 ("conv2"), or the next number free when that label is `taken` (a name the user
 * gave) or an earlier row of its kind was moved on, so no two rows share a label; row 0 is "input".
 * Rows named otherwise are counted but get undefined. Shared by a run's layers and a comparison's rows.
 */
export function numberByKind(
  rows: readonly { className: string; numbered: boolean }[],
  taken: ReadonlySet<string>,
): (string | undefined)[] {
  const used = new Set(taken);
  const count = new Map<string, number>();
  const last = new Map<string, number>();
  const claim = (label: string): string => (used.add(label), label);
  return rows.map((row, i) => {
    if (i === 0) {
      if (!row.numbered) return undefined;
      let label = 'input';
      for (let n = 0; used.has(label); n++) label = `input${n}`;
      return claim(label);
    }
    const word = layerWord(row.className);
    const ordinal = (count.get(word) ?? 0) + 1;
    count.set(word, ordinal);
    if (!row.numbered) return undefined;
    let n = Math.max(ordinal, (last.get(word) ?? 0) + 1);
    while (used.has(`${word}${n}`)) n++;
    last.set(word, n);
    return claim(`${word}${n}`);
  });
}

/** Per layers array, the short name of each layer index (the labels are computed for all layers at once). */
const cache = new WeakMap<readonly LabelledLayer[], Map<number, string>>();

/**
 * Every layer's short name, by index: the name the user gave, else its kind word and number among the
 * layers of that kind ("pool1"), moved on to the next free number where the user named a layer so
 * ("conv3" for a generated conv between the user's conv1 and conv2): unique within the run.
 */
export function shortLayerNames(layers: readonly LabelledLayer[]): Map<number, string> {
  const hit = cache.get(layers);
  if (hit) return hit;
  const ordered = [...layers].sort((a, b) => a.index - b.index);
  const taken = new Set(ordered.filter((l) => !isNumbered(l)).map((l) => l.name));
  const numbered = numberByKind(
    ordered.map((l) => ({ className: l.className, numbered: isNumbered(l) })),
    taken,
  );
  const names = new Map(ordered.map((l, i) => [l.index, numbered[i] ?? l.name]));
  cache.set(layers, names);
  return names;
}

/**
 * A layer's short name: the user's name, else its kind word and number among those layers ("pool1"),
 * "input" for layer 0; never a label another layer of `layers` has (shortLayerNames).
 */
export function shortLayerName(layer: LabelledLayer, layers: readonly LabelledLayer[]): string {
  const name = shortLayerNames(layers).get(layer.index);
  if (name !== undefined) return name;
  // A layer not among `layers`: named on its own.
  return shortLayerNames([...layers, layer]).get(layer.index) as string;
}

/** "pool1 · MaxPooling2D": the short name and the layer's class. */
export function shortLayerLabel(layer: LabelledLayer, layers: readonly LabelledLayer[]): string {
  return `${shortLayerName(layer, layers)} · ${layer.className}`;
}

/**
 * Dotted layer names as one range: the names' common trailing part once, after the first and the
 * last of what differs ("layer1.0.conv1" … "layer4.1.conv1" → "layer1.0–layer4.1 conv1"; "conv1",
 * "conv2" → "conv1–conv2"); the common part never starts with an index. One name is itself; none is "". The names in the order given (the
 * caller's: by layer index).
 */
export function layerNameRange(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  const parts = names.map((n) => n.split('.'));
  const shortest = Math.min(...parts.map((p) => p.length));
  let common = 0;
  while (common < shortest - 1 && parts.every((p) => p[p.length - 1 - common] === parts[0][parts[0].length - 1 - common])) common++;
  // An index ("0" of "layer1.0.shortcut") stays with what it numbers: "layer1.0–layer2.0 shortcut.0".
  while (common > 0 && /^\d+$/.test(parts[0][parts[0].length - common])) common--;
  const middle = (p: string[]) => p.slice(0, p.length - common).join('.');
  const [first, last] = [middle(parts[0]), middle(parts[parts.length - 1])];
  const range = first === last ? first : `${first}–${last}`;
  return common ? `${range} ${parts[0].slice(parts[0].length - common).join('.')}` : range;
}
