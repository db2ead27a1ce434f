/**
 * The editor's findings query (src/extension/editor/findingsRequest.ts) asked of the analysis
 * service as a child process, while the run gains an epoch: the query about epoch 1 is not cancelled
 * when epoch 2's metrics line lands and its own query is asked (issue 66: each new line cancelled
 * the findings, and Problems stayed empty); each answer is about the epoch it asked.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { findingsRequest, findingsStateKey } from '../../../../src/extension/editor/findingsRequest';
import { readRun } from '../../../../src/run/store';
import { AnalysisClient } from '../../../../src/service/client';
import { copyFixtureRun, holdBackEpochs } from '../../../support/fixtureRuns';

describe('extension/editor/findingsRequest: a new epoch does not cancel the findings of the one before', function () {
  this.timeout(300_000);
  let runs: string;
  let folder: string;
  before(() => {
    ({ runs, folder } = copyFixtureRun('tiny', 'cnn-slicer-findings-request-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('asks the newest epoch by number, from no view', () => {
    const run = readRun(folder);
    assert.deepEqual(run.manifest.epochs, [0, 1, 2]);
    assert.deepEqual(findingsRequest(run), { query: { kind: 'findings', epoch: 2 }, options: { priority: 'background' } });
    assert.equal(findingsRequest({ manifest: { ...run.manifest, epochs: [] } }), undefined);
  });

  it('the findings of epoch 1 answer for epoch 1 although epoch 2 lands and is asked meanwhile', async () => {
    // The run as it was before epoch 2's measures landed.
    const landEpoch2 = holdBackEpochs(folder, 2);
    const client = new AnalysisClient({ roots: [runs] });
    try {
      const before = readRun(folder);
      const first = findingsRequest(before)!;
      assert.deepEqual(first.query, { kind: 'findings', epoch: 1 });
      const asked1 = client.query(folder, first.query, first.options);
      // Epoch 2 lands: its line and the manifest, as the measurer writes them; the editor asks again.
      await new Promise((r) => setTimeout(r, 200));
      landEpoch2();
      const after = readRun(folder);
      assert.notEqual(findingsStateKey(after), findingsStateKey(before));
      const second = findingsRequest(after)!;
      const asked2 = client.query(folder, second.query, second.options);
      const [one, two] = await Promise.all([asked1, asked2]);
      assert.equal(one.answer.epoch, 1);
      assert.equal(two.answer.epoch, 2);
    } finally {
      client.dispose();
    }
  });
});
