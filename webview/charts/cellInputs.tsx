// Probe inputs as pictures: an `inputs` answer decoded to one image per input (grey or RGB, scaled
// from the answer's min–max), and a thumbnail that draws one.
import type { JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { decodeFloat32 } from '../../src/contract/queries';
import type { InputsAnswer } from '../../src/contract/queries';
import { greyLevel } from '../colours';

/** Each input's picture, grey or RGB, scaled from the answer's min–max to 0–255. */
export function picturesByInput(a: InputsAnswer): Map<number, ImageData> {
  const out = new Map<number, ImageData>();
  const [count, h, w, c] = a.images.shape;
  if (!count || !h || !w) return out;
  const channels = c ?? 1;
  const data = decodeFloat32(a.images);
  const span = a.max - a.min || 1;
  const level = (v: number) => greyLevel((v - a.min) / span);
  for (let k = 0; k < count; k++) {
    const img = new ImageData(w, h);
    for (let p = 0; p < h * w; p++) {
      const at = (k * h * w + p) * channels;
      const rgb = channels >= 3 ? [data[at], data[at + 1], data[at + 2]] : [data[at], data[at], data[at]];
      img.data[p * 4] = level(rgb[0]);
      img.data[p * 4 + 1] = level(rgb[1]);
      img.data[p * 4 + 2] = level(rgb[2]);
      img.data[p * 4 + 3] = 255;
    }
    out.set(a.inputs[k], img);
  }
  return out;
}

/**
 * One input's picture on a canvas, or a grey placeholder while it is read. The canvas is created at
 * the picture's size and drawn before the browser paints (a layout effect), so it is never seen
 * blank at the default 300 × 150.
 */
export function Thumbnail(props: { image: ImageData | undefined }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const c = ref.current;
    const img = props.image;
    if (!c || !img) return;
    c.width = img.width;
    c.height = img.height;
    c.getContext('2d')?.putImageData(img, 0, 0);
  }, [props.image]);
  if (!props.image) return <span class="thumb placeholder" aria-hidden="true" />;
  return <canvas ref={ref} class="thumb" width={props.image.width} height={props.image.height} aria-hidden="true" />;
}
