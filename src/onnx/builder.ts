/**
 * What the engine's own ONNX models share (src/onnx/taylorModel.ts, src/onnx/deconvnetModel.ts): a
 * builder of nodes and constants appended to a checkpoint's graph or written from scratch, the op
 * attributes and constant inputs read off a decoded node, the windows of a convolution or a pooling,
 * and the input slots through which a value flows. Pure.
 */
import { initializerOf, OnnxError, type OnnxGraph, type OnnxNode } from './graph';

// ONNX's enums: TensorProto.DataType and AttributeProto.AttributeType.
export const FLOAT = 1;
const INT64 = 7;
export const DOUBLE = 11;
const A_FLOAT = 1;
const A_INT = 2;
const A_STRING = 3;
const A_TENSOR = 4;
const A_INTS = 7;

/** An attribute as written: exactly one of its value fields. */
export type Attr = { f: number } | { i: number } | { s: string } | { ints: readonly number[] } | { t: object };

/** The input slots each op's value flows through (the others are weights, shapes and axes); an op not listed flows through every slot. */
export const DATA_SLOTS: Readonly<Record<string, readonly number[]>> = {
  Conv: [0],
  BatchNormalization: [0],
  Gemm: [0, 1],
  MatMul: [0, 1],
  Reshape: [0],
  Expand: [0],
  Pad: [0],
  Clip: [0],
  Squeeze: [0],
  Unsqueeze: [0],
  Slice: [0],
  Shape: [],
  Size: [],
  Constant: [],
  ConstantOfShape: [],
};

export function where(node: OnnxNode): string {
  return `${node.opType} node ${node.name || node.outputs[0]}`;
}

/** Writes nodes and constants. */
export class Builder {
  readonly nodes: object[] = [];
  readonly initializers: object[] = [];
  /** The opset the written nodes need (ScatterElements' reduction: 16). */
  opset = 13;
  private count = 0;

  constructor(
    readonly graph: OnnxGraph,
    private readonly shapes: ReadonlyMap<string, readonly number[]>,
  ) {}

  /** `[N, ...shape]` of a layer value (N is null). */
  shape(value: string): (number | null)[] {
    const s = this.shapes.get(value);
    if (!s) throw new OnnxError(`the size of ${value} is not known`, 'unsupported');
    return [null, ...s];
  }

  private fresh(base: string): string {
    return `cnn_slicer/${base}_${this.count++}`;
  }

  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, Attr> = {}): void {
    this.nodes.push({
      name: this.fresh(opType),
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([name, a]) => ({ name, ...attribute(a) })),
    });
  }

  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    const out = this.fresh(`${opType}_out`);
    this.node(opType, inputs, [out], attrs);
    return out;
  }

  /** A float32 constant. */
  floats(data: ArrayLike<number>, dims: readonly number[]): string {
    const name = this.fresh('const');
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(Float32Array.from(data).buffer) });
    return name;
  }

  scalar(v: number): string {
    return this.floats([v], []);
  }

  /** An int64 vector constant. */
  ints(data: readonly number[]): string {
    const name = this.fresh('ints');
    this.initializers.push({
      name,
      dims: [data.length],
      dataType: INT64,
      rawData: new Uint8Array(BigInt64Array.from(data.map((d) => BigInt(d))).buffer),
    });
    return name;
  }

  /** A float64 vector of zeros named `name`. */
  zeros(name: string, dims: readonly number[]): void {
    const size = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({ name, dims, dataType: DOUBLE, rawData: new Uint8Array(new Float64Array(size).buffer) });
  }

  /** 1 where `op(a, b)` holds, else 0, as float32. */
  mask(op: string, a: string, b: string): string {
    return this.op('Cast', [this.op(op, [a, b])], { to: { i: FLOAT } });
  }

  /** `g` summed over the axes where `value`'s shape is 1 and `like`'s is not (a broadcast operand's gradient). */
  unbroadcast(g: string, value: string, like: string): string {
    const to = this.shape(value);
    const from = this.shape(like);
    if (to.length !== from.length) throw new OnnxError(`a broadcast of ${value} across ranks on the way back`, 'unsupported');
    const axes = from.map((_, a) => a).filter((a) => a > 0 && to[a] === 1 && from[a] !== 1);
    return axes.length ? this.op('ReduceSum', [g, this.ints(axes)], { keepdims: { i: 1 } }) : g;
  }
}

function attribute(a: Attr): object {
  if ('f' in a) return { type: A_FLOAT, f: a.f };
  if ('i' in a) return { type: A_INT, i: a.i };
  if ('s' in a) return { type: A_STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { type: A_INTS, ints: a.ints };
  return { type: A_TENSOR, t: a.t };
}

export const num = (node: OnnxNode, name: string, fallback: number): number => {
  const a = node.attributes.get(name);
  return typeof a === 'number' ? a : fallback;
};

export const nums = (node: OnnxNode, name: string): readonly number[] | undefined => {
  const a = node.attributes.get(name);
  return Array.isArray(a) && a.every((x) => typeof x === 'number') ? a : undefined;
};

/** A constant input's numbers (an initializer or Constant, through Identity and Cast nodes), or undefined for an input left out. */
export function constant(b: Builder, node: OnnxNode, slot: number): readonly number[] | undefined {
  let name = node.inputs[slot];
  if (!name) return undefined;
  for (let hops = 0; hops <= b.graph.nodes.length; hops++) {
    try {
      return Array.from(initializerOf(b.graph, name, node).data as ArrayLike<number>);
    } catch {
      const cast = b.graph.nodes.find((n) => n.outputs[0] === name && n.opType === 'Cast');
      if (!cast) break;
      name = cast.inputs[0];
    }
  }
  throw new OnnxError(`${where(node)}: its input ${slot} is not a constant`, 'unsupported');
}

/** A window's geometry per spatial axis; `pads` begins then ends; `channels` is the input's. */
export interface Windows {
  strides: readonly number[];
  dilations: readonly number[];
  pads: readonly number[];
  outputPadding: number[];
  channels: number;
}

/** The windows of a Conv or a pooling: per spatial axis, kernel, stride, pads and dilation, checked against the sizes. */
export function windows(b: Builder, node: OnnxNode, kernel: readonly number[]): Windows {
  const autoPad = node.attributes.get('auto_pad');
  if (autoPad !== undefined && autoPad !== 'NOTSET' && autoPad !== 'VALID')
    throw new OnnxError(`${where(node)}: auto_pad ${typeof autoPad === 'string' ? autoPad : '?'}`, 'unsupported');
  const x = b.shape(node.inputs[0]);
  const y = b.shape(node.outputs[0]);
  const n = kernel.length;
  const strides = nums(node, 'strides') ?? kernel.map(() => 1);
  const dilations = nums(node, 'dilations') ?? kernel.map(() => 1);
  const pads = nums(node, 'pads') ?? new Array<number>(2 * n).fill(0);
  // The transposed window's output size falls short of the input by the positions past the last window: output_padding.
  const outputPadding = kernel.map((k, i) => {
    const made = ((y[2 + i] as number) - 1) * strides[i] - pads[i] - pads[n + i] + dilations[i] * (k - 1) + 1;
    const extra = (x[2 + i] as number) - made;
    if (extra < 0 || extra >= Math.max(strides[i], dilations[i]))
      throw new OnnxError(`${where(node)}: windows that do not tile its input`, 'unsupported');
    return extra;
  });
  return { strides, dilations, pads, outputPadding, channels: x[1] as number };
}

/**
 * The adjoint of an AveragePool: each value spread evenly over its window, the transposed
 * convolution by 1/|window| per channel (the Taylor estimate's gradient and the deconvolution's rule).
 * @throws OnnxError for windows past the input's end (ceil_mode) or padded windows that do not count the pads.
 */
export function spreadOverWindows(
  b: Builder,
  node: OnnxNode,
  g: string,
  weight: (data: () => Float32Array, dims: number[]) => string,
): string {
  const kernel = nums(node, 'kernel_shape')!;
  const w = windows(b, node, kernel);
  if (num(node, 'ceil_mode', 0) !== 0 && w.outputPadding.some((p) => p !== 0))
    throw new OnnxError(`${where(node)}: an average pooling whose last windows pass the input's end`, 'unsupported');
  if (w.pads.some((p) => p !== 0) && num(node, 'count_include_pad', 0) !== 1)
    throw new OnnxError(`${where(node)}: an average pooling of padded windows that does not count the pads`, 'unsupported');
  const size = kernel.reduce((x, y) => x * y, 1);
  return b.op('ConvTranspose', [g, weight(() => new Float32Array(w.channels * size).fill(1 / size), [w.channels, 1, ...kernel])], {
    kernel_shape: { ints: kernel },
    strides: { ints: w.strides },
    pads: { ints: w.pads },
    group: { i: w.channels },
    output_padding: { ints: w.outputPadding },
  });
}

/**
 * The adjoint of a Pad of the maps: its pads cropped off again.
 * @throws OnnxError for a padding other than constant pads of the maps (no mode but constant, no axes input, no pads on the batch).
 */
export function cropPads(b: Builder, node: OnnxNode, g: string): string {
  const mode = node.attributes.get('mode') ?? 'constant';
  const pads = nums(node, 'pads') ?? constant(b, node, 1) ?? [];
  const x = b.shape(node.inputs[0]);
  if (
    mode !== 'constant' ||
    node.inputs[3] ||
    pads.length !== 2 * x.length ||
    pads.some((p) => p < 0) ||
    pads[0] !== 0 ||
    pads[x.length] !== 0
  )
    throw new OnnxError(`${where(node)}: a padding other than constant pads of the maps`, 'unsupported');
  const axes = x.map((_, a) => a).filter((a) => a > 0 && pads[a] + pads[x.length + a] > 0);
  if (!axes.length) return g;
  return b.op('Slice', [g, b.ints(axes.map((a) => pads[a])), b.ints(axes.map((a) => pads[a] + (x[a] as number))), b.ints(axes)]);
}
