/**
 * The control experiment for shortcuts (docs/control.md): the transforms of a dataset that remove
 * the content a model should classify from, so that a model still classifying well has learned a
 * shortcut (a border, a scanner mark, a background). Pure functions of typed arrays; the recorder
 * applies them to the training and probe inputs after the split, so the probe is the same inputs
 * as the source run's.
 *
 * Inputs are images `[H, W, C]` (or `[H, W]`, one channel), channels last, one after another.
 */
import { seededPermutation, streamSeed } from '../analysis';
import { CONTROL_STREAMS, type ControlKind } from '../contract/controlFormat';

export { seededPermutation };

/** A parsed `--control` spec. */
export interface ControlSpec {
  kind: ControlKind;
  /** N of `border:N`, F of `mask-centre:F`; absent for the shuffles. */
  parameter?: number;
  /** The spec written back in its one form (`border:4`, `mask-centre:0.5`, `shuffle-pixels`). */
  spec: string;
}

/** The one line a bad spec gets: what was given and the forms accepted. */
export const CONTROL_FORMS = 'border:N (N ≥ 1 pixels), mask-centre:F (0 < F ≤ 1), shuffle-pixels or shuffle-labels';

export function badControlSpec(spec: string, why?: string): string {
  return `--control "${spec}" is not a control${why ? ` (${why})` : ''}: use ${CONTROL_FORMS}`;
}

/**
 * Parses `border:N`, `mask-centre:F` (also `mask-center:F`), `shuffle-pixels` or `shuffle-labels`.
 * Whether N fits an image is checked against its size by {@link checkControlFits}.
 * @throws RangeError with one line naming the accepted forms.
 */
export function parseControlSpec(text: string): ControlSpec {
  const spec = text.trim();
  if (spec === 'shuffle-pixels' || spec === 'shuffle-labels') return { kind: spec, spec };
  const match = /^(border|mask-centre|mask-center):(.+)$/.exec(spec);
  if (!match) throw new RangeError(badControlSpec(text));
  const value = Number(match[2]);
  if (match[1] === 'border') {
    if (!/^\d+$/.test(match[2]) || !(value >= 1))
      throw new RangeError(badControlSpec(text, 'N must be a whole number of pixels, at least 1'));
    return { kind: 'border', parameter: value, spec: `border:${value}` };
  }
  if (!/^[0-9.eE+-]+$/.test(match[2]) || !(value > 0 && value <= 1))
    throw new RangeError(badControlSpec(text, 'F must be a fraction above 0 and at most 1'));
  return { kind: 'mask-centre', parameter: value, spec: `mask-centre:${value}` };
}

/** Height, width and channels of one input of per-input shape `shape` (`[H, W, C]` or `[H, W]`). */
export function imageShape(shape: readonly number[]): { height: number; width: number; channels: number } | undefined {
  if (shape.length === 2) return { height: shape[0], width: shape[1], channels: 1 };
  if (shape.length === 3) return { height: shape[0], width: shape[1], channels: shape[2] };
  return undefined;
}

/**
 * Whether the control can apply to inputs of per-input shape `shape`: the pixel transforms need
 * images, and `border:N` needs N < min(H, W) / 2 (else it keeps every pixel).
 * @throws RangeError saying why not.
 */
export function checkControlFits(control: ControlSpec, shape: readonly number[]): void {
  if (control.kind === 'shuffle-labels') return;
  const image = imageShape(shape);
  if (!image) throw new RangeError(`--control ${control.spec} needs images [H, W, C] or [H, W], but each input is [${shape.join(', ')}]`);
  if (control.kind === 'border' && !(control.parameter! < Math.min(image.height, image.width) / 2))
    throw new RangeError(
      `--control ${control.spec}: N must be below half the smaller side of the ${image.height}×${image.width} images (N < ${Math.min(image.height, image.width) / 2}), else it keeps every pixel`,
    );
}

/**
 * The pixels a pixel transform keeps: 1 where the pixel stays, 0 where it is set to 0, `[H × W]`
 * row-major. `border:N` keeps the pixels within N of an edge (row < N, row ≥ H − N, column < N or
 * column ≥ W − N); `mask-centre:F` zeroes the central round(F·H) × round(F·W) rectangle, whose
 * top-left corner is at (⌊(H − h) / 2⌋, ⌊(W − w) / 2⌋).
 */
export function keptPixels(kind: 'border' | 'mask-centre', parameter: number, height: number, width: number): Uint8Array {
  const kept = new Uint8Array(height * width);
  if (kind === 'border') {
    const n = parameter;
    for (let r = 0; r < height; r++)
      for (let c = 0; c < width; c++) kept[r * width + c] = r < n || r >= height - n || c < n || c >= width - n ? 1 : 0;
    return kept;
  }
  kept.fill(1);
  const h = Math.round(parameter * height);
  const w = Math.round(parameter * width);
  const top = Math.floor((height - h) / 2);
  const left = Math.floor((width - w) / 2);
  for (let r = top; r < top + h; r++) for (let c = left; c < left + w; c++) kept[r * width + c] = 0;
  return kept;
}

/** The one pixel permutation of `shuffle-pixels` for a run's seed (the same for every input, training and probe). */
export function pixelPermutation(height: number, width: number, seed: number): Int32Array {
  return seededPermutation(height * width, streamSeed(seed, CONTROL_STREAMS.pixels));
}

/**
 * Applies a pixel control to `inputs` (images of per-input shape `shape`, one after another) in
 * place and returns them: `border` and `mask-centre` set every channel of the pixels they remove
 * to 0; `shuffle-pixels` moves every pixel, all its channels together, to its place in the seed's
 * permutation. `shuffle-labels` leaves the inputs as they are.
 * @throws RangeError when the control does not fit the shape ({@link checkControlFits}).
 */
export function applyControlToInputs(control: ControlSpec, inputs: Float32Array, shape: readonly number[], seed: number): Float32Array {
  if (control.kind === 'shuffle-labels') return inputs;
  checkControlFits(control, shape);
  const { height, width, channels } = imageShape(shape)!;
  const pixels = height * width;
  const size = pixels * channels;
  if (inputs.length % size !== 0) throw new RangeError(`${inputs.length} values are not whole inputs of [${shape.join(', ')}]`);
  const count = inputs.length / size;
  if (control.kind === 'shuffle-pixels') {
    const permutation = pixelPermutation(height, width, seed);
    const image = new Float32Array(size);
    for (let n = 0; n < count; n++) {
      const offset = n * size;
      image.set(inputs.subarray(offset, offset + size));
      for (let p = 0; p < pixels; p++) {
        const from = permutation[p] * channels;
        for (let c = 0; c < channels; c++) inputs[offset + p * channels + c] = image[from + c];
      }
    }
    return inputs;
  }
  const kept = keptPixels(control.kind, control.parameter!, height, width);
  for (let n = 0; n < count; n++) {
    const offset = n * size;
    for (let p = 0; p < pixels; p++) if (kept[p] === 0) inputs.fill(0, offset + p * channels, offset + (p + 1) * channels);
  }
  return inputs;
}

/** The training labels of `shuffle-labels`: a seeded permutation of them (the same multiset, a new order). */
export function shuffledLabels(labels: Int32Array, seed: number): Int32Array {
  const permutation = seededPermutation(labels.length, streamSeed(seed, CONTROL_STREAMS.labels));
  return Int32Array.from(permutation, (from) => labels[from]);
}

/** The majority-class rate of labels of `classes` classes: the accuracy of always answering the most common class. */
export function majorityClassRate(labels: ArrayLike<number>, classes: number): number | undefined {
  if (labels.length === 0) return undefined;
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return Math.max(...counts) / labels.length;
}
