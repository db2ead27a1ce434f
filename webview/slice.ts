// The draft hypercube slice of the Query view and its text forms: parsing "0, 5, 10-20" and
// describing a slice as dCNN(x, l, c, t). Pure.
import type { InputSubset } from '../src/analysis/subsets';
import type { Slice } from './state';

/** A slice being edited in the Query view, with its epoch. */
export interface Draft extends Slice {
  epoch: number;
}

/** "0, 5, 10-20" → sorted distinct indices below `size`, or a message saying what is wrong. */
export function parseIndices(text: string, size: number): { indices?: number[]; error?: string } {
  const out = new Set<number>();
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) return { error: `"${part}" is not an index or a range like 10-20` };
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return { error: `range ${part} runs backwards` };
    if (b >= size) return { error: `the probe set has inputs 0–${size - 1}` };
    if (b - a > 100_000) return { error: `range ${part} is too long` };
    for (let i = a; i <= b; i++) out.add(i);
  }
  if (out.size === 0) return { error: 'name at least one input' };
  return { indices: [...out].sort((x, y) => x - y) };
}

/** The input subset in words: "all inputs", "classes cat, dog", "4 per class (seed 0)", "12 chosen inputs". */
export function describeSubset(subset: InputSubset, classNames: string[]): string {
  return subset.kind === 'all'
    ? 'all inputs'
    : subset.kind === 'classes'
      ? `classes ${subset.classes.map((c) => classNames[c] ?? c).join(', ')}`
      : subset.kind === 'perClass'
        ? `${subset.count} per class (seed ${subset.seed ?? 0})${subset.classes ? ` of classes ${subset.classes.map((c) => classNames[c] ?? c).join(', ')}` : ''}`
        : `${subset.indices.length} chosen inputs`;
}

export function describeSlice(d: Draft, layerNames: string[], classNames: string[]): string {
  const x = describeSubset(d.subset, classNames);
  const l = d.layers.length ? d.layers.map((i) => layerNames[i] ?? i).join(', ') : 'no layer';
  const chosen = Object.entries(d.channels).filter(([k]) => d.layers.includes(Number(k)));
  const c = chosen.length ? chosen.map(([k, v]) => `${layerNames[Number(k)]}: ${ranges(v)}`).join('; ') : 'all channels';
  return `dCNN(x = ${x}, l = {${l}}, c = ${c}, t = epoch ${d.epoch})`;
}

/** [0,1,2,5] → "0–2, 5". */
export function ranges(v: number[]): string {
  const s = [...v].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}–${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
