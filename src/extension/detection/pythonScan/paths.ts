/** The fourth pass of the Python scan (pythonScan.ts): the names of the layers (their paths in the model, PythonLayerSite.paths). */
import { named } from '../pythonOps';
import type { SyntaxNode as Node } from '../pythonSyntax';
import { methodOf } from './classes';
import { helperLayer } from './layerHelpers';
import { containerOf, kindOfCallee, qualified } from './names';
import { keyOf, ownNodes, positional, returnValues, type ClassInfo, type Kind, type Scan } from './scan';

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
export function readPaths(root: Node, scan: Scan): void {
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
