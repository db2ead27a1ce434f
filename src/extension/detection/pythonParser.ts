// The Python parser of the Python model scan (pythonScan.ts): tree-sitter's runtime and its Python
// grammar, both WebAssembly, loaded once and only when a `.py` file is scanned.
//
// Why @vscode/tree-sitter-wasm: it is the build of `web-tree-sitter` and the grammars that VS Code
// itself ships and keeps current (Microsoft's pipeline builds each grammar against the runtime in
// the same package, so the two cannot drift apart in ABI), it runs in Node from a CommonJS bundle
// (a UMD `tree-sitter.js`, bundled into dist/extension.js by esbuild and evaluated only on the first
// `import()`), and the extension needs two of its files: `tree-sitter.wasm` (≈ 200 KB) and
// `tree-sitter-python.wasm` (≈ 450 KB). A real parser, rather than the regular expressions of a
// lexer, because Python's model code nests calls, comprehensions and brackets over several lines,
// and a file being edited has syntax errors that the scan must see as such (ERROR nodes).
//
// The .vsix ships both files where npm installs them (.vscodeignore lets them through, and
// scripts/package.mjs checks they are in the package); `pythonWasmFolder` finds them through Node's
// module resolution from the bundle, which walks up from dist/ to node_modules, as the tfjs WASM
// backend's binaries are found (src/tfjs/backend.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as TreeSitterModule from '@vscode/tree-sitter-wasm';
import type { Parser as TreeSitterParser } from '@vscode/tree-sitter-wasm';

/** A parser set to the Python grammar (`parse(text)` gives a tree whose root is a `module` node). */
export type PythonParser = TreeSitterParser;

/** The two files the parser loads, in the folder `pythonWasmFolder` gives. */
export const PYTHON_WASM_FILES = ['tree-sitter.wasm', 'tree-sitter-python.wasm'] as const;

/**
 * The folder holding tree-sitter's runtime and the Python grammar: `wasm/` of the installed
 * @vscode/tree-sitter-wasm, else the bundle's own folder (a distribution that copies them beside it).
 * Throws, naming the folders looked in, when neither holds both files.
 */
export function pythonWasmFolder(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm'));
  } catch {
    // Not resolvable from here: only the bundle's own folder is left to try.
  }
  candidates.push(__dirname);
  const folder = candidates.find((dir) => PYTHON_WASM_FILES.every((f) => existsSync(join(dir, f))));
  if (folder === undefined) {
    throw new Error(
      `the Python parser's .wasm files (${PYTHON_WASM_FILES.join(', ')}) were not found (looked in ${candidates.join(', ')}); reinstall @vscode/tree-sitter-wasm`,
    );
  }
  return folder;
}

const loaded = new Map<string, Promise<PythonParser>>();

/**
 * A Python parser whose WebAssembly files are read from `wasmFolder` (an absolute path), made once
 * per folder: later calls give the same parser. A failed load is not kept, so a later call tries again.
 */
export function loadPythonParser(wasmFolder: string): Promise<PythonParser> {
  let parser = loaded.get(wasmFolder);
  if (parser === undefined) {
    parser = makeParser(wasmFolder);
    loaded.set(wasmFolder, parser);
    parser.catch(() => loaded.delete(wasmFolder));
  }
  return parser;
}

type TreeSitter = typeof TreeSitterModule;

/** tree-sitter's runtime, initialised once per process (its WebAssembly module is a singleton). */
let runtime: Promise<TreeSitter> | undefined;

function initRuntime(wasmFolder: string): Promise<TreeSitter> {
  runtime ??= (async () => {
    // Imported here, not at the top: the runtime (≈ 170 KB of JavaScript) is evaluated only when a
    // Python file is first scanned, never at activation. It is a UMD module: a loader that gives
    // CommonJS modules as a default export only (Node's own import()) has its exports there.
    const imported: TreeSitter & { default?: TreeSitter } = await import('@vscode/tree-sitter-wasm');
    const treeSitter = typeof imported.Parser === 'function' ? imported : imported.default;
    if (!treeSitter) throw new Error('@vscode/tree-sitter-wasm exports no Parser');
    // The runtime finds its own .wasm through `locateFile`; by default it would look beside the
    // script that contains it, which inside a bundle is dist/.
    await treeSitter.Parser.init({ locateFile: (file: string) => join(wasmFolder, file) });
    return treeSitter;
  })();
  runtime.catch(() => (runtime = undefined));
  return runtime;
}

async function makeParser(wasmFolder: string): Promise<PythonParser> {
  const { Parser, Language } = await initRuntime(wasmFolder);
  const python = await Language.load(join(wasmFolder, 'tree-sitter-python.wasm'));
  const parser = new Parser();
  parser.setLanguage(python);
  return parser;
}
