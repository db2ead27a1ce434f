/**
 * The state of one scan of a Python model file (pythonScan.ts), which its passes fill in turn:
 * the names the imports bind (names.ts), the classes (classes.ts), the layer helpers
 * (layerHelpers.ts), the layers' paths (paths.ts) and the sites (sites.ts); and the walks over a
 * tree that the passes share.
 */
import { named } from '../pythonOps';
import type { SyntaxNode as Node } from '../pythonSyntax';

export type Kind = { of: 'layer'; name: string } | { of: 'container'; name: 'Sequential' | 'ModuleList' | 'ModuleDict' } | { of: 'module' };

/** A class the file defines. */
export interface ClassInfo {
  name: string;
  node: Node;
  bases: Node[];
  /** Undefined for a class that is not an nn.Module; a layer class's subclass constructs that layer. */
  kind?: Kind;
  methods: Map<string, Node>;
}

/** The state of one scan. */
export interface Scan {
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

/** A key of a node within its tree (node ids are not unique for every node kind). */
export const keyOf = (node: Node): string => `${node.startIndex}:${node.endIndex}:${node.type}`;

const ownNodesOf = new WeakMap<Node, Node[]>();

/** The nodes below `node` in its own scope, in document order: nested functions, lambdas and classes are left out. */
export function ownNodes(node: Node): Node[] {
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
export function positional(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  if (args?.type === 'generator_expression') return [args];
  return named(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat');
}

/** The `return <value>` values of a function (not of the functions nested in it). */
export function returnValues(fn: Node): Node[] {
  const body = fn.childForFieldName('body');
  if (!body) return [];
  return ownNodes(body)
    .filter((n) => n.type === 'return_statement')
    .flatMap((r) => named(r).slice(0, 1));
}
