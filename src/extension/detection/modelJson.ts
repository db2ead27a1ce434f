// Finds the layers of a TensorFlow.js layers-format `model.json`: the entries of
// `modelTopology.config.layers` (or `modelTopology.model_config.config.layers` as the Keras
// converter writes it, or an old Sequential's `config` array). Each is located at its
// `"class_name"` key (at the entry's `{` when it has none) and ends after the entry's `}`.
//
// The text is read with `jsonc-parser`, VS Code's own tolerant JSON parser, rather than JSON.parse:
// positions are needed, and a file being edited is often invalid. An entry the text breaks off in
// (a truncated or half-typed file) is not reported, as it has no end yet. Pure, tested in
// test/unit/extension/detection/modelJson.test.ts.
import { findNodeAtLocation, type Node, parseTree } from 'jsonc-parser';
import { lineStarts, position } from './positions';
import type { DetectedLayer, ModelDetection } from './types';

/** Where the layer list can be, by format: the first two are Functional / Sequential, then old Sequentials. */
const LAYER_LISTS: readonly string[][] = [
  ['modelTopology', 'config', 'layers'],
  ['modelTopology', 'model_config', 'config', 'layers'],
  ['modelTopology', 'config'],
  ['modelTopology', 'model_config', 'config'],
];

/** The layers of a model.json; undefined when the text is not one (no top-level `modelTopology`). */
export function scanModelJson(text: string): ModelDetection | undefined {
  // Cheap rejection of the many JSON files that are not models, before parsing.
  if (!text.includes('"modelTopology"')) return undefined;
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (root?.type !== 'object' || !root.children?.some((p) => p.children?.[0]?.value === 'modelTopology')) return undefined;
  const lines = lineStarts(text);
  const entries: Node[] = [];
  for (const path of LAYER_LISTS) {
    const list = findNodeAtLocation(root, path);
    if (list?.type !== 'array') continue;
    for (const entry of list.children ?? []) if (entry.type === 'object' && isClosed(text, entry)) entries.push(entry);
  }
  entries.sort((a, b) => a.offset - b.offset);
  const layers = entries.map((entry): DetectedLayer => {
    const classKey = propertyOf(entry, 'class_name');
    const className = stringValue(classKey);
    // Functional models name a layer at the entry's level; every format names it in its config.
    const name = stringValue(propertyOf(entry, 'name')) ?? stringValue(propertyOf(propertyOf(entry, 'config')?.children?.[1], 'name'));
    const start = position(lines, classKey?.offset ?? entry.offset);
    const end = position(lines, entry.offset + entry.length);
    return {
      ...(className !== undefined ? { className } : {}),
      ...(name !== undefined ? { name } : {}),
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
    };
  });
  return { kind: 'json', isModel: true, layers };
}

/** The property node `key` of an object node (the first, should the key repeat). */
function propertyOf(object: Node | undefined, key: string): Node | undefined {
  if (object?.type !== 'object') return undefined;
  return object.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key);
}

/** The value of a property whose value is a string. */
function stringValue(property: Node | undefined): string | undefined {
  const value = property?.children?.[1];
  return value?.type === 'string' && typeof value.value === 'string' ? value.value : undefined;
}

/**
 * Whether the text closes the object: the parser ends an object the text breaks off in where the
 * text ends, so its node does not end in a `}` after its last property.
 */
function isClosed(text: string, object: Node): boolean {
  const end = object.offset + object.length;
  if (text.charCodeAt(end - 1) !== 125) return false;
  const last = object.children?.[object.children.length - 1];
  return !last || last.offset + last.length < end;
}
