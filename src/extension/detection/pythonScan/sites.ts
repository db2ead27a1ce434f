/** The last pass of the Python scan (pythonScan.ts): the sites, module constructions and the functional ops of forward(), in source order. */
import { ARG_SPECS, OPERATORS, TENSOR_METHODS, isChannelSlice, layerFunction, literalOptions, named, piecesOf } from '../pythonOps';
import type { SyntaxNode as Node } from '../pythonSyntax';
import type { DetectedLayer, PythonLayerSite } from '../types';
import { methodOf } from './classes';
import { helperLayer } from './layerHelpers';
import { kindOfCallee, qualified } from './names';
import { readPaths } from './paths';
import { keyOf, ownNodes, positional, type ClassInfo, type Scan } from './scan';

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

export function findSites(root: Node, scan: Scan): DetectedLayer[] {
  readPaths(root, scan);
  const v: Visit = { scan, forward: forwardMethods(scan), inForward: false, counts: new Map(), found: new Map() };
  visit(root, v);
  return [...v.found.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}
