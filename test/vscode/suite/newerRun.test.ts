// An open run panel and a re-run of its model: the lenses move to the new run as
// soon as it has an epoch, so the panel offers "a newer run of this model exists — Switch" and
// switches in the same tab; with cnnSlicer.panels.followNewestRun it follows by itself.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import { activate, waitFor } from './helpers';
import { recordFixtureRun } from './recordedRuns';

describe('run panels and newer runs', function () {
  this.timeout(180_000);
  let api: CnnSlicerApi;

  before(async () => {
    api = await activate();
  });

  it('offers the newer run of the model in an open panel and switches that same panel to it', async () => {
    const older = await recordFixtureRun(api);
    await api.panels.open(older);
    const panel = api.panels.panelOf(older);
    assert.ok(panel);
    await waitFor('the views of the older run to load', () => api.panels.readyCount(older) > 0, 30_000);
    assert.equal(api.panels.offeredRunOf(older), undefined, 'the newest run when the panel opened offers nothing');
    const newer = await recordFixtureRun(api);
    await waitFor('the panel to offer the newer run', () => api.panels.offeredRunOf(older) === newer, 30_000);
    assert.equal(await api.panels.switchToNewest(older), newer);
    assert.equal(api.panels.panelOf(older), undefined);
    assert.equal(api.panels.panelOf(newer), panel, 'the same tab shows the newer run');
    await waitFor('the views of the newer run to load', () => api.panels.readyCount(newer) > 0, 30_000);
    api.panels.close(newer);
  });

  it('follows the newest run by itself with cnnSlicer.panels.followNewestRun', async () => {
    const config = vscode.workspace.getConfiguration('cnnSlicer');
    await config.update('panels.followNewestRun', true, vscode.ConfigurationTarget.Workspace);
    try {
      const older = await recordFixtureRun(api);
      await api.panels.open(older);
      const panel = api.panels.panelOf(older);
      await waitFor('the views of the older run to load', () => api.panels.readyCount(older) > 0, 30_000);
      const newer = await recordFixtureRun(api);
      await waitFor('the panel to follow the newer run', () => api.panels.panelOf(newer), 30_000);
      assert.equal(api.panels.panelOf(newer), panel);
      assert.equal(api.panels.panelOf(older), undefined);
      api.panels.close(newer);
    } finally {
      await config.update('panels.followNewestRun', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
