// The hypercube slicer's layout and the edits its axes make to a draft slice. Pure.
import type { Draft } from '../slice';

export const W = 900;
export const LEFT = 110;
export const SPAN = W - LEFT - 10;
export const ROW = { inputs: 14, layers: 74, channels: 134, epochs: 300 };
export const BAND_H = 130;
/** Channel bands are drawn for this many selected layers at most. */
export const MAX_BANDS = 12;

/** The inputs axis: one segment per class, its width the class's share of the probe set. */
export function classSegments(counts: readonly number[]): { c: number; x: number; w: number; n: number }[] {
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  let cx = LEFT;
  return counts.map((n, c) => {
    const w = (n / total) * SPAN;
    const seg = { c, x: cx, w, n };
    cx += w;
    return seg;
  });
}

/** Whether class `c` is in the draft's inputs (every class is, for all inputs or n per class). */
export function classSelected(draft: Draft, c: number): boolean {
  const subset = draft.subset;
  return subset.kind === 'all' || subset.kind === 'perClass' || (subset.kind === 'classes' && subset.classes.includes(c));
}

/** The draft with class `c` toggled; undefined when that would leave no class. */
export function toggleClass(draft: Draft, c: number, classCount: number): Draft | undefined {
  const subset = draft.subset;
  const current = subset.kind === 'classes' ? subset.classes : Array.from({ length: classCount }, (_, i) => i);
  const classes = current.includes(c) ? current.filter((x) => x !== c) : [...current, c].sort((a, b) => a - b);
  if (classes.length === 0) return undefined;
  return { ...draft, subset: classes.length === classCount ? { kind: 'all' } : { kind: 'classes', classes } };
}

export function toggleLayer(draft: Draft, l: number): Draft {
  const layers = draft.layers.includes(l) ? draft.layers.filter((x) => x !== l) : [...draft.layers, l].sort((a, b) => a - b);
  return { ...draft, layers };
}

/** The draft with layer `l`'s channels set; none, or all `channelCount` of them, means all. */
export function withChannels(draft: Draft, l: number, list: number[] | undefined, channelCount: number): Draft {
  const channels = { ...draft.channels };
  if (!list || list.length === 0 || list.length === channelCount) delete channels[String(l)];
  else channels[String(l)] = list;
  return { ...draft, channels };
}

/** Contiguous runs [a, b] of indices in 0..n-1 for which `pred` holds. */
export function runsOf(n: number, pred: (i: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n;) {
    if (!pred(i)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && pred(j + 1)) j++;
    out.push([i, j]);
    i = j + 1;
  }
  return out;
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`;
}

/** A key handler that runs `f` on Enter or Space, as a click would. */
export function keyToggle(f: () => void): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      f();
    }
  };
}

/** The inclusive range between two ends, in order. */
export function span(from: number, to: number): [number, number] {
  return [Math.min(from, to), Math.max(from, to)];
}
