/**
 * Reading a checkpoint folder (`checkpoints/epoch-NNNN/`) as bytes for the tfjs side to load: a
 * TensorFlow.js layers checkpoint (model.json + weights.bin), or a PyTorch run's ONNX checkpoint
 * (`model.onnx`, docs/run-format.md "PyTorch runs"). Every file is read through the bounded reader:
 * regular files inside the run folder, no larger than a model with the manifest's layers can need.
 * No tfjs here: src/run stays free of the runtime.
 */
import { lstat } from 'node:fs/promises';
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

/** The file of a PyTorch run's checkpoint in its epoch folder. */
export const ONNX_CHECKPOINT_FILE = 'model.onnx';

/** A checkpoint as its loader takes it: TensorFlow.js's files, or an ONNX model's bytes. */
export type CheckpointContent = ({ format: 'tfjs' } & CheckpointFiles) | { format: 'onnx'; bytes: Uint8Array };

/**
 * Reads the checkpoint in `dir` (a folder `<run>/checkpoints/epoch-NNNN`) of a model with `layers`,
 * whichever its format: `model.onnx` where the folder has one, else model.json + weights.bin.
 * @throws RunFormatError for a missing, unsafe, oversized or malformed file.
 */
export async function readAnyCheckpoint(dir: string, layers: readonly RunLayer[]): Promise<CheckpointContent> {
  const onnx = join(dir, ONNX_CHECKPOINT_FILE);
  const present = await lstat(onnx).then(
    () => true,
    () => false,
  );
  if (!present) return { format: 'tfjs', ...(await readCheckpoint(dir, layers)) };
  const limits = checkpointFileLimits(layers);
  try {
    // Besides the parameters, an ONNX file holds the buffers (BatchNorm's statistics: at most as many) and the graph.
    const bytes = await readBoundedFileAsync(onnx, {
      maxBytes: 2 * limits.weightsBytes + limits.modelJsonBytes,
      within: resolve(dir, '..', '..'),
    });
    return { format: 'onnx', bytes };
  } catch (e) {
    throw new RunFormatError(`${(e as Error).message}; record the run again`);
  }
}

/**
 * Reads the TensorFlow.js checkpoint in `dir` (a folder `<run>/checkpoints/epoch-NNNN`) of a model with `layers`.
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
