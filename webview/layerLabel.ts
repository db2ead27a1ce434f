// Short layer labels for the tree and the views: tfjs names its layers
// `max_pooling2d_MaxPooling2D1`, which truncates in the tree and overflows a half-width panel.
// A layer the user did not name is called by its kind and its number among the layers of that kind
// ("pool1 · MaxPooling2D"); a name the user gave is kept. The full name stays in the tooltips.
// Pure: the extension (runsTree.ts) and the webview share it.
import type { RunLayer } from '../src/run/format';

/** The short word of a layer class; classes not listed use their own name in lower case. */
const KIND_WORDS: [RegExp, string][] = [
  [/^InputLayer$/, 'input'],
  [/Conv/, 'conv'],
  [/Pooling/, 'pool'],
  [/^Dense$/, 'dense'],
  [/^Flatten$/, 'flatten'],
  [/Dropout/, 'dropout'],
  [/^BatchNormalization$/, 'bn'],
  [/^LayerNormalization$/, 'ln'],
  [/Activation|^ReLU$|^LeakyReLU$|^Softmax$|^ELU$|^PReLU$/, 'act'],
  [/^Concatenate$/, 'concat'],
  [/^Embedding$/, 'embed'],
  [/Padding/, 'pad'],
  [/UpSampling/, 'up'],
];

function kindWord(className: string): string {
  return KIND_WORDS.find(([re]) => re.test(className))?.[1] ?? className.toLowerCase();
}

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
  return bare === className.toLowerCase() || (className === 'InputLayer' && bare === 'input');
}

/** A layer's short name: the user's name, else its kind word and number among those layers ("pool1"); "input" for layer 0. */
export function shortLayerName(
  layer: Pick<RunLayer, 'index' | 'name' | 'className'>,
  layers: readonly Pick<RunLayer, 'index' | 'className'>[],
): string {
  if (layer.index === 0 && /^input_?\d*$/.test(layer.name)) return 'input';
  if (!isGeneratedName(layer.name, layer.className)) return layer.name;
  if (layer.index === 0) return 'input';
  const word = kindWord(layer.className);
  const ordinal = layers.filter((l) => l.index > 0 && l.index <= layer.index && kindWord(l.className) === word).length;
  return `${word}${ordinal}`;
}

/** "pool1 · MaxPooling2D": the short name and the layer's class. */
export function shortLayerLabel(
  layer: Pick<RunLayer, 'index' | 'name' | 'className'>,
  layers: readonly Pick<RunLayer, 'index' | 'className'>[],
): string {
  return `${shortLayerName(layer, layers)} · ${layer.className}`;
}
