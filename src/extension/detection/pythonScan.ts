// Finds the layer definitions of a PyTorch model file without running Python, where the recorder
// (python/cnn_slicer) locates the same layers when it does run the model: the constructions of the
// module classes it records (`self.conv1 = nn.Conv2d(…)`, the entries of `nn.Sequential(…)`,
// `nn.ModuleList([…])`, `OrderedDict` forms, lists filled in helper methods such as `_make_layer`)
// and the functional ops of `forward()` (`F.relu(…)`, `torch.cat(…)`, `x.relu()`, `a + b`, `a += b`),
// under whatever names the file imports torch by (`import torch.nn as nn`, `from torch import nn`,
// `from torch.nn import Conv2d`). The positions are the recorder's: a module's is the start of the
// expression that constructs it (python/cnn_slicer/sources.py takes the value node's start), a
// functional op's is the start of the call or of the `a + b` / `a += b` expression (the position
// Python gives the instruction, python/cnn_slicer/trace.py `user_site`). Pure: the parser is
// given (pythonParser.ts loads it); tested in test/unit/extension/detection/pythonScan.test.ts.
import type { Tree } from '@vscode/tree-sitter-wasm';
import {
  ARG_SPECS,
  OPERATORS,
  PYTORCH_LAYER_MODULES,
  PYTORCH_LAYER_SUBCLASSES,
  TENSOR_METHODS,
  isChannelSlice,
  layerFunction,
  literalOptions,
  named,
  piecesOf,
} from './pythonOps';
import { copyTree, type SyntaxNode as Node } from './pythonSyntax';
import type { DetectedLayer, ModelDetection, PythonLayerSite } from './types';

/** What the Python scan finds: the layer definitions of ModelDetection, and what the file defines. */
export interface PythonModelScan extends ModelDetection {
  kind: 'python';
  /** The text does not parse (tree-sitter found an ERROR or a missing node): `layers` is empty. */
  syntaxError: boolean;
  /** The nn.Module subclasses the file defines, in source order. */
  moduleClasses: string[];
}

/** What the scan needs of a parser: a tree-sitter parser set to the Python grammar (pythonParser.ts). */
export interface PythonSyntaxParser {
  parse(text: string): Tree | null;
}

type Kind = { of: 'layer'; name: string } | { of: 'container'; name: 'Sequential' | 'ModuleList' | 'ModuleDict' } | { of: 'module' };

/** A class the file defines. */
interface ClassInfo {
  name: string;
  node: Node;
  bases: Node[];
  /** Undefined for a class that is not an nn.Module; a layer class's subclass constructs that layer. */
  kind?: Kind;
  methods: Map<string, Node>;
}

/** The state of one scan. */
interface Scan {
  /** Local name → the dotted torch (or collections) name it is bound to: `nn` → `torch.nn`, `Conv2d` → `torch.nn.Conv2d`. */
  names: Map<string, string>;
  /** Modules whose names `from … import *` binds (`torch.nn`, `torch.nn.functional`). */
  stars: Set<string>;
  classes: Map<string, ClassInfo>;
  /** Top-level functions, by name (helpers such as torchvision's `make_layers(cfg)`). */
  functions: Map<string, Node>;
  /** Paths of the sites found so far, by node (`keyOf`), each path once. */
  paths: Map<string, string[]>;
  /** Functions and methods that return one layer (`conv3x3(…)`: `return nn.Conv2d(…)`) → its class; by node (`keyOf`). */
  layerHelpers: Map<string, string>;
  /** The constructions those helpers return, which are located at the helper's calls instead. */
  returnedLayers: Set<string>;
}

const EMPTY = (syntaxError: boolean): PythonModelScan => ({ kind: 'python', isModel: false, layers: [], syntaxError, moduleClasses: [] });

/**
 * The layer definitions of a Python model file, in source order, and whether it defines a model
 * (an nn.Module subclass, or an `nn.Sequential(…)` build). A file that does not parse gives no
 * layers (its `syntaxError` says so); nothing here throws on any text.
 */
export function scanPythonModel(text: string, parser: PythonSyntaxParser): PythonModelScan {
  // Cheap rejection, before parsing, of the many Python files that do not use torch.
  if (!/\btorch\b/.test(text)) return EMPTY(false);
  const tree = parser.parse(text);
  if (!tree) return EMPTY(true);
  let root: Node;
  let syntaxError: boolean;
  try {
    syntaxError = tree.rootNode.hasError;
    root = copyTree(tree, text);
  } finally {
    tree.delete();
  }
  const scan: Scan = {
    names: new Map(),
    stars: new Set(),
    classes: new Map(),
    functions: new Map(),
    paths: new Map(),
    layerHelpers: new Map(),
    returnedLayers: new Set(),
  };
  readImports(root, scan);
  readClasses(root, scan);
  readLayerHelpers(root, scan);
  const moduleClasses = [...scan.classes.values()].filter((c) => c.kind !== undefined).map((c) => c.name);
  const isModel = moduleClasses.length > 0 || root.descendantsOfType('call').some((c) => containerOf(c, scan) === 'Sequential');
  if (syntaxError) return { ...EMPTY(true), isModel, moduleClasses };
  return { kind: 'python', isModel, layers: findSites(root, scan), syntaxError: false, moduleClasses };
}

// -- names ---------------------------------------------------------------------------------------

/** The import statements anywhere in the file (also inside `try:` and functions) bind names. */
function readImports(root: Node, scan: Scan): void {
  for (const node of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!node) continue;
    if (node.type === 'import_statement') {
      for (const name of node.childrenForFieldName('name')) {
        if (!name) continue;
        if (name.type === 'aliased_import') {
          const dotted = name.childForFieldName('name')?.text;
          const alias = name.childForFieldName('alias')?.text;
          if (dotted && alias) scan.names.set(alias, dotted);
        } else {
          // `import torch.nn` binds `torch`.
          const first = name.text.split('.')[0];
          scan.names.set(first, first);
        }
      }
      continue;
    }
    const from = node.childForFieldName('module_name');
    if (!from || from.type !== 'dotted_name') continue;
    if (named(node).some((c) => c.type === 'wildcard_import')) scan.stars.add(from.text);
    for (const name of node.childrenForFieldName('name')) {
      if (!name) continue;
      const imported = name.type === 'aliased_import' ? name.childForFieldName('name')?.text : name.text;
      const local = name.type === 'aliased_import' ? name.childForFieldName('alias')?.text : name.text;
      if (imported && local) scan.names.set(local, `${from.text}.${imported}`);
    }
  }
}

/** The dotted name an expression stands for (`nn.Conv2d` → `torch.nn.Conv2d`), for names the imports bind. */
function qualified(node: Node, scan: Scan): string | undefined {
  if (node.type === 'identifier') {
    const bound = scan.names.get(node.text);
    if (bound !== undefined) return bound;
    for (const star of scan.stars) {
      // `from torch.nn import *` binds its classes, `from torch.nn.functional import *` its functions.
      if ((star === 'torch.nn' && /^[A-Z]/.test(node.text)) || (star === 'torch.nn.functional' && layerFunction(node.text) !== undefined))
        return `${star}.${node.text}`;
    }
    return undefined;
  }
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute');
    const base = object ? qualified(object, scan) : undefined;
    return base !== undefined && attribute ? `${base}.${attribute.text}` : undefined;
  }
  return undefined;
}

const isContainerName = (name: string): name is 'Sequential' | 'ModuleList' | 'ModuleDict' =>
  name === 'Sequential' || name === 'ModuleList' || name === 'ModuleDict';

/** What a torch.nn class name constructs: a recorded layer, a container, or another module. */
function torchKind(dotted: string): Kind | undefined {
  if (!dotted.startsWith('torch.nn.') || dotted.startsWith('torch.nn.functional.')) return undefined;
  const last = dotted.slice(dotted.lastIndexOf('.') + 1);
  if (PYTORCH_LAYER_MODULES.includes(last)) return { of: 'layer', name: last };
  if (Object.prototype.hasOwnProperty.call(PYTORCH_LAYER_SUBCLASSES, last)) return { of: 'layer', name: PYTORCH_LAYER_SUBCLASSES[last] };
  if (isContainerName(last)) return { of: 'container', name: last };
  return /^[A-Z]/.test(last) ? { of: 'module' } : undefined;
}

/**
 * What a callee constructs: a class of the file (it shadows imports), else a torch.nn class. A
 * subclass of a container is a module here: its arguments are not its entries.
 */
function kindOfCallee(callee: Node, scan: Scan): Kind | undefined {
  if (callee.type === 'identifier') {
    const own = scan.classes.get(callee.text);
    if (own) return own.kind?.of === 'container' ? { of: 'module' } : own.kind;
  }
  const dotted = qualified(callee, scan);
  return dotted === undefined ? undefined : torchKind(dotted);
}

/** The container a call builds (`nn.Sequential(…)`), if it is one. */
function containerOf(call: Node, scan: Scan): string | undefined {
  const callee = call.childForFieldName('function');
  const kind = callee ? kindOfCallee(callee, scan) : undefined;
  return kind?.of === 'container' ? kind.name : undefined;
}

/** The classes of the file, and which are nn.Module subclasses (through torch.nn or another class of the file). */
function readClasses(root: Node, scan: Scan): void {
  for (const node of root.descendantsOfType('class_definition')) {
    const name = node?.childForFieldName('name')?.text;
    if (!node || !name) continue;
    const bases = named(node.childForFieldName('superclasses')).filter((b) => b.type !== 'keyword_argument');
    const methods = new Map<string, Node>();
    for (const statement of named(node.childForFieldName('body'))) {
      const fn = statement.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
      const fnName = fn?.type === 'function_definition' ? fn.childForFieldName('name')?.text : undefined;
      if (fn && fnName) methods.set(fnName, fn);
    }
    if (!scan.classes.has(name)) scan.classes.set(name, { name, node, bases, methods });
  }
  // A class's kind comes from its first base that is a module; classes of the file settle in turns.
  for (let changed = true; changed;) {
    changed = false;
    for (const c of scan.classes.values()) {
      if (c.kind !== undefined) continue;
      for (const base of c.bases) {
        const own = base.type === 'identifier' ? scan.classes.get(base.text) : undefined;
        const kind = own ? own.kind : torchKind(qualified(base, scan) ?? '');
        if (kind === undefined) continue;
        // A module of the user's named …LayerNorm… is the recorder's LayerNorm (trace.py `_layer_norm_like`).
        c.kind = kind.of === 'module' && c.name.includes('LayerNorm') ? { of: 'layer', name: 'LayerNorm' } : kind;
        changed = true;
        break;
      }
    }
  }
  for (const node of named(root)) {
    const fn = node.type === 'decorated_definition' ? node.childForFieldName('definition') : node;
    const fnName = fn?.type === 'function_definition' ? fn.childForFieldName('name')?.text : undefined;
    if (fn && fnName) scan.functions.set(fnName, fn);
  }
}

/** A method of a class of the file, or of one of its bases in the file. */
function methodOf(c: ClassInfo, name: string, scan: Scan, seen = new Set<ClassInfo>()): { method: Node; owner: ClassInfo } | undefined {
  if (seen.has(c)) return undefined;
  seen.add(c);
  const method = c.methods.get(name);
  if (method) return { method, owner: c };
  for (const base of c.bases) {
    const own = base.type === 'identifier' ? scan.classes.get(base.text) : undefined;
    const found = own ? methodOf(own, name, scan, seen) : undefined;
    if (found) return found;
  }
  return undefined;
}

/**
 * The helpers that return one layer: every `return` of the function gives a construction of the
 * same layer class. The recorder locates what they build at their call (the value of
 * `self.conv1 = conv3x3(…)`, an entry of a Sequential: python/cnn_slicer/sources.py), so their
 * calls are the sites, not the construction inside them. A helper the file never calls keeps its
 * construction as the site (another file calls it).
 */
function readLayerHelpers(root: Node, scan: Scan): void {
  const called = new Set<string>();
  for (const call of root.descendantsOfType('call')) {
    const callee = call?.childForFieldName('function');
    const name = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
    if (name) called.add(name);
  }
  const fns = [
    ...scan.functions.values(),
    ...[...scan.classes.values()].filter((c) => c.kind !== undefined).flatMap((c) => [...c.methods.values()]),
  ];
  for (const fn of fns) {
    if (!called.has(fn.childForFieldName('name')?.text ?? '')) continue;
    const values = returnValues(fn);
    const kinds = values.map((v) => {
      const callee = v.type === 'call' ? v.childForFieldName('function') : undefined;
      const kind = callee ? kindOfCallee(callee, scan) : undefined;
      return kind?.of === 'layer' ? kind.name : undefined;
    });
    if (!kinds.length || kinds.some((k) => k === undefined || k !== kinds[0])) continue;
    scan.layerHelpers.set(keyOf(fn), kinds[0] as string);
    for (const v of values) scan.returnedLayers.add(keyOf(v));
  }
}

/** The layer class a call of a layer helper of the file constructs (see `readLayerHelpers`), if it is one. */
function helperLayer(call: Node, scan: Scan, cls: ClassInfo | undefined): string | undefined {
  const callee = call.childForFieldName('function');
  let fn: Node | undefined;
  if (callee?.type === 'identifier' && !scan.classes.has(callee.text)) fn = scan.functions.get(callee.text);
  else if (callee?.type === 'attribute' && callee.childForFieldName('object')?.text === 'self' && cls)
    fn = methodOf(cls, callee.childForFieldName('attribute')?.text ?? '', scan)?.method;
  return fn ? scan.layerHelpers.get(keyOf(fn)) : undefined;
}

// -- names of the layers (paths) -----------------------------------------------------------------

/** A key of a node within its tree (node ids are not unique for every node kind). */
const keyOf = (node: Node): string => `${node.startIndex}:${node.endIndex}:${node.type}`;

const join = (prefix: string, segment: string | number): string => (prefix ? `${prefix}.${segment}` : String(segment));

/** Where an expression is read: the function holding it (for its local names) and the class of the file. */
interface PathContext {
  scan: Scan;
  /** The function (or the module, for top-level code) whose local names the expression reads. */
  fn?: Node;
  cls?: ClassInfo;
  /** Local names of each function: what is assigned, appended, extended to them (see `localSources`). */
  locals: Map<string, Map<string, Source[]>>;
  /** Top-level functions followed as helpers from a class (their Sequential builds are not roots). */
  helpers: Set<string>;
  depth: number;
}

/** How a value reaches a local name: `x = v`, `x += v` / `x.extend(v)` (v's members), `x.append(v)` / `x.insert(i, v)`. */
interface Source {
  how: 'assign' | 'extend' | 'append';
  value: Node;
}

function addPath(node: Node, path: string, scan: Scan): void {
  const key = keyOf(node);
  const paths = scan.paths.get(key) ?? [];
  if (!paths.includes(path)) paths.push(path);
  scan.paths.set(key, paths);
}

const ownNodesOf = new WeakMap<Node, Node[]>();

/** The nodes below `node` in its own scope, in document order: nested functions, lambdas and classes are left out. */
function ownNodes(node: Node): Node[] {
  const known = ownNodesOf.get(node);
  if (known) return known;
  const out: Node[] = [];
  const walk = (n: Node) => {
    for (const child of n.children) {
      if (!child.isNamed || child.type === 'function_definition' || child.type === 'class_definition' || child.type === 'lambda') continue;
      out.push(child);
      walk(child);
    }
  };
  walk(node);
  ownNodesOf.set(node, out);
  return out;
}

/** The positional arguments of a call (`*xs` among them); the generator of `f(x for x in xs)` is one. */
function positional(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  if (args?.type === 'generator_expression') return [args];
  return named(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat');
}

/** What each local name of a function is given, read once per function. */
function localSources(ctx: PathContext): Map<string, Source[]> {
  if (!ctx.fn) return new Map();
  const key = keyOf(ctx.fn);
  const known = ctx.locals.get(key);
  if (known) return known;
  const found = new Map<string, Source[]>();
  const add = (name: string, source: Source) => found.set(name, [...(found.get(name) ?? []), source]);
  for (const node of ownNodes(ctx.fn)) {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    if (node.type === 'assignment' && left?.type === 'identifier' && right) add(left.text, { how: 'assign', value: right });
    else if (
      node.type === 'augmented_assignment' &&
      left?.type === 'identifier' &&
      right &&
      node.childForFieldName('operator')?.type === '+='
    )
      add(left.text, { how: 'extend', value: right });
    else if (node.type === 'call') {
      const callee = node.childForFieldName('function');
      const object = callee?.type === 'attribute' ? callee.childForFieldName('object') : undefined;
      const method = callee?.childForFieldName('attribute')?.text;
      if (object?.type !== 'identifier' || !method) continue;
      const args = positional(node);
      if (method === 'append' && args[0]) add(object.text, { how: 'append', value: args[0] });
      else if (method === 'insert' && args[1]) add(object.text, { how: 'append', value: args[1] });
      else if (method === 'extend' && args[0]) add(object.text, { how: 'extend', value: args[0] });
    }
  }
  ctx.locals.set(key, found);
  return found;
}

const deeper = (ctx: PathContext, change: Partial<PathContext> = {}): PathContext => ({ ...ctx, ...change, depth: ctx.depth + 1 });

/** The `return <value>` values of a function (not of the functions nested in it). */
function returnValues(fn: Node): Node[] {
  const body = fn.childForFieldName('body');
  if (!body) return [];
  return ownNodes(body)
    .filter((n) => n.type === 'return_statement')
    .flatMap((r) => named(r).slice(0, 1));
}

/** Names `expr` gives the layers it constructs, under `prefix` (see PythonLayerSite.paths). */
function pathsOf(expr: Node, prefix: string, ctx: PathContext): void {
  if (ctx.depth > 16) return;
  const { scan } = ctx;
  if (expr.type === 'parenthesized_expression' || expr.type === 'conditional_expression') {
    // `(a)`, `a if c else b`: the condition is the middle child and constructs nothing.
    const parts = named(expr);
    for (const part of expr.type === 'conditional_expression' ? [parts[0], parts[2]] : parts) if (part) pathsOf(part, prefix, deeper(ctx));
    return;
  }
  if (expr.type === 'identifier') {
    for (const s of localSources(ctx).get(expr.text) ?? []) if (s.how === 'assign') pathsOf(s.value, prefix, deeper(ctx));
    return;
  }
  if (expr.type !== 'call') return;
  const callee = expr.childForFieldName('function');
  if (!callee) return;
  const kind = kindOfCallee(callee, scan);
  if (kind?.of === 'layer' || helperLayer(expr, scan, ctx.cls) !== undefined) addPath(expr, prefix, scan);
  else if (kind?.of === 'container') entries(expr, prefix, kind.name, deeper(ctx));
  else if (callee.type === 'attribute' && callee.childForFieldName('object')?.text === 'self' && ctx.cls) {
    // `self._make_layer(…)`: what the helper method returns.
    const found = methodOf(ctx.cls, callee.childForFieldName('attribute')?.text ?? '', scan);
    if (found) for (const value of returnValues(found.method)) pathsOf(value, prefix, deeper(ctx, { fn: found.method, cls: found.owner }));
  } else if (callee.type === 'identifier' && scan.functions.has(callee.text) && !scan.classes.has(callee.text)) {
    // `make_layers(cfg)`: a helper function of the file.
    const fn = scan.functions.get(callee.text) as Node;
    ctx.helpers.add(keyOf(fn));
    for (const value of returnValues(fn)) pathsOf(value, prefix, deeper(ctx, { fn, cls: undefined }));
  }
}

/** Names of the entries of a container built by `call` (`nn.Sequential(a, b)` → `<prefix>.0`, `<prefix>.1`). */
function entries(call: Node, prefix: string, container: 'Sequential' | 'ModuleList' | 'ModuleDict', ctx: PathContext): void {
  const args = positional(call);
  if (container === 'ModuleDict' || (container === 'Sequential' && args.length === 1 && isOrderedDict(args[0], ctx.scan))) {
    if (args[0]) keyed(args[0], prefix, ctx);
    return;
  }
  if (container === 'ModuleList') {
    const list = args[0];
    if (list && (list.type === 'list' || list.type === 'tuple')) indexed(named(list), prefix, ctx);
    else if (list) members(list, join(prefix, '*'), ctx);
    return;
  }
  indexed(args, prefix, ctx);
}

/** Entries by position; from the first `*xs` whose length the text does not fix, `*`. */
function indexed(items: Node[], prefix: string, ctx: PathContext): void {
  let index: number | undefined = 0;
  for (const item of items) {
    const inner = item.type === 'list_splat' ? named(item)[0] : undefined;
    if (item.type === 'list_splat' && inner && (inner.type === 'list' || inner.type === 'tuple') && index !== undefined) {
      // `*[a, b]`: its entries, each at its index.
      for (const element of named(inner)) pathsOf(element, join(prefix, index++), ctx);
    } else if (inner) {
      members(inner, join(prefix, '*'), ctx);
      index = undefined;
    } else if (item.type !== 'list_splat') {
      pathsOf(item, join(prefix, index ?? '*'), ctx);
      if (index !== undefined) index++;
    }
  }
}

function isOrderedDict(node: Node | undefined, scan: Scan): boolean {
  if (!node) return false;
  if (node.type === 'dictionary') return true;
  const callee = node.type === 'call' ? node.childForFieldName('function') : undefined;
  return callee !== undefined && callee !== null && qualified(callee, scan) === 'collections.OrderedDict';
}

/** The text of a plain string literal (`"conv"`, `'conv'`), else undefined. */
function stringValue(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  const parts = named(node);
  if (parts.some((p) => p.type === 'interpolation' || p.type === 'escape_sequence')) return undefined;
  return parts
    .filter((p) => p.type === 'string_content')
    .map((p) => p.text)
    .join('');
}

/** Entries by key: `OrderedDict([("conv", a), …])`, `OrderedDict(conv=a)`, `{"conv": a}` → `<prefix>.conv`. */
function keyed(node: Node, prefix: string, ctx: PathContext): void {
  const pairs: [string | undefined, Node | undefined][] = [];
  const fromDict = (dict: Node) => {
    for (const pair of named(dict))
      if (pair.type === 'pair') pairs.push([stringValue(pair.childForFieldName('key')), pair.childForFieldName('value') ?? undefined]);
  };
  if (node.type === 'dictionary') fromDict(node);
  else if (node.type === 'call') {
    for (const arg of named(node.childForFieldName('arguments'))) {
      if (arg.type === 'keyword_argument') pairs.push([arg.childForFieldName('name')?.text, arg.childForFieldName('value') ?? undefined]);
      else if (arg.type === 'dictionary') fromDict(arg);
      else if (arg.type === 'list' || arg.type === 'tuple')
        for (const item of named(arg)) {
          const [key, value] = item.type === 'tuple' || item.type === 'list' ? named(item) : [];
          pairs.push([stringValue(key), value]);
        }
    }
  }
  for (const [key, value] of pairs) if (value) pathsOf(value, join(prefix, key ?? '*'), ctx);
}

/** The members of a collection, each named `prefix` (which ends in `*`): list literals, comprehensions, lists filled in a function. */
function members(expr: Node, prefix: string, ctx: PathContext): void {
  if (ctx.depth > 16) return;
  switch (expr.type) {
    case 'list':
    case 'tuple':
      for (const element of named(expr)) {
        const inner = element.type === 'list_splat' ? named(element)[0] : undefined;
        if (inner) members(inner, prefix, deeper(ctx));
        else pathsOf(element, prefix, deeper(ctx));
      }
      return;
    case 'list_comprehension':
    case 'generator_expression': {
      const body = expr.childForFieldName('body');
      if (body) pathsOf(body, prefix, deeper(ctx));
      return;
    }
    case 'parenthesized_expression':
      for (const inner of named(expr)) members(inner, prefix, deeper(ctx));
      return;
    case 'binary_operator': // `[a] + [b] * 2`
      for (const side of [expr.childForFieldName('left'), expr.childForFieldName('right')]) if (side) members(side, prefix, deeper(ctx));
      return;
    case 'identifier':
      for (const s of localSources(ctx).get(expr.text) ?? []) {
        if (s.how === 'append') pathsOf(s.value, prefix, deeper(ctx));
        else members(s.value, prefix, deeper(ctx));
      }
      return;
    default:
      return;
  }
}

/**
 * The paths of every layer construction the classes of the file name: `self.<name> = …` in any
 * method, `self.<name>.append(…)`, `self.add_module("<name>", …)`, the entries a Sequential
 * subclass gives `super().__init__(…)`; then the `nn.Sequential(…)` built outside classes (a model
 * of its own: entries `0`, `1`, …).
 */
function readPaths(root: Node, scan: Scan): void {
  const base = { scan, locals: new Map<string, Map<string, Source[]>>(), helpers: new Set<string>(), depth: 0 };
  for (const cls of scan.classes.values()) {
    if (cls.kind === undefined || cls.kind.of === 'layer') continue;
    for (const fn of cls.methods.values()) {
      const ctx: PathContext = { ...base, fn, cls };
      for (const node of ownNodes(fn)) attributePaths(node, ctx);
    }
  }
  for (const call of root.descendantsOfType('call')) {
    if (!call || containerOf(call, scan) !== 'Sequential' || insideModuleClassOrHelper(call, base.helpers, scan)) continue;
    if (hasContainerAncestor(call, scan)) continue;
    // Local names of the function that builds it, or of the module's own code (`layers = […]` at the top).
    entries(call, '', 'Sequential', { ...base, fn: enclosingFunction(call) ?? root });
  }
}

/** The paths one statement-level node of a method gives. */
function attributePaths(node: Node, ctx: PathContext): void {
  const selfAttribute = (n: Node | null | undefined): string | undefined =>
    n?.type === 'attribute' && n.childForFieldName('object')?.text === 'self' ? n.childForFieldName('attribute')?.text : undefined;
  if (node.type === 'assignment') {
    const name = selfAttribute(node.childForFieldName('left'));
    const right = node.childForFieldName('right');
    if (name && right) pathsOf(right, name, ctx);
  } else if (node.type === 'augmented_assignment') {
    const name = selfAttribute(node.childForFieldName('left'));
    const right = node.childForFieldName('right');
    if (name && right && node.childForFieldName('operator')?.type === '+=') members(right, join(name, '*'), ctx);
  } else if (node.type === 'call') {
    const callee = node.childForFieldName('function');
    const method = callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
    const object = callee?.childForFieldName('object');
    const args = positional(node);
    const list = selfAttribute(object);
    if (list && method === 'append' && args[0]) pathsOf(args[0], join(list, '*'), ctx);
    else if (list && method === 'extend' && args[0]) members(args[0], join(list, '*'), ctx);
    else if (object?.text === 'self' && method === 'add_module' && args[1]) pathsOf(args[1], stringValue(args[0]) ?? '*', ctx);
    else if (
      method === '__init__' &&
      object?.type === 'call' &&
      object.childForFieldName('function')?.text === 'super' &&
      isSequential(ctx.cls?.kind)
    )
      indexed(args, '', ctx);
  }
}

const isSequential = (kind: Kind | undefined): boolean => kind?.of === 'container' && kind.name === 'Sequential';

function enclosingFunction(node: Node): Node | undefined {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'function_definition') return n;
  return undefined;
}

function insideModuleClassOrHelper(node: Node, helpers: Set<string>, scan: Scan): boolean {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === 'function_definition' && helpers.has(keyOf(n))) return true;
    if (n.type === 'class_definition' && scan.classes.get(n.childForFieldName('name')?.text ?? '')?.kind !== undefined) return true;
  }
  return false;
}

function hasContainerAncestor(node: Node, scan: Scan): boolean {
  for (let n = node.parent; n; n = n.parent) if (n.type === 'call' && containerOf(n, scan) !== undefined) return true;
  return false;
}

// -- the sites -------------------------------------------------------------------------------------

/** The methods run by forward() of the module classes (forward, and the `self.<m>(…)` it calls, transitively). */
function forwardMethods(scan: Scan): Set<string> {
  const out = new Set<string>();
  for (const cls of scan.classes.values()) {
    if (cls.kind === undefined || cls.kind.of === 'layer') continue;
    const start = methodOf(cls, 'forward', scan);
    const queue = start ? [start.method] : [];
    while (queue.length) {
      const fn = queue.pop() as Node;
      if (out.has(keyOf(fn))) continue;
      out.add(keyOf(fn));
      for (const node of ownNodes(fn)) {
        const callee = node.type === 'call' ? node.childForFieldName('function') : undefined;
        if (callee?.type !== 'attribute' || callee.childForFieldName('object')?.text !== 'self') continue;
        const found = methodOf(cls, callee.childForFieldName('attribute')?.text ?? '', scan);
        if (found) queue.push(found.method);
      }
    }
  }
  return out;
}

/** Whether an operand is a number, a string, a collection or a size (`x.size(0)`, `x.shape[1]`, `len(xs)`): not a tensor. */
function notATensor(node: Node): boolean {
  switch (node.type) {
    case 'integer':
    case 'float':
    case 'string':
    case 'concatenated_string':
    case 'true':
    case 'false':
    case 'none':
    case 'list':
    case 'tuple':
    case 'dictionary':
    case 'set':
    case 'list_comprehension':
      return true;
    case 'unary_operator':
    case 'parenthesized_expression':
      return named(node).some(notATensor);
    case 'binary_operator':
      return [node.childForFieldName('left'), node.childForFieldName('right')].some((side) => side && notATensor(side));
    case 'attribute':
      return ['shape', 'ndim'].includes(node.childForFieldName('attribute')?.text ?? '');
    case 'subscript': {
      const value = node.childForFieldName('value');
      return value !== null && notATensor(value);
    }
    case 'call': {
      const callee = node.childForFieldName('function');
      if (callee?.type === 'identifier') return ['len', 'int', 'float', 'range', 'str', 'round', 'min', 'max', 'sum'].includes(callee.text);
      return callee?.type === 'attribute' && ['size', 'dim', 'numel', 'item'].includes(callee.childForFieldName('attribute')?.text ?? '');
    }
    default:
      return false;
  }
}

/** The chain `self.a.b` starts at `self`. */
function rootedAtSelf(node: Node | null): boolean {
  while (node?.type === 'attribute') node = node.childForFieldName('object');
  return node?.type === 'identifier' && node.text === 'self';
}

/** The op a call in forward() records (`F.relu(x)`, `torch.cat(…)`, `x.relu()`), or undefined. */
function functionalOp(call: Node, scan: Scan): string | undefined {
  const callee = call.childForFieldName('function');
  if (!callee) return undefined;
  const dotted = qualified(callee, scan);
  let op: string | undefined;
  if (dotted !== undefined) {
    const name = /^torch\.(?:nn\.functional\.)?([A-Za-z0-9_]+)$/.exec(dotted)?.[1];
    op = name === undefined ? undefined : layerFunction(name);
  } else if (callee.type === 'attribute') {
    const method = callee.childForFieldName('attribute')?.text ?? '';
    const object = callee.childForFieldName('object');
    if (TENSOR_METHODS.has(method) && !rootedAtSelf(object) && !(object && notATensor(object))) op = layerFunction(method);
  }
  // `x.add(1)`, `torch.mul(x, 0.5)`: a scalar operand is not a layer (the recorder refuses it).
  if ((op === 'add' || op === 'mul') && positional(call).some(notATensor)) return undefined;
  return op;
}

interface Visit {
  scan: Scan;
  forward: Set<string>;
  /** The module class whose body holds the node, if any. */
  cls?: ClassInfo;
  /** Inside a method forward() runs. */
  inForward: boolean;
  /** Functional ops met so far per class and op, for their `-n` names. */
  counts: Map<string, number>;
  found: Map<string, DetectedLayer>;
}

function site(node: Node, className: string, python: PythonLayerSite, options: Pick<DetectedLayer, 'units' | 'args'>): DetectedLayer {
  return {
    className,
    ...options,
    line: node.startPosition.row,
    column: node.startPosition.column,
    endLine: node.endPosition.row,
    endColumn: node.endPosition.column,
    python,
  };
}

/**
 * Records a functional op at `node`, named in the order of the text of its class's forward():
 * `pieces` layers of one call (`chunk`, `chunk-2` of `x.chunk(2, 1)`), of `className` (a `mul`'s
 * layer scale is a `layer_scale`).
 */
function addOp(node: Node, op: string, v: Visit, options: Pick<DetectedLayer, 'units' | 'args'> = {}, pieces = 1, className = op): void {
  const at = `${node.startPosition.row}:${node.startPosition.column}`;
  if (v.found.has(at)) return; // an op at the start of another (`a + b + c`): the recorder locates both there
  const base = `${v.cls?.name ?? ''}\u0000${op}`;
  const first = (v.counts.get(base) ?? 0) + 1;
  v.counts.set(base, first + pieces - 1);
  const paths = Array.from({ length: pieces }, (_, k) => (first + k === 1 ? op : `${op}-${first + k}`));
  v.found.set(at, site(node, className, { kind: 'functional', ...(v.cls ? { owner: v.cls.name } : {}), paths }, options));
}

/** Whether `operand` is `self.<name>` of an nn.Parameter the class assigns (`self.gamma = nn.Parameter(…)`): `gamma * x` is a layer scale. */
function isParameter(operand: Node, v: Visit): boolean {
  if (operand.type !== 'attribute' || operand.childForFieldName('object')?.text !== 'self' || !v.cls) return false;
  return v.cls.node
    .descendantsOfType('assignment')
    .some(
      (a) =>
        a.childForFieldName('left')?.text === operand.text &&
        a.descendantsOfType('call').some((c) => /\.Parameter$/.test(qualified(c.childForFieldName('function') ?? operand, v.scan) ?? '')),
    );
}

function visit(node: Node, v: Visit): void {
  let next = v;
  if (node.type === 'class_definition') {
    const cls = v.scan.classes.get(node.childForFieldName('name')?.text ?? '');
    next = { ...v, cls: cls?.kind !== undefined && cls.node.equals(node) ? cls : undefined, inForward: false };
  } else if (node.type === 'function_definition') {
    next = { ...v, inForward: v.inForward || v.forward.has(keyOf(node)) };
  } else if (node.type === 'call') {
    visitCall(node, v);
  } else if (v.inForward && v.cls?.kind?.of !== 'layer' && (node.type === 'binary_operator' || node.type === 'augmented_assignment')) {
    const op = OPERATORS[node.childForFieldName('operator')?.type ?? ''];
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const scale = op === 'mul' && left && right && (isParameter(left, v) || isParameter(right, v));
    if (op && left && right && !notATensor(left) && !notATensor(right)) addOp(node, op, v, {}, 1, scale ? 'layer_scale' : op);
  } else if (v.inForward && v.cls?.kind?.of !== 'layer' && node.type === 'subscript' && isChannelSlice(node)) {
    const value = node.childForFieldName('value');
    if (value && !notATensor(value) && !rootedAtSelf(value)) addOp(node, 'slice', v);
  }
  for (const child of named(node)) visit(child, next);
}

function visitCall(node: Node, v: Visit): void {
  if (v.inForward) {
    const op = functionalOp(node, v.scan);
    const callee = node.childForFieldName('function');
    const pieces = (op === 'chunk' || op === 'split') && callee ? piecesOf(node, op, qualified(callee, v.scan) === undefined) : 1;
    if (op !== undefined) addOp(node, op, v, ARG_SPECS[op] ? literalOptions(node, ARG_SPECS[op]) : {}, pieces);
    return;
  }
  const callee = node.childForFieldName('function');
  const kind = callee ? kindOfCallee(callee, v.scan) : undefined;
  const layer = kind?.of === 'layer' ? kind.name : helperLayer(node, v.scan, v.cls);
  if (layer === undefined || v.scan.returnedLayers.has(keyOf(node))) return;
  const at = `${node.startPosition.row}:${node.startPosition.column}`;
  if (v.found.has(at)) return;
  // The options of torch's own classes only: a subclass or a helper has its own parameters.
  const torchClass = kind?.of === 'layer' && !(callee?.type === 'identifier' && v.scan.classes.has(callee.text));
  const options = torchClass && ARG_SPECS[layer] ? literalOptions(node, ARG_SPECS[layer]) : {};
  const paths = v.scan.paths.get(keyOf(node)) ?? [];
  v.found.set(at, site(node, layer, { kind: 'module', ...(v.cls ? { owner: v.cls.name } : {}), paths }, options));
}

function findSites(root: Node, scan: Scan): DetectedLayer[] {
  readPaths(root, scan);
  const v: Visit = { scan, forward: forwardMethods(scan), inForward: false, counts: new Map(), found: new Map() };
  visit(root, v);
  return [...v.found.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
