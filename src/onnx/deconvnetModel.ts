/**
 * The deconvolution (docs/estimators.md "Deconvolution", after Zeiler & Fergus 2014) of a PyTorch
 * checkpoint as one ONNX model, for the native engine (src/native/nativeDeconvolution.ts): the walk
 * back from every target layer to the input, written as ONNX nodes, with the checkpoint's own weights.
 * The rules are src/tfjs/deconvolution's, op by op, as the checkpoint's import (src/onnx/plan.ts) makes
 * each op a TensorFlow.js layer:
 *  - Conv → the transposed convolution with the layer's own kernel, without the bias: a convolution
 *    of the flipped kernel where the strides are 1 (ONNX Runtime's convolutions are its fast ones),
 *    else ConvTranspose;
 *  - Relu, Clip from 0 (ReLU6) → ReLU of the signal; LeakyRelu, Elu → the leaky ReLU of their
 *    slope at the origin from the left (src/tfjs/deconvolution/rectifier.ts);
 *  - BatchNormalization, Dropout, Identity → the signal unchanged;
 *  - MaxPool → each value back to the position its window's maximum came from (the first in
 *    row-major order, as both engines pick), from the pooling's input, which the caller feeds;
 *  - AveragePool, GlobalAveragePool → spread evenly over the window;
 *  - Add, Sum → the signal to every branch; Concat on channels → each branch its channels;
 *    Pad → cropped off.
 * A target whose walk meets any other op (or an option above that the walk does not take) is refused
 * with the reason, and the engine projects it on TensorFlow.js instead, which names what it cannot
 * pass; so each answer has one definition, and the two engines differ by float rounding alone
 * (test/integration/native/nativeDeconvolution.test.ts).
 *
 * One model serves every target: its walks are stacked along the batch axis. The model reads one
 * start signal per target (`[R, ...shape]`, R ≥ 0 rows: the target's output with one channel kept,
 * or nothing for a target not asked) and writes the projections of the targets' rows, stacked in
 * target order, channels last. Where walks meet (a residual block's input), each contribution is
 * padded with zero rows for the targets that did not pass its way, so that no row meets another
 * target's signal. A walk costs its own nodes' work: an empty target's rows cost nothing.
 * Pure: a decoded graph in, bytes out.
 */
import { onnxModelType } from './decode';
import { initializerOf, OnnxError, type OnnxGraph, type OnnxNode } from './graph';
import { Builder, constant, cropPads, DATA_SLOTS, FLOAT, num, nums, spreadOverWindows, where, windows, type Attr } from './builder';

/** The graph input of target `k`'s start signal. */
export const deconvnetStartName = (k: number): string => `cnn_slicer/deconvolution_start_${k}`;

/** The model's one output: the projections, `[rows, ...input shape channels last]`. */
export const DECONVNET_OUTPUT = 'cnn_slicer/deconvolution';

export interface DeconvnetSpec {
  /** The values walked back from, each `[N, C, ...positions]` (run layers' values). */
  readonly targets: readonly string[];
  /** The values the caller can feed (run layers' values, the graph input): a max pooling's input must be one. */
  readonly feedable: ReadonlySet<string>;
  /** Each value's shape without the batch (src/onnx/planner.ts `LayerPlan.shapes`). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** A max pooling's input, fed by the caller: the value, for the rows of `targets` (the asked ones among them, in order). */
export interface DeconvnetPool {
  readonly input: string;
  readonly value: string;
  readonly targets: readonly number[];
}

export interface DeconvnetModel {
  readonly bytes: Uint8Array;
  /** Per target of the spec, in its order: why the model does not walk back from it, or undefined. */
  readonly refused: readonly (string | undefined)[];
  readonly pools: readonly DeconvnetPool[];
}

type Rule = (w: Walk, node: OnnxNode, g: string, layout: readonly number[]) => (string | undefined)[];

/** A value's signal: its rows are those of `layout`'s targets, in order. */
interface Part {
  readonly signal: string;
  readonly layout: readonly number[];
}

/** The model builder with what the rules need besides nodes: the feeds of the max poolings. */
class Walk {
  readonly pools: DeconvnetPool[] = [];
  constructor(
    readonly b: Builder,
    readonly feedable: ReadonlySet<string>,
    /** Rules only tried (which nodes the walk can pass): no weight is copied. */
    readonly checking = false,
  ) {}

  /** A float32 constant (a placeholder while checking). */
  floats(data: () => ArrayLike<number>, dims: readonly number[]): string {
    return this.checking ? 'weights' : this.b.floats(data(), dims);
  }

  /** A graph input fed with `value` for the rows of `layout`. */
  feed(value: string, layout: readonly number[]): string {
    if (!this.feedable.has(value))
      throw new OnnxError(`a max pooling of ${value}, which is not a run layer the engine can feed`, 'unsupported');
    const input = `cnn_slicer/deconvolution_pool_${this.pools.length}`;
    this.pools.push({ input, value, targets: layout });
    return input;
  }
}

/**
 * The deconvolution model of `graph` (a checkpoint's, decoded).
 * @throws OnnxError ('unsupported') when no target can be walked back (each target's reason is in `refused` otherwise).
 */
export function deconvnetModel(graph: OnnxGraph, spec: DeconvnetSpec): DeconvnetModel {
  if (graph.opset < 13) throw new OnnxError(`opset ${graph.opset}: the native deconvolution needs opset 13 or later`, 'unsupported');
  if (graph.inputs.length !== 1)
    throw new OnnxError(`the model reads ${graph.inputs.length} inputs; the deconvolution walks back to one`, 'unsupported');
  const input = graph.inputs[0].name;
  const inputShape = spec.shapes.get(input);
  if (!inputShape || (inputShape.length !== 3 && inputShape.length !== 2))
    throw new OnnxError('deconvolution needs a model whose input is images [N, C, H, W] or sequences [N, C, T]', 'unsupported');

  // The values that depend on the input, through the slots that carry values.
  const varies = new Set([input]);
  for (const node of graph.nodes) {
    const slots = DATA_SLOTS[node.opType] ?? node.inputs.map((_, k) => k);
    if (slots.some((k) => node.inputs[k] && varies.has(node.inputs[k]))) for (const o of node.outputs) if (o) varies.add(o);
  }
  const producer = new Map<string, number>();
  graph.nodes.forEach((node, k) => node.outputs.forEach((o) => o && producer.set(o, k)));
  const slotsOf = (node: OnnxNode) =>
    (DATA_SLOTS[node.opType] ?? node.inputs.map((_, s) => s)).filter((s) => node.inputs[s] && varies.has(node.inputs[s]));

  // Each target's walk: the nodes between it and the input.
  const walks = spec.targets.map((t) => {
    const nodes = new Set<number>();
    const stack = [t];
    const seen = new Set<string>();
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v) || v === input) continue;
      seen.add(v);
      const k = producer.get(v);
      if (k === undefined) continue;
      nodes.add(k);
      for (const s of slotsOf(graph.nodes[k])) stack.push(graph.nodes[k].inputs[s]);
    }
    return nodes;
  });

  // Which nodes the walk cannot pass, and why: each rule tried once on a scratch model.
  const scratch = new Walk(new Builder(graph, spec.shapes), spec.feedable, true);
  const failures = new Map<number, string>();
  const union = new Set(walks.flatMap((w) => [...w]));
  for (const k of union) {
    const node = graph.nodes[k];
    try {
      ruleOf(node)(scratch, node, 'g', []);
      const read = graph.nodes.some((n, j) => union.has(j) && node.outputs.slice(1).some((o) => o && n.inputs.includes(o)));
      if (read) throw new OnnxError(`${where(node)}: the way back reads its second output`, 'unsupported');
    } catch (e) {
      if (!OnnxError.is(e)) throw e;
      failures.set(k, e.message);
    }
  }
  const refused = spec.targets.map((t, i) => {
    const shape = spec.shapes.get(t);
    if (!varies.has(t) || t === input) return `${t} is not computed from the input`;
    if (!shape || shape.length < 2) return `${t} has no maps to project (its output is [N, ${shape?.join(', ') ?? '?'}])`;
    const failed = [...walks[i]].filter((k) => failures.has(k)).sort((a, b) => b - a)[0];
    return failed === undefined ? undefined : failures.get(failed);
  });
  const kept = spec.targets.map((_, i) => i).filter((i) => refused[i] === undefined);
  if (!kept.length) throw new OnnxError(`no layer can be walked back natively: ${refused.find((r) => r) ?? 'no target'}`, 'unsupported');

  const b = new Builder(graph, spec.shapes);
  b.opset = 16;
  const walk = new Walk(b, spec.feedable);
  const rows = new Map(kept.map((i) => [i, b.op('Shape', [deconvnetStartName(i)], { start: { i: 0 }, end: { i: 1 } })]));
  const layouts = new Map<string, number[]>();
  for (const i of kept) {
    for (const k of walks[i]) for (const s of slotsOf(graph.nodes[k])) addTo(layouts, graph.nodes[k].inputs[s], i);
    addTo(layouts, spec.targets[i], i);
  }
  const parts = new Map<string, Part[]>();
  for (const i of kept) parts.set(spec.targets[i], [...(parts.get(spec.targets[i]) ?? []), { signal: deconvnetStartName(i), layout: [i] }]);
  const signalOf = (value: string): Part | undefined => {
    const layout = layouts.get(value);
    const got = parts.get(value);
    if (!layout || !got?.length) return undefined;
    return { signal: combine(b, got, layout, rows), layout };
  };
  const onAWalk = new Set(kept.flatMap((i) => [...walks[i]]));
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    if (!onAWalk.has(k)) continue;
    const node = graph.nodes[k];
    const g = signalOf(node.outputs[0]);
    if (!g) continue;
    const slots = slotsOf(node);
    ruleOf(node)(walk, node, g.signal, g.layout).forEach((back, s) => {
      if (back && slots.includes(s)) parts.set(node.inputs[s], [...(parts.get(node.inputs[s]) ?? []), { signal: back, layout: g.layout }]);
    });
  }
  const atInput = signalOf(input);
  if (!atInput) throw new OnnxError('no walk reaches the input', 'unsupported');
  const rank = inputShape.length + 1;
  b.node('Transpose', [atInput.signal], [DECONVNET_OUTPUT], {
    perm: { ints: [0, ...Array.from({ length: rank - 2 }, (_, a) => a + 2), 1] },
  });

  const tensorType = (dims: readonly number[]) => ({
    tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'R' }, ...dims.map((d) => ({ dimValue: d }))] } },
  });
  const message = {
    irVersion: 8,
    producerName: 'cnn-slicer',
    opsetImport: [{ domain: '', version: b.opset }],
    graph: {
      name: 'deconvolution',
      node: b.nodes,
      initializer: b.initializers,
      input: [
        ...kept.map((i) => ({ name: deconvnetStartName(i), type: tensorType(spec.shapes.get(spec.targets[i])!) })),
        ...walk.pools.map((p) => ({ name: p.input, type: tensorType(spec.shapes.get(p.value)!) })),
      ],
      output: [{ name: DECONVNET_OUTPUT, type: tensorType([...inputShape.slice(1), inputShape[0]]) }],
    },
  };
  return { bytes: onnxModelType().encode(message).finish(), refused, pools: walk.pools };
}

function addTo(layouts: Map<string, number[]>, value: string, target: number): void {
  const layout = layouts.get(value) ?? [];
  if (!layout.includes(target)) {
    layout.push(target);
    layout.sort((a, c) => a - c);
  }
  layouts.set(value, layout);
}

/**
 * The parts sent back to one value, as one signal of `layout`'s rows: the value's targets in order,
 * in runs of consecutive targets that the same parts carry, each run the sum of those parts' rows for
 * it (a part's rows sliced where it carries more than the run). Every target of `layout` comes from
 * at least one part.
 */
function combine(b: Builder, parts: readonly Part[], layout: readonly number[], rows: ReadonlyMap<number, string>): string {
  if (parts.every((p) => p.layout.length === layout.length))
    return parts.length > 1
      ? b.op(
          'Sum',
          parts.map((p) => p.signal),
        )
      : parts[0].signal;
  const owners = (k: number) => parts.filter((p) => p.layout.includes(k));
  const runs: { targets: number[]; owners: Part[] }[] = [];
  for (const k of layout) {
    const own = owners(k);
    const last = runs[runs.length - 1];
    if (last && last.owners.length === own.length && last.owners.every((p, i) => p === own[i])) last.targets.push(k);
    else runs.push({ targets: [k], owners: own });
  }
  const rowsOf = (targets: readonly number[]) =>
    targets.length === 0
      ? b.ints([0])
      : b.op(
          'ReduceSum',
          [
            b.op(
              'Concat',
              targets.map((k) => rows.get(k)!),
              { axis: { i: 0 } },
            ),
          ],
          { keepdims: { i: 1 } },
        );
  const pieces = runs.map((run) => {
    const slices = run.owners.map((p) => {
      if (p.layout.length === run.targets.length) return p.signal;
      const first = p.layout.indexOf(run.targets[0]);
      const from = rowsOf(p.layout.slice(0, first));
      const to = b.op('Add', [from, rowsOf(run.targets)]);
      return b.op('Slice', [p.signal, from, to, b.ints([0])]);
    });
    return slices.length > 1 ? b.op('Sum', slices) : slices[0];
  });
  return pieces.length > 1 ? b.op('Concat', pieces, { axis: { i: 0 } }) : pieces[0];
}

function ruleOf(node: OnnxNode): Rule {
  const rule = node.domain === '' && Object.prototype.hasOwnProperty.call(RULES, node.opType) ? RULES[node.opType] : undefined;
  if (!rule) throw new OnnxError(`${where(node)}: the native deconvolution does not walk back through ${node.opType}`, 'unsupported');
  return rule;
}

/** A convolution's kernel `[O, I/groups, ...k]` as its transposed convolution's: `[I, O/groups, ...k]`, each window flipped. */
function flippedKernel(weight: Float32Array, dims: readonly number[], groups: number): Float32Array {
  const [outs, perGroupIn, ...kernel] = dims;
  const taps = kernel.reduce((a, c) => a * c, 1);
  const perGroupOut = outs / groups;
  const flipped = new Float32Array(weight.length);
  for (let o = 0; o < outs; o++) {
    const group = Math.floor(o / perGroupOut);
    for (let c = 0; c < perGroupIn; c++) {
      const from = (o * perGroupIn + c) * taps;
      const to = ((group * perGroupIn + c) * perGroupOut + (o % perGroupOut)) * taps;
      for (let t = 0; t < taps; t++) flipped[to + taps - 1 - t] = weight[from + t];
    }
  }
  return flipped;
}

const same = (b: Builder, node: OnnxNode, value: string): boolean => {
  const [x, y] = [b.shape(value), b.shape(node.outputs[0])];
  return x.length === y.length && x.every((d, a) => d === y[a]);
};

const rectified =
  (negativeSlope: (node: OnnxNode) => number): Rule =>
  (w, node, g) => {
    const alpha = negativeSlope(node);
    return [alpha === 0 ? w.b.op('Relu', [g]) : w.b.op('LeakyRelu', [g], { alpha: { f: alpha } })];
  };

const RULES: Readonly<Record<string, Rule>> = {
  Identity: (_w, _n, g) => [g],
  Dropout: (_w, _n, g) => [g],
  BatchNormalization: (_w, node, g) => {
    if (num(node, 'training_mode', 0) !== 0) throw new OnnxError(`${where(node)}: a batch normalisation in training mode`, 'unsupported');
    return [g];
  },
  Relu: rectified(() => 0),
  LeakyRelu: rectified((node) => num(node, 'alpha', 0.01)),
  Elu: rectified((node) => num(node, 'alpha', 1)),
  Clip: (w, node, g) => {
    const min = constant(w.b, node, 1)?.[0] ?? num(node, 'min', -Infinity);
    if (min !== 0) throw new OnnxError(`${where(node)}: a clip from ${min}, not a ReLU`, 'unsupported');
    return [w.b.op('Relu', [g])];
  },
  Conv: (w, node, g) => {
    const { b } = w;
    const weight = initializerOf(b.graph, node.inputs[1], node);
    if (weight.dataType !== 'float32') throw new OnnxError(`${where(node)}: a weight of ${weight.dataType}`, 'unsupported');
    const kernel = nums(node, 'kernel_shape') ?? weight.dims.slice(2);
    const win = windows(b, node, kernel);
    const group = num(node, 'group', 1);
    const n = kernel.length;
    const reach = kernel.map((k, a) => win.dilations[a] * (k - 1));
    const flippedPads = [...kernel.map((_, a) => reach[a] - win.pads[a]), ...kernel.map((_, a) => reach[a] - win.pads[n + a])];
    if (win.strides.every((s) => s === 1) && flippedPads.every((p) => p >= 0)) {
      const dims = [weight.dims[1] * group, weight.dims[0] / group, ...weight.dims.slice(2)];
      const flipped = w.floats(() => flippedKernel(weight.data, weight.dims, group), dims);
      return [
        b.op('Conv', [g, flipped], {
          kernel_shape: { ints: kernel },
          pads: { ints: flippedPads },
          dilations: { ints: win.dilations },
          group: { i: group },
        }),
      ];
    }
    return [
      b.op('ConvTranspose', [g, w.floats(() => weight.data, weight.dims)], {
        kernel_shape: { ints: kernel },
        strides: { ints: win.strides },
        pads: { ints: win.pads },
        dilations: { ints: win.dilations },
        group: { i: group },
        output_padding: { ints: win.outputPadding },
      }),
    ];
  },
  MaxPool: (w, node, g, layout) => {
    const { b } = w;
    if (num(node, 'storage_order', 0) !== 0) throw new OnnxError(`${where(node)}: a max pooling in column order`, 'unsupported');
    const autoPad = node.attributes.get('auto_pad');
    if (autoPad !== undefined && autoPad !== 'NOTSET')
      throw new OnnxError(`${where(node)}: auto_pad ${typeof autoPad === 'string' ? autoPad : '?'}`, 'unsupported');
    const x = w.feed(node.inputs[0], layout);
    const attrs: Record<string, Attr> = { ceil_mode: { i: num(node, 'ceil_mode', 0) } };
    for (const name of ['kernel_shape', 'strides', 'pads', 'dilations']) {
      const v = nums(node, name);
      if (v) attrs[name] = { ints: v };
    }
    // Each value goes back to the position its window's maximum came from (the flat index over the rows' N·C·H·W), summed where windows overlap.
    const pooled = `${x}/pooled`;
    b.node('MaxPool', [x], [pooled, `${pooled}/indices`], attrs);
    const flat = b.op('Reshape', [x, b.ints([-1])]);
    const zeros = b.op('ConstantOfShape', [b.op('Shape', [flat])]);
    const spread = b.op(
      'ScatterElements',
      [zeros, b.op('Reshape', [`${pooled}/indices`, b.ints([-1])]), b.op('Reshape', [g, b.ints([-1])])],
      {
        axis: { i: 0 },
        reduction: { s: 'add' },
      },
    );
    return [b.op('Reshape', [spread, b.op('Shape', [x])])];
  },
  AveragePool: (w, node, g) => [spreadOverWindows(w.b, node, g, (data, dims) => w.floats(data, dims))],
  GlobalAveragePool: (w, node, g) => {
    const { b } = w;
    const x = b.shape(node.inputs[0]) as number[];
    const size = x.slice(2).reduce((p, q) => p * q, 1);
    // The rows of g with the input's positions: [R, C, 1, 1] → [R, C, H, W].
    const to = b.op('Concat', [b.op('Shape', [g], { start: { i: 0 }, end: { i: 1 } }), b.ints(x.slice(1))], { axis: { i: 0 } });
    return [b.op('Expand', [b.op('Mul', [g, b.scalar(1 / size)]), to])];
  },
  Add: (w, node, g) => fanOut(w, node, g),
  Sum: (w, node, g) => fanOut(w, node, g),
  Concat: (w, node, g) => {
    const { b } = w;
    const rank = b.shape(node.outputs[0]).length;
    const axis = ((num(node, 'axis', 1) % rank) + rank) % rank;
    if (axis !== 1) throw new OnnxError(`${where(node)}: a concatenation along axis ${axis}, not the channels`, 'unsupported');
    let at = 0;
    return node.inputs.map((input) => {
      const size = b.shape(input)[axis] as number;
      const slice = b.op('Slice', [g, b.ints([at]), b.ints([at + size]), b.ints([axis])]);
      at += size;
      return slice;
    });
  },
  Pad: (w, node, g) => {
    const value = constant(w.b, node, 2)?.[0] ?? 0;
    if (value !== 0) throw new OnnxError(`${where(node)}: a padding with ${value}, not zeros`, 'unsupported');
    return [cropPads(w.b, node, g)];
  },
};

/** Add and Sum: the signal goes unchanged to every branch (the adjoint of a sum) — of maps of the output's own shape. */
function fanOut(w: Walk, node: OnnxNode, g: string): string[] {
  node.inputs.forEach((input) => {
    if (isConstant(w.b.graph, input)) throw new OnnxError(`${where(node)}: a sum with the constant ${input}`, 'unsupported');
    if (!same(w.b, node, input)) throw new OnnxError(`${where(node)}: a sum that broadcasts ${input}`, 'unsupported');
  });
  return node.inputs.map(() => g);
}

function isConstant(graph: OnnxGraph, value: string): boolean {
  try {
    initializerOf(graph, value);
    return true;
  } catch {
    return false;
  }
}
