// The geometry of the information plane: its scales (both axes from 0, fitted to the points with a
// little headroom; a ceiling widens an axis only when it is near the data), where each trajectory's
// label goes (a greedy placement that keeps labels apart, with a leader line when a label had to
// move away from its point), which ceilings are drawn and where their labels and notes go
// (informationPlaneCeilings.ts), and the marker shapes. Pure.
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import { symbolCircle, symbolCross, symbolDiamond, symbolSquare, symbolStar, symbolTriangle, symbolWye } from 'd3-shape';
import type { SymbolType } from 'd3-shape';
import type { Bits, InformationPlanePoint } from '../../src/contract/queries';
import { formatBits } from '../../src/contract/format';

export const M = { left: 52, right: 22, top: 30, bottom: 40 };

export const isNumber = (v: Bits | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
/** A point with both coordinates: the others are gaps in the line. */
export const defined = (p: InformationPlanePoint): boolean => isNumber(p.ixt) && isNumber(p.ity);

/** Headroom above the largest point on each axis, as a fraction of it. */
export const HEADROOM = 0.15;
/**
 * A ceiling is drawn as a line when it is at most this many times the largest point on its axis;
 * further out it would squeeze the trajectories into a corner, so it is named in an inset note.
 */
export const CEILING_REACH = 1.5;

/** A ceiling's value and the runs it is of (indices into the chart's `ceilings`: equal values are drawn once). */
export interface CeilingValue {
  bits: number;
  runs: number[];
}

/** The ceilings of one axis, each either in range (a line) or beyond it (a note). */
export interface AxisCeilings {
  inRange: CeilingValue[];
  offScale: CeilingValue[];
}

export interface PlaneScales {
  x: ScaleLinear<number, number>;
  y: ScaleLinear<number, number>;
  ixt: AxisCeilings;
  ity: AxisCeilings;
}

function fitAxis(dataMax: number, ceilings: CeilingValue[], headroom: number): { top: number; axis: AxisCeilings } {
  // Without data the ceilings set the axis (nothing to squeeze).
  const near = dataMax > 0 ? ceilings.filter((c) => c.bits <= dataMax * CEILING_REACH) : ceilings;
  const offScale = ceilings.filter((c) => !near.includes(c));
  const top = Math.max(dataMax * (1 + headroom), ...near.map((c) => c.bits * 1.04), 1e-3);
  return { top, axis: { inRange: near, offScale } };
}

export function planeScales(
  trajectories: readonly { points: InformationPlanePoint[] }[],
  ceilings: readonly { ixt: Bits; ity: Bits }[],
  width: number,
  height: number,
): PlaneScales {
  let maxX = 0;
  let maxY = 0;
  for (const t of trajectories)
    for (const p of t.points) {
      if (isNumber(p.ixt)) maxX = Math.max(maxX, p.ixt);
      if (isNumber(p.ity)) maxY = Math.max(maxY, p.ity);
    }
  const fx = fitAxis(maxX, distinctValues(ceilings.map((c) => c.ixt)), HEADROOM);
  const fy = fitAxis(maxY, distinctValues(ceilings.map((c) => c.ity)), HEADROOM);
  const x = scaleLinear()
    .domain([0, fx.top])
    .range([M.left, width - M.right])
    .nice();
  const y = scaleLinear()
    .domain([0, fy.top])
    .range([height - M.bottom, M.top])
    .nice();
  return { x, y, ixt: fx.axis, ity: fy.axis };
}

/**
 * The distinct values of a ceiling over the runs, as the chart prints them (formatBits): equal ones
 * are drawn once, with every run they are of.
 */
export function distinctValues(values: readonly Bits[]): CeilingValue[] {
  const seen = new Map<string, CeilingValue>();
  values.forEach((v, run) => {
    if (!isNumber(v)) return;
    const key = formatBits(v, { unit: false });
    const known = seen.get(key);
    if (known) known.runs.push(run);
    else seen.set(key, { bits: v, runs: [run] });
  });
  return [...seen.values()];
}

/** A box on the chart, px. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a trajectory's label is drawn: its text's start and baseline, its box, and a leader line back to its point when it moved away. */
export interface LabelPlacement {
  x: number;
  y: number;
  box: Box;
  leader?: { x1: number; y1: number; x2: number; y2: number };
}

/** Width of a label of `n` characters at the chart's 11 px bold font, px (generous, so real text fits inside). */
export const labelWidth = (n: number): number => 7 * n + 4;
export const LABEL_HEIGHT = 14;

export const intersects = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Each trajectory's label near its last point, so that no two labels overlap and none covers an
 * obstacle (the ceilings' notes) or a trajectory's end: a greedy pass, the trajectory `first` (the
 * one picked) before the others, then from the top of the chart down, each taking the first free
 * candidate from rings of positions around its point, nearest first. A label further than a few
 * pixels from its point gets a leader line. A label with no free place is left out (a crowded
 * chart: 67 layers of a ResNet): its trajectory has no entry, and its points' tooltips name it.
 */
export function labelPositions(
  trajectories: readonly { key: string; label: string; points: InformationPlanePoint[] }[],
  x: ScaleLinear<number, number>,
  y: ScaleLinear<number, number>,
  bounds: Box,
  obstacles: readonly Box[] = [],
  first?: string,
): Map<string, LabelPlacement> {
  const labelAt = new Map<string, LabelPlacement>();
  const placed: Box[] = [...obstacles];
  const ends = trajectories
    .map((t) => {
      const shown = t.points.filter(defined);
      const end = shown[shown.length - 1];
      return end ? { t, px: x(end.ixt as number), py: y(end.ity as number) } : undefined;
    })
    .filter((e) => e !== undefined)
    .sort((a, b) => Number(b.t.key === first) - Number(a.t.key === first) || a.py - b.py || a.px - b.px);
  // The points themselves are obstacles too, so a label never hides a trajectory's end.
  for (const e of ends) placed.push({ x: e.px - 4, y: e.py - 4, width: 8, height: 8 });
  for (const { t, px, py } of ends) {
    const w = labelWidth(t.label.length);
    const h = LABEL_HEIGHT;
    let best: Box | undefined;
    for (let ring = 0; ring < 14 && !best; ring++) {
      const d = 6 + ring * 12;
      // Right, above right, below right, above, below, left, above left, below left.
      const candidates: [number, number][] = [
        [px + d, py - h / 2],
        [px + d, py - d - h / 2],
        [px + d, py + d - h / 2],
        [px - w / 2, py - d - h],
        [px - w / 2, py + d],
        [px - d - w, py - h / 2],
        [px - d - w, py - d - h / 2],
        [px - d - w, py + d - h / 2],
      ];
      for (const [bx, by] of candidates) {
        const box = { x: bx, y: by, width: w, height: h };
        if (box.x < bounds.x || box.y < bounds.y || box.x + w > bounds.x + bounds.width || box.y + h > bounds.y + bounds.height) continue;
        if (placed.some((p) => intersects(p, box))) continue;
        best = box;
        break;
      }
    }
    // Nowhere free (a crowded chart): no label; the points' tooltips name the layer.
    if (!best) continue;
    const box = best;
    placed.push(box);
    const cx = Math.max(box.x, Math.min(px, box.x + w));
    const cy = Math.max(box.y, Math.min(py, box.y + h));
    const far = Math.hypot(cx - px, cy - py) > 12;
    labelAt.set(t.key, {
      x: box.x + 2,
      y: box.y + h - 3,
      box,
      leader: far ? { x1: px, y1: py, x2: cx, y2: cy } : undefined,
    });
  }
  return labelAt;
}

/**
 * The marker shapes, one per layer for up to ten layers: d3's seven filled symbols, then the
 * triangle, the wye and the cross turned (pointing down, down and diagonally). Beyond ten the
 * shapes repeat, and each trajectory's label still names its layer.
 */
const SHAPES: { type: SymbolType; turn: number }[] = [
  { type: symbolCircle, turn: 0 },
  { type: symbolCross, turn: 0 },
  { type: symbolDiamond, turn: 0 },
  { type: symbolSquare, turn: 0 },
  { type: symbolStar, turn: 0 },
  { type: symbolTriangle, turn: 0 },
  { type: symbolWye, turn: 0 },
  { type: symbolTriangle, turn: Math.PI },
  { type: symbolCross, turn: Math.PI / 4 },
  { type: symbolWye, turn: Math.PI },
];

/** The marker path of a shape index (see SHAPES), `size` its area in px². */
export function markerPath(shape: number, size = 70): string {
  const { type, turn } = SHAPES[((shape % SHAPES.length) + SHAPES.length) % SHAPES.length];
  const cos = Math.cos(turn);
  const sin = Math.sin(turn);
  const r = (x: number, y: number) => `${+(x * cos - y * sin).toFixed(3)},${+(x * sin + y * cos).toFixed(3)}`;
  let d = '';
  // A turning path context: d3's symbols draw with moveTo, lineTo, closePath, rect (the square) and arc (the circle).
  type.draw(
    {
      moveTo: (x: number, y: number) => void (d += `M${r(x, y)}`),
      lineTo: (x: number, y: number) => void (d += `L${r(x, y)}`),
      closePath: () => void (d += 'Z'),
      rect: (x: number, y: number, w: number, h: number) => void (d += `M${r(x, y)}L${r(x + w, y)}L${r(x + w, y + h)}L${r(x, y + h)}Z`),
      arc: (cx: number, cy: number, radius: number) => {
        // Only the circle arcs: a full circle as two half arcs.
        d += `M${+(cx + radius).toFixed(3)},${cy}A${radius},${radius},0,1,1,${+(cx - radius).toFixed(3)},${cy}A${radius},${radius},0,1,1,${+(cx + radius).toFixed(3)},${cy}`;
      },
    } as unknown as Parameters<SymbolType['draw']>[0],
    size,
  );
  return d;
}
