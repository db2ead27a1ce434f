// Shared by the tests of the static model detection (src/extension/detection/): the example and
// fixture model files, and positions of text in them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const root = resolve(__dirname, '../..');
export const fixture = (name: string) => resolve(root, 'test/fixtures/models', name);
export const example = (name: string) => resolve(root, 'examples', name);
export const read = (path: string) => readFileSync(path, 'utf8');

/** 0-based line and column of the n-th occurrence of `needle` in `text`. */
export function at(text: string, needle: string, nth = 0): { line: number; column: number } {
  let from = 0;
  for (let seen = 0; ; seen++) {
    const k = text.indexOf(needle, from);
    if (k < 0) throw new Error(`${needle} (#${nth}) not found`);
    if (seen === nth) {
      const before = text.slice(0, k);
      const line = before.split('\n').length - 1;
      return { line, column: k - (before.lastIndexOf('\n') + 1) };
    }
    from = k + 1;
  }
}
