/** The first pass of the Python scan (pythonScan.ts): the names the imports bind, and what a name constructs. */
import { PYTORCH_LAYER_MODULES, PYTORCH_LAYER_SUBCLASSES, layerFunction, named } from '../pythonOps';
import type { SyntaxNode as Node } from '../pythonSyntax';
import type { Kind, Scan } from './scan';

/** The import statements anywhere in the file (also inside `try:` and functions) bind names. */
export function readImports(root: Node, scan: Scan): void {
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
export function qualified(node: Node, scan: Scan): string | undefined {
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
export function torchKind(dotted: string): Kind | undefined {
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
export function kindOfCallee(callee: Node, scan: Scan): Kind | undefined {
  if (callee.type === 'identifier') {
    const own = scan.classes.get(callee.text);
    if (own) return own.kind?.of === 'container' ? { of: 'module' } : own.kind;
  }
  const dotted = qualified(callee, scan);
  return dotted === undefined ? undefined : torchKind(dotted);
}

/** The container a call builds (`nn.Sequential(…)`), if it is one. */
export function containerOf(call: Node, scan: Scan): string | undefined {
  const callee = call.childForFieldName('function');
  const kind = callee ? kindOfCallee(callee, scan) : undefined;
  return kind?.of === 'container' ? kind.name : undefined;
}
