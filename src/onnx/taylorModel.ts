/**
 * The Taylor estimate of a PyTorch checkpoint as one ONNX model, for the native engine
 * (src/native/nativeTaylor.ts; docs/estimators.md "The Taylor estimate"): the checkpoint's own
 * forward graph, then the backward pass of its loss, node by node, written out as ONNX nodes, and per
 * target layer `a` the sums `Σ_inputs Σ_positions a · ∂loss/∂a` per channel. ONNX Runtime has no
 * automatic differentiation in its Node package, so the gradient of each op the checkpoints use is
 * stated here, as PyTorch's autograd computes it (each rule is one line below); an op outside them on
 * the way from a target to the loss is refused with an OnnxError, and the engine computes the
 * estimate on TensorFlow.js instead (src/tfjs/taylor.ts), to the same definition.
 *
 * The model reads the checkpoint's input and the labels (`[N, K]` one-hot float32, `[N, 1]` of 0/1
 * for a binary output), and writes one float64 `[C]` per target: the products `a · ∂loss/∂a` are
 * float32 (the backend's), their sums float64. The loss is the recorder's (src/analysis/predictions.ts):
 * `Σ_x −ln max(p(label), 1e-7)` of the class scores the output gives; where the clamp holds its
 * gradient is 0 (a `≥` test, as TensorFlow.js's maximum passes its gradient at equality).
 *
 * Only the nodes between a target and the loss get a backward rule: the way from the input to the
 * first target, and every shape computation, are forward only. Pure: a decoded graph in, bytes out.
 */
import type { ScoreKind } from '../analysis/predictions';
import { onnxModelType } from './decode';
import { initializerOf, OnnxError, type OnnxGraph, type OnnxNode } from './graph';
import { Builder, constant, cropPads, DATA_SLOTS, DOUBLE, FLOAT, num, nums, spreadOverWindows, where, windows, type Attr } from './builder';

/** The graph input of the labels. */
export const TAYLOR_LABELS = 'cnn_slicer/labels';

/** The graph output of target `k`'s sums. */
export const taylorSumsName = (k: number): string => `cnn_slicer/taylor_${k}`;

/** A layer whose channels are estimated: its value in the graph, and which axis of `[N, ...shape]` is its channels. */
export interface TaylorTarget {
  readonly value: string;
  readonly axis: number;
}

export interface TaylorModelSpec {
  readonly targets: readonly TaylorTarget[];
  /** The value whose class scores the loss reads, and how (src/analysis/predictions.ts `classScores`). */
  readonly output: { readonly value: string; readonly kind: ScoreKind };
  /** Each layer value's shape without the batch (src/onnx/planner.ts `LayerPlan.shapes`). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** What the model reads and writes besides the checkpoint's input. */
export interface TaylorModel {
  readonly bytes: Uint8Array;
  /** The labels' width: the classes, or 1 for a binary output. */
  readonly labelWidth: number;
}

/** The loss's clamp (src/analysis/predictions.ts LOSS_EPSILON). */
const EPSILON = 1e-7;

type Rule = (b: Builder, node: OnnxNode, g: string, wanted: readonly boolean[]) => (string | undefined)[];

/**
 * The model's bytes: `graph` (decoded from `bytes`, the checkpoint's file) with the backward pass of
 * its loss and the targets' sums.
 * @throws OnnxError ('unsupported') naming the first node on the way back whose gradient the engine
 * does not state, or a target the loss does not read.
 */
export function taylorModel(bytes: Uint8Array, graph: OnnxGraph, spec: TaylorModelSpec): TaylorModel {
  if (graph.opset < 13) throw new OnnxError(`opset ${graph.opset}: the native Taylor estimate needs opset 13 or later`, 'unsupported');
  const b = new Builder(graph, spec.shapes);
  const producer = new Map<string, OnnxNode>();
  for (const node of graph.nodes) for (const o of node.outputs) if (o) producer.set(o, node);
  // The values that depend on a target, through the slots that carry values.
  const varies = new Set(spec.targets.map((t) => t.value));
  for (const node of graph.nodes) {
    const slots = DATA_SLOTS[node.opType] ?? node.inputs.map((_, k) => k);
    if (slots.some((k) => node.inputs[k] && varies.has(node.inputs[k]))) for (const o of node.outputs) if (o) varies.add(o);
  }
  // The values the loss reads, from the output back.
  const read = new Set<string>([spec.output.value]);
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const node = graph.nodes[k];
    if (node.outputs.some((o) => read.has(o))) for (const i of node.inputs) if (i) read.add(i);
  }
  for (const t of spec.targets)
    if (!read.has(t.value)) throw new OnnxError(`the loss does not read ${t.value}: it has no Taylor estimate`, 'unsupported');

  const { gradient, labelWidth } = lossGradient(b, spec);
  const contributions = new Map<string, string[]>([[spec.output.value, [gradient]]]);
  const total = (value: string): string | undefined => {
    const parts = contributions.get(value);
    if (!parts?.length) return undefined;
    if (parts.length > 1) contributions.set(value, [b.op('Sum', parts)]);
    return contributions.get(value)![0];
  };
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const node = graph.nodes[k];
    const slots = DATA_SLOTS[node.opType] ?? node.inputs.map((_, s) => s);
    const wanted = node.inputs.map((input, s) => !!input && slots.includes(s) && varies.has(input) && read.has(input));
    if (!wanted.some(Boolean)) continue;
    if (node.outputs.slice(1).some((o) => o && read.has(o)))
      throw new OnnxError(`${where(node)}: the way back reads its second output`, 'unsupported');
    const g = total(node.outputs[0]);
    if (!g) continue;
    const rule = Object.prototype.hasOwnProperty.call(RULES, node.opType) ? RULES[node.opType] : undefined;
    if (!rule) throw new OnnxError(`${where(node)}: the native Taylor estimate has no gradient of ${node.opType}`, 'unsupported');
    rule(b, node, g, wanted).forEach((back, s) => {
      if (back && wanted[s]) contributions.set(node.inputs[s], [...(contributions.get(node.inputs[s]) ?? []), back]);
    });
  }

  const outputs = spec.targets.map((t, k) => {
    const shape = b.shape(t.value);
    const name = taylorSumsName(k);
    const g = total(t.value);
    const axes = shape.map((_, a) => a).filter((a) => a !== t.axis);
    if (!g) b.zeros(name, [shape[t.axis] as number]);
    else {
      const products = b.op('Cast', [b.op('Mul', [t.value, g])], { to: { i: DOUBLE } });
      b.node('ReduceSum', [products, b.ints(axes)], [name], { keepdims: { i: 0 } });
    }
    return { name, type: { tensorType: { elemType: DOUBLE, shape: { dim: [{ dimValue: shape[t.axis] }] } } } };
  });

  const raw = onnxModelType().decode(bytes) as unknown as RawModel;
  const opset = Math.max(graph.opset, b.opset);
  raw.opsetImport = [...raw.opsetImport.filter((o) => o.domain !== '' && o.domain !== 'ai.onnx'), { domain: '', version: opset }];
  raw.graph.node = [...raw.graph.node, ...b.nodes];
  raw.graph.initializer = [...raw.graph.initializer, ...b.initializers];
  raw.graph.input = [
    ...raw.graph.input,
    { name: TAYLOR_LABELS, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: labelWidth }] } } } },
  ];
  raw.graph.output = outputs;
  raw.graph.valueInfo = [];
  return { bytes: onnxModelType().encode(raw).finish(), labelWidth };
}

interface RawModel {
  opsetImport: { domain: string; version: number }[];
  graph: { node: object[]; initializer: object[]; input: object[]; output: object[]; valueInfo: object[] };
}

/** The gradient of the summed loss with respect to the output value (src/tfjs/taylor.ts `summedLoss`). */
function lossGradient(b: Builder, spec: TaylorModelSpec): { gradient: string; labelWidth: number } {
  const out = spec.output.value;
  const perInput = b.shape(out).slice(1) as number[];
  const width = perInput.reduce((x, y) => x * y, 1);
  const rows = b.op('Reshape', [out, b.ints([0, -1])]);
  const eps = b.scalar(EPSILON);
  const one = b.scalar(1);
  let g: string;
  if (spec.output.kind === 'binary') {
    // p(label) = p·y + (1 − p)(1 − y); ∂(−ln p(label))/∂p = −(2y − 1) / p(label).
    const y = TAYLOR_LABELS;
    const pLabel = b.op('Add', [b.op('Mul', [rows, y]), b.op('Mul', [b.op('Sub', [one, rows]), b.op('Sub', [one, y])])]);
    const sign = b.op('Sub', [b.op('Mul', [y, b.scalar(2)]), one]);
    g = b.op('Neg', [b.op('Mul', [b.op('Div', [sign, b.op('Max', [pLabel, eps])]), b.mask('GreaterOrEqual', pLabel, eps)])]);
  } else if (spec.output.kind === 'logits') {
    // p = softmax(z); ∂(−ln p(label))/∂z = p − y.
    const p = b.op('Softmax', [rows], { axis: { i: 1 } });
    const pLabel = b.op('ReduceSum', [b.op('Mul', [p, TAYLOR_LABELS]), b.ints([1])], { keepdims: { i: 1 } });
    g = b.op('Mul', [b.op('Sub', [p, TAYLOR_LABELS]), b.mask('GreaterOrEqual', pLabel, eps)]);
  } else {
    // The scores are p: ∂(−ln p(label))/∂p = −y / p(label).
    const pLabel = b.op('ReduceSum', [b.op('Mul', [rows, TAYLOR_LABELS]), b.ints([1])], { keepdims: { i: 1 } });
    g = b.op('Neg', [b.op('Mul', [b.op('Div', [TAYLOR_LABELS, b.op('Max', [pLabel, eps])]), b.mask('GreaterOrEqual', pLabel, eps)])]);
  }
  return { gradient: b.op('Reshape', [g, b.op('Shape', [out])]), labelWidth: width };
}

/** `g` where `test(x, bound)` holds, else 0. */
const masked = (b: Builder, g: string, test: string, x: string, bound: string) => b.op('Mul', [g, b.mask(test, x, bound)]);

/** The gradient of each op, as PyTorch's autograd computes it. */
const RULES: Readonly<Record<string, Rule>> = {
  Identity: (_b, _n, g) => [g],
  Dropout: (_b, _n, g) => [g],
  Cast: (_b, node, g) => {
    if (num(node, 'to', 0) !== FLOAT) throw new OnnxError(`${where(node)}: a cast to a type other than float32`, 'unsupported');
    return [g];
  },
  Relu: (b, node, g) => [masked(b, g, 'Greater', node.inputs[0], b.scalar(0))],
  LeakyRelu: (b, node, g) => {
    const x = node.inputs[0];
    const positive = b.op('Greater', [x, b.scalar(0)]);
    return [b.op('Where', [positive, g, b.op('Mul', [g, b.scalar(num(node, 'alpha', 0.01))])])];
  },
  Clip: (b, node, g) => {
    // hardtanh's: the gradient passes strictly inside the bounds.
    const x = node.inputs[0];
    let out = g;
    const [min, max] = [constant(b, node, 1), constant(b, node, 2)];
    if (min) out = masked(b, out, 'Greater', x, b.scalar(min[0]));
    if (max) out = masked(b, out, 'Less', x, b.scalar(max[0]));
    return [out];
  },
  Sigmoid: (b, node, g) => {
    const y = node.outputs[0];
    return [b.op('Mul', [g, b.op('Mul', [y, b.op('Sub', [b.scalar(1), y])])])];
  },
  Tanh: (b, node, g) => {
    const y = node.outputs[0];
    return [b.op('Mul', [g, b.op('Sub', [b.scalar(1), b.op('Mul', [y, y])])])];
  },
  HardSigmoid: (b, node, g) => {
    const alpha = num(node, 'alpha', 0.2);
    const t = b.op('Add', [b.op('Mul', [node.inputs[0], b.scalar(alpha)]), b.scalar(num(node, 'beta', 0.5))]);
    return [b.op('Mul', [masked(b, masked(b, g, 'Greater', t, b.scalar(0)), 'Less', t, b.scalar(1)), b.scalar(alpha)])];
  },
  HardSwish: (b, node, g) => {
    // 0 below −3, x/3 + 1/2 up to 3 (inclusive), 1 above.
    const x = node.inputs[0];
    const slope = b.op('Add', [b.op('Mul', [x, b.scalar(1 / 3)]), b.scalar(0.5)]);
    const inner = b.op('Where', [b.op('LessOrEqual', [x, b.scalar(3)]), b.op('Mul', [g, slope]), g]);
    return [b.op('Where', [b.op('Less', [x, b.scalar(-3)]), b.scalar(0), inner])];
  },
  Softmax: (b, node, g) => {
    const y = node.outputs[0];
    const axis = b.ints([num(node, 'axis', -1)]);
    const dot = b.op('ReduceSum', [b.op('Mul', [g, y]), axis], { keepdims: { i: 1 } });
    return [b.op('Mul', [y, b.op('Sub', [g, dot])])];
  },
  LogSoftmax: (b, node, g) => {
    const axis = b.ints([num(node, 'axis', -1)]);
    const sum = b.op('ReduceSum', [g, axis], { keepdims: { i: 1 } });
    return [b.op('Sub', [g, b.op('Mul', [b.op('Exp', [node.outputs[0]]), sum])])];
  },
  BatchNormalization: (b, node, g) => {
    if (num(node, 'training_mode', 0) !== 0) throw new OnnxError(`${where(node)}: a batch normalisation in training mode`, 'unsupported');
    const scale = constant(b, node, 1)!;
    const variance = constant(b, node, 4)!;
    const eps = num(node, 'epsilon', 1e-5);
    const rank = b.shape(node.inputs[0]).length;
    const factor = scale.map((s, c) => s / Math.sqrt(variance[c] + eps));
    return [b.op('Mul', [g, b.floats(factor, [factor.length, ...new Array<number>(Math.max(0, rank - 2)).fill(1)])])];
  },
  Conv: (b, node, g) => {
    const weight = initializerOf(b.graph, node.inputs[1], node);
    const kernel = nums(node, 'kernel_shape') ?? weight.dims.slice(2);
    const w = windows(b, node, kernel);
    // The transposed convolution with the convolution's own weights is its adjoint.
    const back = b.op('ConvTranspose', [g, node.inputs[1]], {
      kernel_shape: { ints: kernel },
      strides: { ints: w.strides },
      pads: { ints: w.pads },
      dilations: { ints: w.dilations },
      group: { i: num(node, 'group', 1) },
      output_padding: { ints: w.outputPadding },
    });
    return [back];
  },
  MaxPool: (b, node, g) => {
    if (num(node, 'storage_order', 0) !== 0) throw new OnnxError(`${where(node)}: a max pooling in column order`, 'unsupported');
    const x = node.inputs[0];
    const attrs: Record<string, Attr> = {};
    for (const name of ['kernel_shape', 'strides', 'pads', 'dilations']) {
      const v = nums(node, name);
      if (v) attrs[name] = { ints: v };
    }
    attrs.ceil_mode = { i: num(node, 'ceil_mode', 0) };
    const autoPad = node.attributes.get('auto_pad');
    if (typeof autoPad === 'string') attrs.auto_pad = { s: autoPad };
    // Each window's gradient goes to the position its maximum came from (the flat index over N·C·H·W), summed where windows overlap.
    const indices = b.op('Reshape', [pooledIndices(b, x, attrs), b.ints([-1])]);
    const flat = b.op('Reshape', [x, b.ints([-1])]);
    const zeros = b.op('ConstantOfShape', [b.op('Shape', [flat])], {
      value: { t: { dims: [1], dataType: FLOAT, rawData: new Uint8Array(new Float32Array(1).buffer) } },
    });
    b.opset = Math.max(b.opset, 16);
    const spread = b.op('ScatterElements', [zeros, indices, b.op('Reshape', [g, b.ints([-1])])], {
      axis: { i: 0 },
      reduction: { s: 'add' },
    });
    return [b.op('Reshape', [spread, b.op('Shape', [x])])];
  },
  AveragePool: (b, node, g) => [spreadOverWindows(b, node, g, (data, dims) => b.floats(data(), dims))],
  GlobalAveragePool: (b, node, g) => {
    const x = node.inputs[0];
    const size = (b.shape(x).slice(2) as number[]).reduce((p, q) => p * q, 1);
    return [b.op('Expand', [b.op('Mul', [g, b.scalar(1 / size)]), b.op('Shape', [x])])];
  },
  ReduceMean: (b, node, g) => {
    const x = node.inputs[0];
    const shape = b.shape(x);
    const axes = (nums(node, 'axes') ?? constant(b, node, 1) ?? []).map((a) => (a < 0 ? a + shape.length : a));
    if (!axes.length || axes.includes(0)) throw new OnnxError(`${where(node)}: a mean over the batch`, 'unsupported');
    const kept = num(node, 'keepdims', 1) === 1 ? g : b.op('Unsqueeze', [g, b.ints(axes)]);
    const size = axes.reduce((p, a) => p * (shape[a] as number), 1);
    return [b.op('Expand', [b.op('Mul', [kept, b.scalar(1 / size)]), b.op('Shape', [x])])];
  },
  Flatten: (b, node, g) => [b.op('Reshape', [g, b.op('Shape', [node.inputs[0]])])],
  Reshape: (b, node, g) => [b.op('Reshape', [g, b.op('Shape', [node.inputs[0]])])],
  Squeeze: (b, node, g) => [b.op('Reshape', [g, b.op('Shape', [node.inputs[0]])])],
  Unsqueeze: (b, node, g) => [b.op('Reshape', [g, b.op('Shape', [node.inputs[0]])])],
  Transpose: (b, node, g) => {
    const perm = nums(node, 'perm') ?? b.shape(node.inputs[0]).map((_, a, all) => all.length - 1 - a);
    const inverse = perm.map((_, a) => perm.indexOf(a));
    return [b.op('Transpose', [g], { perm: { ints: inverse } })];
  },
  Gemm: (b, node, g, wanted) => {
    if (wanted[1]) throw new OnnxError(`${where(node)}: a product of two layers' values`, 'unsupported');
    if (num(node, 'transA', 0) !== 0) throw new OnnxError(`${where(node)}: a Gemm of a transposed value`, 'unsupported');
    // ∂(αA·op(B))/∂A = α·g·op(B)ᵀ.
    return [
      b.op('Gemm', [g, node.inputs[1]], { alpha: { f: num(node, 'alpha', 1) }, transB: { i: num(node, 'transB', 0) === 1 ? 0 : 1 } }),
    ];
  },
  MatMul: (b, node, g, wanted) => {
    if (wanted[1]) throw new OnnxError(`${where(node)}: a product of two layers' values`, 'unsupported');
    const weight = initializerOf(b.graph, node.inputs[1], node);
    if (weight.dims.length !== 2) throw new OnnxError(`${where(node)}: a MatMul by a weight of rank ${weight.dims.length}`, 'unsupported');
    return [b.op('MatMul', [g, b.op('Transpose', [node.inputs[1]], { perm: { ints: [1, 0] } })])];
  },
  Add: (b, node, g, wanted) => node.inputs.map((input, s) => (wanted[s] ? b.unbroadcast(g, input, node.outputs[0]) : undefined)),
  Sum: (b, node, g, wanted) => node.inputs.map((input, s) => (wanted[s] ? b.unbroadcast(g, input, node.outputs[0]) : undefined)),
  Sub: (b, node, g, wanted) => [
    wanted[0] ? b.unbroadcast(g, node.inputs[0], node.outputs[0]) : undefined,
    wanted[1] ? b.unbroadcast(b.op('Neg', [g]), node.inputs[1], node.outputs[0]) : undefined,
  ],
  Mul: (b, node, g, wanted) => [
    wanted[0] ? b.unbroadcast(b.op('Mul', [g, node.inputs[1]]), node.inputs[0], node.outputs[0]) : undefined,
    wanted[1] ? b.unbroadcast(b.op('Mul', [g, node.inputs[0]]), node.inputs[1], node.outputs[0]) : undefined,
  ],
  Div: (b, node, g, wanted) => {
    if (wanted[1]) throw new OnnxError(`${where(node)}: a division by a layer's value`, 'unsupported');
    return [b.unbroadcast(b.op('Div', [g, node.inputs[1]]), node.inputs[0], node.outputs[0])];
  },
  Concat: (b, node, g, wanted) => {
    const rank = b.shape(node.outputs[0]).length;
    const axis = ((num(node, 'axis', 1) % rank) + rank) % rank;
    if (axis === 0) throw new OnnxError(`${where(node)}: a concatenation along the batch`, 'unsupported');
    let at = 0;
    return node.inputs.map((input, s) => {
      const size = b.shape(input)[axis] as number;
      const slice = wanted[s] ? b.op('Slice', [g, b.ints([at]), b.ints([at + size]), b.ints([axis])]) : undefined;
      at += size;
      return slice;
    });
  },
  Pad: (b, node, g) => [cropPads(b, node, g)],
};

/** The MaxPool's flat indices of its maxima (its second output), from a copy of the node. */
function pooledIndices(b: Builder, x: string, attrs: Record<string, Attr>): string {
  const values = `${x}/cnn_slicer_pooled_${b.nodes.length}`;
  const indices = `${values}/indices`;
  b.node('MaxPool', [x], [values, indices], attrs);
  return indices;
}
