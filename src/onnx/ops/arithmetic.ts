/**
 * Linear layers and merges: Gemm (nn.Linear), MatMul by a weight with the Add of its bias (one
 * Dense step), Add of two layers' values (a residual `+`), and Mul of two (squeeze-and-excitation's
 * `x * s`, broadcast over the map; x·σ(x) is one `swish` step, x·hardsigmoid(x) one hard swish,
 * GELU's `x · 0.5 · (1 + erf(x / √2))` one `gelu` step, and its tanh approximation
 * `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))` one `gelu_new` step), a Mul by one constant a channel (a
 * layer scale, `gamma * x`) one ChannelScale step. On a map held channels last in the graph
 * (planner.ts `channelsLast`), a MatMul by a weight is a 1×1 convolution of the channels-first step.
 */
import type { OnnxNode } from '../graph';
import { broadcast, type OpHandler, type Planner, type TensorValue, type Value } from '../planner';
import { biasVector, denseKernel } from '../weights';
import { foldLayerNorm, only, perChannel } from './normalization';

function gemm(p: Planner, node: OnnxNode): void {
  const a = p.tensor(node, 0);
  const b = p.floats(node, 1);
  if (p.num(node, 'transA', 0) !== 0) p.refuse(node, 'a Gemm with transA');
  if (a.shape.length !== 1 || b.dims.length !== 2) p.refuse(node, `a Gemm of [N, ${a.shape.join(', ')}] by [${b.dims.join(', ')}]`);
  const kernel = denseKernel(b.data, b.dims, p.num(node, 'transB', 0) === 1, p.num(node, 'alpha', 1));
  if (kernel.shape[0] !== a.shape[0]) p.refuse(node, `a Gemm of [N, ${a.shape[0]}] by a weight of ${kernel.shape[0]} inputs`);
  const units = kernel.shape[1];
  const bias = node.inputs[2] ? biasVector(p.floats(node, 2).data, units, p.num(node, 'beta', 1)) : undefined;
  if (node.inputs[2] && !bias) p.refuse(node, `its bias does not have ${units} values`);
  dense(p, node, a, kernel, bias);
}

function dense(
  p: Planner,
  node: OnnxNode,
  x: TensorValue,
  kernel: ReturnType<typeof denseKernel>,
  bias: ReturnType<typeof biasVector>,
): void {
  if (x.channelsLast) {
    // A Linear on the channels of a map: a 1×1 convolution of the channels-first step (the same kernel, [1, 1, in, out]).
    const filters = kernel.shape[1];
    const config = {
      filters,
      kernelSize: [1, 1],
      strides: [1, 1],
      padding: 'valid',
      dataFormat: 'channelsFirst',
      useBias: bias !== undefined,
      kernelInitializer: 'zeros',
      biasInitializer: 'zeros',
    };
    p.step(node, 'Conv2D', config, [x], [filters, ...x.shape.slice(1)], [{ shape: [1, 1, ...kernel.shape], data: kernel.data }, bias]);
    p.channelsLast(node);
    return;
  }
  const config = { units: kernel.shape[1], useBias: bias !== undefined, kernelInitializer: 'zeros', biasInitializer: 'zeros' };
  p.step(node, 'Dense', config, [x], [kernel.shape[1]], [kernel, bias]);
}

/** MatMul by a weight: a Dense step (a 1×1 convolution on the channels of a channels-last map), with the bias of the Add that alone reads it. */
function matMul(p: Planner, node: OnnxNode): void {
  const a = p.anyTensor(node, 0);
  const b = p.floats(node, 1);
  const inputs = a.channelsLast ? a.shape[0] : a.shape.length === 1 ? a.shape[0] : undefined;
  if (b.dims.length !== 2 || b.dims[0] !== inputs)
    p.refuse(
      node,
      `a MatMul of [N, ${a.shape.join(', ')}] by [${b.dims.join(', ')}]; CNN Slicer imports MatMul of a vector, or of the channels of a channels-last map, by a weight`,
    );
  if (p.onlyFor(node.outputs[0], (reader) => reader.opType === 'Add'))
    p.set(node.outputs[0], { kind: 'fused', op: 'matmul', x: node.inputs[0], node });
  else dense(p, node, a, denseKernel(b.data, b.dims, false, 1), undefined);
}

/**
 * Arithmetic on shape constants (a channel shuffle's `channels // groups` of `x.size()`): computed
 * here, elementwise with broadcasting of one value; a batch size in it stays unknown. Returns
 * whether the node was one.
 */
function foldInts(p: Planner, node: OnnxNode, op: (a: number, b: number) => number): boolean {
  const [u, v] = [p.value(node, 0), p.value(node, 1)];
  if (u.kind !== 'ints' || v.kind !== 'ints') return false;
  const n = Math.max(u.data.length, v.data.length);
  if ((u.data.length !== n && u.data.length !== 1) || (v.data.length !== n && v.data.length !== 1))
    p.refuse(node, `arithmetic on shapes of ${u.data.length} and ${v.data.length} values`);
  const at = (d: readonly (number | null)[], i: number) => d[d.length === 1 ? 0 : i];
  const data = Array.from({ length: n }, (_, i) => {
    const [a, b] = [at(u.data, i), at(v.data, i)];
    return a === null || b === null ? null : op(a, b);
  });
  p.set(node.outputs[0], { kind: 'ints', data });
  return true;
}

/** Whether `v` is the float constant `c` (one value, float32's rounding of it). */
function isScalar(v: Value, c: number): boolean {
  return v.kind === 'floats' && v.tensor.data.length === 1 && Math.abs(v.tensor.data[0] - c) <= 1e-6 * Math.max(1, Math.abs(c));
}

/** A GELU step folded so far (`stage`), in `values`, else undefined. */
function geluAt(values: readonly Value[], stage: number): Extract<Value, { kind: 'fused' }> | undefined {
  return values.find((v): v is Extract<Value, { kind: 'fused' }> => v.kind === 'fused' && v.op === 'gelu' && v.stage === stage);
}

/** The next step of GELU (`x · 0.5 · (1 + erf(x / √2))`, as torch exports F.gelu) folded into `reader`. */
function foldGelu(p: Planner, node: OnnxNode, from: Extract<Value, { kind: 'fused' }>, reader: string): boolean {
  if (!p.onlyFor(node.outputs[0], (r) => r.opType === reader)) return false;
  p.set(node.outputs[0], { ...from, stage: (from.stage ?? 0) + 1 });
  return true;
}

/** The constants of a GELU tanh fold, by its opening x · x: the nodes that read them and which input each is. */
const geluTanhConstants = new WeakMap<OnnxNode, { node: OnnxNode; at: number; value: number }[]>();

/**
 * GELU's tanh approximation as torch exports it (nn.GELU(approximate='tanh'), F.gelu(x, approximate='tanh')):
 * x · x, x · that, 0.044715 · that, x + that, √(2/π) · that, tanh, 1 +, x · that, 0.5 · that. At the
 * opening x · x the chain ahead is checked and taken into the fold up to its last Mul, whose constants
 * (which the graph may make between the nodes) are checked there, making one `gelu_new` step:
 * TensorFlow.js's own formula of the approximation. Returns whether `node` was one of them.
 */
function foldGeluTanh(p: Planner, node: OnnxNode): boolean {
  const fused = [0, 1].map((i) => p.value(node, i)).find((v) => v.kind === 'fused' && v.op === 'geluTanh');
  if (fused?.kind === 'fused') {
    const known = geluTanhConstants.get(fused.node)!;
    const last = { node, at: node.inputs[0] === fused.node.outputs[0] ? 1 : 0, value: 0.5 };
    if (![...known, last].every((c) => isScalar(p.value(c.node, c.at), c.value)))
      p.refuse(node, "a product that closes x · (1 + tanh(…)) with other constants than GELU's tanh approximation");
    const x = p.anyTensor(fused.node, 0);
    p.step(node, 'Activation', { activation: 'gelu_new' }, [x], x.shape);
    if (x.channelsLast) p.channelsLast(node);
    return true;
  }
  const x = node.inputs[0];
  if (node.inputs[1] !== x || p.value(node, 0).kind !== 'tensor') return false;
  // Each next node: the one reader of the value before, of `opType`, with `want` as its other input (or a constant's name, returned).
  const chain: OnnxNode[] = [];
  const constants: { node: OnnxNode; at: number; value: number }[] = [];
  let value = node.outputs[0];
  for (const [opType, want] of [
    ['Mul', x],
    ['Mul', 0.044715],
    ['Add', x],
    ['Mul', Math.sqrt(2 / Math.PI)],
    ['Tanh'],
    ['Add', 1],
    ['Mul', x],
    ['Mul'],
  ] as const) {
    const next = only(p, value, opType);
    if (!next) return false;
    const at = next.inputs[0] === value ? 1 : 0;
    if (typeof want === 'string' && next.inputs[at] !== want) return false;
    if (typeof want === 'number') constants.push({ node: next, at, value: want });
    chain.push(next);
    value = next.outputs[0];
  }
  p.absorb(chain.slice(0, -1));
  geluTanhConstants.set(node, constants);
  p.set(chain[chain.length - 2].outputs[0], { kind: 'fused', op: 'geluTanh', x, node });
  return true;
}

/** Div: x / √2 opening a GELU, else only of shape constants. */
function div(p: Planner, node: OnnxNode): void {
  if (foldLayerNorm(p, node)) return;
  const [u, v] = [p.value(node, 0), p.value(node, 1)];
  if (u.kind === 'tensor' && isScalar(v, Math.SQRT2) && p.onlyFor(node.outputs[0], (r) => r.opType === 'Erf')) {
    p.set(node.outputs[0], { kind: 'fused', op: 'gelu', x: node.inputs[0], node, stage: 1 });
    return;
  }
  // ONNX's integer division truncates toward zero.
  if (!foldInts(p, node, (a, b) => Math.trunc(a / b))) p.refuse(node, 'a division of layer values; CNN Slicer imports it only on shapes');
}

/** Erf: only within GELU. */
function erf(p: Planner, node: OnnxNode): void {
  const from = geluAt([p.value(node, 0)], 1);
  if (!from || !foldGelu(p, node, from, 'Add'))
    p.refuse(node, 'the op Erf outside x · 0.5 · (1 + erf(x / √2)) (GELU), which CNN Slicer cannot import');
}

/** Div and Sub: only of shape constants. */
const shapeArithmetic =
  (word: string, op: (a: number, b: number) => number): OpHandler =>
  (p, node) => {
    if (!foldInts(p, node, op)) p.refuse(node, `a ${word} of layer values; CNN Slicer imports it only on shapes`);
  };

/** Add: two layers' values, or a folded MatMul and its bias, or shapes. */
function add(p: Planner, node: OnnxNode): void {
  if (foldInts(p, node, (a, b) => a + b) || foldLayerNorm(p, node)) return;
  const [u, v] = [p.value(node, 0), p.value(node, 1)];
  const erfOf = geluAt([u, v], 2);
  if (erfOf && [u, v].some((w) => isScalar(w, 1)) && foldGelu(p, node, erfOf, 'Mul')) return;
  const fused = u.kind === 'fused' ? { mm: u, bias: 1 } : v.kind === 'fused' ? { mm: v, bias: 0 } : undefined;
  if (fused && fused.mm.kind === 'fused' && fused.mm.op === 'matmul') {
    const mm = fused.mm.node;
    const b = p.floats(mm, 1);
    const x = p.anyTensor(mm, 0);
    const bias = biasVector(p.floats(node, fused.bias).data, b.dims[1], 1);
    if (!bias) p.refuse(node, `its bias does not have ${b.dims[1]} values`);
    dense(p, node, x, denseKernel(b.data, b.dims, false, 1), bias);
    return;
  }
  merge(p, node, 'Add', ['an addition', 'sums']);
}

/** Mul: x·σ(x) and x·hardsigmoid(x) as one activation step, else two layers' values multiplied. */
function mul(p: Planner, node: OnnxNode): void {
  if (foldInts(p, node, (a, b) => a * b) || foldLayerNorm(p, node) || foldGeluTanh(p, node)) return;
  const [u, v] = [p.value(node, 0), p.value(node, 1)];
  const t = u.kind === 'tensor' ? { x: u, other: 1 } : v.kind === 'tensor' ? { x: v, other: 0 } : undefined;
  // × 1: the recorder's own node that keeps a channels-last stretch's layer value its own (python/cnn_slicer/trace.py).
  if (t && isScalar(t.other === 1 ? v : u, 1)) {
    p.alias(node, t.x);
    return;
  }
  const scale = t && (t.other === 1 ? v : u).kind === 'floats' ? perChannel(p, node, t.other, t.x) : undefined;
  if (t && scale && t.x.shape.length === 3) {
    p.step(node, 'ChannelScale', {}, [t.x], t.x.shape, [{ shape: [t.x.shape[0]], data: scale }], { channelsLast: true });
    if (t.x.channelsLast) p.channelsLast(node);
    return;
  }
  // GELU: x · (1 + erf(x / √2)), then that · 0.5: one Activation('gelu') step, TensorFlow.js's own formula.
  const onePlusErf = geluAt([u, v], 3);
  if (onePlusErf && node.inputs.includes(onePlusErf.x) && foldGelu(p, node, onePlusErf, 'Mul')) return;
  const product = geluAt([u, v], 4);
  if (product && [u, v].some((w) => isScalar(w, 0.5))) {
    const x = p.anyTensor(product.node, 0);
    p.step(node, 'Activation', { activation: 'gelu' }, [x], x.shape);
    if (x.channelsLast) p.channelsLast(node);
    return;
  }
  const fused = [u, v].find((w) => w.kind === 'fused');
  if (fused?.kind === 'fused' && (fused.op === 'swish' || fused.op === 'hardSwish')) {
    const x = p.tensor(fused.node, 0);
    if (fused.op === 'swish') p.step(node, 'Activation', { activation: 'swish' }, [x], x.shape);
    else {
      const config = { fn: 'hardSwish', alpha: p.num(fused.node, 'alpha', 0.2), beta: p.num(fused.node, 'beta', 0.5) };
      p.step(node, 'TorchActivation', config, [x], x.shape);
    }
    return;
  }
  merge(p, node, 'Multiply', ['a multiplication', 'products']);
}

/** A merge of two layers' values; `words` name it in a refusal (`an addition`, `sums`). */
function merge(p: Planner, node: OnnxNode, className: 'Add' | 'Multiply', words: [string, string]): void {
  const [u, v] = [p.value(node, 0), p.value(node, 1)];
  if (u.kind !== 'tensor' || v.kind !== 'tensor')
    p.refuse(node, `${words[0]} by a constant; CNN Slicer imports ${words[1]} of two layers' values`);
  const shape = broadcast(u.shape, v.shape);
  if (!shape || u.shape.length !== v.shape.length || !u.channelsLast !== !v.channelsLast)
    p.refuse(
      node,
      `values of the shapes [${u.shape.join(', ')}] and [${v.shape.join(', ')}]${!u.channelsLast !== !v.channelsLast ? ', one of them channels last' : ''}`,
    );
  p.step(node, className, {}, [u, v], shape);
  if (u.channelsLast) p.channelsLast(node);
}

export const ARITHMETIC_OPS: Readonly<Record<string, OpHandler>> = {
  Gemm: gemm,
  MatMul: matMul,
  Add: add,
  Mul: mul,
  Div: div,
  Erf: erf,
  Sub: shapeArithmetic('subtraction', (a, b) => a - b),
};
