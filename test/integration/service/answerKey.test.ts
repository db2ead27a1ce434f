/**
 * The answer cache's key (src/service/answerKey.ts) on a run that gains an epoch (a PyTorch run
 * measured epoch by epoch, issue 66): a query that names no epoch — the last one by default, or all
 * of them — is not answered from the cache with what it said before the epoch landed; one that names
 * its epoch still is.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { AnalysisEngine } from '../../../src/service/engine';
import { copyFixtureRun, holdBackEpochs } from '../../support/fixtureRuns';

describe('service/answerKey: a new epoch is not answered from the cache of the epochs before', function () {
  this.timeout(300_000);
  let runs: string;
  let folder: string;
  before(() => {
    ({ runs, folder } = copyFixtureRun('tiny', 'cnn-slicer-answer-key-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('findings without an epoch, and the information plane over all epochs, follow the landed epoch; findings of epoch 1 stay cached', async () => {
    const landEpoch2 = holdBackEpochs(folder, 2);
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
    try {
      assert.equal((await engine.answer(folder, { kind: 'findings' })).answer.epoch, 1);
      assert.deepEqual((await engine.answer(folder, { kind: 'informationPlane', estimator: 'pairwise' })).answer.epochs, [0, 1]);
      const one = await engine.answer(folder, { kind: 'findings', epoch: 1 });
      // Epoch 2 lands.
      landEpoch2();
      const after = await engine.answer(folder, { kind: 'findings' });
      assert.equal(after.answer.epoch, 2);
      assert.equal(after.cached, false);
      assert.deepEqual((await engine.answer(folder, { kind: 'informationPlane', estimator: 'pairwise' })).answer.epochs, [0, 1, 2]);
      const again = await engine.answer(folder, { kind: 'findings', epoch: 1 });
      assert.equal(again.cached, true, 'an answer about epoch 1 is still the cached one');
      assert.deepEqual(again.answer, one.answer);
    } finally {
      engine.close();
    }
  });
});
