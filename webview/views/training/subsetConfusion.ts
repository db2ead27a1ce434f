// The confusion matrix of an input subset, from the answer over every probe input: its `cells`
// name the probe inputs of each cell, so the subset's matrix is those cells restricted to the
// subset's inputs (exactly the matrix of the subset's predictions, with no second forward pass, and
// in a report from the answers it already holds). Pure.
import { resolveSubset } from '../../../src/analysis/subsets';
import type { InputSubset } from '../../../src/analysis/subsets';
import type { ConfusionAnswer } from '../../../src/contract/queries';

/**
 * `answer` restricted to the inputs of `x`: its matrix and cells over those inputs alone, or
 * undefined when the answer lists no cells (then the subset's inputs cannot be told apart). "all"
 * gives the answer itself. A subset's class or index out of range throws the analysis' SubsetError.
 */
export function subsetConfusion(answer: ConfusionAnswer, x: InputSubset): ConfusionAnswer | undefined {
  if (x.kind === 'all') return answer;
  const cells = answer.cells;
  if (!cells) return undefined;
  // Every probe input sits in exactly one cell, in the row of its true class: the labels follow.
  let n = 0;
  for (const row of cells) for (const cell of row) for (const i of cell) n = Math.max(n, i + 1);
  const labels = new Int32Array(n).fill(-1);
  cells.forEach((row, t) => row.forEach((cell) => cell.forEach((i) => (labels[i] = t))));
  const keep = new Set(resolveSubset(x, labels, answer.classNames.length));
  const kept = cells.map((row) => row.map((cell) => cell.filter((i) => keep.has(i))));
  return { ...answer, matrix: kept.map((row) => row.map((cell) => cell.length)), cells: kept };
}
