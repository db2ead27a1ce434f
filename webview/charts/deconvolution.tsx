// Deconvolution of one channel (paper 5.4.1, Fig. 15): each sample input's feature map of the
// channel projected back to input space, beside the input itself, so one sees which part of the
// input the channel keeps. Pixels are drawn 1:1 on small canvases and scaled up by CSS
// (pixelated), which is exact and cheap; a composite canvas is drawn as well because the card's
// PNG export takes one canvas.
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { decodeFloat32 } from '../../src/contract/queries';
import type { DeconvolutionAnswer, EncodedArray, InputsAnswer } from '../../src/contract/queries';
import { classColour, greyLevel } from '../colours';
import { ChartTheme, classLabel, useChartTheme } from './common';

interface Images {
  data: Float32Array;
  count: number;
  h: number;
  w: number;
  c: number;
  min: number;
  max: number;
  /** Stretch each image to its own range instead of the shared one. */
  perImage: boolean;
}

function images(a: EncodedArray, min: number, max: number, perImage = false): Images {
  const [count = 0, h = 1, w = 1, c = 1] = a.shape;
  return { data: decodeFloat32(a), count, h, w, c, min, max, perImage };
}

/**
 * Writes image `i` into RGBA pixels, normalised to the answer's range (one range for all, so the
 * images compare) or, for faint projections, to the image's own range.
 */
function pixels(img: Images, i: number): ImageData {
  const out = new ImageData(img.w, img.h);
  const size = img.h * img.w * img.c;
  let lo = img.min;
  let hi = img.max;
  if (img.perImage) {
    lo = Infinity;
    hi = -Infinity;
    for (let k = i * size; k < (i + 1) * size; k++) {
      lo = Math.min(lo, img.data[k]);
      hi = Math.max(hi, img.data[k]);
    }
  }
  const span = hi - lo;
  const t = (v: number) => greyLevel(span > 0 ? (v - lo) / span : 0.5);
  for (let p = 0; p < img.h * img.w; p++) {
    const at = i * size + p * img.c;
    const r = t(img.data[at]);
    // Three or more channels: the first three as RGB; one (or two): grey from the first.
    const g = img.c >= 3 ? t(img.data[at + 1]) : r;
    const b = img.c >= 3 ? t(img.data[at + 2]) : r;
    out.data[p * 4] = r;
    out.data[p * 4 + 1] = g;
    out.data[p * 4 + 2] = b;
    out.data[p * 4 + 3] = 255;
  }
  return out;
}

function ImageCanvas(props: { img: Images; index: number; scale: number; label: string; testId?: string }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const { img, index } = props;
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = img.w;
    c.height = img.h;
    ctx.putImageData(pixels(img, index), 0, 0);
  }, [img, index]);
  return (
    <canvas
      ref={ref}
      class="deconv-image"
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      style={{ width: `${img.w * props.scale}px`, height: `${img.h * props.scale}px` }}
    />
  );
}

export interface DeconvolutionProps {
  answer: DeconvolutionAnswer;
  /** The sample inputs themselves, when known (they come from another query). */
  inputs: InputsAnswer | undefined;
  classNames: string[];
  layerName: string;
  perImage: boolean;
}

export function DeconvolutionFigure(props: DeconvolutionProps): JSX.Element {
  const { answer, inputs, classNames } = props;
  const projections = useMemo(() => images(answer.projections, answer.min, answer.max, props.perImage), [answer, props.perImage]);
  const originals = useMemo(() => (inputs ? images(inputs.images, inputs.min, inputs.max) : undefined), [inputs]);
  const scale = Math.max(1, Math.round(80 / Math.max(projections.w, projections.h)));
  const theme = useChartTheme();
  const composite = useRef<HTMLCanvasElement>(null);
  const originalOf = (input: number) => (inputs ? inputs.inputs.indexOf(input) : -1);
  const className = (label: number) => classLabel(label, classNames);

  useEffect(() => {
    if (composite.current)
      drawComposite(composite.current, {
        projections,
        originals,
        answer,
        inputs,
        scale,
        theme,
        classNames,
        title: `${props.layerName} #${answer.channel}, epoch ${answer.epoch}`,
      });
  }, [projections, originals, answer, inputs, scale, theme, classNames, props.layerName]);

  return (
    <div class="deconv" data-testid="deconvolution" data-channel={answer.channel} data-layer={answer.layer}>
      {answer.max === answer.min && (
        <p class="warning">
          Every projection is constant ({answer.min}): this channel passes nothing back for these inputs (a dead channel?).
        </p>
      )}
      <div class="deconv-items">
        {answer.inputs.map((input, i) => {
          const o = originalOf(input);
          const label = answer.labels[i];
          return (
            <figure key={input} class="deconv-item" style={{ width: `${projections.w * scale + 2}px` }}>
              {originals && o >= 0 ? (
                <ImageCanvas img={originals} index={o} scale={scale} label={`Input ${input}, ${className(label)}`} />
              ) : (
                <div class="deconv-missing muted" style={{ width: `${projections.w * scale}px`, height: `${projections.h * scale}px` }}>
                  input not loaded
                </div>
              )}
              <ImageCanvas
                img={projections}
                index={i}
                scale={scale}
                label={`Deconvolution of ${props.layerName} channel ${answer.channel} for input ${input} (${className(label)})`}
                testId="projection"
              />
              <figcaption>
                <span class="swatch" style={{ background: classColour(label, classNames.length) }} />
                {className(label)}
                <span class="muted deconv-input">input {input}</span>
              </figcaption>
            </figure>
          );
        })}
      </div>
      <p class="muted deconv-note">
        Top: the input; below: {props.layerName} #{answer.channel}'s feature map projected back to input space (epoch {answer.epoch}).{' '}
        {props.perImage ? (
          <>
            Each projection is stretched to its own range (black = its minimum, white = its maximum): shapes show better, brightness does
            not compare.
          </>
        ) : (
          <>
            Grey levels from {fmt(answer.min)} (black) to {fmt(answer.max)} (white), one range for every projection so they compare.
          </>
        )}
      </p>
      <canvas ref={composite} class="chart" hidden aria-hidden="true" />
    </div>
  );
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3);
}

function drawComposite(
  c: HTMLCanvasElement,
  p: {
    projections: Images;
    originals: Images | undefined;
    answer: DeconvolutionAnswer;
    inputs: InputsAnswer | undefined;
    scale: number;
    theme: ChartTheme;
    classNames: string[];
    title: string;
  },
): void {
  const { projections, originals, answer, scale, theme } = p;
  const cellW = projections.w * scale;
  const cellH = projections.h * scale;
  const gap = 8;
  const titleH = 20;
  const labelH = 16;
  const n = answer.inputs.length;
  const w = gap + n * (cellW + gap);
  const h = titleH + 2 * (cellH + gap) + labelH + gap;
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = theme.foreground;
  ctx.font = `12px ${theme.font}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(p.title, gap, titleH / 2 + 2);
  ctx.imageSmoothingEnabled = false;
  const tmp = document.createElement('canvas');
  const draw = (img: Images, i: number, x: number, y: number) => {
    tmp.width = img.w;
    tmp.height = img.h;
    tmp.getContext('2d')?.putImageData(pixels(img, i), 0, 0);
    ctx.drawImage(tmp, x, y, cellW, cellH);
  };
  answer.inputs.forEach((input, i) => {
    const x = gap + i * (cellW + gap);
    const o = p.inputs ? p.inputs.inputs.indexOf(input) : -1;
    if (originals && o >= 0) draw(originals, o, x, titleH);
    draw(projections, i, x, titleH + cellH + gap);
    const label = answer.labels[i];
    ctx.fillStyle = classColour(label, p.classNames.length);
    ctx.fillRect(x, titleH + 2 * (cellH + gap) + 3, 9, 9);
    ctx.fillStyle = theme.foreground;
    ctx.font = `11px ${theme.font}`;
    ctx.fillText(classLabel(label, p.classNames), x + 13, titleH + 2 * (cellH + gap) + 8);
  });
}
