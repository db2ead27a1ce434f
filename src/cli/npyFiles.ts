/** Reading and checking the CLI's .npy arguments; every problem becomes a one-line UsageError. */
import { readFileSync } from 'node:fs';
import { layerActivations, LayerActivations, NpyArray, npyToFloat64, NpyFormatError, parseNpy } from '../analysis';
import { UsageError } from './usage';

export function readNpyFile(path: string): NpyArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : String((e as Error).message);
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
  try {
    return parseNpy(bytes);
  } catch (e) {
    if (NpyFormatError.is(e)) throw new UsageError(`${path}: ${e.message}`);
    throw e;
  }
}

/** A `[N, U]` or `[N, H, W, C]` array as layer activations. */
export function readActivations(path: string): LayerActivations {
  const array = readNpyFile(path);
  if (array.shape.length < 2) {
    throw new UsageError(`${path} has shape [${array.shape.join(', ')}]; expected [N, U] or [N, H, W, C]`);
  }
  if (array.dtype === 'bool') throw new UsageError(`${path} holds booleans; expected numbers`);
  return layerActivations(
    array.shape,
    array.dtype === 'float32' || array.dtype === 'float64' ? (array.data as Float32Array) : npyToFloat64(array),
  );
}

/** A vector of integer labels (any integer or float dtype holding whole numbers). */
export function readLabels(path: string, count?: number): Int32Array {
  const array = readNpyFile(path);
  if (array.shape.length !== 1 && !(array.shape.length === 2 && array.shape[1] === 1)) {
    throw new UsageError(`${path} has shape [${array.shape.join(', ')}]; labels must be a vector [N]`);
  }
  const values = npyToFloat64(array);
  if (count !== undefined && values.length !== count) {
    throw new UsageError(`${path} has ${values.length} labels but the inputs have ${count} samples`);
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1) throw new UsageError(`${path}: label ${i} is ${v}; labels must be integers >= 0`);
    out[i] = v;
  }
  return out;
}
