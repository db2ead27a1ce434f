/**
 * The alignment of two sequences, as a diff aligns lines: pairs (i, j), increasing in both, with
 * the largest total worth (Needleman–Wunsch with free gaps). A pair of worth ≤ 0 is never taken.
 * Quadratic in time and memory. The comparison of runs (webview/layerAlignment.ts) and the editor's
 * matching of source definitions to recorded layers (src/extension/detection/layerMatching.ts)
 * both align with it.
 */
export function alignByWorth(n: number, m: number, worth: (i: number, j: number) => number): [number, number][] {
  const w = m + 1;
  // score[i][j]: the best total worth of aligning a[i..] with b[j..].
  const score = new Float64Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const g = worth(i, j);
      const take = g > 0 ? score[(i + 1) * w + j + 1] + g : 0;
      score[i * w + j] = Math.max(take, score[(i + 1) * w + j], score[i * w + j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const g = worth(i, j);
    if (g > 0 && score[i * w + j] === score[(i + 1) * w + j + 1] + g) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (score[(i + 1) * w + j] >= score[i * w + j + 1]) i++;
    else j++;
  }
  return pairs;
}
