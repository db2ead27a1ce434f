/**
 * The ops that move values or compute shapes: Flatten, Reshape, Squeeze, Unsqueeze and Transpose
 * on a layer's value (a Flatten, Reshape or Permute step: channel shuffles are Reshape, Transpose,
 * Reshape), Concat of values (a Concatenate step), and the constants of `x.view(x.size(0), -1)`:
 * Shape, Gather, Unsqueeze, Concat and Cast on shapes are computed here, with the batch size left
 * unknown, so the Reshape they feed is a plain Flatten; a Concat of float vectors (a Resize's scales)
 * too. Identity and Dropout (at inference) pass their value on.
 */
import { isTensor, type OnnxNode } from '../graph';
import { product, type OpHandler, type Planner, type TensorValue } from '../planner';

/** A reshape of a layer's value to `target` (without the batch): a Flatten to a vector, else a Reshape; nothing when it changes nothing. */
function reshapeTo(p: Planner, node: OnnxNode, x: TensorValue, target: readonly number[]): void {
  if (product(target) !== product(x.shape))
    p.refuse(node, `a reshape of [${x.shape.join(', ')}] to [${target.join(', ')}], which holds another number of values`);
  // Between [C] and [C, 1, 1] (squeeze-and-excitation) a reshape means the same with the channels last.
  const perChannel = (shape: readonly number[]) => product(shape.slice(1));
  const channelsOnly = perChannel(x.shape) === 1 && perChannel(target) === 1;
  const last = target.length >= 2 ? [...target.slice(1), target[0]] : target;
  if (target.length === x.shape.length && target.every((d, i) => d === x.shape[i])) p.alias(node, x);
  else if (target.length === 1) p.step(node, 'Flatten', {}, [x], target, [], channelsOnly ? {} : null);
  else p.step(node, 'Reshape', { targetShape: target }, [x], target, [], channelsOnly ? { targetShape: last } : null);
}

/** ONNX Reshape's target with the batch axis first: 0 copies a dimension, −1 takes the rest. */
function reshape(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  const shape = p.ints(node, 1);
  if (p.num(node, 'allowzero', 0) !== 0) p.refuse(node, 'a reshape with allowzero');
  const perInput = product(x.shape);
  const rest = shape.slice(1).map((d, i) => (d === 0 ? x.shape[i] : d));
  if (rest.some((d) => d === null)) p.refuse(node, 'a reshape whose later dimensions depend on the batch size');
  const known = rest as number[];
  const first = shape[0];
  const keepsBatch = first === null || first === 0 || (first === -1 && !known.includes(-1) && product(known) === perInput);
  if (!keepsBatch)
    p.refuse(
      node,
      `a reshape to [${shape.map((d) => d ?? 'N').join(', ')}], which does not keep the batch axis (export with a dynamic batch, and keep x.size(0) first)`,
    );
  const free = known.indexOf(-1);
  if (free !== known.lastIndexOf(-1)) p.refuse(node, 'a reshape with two dimensions of -1');
  const target = free < 0 ? known : known.map((d) => (d === -1 ? perInput / -product(known) : d));
  reshapeTo(p, node, x, target);
}

/** Squeeze and Unsqueeze: of a layer's value, a reshape; of a shape constant, the same numbers. */
const squeezeOrUnsqueeze =
  (squeeze: boolean): OpHandler =>
  (p, node) => {
    const v = p.value(node, 0);
    if (v.kind === 'ints') {
      p.set(node.outputs[0], v);
      return;
    }
    const axes = node.inputs[1] ? p.knownInts(node, 1) : (p.nums(node, 'axes') ?? []);
    if (v.kind === 'floats') {
      // A weight reshaped (a layer normalisation's `self.weight[:, None, None]`): the same numbers.
      const rank = v.tensor.dims.length + (squeeze ? 0 : axes.length);
      const at = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
      const dims = squeeze ? v.tensor.dims.filter((d, i) => (at.length ? !at.includes(i) : d !== 1)) : [...v.tensor.dims];
      if (!squeeze) for (const a of at) dims.splice(a, 0, 1);
      p.set(node.outputs[0], { kind: 'floats', tensor: { ...v.tensor, name: node.outputs[0], dims } });
      return;
    }
    const x = p.tensor(node, 0);
    const rank = x.shape.length + 1 + (squeeze ? 0 : axes.length);
    const norm = axes.map((a) => (a < 0 ? a + rank : a));
    if (norm.includes(0)) p.refuse(node, `a ${squeeze ? 'squeeze' : 'unsqueeze'} of the batch axis`);
    let target: number[];
    if (squeeze) target = x.shape.filter((d, i) => (norm.length ? !norm.includes(i + 1) : d !== 1));
    else {
      target = [...x.shape];
      for (const a of [...norm].sort((a, b) => a - b)) target.splice(a - 1, 0, 1);
    }
    reshapeTo(p, node, x, target);
  };

function concat(p: Planner, node: OnnxNode): void {
  const values = node.inputs.map((_, i) => p.value(node, i));
  if (values.every((v) => v.kind === 'ints')) {
    p.set(node.outputs[0], { kind: 'ints', data: values.flatMap((v) => (v.kind === 'ints' ? v.data : [])) });
    return;
  }
  // Float vectors (a Resize's scales, `[1, 1]` and the scale factors, of an Upsample module): computed here.
  if (values.every((v) => v.kind === 'floats' && v.tensor.dims.length === 1)) {
    const data = Float32Array.from(values.flatMap((v) => (v.kind === 'floats' ? Array.from(v.tensor.data) : [])));
    p.set(node.outputs[0], { kind: 'floats', tensor: { name: node.outputs[0], dataType: 'float32', dims: [data.length], data } });
    return;
  }
  const xs = node.inputs.map((_, i) => p.tensor(node, i));
  // torch.cat of a one-tensor list (DenseNet's first layer of a block, `torch.cat([x], 1)`) passes it on.
  if (xs.length === 1) {
    p.alias(node, xs[0]);
    return;
  }
  const rank = xs[0].shape.length + 1;
  const raw = p.num(node, 'axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 1) p.refuse(node, 'a concatenation along the batch axis');
  const shape = [...xs[0].shape];
  for (const x of xs.slice(1)) {
    if (x.shape.length !== shape.length || x.shape.some((d, i) => i !== axis - 1 && d !== shape[i]))
      p.refuse(node, `a concatenation of [${xs.map((v) => v.shape.join(', ')).join('] and [')}] along axis ${axis}`);
    shape[axis - 1] += x.shape[axis - 1];
  }
  // Along the channels of maps, the last axis in the channels-last twin; other axes of maps have no twin.
  const twin = shape.length === 1 ? { axis } : axis === 1 ? { axis: -1 } : null;
  p.step(node, 'Concatenate', { axis }, xs, shape, [], twin);
}

/**
 * Transpose: of a weight (nn.Linear's on a map, `[out, in]` to `[in, out]`), computed here; of a
 * `[C, H, W]` map to channels last (`x.permute(0, 2, 3, 1)`) and back, no step: the value is held
 * channels last (planner.ts `channelsLast`) until the permute back; any other, a Permute step.
 */
function transpose(p: Planner, node: OnnxNode): void {
  const v = p.value(node, 0);
  if (v.kind === 'floats' && v.tensor.dims.length === 2 && (p.nums(node, 'perm') ?? [1, 0]).join() === '1,0') {
    const [rows, cols] = v.tensor.dims;
    const data = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = v.tensor.data[r * cols + c];
    p.set(node.outputs[0], { kind: 'floats', tensor: { name: node.outputs[0], dataType: 'float32', dims: [cols, rows], data } });
    return;
  }
  const x = p.anyTensor(node, 0);
  const perm = p.nums(node, 'perm') ?? Array.from({ length: x.shape.length + 1 }, (_, i) => x.shape.length - i);
  if (x.shape.length === 3 && !x.channelsLast && perm.join() === '0,2,3,1' && p.internal(node.outputs[0])) {
    p.set(node.outputs[0], { ...x, channelsLast: true });
    return;
  }
  if (x.channelsLast) {
    if (perm.join() !== '0,3,1,2')
      p.refuse(
        node,
        `a transpose by [${perm.join(', ')}] of a map with its channels last; CNN Slicer imports the permute back, [0, 3, 1, 2]`,
      );
    p.alias(node, { ...x, channelsLast: false });
    return;
  }
  if (perm[0] !== 0) p.refuse(node, 'a transpose that moves the batch axis');
  // Keras's Permute numbers the axes after the batch from 1, as ONNX's perm does.
  p.step(
    node,
    'Permute',
    { dims: perm.slice(1) },
    [x],
    perm.slice(1).map((a) => x.shape[a - 1]),
  );
}

function gather(p: Planner, node: OnnxNode): void {
  const data = p.ints(node, 0);
  const indices = p.knownInts(node, 1);
  if (p.num(node, 'axis', 0) !== 0) p.refuse(node, 'a gather along an axis other than 0 of a shape');
  p.set(node.outputs[0], {
    kind: 'ints',
    data: indices.map((i) => {
      const at = i < 0 ? i + data.length : i;
      if (at < 0 || at >= data.length) p.refuse(node, `index ${i} is outside a shape of ${data.length}`);
      return data[at];
    }),
  });
}

/** ONNX's TensorProto data types a cast may name: floats and integers. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);
const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

/** A cast of a constant (a clip's bounds, a shape) is computed here; of a layer's value, refused. */
function cast(p: Planner, node: OnnxNode): void {
  const v = p.value(node, 0);
  const to = p.num(node, 'to', 0);
  if (v.kind === 'floats' && FLOAT_TYPES.has(to)) p.set(node.outputs[0], v);
  else if (v.kind === 'ints' && INT_TYPES.has(to)) p.set(node.outputs[0], v);
  else if (v.kind === 'ints' && FLOAT_TYPES.has(to) && v.data.every((d) => d !== null)) {
    const data = Float32Array.from(v.data as number[]);
    p.set(node.outputs[0], { kind: 'floats', tensor: { name: node.outputs[0], dataType: 'float32', dims: [data.length], data } });
  } else if (v.kind === 'floats' && INT_TYPES.has(to)) {
    p.set(node.outputs[0], { kind: 'ints', data: Array.from(v.tensor.data, (x) => Math.trunc(x)) });
  } else p.refuse(node, `a cast of ${v.kind === 'tensor' ? "a layer's value" : 'a constant'} to the ONNX type ${to}`);
}

/** Pad with zeros on the spatial axes of `[C, H, W]` (what F.pad and a counted average pooling export): a padding step, or nothing for no pads. */
function pad(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  const mode = node.attributes.get('mode') ?? 'constant';
  if (mode !== 'constant')
    p.refuse(node, `a padding of mode ${typeof mode === 'string' ? mode : '?'}; CNN Slicer imports constant padding`);
  const pads = node.inputs[1] ? p.knownInts(node, 1) : (p.nums(node, 'pads') ?? []);
  const value = node.inputs[2] ? p.floats(node, 2).data[0] : p.num(node, 'value', 0);
  const rank = x.shape.length + 1;
  if (pads.length !== 2 * rank || node.inputs[3])
    p.refuse(node, `pads [${pads.join(', ')}] that do not give a before and an after per axis`);
  if (pads.every((d) => d === 0)) {
    p.alias(node, x);
    return;
  }
  const spatial = x.shape.length === 3 && [0, 1, rank, rank + 1].every((i) => pads[i] === 0) && pads.every((d) => d >= 0);
  if (!spatial || value !== 0)
    p.refuse(node, `a padding by [${pads.join(', ')}] with ${value}; CNN Slicer imports zero pads of the map of [C, H, W] values`);
  const padding = [
    [pads[2], pads[rank + 2]],
    [pads[3], pads[rank + 3]],
  ];
  const shape = [x.shape[0], x.shape[1] + pads[2] + pads[rank + 2], x.shape[2] + pads[3] + pads[rank + 3]];
  p.step(node, 'ZeroPadding2D', { padding, dataFormat: 'channelsFirst' }, [x], shape);
}

/**
 * A channel slice: channels `begin .. begin + size` of `x` as the value of `node`'s output `k`
 * (`x[:, a:b]`, each piece of `x.chunk(k, 1)` or `torch.split(x, sizes, 1)`), a ChannelSlice step.
 */
function channelSlice(p: Planner, node: OnnxNode, k: number, x: TensorValue, begin: number, size: number): void {
  const shape = [size, ...x.shape.slice(1)];
  const piece = k === 0 ? node : { ...node, name: `${node.name}:${k}`, outputs: [node.outputs[k]] };
  if (begin === 0 && size === x.shape[0]) p.alias(piece, x);
  else p.step(piece, 'ChannelSlice', { begin, size }, [x], shape, [], { begin, size, channelsLast: true });
}

/** The channel axis of a Slice or Split: 1 (or its negative), else refused. */
function channelAxis(p: Planner, node: OnnxNode, x: TensorValue, axis: number): void {
  const rank = x.shape.length + 1;
  if ((axis + rank) % rank !== 1)
    p.refuse(
      node,
      `a ${node.opType} along axis ${axis} of a rank-${rank} value; CNN Slicer imports one along the channels (axis 1): x[:, a:b], x.chunk(k, 1)`,
    );
}

/** ONNX Slice (opset 10+: starts, ends, axes, steps as inputs) of the channels, step 1: `x[:, a:b]`. */
function slice(p: Planner, node: OnnxNode): void {
  const v = p.value(node, 0);
  if (v.kind === 'ints') {
    // A slice of a shape (`x.size()[2:]` traced): computed while importing.
    const [start, end] = [p.knownInts(node, 1)[0], p.knownInts(node, 2)[0]];
    const n = v.data.length;
    const clamp = (i: number) => Math.max(0, Math.min(n, i < 0 ? i + n : i));
    if (node.inputs[4] && p.knownInts(node, 4)[0] !== 1) p.refuse(node, 'a slice of a shape by steps');
    p.set(node.outputs[0], { kind: 'ints', data: v.data.slice(clamp(start), clamp(end)) });
    return;
  }
  const x = p.tensor(node, 0);
  const starts = p.knownInts(node, 1);
  const ends = p.knownInts(node, 2);
  const axes = node.inputs[3] ? p.knownInts(node, 3) : starts.map((_, i) => i);
  const steps = node.inputs[4] ? p.knownInts(node, 4) : starts.map(() => 1);
  if (starts.length !== 1 || ends.length !== 1 || axes.length !== 1 || steps.length !== 1)
    p.refuse(node, `a slice of ${starts.length} axes; CNN Slicer imports a slice of the channels alone: x[:, a:b]`);
  channelAxis(p, node, x, axes[0]);
  if (steps[0] !== 1) p.refuse(node, `a slice of the channels by steps of ${steps[0]}; CNN Slicer imports x[:, a:b]`);
  const channels = x.shape[0];
  // ONNX clamps: negative counts from the end, past the end is the end (torch writes INT64_MAX for `a:`).
  const clamp = (i: number) => Math.max(0, Math.min(channels, i < 0 ? i + channels : i));
  const [begin, end] = [clamp(starts[0]), clamp(ends[0])];
  if (end <= begin) p.refuse(node, `an empty slice of the channels (${starts[0]}:${ends[0]} of ${channels})`);
  channelSlice(p, node, 0, x, begin, end - begin);
}

/** ONNX Split of the channels into pieces of the sizes given (opset 13+: an input) or equal ones. */
function split(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  channelAxis(p, node, x, p.num(node, 'axis', 0));
  const channels = x.shape[0];
  const pieces = node.outputs.length;
  const given = node.inputs[1] ? p.knownInts(node, 1) : p.nums(node, 'split');
  const sizes = given ? [...given] : Array.from({ length: pieces }, () => channels / pieces);
  if (sizes.length !== pieces || sizes.some((s) => !Number.isInteger(s) || s <= 0) || sizes.reduce((a, b) => a + b, 0) !== channels)
    p.refuse(node, `a split of ${channels} channels into [${sizes.join(', ')}]`);
  let begin = 0;
  sizes.forEach((size, k) => {
    channelSlice(p, node, k, x, begin, size);
    begin += size;
  });
}

export const SHAPE_OPS: Readonly<Record<string, OpHandler>> = {
  Slice: slice,
  Split: split,
  Identity: (p, node) => p.alias(node, p.value(node, 0)),
  Dropout: (p, node) => {
    if (node.outputs[1]) p.refuse(node, 'a dropout whose mask is read');
    p.alias(node, p.value(node, 0));
  },
  Flatten: (p, node) => {
    const x = p.tensor(node, 0);
    if (p.num(node, 'axis', 1) !== 1) p.refuse(node, 'a flatten from an axis other than 1');
    reshapeTo(p, node, x, [product(x.shape)]);
  },
  Reshape: reshape,
  Squeeze: squeezeOrUnsqueeze(true),
  Unsqueeze: squeezeOrUnsqueeze(false),
  Concat: concat,
  Transpose: transpose,
  Shape: (p: Planner, node: OnnxNode) => {
    const v = p.value(node, 0);
    if (v.kind !== 'tensor') p.refuse(node, 'the shape of a constant');
    if (node.attributes.has('start') || node.attributes.has('end')) p.refuse(node, 'a shape with start or end');
    p.set(node.outputs[0], { kind: 'ints', data: [null, ...v.shape] });
  },
  Gather: gather,
  Cast: cast,
  Pad: pad,
  Constant: (p: Planner, node: OnnxNode) => {
    const value = node.attributes.get('value');
    if (!isTensor(value)) p.refuse(node, 'a constant without a tensor value');
    p.set(node.outputs[0], value.dataType === 'float32' ? { kind: 'floats', tensor: value } : { kind: 'ints', data: value.data });
  },
};
