/**
 * A pair of NumPy `.npy` files: the inputs and their integer labels (e.g. written with
 * `np.save('x.npy', x); np.save('y.npy', y)`).
 */
import { basename } from 'node:path';
import { NpyArray, npyToFloat64, parseNpy } from '../analysis';
import { readBoundedFileAsync } from '../run/read';
import { checkAborted, DATASET_FILE_MAX_BYTES, DatasetError, messageOf, plural } from './dataset';
import type { ImageDataset } from './mnist';

async function readNpy(file: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFileAsync(file, { maxBytes: DATASET_FILE_MAX_BYTES.npy });
  } catch (e) {
    throw new DatasetError(`npy: cannot read ${file}: ${messageOf(e)}`);
  }
  try {
    return parseNpy(bytes);
  } catch (e) {
    throw new DatasetError(`npy: ${file}: ${messageOf(e)}`);
  }
}

/**
 * The `[N, H, W, C]` shape an inputs array of shape `shape` is loaded as (and fingerprinted by):
 * - `[N, H, W, C]` as is;
 * - `[N, H, W]` (grey images, or sequences of `W` values in `H` steps) as `[N, H, W, 1]`;
 * - `[N, U]` (flat vectors, token ids) as `[N, 1, U, 1]`.
 * The recorder then gives the inputs the shape the model takes (src/data/dataset.ts
 * `fitDatasetToModel`): `[N, 100]` token ids reach a Conv1D text model as `[N, 100]`, not as images.
 * Undefined for any other rank.
 */
export function npyImageShape(shape: readonly number[]): [number, number, number, number] | undefined {
  switch (shape.length) {
    case 4:
      return [shape[0], shape[1], shape[2], shape[3]];
    case 3:
      return [shape[0], shape[1], shape[2], 1];
    case 2:
      return [shape[0], 1, shape[1], 1];
    default:
      return undefined;
  }
}

/**
 * Loads inputs from `inputsFile` and labels from `labelsFile`. Inputs may be any dtype `parseNpy`
 * reads, with the shapes {@link npyImageShape} accepts; `uint8` inputs are taken as 0–255 pixels and
 * scaled to [0, 1] like every other dataset, other dtypes are kept as they are. Labels are a vector
 * of N (shape `[N]` or `[N, 1]`) non-negative integers of any dtype (floats must hold whole
 * numbers); the classes are `"0"` … `"K-1"` with K = the largest label + 1.
 * @throws DatasetError naming the file and the problem.
 */
export async function loadNpyPair(inputsFile: string, labelsFile: string, signal?: AbortSignal): Promise<ImageDataset> {
  checkAborted(signal);
  const x = await readNpy(inputsFile);
  checkAborted(signal);
  const y = await readNpy(labelsFile);

  const shape = npyImageShape(x.shape);
  if (shape === undefined) {
    throw new DatasetError(`npy: ${inputsFile} has shape (${x.shape.join(', ')}); inputs must be [N, H, W, C], [N, H, W] or [N, U]`);
  }
  if (shape[0] === 0) throw new DatasetError(`npy: ${inputsFile} holds no inputs (shape (${x.shape.join(', ')}))`);
  if (shape.some((d) => d === 0)) throw new DatasetError(`npy: ${inputsFile} has an empty dimension: shape (${x.shape.join(', ')})`);
  const n = shape[0];

  if (!(y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1))) {
    const hint = y.shape.length === 2 ? ' (one-hot labels? save np.argmax(y, axis=1) instead)' : '';
    throw new DatasetError(`npy: ${labelsFile} has shape (${y.shape.join(', ')}); labels must be a vector of N integers${hint}`);
  }
  if (y.shape[0] !== n) {
    throw new DatasetError(
      `npy: ${labelsFile} has ${plural(y.shape[0], 'label')} but ${inputsFile} has ${plural(n, 'input')}; they must match`,
    );
  }

  const labelValues = npyToFloat64(y);
  const labels = new Int32Array(n);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const v = labelValues[i];
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new DatasetError(`npy: ${labelsFile} label ${i} is ${v}; labels must be non-negative integers (class ids)`);
    }
    labels[i] = v;
    if (v > maxLabel) maxLabel = v;
  }

  checkAborted(signal);
  const values = npyToFloat64(x);
  const pixels = x.dtype === 'uint8';
  const inputs = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      throw new DatasetError(`npy: ${inputsFile} value ${i} is ${v}; inputs must be finite numbers`);
    }
    inputs[i] = pixels ? v / 255 : v;
  }
  return {
    name: `npy:${basename(inputsFile)}`,
    shape,
    inputs,
    labels,
    classNames: Array.from({ length: maxLabel + 1 }, (_, k) => String(k)),
    ...(x.shape.length !== 4 ? { fileShape: [...x.shape] } : {}),
  };
}
