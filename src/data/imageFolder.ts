/**
 * Image folders: `<root>/<class>/*.png|*.jpg|*.jpeg`, one subfolder per class. Decoded with the
 * pure-JavaScript `pngjs` and `jpeg-js` (no native library to install, so it works wherever the
 * extension does).
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { readBoundedFileAsync } from '../run/read';
import { checkAborted, DATASET_FILE_MAX_BYTES, DatasetError, messageOf } from './dataset';
import type { ImageDataset } from './mnist';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** A decoded image: 8-bit samples, `channels` interleaved per pixel (1 = grey, 3 = RGB). */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** `height × width × channels` bytes, row-major. */
  pixels: Uint8Array;
}

/** Code-unit order, so the class order and file order do not depend on the machine's locale. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new DatasetError(`images: cannot read the folder ${dir}: ${messageOf(e)}`);
  }
}

/**
 * Decodes a PNG or JPEG file's bytes. Grey PNGs (with or without alpha) and grey JPEGs give one
 * channel; colour and palette images give three; alpha is dropped. 16-bit PNGs are scaled to 8 bits.
 * @throws Error from the decoder for bytes it cannot read.
 */
export function decodeImage(bytes: Buffer, file: string): DecodedImage {
  const ext = extname(file).toLowerCase();
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  let channels: 1 | 3;
  if (ext === '.png') {
    const png = PNG.sync.read(bytes);
    ({ width, height } = png);
    rgba = png.data;
    channels = png.color ? 3 : 1;
  } else {
    const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true });
    ({ width, height } = jpeg);
    rgba = jpeg.data;
    // jpeg-js always returns RGB(A); the frame header says whether the file was grey.
    channels = jpegComponents(bytes) === 1 ? 1 : 3;
  }
  const pixels = new Uint8Array(width * height * channels);
  for (let p = 0, q = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) pixels[q++] = rgba[p * 4 + c];
  }
  return { width, height, channels, pixels };
}

/**
 * The number of colour components in a JPEG's start-of-frame header (ITU T.81, B.2.2: marker
 * FFC0–FFCF except C4, C8, CC; then length, precision, height, width, component count), or
 * undefined when no frame header is found.
 */
export function jpegComponents(bytes: Uint8Array): number | undefined {
  let i = 2; // after SOI (FFD8)
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return bytes[i + 9];
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or start of scan: no frame before it
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
  }
  return undefined;
}

function sizeText(image: Pick<DecodedImage, 'width' | 'height' | 'channels'>): string {
  return `${image.width}×${image.height}×${image.channels}`;
}

/**
 * Loads `<root>/<class>/*.png|*.jpg|*.jpeg`: classes are the subfolders (hidden ones skipped) in
 * code-unit order, files in each sorted by name; other files are ignored. All images must have the
 * same width, height and channel count. Shape `[N, H, W, C]`, pixels scaled to [0, 1].
 * @throws DatasetError naming the path for a missing or empty root, a class folder without images,
 *   an unreadable image, or an image whose size differs from the first one.
 */
export async function loadImageFolder(root: string, signal?: AbortSignal): Promise<ImageDataset> {
  if (!isDirectory(root)) throw new DatasetError(`images: ${root} is not a folder`);
  const classNames = list(root)
    .filter((name) => !name.startsWith('.') && isDirectory(join(root, name)))
    .sort(byCodeUnit);
  if (classNames.length === 0) {
    throw new DatasetError(`images: ${root} has no class subfolders; expected ${join(root, '<class>', '*.png')}`);
  }
  const files: { file: string; label: number }[] = [];
  classNames.forEach((name, label) => {
    const dir = join(root, name);
    const images = list(dir)
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()) && !isDirectory(join(dir, f)))
      .sort(byCodeUnit);
    if (images.length === 0) throw new DatasetError(`images: the class folder ${dir} has no .png, .jpg or .jpeg files`);
    for (const f of images) files.push({ file: join(dir, f), label });
  });

  let first: { file: string; width: number; height: number; channels: 1 | 3 } | undefined;
  let inputs = new Float32Array(0);
  const labels = new Int32Array(files.length);
  for (let n = 0; n < files.length; n++) {
    checkAborted(signal);
    const { file, label } = files[n];
    let image: DecodedImage;
    try {
      image = decodeImage(await readBoundedFileAsync(file, { maxBytes: DATASET_FILE_MAX_BYTES.image }), file);
    } catch (e) {
      throw new DatasetError(`images: cannot read ${file}: ${messageOf(e)}`);
    }
    if (first === undefined) {
      first = { file, width: image.width, height: image.height, channels: image.channels };
      inputs = new Float32Array(files.length * image.pixels.length);
    } else if (image.width !== first.width || image.height !== first.height || image.channels !== first.channels) {
      throw new DatasetError(
        `images: ${file} is ${sizeText(image)} (width×height×channels) but ${first.file} is ${sizeText(first)}; ` +
          'all images must have the same size and channels',
      );
    }
    const offset = n * image.pixels.length;
    for (let i = 0; i < image.pixels.length; i++) inputs[offset + i] = image.pixels[i] / 255;
    labels[n] = label;
  }
  const { width, height, channels } = first!;
  const name = `images:${root.split(/[\\/]/).filter(Boolean).pop() ?? root}`;
  return { name, shape: [files.length, height, width, channels], inputs, labels, classNames };
}
