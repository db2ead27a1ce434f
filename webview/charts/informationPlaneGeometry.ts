// The geometry of the information plane: its scales (both axes from 0, past every point and
// ceiling), where each trajectory's label goes, and which ceilings are drawn. Pure.
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import { symbol, symbolsFill } from 'd3-shape';
import type { Bits, InformationPlanePoint } from '../../src/service/queries';

export const M = { left: 52, right: 22, top: 30, bottom: 40 };

export const isNumber = (v: Bits | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
/** A point with both coordinates: the others are gaps in the line. */
export const defined = (p: InformationPlanePoint): boolean => isNumber(p.ixt) && isNumber(p.ity);

export function planeScales(
  trajectories: readonly { points: InformationPlanePoint[] }[],
  ceilings: readonly { ixt: Bits; ity: Bits }[],
  width: number,
  height: number,
): { x: ScaleLinear<number, number>; y: ScaleLinear<number, number> } {
  let maxX = 0;
  let maxY = 0;
  for (const t of trajectories)
    for (const p of t.points) {
      if (isNumber(p.ixt)) maxX = Math.max(maxX, p.ixt);
      if (isNumber(p.ity)) maxY = Math.max(maxY, p.ity);
    }
  for (const c of ceilings) {
    if (isNumber(c.ixt)) maxX = Math.max(maxX, c.ixt);
    if (isNumber(c.ity)) maxY = Math.max(maxY, c.ity);
  }
  const x = scaleLinear()
    .domain([0, Math.max(maxX * 1.06, 1e-3)])
    .range([M.left, width - M.right])
    .nice();
  const y = scaleLinear()
    .domain([0, Math.max(maxY * 1.12, 1e-3)])
    .range([height - M.bottom, M.top])
    .nice();
  return { x, y };
}

/**
 * Labels beside each trajectory's last point, stacked downwards where points coincide (every
 * saturated trajectory ends on the same corner), so each layer stays named.
 */
export function labelPositions(
  trajectories: readonly { key: string; points: InformationPlanePoint[] }[],
  x: ScaleLinear<number, number>,
  y: ScaleLinear<number, number>,
): Map<string, { x: number; y: number }> {
  const labelAt = new Map<string, { x: number; y: number }>();
  const placed: { x: number; y: number }[] = [];
  for (const t of trajectories) {
    const ends = t.points.filter(defined);
    const end = ends[ends.length - 1];
    if (!end) continue;
    const lx = x(end.ixt as number) + 7;
    let ly = y(end.ity as number) - 7;
    while (placed.some((p) => Math.abs(p.x - lx) < 48 && Math.abs(p.y - ly) < 11)) ly += 12;
    placed.push({ x: lx, y: ly });
    labelAt.set(t.key, { x: lx, y: ly });
  }
  return labelAt;
}

/** The ceilings drawn: runs with equal ceilings share one line. */
export function dedupeCeilings(cs: { ixt: Bits; ity: Bits }[]): { ixt: Bits; ity: Bits }[] {
  const seen = new Set<string>();
  return cs.filter((c) => {
    const key = `${c.ixt?.toFixed(4)}:${c.ity?.toFixed(4)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The marker path of a shape index (circle, cross, diamond, square, star, triangle, wye, then again). */
export function markerPath(shape: number, size = 70): string {
  return symbol(symbolsFill[shape % symbolsFill.length], size)() ?? '';
}
