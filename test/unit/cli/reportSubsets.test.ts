// A report's per-class answers under its size budget (src/cli/reportAnswers.ts `encodeGroups`): added
// whole, in order, only into the room the all-input answers left; and the notes of left-out answers
// name the one budget that left them out (src/contract/reportNotes.ts).
import assert from 'node:assert/strict';
import { encodeGroups, entryBytes } from '../../../src/cli/reportAnswers';
import type { ReportAnswer } from '../../../src/contract/reportCodec';
import { budgetRemedy, leftOutNote } from '../../../src/contract/reportNotes';

const group = (c: number, n: number): Record<string, ReportAnswer> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, k) => [
      JSON.stringify({ epoch: k, kind: 'interSample', layer: 1, x: { classes: [c], kind: 'classes' } }),
      { answer: { bits: 1.5 + c, inputCount: 10 } },
    ]),
  );

describe('report per-class answers (size budget)', () => {
  it('adds whole groups in order while they fit, and none after the first that does not', () => {
    const groups = [group(0, 3), group(1, 3), group(2, 1)];
    const bytes = (g: Record<string, ReportAnswer>) =>
      Object.entries(encodeGroups([g], Infinity).entries).reduce((n, [k, e]) => n + entryBytes(k, e), 0);
    const all = encodeGroups(groups, Infinity);
    assert.equal(all.fitted, 3);
    const room = bytes(groups[0]) + bytes(groups[1]) - 1;
    const some = encodeGroups(groups, room);
    // Group 1 does not fit whole: neither it nor group 2 (small enough) is added.
    assert.equal(some.fitted, 1);
    assert.deepEqual(Object.keys(some.entries).sort(), Object.keys(groups[0]).sort());
    assert.deepEqual(encodeGroups(groups, 0), { entries: {}, fitted: 0 });
  });

  it('words each left-out note with the budget that left it out, and only that one', () => {
    const time = leftOutNote('The capacity matrix of layer 1', 'time', 'because computing ran past its time budget of 5 s');
    assert.match(time, /time budget of 5 s\. .*--max-seconds/);
    assert.doesNotMatch(time, /--max-mb/);
    const size = leftOutNote('The feature maps of layer 2', 'size', 'to keep it under 25 MB (it would add 1.2 MB)');
    assert.match(size, /--max-mb/);
    assert.doesNotMatch(size, /--max-seconds/);
    assert.doesNotMatch(budgetRemedy('size'), /--max-seconds/);
  });
});
