// The ceiling of an inter-sample entropy in the run comparison: log2(N(N−1)) for N inputs, reached
// when every pair of inputs is told apart. Two runs both there differ by noise, not by diversity,
// so the comparison draws the ceiling, marks the values at it (`nearCeiling`, the single-run
// views' rule) and says in words which differences are no finding.
import type { JSX } from 'preact';
import { runLetter } from '../compare';
import { formatBits } from '../../src/contract/format';
import { interSampleCeiling, nearCeiling } from './diversityBars';

/** One compared item (a layer, a class of the diversity bars): each run's value and its number of inputs. */
export interface CeilingItem {
  name: string;
  bits: (number | null | undefined)[];
  inputs: (number | undefined)[];
}

/** Whether run `r`'s value of an item is at its ceiling. */
export function itemAtCeiling(item: CeilingItem, r: number): boolean {
  const n = item.inputs[r];
  return n !== undefined && nearCeiling(item.bits[r] ?? null, n);
}

/** "A", "A and B", "A, B and C". */
function runList(runs: number[]): string {
  const letters = runs.map(runLetter);
  return letters.length <= 1 ? (letters[0] ?? '') : `${letters.slice(0, -1).join(', ')} and ${letters[letters.length - 1]}`;
}

/**
 * The sentence under a comparison with values at their ceiling: the ceilings (by number of
 * inputs), the items where every run is at it ("the difference is not a finding"), and those
 * where only some runs are. Nothing when no value is at its ceiling.
 */
export function CompareCeilingNote(props: {
  items: CeilingItem[];
  runs: number;
  /** What to compare with more inputs ("the layers"). */
  what: string;
  /** The glyph of the ceiling as the chart draws it. */
  glyph: string;
  /** What an item is, for "every layer" when all are at the ceiling. */
  noun: string;
}): JSX.Element | null {
  const runs = Array.from({ length: props.runs }, (_, r) => r);
  const all: string[] = [];
  const some: { name: string; runs: number[] }[] = [];
  const counts = new Set<number>();
  for (const item of props.items) {
    const at = runs.filter((r) => itemAtCeiling(item, r));
    at.forEach((r) => counts.add(item.inputs[r]!));
    if (at.length === 0) continue;
    if (at.length === runs.length) all.push(item.name);
    else some.push({ name: item.name, runs: at });
  }
  if (counts.size === 0) return null;
  const ceilings = [...counts].sort((a, b) => a - b).map((n) => `${formatBits(interSampleCeiling(n))} for N = ${n}`);
  const every = runs.length === 2 ? 'Both runs are' : `All ${runs.length} runs are`;
  return (
    <p class="chart-note ceiling-note compare-ceiling-note" data-testid="compare-ceiling-note" role="note">
      <span class="ceiling-glyph" aria-hidden="true">
        {props.glyph}
      </span>{' '}
      = the ceiling log2(N(N−1)) of N inputs ({ceilings.join(', ')}): there every pair of inputs is told apart, so a value at it counts
      inputs rather than measuring diversity.{' '}
      {all.length > 0 && (
        <strong>
          {every} at the ceiling for {all.length === props.items.length && all.length > 2 ? `every ${props.noun}` : all.join(', ')}: the
          difference between them is not a finding.
        </strong>
      )}{' '}
      {some.map((s) => `Run ${runList(s.runs)} ${s.runs.length === 1 ? 'is' : 'are'} at the ceiling for ${s.name}.`).join(' ')} Compare{' '}
      {props.what} with more inputs.
    </p>
  );
}
