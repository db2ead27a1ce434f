/**
 * A mocha reporter (every .mocharc*.json names it; tsx, required first, compiles it): mocha's `spec`
 * output, and the time of each test file (its tests' and hooks' durations summed, which mocha reports
 * in serial and parallel runs alike) written to test-artifacts/times/<tier>.tsv (seconds, file;
 * slowest first), where <tier> is the folder below test/ of the slowest file. scripts/test-all.mjs
 * prints the slowest of each tier after a run, so the file to make faster, or to move, is named.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import Mocha from 'mocha';

const ROOT = resolve(__dirname, '../..');

class FileTimes extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const seconds = new Map<string, number>();
    const add = (runnable: Mocha.Runnable): void => {
      if (!runnable.file || typeof runnable.duration !== 'number') return;
      const file = relative(ROOT, runnable.file);
      seconds.set(file, (seconds.get(file) ?? 0) + runnable.duration / 1000);
    };
    runner.on(Mocha.Runner.constants.EVENT_HOOK_END, add);
    runner.on(Mocha.Runner.constants.EVENT_TEST_END, add);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const rows = [...seconds].sort((a, b) => b[1] - a[1]);
      if (rows.length === 0) return;
      const tier = rows[0][0].split('/')[1] ?? 'tests';
      const dir = join(ROOT, 'test-artifacts', 'times');
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${tier}.tsv`), rows.map(([file, s]) => `${s.toFixed(1)}\t${file}\n`).join(''));
      } catch {
        // The times are a help, never a failure.
      }
    });
  }
}

// mocha loads a reporter file by its module.exports.
module.exports = FileTimes;
