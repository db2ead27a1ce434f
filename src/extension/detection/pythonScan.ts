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
// given (pythonParser.ts loads it); tested in test/unit/extension/detection/pythonScan.test.ts. One pass a
// file in pythonScan/, in the order scanPythonModel runs them.
import type { Tree } from '@vscode/tree-sitter-wasm';
import { copyTree, type SyntaxNode as Node } from './pythonSyntax';
import { readClasses } from './pythonScan/classes';
import { readLayerHelpers } from './pythonScan/layerHelpers';
import { containerOf, readImports } from './pythonScan/names';
import type { Scan } from './pythonScan/scan';
import { findSites } from './pythonScan/sites';
import type { ModelDetection } from './types';

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
