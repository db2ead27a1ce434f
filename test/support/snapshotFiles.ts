// The snapshot files of the picture tests (docs/testing.md "Picture tests"), for both tiers: a
// picture drawn as text (serialise.ts) is compared with its file; a mismatch fails the test and
// writes the drawn text and a line diff to test-artifacts/snapshots/; UPDATE_SNAPSHOTS=1 rewrites
// the snapshot instead, and a snapshot not there yet is written and fails the test (look at it first).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
/** Where a failed comparison writes what was drawn. */
export const FAILURES = join(ROOT, 'test-artifacts', 'snapshots');
export const UPDATE = process.env.UPDATE_SNAPSHOTS === '1';

/** Writes files under FAILURES (the drawn picture of a failed comparison, its diff) and returns their paths from the repository root. */
export function writeFailure(files: Record<string, Buffer | string>): string[] {
  return Object.entries(files).map(([file, bytes]) => {
    const path = join(FAILURES, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes);
    return relative(ROOT, path);
  });
}

/**
 * Writes the snapshot `file` when UPDATE_SNAPSHOTS=1 or when it does not exist (then failing: a new
 * snapshot is looked at before it is committed). Returns true when it wrote it, false when the
 * caller is to compare with it.
 */
export function writeSnapshotIfAsked(file: string, actual: Buffer | string): boolean {
  if (!UPDATE && existsSync(file)) return false;
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, actual);
  if (!UPDATE) assert.fail(`${relative(ROOT, file)} did not exist and is written now: look at it, then commit it`);
  return true;
}

/**
 * Compares a picture drawn as text with the snapshot `name` in `dir`. A mismatch writes the drawn
 * text as test-artifacts/snapshots/<failure>, its line diff beside it (`<failure>.diff`), and fails
 * with the first lines of the diff; `failure` defaults to `name`.
 */
export function expectTextSnapshot(dir: string, name: string, actual: string, failure = name): void {
  const expectedFile = join(dir, name);
  if (writeSnapshotIfAsked(expectedFile, actual)) return;
  const expected = readFileSync(expectedFile, 'utf8');
  if (actual === expected) return;
  const diff = lineDiff(expected, actual);
  const [file] = writeFailure({ [failure]: actual, [`${failure}.diff`]: diff });
  assert.fail(
    `${name} differs from its snapshot ${relative(ROOT, expectedFile)}: the chart drew ${file} ` +
      `(diff in ${file}.diff; UPDATE_SNAPSHOTS=1 accepts it)\n${diff.split('\n').slice(0, 40).join('\n')}`,
  );
}

/** The lines that differ, in order: `-` a line of the snapshot `a` and its number there, `+` a line drawn (`b`) and its number there. */
export function lineDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  // Longest common subsequence of the lines: snapshots are a few hundred lines, so the table is small.
  const table = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--)
    for (let j = y.length - 1; j >= 0; j--)
      table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
  const out: string[] = [];
  let [i, j] = [0, 0];
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) [i, j] = [i + 1, j + 1];
    else if (i < x.length && (j === y.length || table[i + 1][j] >= table[i][j + 1])) out.push(`-${i + 1}: ${x[i++]}`);
    else out.push(`+${j + 1}: ${y[j++]}`);
  }
  return `${out.join('\n')}\n`;
}
