import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { hasErrorCode, labelEntropies } from '../../../src/analysis';
import { AnalysisEngine } from '../../../src/service/engine';
import { canonicalQuery, parseQuery } from '../../../src/contract/queries';
import { queries } from '../../../src/contract/plan';
import { copyFixtureRun } from '../../support/fixtureRuns';

/** The `training` query for an input subset: the probe measures of those inputs alone at every epoch. */
describe('training query with an input subset', function () {
  this.timeout(180000);
  let root: string;
  let folder: string;
  let engine: AnalysisEngine;

  before(() => {
    // The tiny model, 2 epochs on synthetic:120, batch 16, probe 40, k 5, wasm: test/fixtures/runs/tiny-training-subset.
    const r = copyFixtureRun('tiny-training-subset', 'cnn-slicer-training-subset-');
    const runs = r.runs;
    root = dirname(runs);
    folder = r.folder;
    engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', splitForward: false });
  });
  after(() => {
    engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const training = async (q: ReturnType<typeof queries.training>) => (await engine.answer(folder, q)).answer;

  it('takes x like the other kinds: "all" is left out of the canonical query, a bad subset is refused', () => {
    assert.equal(canonicalQuery(queries.training({ kind: 'all' })), canonicalQuery({ kind: 'training' }));
    assert.deepEqual(parseQuery({ kind: 'training', x: { kind: 'classes', classes: [1] } }), {
      kind: 'training',
      x: { kind: 'classes', classes: [1] },
    });
    assert.throws(() => parseQuery({ kind: 'training', x: { kind: 'some' } }), /unknown input subset kind "some"/);
  });

  it('over every input given as indices, gives back the recorded probe measures', async () => {
    const recorded = await training(queries.training());
    assert.equal(recorded.inputCount, undefined);
    const every = await training(queries.training({ kind: 'indices', indices: Array.from({ length: 40 }, (_, i) => i) }));
    assert.equal(every.inputCount, 40);
    assert.deepEqual(every.epochs, recorded.epochs);
    assert.deepEqual(every.trainLoss, recorded.trainLoss);
    assert.deepEqual(every.probeAccuracy, recorded.probeAccuracy);
    every.probeLoss.forEach((v, i) => assert.ok(Math.abs(v! - recorded.probeLoss[i]!) < 1e-4, `loss at epoch ${every.epochs[i]}`));
    for (const key of ['hLabelGivenPred', 'hPredGivenLabel'] as const)
      every[key].forEach((row, c) =>
        row.forEach((v, i) => {
          const r = recorded[key][c][i];
          assert.ok(v === r || (v !== null && r !== null && Math.abs(v - r) < 1e-9), `${key} class ${c} epoch ${every.epochs[i]}`);
        }),
      );
  });

  it("of a class subset, measures the subset's predictions: its accuracy and label entropies are those of the confusion cells of its inputs", async () => {
    const x = { kind: 'classes' as const, classes: [0] };
    const sub = await training(queries.training(x));
    const recorded = await training(queries.training());
    for (const [i, epoch] of sub.epochs.entries()) {
      const cells = (await engine.answer(folder, queries.confusion(epoch))).answer.cells!;
      const matrix = cells.map((row, t) => row.map((cell) => (t === 0 ? cell.length : 0)));
      const n = matrix[0].reduce((a, b) => a + b, 0);
      assert.equal(sub.inputCount, n);
      assert.ok(Math.abs(sub.probeAccuracy[i] - matrix[0][0] / n) < 1e-12);
      const le = labelEntropies(matrix);
      sub.hLabelGivenPred.forEach((row, c) => assert.equal(row[i], le.hLabelGivenPred[c] ?? null));
      sub.hPredGivenLabel.forEach((row, c) => assert.equal(row[i], le.hPredGivenLabel[c] ?? null));
      // The classes outside the subset have no input: H(pred | label) is undefined for them.
      assert.ok(sub.hPredGivenLabel.slice(1).every((row) => row[i] === null));
    }
    // The training set's loss and accuracy are the recorder's whatever the subset.
    assert.deepEqual(sub.trainLoss, recorded.trainLoss);
    assert.deepEqual(sub.trainAccuracy, recorded.trainAccuracy);
  });

  it('refuses a subset with no input', async () => {
    await assert.rejects(engine.answer(folder, queries.training({ kind: 'indices', indices: [] })), (e: Error) =>
      hasErrorCode(e, 'out-of-range'),
    );
  });
});
