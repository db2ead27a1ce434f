// Feature maps of the two channels of a clicked heatmap cell (paper 5.3.2–5.3.3, Figs. 8(C, D) and
// 9): for each sample input (one per class), the input and the maps of the column channel (layer I)
// and the row channel (layer J) side by side. Each map is drawn at its own resolution and scaled up
// without smoothing, so every activation stays one visible block; grey runs from the channel's
// minimum (black) to its maximum (white) over the sample inputs, so the maps of one channel can
// be compared across inputs.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { FeatureMapsAnswer, InputsAnswer } from '../../src/contract/queries';
import { greyLevel, themeColour } from '../colours';
import { pixelRatio, useTooltip } from './primitives';
import { reducedMotion, useChartTheme } from './common';

/** One channel's maps, one per input, out of a featureMaps answer `[inputs, channels, H, W]`. */
export interface ChannelMaps {
  layer: number;
  channel: number;
  inputs: number[];
  labels: number[];
  h: number;
  w: number;
  maps: Float32Array[];
  /** The channel's `[min, max]` over these inputs: the grey scale. */
  range: [number, number];
}

export function channelMaps(a: FeatureMapsAnswer, decoded: Float32Array, channel: number): ChannelMaps | undefined {
  const k = a.channels.indexOf(channel);
  const [n, c, h, w] = a.maps.shape;
  if (k < 0 || a.maps.shape.length !== 4) return undefined;
  const size = h * w;
  const maps = Array.from({ length: n }, (_, i) => decoded.subarray((i * c + k) * size, (i * c + k + 1) * size));
  return { layer: a.layer, channel, inputs: a.inputs, labels: a.labels, h, w, maps, range: a.channelRanges[k] ?? [a.min, a.max] };
}

/** A number short enough for a tooltip, exact enough to compare maps. */
export function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? v.toExponential(3) : v.toFixed(3);
}

function extent(data: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo === Infinity ? [0, 0] : [lo, hi];
}

/**
 * A picture at one pixel per value. `channels` > 1 reads interleaved values (an RGB input image);
 * a constant picture (max = min) is black, the channel's minimum.
 */
function pixelImage(data: ArrayLike<number>, h: number, w: number, channels: number, range: [number, number]): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, w);
  canvas.height = Math.max(1, h);
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const img = ctx.createImageData(canvas.width, canvas.height);
  const span = range[1] - range[0];
  const level = (v: number) => greyLevel(span > 0 && Number.isFinite(v) ? (v - range[0]) / span : 0);
  for (let p = 0; p < h * w; p++) {
    const o = p * 4;
    if (channels >= 3) {
      img.data[o] = level(data[p * channels]);
      img.data[o + 1] = level(data[p * channels + 1]);
      img.data[o + 2] = level(data[p * channels + 2]);
    } else {
      const g = level(data[p * channels]);
      img.data[o] = g;
      img.data[o + 1] = g;
      img.data[o + 2] = g;
    }
    img.data[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

/** Whole-number scale to about `target` CSS pixels; a one-row map (a dense layer) gets some height. */
function displaySize(h: number, w: number, target = 64): { sx: number; sy: number } {
  const s = Math.max(1, Math.round(target / Math.max(h, w, 1)));
  return { sx: s, sy: h * s < 10 ? Math.ceil(10 / Math.max(1, h)) : s };
}

interface Picture {
  image: HTMLCanvasElement;
  h: number;
  w: number;
  /** Value at a pixel, for the tooltip. */
  valueAt(y: number, x: number): number;
  /** The picture's own min and max. */
  own: [number, number];
}

function PictureCanvas(props: {
  picture: Picture;
  label: string;
  testid?: string;
  tip(y: number, x: number): ComponentChildren;
}): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const tooltip = useTooltip();
  const { h, w } = props.picture;
  const { sx, sy } = displaySize(h, w);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const ratio = pixelRatio();
    c.width = Math.round(w * sx * ratio);
    c.height = Math.round(h * sy * ratio);
    c.style.width = `${w * sx}px`;
    c.style.height = `${h * sy}px`;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(props.picture.image, 0, 0, c.width, c.height);
  }, [props.picture, sx, sy, h, w]);
  const onMove = (e: MouseEvent) => {
    const box = ref.current!.getBoundingClientRect();
    const x = Math.min(w - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * w)));
    const y = Math.min(h - 1, Math.max(0, Math.floor(((e.clientY - box.top) / box.height) * h)));
    tooltip.show(e.clientX, e.clientY, props.tip(y, x));
  };
  return (
    <canvas
      ref={ref}
      class="feature-map"
      data-testid={props.testid}
      role="img"
      aria-label={props.label}
      width={w * sx}
      height={h * sy}
      onMouseMove={onMove}
      onMouseLeave={() => tooltip.hide()}
    />
  );
}

export interface FeatureMapPairProps {
  columnMaps: ChannelMaps;
  rowMaps: ChannelMaps;
  columnName: string;
  rowName: string;
  classNames: string[];
  inputs?: InputsAnswer;
  inputsDecoded?: Float32Array;
}

function mapPicture(m: ChannelMaps, i: number): Picture {
  const data = m.maps[i];
  return { image: pixelImage(data, m.h, m.w, 1, m.range), h: m.h, w: m.w, valueAt: (y, x) => data[y * m.w + x], own: extent(data) };
}

function inputPicture(a: InputsAnswer, decoded: Float32Array, input: number): Picture | undefined {
  const i = a.inputs.indexOf(input);
  const [n, h, w, c] = a.images.shape;
  if (i < 0 || i >= n || a.images.shape.length !== 4) return undefined;
  const data = decoded.subarray(i * h * w * c, (i + 1) * h * w * c);
  return { image: pixelImage(data, h, w, c, [a.min, a.max]), h, w, valueAt: (y, x) => data[(y * w + x) * c], own: extent(data) };
}

/** Per sample input: its class, the input, then the column channel's and the row channel's maps. */
export function FeatureMapPairs(props: FeatureMapPairProps): JSX.Element {
  const { columnMaps: cm, rowMaps: rm, classNames } = props;
  const className = (label: number | undefined) => (label === undefined ? 'unknown class' : (classNames[label] ?? `class ${label}`));
  const figures = useMemo(
    () =>
      cm.inputs.map((input, i) => {
        const j = rm.inputs.indexOf(input);
        return {
          input,
          label: cm.labels[i],
          column: mapPicture(cm, i),
          row: j >= 0 ? mapPicture(rm, j) : undefined,
          source: props.inputs && props.inputsDecoded ? inputPicture(props.inputs, props.inputsDecoded, input) : undefined,
        };
      }),
    [cm, rm, props.inputs, props.inputsDecoded],
  );
  // The maps sit beside the heatmap, or directly below it in a narrow panel. Right after a click or
  // key press (the page's transient user activation) and only when no part of them is on screen,
  // the page scrolls the least that shows their first row: the clicked cell stays where it was or
  // moves up by one row, never off to another part of the page. A selection restored on reload
  // leaves the page where it is.
  const figureRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = figureRef.current;
    const activation = (navigator as Navigator & { userActivation?: { isActive: boolean } }).userActivation;
    if (!el || !activation?.isActive) return;
    const box = el.getBoundingClientRect();
    if (box.bottom > 0 && box.top < window.innerHeight) return;
    const first = el.querySelector('.fm-figure') ?? el;
    first.scrollIntoView({ block: 'nearest', behavior: reducedMotion() ? 'auto' : 'smooth' });
  }, [cm.layer, cm.channel, rm.layer, rm.channel]);
  const mapTip = (f: (typeof figures)[number], name: string, m: ChannelMaps, p: Picture) => (y: number, x: number) => (
    <div>
      <div style={{ fontWeight: 600 }}>
        input #{f.input} · {className(f.label)}
      </div>
      <div>
        {name} #{m.channel}: values {fmtValue(p.own[0])} to {fmtValue(p.own[1])}
      </div>
      <div>
        value at row {y}, column {x}: {fmtValue(p.valueAt(y, x))}
      </div>
      <div class="muted">
        grey: black = {fmtValue(m.range[0])}, white = {fmtValue(m.range[1])} (channel range over the sample inputs)
      </div>
    </div>
  );
  return (
    <div class="feature-maps" data-testid="feature-maps" ref={figureRef}>
      <div
        class="fm-grid"
        role="list"
        aria-label={`Feature maps of ${props.columnName} #${cm.channel} and ${props.rowName} #${rm.channel} for ${figures.length} sample inputs`}
      >
        {figures.map((f) => (
          <figure key={f.input} class="fm-figure" role="listitem" data-input={f.input}>
            <figcaption>
              <strong>{className(f.label)}</strong> <span class="muted">input #{f.input}</span>
            </figcaption>
            <div class="fm-row">
              {f.source && (
                <div class="fm-cell">
                  <PictureCanvas
                    picture={f.source}
                    label={`Input #${f.input} (${className(f.label)})`}
                    tip={(y, x) => (
                      <div>
                        <div style={{ fontWeight: 600 }}>
                          input #{f.input} · {className(f.label)}
                        </div>
                        <div>
                          pixel values {fmtValue(f.source!.own[0])} to {fmtValue(f.source!.own[1])}; here{' '}
                          {fmtValue(f.source!.valueAt(y, x))}
                        </div>
                      </div>
                    )}
                  />
                  <span class="fm-label muted">input</span>
                </div>
              )}
              <div class="fm-cell">
                <PictureCanvas
                  picture={f.column}
                  testid="feature-map"
                  label={`${props.columnName} #${cm.channel} on input #${f.input} (${className(f.label)}): values ${fmtValue(f.column.own[0])} to ${fmtValue(f.column.own[1])}`}
                  tip={mapTip(f, props.columnName, cm, f.column)}
                />
                <span class="fm-label">
                  {props.columnName} #{cm.channel}
                </span>
              </div>
              <div class="fm-cell">
                {f.row ? (
                  <PictureCanvas
                    picture={f.row}
                    testid="feature-map"
                    label={`${props.rowName} #${rm.channel} on input #${f.input} (${className(f.label)}): values ${fmtValue(f.row.own[0])} to ${fmtValue(f.row.own[1])}`}
                    tip={mapTip(f, props.rowName, rm, f.row)}
                  />
                ) : (
                  <span class="muted">no map for this input</span>
                )}
                <span class="fm-label">
                  {props.rowName} #{rm.channel}
                </span>
              </div>
            </div>
          </figure>
        ))}
      </div>
      <CompositeExport
        figures={figures}
        columnTitle={`${props.columnName} #${cm.channel}`}
        rowTitle={`${props.rowName} #${rm.channel}`}
        nameOf={className}
      />
    </div>
  );
}

/**
 * The picture the card's PNG export saves: the same maps as one canvas laid out like the paper's
 * Fig. 9 (a row per picture kind, a column per input). Kept hidden; the export reads its pixels.
 */
function CompositeExport(props: {
  figures: { input: number; label: number; column: Picture; row?: Picture; source?: Picture }[];
  columnTitle: string;
  rowTitle: string;
  nameOf(label: number): string;
}): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  // A new theme object on a theme change: the picture is drawn again with its colours.
  const theme = useChartTheme();
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || props.figures.length === 0) return;
    const f0 = props.figures[0];
    const kinds: { title: string; pick(f: (typeof props.figures)[number]): Picture | undefined }[] = [
      ...(f0.source ? [{ title: 'input', pick: (f: (typeof props.figures)[number]) => f.source }] : []),
      { title: props.columnTitle, pick: (f) => f.column },
      { title: props.rowTitle, pick: (f) => f.row },
    ];
    const cellW = 80;
    const cellH = 80;
    const left = 110;
    const top = 20;
    const width = left + cellW * props.figures.length;
    const height = top + cellH * kinds.length;
    c.width = width;
    c.height = height;
    ctx.fillStyle = themeColour('--vscode-editor-background', '#ffffff');
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = themeColour('--vscode-foreground', '#3b3b3b');
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.imageSmoothingEnabled = false;
    kinds.forEach((k, row) => {
      ctx.fillText(k.title, 4, top + row * cellH + cellH / 2);
      props.figures.forEach((f, col) => {
        const p = k.pick(f);
        if (!p) return;
        const { sx, sy } = displaySize(p.h, p.w, 72);
        ctx.drawImage(p.image, left + col * cellW, top + row * cellH + 2, p.w * sx, p.h * sy);
      });
    });
    props.figures.forEach((f, col) => ctx.fillText(props.nameOf(f.label), left + col * cellW, 10));
  }, [props.figures, props.columnTitle, props.rowTitle, theme]);
  return <canvas ref={ref} class="chart" style={{ display: 'none' }} aria-hidden="true" />;
}
