// @ts-check
// A generated file of the repository, written by its script or, with --check, compared with what the
// script would write (lint and the tests run the check: a generated file never drifts from its source).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `text` to `file` (relative to `root`), or with `--check` in the arguments exits 1 when the
 * file differs from it, naming the command that writes it.
 * @param {{ root: string, file: string, text: string, command: string, upToDate: string, written: string }} g
 *   `upToDate` and `written` are the lines printed when the file is up to date or was written.
 */
export function writeOrCheck({ root, file, text, command, upToDate, written }) {
  const path = join(root, file);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // Not written yet: it is out of date.
    }
    if (current !== text) {
      console.error(`${file} is out of date: run ${command}`);
      process.exit(1);
    }
    console.log(upToDate);
  } else {
    writeFileSync(path, text);
    console.log(written);
  }
}
