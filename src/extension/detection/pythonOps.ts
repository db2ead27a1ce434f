// What the PyTorch recorder records, as the Python model scan (pythonScan.ts) needs it: the module
// classes and functions it makes layers of and the options a run records of a layer, read from the
// recorder's table (src/contract/pytorchOps.ts, which python/cnn_slicer/contract.json holds for the
// recorder), and those options read from the literal arguments of a call in tree-sitter's syntax tree.
import { PYTORCH_MODULES, PYTORCH_OPS, dispatchedOp, recordedModuleClass, type ArgSpec } from '../../contract/pytorchOps';
import type { SyntaxNode as Node } from './pythonSyntax';
import type { DetectedLayer } from './types';

/** The named children of a node, comments left out by the copy (none for a missing node). */
export const named = (node: Node | null | undefined): Node[] => (node ? node.namedChildren : []);

/** The module classes the recorder makes a layer of, as it writes their `className`. */
export const PYTORCH_LAYER_MODULES: readonly string[] = Object.keys(PYTORCH_MODULES).filter((name) => recordedModuleClass(name) === name);

/** torch.nn classes the recorder records as the layer class they derive from (its `isinstance`): their className is the base's. */
export const PYTORCH_LAYER_SUBCLASSES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(PYTORCH_MODULES).flatMap((name) => {
    const base = recordedModuleClass(name);
    return base !== undefined && base !== name ? [[name, base]] : [];
  }),
);

/**
 * The functions the recorder makes a layer of: the name torch dispatches a call under → the op
 * name it records, without the operators' dunder names (which `+`, `*` and `x[:, a:b]` stand for here).
 */
export const PYTORCH_LAYER_FUNCTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(PYTORCH_OPS).flatMap(([op, entry]) => entry.dispatch.filter((name) => !name.startsWith('__')).map((name) => [name, op])),
);

/** The op a function of torch or torch.nn.functional records (`relu_` → `relu`), if it is a layer. */
export function layerFunction(name: string): string | undefined {
  return name.startsWith('__') ? undefined : dispatchedOp(name);
}

/** Tensor methods that dispatch as a layer function (`x.relu()`, `out.add_(identity)`). */
export const TENSOR_METHODS = new Set(
  Object.values(PYTORCH_OPS).flatMap((op) => (op.tensorMethod ? op.dispatch.filter((name) => !name.startsWith('__')) : [])),
);

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

/** `a + b` and `a * b` (and `+=`, `*=`) of two tensors are layers (pytorchOps.ts `twoTensors`): the op each dispatches as. */
export const OPERATORS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries({ '+': '__add__', '*': '__mul__', '+=': '__iadd__', '*=': '__imul__' }).map(([operator, name]) => [
    operator,
    dispatchedOp(name)!,
  ]),
);

/** The recorded options of each layer module class and functional op that has some, by className. */
export const ARG_SPECS: Readonly<Record<string, ArgSpec>> = Object.fromEntries(
  [...Object.entries(PYTORCH_MODULES), ...Object.entries(PYTORCH_OPS)].flatMap(([name, entry]) =>
    entry.options ? [[name, entry.options]] : [],
  ),
);

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
