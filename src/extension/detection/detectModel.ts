// Detects a model in a file's text without running anything, for the CodeLens, the hover, the
// `cnnSlicer.isModelFile` context key and the cursor → panel link. The formats are those the
// recorder loads (src/recorder/modelLoader.ts): a TypeScript or JavaScript module whose
// `createModel` (or default / `module.exports`) builds a model from `tf.layers.*` calls
// (moduleScan.ts), and a TensorFlow.js layers-format `model.json` (modelJson.ts).
import { scanModelJson } from './modelJson';
import { scanModule } from './moduleScan';
import type { ModelDetection } from './types';

/**
 * Detects a model in a file's text. `fileName` decides the format (`.json` or a module). Returns
 * undefined when the file holds neither a model nor a layer definition.
 */
export function detectModel(text: string, fileName: string): ModelDetection | undefined {
  return /\.json$/i.test(fileName) ? scanModelJson(text) : scanModule(text);
}
