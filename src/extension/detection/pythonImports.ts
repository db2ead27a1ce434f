// The scripts of a workspace that train a model a file only defines (Analyze CNN on
// `models/resnet.py`, docs/vscode.md "A file that only defines the model"): the `.py` files whose
// imports reach the model file, as Python resolves them from the script's folder (the first entry of
// `sys.path`) or the workspace folder — `import models.resnet`, `from models.resnet import ResNet18`,
// `from models import resnet`, and through a package's `__init__.py` that imports it
// (`from .resnet import *`, re-exported by `from models import *`, `import models`,
// `from models import ResNet18`) — with the model file's names each one calls (`net = ResNet18()`).
// Pure: the files' facts come in (`pythonFileFacts`, from the text and the tree-sitter parser of
// pythonParser.ts), the ranked scripts go out; the extension reads the files (pythonAnalyze.ts).
import type { PythonSyntaxParser } from './pythonScan';
import { copyTree, type SyntaxNode } from './pythonSyntax';

/** One import statement's module: `level` leading dots (0: absolute), the dotted name after them, and the names taken (`*` for a star; none for `import a.b`). */
export interface PythonImport {
  level: number;
  module: string;
  names: string[];
}

/** What the finder needs of a Python file. */
export interface PythonFileFacts {
  imports: PythonImport[];
  /** The names called (`f` of `f(…)` and of `m.f(…)`), each once, in order of first call. */
  called: string[];
  /** The top-level classes and functions it defines. */
  defines: string[];
}

/** A script that imports the model file. */
export interface ImportingScript {
  /** Its path, relative to the workspace folder, `/`-separated. */
  path: string;
  /** The model file's names (classes, functions such as `ResNet18()`) it calls, in order of first call. */
  calls: string[];
}

/** The facts of one Python file (empty where it does not parse at all). */
export function pythonFileFacts(text: string, parser: PythonSyntaxParser): PythonFileFacts {
  const tree = parser.parse(text);
  if (!tree) return { imports: [], called: [], defines: [] };
  let root: SyntaxNode;
  try {
    root = copyTree(tree, text);
  } finally {
    tree.delete();
  }
  const imports: PythonImport[] = [];
  for (const node of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (node.type === 'import_statement') {
      for (const name of node.childrenForFieldName('name')) {
        const dotted = name.type === 'aliased_import' ? name.childForFieldName('name')?.text : name.text;
        if (dotted) imports.push({ level: 0, module: dotted, names: [] });
      }
      continue;
    }
    const from = node.childForFieldName('module_name');
    if (!from) continue;
    let level = 0;
    let module = from.text;
    if (from.type === 'relative_import') {
      level = /^\.*/.exec(from.text)![0].length;
      module = from.text.slice(level);
    }
    const names = node.namedChildren.some((c) => c.type === 'wildcard_import')
      ? ['*']
      : node
          .childrenForFieldName('name')
          .map((n) => (n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text))
          .filter((n): n is string => !!n);
    imports.push({ level, module, names });
  }
  const called: string[] = [];
  for (const call of root.descendantsOfType('call')) {
    const f = call.childForFieldName('function');
    const name = f?.type === 'identifier' ? f.text : f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : undefined;
    if (name && !called.includes(name)) called.push(name);
  }
  const defines: string[] = [];
  for (const statement of root.namedChildren) {
    const definition = statement.type === 'decorated_definition' ? statement.childForFieldName('definition') : statement;
    if (definition?.type !== 'class_definition' && definition?.type !== 'function_definition') continue;
    const name = definition.childForFieldName('name')?.text;
    if (name) defines.push(name);
  }
  return { imports, called, defines };
}

const dirOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
const joinPath = (dir: string, rest: string): string => (dir ? `${dir}/${rest}` : rest);

/** The files a dotted module name may be, from `base`: `a/b.py`, `a/b/__init__.py`. */
function moduleFiles(base: string, dotted: string): string[] {
  const path = joinPath(base, dotted.split('.').join('/'));
  return [`${path}.py`, `${path}/__init__.py`];
}

/**
 * The files one import of `file` may load: the module itself and, for `from m import x`, a
 * submodule `m/x.py` (Python imports it when `x` is no name of `m`). An absolute import is looked
 * for from the file's folder and from the workspace folder; a relative one from its package.
 */
function importedFiles(file: string, i: PythonImport): string[] {
  let bases: string[];
  if (i.level === 0) bases = [...new Set([dirOf(file), ''])];
  else {
    let base = dirOf(file);
    for (let up = 1; up < i.level; up++) base = dirOf(base);
    bases = [base];
  }
  const out: string[] = [];
  for (const base of bases) {
    if (i.module) out.push(...moduleFiles(base, i.module));
    const packageDir = i.module ? joinPath(base, i.module.split('.').join('/')) : base;
    for (const name of i.names) if (name !== '*') out.push(`${joinPath(packageDir, name)}.py`, `${joinPath(packageDir, name)}/__init__.py`);
  }
  return out;
}

/**
 * The scripts among `files` (workspace-relative, `/`-separated paths → facts) that import
 * `modelFile` (one of them), directly or through packages' `__init__.py` files that import it; the
 * `__init__.py` files themselves and the model file are left out. Those that call one of the model
 * file's names come first, then by path.
 */
export function scriptsImporting(modelFile: string, files: ReadonlyMap<string, PythonFileFacts>): ImportingScript[] {
  // The files that expose the model: the model file, and every package __init__.py that imports one that does.
  const exposing = new Set([modelFile]);
  for (let grown = true; grown;) {
    grown = false;
    for (const [path, facts] of files) {
      if (exposing.has(path) || !/(^|\/)__init__\.py$/.test(path)) continue;
      if (facts.imports.some((i) => importedFiles(path, i).some((f) => exposing.has(f)))) {
        exposing.add(path);
        grown = true;
      }
    }
  }
  const defined = new Set(files.get(modelFile)?.defines ?? []);
  const scripts: ImportingScript[] = [];
  for (const [path, facts] of files) {
    if (exposing.has(path) || /(^|\/)__init__\.py$/.test(path)) continue;
    if (!facts.imports.some((i) => importedFiles(path, i).some((f) => exposing.has(f)))) continue;
    // A name the script defines itself (its own `test()`) is not the model file's.
    scripts.push({ path, calls: facts.called.filter((n) => defined.has(n) && !facts.defines.includes(n)) });
  }
  return scripts.sort((a, b) => Number(b.calls.length > 0) - Number(a.calls.length > 0) || a.path.localeCompare(b.path));
}

/**
 * The words a file that imports `modelFile` (workspace-relative) or a package holding it must
 * mention, for a quick look before parsing: its path's parts (`models`, `resnet` for `models/resnet.py`).
 */
export function importHints(modelFile: string): string[] {
  const parts = modelFile.replace(/\.py$/, '').split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  return [...new Set(parts)].filter((p) => p !== '');
}
