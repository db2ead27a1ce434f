/** The third pass of the Python scan (pythonScan.ts): the functions and methods that return one layer. */
import type { SyntaxNode as Node } from '../pythonSyntax';
import { methodOf } from './classes';
import { kindOfCallee } from './names';
import { keyOf, returnValues, type ClassInfo, type Scan } from './scan';

/**
 * The helpers that return one layer: every `return` of the function gives a construction of the
 * same layer class. The recorder locates what they build at their call (the value of
 * `self.conv1 = conv3x3(…)`, an entry of a Sequential: python/cnn_slicer/sources.py), so their
 * calls are the sites, not the construction inside them. A helper the file never calls keeps its
 * construction as the site (another file calls it).
 */
export function readLayerHelpers(root: Node, scan: Scan): void {
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
export function helperLayer(call: Node, scan: Scan, cls: ClassInfo | undefined): string | undefined {
  const callee = call.childForFieldName('function');
  let fn: Node | undefined;
  if (callee?.type === 'identifier' && !scan.classes.has(callee.text)) fn = scan.functions.get(callee.text);
  else if (callee?.type === 'attribute' && callee.childForFieldName('object')?.text === 'self' && cls)
    fn = methodOf(cls, callee.childForFieldName('attribute')?.text ?? '', scan)?.method;
  return fn ? scan.layerHelpers.get(keyOf(fn)) : undefined;
}
