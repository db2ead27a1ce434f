// A mocha reporter: mocha's `spec` output, and the wall time of each test file written to
// test-artifacts/times/<tier>.tsv (seconds, file; slowest first), where <tier> is the folder below
// test/ of the first file run. scripts/test-all.mjs prints the slowest of each tier after a run, so the
// file to make faster (or to move to another tier) is named. Used by every .mocharc*.json.
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const Mocha = require('mocha');

const ROOT = resolve(__dirname, '../..');
const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class FileTimes extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const seconds = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent && suite.parent.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const file = relative(ROOT, suite.file);
      seconds.set(file, (seconds.get(file) ?? 0) + (Date.now() - t0) / 1000);
    });
    runner.once(EVENT_RUN_END, () => {
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

module.exports = FileTimes;
