/**
 * Reading a checkpoint folder (`checkpoints/epoch-NNNN/`: TensorFlow.js layers format, model.json
 * + weights.bin) as bytes for the tfjs side to load. Both files are read through the bounded reader:
 * regular files inside the run folder, no larger than a model with the manifest's layers can need.
 * No tfjs here: src/run stays free of the runtime.
 */
import { join, resolve } from 'node:path';
import { RunFormatError, RunLayer } from '../contract/runFormat';
import { checkpointFileLimits } from './limits';
import { readBoundedFileAsync } from './read';

/** What `tf.io.fromMemory` needs, untyped (the tfjs types stay in src/tfjs). */
export interface CheckpointFiles {
  modelTopology: object;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
}

/**
 * Reads the checkpoint in `dir` (a folder `<run>/checkpoints/epoch-NNNN`) of a model with `layers`.
 * @throws RunFormatError for a missing, unsafe, oversized or malformed file.
 */
export async function readCheckpoint(dir: string, layers: readonly RunLayer[]): Promise<CheckpointFiles> {
  const runFolder = resolve(dir, '..', '..');
  const limits = checkpointFileLimits(layers);
  const read = async (name: string, maxBytes: number) => {
    try {
      return await readBoundedFileAsync(join(dir, name), { maxBytes, within: runFolder });
    } catch (e) {
      throw new RunFormatError(`${(e as Error).message}; record the run again`);
    }
  };
  const jsonPath = join(dir, 'model.json');
  let json: unknown;
  try {
    json = JSON.parse((await read('model.json', limits.modelJsonBytes)).toString('utf8'));
  } catch (e) {
    if (RunFormatError.is(e)) throw e;
    throw new RunFormatError(`${jsonPath} is damaged (not valid JSON); record the run again`);
  }
  const j = json as { modelTopology?: unknown; weightsManifest?: unknown };
  const groups = j?.weightsManifest;
  if (
    !j ||
    typeof j.modelTopology !== 'object' ||
    j.modelTopology === null ||
    !Array.isArray(groups) ||
    !groups.every((g) => Array.isArray((g as { weights?: unknown })?.weights))
  ) {
    throw new RunFormatError(`${jsonPath} is not a TensorFlow.js layers model (no modelTopology or weightsManifest); record the run again`);
  }
  const weights = await read('weights.bin', limits.weightsBytes);
  return {
    modelTopology: j.modelTopology,
    weightSpecs: groups.flatMap((g) => (g as { weights: unknown[] }).weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  };
}
