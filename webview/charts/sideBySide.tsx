// Several channels side by side for the same inputs (paper Figs. 9 and 15): one row per sample
// input, one column per channel, the input itself in the first column. Columns are separate
// components so that each can ask its own query (a deconvolution is one query per channel) and
// say in place when its answer is missing. Cells are sized from the card's width, so any number
// of columns fits a half-width editor group without a horizontal scroll.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { classColour, greyLevel } from '../colours';
import { classLabel, useWidth } from './common';

/** One picture: `h × w × c` values (c ≥ 3 drawn as RGB), grey from `range[0]` (black) to `range[1]` (white). */
export interface GridPicture {
  data: ArrayLike<number>;
  h: number;
  w: number;
  c: number;
  range: [number, number];
}

/** A row of the grid: a sample input and its class. */
export interface GridRow {
  input: number;
  label: number;
}

/** Width of the class-label column in CSS pixels. */
const LABEL_WIDTH = 64;
const GAP = 4;

/** The side of a square cell for `columns` picture columns in `width` pixels: 20 to 72 px. */
export function gridCellSize(width: number, columns: number): number {
  const free = width - LABEL_WIDTH - GAP * (columns + 1);
  return Math.max(20, Math.min(72, Math.floor(free / Math.max(1, columns))));
}

/** The `[min, max]` of finite values over several arrays (`[0, 0]` when none). */
export function rangeOf(arrays: ArrayLike<number>[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays)
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return lo === Infinity ? [0, 0] : [lo, hi];
}

function GridCanvas(props: { picture: GridPicture; size: number; label: string; testId?: string }): JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const { picture: p } = props;
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = Math.max(1, p.w);
    c.height = Math.max(1, p.h);
    const img = ctx.createImageData(c.width, c.height);
    const span = p.range[1] - p.range[0];
    const level = (v: number) => greyLevel(span > 0 && Number.isFinite(v) ? (v - p.range[0]) / span : 0);
    for (let k = 0; k < p.h * p.w; k++) {
      const at = k * p.c;
      const r = level(p.data[at]);
      img.data[k * 4] = r;
      img.data[k * 4 + 1] = p.c >= 3 ? level(p.data[at + 1]) : r;
      img.data[k * 4 + 2] = p.c >= 3 ? level(p.data[at + 2]) : r;
      img.data[k * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [p]);
  // A one-row picture (a dense layer) keeps its aspect but gets some height.
  const height = Math.max(8, Math.round((props.size * p.h) / Math.max(1, p.w)));
  return (
    <canvas
      ref={ref}
      class="sbs-picture"
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      style={{ width: `${props.size}px`, height: `${Math.min(props.size, height)}px`, imageRendering: 'pixelated', display: 'block' }}
    />
  );
}

/**
 * The grid's frame: measures the card and hands the cell size to its columns. `columns` counts
 * the picture columns (the input column included).
 */
export function SideBySideGrid(props: {
  columns: number;
  label: string;
  testId: string;
  children: (cellSize: number) => ComponentChildren;
}): JSX.Element {
  const wrap = useRef<HTMLDivElement>(null);
  const width = useWidth(wrap, 600);
  const size = gridCellSize(width, props.columns);
  return (
    <div ref={wrap} style={{ width: '100%', maxWidth: '100%', overflowX: 'auto' }}>
      <div
        class="sbs-grid"
        role="group"
        aria-label={props.label}
        data-testid={props.testId}
        data-cell-size={size}
        style={{ display: 'flex', gap: `${GAP}px`, alignItems: 'flex-start' }}
      >
        {props.children(size)}
      </div>
    </div>
  );
}

const headStyle = { height: '2.6em', fontSize: '11px', lineHeight: '1.3em', overflow: 'hidden', overflowWrap: 'anywhere' as const };

/** The first column: each row's class and input number. */
export function RowLabels(props: { rows: GridRow[]; size: number; classNames: string[]; notes?: string[] }): JSX.Element {
  return (
    <div class="sbs-column sbs-labels" style={{ width: `${LABEL_WIDTH}px`, flex: 'none' }}>
      <div style={headStyle} class="muted">
        class
      </div>
      {props.rows.map((r, i) => (
        <div key={r.input} style={{ height: `${props.size}px`, marginBottom: `${GAP}px`, fontSize: '11px', overflow: 'hidden' }}>
          <span class="swatch" style={{ background: classColour(r.label, props.classNames.length) }} />
          {classLabel(r.label, props.classNames)}
          <div class="muted">#{r.input}</div>
          {props.notes?.[i] && <div class="muted">{props.notes[i]}</div>}
        </div>
      ))}
    </div>
  );
}

/**
 * One column: a title, then a picture per row (`undefined` where the answer has no picture for that
 * row), or, while the column has no answer, its status in place of the pictures.
 */
export function PictureColumn(props: {
  title: ComponentChildren;
  rows: GridRow[];
  size: number;
  pictures?: (GridPicture | undefined)[];
  status?: ComponentChildren;
  labelOf(row: GridRow): string;
  testId?: string;
  channel?: number;
  layer?: number;
}): JSX.Element {
  return (
    <div
      class="sbs-column"
      data-testid="sbs-column"
      data-channel={props.channel}
      data-layer={props.layer}
      style={{ width: `${props.size}px`, flex: 'none' }}
    >
      <div style={headStyle} class="sbs-title">
        {props.title}
      </div>
      {props.pictures
        ? props.rows.map((r, i) => {
            const p = props.pictures?.[i];
            return (
              <div key={r.input} style={{ height: `${props.size}px`, marginBottom: `${GAP}px` }}>
                {p ? (
                  <GridCanvas picture={p} size={props.size} label={props.labelOf(r)} testId={props.testId} />
                ) : (
                  <span class="muted" style={{ fontSize: '10px' }}>
                    none
                  </span>
                )}
              </div>
            );
          })
        : props.status}
    </div>
  );
}
