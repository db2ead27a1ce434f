/**
 * Each probe input's loss for the probe-loss rule's tests: 300 inputs whose loss at the best epoch is
 * 0.269 ± 0.2 (uniform, seeded), and at each later epoch that loss plus `shift` and uniform noise of
 * standard deviation `spread`, centred so that the mean change is `shift` exactly.
 */
import { seededRandom } from '../../src/analysis/random';

export function pairedProbeLosses(
  spread: number,
  best: number,
  later: readonly [epoch: number, shift: number][],
): Map<number, Float64Array> {
  const random = seededRandom(7);
  const base = Float64Array.from({ length: 300 }, () => 0.269 + 0.4 * (random() - 0.5));
  const losses = new Map<number, Float64Array>([[best, base]]);
  for (const [epoch, shift] of later) {
    const noise = base.map(() => spread * Math.sqrt(12) * (random() - 0.5));
    const centre = noise.reduce((a, b) => a + b, 0) / noise.length;
    losses.set(
      epoch,
      base.map((l, i) => l + shift + noise[i] - centre),
    );
  }
  return losses;
}
