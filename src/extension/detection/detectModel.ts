// Detects a model in a file's text without running anything, for the CodeLens, the hover, the
// `cnnSlicer.isModelFile` context key and the cursor → panel link. The formats are those the
// recorders load: a TypeScript or JavaScript module whose `createModel` (or default /
// `module.exports`) builds a model from `tf.layers.*` calls (moduleScan.ts), a TensorFlow.js
// layers-format `model.json` (modelJson.ts), and a Python file that defines a `torch.nn.Module`
// subclass or builds an `nn.Sequential` (pythonScan.ts), which the PyTorch recorder records.
//
// The Python scan needs a parser (tree-sitter, WebAssembly, loaded asynchronously on the first `.py`
// file: pythonParser.ts). `detectModel` is synchronous and takes the parser when the caller has it;
// `detectModelAsync` loads it first.
import { scanModelJson } from './modelJson';
import { scanModule } from './moduleScan';
import { loadPythonParser, pythonWasmFolder } from './pythonParser';
import { scanPythonModel, type PythonSyntaxParser } from './pythonScan';
import type { ModelDetection } from './types';

/** Whether a file name is one the Python scan reads. */
export function isPythonFile(fileName: string): boolean {
  return /\.py$/i.test(fileName);
}

/**
 * Detects a model in a file's text. `fileName` decides the format (`.json`, `.py` or a module).
 * Returns undefined when the file holds neither a model nor a layer definition, and for a `.py`
 * file when no `python` parser is given.
 */
export function detectModel(text: string, fileName: string, python?: PythonSyntaxParser): ModelDetection | undefined {
  if (isPythonFile(fileName)) {
    if (!python) return undefined;
    const scan = scanPythonModel(text, python);
    return scan.isModel || scan.layers.length > 0 ? scan : undefined;
  }
  return /\.json$/i.test(fileName) ? scanModelJson(text) : scanModule(text);
}

/** The Python parser of this process, loaded on first use (pythonParser.ts). */
export function pythonParser(): Promise<PythonSyntaxParser> {
  return loadPythonParser(pythonWasmFolder());
}

/** `detectModel`, with the Python parser loaded first when the file is a `.py` file. */
export async function detectModelAsync(text: string, fileName: string): Promise<ModelDetection | undefined> {
  return detectModel(text, fileName, isPythonFile(fileName) ? await pythonParser() : undefined);
}
