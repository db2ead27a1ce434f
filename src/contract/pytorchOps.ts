/**
 * What the PyTorch recorder (python/cnn_slicer) records of a model, defined once for both languages:
 * the torch.nn classes (a layer, a pass-through or a container), the functional ops that are layers
 * (by the names torch dispatches them under), the functions that pass or read metadata, and the
 * options a run records of a layer. Each layer class's engine kind is here too, so that
 * `layerKinds.ts` reads the PyTorch classes from this table.
 *
 * `scripts/contract-json.mjs` writes it, with the recording defaults, the loss's clamp, the control's
 * seed streams and known answers (`sharedContract.ts`), to python/cnn_slicer/contract.json, which the
 * recorder loads (ops.py builds its tables from it; trace.py, layers.py read them); the Python model scan
 * (src/extension/detection/pythonOps.ts) imports this module. Only what the engine imports exactly
 * (src/onnx/plan.ts, docs/pytorch.md) is a layer. Pure: no I/O.
 */
import type { LayerKind } from './layerKindTypes';

/**
 * The options a run records of a layer module or functional op (python/cnn_slicer/trace.py
 * `recorded_options`), by its Python parameters: the parameter names in positional order, and which
 * recorded `args` and `units` each gives. The Python model scan reads the same options from a call's
 * literal arguments (pythonOps.ts `literalOptions`).
 */
export interface ArgSpec {
  params: readonly string[];
  /** The parameter whose literal is the output's width (`units` of a detected layer; the scan's alone). */
  units?: string;
  /** Recorded arg → parameter. */
  args: Readonly<Record<string, string>>;
  /** Recorded arg → its value when the call does not give the parameter (or gives `None`): a number, or another recorded arg's. */
  defaults?: Readonly<Record<string, number | { same: string }>>;
  /** Recorded args that are `[height, width]` pairs: the recorder writes a number n as `[n, n]`. */
  pairs?: readonly string[];
}

/** A torch.nn class: a layer (opaque: its forward() is not looked into), a pass-through or a container (scopes whose ops are checked). */
export type ModuleRole = 'layer' | 'pass' | 'container';

export interface PytorchModule {
  role: ModuleRole;
  /**
   * A layer's engine kind (the kind of the Keras layer its ONNX op imports as). Absent for a class
   * that has a Keras class of the same name (`ReLU`, `ELU`, `Softmax`): the run's className is
   * then that class, whose kind `layerKinds.ts` holds.
   */
  kind?: LayerKind;
  /** The short word the views number its layers by (src/contract/layerLabel.ts), where its name's family pattern does not give it. */
  word?: string;
  /** A subclass of another class of the table, recorded as that class (its `isinstance`): its className is the base's. */
  recordedAs?: string;
  /** It may read a value with its channels last (`x.permute(0, 2, 3, 1)`): it computes along the channels or on each value alone. */
  channelsLast?: true;
  /** The options a run records of it. */
  options?: ArgSpec;
  /** Its value is class probabilities: a model whose last layer it is outputs softmax scores (the run's output `kind`), else logits. */
  probabilities?: true;
}

export interface PytorchOp {
  kind: LayerKind;
  word?: string;
  /**
   * The names torch dispatches it under (`F.relu`, `torch.relu` and `Tensor.relu` as `relu`; `a + b`
   * as `__add__`, `a += b` as `__iadd__`); none for an op recorded from another's call (`layer_scale`).
   */
  dispatch: readonly string[];
  channelsLast?: true;
  /** Its dispatch names (but the operators') are methods of torch.Tensor too: `x.relu()`, `out.add_(y)` (the Python scan finds them so). */
  tensorMethod?: true;
  /** The position of the `inplace` flag among `F.<op>`'s parameters: the recorder computes the op out of place, so that the layer before keeps its value. */
  inplaceAt?: number;
  /** Recorded only of two tensors of more than one value (`x + 1` is refused). */
  twoTensors?: true;
  /** Recorded only over the spatial axes of a `[N, C, H, W]` value (a global pooling, `x.mean([2, 3])`). */
  spatialReduction?: true;
  /** It cuts a value along the channels: each piece is a layer of its own (`chunk`, `chunk-2`, …). */
  channelPieces?: true;
  options?: ArgSpec;
  probabilities?: true;
}

const PER_CHANNEL = { channels: 'perChannel', passesOn: true } as const;
const MIXES = { channels: 'mixes', passesOn: false } as const;
const ACT = { kind: PER_CHANNEL, word: 'act', channelsLast: true } as const;

const POOL_MODULE: ArgSpec = {
  params: ['kernel_size', 'stride'],
  args: { poolSize: 'kernel_size', strides: 'stride' },
  defaults: { strides: { same: 'poolSize' } },
  pairs: ['poolSize', 'strides'],
};
const POOL_FUNCTION: ArgSpec = { ...POOL_MODULE, params: ['input', 'kernel_size', 'stride'] };
const BATCH_NORM: PytorchModule = {
  role: 'layer',
  kind: { ...PER_CHANNEL, rescales: true, keras: 'BatchNormalization' },
  word: 'bn',
  options: { params: ['num_features'], units: 'num_features', args: {} },
};

/** The torch.nn classes, by class name (a layer's is its run className), in the order the recorder tries them. */
export const PYTORCH_MODULES: Readonly<Record<string, PytorchModule>> = {
  Conv2d: {
    role: 'layer',
    kind: { ...MIXES, spatialRank: 2, keras: 'Conv2D' },
    options: {
      params: ['in_channels', 'out_channels', 'kernel_size', 'stride'],
      units: 'out_channels',
      args: { filters: 'out_channels', kernelSize: 'kernel_size', strides: 'stride' },
      defaults: { strides: 1 },
      pairs: ['kernelSize', 'strides'],
    },
  },
  Linear: {
    role: 'layer',
    kind: { ...MIXES, keras: 'Dense' },
    word: 'dense',
    channelsLast: true,
    options: { params: ['in_features', 'out_features'], units: 'out_features', args: { units: 'out_features' } },
  },
  BatchNorm1d: BATCH_NORM,
  BatchNorm2d: BATCH_NORM,
  // Over the channels of each position (ConvNeXt's, channels first or after a permute to channels last): trace.py checks the axis.
  LayerNorm: { role: 'layer', kind: { ...MIXES, rescales: true, keras: 'LayerNormalization' }, word: 'ln', channelsLast: true },
  ReLU: { role: 'layer', word: 'act', channelsLast: true },
  ReLU6: { role: 'layer', ...ACT },
  LeakyReLU: { role: 'layer', word: 'act', channelsLast: true },
  ELU: { role: 'layer', word: 'act', channelsLast: true },
  Sigmoid: { role: 'layer', ...ACT },
  Tanh: { role: 'layer', ...ACT },
  Hardswish: { role: 'layer', ...ACT },
  Hardsigmoid: { role: 'layer', ...ACT },
  SiLU: { role: 'layer', ...ACT },
  // Exact or tanh (trace.py checks the approximation); named by its own word.
  GELU: { role: 'layer', kind: PER_CHANNEL, channelsLast: true },
  Softmax: { role: 'layer', word: 'act', probabilities: true },
  LogSoftmax: { role: 'layer', word: 'act' },
  MaxPool2d: { role: 'layer', kind: { ...PER_CHANNEL, spatialRank: 2, keras: 'MaxPooling2D' }, options: POOL_MODULE },
  AvgPool2d: { role: 'layer', kind: { ...PER_CHANNEL, spatialRank: 2, keras: 'AveragePooling2D' }, options: POOL_MODULE },
  AdaptiveAvgPool2d: { role: 'layer', kind: { ...PER_CHANNEL, spatialRank: 2 } },
  AdaptiveMaxPool2d: { role: 'layer', kind: { ...PER_CHANNEL, spatialRank: 2 } },
  // Nearest or bilinear on a [N, C, H, W] map (trace.py checks the mode).
  Upsample: { role: 'layer', kind: { ...PER_CHANNEL, keras: 'UpSampling2D' }, word: 'up' },
  UpsamplingNearest2d: { role: 'layer', recordedAs: 'Upsample' },
  UpsamplingBilinear2d: { role: 'layer', recordedAs: 'Upsample' },

  // Not layers: what they compute inside is checked like any forward().
  Dropout: { role: 'pass' },
  Dropout1d: { role: 'pass' },
  Dropout2d: { role: 'pass' },
  AlphaDropout: { role: 'pass' },
  Identity: { role: 'pass' },
  Flatten: { role: 'pass' },

  // Scopes, never layers.
  Sequential: { role: 'container' },
  ModuleList: { role: 'container' },
  ModuleDict: { role: 'container' },
};

/** The functional ops that are layers, by the op name a run records as the layer's className (`<scope>.<op>`). */
export const PYTORCH_OPS: Readonly<Record<string, PytorchOp>> = {
  relu: { ...ACT, dispatch: ['relu', 'relu_'], tensorMethod: true, inplaceAt: 1 },
  relu6: { ...ACT, dispatch: ['relu6'], inplaceAt: 1 },
  leaky_relu: { ...ACT, dispatch: ['leaky_relu', 'leaky_relu_'], inplaceAt: 2 },
  elu: { ...ACT, dispatch: ['elu', 'elu_'], inplaceAt: 2 },
  sigmoid: { ...ACT, dispatch: ['sigmoid', 'sigmoid_'], tensorMethod: true },
  tanh: { ...ACT, dispatch: ['tanh', 'tanh_'], tensorMethod: true },
  hardswish: { ...ACT, dispatch: ['hardswish'], inplaceAt: 1 },
  hardsigmoid: { ...ACT, dispatch: ['hardsigmoid'], inplaceAt: 1 },
  silu: { ...ACT, dispatch: ['silu'], inplaceAt: 1 },
  gelu: { kind: PER_CHANNEL, dispatch: ['gelu'], channelsLast: true },
  // Over the channels only (trace.py checks the axis, as for the LayerNorm module).
  layer_norm: { kind: { ...MIXES, rescales: true, keras: 'LayerNormalization' }, dispatch: ['layer_norm'], channelsLast: true },
  softmax: { kind: MIXES, word: 'act', dispatch: ['softmax'], tensorMethod: true, probabilities: true },
  log_softmax: { kind: MIXES, word: 'act', dispatch: ['log_softmax'], tensorMethod: true },
  max_pool2d: { kind: { ...PER_CHANNEL, spatialRank: 2, keras: 'MaxPooling2D' }, dispatch: ['max_pool2d'], options: POOL_FUNCTION },
  avg_pool2d: { kind: { ...PER_CHANNEL, spatialRank: 2, keras: 'AveragePooling2D' }, dispatch: ['avg_pool2d'], options: POOL_FUNCTION },
  adaptive_avg_pool2d: { kind: { ...PER_CHANNEL, spatialRank: 2 }, dispatch: ['adaptive_avg_pool2d'] },
  adaptive_max_pool2d: { kind: { ...PER_CHANNEL, spatialRank: 2 }, dispatch: ['adaptive_max_pool2d'] },
  // x.mean([2, 3]), x.amax((2, 3)): a global pooling (trace.py refuses other axes).
  mean: { kind: { ...PER_CHANNEL, keras: 'GlobalAveragePooling2D' }, dispatch: ['mean'], tensorMethod: true, spatialReduction: true },
  amax: { kind: { ...PER_CHANNEL, keras: 'GlobalMaxPooling2D' }, dispatch: ['amax'], tensorMethod: true, spatialReduction: true },
  // F.interpolate, nearest or bilinear on a [N, C, H, W] map (trace.py refuses other modes).
  interpolate: { kind: { ...PER_CHANNEL, keras: 'UpSampling2D' }, word: 'up', dispatch: ['interpolate'] },
  add: {
    kind: { ...MIXES, merge: 'add', keras: 'Add' },
    dispatch: ['add', 'add_', '__add__', '__radd__', '__iadd__'],
    channelsLast: true,
    tensorMethod: true,
    twoTensors: true,
  },
  mul: {
    kind: { ...MIXES, merge: 'multiply', keras: 'Multiply' },
    dispatch: ['mul', 'mul_', '__mul__', '__rmul__', '__imul__'],
    channelsLast: true,
    tensorMethod: true,
    twoTensors: true,
  },
  // `gamma * x` by a tensor without the batch axis, one value a channel (ConvNeXt's layer scale): a `mul` recorded so.
  layer_scale: { kind: { ...PER_CHANNEL, rescales: true, keras: 'ChannelScale' }, dispatch: [], channelsLast: true },
  cat: { kind: { ...MIXES, passesOn: true, merge: 'concatenate', keras: 'Concatenate' }, word: 'concat', dispatch: ['cat', 'concat'] },
  // Along the channels only (trace.py refuses other axes): each piece is a layer of its own.
  chunk: { kind: { ...MIXES, keras: 'ChannelSlice' }, dispatch: ['chunk'], tensorMethod: true, channelPieces: true },
  split: { kind: { ...MIXES, keras: 'ChannelSlice' }, dispatch: ['split'], tensorMethod: true, channelPieces: true },
  // A channel slice `x[:, a:b]` (trace.py refuses any other index).
  slice: { kind: { ...MIXES, keras: 'ChannelSlice' }, dispatch: ['__getitem__'] },
};

/** Functions the engine imports that are not layers: reshaping, dropout, and the functional linear, convolution and batch norm inside a module. */
export const PYTORCH_PASS_FUNCTIONS: readonly string[] = [
  'view',
  'reshape',
  'flatten',
  'permute',
  'transpose',
  'contiguous',
  'dropout',
  'dropout1d',
  'dropout2d',
  'feature_dropout',
  'alpha_dropout',
  'feature_alpha_dropout',
  'linear',
  'conv2d',
  'batch_norm',
];

/** Reads that compute nothing. */
export const PYTORCH_METADATA: readonly string[] = [
  'size',
  'dim',
  'numel',
  '__get__',
  '__len__',
  'is_floating_point',
  'is_contiguous',
  '__format__',
  '__repr__',
];

/** The modes of a resampling the engine imports (ONNX Resize, src/onnx/ops/resize.ts). */
export const RESAMPLE_MODES: readonly string[] = ['nearest', 'bilinear'];

const own = <T>(table: Readonly<Record<string, T>>, name: string): boolean => Object.prototype.hasOwnProperty.call(table, name);

/** The className a run records of a layer module of class `name` (a subclass as its base), or undefined when it is not a layer. */
export function recordedModuleClass(name: string): string | undefined {
  if (!own(PYTORCH_MODULES, name) || PYTORCH_MODULES[name].role !== 'layer') return undefined;
  return PYTORCH_MODULES[name].recordedAs ?? name;
}

/** Every className a PyTorch run's layer may have (the layer modules' and the ops'), with its entry. */
export function recordedClasses(): [string, PytorchModule | PytorchOp][] {
  const modules = Object.entries(PYTORCH_MODULES).filter(([, m]) => m.role === 'layer' && m.recordedAs === undefined);
  return [...modules, ...Object.entries(PYTORCH_OPS)];
}

/** The op a name torch dispatches under records (`relu_` → `relu`, `__iadd__` → `add`), if it is a layer. */
export function dispatchedOp(name: string): string | undefined {
  for (const [op, entry] of Object.entries(PYTORCH_OPS)) if (entry.dispatch.includes(name)) return op;
  return undefined;
}
