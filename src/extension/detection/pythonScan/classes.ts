/** The second pass of the Python scan (pythonScan.ts): the classes of the file, their methods, and which are modules. */
import { named } from '../pythonOps';
import type { SyntaxNode as Node } from '../pythonSyntax';
import { qualified, torchKind } from './names';
import type { ClassInfo, Scan } from './scan';

/** The classes of the file, and which are nn.Module subclasses (through torch.nn or another class of the file). */
export function readClasses(root: Node, scan: Scan): void {
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
export function methodOf(
  c: ClassInfo,
  name: string,
  scan: Scan,
  seen = new Set<ClassInfo>(),
): { method: Node; owner: ClassInfo } | undefined {
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
