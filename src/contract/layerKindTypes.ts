/**
 * The types of a layer kind (src/contract/layerKinds.ts, which re-exports them): a module of their
 * own, so that the recorder's table of PyTorch classes (src/contract/pytorchOps.ts) types its kinds
 * without importing the table that reads it. Pure types.
 */

/**
 * How the deconvolution passes back through the layer (src/tfjs/deconvolution/steps.ts): the
 * transposed convolution (`conv`, `depthwise`, `separable`), unpooling (`maxPool`, `avgPool` and
 * their global forms), the activation's rectification (`rectify`, from {@link LayerKind.activation}),
 * cropping the padding off (`crop`), the identity, the adjoints of the merges (`add`, `average`,
 * `concat`) and of `reshape`. A layer without one makes the projection unavailable, naming it.
 */
export type DeconvolutionStep =
  | 'conv'
  | 'depthwise'
  | 'separable'
  | 'maxPool'
  | 'avgPool'
  | 'globalMaxPool'
  | 'globalAvgPool'
  | 'rectify'
  | 'crop'
  | 'identity'
  | 'add'
  | 'average'
  | 'concat'
  | 'reshape';

/**
 * Where the layer's activation comes from: its `activation` option (`option`: a convolution, a
 * dense layer, an `Activation` layer), or the class itself (an activation layer; its own options,
 * such as LeakyReLU's `alpha`, are read where the rectification is built, rectifier.ts).
 */
export type ActivationSource = 'option' | 'relu' | 'leakyRelu' | 'elu' | 'prelu' | 'thresholdedRelu' | 'softmax';

/**
 * How the layer's output channels relate to its input's:
 * - `perChannel`: it acts on each channel alone and keeps the channels-last layout, so entry k of its
 *   flattened output belongs to channel `k mod C` (pooling, activation layers, normalisation by
 *   channel, dropout and noise, padding, cropping, up-sampling, flatten). The ablation's
 *   mixing-layer shortcut walks through these.
 * - `movesValues`: it mixes no channels, but may change the layout (reshape, permute, …).
 * - `mixes`: anything else (convolutions, dense layers, merges, softmax, an unknown layer). Channel
 *   importance's next layer (`capacityToNext`) is the first that mixes.
 */
export type ChannelFlow = 'perChannel' | 'movesValues' | 'mixes';

/** The merges of several inputs into one, as the Network view names them. */
export type Merge = 'add' | 'average' | 'concatenate' | 'multiply' | 'subtract' | 'maximum' | 'minimum' | 'dot';

/** What the code decides by a layer's class. */
export interface LayerKind {
  /** Its deconvolution step; undefined: the deconvolution cannot pass back through it. */
  deconvolution?: DeconvolutionStep;
  /** The rank of a convolution's or pooling's window (1: `[n, T, C]` sequences, run as maps one row high). */
  spatialRank?: 1 | 2 | 3;
  /** Where its activation comes from; undefined: it has none. */
  activation?: ActivationSource;
  /** How its output channels relate to its input's (for ablation and channel importance). */
  channels: ChannelFlow;
  /**
   * Whether each output channel is a channel of its input passed on (src/service/findings/passOn.ts):
   * a dead channel there is the finding of the layer it comes from. `perChannel` layers do, as do a
   * reshape or a concatenation whose channels map 1:1 to its inputs' and an `Activation`.
   */
  passesOn: boolean;
  /** The linear map the ablation's mixing-layer shortcut computes it as (src/tfjs/mixingLayer.ts). */
  linearMap?: 'dense' | 'conv2d';
  /** Which merge of several inputs it is (the Network view names the node so); a layer of several inputs not listed is named by {@link mergeName}. */
  merge?: Merge;
  /** Whether its job is to rescale or regularise rather than to change information (no `inert-layer` finding). */
  rescales?: boolean;
  /** Whether it draws random numbers in training (two training threads would draw other masks than one). */
  random?: boolean;
  /** Whether it normalises by batch statistics in training (split batches normalise each part by its own). */
  batchStatistics?: boolean;
  /** Whether its `axis` option names its channel axis (1: channels first), when it has no `dataFormat`. */
  channelAxisOption?: boolean;
  /** Whether it is a model's input placeholder (not a layer of the run). */
  input?: boolean;
  /** Whether it is a sequential model (its layers a chain, each reading the one before). */
  sequential?: boolean;
  /**
   * For a PyTorch run's class, the Keras class that computes the same layer (`Conv2d` → `Conv2D`):
   * a comparison of a PyTorch run with a TensorFlow.js run of the same architecture pairs them
   * (webview/layerAlignment.ts, {@link comparableClass}).
   */
  keras?: string;
}
