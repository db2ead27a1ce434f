import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatInputDiversity, InputDiversityTable, measureInputDiversity, PAPER_FIG5B } from '../../../src/cli/demo';
import { ComputePool } from '../../../src/compute/pool';
import { loadMnist } from '../../../src/data/mnist';

// The demo's first part, paper Fig. 5(B) on the built-in MNIST digits, computed once with the
// demo's defaults (k = 1000, seed 1) on the real worker pool (dist/computeWorker.js).
describe("the demo's input-diversity table (paper Fig. 5(B))", function () {
  this.timeout(180_000);
  let table: InputDiversityTable;
  let text: string;

  before(async function () {
    if (!existsSync(path.resolve(__dirname, '../../../dist/computeWorker.js')))
      assert.fail('dist/computeWorker.js is missing; run "npm run build" first');
    const pool = new ComputePool();
    try {
      table = await measureInputDiversity(loadMnist(), pool, { k: 1000, seed: 1 });
    } finally {
      pool.close();
    }
    text = formatInputDiversity(table);
  });

  it('has one whole-dataset row per size (100, 500 and all per class) holding 10·n digits of every class mixed', function () {
    assert.deepEqual(
      table.dataset.map((r) => r.perClass),
      [100, 500, 'all'],
    );
    assert.deepEqual(
      table.dataset.map((r) => r.inputs),
      [1000, 5000, 10000],
    );
  });

  it("pairs each row with the paper's value for the same dataset: the built-in set's ~1,000 per class stands for its 1000 per class", function () {
    assert.deepEqual(
      table.dataset.map((r) => r.paper?.bits),
      [19.89815, 22.959736, 24.09423],
    );
  });

  it("is within 1 bit (and 3.5 %) of the paper's values and increases with the size, as the paper's do", function () {
    for (const r of table.dataset) {
      assert.ok(r.bits !== undefined && r.paper, `${r.perClass}: no value`);
      const gap = Math.abs(r.bits - r.paper.bits);
      assert.ok(gap < 1 && gap / r.paper.bits < 0.035, `${r.perClass} per class: ${r.bits} bits against the paper's ${r.paper.bits}`);
    }
    const bits = table.dataset.map((r) => r.bits!);
    assert.ok(bits[0] < bits[1] && bits[1] < bits[2], `not increasing: ${bits.join(', ')}`);
  });

  it('has a per-class breakdown of ten classes by three sizes, each class below the mixed dataset of the same size per class', function () {
    assert.equal(table.perClass.length, 10);
    table.perClass.forEach((cells, cls) => {
      assert.deepEqual(
        cells.map((c) => c.inputs),
        [100, 500, table.classCounts[cls]],
      );
      cells.forEach((c, i) => {
        assert.ok(c.bits !== undefined && c.bits < table.dataset[i].bits!, `class ${cls}, size ${i}: ${c.bits}`);
        if (i > 0) assert.ok(c.bits > cells[i - 1].bits!, `class ${cls}: not increasing with the size`);
      });
    });
  });

  it("prints the paper's values beside ours, states the reading, names the 2000-per-class bar it cannot draw and the time taken", function () {
    for (const p of PAPER_FIG5B) assert.ok(text.includes(p.bits.toFixed(2)), `missing the paper's ${p.bits.toFixed(2)}`);
    for (const r of table.dataset) assert.ok(text.includes(r.bits!.toFixed(2)));
    assert.match(text, /each row is ONE dataset: n digits drawn from every class/);
    assert.match(text, /2000 per class .*needs 2000 digits of every class/);
    assert.match(text, /whole-dataset rows computed in \d+\.\d s/);
    assert.match(text, /^class +100 inputs +500 inputs +all of the class$/m);
    assert.equal(text.match(/\(n=\d+\)/g)?.length, 30);
  });
});
