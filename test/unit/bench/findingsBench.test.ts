// The findings bench reads what a report left out for time from the command's own output
// (src/cli/report.ts): the all-input answers and the classes alone, so that a report that computed
// everything but a class is not taken for a complete one.
import assert from 'node:assert/strict';
import { leftOutForTime, leftOutLines, reportTimings } from '../../../bench/findingsBench';

describe('findings bench: what a report left out for time', () => {
  it('reads the all-input answers and the classes alone, and 0 where the report says nothing', () => {
    const out =
      'report: r.html (7.6 MB, 228 answers, 60.4 s)\n' +
      '  not computed within --max-seconds (the report says so; --max-seconds raises the limit, cached answers are reused): 375 answers (1 stopped midway: The capacity matrix of layer 53, against layer 54, epoch 0), e.g.\n' +
      '    The capacity matrix of layer 59, against layer 60, epoch 0\n' +
      '  each class alone as an input subset: 0 of 10 classes held, 10 not computed within --max-seconds (lower priority than the all-input answers)\n';
    assert.deepEqual(leftOutForTime(out), { answers: 375, classes: 10, estimates: 0 });
    assert.deepEqual(leftOutForTime('report: r.html (7.6 MB, 603 answers, 41.0 s)\n'), { answers: 0, classes: 0, estimates: 0 });
    const estimates =
      'report: r.html (24.9 MB, 345 answers, 61.6 s)\n' +
      '  estimates only, their exact measures not done within --max-seconds (the report marks them; --max-seconds raises the limit): 35 answers, e.g.\n' +
      '    The capacity matrix of layer 1, against layer 2, epoch 0\n';
    assert.deepEqual(leftOutForTime(estimates), { answers: 0, classes: 0, estimates: 35 });
    const classesOnly =
      'report: r.html (20 MB, 603 answers, 59.0 s)\n' +
      '  each class alone as an input subset: 7 of 10 classes held, 3 not computed within --max-seconds (lower priority than the all-input answers)\n';
    assert.deepEqual(leftOutForTime(classesOnly), { answers: 0, classes: 3, estimates: 0 });
  });

  it('quotes the lines on the answers left out, and nothing where there are none', () => {
    const out =
      'report: r.html (7.6 MB, 228 answers, 60.4 s)\n' +
      '  not computed within --max-seconds (the report says so; --max-seconds raises the limit, cached answers are reused): 2 answers, e.g.\n' +
      '    The capacity matrix of layer 59, against layer 60, epoch 0\n' +
      '    The channel importance of layer 1, epoch 0\n' +
      '  each class alone as an input subset: 0 of 10 classes held, 10 not computed within --max-seconds (lower priority than the all-input answers)\n';
    const lines = leftOutLines(out);
    assert.equal(lines.length, 3);
    assert.match(lines[0], /2 answers/);
    assert.equal(lines[2], '    The channel importance of layer 1, epoch 0');
    assert.deepEqual(leftOutLines('report: r.html (7.6 MB, 603 answers, 41.0 s)\n' + out.split('\n')[4]), []);
  });

  it("reads the report's time per kind of answer", () => {
    const err = 'TIME 59.1 73.9 5.2 1438000\n  findings: 1 answers, 17.8 s\n  capacityMatrix (estimate tier): 35 answers, 5.7 s\n';
    assert.deepEqual(reportTimings(err), ['findings 17.8 s', 'capacityMatrix (estimate tier) 5.7 s']);
    assert.deepEqual(reportTimings(''), []);
  });
});
