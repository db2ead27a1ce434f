/**
 * A tiny deterministic dataset for tests and for trying the extension in a second (docs/datasets.md):
 * 12×12 grey images of three line shapes on a noisy background, which a tiny CNN
 * separates within a few epochs.
 */
import { seededRandom } from '../analysis';
import type { ImageDataset } from './mnist';

/** Side of the synthetic images, in pixels. */
export const SYNTHETIC_SIDE = 12;
/** The default number of synthetic images. */
export const SYNTHETIC_DEFAULT_COUNT = 600;
/** The largest number of synthetic images `synthetic:<n>` may ask for (≈58 MB of float32). */
export const SYNTHETIC_MAX_COUNT = 100_000;
/** The classes, in label order. */
export const SYNTHETIC_CLASS_NAMES = ['horizontal bar', 'vertical bar', 'diagonal'];

/** Fixed, so `synthetic:<n>` is the same data on every machine and in every run. */
const SEED = 0x5eed;
/** Background noise is uniform in [0, NOISE); lines are in [LINE_MIN, 1). */
const NOISE = 0.3;
const LINE_MIN = 0.7;

/**
 * `count` images `[count, 12, 12, 1]`, labels cycling 0, 1, 2 (so the classes are balanced: their
 * sizes differ by at most one): 0 = a horizontal line across the image at a random row, 1 = a
 * vertical line at a random column, 2 = a top-left-to-bottom-right diagonal shifted by −3…3 pixels.
 * Every pixel gets uniform noise in [0, 0.3); line pixels are brightened to [0.7, 1). Every image
 * draws the same number of random values, so `synthetic:300` is the first half of `synthetic:600`.
 * @throws RangeError unless `count` is an integer from 1 to {@link SYNTHETIC_MAX_COUNT}.
 */
export function makeSynthetic(count = SYNTHETIC_DEFAULT_COUNT): ImageDataset {
  if (!Number.isInteger(count) || count < 1 || count > SYNTHETIC_MAX_COUNT) {
    throw new RangeError(`synthetic: count must be an integer from 1 to ${SYNTHETIC_MAX_COUNT}, got ${count}`);
  }
  const side = SYNTHETIC_SIDE;
  const pixels = side * side;
  const random = seededRandom(SEED);
  const inputs = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 3;
    labels[n] = label;
    const image = inputs.subarray(n * pixels, (n + 1) * pixels);
    for (let p = 0; p < pixels; p++) image[p] = random() * NOISE;
    const position = 1 + Math.floor(random() * (side - 2)); // rows / columns 1…10
    const shift = Math.floor(random() * 7) - 3; // diagonal offset −3…3
    for (let t = 0; t < side; t++) {
      let row: number;
      let col: number;
      if (label === 0) [row, col] = [position, t];
      else if (label === 1) [row, col] = [t, position];
      else [row, col] = [t, t + shift];
      const brightness = LINE_MIN + random() * (1 - LINE_MIN); // drawn even when off the image, see above
      if (col >= 0 && col < side) image[row * side + col] = brightness;
    }
  }
  return { name: `synthetic:${count}`, shape: [count, side, side, 1], inputs, labels, classNames: [...SYNTHETIC_CLASS_NAMES] };
}
