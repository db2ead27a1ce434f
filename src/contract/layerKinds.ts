/**
 * The one table of layer kinds: per Keras / TensorFlow.js layer class (`layer.getClassName()`, a
 * run's `RunLayer.className`, a Keras model.json's `class_name`), everything the code decides by
 * the class of a layer. No other module lists layer class names: the deconvolution
 * (src/tfjs/deconvolution/steps.ts, rectifier.ts), the ablation and its mixing-layer shortcut
 * (src/service/ablation.ts, src/tfjs/mixingLayer.ts), the findings (src/service/findings/passOn.ts,
 * layerRules.ts), the network graph's merges (src/service/handlers/networkGraph.ts) and the
 * recorder (two-thread training, channels-first layers, output kinds, input layers) read it, or
 * branch on a kind it gives (test/unit/repository/layerClassNames.test.ts fails on a class name
 * compared anywhere else). The PyTorch importer's ONNX mapping will map ONNX ops onto these kinds
 * too, so that an imported layer behaves as the Keras layer it stands for.
 *
 * Pure data: no tfjs, no Node, no vscode — the extension host, the service, the recorder and the
 * webviews may all read it.
 *
 * Adding a layer type (docs/layers.md "Adding a layer type"): add one entry under its class name,
 * saying what each field below says of it; a field left out takes the value of a layer the code
 * knows nothing about ({@link UNKNOWN_LAYER}: mixes its channels, passes no finding on, no
 * deconvolution step). When the layer needs a new deconvolution step, add the step kind to
 * `DeconvolutionStep` (layerKindTypes.ts) and the TypeScript compiler lists every switch that must handle it.
 * Then add its row to docs/layers.md, and a fixture model for it (test/fixtures/models/block*.ts).
 */

import type { LayerKind } from './layerKindTypes';
import { recordedClasses } from './pytorchOps';

/** What a layer class not in the table is taken for: it mixes its channels, passes nothing on, has no deconvolution step. */
export const UNKNOWN_LAYER: LayerKind = Object.freeze({ channels: 'mixes', passesOn: false });

const PER_CHANNEL = { channels: 'perChannel', passesOn: true } as const;
const MIXES = { channels: 'mixes', passesOn: false } as const;
const MOVES = { channels: 'movesValues', passesOn: false } as const;
/** Dropout and noise: the identity at inference, random in training. */
const DROPOUT = { ...PER_CHANNEL, rescales: true, random: true } as const;
const ACTIVATION_LAYER = { ...PER_CHANNEL, deconvolution: 'rectify' } as const;

/** Every layer class the code knows, by class name. */
const LAYER_KINDS: Readonly<Record<string, LayerKind>> = {
  InputLayer: { ...MIXES, input: true },
  Sequential: { ...MIXES, sequential: true },

  Conv1D: { ...MIXES, deconvolution: 'conv', spatialRank: 1, activation: 'option' },
  Conv2D: { ...MIXES, deconvolution: 'conv', spatialRank: 2, activation: 'option', linearMap: 'conv2d' },
  DepthwiseConv2D: { ...MIXES, deconvolution: 'depthwise', spatialRank: 2, activation: 'option' },
  SeparableConv2D: { ...MIXES, deconvolution: 'separable', spatialRank: 2, activation: 'option' },
  Dense: { ...MIXES, activation: 'option', linearMap: 'dense' },

  MaxPooling1D: { ...PER_CHANNEL, deconvolution: 'maxPool', spatialRank: 1 },
  MaxPooling2D: { ...PER_CHANNEL, deconvolution: 'maxPool', spatialRank: 2 },
  MaxPooling3D: { ...PER_CHANNEL, spatialRank: 3 },
  AveragePooling1D: { ...PER_CHANNEL, deconvolution: 'avgPool', spatialRank: 1 },
  AveragePooling2D: { ...PER_CHANNEL, deconvolution: 'avgPool', spatialRank: 2 },
  AveragePooling3D: { ...PER_CHANNEL, spatialRank: 3 },
  GlobalMaxPooling1D: { ...PER_CHANNEL, deconvolution: 'globalMaxPool', spatialRank: 1 },
  GlobalMaxPooling2D: { ...PER_CHANNEL, deconvolution: 'globalMaxPool', spatialRank: 2 },
  GlobalMaxPooling3D: { ...PER_CHANNEL, spatialRank: 3 },
  GlobalAveragePooling1D: { ...PER_CHANNEL, deconvolution: 'globalAvgPool', spatialRank: 1 },
  GlobalAveragePooling2D: { ...PER_CHANNEL, deconvolution: 'globalAvgPool', spatialRank: 2 },
  GlobalAveragePooling3D: { ...PER_CHANNEL, spatialRank: 3 },

  // `Activation` may be a softmax, which mixes: it only moves values for the ablation's shortcut.
  Activation: { ...MOVES, passesOn: true, deconvolution: 'rectify', activation: 'option' },
  ReLU: { ...ACTIVATION_LAYER, activation: 'relu' },
  LeakyReLU: { ...ACTIVATION_LAYER, activation: 'leakyRelu' },
  ELU: { ...ACTIVATION_LAYER, activation: 'elu' },
  PReLU: { ...ACTIVATION_LAYER, activation: 'prelu' },
  ThresholdedReLU: { ...ACTIVATION_LAYER, activation: 'thresholdedRelu' },
  Softmax: { ...MIXES, deconvolution: 'rectify', activation: 'softmax' },

  BatchNormalization: { ...PER_CHANNEL, deconvolution: 'identity', rescales: true, batchStatistics: true, channelAxisOption: true },
  LayerNormalization: { ...MIXES, rescales: true },
  Dropout: { ...DROPOUT, deconvolution: 'identity' },
  SpatialDropout1D: { ...DROPOUT, deconvolution: 'identity' },
  SpatialDropout2D: { ...DROPOUT, deconvolution: 'identity' },
  SpatialDropout3D: DROPOUT,
  GaussianNoise: { ...DROPOUT, deconvolution: 'identity' },
  GaussianDropout: { ...DROPOUT, deconvolution: 'identity' },
  AlphaDropout: { ...DROPOUT, deconvolution: 'identity' },

  ZeroPadding1D: PER_CHANNEL,
  ZeroPadding2D: { ...PER_CHANNEL, deconvolution: 'crop' },
  ZeroPadding3D: PER_CHANNEL,
  Cropping1D: PER_CHANNEL,
  Cropping2D: PER_CHANNEL,
  Cropping3D: PER_CHANNEL,
  UpSampling1D: PER_CHANNEL,
  UpSampling2D: PER_CHANNEL,
  UpSampling3D: PER_CHANNEL,
  Flatten: PER_CHANNEL,
  Reshape: { ...MOVES, passesOn: true, deconvolution: 'reshape' },
  Permute: MOVES,
  RepeatVector: MOVES,

  Add: { ...MIXES, deconvolution: 'add', merge: 'add' },
  Average: { ...MIXES, deconvolution: 'average', merge: 'average' },
  Concatenate: { ...MIXES, passesOn: true, deconvolution: 'concat', merge: 'concatenate' },
  Multiply: { ...MIXES, merge: 'multiply' },
  Subtract: { ...MIXES, merge: 'subtract' },
  Maximum: { ...MIXES, merge: 'maximum' },
  Minimum: { ...MIXES, merge: 'minimum' },
  Dot: { ...MIXES, merge: 'dot' },

  // The Keras classes of src/tfjs/torchLayers.ts, which imported PyTorch checkpoints use.
  TorchActivation: PER_CHANNEL,
  LogSoftmax: MIXES,
  TorchPadding2D: { ...PER_CHANNEL, deconvolution: 'crop' },
  // Channels begin.. of its input: channel c is the input's channel begin + c.
  ChannelSlice: MIXES,
  // A layer normalisation over the channels of each position (ConvNeXt's LayerNorm), and a layer scale.
  TorchLayerNorm: { ...MIXES, rescales: true },
  ChannelScale: { ...PER_CHANNEL, rescales: true },
  // F.interpolate, nn.Upsample: nearest or bilinear, each channel resampled alone.
  TorchResize: PER_CHANNEL,
};

/**
 * The classes of PyTorch runs' layers (docs/run-format.md "PyTorch runs"): a module's class
 * (`Conv2d`, `BatchNorm2d`) or the name of a functional op in `forward()` (`relu`, `add`, `cat`),
 * read from the recorder's table (src/contract/pytorchOps.ts), each with the kind of the Keras
 * layer its ONNX op imports as (src/onnx/plan.ts); a class with a Keras class of the same name
 * (`ReLU`, `Softmax`) takes that class's kind. The engine's model of the checkpoint is made of
 * those Keras layers, so only decisions read from a run's `className` (channel flow, passing on,
 * rescaling, the views' words) reach this part.
 */
const PYTORCH_LAYER_KINDS: Readonly<Record<string, LayerKind>> = Object.fromEntries(
  recordedClasses().flatMap(([name, entry]) => (entry.kind ? [[name, entry.kind]] : [])),
);

/** The views' words of PyTorch run classes whose name's family pattern (below) does not give them. */
const PYTORCH_WORDS: Readonly<Record<string, string>> = Object.fromEntries(
  recordedClasses().flatMap(([name, entry]) => (entry.word ? [[name, entry.word]] : [])),
);

const own = (table: Readonly<Record<string, unknown>>, name: string) => Object.prototype.hasOwnProperty.call(table, name);

/** The kind of layer class `className` (a Keras class, or a PyTorch run's), or {@link UNKNOWN_LAYER} for a class not in the table. */
export function layerKind(className: string): LayerKind {
  if (own(LAYER_KINDS, className)) return LAYER_KINDS[className];
  return own(PYTORCH_LAYER_KINDS, className) ? PYTORCH_LAYER_KINDS[className] : UNKNOWN_LAYER;
}

/**
 * The class a comparison of runs pairs layers by: a PyTorch run's class as the Keras class that
 * computes the same layer (`Conv2d`, `Linear`, `MaxPool2d` / `max_pool2d` → `Conv2D`, `Dense`,
 * `MaxPooling2D`), any other class as it is.
 */
export function comparableClass(className: string): string {
  return (
    (own(PYTORCH_LAYER_KINDS, className) && !own(LAYER_KINDS, className) ? PYTORCH_LAYER_KINDS[className].keras : undefined) ?? className
  );
}

/** Every Keras class in the table, in its order. */
export function layerClassNames(): string[] {
  return Object.keys(LAYER_KINDS);
}

/** Every PyTorch run class in the table, in its order. */
export function pytorchLayerClassNames(): string[] {
  return Object.keys(PYTORCH_LAYER_KINDS);
}

/**
 * The short word of a layer class that the views number layers by ("conv2", "pool1",
 * src/contract/layerLabel.ts), by pattern so that a class not in the table is named as its family
 * (`Conv3D` → conv); a class no pattern matches uses its own name in lower case.
 */
const LAYER_WORDS: [RegExp, string][] = [
  [/^InputLayer$/, 'input'],
  [/Conv/, 'conv'],
  [/Pool|pool/, 'pool'],
  [/^Dense$/, 'dense'],
  [/^Flatten$/, 'flatten'],
  [/Dropout/, 'dropout'],
  [/^BatchNormalization$/, 'bn'],
  [/^LayerNormalization$/, 'ln'],
  [/Activation|^ReLU$|^LeakyReLU$|^Softmax$|^LogSoftmax$|^ELU$|^PReLU$/, 'act'],
  [/^Concatenate$/, 'concat'],
  [/^Embedding$/, 'embed'],
  [/Padding/, 'pad'],
  [/UpSampling|^TorchResize$/, 'up'],
];

/** The short word the views name a layer of class `className` by ('MaxPooling2D' → 'pool'). */
export function layerWord(className: string): string {
  if (own(PYTORCH_WORDS, className)) return PYTORCH_WORDS[className];
  return LAYER_WORDS.find(([re]) => re.test(className))?.[1] ?? className.toLowerCase();
}

/** Whether `className` is a convolution of any kind (by its name: `Conv2D`, `DepthwiseConv2D`, `Conv3D`, …), for the views' defaults. */
export function isConvolution(className: string): boolean {
  return /conv/i.test(className);
}

/** The name of a layer of several inputs as a merge ('Add' → 'add'; a class not listed: its name with a lower-case first letter). */
export function mergeName(className: string): string {
  return layerKind(className).merge ?? className.charAt(0).toLowerCase() + className.slice(1);
}
