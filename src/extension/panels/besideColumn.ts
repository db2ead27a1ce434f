// Which editor column a panel opens in, beside the code's column: pure, so it is unit-tested
// without VS Code (test/unit/extension/panels/besideColumn.test.ts).

/**
 * The column beside `code` among the open editor groups' columns `open`: the one right of it if it
 * exists, else the one left of it, else a new one right of it. So a panel never opens a third
 * column when the code sits in the second (where Quick Open puts a file opened from a panel's group).
 */
export function besideColumn(code: number, open: readonly number[]): number {
  const columns = new Set(open);
  if (columns.has(code + 1)) return code + 1;
  if (code > 1 && columns.has(code - 1)) return code - 1;
  return code + 1;
}
