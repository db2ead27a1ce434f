// What the PyTorch recorder records, as the Python model scan (pythonScan.ts) needs it: the module
// classes and functions it makes layers of, mirrored from python/cnn_slicer/ops.py (the unit test
// test/unit/extension/detection/pythonScan.test.ts reads ops.py and checks the two agree), and the
// options a run records of a layer (python/cnn_slicer/trace.py `module_args`, `_pool_args`), read
// from the literal arguments of a call in tree-sitter's syntax tree.
import type { SyntaxNode as Node } from './pythonSyntax';
import type { DetectedLayer } from './types';

/** The named children of a node, comments left out by the copy (none for a missing node). */
export const named = (node: Node | null | undefined): Node[] => (node ? node.namedChildren : []);

/**
 * The module classes the recorder makes a layer of, as it writes their `className`
 * (python/cnn_slicer/ops.py LAYER_MODULES; the unit test checks the two agree).
 */
export const PYTORCH_LAYER_MODULES: readonly string[] = [
  'Conv2d',
  'Linear',
  'BatchNorm1d',
  'BatchNorm2d',
  'LayerNorm',
  'ReLU',
  'ReLU6',
  'LeakyReLU',
  'ELU',
  'Sigmoid',
  'Tanh',
  'Hardswish',
  'Hardsigmoid',
  'SiLU',
  'GELU',
  'Softmax',
  'LogSoftmax',
  'MaxPool2d',
  'AvgPool2d',
  'AdaptiveAvgPool2d',
  'AdaptiveMaxPool2d',
  'Upsample',
];

/**
 * torch.nn classes the recorder records as the layer class they derive from (its `isinstance`,
 * python/cnn_slicer/trace.py `layer_class_name`): their className is the base's.
 */
export const PYTORCH_LAYER_SUBCLASSES: Readonly<Record<string, string>> = {
  UpsamplingNearest2d: 'Upsample',
  UpsamplingBilinear2d: 'Upsample',
};

/**
 * The functions the recorder makes a layer of: the name torch dispatches a call under → the op
 * name it records (python/cnn_slicer/ops.py LAYER_FUNCTIONS, without the operators' dunder names,
 * which `+` and `*` stand for here).
 */
export const PYTORCH_LAYER_FUNCTIONS: Readonly<Record<string, string>> = {
  relu: 'relu',
  relu_: 'relu',
  relu6: 'relu6',
  leaky_relu: 'leaky_relu',
  leaky_relu_: 'leaky_relu',
  sigmoid: 'sigmoid',
  sigmoid_: 'sigmoid',
  tanh: 'tanh',
  tanh_: 'tanh',
  hardswish: 'hardswish',
  hardsigmoid: 'hardsigmoid',
  silu: 'silu',
  gelu: 'gelu',
  layer_norm: 'layer_norm',
  softmax: 'softmax',
  log_softmax: 'log_softmax',
  max_pool2d: 'max_pool2d',
  avg_pool2d: 'avg_pool2d',
  adaptive_avg_pool2d: 'adaptive_avg_pool2d',
  adaptive_max_pool2d: 'adaptive_max_pool2d',
  mean: 'mean',
  amax: 'amax',
  interpolate: 'interpolate',
  add: 'add',
  add_: 'add',
  mul: 'mul',
  mul_: 'mul',
  cat: 'cat',
  concat: 'cat',
  chunk: 'chunk',
  split: 'split',
};

/** The op a function of torch or torch.nn.functional records (`relu_` → `relu`), if it is a layer. */
export function layerFunction(name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(PYTORCH_LAYER_FUNCTIONS, name) ? PYTORCH_LAYER_FUNCTIONS[name] : undefined;
}

/** Tensor methods that dispatch as a layer function (`x.relu()`, `out.add_(identity)`). */
export const TENSOR_METHODS = new Set([
  'relu',
  'relu_',
  'sigmoid',
  'sigmoid_',
  'tanh',
  'tanh_',
  'softmax',
  'log_softmax',
  'mean',
  'amax',
  'chunk',
  'split',
  'add',
  'add_',
  'mul',
  'mul_',
]);

/** The `:` separators of a slice (`a:b` has one, `a:b:s` two): its text without its parts' (the copied tree keeps no tokens). */
function colons(node: Node): number {
  let text = node.text;
  for (const part of [...named(node)].reverse())
    text = text.slice(0, part.startIndex - node.startIndex) + text.slice(part.endIndex - node.startIndex);
  return text.split(':').length - 1;
}

/**
 * Whether a subscript is the channel slice the recorder makes a layer of (ops.py `__getitem__`,
 * trace.py `_channel_slice`): `x[:, a:b]`, its step 1, and only `:` or `...` after it.
 */
export function isChannelSlice(subscript: Node): boolean {
  const [batch, channels, ...rest] = subscript.childrenForFieldName('subscript');
  const whole = (n: Node) => n.type === 'slice' && named(n).length === 0 && colons(n) === 1;
  return (
    batch !== undefined &&
    channels?.type === 'slice' &&
    colons(channels) === 1 &&
    whole(batch) &&
    rest.every((n) => n.type === 'ellipsis' || whole(n))
  );
}

/**
 * How many layers a call of `chunk` or `split` makes, one a piece (the recorder's `chunk`,
 * `chunk-2`, …), where its literal arguments tell: `x.chunk(2, 1)`, `torch.chunk(x, 2, 1)`,
 * `torch.split(x, [3, 5], 1)`; 1 where they do not (`split(x, 4, 1)`: the pieces depend on the channels).
 */
export function piecesOf(call: Node, op: string, method: boolean): number {
  const args = named(call.childForFieldName('arguments'));
  const keyword = args.find(
    (a) => a.type === 'keyword_argument' && a.childForFieldName('name')?.text === (op === 'chunk' ? 'chunks' : 'split_size_or_sections'),
  );
  const given = keyword?.childForFieldName('value') ?? args.filter((a) => a.type !== 'keyword_argument')[method ? 0 : 1];
  const value = given ? literal(given) : undefined;
  if (op === 'chunk' && typeof value === 'number' && value > 0) return value;
  return op === 'split' && Array.isArray(value) ? value.length : 1;
}

/** `a + b` and `a * b` (and `+=`, `*=`) of two tensors are layers (ops.py TWO_TENSOR_OPS). */
export const OPERATORS: Readonly<Record<string, string>> = { '+': 'add', '*': 'mul', '+=': 'add', '*=': 'mul' };

/**
 * The recorded options of a module class or functional op, by its Python parameters: the
 * parameter names in positional order, and which recorded `args` (python/cnn_slicer/trace.py
 * `module_args`, `_pool_args`) and `units` each gives.
 */
export interface ArgSpec {
  params: readonly string[];
  /** The parameter whose literal is the output's width (`units` of DetectedLayer). */
  units?: string;
  /** Recorded arg → parameter. */
  args: Readonly<Record<string, string>>;
  /** Recorded arg → its value when the call does not give the parameter (or gives `None`): a number, or another recorded arg's. */
  defaults?: Readonly<Record<string, number | { same: string }>>;
}

const POOL_MODULE: ArgSpec = {
  params: ['kernel_size', 'stride'],
  args: { poolSize: 'kernel_size', strides: 'stride' },
  defaults: { strides: { same: 'poolSize' } },
};
const POOL_FUNCTION: ArgSpec = { ...POOL_MODULE, params: ['input', 'kernel_size', 'stride'] };
const BATCH_NORM: ArgSpec = { params: ['num_features'], units: 'num_features', args: {} };

export const ARG_SPECS: Readonly<Record<string, ArgSpec>> = {
  Conv2d: {
    params: ['in_channels', 'out_channels', 'kernel_size', 'stride'],
    units: 'out_channels',
    args: { filters: 'out_channels', kernelSize: 'kernel_size', strides: 'stride' },
    defaults: { strides: 1 },
  },
  Linear: { params: ['in_features', 'out_features'], units: 'out_features', args: { units: 'out_features' } },
  BatchNorm1d: BATCH_NORM,
  BatchNorm2d: BATCH_NORM,
  MaxPool2d: POOL_MODULE,
  AvgPool2d: POOL_MODULE,
  max_pool2d: POOL_FUNCTION,
  avg_pool2d: POOL_FUNCTION,
};

/** A literal number, tuple of numbers or `None` (null); undefined for anything else. */
function literal(node: Node): number | number[] | null | undefined {
  if (node.type === 'none') return null;
  if (node.type === 'integer') {
    const value = Number(node.text.replace(/_/g, ''));
    return Number.isSafeInteger(value) ? value : undefined;
  }
  if (node.type === 'tuple' || node.type === 'list' || node.type === 'parenthesized_expression') {
    const items = named(node).map(literal);
    if (node.type === 'parenthesized_expression') return items.length === 1 ? items[0] : undefined;
    return items.length > 0 && items.every((v): v is number => typeof v === 'number') ? items : undefined;
  }
  return undefined;
}

/** The `units` and recorded `args` a call's literal arguments give, per its ArgSpec. */
export function literalOptions(call: Node, spec: ArgSpec): Pick<DetectedLayer, 'units' | 'args'> {
  const args = named(call.childForFieldName('arguments'));
  // After a `*xs` the positions are unknown; a `**kw` may give any parameter.
  if (args.some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return {};
  const given = new Map<string, Node>();
  let position = 0;
  for (const a of args) {
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) given.set(name, value);
    } else if (position < spec.params.length) given.set(spec.params[position++], a);
  }
  const out: Pick<DetectedLayer, 'units' | 'args'> = {};
  const recorded: Record<string, number | number[]> = {};
  for (const [arg, param] of Object.entries(spec.args)) {
    const node = given.get(param);
    const value = node ? literal(node) : null;
    if (value !== null && value !== undefined) recorded[arg] = value;
    else if (value === null) {
      const fallback = spec.defaults?.[arg];
      if (typeof fallback === 'number') recorded[arg] = fallback;
    }
  }
  for (const [arg, fallback] of Object.entries(spec.defaults ?? {})) {
    if (typeof fallback === 'object' && recorded[arg] === undefined && recorded[fallback.same] !== undefined) {
      const node = given.get(spec.args[arg]);
      if (!node || literal(node) === null) recorded[arg] = recorded[fallback.same];
    }
  }
  if (Object.keys(recorded).length) out.args = recorded;
  const width = spec.units ? given.get(spec.units) : undefined;
  const units = width ? literal(width) : undefined;
  if (typeof units === 'number' && units > 0) out.units = units;
  return out;
}
