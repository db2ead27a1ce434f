/**
 * The size limits of each run-folder file, derived from the manifest: a reader refuses a file larger
 * than the run it belongs to can produce, before reading it (a damaged or hostile folder cannot make
 * a window read gigabytes). Pure.
 */
import type { RunLayer, RunManifest } from '../contract/runFormat';

/** The most a manifest.json may hold: far beyond any real one (a few KB per layer). */
export const MANIFEST_MAX_BYTES = 16 * 1024 ** 2;
/** The most a metrics.jsonl may hold (a JavaScript string cannot hold much more than 512 MB anyway). */
export const METRICS_MAX_BYTES = 256 * 1024 ** 2;
/** Room for a .npy header beyond its data (NumPy pads headers to 64 bytes; 64 KiB is generous). */
const NPY_HEADER_BYTES = 64 * 1024;
/** The widest element type the .npy reader accepts (float64, int64): other writers of the format may use it. */
const WIDEST_NPY_ITEM_BYTES = 8;
/** TensorFlow.js layers weights are float32 or int32: four bytes per parameter. */
const WEIGHT_BYTES_PER_PARAMETER = 4;

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * Math.max(b, 1), 1);
}

/** The largest probe files a run of this manifest can have. */
export function probeFileLimits(manifest: RunManifest): { inputsBytes: number; labelsBytes: number } {
  const size = manifest.probe.size;
  return {
    inputsBytes: size * product(manifest.dataset.inputShape) * WIDEST_NPY_ITEM_BYTES + NPY_HEADER_BYTES,
    labelsBytes: size * WIDEST_NPY_ITEM_BYTES + NPY_HEADER_BYTES,
  };
}

/** The largest checkpoint files a model with these layers can have. */
export function checkpointFileLimits(layers: readonly RunLayer[]): { modelJsonBytes: number; weightsBytes: number } {
  const parameters = layers.reduce((sum, l) => sum + Math.max(0, l.parameters), 0);
  return {
    // The topology and the weights manifest take well under a few KB per layer.
    modelJsonBytes: 1024 ** 2 + layers.length * 64 * 1024,
    weightsBytes: parameters * WEIGHT_BYTES_PER_PARAMETER + 64 * 1024,
  };
}
