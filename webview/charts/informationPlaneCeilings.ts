// Where the information plane's ceilings are named (docs/views.md "The information plane"): each
// in-range ceiling's label on its own line, each off-scale ceiling's note in a corner. In a
// comparison the runs' ceilings may differ by a few pixels (H(S) = 0.479 and 0.462), so a label
// names its run, takes its run's colour and sits across its own line (the line runs through the
// label's middle), moved along the line, never off it, to keep clear of the other labels; a note
// moves down until no line runs through it. Pure.
import type { ScaleLinear } from 'd3-scale';
import { formatBits } from '../../src/contract/format';
import { intersects, M } from './informationPlaneGeometry';
import type { AxisCeilings, Box, CeilingValue } from './informationPlaneGeometry';

/** A run of the chart's `ceilings`, as a comparison names it: its letter and colour (nothing in a run's own view). */
export interface CeilingRun {
  name?: string;
  colour?: string;
}

/** A ceiling named on the chart: its words, its colour (a run's), and where its text goes. */
export interface PlacedCeiling {
  value: CeilingValue;
  /** "A: H(S) = 0.479"; "H(S) = 0.469" for a value every run shares. */
  text: string;
  /** The run's colour when the value is of one run in a comparison; otherwise the chart's neutral colour. */
  colour?: string;
  /** Runs listed in `data-runs`. */
  runs: string;
  /** The text's box (the anchor is its left edge, or its right edge for `anchor: 'end'`). */
  box: Box;
  anchor: 'start' | 'end';
  /** The text's baseline, px: the line's y for a horizontal ceiling (drawn with dy = 0.32em, centred on it). */
  y: number;
}

export interface CeilingLayout {
  ixt: { lines: PlacedCeiling[]; notes: PlacedCeiling[] };
  ity: { lines: PlacedCeiling[]; notes: PlacedCeiling[] };
  /** Every label's and note's box: obstacles for the trajectories' labels. */
  boxes: Box[];
}

/** Height of a ceiling's label or note, px (11 px text). */
export const CEILING_TEXT_HEIGHT = 13;
/** Width of `n` characters of 11 px text, px (generous, so the real text fits inside). */
export const ceilingTextWidth = (n: number): number => Math.ceil(6.4 * n) + 4;
/** What a note adds after the ceiling's value. */
export const OFF_SCALE = { ixt: ' bits, off the scale →', ity: ' bits, off the scale ↑' } as const;

/** The words and colour of a value: a value of every run is named once, plainly; else its runs are named, and one run's gets its colour. */
function naming(value: CeilingValue, runs: readonly CeilingRun[], what: string): Pick<PlacedCeiling, 'text' | 'colour' | 'runs'> {
  const plain = `${what} = ${formatBits(value.bits, { unit: false })}`;
  const all = runs.length <= 1 || value.runs.length === runs.length;
  const names = value.runs.map((r) => runs[r]?.name).filter((n): n is string => n !== undefined);
  return {
    text: all || names.length === 0 ? plain : `${names.join(', ')}: ${plain}`,
    colour: !all && value.runs.length === 1 ? runs[value.runs[0]]?.colour : undefined,
    runs: value.runs.join(' '),
  };
}

/**
 * Lays out the ceilings' labels and notes. Horizontal (I(T;Y)) lines first, top down: each label
 * centred on its line at the plot's left, moved right along the line past any label it would cover;
 * then vertical (I(X;T)) lines' labels above the plot, each ending at its line, moved down past any
 * label it would cover; then the notes, in the top corners, each moved down past every horizontal
 * line and label it would otherwise sit on.
 */
export function ceilingLayout(
  ceilings: { ixt: AxisCeilings; ity: AxisCeilings },
  x: ScaleLinear<number, number>,
  y: ScaleLinear<number, number>,
  width: number,
  runs: readonly CeilingRun[],
  text: { ixtCeiling: string; ityCeiling: string },
): CeilingLayout {
  const h = CEILING_TEXT_HEIGHT;
  const placed: Box[] = [];
  const blocker = (box: Box) => placed.find((p) => intersects(p, box));
  const ityLines = [...ceilings.ity.inRange]
    .sort((a, b) => y(a.bits) - y(b.bits))
    .map((value): PlacedCeiling => {
      const named = naming(value, runs, text.ityCeiling);
      const ly = y(value.bits);
      const box = { x: M.left + 4, y: ly - h / 2, width: ceilingTextWidth(named.text.length), height: h };
      const right = width - M.right - box.width;
      for (let hit = blocker(box); hit && hit.x + hit.width + 6 <= right; hit = blocker(box)) box.x = hit.x + hit.width + 6;
      placed.push(box);
      return { value, ...named, box, anchor: 'start', y: ly };
    });
  const ixtLines = ceilings.ixt.inRange.map((value): PlacedCeiling => {
    const named = naming(value, runs, text.ixtCeiling);
    const w = ceilingTextWidth(named.text.length);
    const box = { x: x(value.bits) - 4 - w, y: M.top - 18, width: w, height: h };
    for (let k = 0; k < 20 && blocker(box); k++) box.y += h;
    placed.push(box);
    return { value, ...named, box, anchor: 'end', y: box.y + h - 3 };
  });
  const lineYs = ityLines.map((l) => l.y);
  const notes = (axis: 'ixt' | 'ity'): PlacedCeiling[] =>
    ceilings[axis].offScale.map((value) => {
      const named = naming(value, runs, axis === 'ixt' ? text.ixtCeiling : text.ityCeiling);
      const w = ceilingTextWidth(named.text.length + OFF_SCALE[axis].length);
      const box = { x: axis === 'ixt' ? width - M.right - w : M.left + 2, y: M.top + 2, width: w, height: h };
      for (let k = 0; k < 40; k++) {
        const line = lineYs.find((ly) => ly >= box.y - 2 && ly <= box.y + h + 2);
        const hit = blocker(box);
        if (line !== undefined) box.y = line + 3;
        else if (hit) box.y = hit.y + hit.height + 1;
        else break;
      }
      placed.push(box);
      return { value, ...named, box, anchor: axis === 'ixt' ? 'end' : 'start', y: box.y + h - 3 };
    });
  const ixtNotes = notes('ixt');
  const ityNotes = notes('ity');
  return { ixt: { lines: ixtLines, notes: ixtNotes }, ity: { lines: ityLines, notes: ityNotes }, boxes: placed };
}
