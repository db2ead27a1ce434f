// Offsets in a text ↔ 0-based line and column (UTF-16 code units), for the scanners, which work on
// offsets, and their results, which are editor positions.
/** The offset at which each line starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  let k = text.indexOf('\n');
  while (k >= 0) {
    starts.push(k + 1);
    k = text.indexOf('\n', k + 1);
  }
  return starts;
}

/** The 0-based line and column of an offset, given the `lineStarts` of its text. */
export function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - starts[lo] };
}

/** The offset of the end of the line holding `offset` (before its `\r\n` or `\n`). */
export function lineEnd(text: string, starts: number[], offset: number): number {
  const { line } = position(starts, offset);
  const next = line + 1 < starts.length ? starts[line + 1] - 1 : text.length;
  return text.charCodeAt(next - 1) === 13 ? next - 1 : next;
}
