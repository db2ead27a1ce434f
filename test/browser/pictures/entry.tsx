// The page of the picture tests (docs/testing.md "Picture tests"), bundled by pictures.ts in the
// tests' `before`, never by esbuild.mjs: it mounts ONE chart of webview/charts/ from props given as
// JSON, building what is not JSON (formats, callbacks, layer matches) as the chart's card does, and
// serialises what it drew (serialise.ts) or hands over a canvas's pixels (without its text).
import { render } from 'preact';
import { ChartPicture } from '../../support/pictureCharts';
import type { ChartName, ChartProps } from '../../support/pictureCharts';
import { serialise } from '../../support/serialise';
import type { SerialiseOptions } from '../../support/serialise';

// The charts' builders are in test/support/pictureCharts.tsx, shared with the Node pictures.
export type { ChartName, ChartProps };

/** What the picture tests call in the page (pictures.ts). */
export interface PicturePageApi {
  /** Draws a chart alone in a box `width` px wide inside its view, in place of the one drawn before. */
  draw(chart: ChartName, props: unknown, width: number): void;
  /** The chart under `selector`, serialised (serialise.ts). */
  serialise(selector: string, o: SerialiseOptions): string;
  /** A PNG (data URL) of a canvas's own pixels, or of a part of it given in CSS pixels. */
  canvas(selector: string, crop?: { x: number; y: number; width: number; height: number }): string;
  /**
   * A PNG (data URL) of every canvas under `selector`, each at its own pixels, side by side in the
   * page's order, 2 px apart on a transparent ground: a chart of many small canvases as one picture.
   */
  canvases(selector: string): string;
}

// A canvas's text is drawn in whatever font the machine has, so a canvas's picture is of its marks
// alone: text drawn on a canvas is left out (an SVG chart's text is in its snapshot, as text).
CanvasRenderingContext2D.prototype.fillText = () => undefined;
CanvasRenderingContext2D.prototype.strokeText = () => undefined;

const root = document.getElementById('root')!;

const api: PicturePageApi = {
  draw(chart, props, width) {
    render(null, root);
    render(<ChartPicture chart={chart} props={props as ChartProps<typeof chart>} width={width} />, root);
  },
  serialise(selector, o) {
    const el = document.querySelector(selector);
    if (!el) throw new Error(`the chart drew no ${selector}`);
    return serialise(el, o);
  },
  canvas(selector, crop) {
    const source = document.querySelector(selector);
    if (!(source instanceof HTMLCanvasElement)) throw new Error(`the chart drew no canvas ${selector}`);
    if (!crop) return source.toDataURL('image/png');
    const scale = source.width / source.getBoundingClientRect().width;
    const out = document.createElement('canvas');
    out.width = Math.round(crop.width * scale);
    out.height = Math.round(crop.height * scale);
    out.getContext('2d')!.drawImage(source, crop.x * scale, crop.y * scale, out.width, out.height, 0, 0, out.width, out.height);
    return out.toDataURL('image/png');
  },
  canvases(selector) {
    const all = [...document.querySelectorAll(selector)].filter((c): c is HTMLCanvasElement => c instanceof HTMLCanvasElement);
    if (all.length === 0) throw new Error(`the chart drew no canvas ${selector}`);
    const gap = 2;
    const out = document.createElement('canvas');
    out.width = all.reduce((w, c) => w + c.width, 0) + gap * (all.length - 1);
    out.height = Math.max(...all.map((c) => c.height));
    const ctx = out.getContext('2d')!;
    let x = 0;
    for (const c of all) {
      ctx.drawImage(c, x, 0);
      x += c.width + gap;
    }
    return out.toDataURL('image/png');
  },
};

(window as unknown as { picture: PicturePageApi }).picture = api;
