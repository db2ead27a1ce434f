/**
 * Shannon entropy of a histogram (paper section 3.1, equation 2; estimators.md "Shannon entropy
 * of counts"). Entropies are in bits.
 */

/**
 * `H(counts) = -Σ p_i log2 p_i` with `p_i = counts_i / Σ counts` over the non-zero entries
 * (paper equation 2). Returns `undefined` when the counts sum to zero: the entropy of an empty
 * distribution does not exist, and reporting 0 would claim certainty that nobody measured.
 * Sums are accumulated in float64. Negative or non-finite counts throw a RangeError.
 */
export function shannonEntropyBits(counts: ArrayLike<number>, offset = 0, length = counts.length - offset): number | undefined {
  let total = 0;
  for (let i = offset; i < offset + length; i++) {
    const c = counts[i];
    if (!(c >= 0) || c === Infinity) throw new RangeError(`counts[${i}] must be a finite non-negative number, got ${c}`);
    total += c;
  }
  if (total === 0) return undefined;
  // H = log2(T) - (1/T) Σ c log2 c: one pass, no division per entry.
  let sum = 0;
  for (let i = offset; i < offset + length; i++) {
    const c = counts[i];
    if (c > 0) sum += c * Math.log2(c);
  }
  const h = Math.log2(total) - sum / total;
  // Rounding can leave -1e-16 for a single occupied bin; entropy is never negative.
  return h > 0 ? h : 0;
}
