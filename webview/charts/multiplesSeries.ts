// What the small multiples draw, worked out from the answer alone: one series per class (and one
// for all classes) and the y scale every multiple shares.
import { scaleLinear } from 'd3-scale';
import type { ScaleLinear } from 'd3-scale';
import type { SmallMultiplesAnswer } from '../../src/contract/queries';
import { classColour } from '../colours';
import { classLabel } from './common';
import type { Series } from './multiplesCanvas';

/** The largest defined value of a layer's small multiples: what a y scale shared across layers takes the max of. */
export function multiplesMaxBits(answer: SmallMultiplesAnswer): number {
  let max = 0;
  for (const s of [answer.all, ...answer.perClass]) for (const ch of s) for (const v of ch) if (v !== null && v > max) max = v;
  return max;
}

/** One line per class, in class order, then the "all classes" line when it is shown. */
export function multiplesSeries(answer: SmallMultiplesAnswer, classNames: string[], showAll: boolean): Series[] {
  const s: Series[] = answer.perClass.map((values, k) => ({
    label: classLabel(k, classNames),
    colour: classColour(k, answer.perClass.length),
    // One CSS pixel, not more: Skia draws a stroke no wider than a device pixel as a hairline,
    // which rasterises about ten times faster than a 1.2-pixel stroke on a canvas without a GPU
    // (512 multiples × 10 classes took half a second to rasterise at 1.2).
    width: 1,
    values,
  }));
  if (showAll) s.push({ label: 'all classes', colour: '', width: 2, values: answer.all });
  return s;
}

/**
 * The y scale of every multiple: from 0 to this layer's largest value, or to `sharedMaxBits` when
 * that is higher, so a shared top never cuts this layer's own values off.
 */
export function multiplesY(answer: SmallMultiplesAnswer, sharedMaxBits: number | undefined): ScaleLinear<number, number> {
  const max = Math.max(multiplesMaxBits(answer), sharedMaxBits ?? 0);
  return scaleLinear()
    .domain([0, max > 0 ? max : 1])
    .nice();
}
