/**
 * Layer normalisation over the channels, as torch exports it below opset 17 (no LayerNormalization
 * op): `F.layer_norm` and nn.LayerNorm as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, then Mul
 * by the weight and Add of the bias; a hand-written `(x - u) / torch.sqrt(s + eps)` over dim 1 (public
 * ConvNeXt ports) exports the same nodes, its weight and bias unsqueezed to `[C, 1, 1]`. The nodes are
 * folded into one TorchLayerNorm step (src/tfjs/torchLayers.ts) over the channel axis of its step:
 * a vector `[C]`, a channels-first map `[C, H, W]` over axis 1, or a map held channels last in the
 * graph (after `x.permute(0, 2, 3, 1)`, planner.ts `channelsLast`) over its last axis. The channels
 * are what it normalises over; any other axis is refused.
 *
 * The first ReduceMean checks the whole pattern ahead (the difference `x - mean` is read twice) and
 * takes the Sub, Pow, second ReduceMean, Add and Sqrt into the fold; the Div, then the Mul and the
 * Add of the weight and bias (constants made between them), each fold on as they come.
 */
import type { OnnxNode } from '../graph';
import type { OpHandler, Planner, TensorValue, Value } from '../planner';

type LayerNorm = Extract<Value, { kind: 'fused' }> & { op: 'layerNorm' };

/** The Pow (its exponent) and the Add (ε) of a layer normalisation, by its first ReduceMean. */
const constantsOf = new WeakMap<OnnxNode, { pow: OnnxNode; add: OnnxNode; mean: string }>();

const isLayerNorm = (v: Value): v is LayerNorm => v.kind === 'fused' && v.op === 'layerNorm';

/** The one reader of `value` if it is `opType` and the value is internal, else undefined. */
export function only(p: Planner, value: string, opType: string): OnnxNode | undefined {
  const readers = p.readers(value);
  return readers.length === 1 && readers[0].opType === opType && p.internal(value) ? readers[0] : undefined;
}

/** A float constant of one value, else undefined. */
function scalarOf(p: Planner, node: OnnxNode, i: number): number | undefined {
  const v = p.value(node, i);
  return v.kind === 'floats' && v.tensor.data.length === 1 ? v.tensor.data[0] : undefined;
}

/** The ReduceMean's axes (attribute below opset 18). */
const axesOf = (p: Planner, node: OnnxNode): readonly number[] | undefined => p.nums(node, 'axes');

/** Whether the one axis `axis` of a graph value of rank `rank` is the channels of `x`. */
function overChannels(x: TensorValue, axis: number): boolean {
  const rank = x.shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  return x.channelsLast ? a === rank - 1 : a === 1 && (x.shape.length === 1 || x.shape.length === 3);
}

/**
 * At a ReduceMean: whether it opens a layer normalisation (mean, x − mean, its square's mean + ε,
 * the square root, the quotient), folded up to the quotient's Div; refuses one over another axis.
 */
export function openLayerNorm(p: Planner, node: OnnxNode): boolean {
  const x = node.inputs[0];
  const axes = axesOf(p, node);
  const sub = only(p, node.outputs[0], 'Sub');
  if (!sub || sub.inputs[0] !== x || sub.inputs[1] !== node.outputs[0] || !axes || axes.length !== 1) return false;
  const readers = p.readers(sub.outputs[0]);
  const pow = readers.find((r) => r.opType === 'Pow');
  const div = readers.find((r) => r.opType === 'Div');
  if (readers.length !== 2 || !pow || !div || !p.internal(sub.outputs[0]) || pow.inputs[0] !== sub.outputs[0]) return false;
  const mean = only(p, pow.outputs[0], 'ReduceMean');
  const add = mean && only(p, mean.outputs[0], 'Add');
  const sqrt = add && only(p, add.outputs[0], 'Sqrt');
  if (!mean || !add || !sqrt || only(p, sqrt.outputs[0], 'Div') !== div || div.inputs[0] !== sub.outputs[0]) return false;
  if (axesOf(p, mean)?.join() !== axes.join() || p.num(mean, 'keepdims', 1) !== 1 || p.num(node, 'keepdims', 1) !== 1) return false;
  const v = p.anyTensor(node, 0);
  if (!overChannels(v, axes[0]))
    p.refuse(
      node,
      `a layer normalisation over axis ${axes[0]} of [N, ${v.shape.join(', ')}]${v.channelsLast ? ' (channels last)' : ''}; CNN Slicer imports one over the channels only`,
    );
  p.absorb([sub, pow, mean, add, sqrt]);
  // The exponent and ε are constants the graph may make later: read at the Div.
  constantsOf.set(node, { pow, add, mean: mean.outputs[0] });
  const folded: LayerNorm = { kind: 'fused', op: 'layerNorm', x, node, stage: 1 };
  for (const value of [sub.outputs[0], sqrt.outputs[0]]) p.set(value, folded);
  return true;
}

/** The step of a layer normalisation at `node`, its weight and bias given or the identity's. */
function layerNormStep(p: Planner, node: OnnxNode, ln: LayerNorm, gamma?: Float32Array, beta?: Float32Array): void {
  const x = p.anyTensor(ln.node, 0);
  const c = x.shape[0];
  const weights = [
    { shape: [c], data: gamma ?? new Float32Array(c).fill(1) },
    { shape: [c], data: beta ?? new Float32Array(c) },
  ];
  p.step(node, 'TorchLayerNorm', { epsilon: ln.epsilon }, [x], x.shape, weights, { epsilon: ln.epsilon, channelsLast: true });
  if (x.channelsLast) p.channelsLast(node);
}

/**
 * One value a channel of `x` as the graph broadcasts it: a constant `[C]` on a vector or a
 * channels-last map, `[C, 1, 1]` on a channels-first map (a weight, a bias, a layer scale), else undefined.
 */
export function perChannel(p: Planner, node: OnnxNode, i: number, x: TensorValue): Float32Array | undefined {
  const v = p.value(node, i);
  const c = x.shape[0];
  const want = x.channelsLast || x.shape.length === 1 ? [c] : [c, 1, 1];
  return v.kind === 'floats' && v.tensor.dims.join() === want.join() ? v.tensor.data : undefined;
}

/**
 * At a Div, Mul or Add: the next step of a layer normalisation folded, or its step made. Returns
 * whether `node` was one.
 */
export function foldLayerNorm(p: Planner, node: OnnxNode): boolean {
  const [u, v] = [p.value(node, 0), node.inputs[1] ? p.value(node, 1) : undefined];
  const ln = [u, v].find((w): w is LayerNorm => w !== undefined && isLayerNorm(w));
  if (!ln) return false;
  const x = p.anyTensor(ln.node, 0);
  const other = u === ln ? 1 : 0;
  const next = (opType: string) => only(p, node.outputs[0], opType);
  if (node.opType === 'Div' && ln.stage === 1 && u === ln && v === ln) {
    const { pow, add, mean } = constantsOf.get(ln.node)!;
    const epsilon = scalarOf(p, add, add.inputs[0] === mean ? 1 : 0);
    if (scalarOf(p, pow, 1) !== 2 || epsilon === undefined)
      p.refuse(node, 'a normalisation by another root than √(mean((x − mean)²) + ε), which CNN Slicer cannot import');
    const normalised: LayerNorm = { ...ln, stage: 2, epsilon };
    if (next('Mul')) p.set(node.outputs[0], normalised);
    else layerNormStep(p, node, normalised);
    return true;
  }
  if (node.opType === 'Mul' && ln.stage === 2) {
    const gamma = perChannel(p, node, other, x);
    if (!gamma) p.refuse(node, "a layer normalisation's product by a value that is not one weight a channel");
    if (next('Add')) p.set(node.outputs[0], { ...ln, stage: 3, gamma });
    else layerNormStep(p, node, ln, gamma);
    return true;
  }
  if (node.opType === 'Add' && ln.stage === 3) {
    const beta = perChannel(p, node, other, x);
    if (!beta) p.refuse(node, "a layer normalisation's sum with a value that is not one bias a channel");
    layerNormStep(p, node, ln, ln.gamma, beta);
    return true;
  }
  return p.refuse(node, 'a step of a layer normalisation out of its order (mean, x − mean, its square, mean, + ε, √, ÷, × weight, + bias)');
}

/** Pow and Sqrt: only within a layer normalisation (taken by its fold before they are reached). */
const onlyInLayerNorm =
  (what: string): OpHandler =>
  (p, node) =>
    p.refuse(node, `${what} outside a layer normalisation, which CNN Slicer cannot import`);

export const NORMALIZATION_OPS: Readonly<Record<string, OpHandler>> = {
  Pow: onlyInLayerNorm('a power'),
  Sqrt: onlyInLayerNorm('a square root'),
};
