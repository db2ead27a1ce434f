/** Balanced labels 0..classes-1, shuffled by the seeded generator `random`. */
export function balancedLabels(n: number, classes: number, random: () => number): number[] {
  const y = Array.from({ length: n }, (_, i) => i % classes);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [y[i], y[j]] = [y[j], y[i]];
  }
  return y;
}
