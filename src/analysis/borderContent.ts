/**
 * How much of a dataset's content lies in the border of its images (docs/control.md "The default
 * control"): the share of inputs whose border differs from the background, per border width, and the
 * share of the content a control keeps. The default control experiment is chosen from them.
 *
 * Definitions, on images `[H, W, C]` channels last, one after another:
 * - a pixel's *ring* is its distance to the nearest edge, min(row, column, H − 1 − row, W − 1 − column);
 *   the border of width N holds the pixels of rings 0 … N − 1;
 * - the *background* is, per channel, the most common value of the outermost ring (ring 0) over all
 *   inputs (the smallest value on a tie);
 * - a pixel *differs* when any of its channels is not exactly its background value (NaN differs);
 * - the *content* of a pixel is Σ over channels of |value − background| (a NaN counts 0);
 *   a control keeps the content of the pixels it keeps.
 */

/** The per-channel background of images: the most common value of each channel on the outermost ring. */
export function borderBackground(images: Float32Array, height: number, width: number, channels: number): Float32Array {
  const size = height * width * channels;
  const count = size > 0 ? Math.floor(images.length / size) : 0;
  const background = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const counts = new Map<number, number>();
    for (let n = 0; n < count; n++)
      for (let r = 0; r < height; r++) {
        const step = r === 0 || r === height - 1 ? 1 : Math.max(1, width - 1);
        for (let col = 0; col < width; col += step) {
          const value = images[n * size + (r * width + col) * channels + c];
          if (!Number.isNaN(value)) counts.set(value, (counts.get(value) ?? 0) + 1);
        }
      }
    let best = 0;
    let most = -1;
    for (const [value, k] of counts) if (k > most || (k === most && value < best)) [best, most] = [value, k];
    background[c] = best;
  }
  return background;
}

/** The widest border a `border:N` control accepts on H × W images: N < min(H, W) / 2. */
export function widestBorder(height: number, width: number): number {
  return Math.ceil(Math.min(height, width) / 2) - 1;
}

/** Per border width N = 1 … {@link widestBorder}: how many inputs the border touches, and how much content it holds. */
export interface BorderContent {
  /** The number of images measured. */
  inputs: number;
  /** The background, per channel. */
  background: number[];
  /** `widths[i]` is about the border of width i + 1. */
  widths: { width: number; inputShare: number; contentShare: number | undefined }[];
}

/**
 * Per border width N: `inputShare`, the share of the images with a pixel of the N-pixel border that
 * differs from the background; `contentShare`, the share of all content that lies in that border
 * (undefined when the images hold no content at all).
 */
export function borderContent(images: Float32Array, height: number, width: number, channels: number): BorderContent {
  const size = height * width * channels;
  const count = size > 0 ? Math.floor(images.length / size) : 0;
  const background = borderBackground(images, height, width, channels);
  const widest = widestBorder(height, width);
  const rings = Math.ceil(Math.min(height, width) / 2);
  /** The innermost differing ring of no image: per image, its outermost differing ring. */
  const firstRing = new Int32Array(rings + 1);
  const ringContent = new Float64Array(rings);
  for (let n = 0; n < count; n++) {
    let first = rings;
    for (let r = 0; r < height; r++)
      for (let col = 0; col < width; col++) {
        const ring = Math.min(r, col, height - 1 - r, width - 1 - col);
        const at = n * size + (r * width + col) * channels;
        for (let c = 0; c < channels; c++) {
          const value = images[at + c];
          if (value === background[c]) continue;
          if (ring < first) first = ring;
          const d = Math.abs(value - background[c]);
          if (!Number.isNaN(d)) ringContent[ring] += d;
        }
      }
    firstRing[first]++;
  }
  const total = ringContent.reduce((a, b) => a + b, 0);
  const widths: BorderContent['widths'] = [];
  let touched = 0;
  let content = 0;
  for (let w = 1; w <= widest; w++) {
    touched += firstRing[w - 1];
    content += ringContent[w - 1];
    widths.push({ width: w, inputShare: count > 0 ? touched / count : 0, contentShare: total > 0 ? content / total : undefined });
  }
  return { inputs: count, background: Array.from(background), widths };
}

/**
 * The content a control keeps of images: `inputShare`, the share of the images with a kept pixel
 * that differs from the background; `contentShare`, the share of their content on kept pixels
 * (undefined when they hold none). `kept` is 1 where a pixel stays, `[H × W]` row-major.
 */
export function keptContent(
  images: Float32Array,
  height: number,
  width: number,
  channels: number,
  kept: Uint8Array,
): { inputShare: number; contentShare: number | undefined } {
  const size = height * width * channels;
  const count = size > 0 ? Math.floor(images.length / size) : 0;
  const background = borderBackground(images, height, width, channels);
  let touched = 0;
  let keptSum = 0;
  let total = 0;
  for (let n = 0; n < count; n++) {
    let any = false;
    for (let p = 0; p < height * width; p++)
      for (let c = 0; c < channels; c++) {
        const value = images[n * size + p * channels + c];
        if (value === background[c]) continue;
        const d = Math.abs(value - background[c]);
        const amount = Number.isNaN(d) ? 0 : d;
        total += amount;
        if (kept[p]) {
          any = true;
          keptSum += amount;
        }
      }
    if (any) touched++;
  }
  return { inputShare: count > 0 ? touched / count : 0, contentShare: total > 0 ? keptSum / total : undefined };
}

/** The largest share of inputs whose border may differ from the background for the border to be proposed. */
export const BORDER_CONTENT_MAX_SHARE = 0.01;

/** The control proposed by default, and why. */
export type ControlProposal =
  | { spec: string; kind: 'border'; width: number; inputShare: number; contentShare: number | undefined; inputs: number }
  | { spec: 'shuffle-pixels'; kind: 'shuffle-pixels'; inputShare: number | undefined; inputs: number };

/**
 * The default control of images: `border:N` for the widest N whose border differs from the background
 * in under BORDER_CONTENT_MAX_SHARE of the inputs; `shuffle-pixels` when no width qualifies (then
 * `inputShare` is the 1-pixel border's, or undefined when the images are too small for a border).
 */
export function proposeControl(content: BorderContent): ControlProposal {
  const fit = content.widths.filter((w) => w.inputShare < BORDER_CONTENT_MAX_SHARE).pop();
  if (fit && content.inputs > 0)
    return {
      spec: `border:${fit.width}`,
      kind: 'border',
      width: fit.width,
      inputShare: fit.inputShare,
      contentShare: fit.contentShare,
      inputs: content.inputs,
    };
  return { spec: 'shuffle-pixels', kind: 'shuffle-pixels', inputShare: content.widths[0]?.inputShare, inputs: content.inputs };
}
