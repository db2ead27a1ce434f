/**
 * The planner of plan.ts: the values and steps of an ONNX graph as it is walked node by node, and
 * what every op's handler (ops/*.ts) reads and makes through it. (plan.ts has the whole story:)
 *
 * An ONNX graph (a PyTorch checkpoint) as TensorFlow.js layers: the plan that src/tfjs/onnxModel.ts
 * builds a LayersModel from, so that the one engine runs an imported network as the Keras layers it
 * already knows (src/contract/layerKinds.ts). Pure: graph in, steps out.
 *
 * Each step is one Keras layer in PyTorch's own layout (channels first), with its options as
 * `tf.layers` takes them and its weights moved into TensorFlow.js's layouts (weights.ts). A step
 * that makes a value the run names (a layer of the run: a graph output of a checkpoint, docs/run-format.md)
 * carries that name; the other steps are `onnx:<node>`, parts of the network the run does not
 * record (a flatten, a padding before a convolution). Shapes are computed as the plan goes, so the
 * `x.view(x.size(0), -1)` idiom (Shape, Gather, Unsqueeze, Concat, Reshape) folds to a Flatten, and
 * explicit pads become TensorFlow's `same` where they are the same pads.
 *
 * What the engine cannot run exactly is refused with one OnnxError line naming the op, the node and
 * the layer: an op outside {@link SUPPORTED_OPS}, or an option of one that TensorFlow.js has no
 * exact equivalent of.
 */
import { OnnxError, initializerOf, type OnnxAttribute, type OnnxFloatTensor, type OnnxGraph, type OnnxNode } from './graph';
import { samePads, windowAxes, type PlanWeight, type WindowAxis } from './weights';

/** The Keras layer classes a plan uses: the engine's own, and two of src/tfjs/torchLayers.ts. */
export type PlanClass =
  | 'Conv2D'
  | 'DepthwiseConv2D'
  | 'BatchNormalization'
  | 'ReLU'
  | 'LeakyReLU'
  | 'ELU'
  | 'Activation'
  | 'Softmax'
  | 'LogSoftmax'
  | 'TorchActivation'
  | 'MaxPooling2D'
  | 'AveragePooling2D'
  | 'ZeroPadding2D'
  | 'TorchPadding2D'
  | 'ChannelSlice'
  | 'TorchLayerNorm'
  | 'ChannelScale'
  | 'TorchResize'
  | 'Flatten'
  | 'Reshape'
  | 'Permute'
  | 'Dense'
  | 'Add'
  | 'Multiply'
  | 'Concatenate';

/** Where a step reads from: another step, or the model's input. */
export type PlanSource = PlanStep | 'input';

export interface PlanStep {
  /** The Keras layer's name: the run layer's, or `onnx:<node>` for a step the run does not record. */
  name: string;
  /** Whether a run layer names it. */
  layer: boolean;
  readonly className: PlanClass;
  /** Its options as `tf.layers` takes them (camelCase), without the name. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: readonly PlanSource[];
  /** In the order `layer.setWeights` takes them. */
  readonly weights: readonly PlanWeight[];
  /** Without the batch, in the model's own layout. */
  readonly outputShape: readonly number[];
  /**
   * Its options in the channels-last twin the deconvolution walks (src/tfjs/onnxModel.ts
   * `PlanLayout`), or null where the layout changes what it computes (a flatten of a map): the
   * twin leaves it, and everything after it, out.
   */
  readonly channelsLast: Readonly<Record<string, unknown>> | null;
  /** The ONNX node it stands for (a fused step: the last of its nodes). */
  readonly node: string;
}

export interface LayerPlan {
  /** The model input's shape without the batch. */
  readonly inputShape: readonly number[];
  /** In the graph's order: each reads only steps before it. */
  readonly steps: readonly PlanStep[];
  /** The step whose value is the model's output. */
  readonly output: PlanStep;
  /**
   * The shape (without the batch) of every value of the graph that holds a layer's numbers, by its
   * name in the graph: the values the steps make, and those folded into a step (a swish's sigmoid,
   * a MatMul before its bias) with the shape of the value they stand in for. What an engine that runs
   * the graph itself reads where it needs sizes the file does not state (src/onnx/taylorModel.ts).
   */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** What a value of the graph is, as the plan goes. */
export type Value =
  /**
   * A layer's value. `channelsLast`: the graph holds it with its channels last (`x.permute(0, 2, 3, 1)`
   * of a `[C, H, W]` map, ConvNeXt's block), while the step computes it channels first, of `shape`:
   * the ops that read it there (LayerNorm, MatMul, GELU, a scale, the permute back) are planned on the
   * channels-first step, and any other refuses it ({@link Planner.tensor}).
   */
  | { kind: 'tensor'; source: PlanSource; shape: readonly number[]; channelsLast?: boolean }
  /** An integer constant or shape; null is the batch size, unknown until the model runs. */
  | { kind: 'ints'; data: readonly (number | null)[] }
  | { kind: 'floats'; tensor: OnnxFloatTensor }
  /**
   * A node folded into the one that reads it: Sigmoid or HardSigmoid into x·σ(x), MatMul into a
   * bias Add, a step of GELU's `x · 0.5 · (1 + erf(x / √2))` into the next (`stage` 1 to 4: the
   * division, the erf, the 1 +, the product with x; `node` the division, whose input is x), GELU's
   * tanh approximation up to its last product (`geluTanh`: `node` the opening x · x, arithmetic.ts), a
   * layer normalisation's `(x - mean) / sqrt(var + eps)` and then its weight (ops/normalization.ts;
   * `node` the first ReduceMean, `epsilon`, `gamma` once multiplied).
   */
  | {
      kind: 'fused';
      op: 'swish' | 'hardSwish' | 'matmul' | 'gelu' | 'geluTanh' | 'layerNorm';
      x: string;
      node: OnnxNode;
      stage?: number;
      epsilon?: number;
      gamma?: Float32Array;
    };

/** A value a layer computes. */
export type TensorValue = Extract<Value, { kind: 'tensor' }>;

export const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** What an op's handler does with one node: reads its inputs through the planner and makes its value. */
export type OpHandler = (p: Planner, node: OnnxNode) => void;

export class Planner {
  private readonly values = new Map<string, Value>();
  private readonly steps: PlanStep[] = [];
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly names = new Set<string>(['input']);
  private readonly outputs: ReadonlySet<string>;
  private readonly absorbed = new Set<OnnxNode>();

  constructor(
    private readonly graph: OnnxGraph,
    private readonly named: ReadonlyMap<string, string>,
    private readonly ops: Readonly<Record<string, OpHandler>>,
  ) {
    for (const node of graph.nodes)
      for (const input of node.inputs) if (input) this.consumers.set(input, [...(this.consumers.get(input) ?? []), node]);
    this.outputs = new Set(graph.outputs.map((o) => o.name));
  }

  run(output: string): LayerPlan {
    const input = this.modelInput();
    for (const [name, tensor] of this.graph.initializers)
      this.values.set(name, tensor.dataType === 'float32' ? { kind: 'floats', tensor } : { kind: 'ints', data: tensor.data });
    for (const node of this.graph.nodes) {
      if (this.absorbed.has(node)) continue;
      if (node.domain !== '') this.refuse(node, `an op of the domain ${node.domain}`);
      const op = Object.prototype.hasOwnProperty.call(this.ops, node.opType) ? this.ops[node.opType] : undefined;
      if (!op) this.refuse(node, `the op ${node.opType}, which CNN Slicer cannot import (docs/pytorch.md lists the ops it imports)`);
      op(this, node);
    }
    const out = this.values.get(output);
    if (out?.kind !== 'tensor' || out.source === 'input')
      throw new OnnxError(`the model's output ${output} is not computed by a layer`, 'malformed');
    for (const [value, name] of this.named) {
      const v = this.values.get(value);
      if (v?.kind !== 'tensor' || v.source === 'input' || v.source.name !== name)
        throw new OnnxError(`layer ${name}: the graph computes no value of its own for it (${value})`, 'malformed');
    }
    return { inputShape: input.shape, steps: this.steps, output: out.source, shapes: this.shapes() };
  }

  private shapes(): Map<string, readonly number[]> {
    const shapes = new Map<string, readonly number[]>();
    // A channels-last value has the graph's shape, `[H, W, C]`.
    const graphShape = (v: TensorValue) => (v.channelsLast ? [...v.shape.slice(1), v.shape[0]] : v.shape);
    for (const [name, v] of this.values) if (v.kind === 'tensor') shapes.set(name, graphShape(v));
    for (const [name, v] of this.values) {
      if (v.kind !== 'fused') continue;
      // An activation's value has its input's shape; a MatMul's (a vector by a weight), the weight's columns.
      const weight = v.op === 'matmul' ? this.values.get(v.node.inputs[1]) : undefined;
      const of = this.values.get(v.x);
      if (weight?.kind === 'floats') shapes.set(name, [weight.tensor.dims[1]]);
      else if (v.op !== 'matmul' && of?.kind === 'tensor') shapes.set(name, graphShape(of));
    }
    return shapes;
  }

  private modelInput(): { shape: readonly number[] } {
    const inputs = this.graph.inputs;
    if (inputs.length !== 1)
      throw new OnnxError(`the graph has ${inputs.length} inputs; CNN Slicer imports models of one input`, 'unsupported');
    const dims = inputs[0].shape;
    const rest = dims?.slice(1);
    if (!dims || dims.length < 2 || !rest?.every((d): d is number => typeof d === 'number' && d > 0))
      throw new OnnxError(
        `the input ${inputs[0].name} has the shape [${dims?.join(', ') ?? '?'}]; CNN Slicer needs a batch axis and fixed sizes after it`,
        'unsupported',
      );
    this.values.set(inputs[0].name, { kind: 'tensor', source: 'input', shape: rest });
    return { shape: rest };
  }

  // ---- reading a node's inputs and attributes ----

  /** The ai.onnx operator set the nodes follow. */
  get opset(): number {
    return this.graph.opset;
  }

  /** Where a message points: the run layer the node's value is, or the module its name's scope gives. */
  where(node: OnnxNode): string {
    const layer = this.named.get(node.outputs[0]);
    const scope = moduleOf(node.name);
    return `${node.opType} node ${node.name || node.outputs[0]}${layer ? ` (layer ${layer})` : scope ? ` (module ${scope})` : ''}`;
  }

  refuse(node: OnnxNode, what: string): never {
    throw new OnnxError(`${this.where(node)}: ${what}`, 'unsupported');
  }

  value(node: OnnxNode, i: number): Value {
    const name = node.inputs[i];
    const v = name ? this.values.get(name) : undefined;
    if (!v) throw new OnnxError(`${this.where(node)} reads ${name || `input ${i}`}, which no node before it makes`, 'malformed');
    return v;
  }

  /** A layer's value in the step's own layout (channels first): a channels-last one is refused. */
  tensor(node: OnnxNode, i: number): TensorValue {
    const v = this.anyTensor(node, i);
    if (v.channelsLast)
      this.refuse(
        node,
        `its input ${i} is a map with its channels last (after a permute); CNN Slicer imports there only LayerNorm, Linear, GELU, a layer scale and the permute back`,
      );
    return v;
  }

  /** A layer's value, channels last or not: for the ops that plan both (`v.channelsLast`). */
  anyTensor(node: OnnxNode, i: number): TensorValue {
    const v = this.value(node, i);
    if (v.kind !== 'tensor') this.refuse(node, `its input ${i} is a constant where the engine needs a layer's value`);
    return v;
  }

  floats(node: OnnxNode, i: number): OnnxFloatTensor {
    const v = this.value(node, i);
    if (v.kind === 'floats') return v.tensor;
    const t = v.kind === 'tensor' ? undefined : initializerOf(this.graph, node.inputs[i], node);
    if (t?.dataType !== 'float32') this.refuse(node, `its input ${i} (${node.inputs[i]}) is not a float32 constant`);
    return t;
  }

  ints(node: OnnxNode, i: number): readonly (number | null)[] {
    const v = this.value(node, i);
    if (v.kind !== 'ints') this.refuse(node, `its input ${i} (${node.inputs[i]}) is not an integer constant`);
    return v.data;
  }

  knownInts(node: OnnxNode, i: number): number[] {
    const data = this.ints(node, i);
    if (data.some((d) => d === null)) this.refuse(node, `its input ${i} depends on the batch size`);
    return data as number[];
  }

  attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
    return node.attributes.get(name);
  }

  num(node: OnnxNode, name: string, fallback: number): number {
    const a = node.attributes.get(name);
    if (a === undefined) return fallback;
    if (typeof a !== 'number') this.refuse(node, `its attribute ${name} is not a number`);
    return a;
  }

  nums(node: OnnxNode, name: string): readonly number[] | undefined {
    const a = node.attributes.get(name);
    if (a === undefined) return undefined;
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'number')) this.refuse(node, `its attribute ${name} is not a list of numbers`);
    return a;
  }

  /** The nodes that read the value. */
  readers(value: string): readonly OnnxNode[] {
    return this.consumers.get(value) ?? [];
  }

  /** Whether the value is neither a run layer nor a graph output (a fold may hide it in a step). */
  internal(value: string): boolean {
    return !this.named.has(value) && !this.outputs.has(value);
  }

  /** Nodes a fold has taken into a later node's step: the walk passes them by. */
  absorb(nodes: readonly OnnxNode[]): void {
    for (const n of nodes) this.absorbed.add(n);
  }

  /** The value `node` makes (its step's) is held channels last in the graph. */
  channelsLast(node: OnnxNode): void {
    const v = this.values.get(node.outputs[0]);
    if (v?.kind === 'tensor') this.values.set(node.outputs[0], { ...v, channelsLast: true });
  }

  /** Whether the value is read only by `reader`, and is neither a run layer nor a graph output. */
  onlyFor(value: string, reader: (n: OnnxNode) => boolean): boolean {
    const readers = this.consumers.get(value) ?? [];
    return readers.length === 1 && reader(readers[0]) && !this.named.has(value) && !this.outputs.has(value);
  }

  /** Sets what the value `name` is (a folded node, a constant computed from shapes). */
  set(name: string, v: Value): void {
    this.values.set(name, v);
  }

  // ---- making steps ----

  /** A step computing `node`'s first output. */
  step(
    node: OnnxNode,
    className: PlanClass,
    config: Record<string, unknown>,
    inputs: readonly TensorValue[],
    outputShape: readonly number[],
    weights: readonly (PlanWeight | undefined)[] = [],
    channelsLast: Record<string, unknown> | null = twinOf(config),
  ): void {
    const out = node.outputs[0];
    const layer = this.named.get(out);
    const step: PlanStep = {
      name: layer ?? this.unique(hiddenName(node.name || `${node.opType}_${this.steps.length}`)),
      layer: layer !== undefined,
      className,
      config,
      inputs: inputs.map((v) => v.source),
      weights: weights.filter((w): w is PlanWeight => w !== undefined),
      outputShape,
      channelsLast,
      node: node.name,
    };
    if (layer !== undefined) {
      if (this.names.has(layer)) throw new OnnxError(`layer ${layer} is named twice in the graph`, 'malformed');
      this.names.add(layer);
    }
    this.steps.push(step);
    this.values.set(out, { kind: 'tensor', source: step, shape: outputShape });
  }

  /** A step no run layer names, before `node`'s own (a padding): its value. */
  helper(
    node: OnnxNode,
    suffix: string,
    className: PlanClass,
    config: Record<string, unknown>,
    input: TensorValue,
    shape: number[],
    channelsLast: Record<string, unknown> | null = twinOf(config),
  ): TensorValue {
    const step: PlanStep = {
      name: this.unique(hiddenName(`${node.name || node.opType}/${suffix}`)),
      layer: false,
      className,
      config,
      inputs: [input.source],
      weights: [],
      outputShape: shape,
      channelsLast,
      node: node.name,
    };
    this.steps.push(step);
    return { kind: 'tensor' as const, source: step, shape };
  }

  /** The value `node` makes is the value `v` (Identity, Dropout at inference, a no-op reshape). */
  alias(node: OnnxNode, v: Value): void {
    const out = node.outputs[0];
    const layer = this.named.get(out);
    if (layer !== undefined && v.kind === 'tensor') {
      if (v.source !== 'input' && !v.source.layer) {
        // The first name a hidden step gets is a run layer's.
        if (this.names.has(layer)) throw new OnnxError(`layer ${layer} is named twice in the graph`, 'malformed');
        this.names.add(layer);
        v.source.name = layer;
        v.source.layer = true;
      } else {
        // A second name for one value: a step of its own that passes it on.
        this.step(node, 'Activation', { activation: 'linear' }, [v], v.shape);
        return;
      }
    }
    this.values.set(out, v);
  }

  /** A padding step before a window when its pads are not TensorFlow's `same`: zeros, or −∞ for a max. */
  padded(node: OnnxNode, x: TensorValue, axes: readonly WindowAxis[], fill: 'zero' | 'min'): TensorValue {
    const padding = axes.map((a) => [a.before, a.after]);
    const shape = [x.shape[0], ...axes.map((a) => a.size + a.before + a.after)];
    return fill === 'zero'
      ? this.helper(node, 'pad', 'ZeroPadding2D', { padding, dataFormat: 'channelsFirst' }, x, shape)
      : this.helper(node, 'pad', 'TorchPadding2D', { padding, fill: 'min' }, x, shape, { padding, fill: 'min', channelsLast: true });
  }

  private unique(name: string): string {
    let candidate = name;
    for (let k = 2; this.names.has(candidate); k++) candidate = `${name}_${k}`;
    this.names.add(candidate);
    return candidate;
  }

  /** A window node's spatial axes on a `[C, H, W]` value, with `auto_pad` read. */
  axes(node: OnnxNode, x: TensorValue, kernel: readonly number[]): WindowAxis[] {
    if (x.shape.length !== 3)
      this.refuse(node, `its input has the shape [${x.shape.join(', ')}]; CNN Slicer imports 2-D windows on [C, H, W] values`);
    const strides = this.nums(node, 'strides');
    const dilations = this.nums(node, 'dilations');
    const autoPad = this.attr(node, 'auto_pad') ?? 'NOTSET';
    let pads = this.nums(node, 'pads');
    const spatial = x.shape.slice(1);
    if (autoPad === 'VALID') pads = undefined;
    else if (autoPad === 'SAME_UPPER') {
      const same = spatial.map((size, d) =>
        samePads({ size, kernel: kernel[d], stride: strides?.[d] ?? 1, dilation: dilations?.[d] ?? 1 }),
      );
      pads = [...same.map((p) => p[0]), ...same.map((p) => p[1])];
    } else if (autoPad !== 'NOTSET') this.refuse(node, `auto_pad ${typeof autoPad === 'string' ? autoPad : '(not a string)'}`);
    return windowAxes(spatial, kernel, strides, dilations, pads);
  }
}

/** A step's options with the channel axis last: a `dataFormat` swapped; options that name no layout stay. */
export function twinOf(config: Record<string, unknown>): Record<string, unknown> {
  return config.dataFormat === 'channelsFirst' ? { ...config, dataFormat: 'channelsLast' } : config;
}

/**
 * The Keras name of a step no run layer names: `onnx/` and the node's name, with what a tfjs tensor
 * name cannot hold (anything but letters, digits, `-`, `.`, `_` and `/`) as `_`.
 */
export function hiddenName(node: string): string {
  return `onnx/${node.replace(/^\/+/, '')}`.replace(/[^-A-Za-z0-9._/]/g, '_');
}

export const broadcast = (a: readonly number[], b: readonly number[]): number[] | undefined => {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
};

/**
 * The module path a torch 1.13 node name gives: `/layer1/layer1.0/conv1/Conv` → `layer1.0.conv1`.
 * Each segment is a local name, and a child of a container is written `<container>.<index>`: a
 * segment that starts with the one before it and a dot adds only its suffix.
 */
export function moduleOf(nodeName: string): string {
  const segments = nodeName.split('/').filter(Boolean).slice(0, -1);
  let path = '';
  let previous = '';
  for (const s of segments) {
    path = previous && s.startsWith(`${previous}.`) ? path + s.slice(previous.length) : path ? `${path}.${s}` : s;
    previous = s;
  }
  return path;
}
