// After a reload the Problems panel has the findings of every recorded model file, not only of the
// files shown: activation publishes each model file's newest run once the runs are listed
// (FindingsDiagnostics.publishRecordedModels, which the test calls as activation does), without
// opening an editor. Its advice names VS Code's setting, not the command line's flag.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { FindingsAnswer } from '../../../src/contract/queries/findings';
import { activate, fixtureUri, waitFor } from './helpers';
import { recordFixtureRun } from './recordedRuns';

const FILE = 'reload-model.ts';

const shown = (uri: vscode.Uri) => vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === uri.fsPath);
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'CNN Slicer');

describe('findings after a reload: every recorded model file, shown or not', function () {
  this.timeout(180_000);

  it('publishes the findings of a model file no editor shows, worded for VS Code', async () => {
    const api = await activate();
    const uri = fixtureUri(FILE);
    writeFileSync(uri.fsPath, readFileSync(fixtureUri('tiny-model.ts').fsPath, 'utf8'));
    // Recorded from the command line: the file is never opened in this window.
    await recordFixtureRun(api, FILE);
    const realAsk = api.runFindings.ask;
    const answer: FindingsAnswer = {
      epoch: 1,
      findings: [
        {
          kind: 'measurement-ceiling',
          severity: 'information',
          epoch: 1,
          message: 'the binning estimator is saturated at log2 40 = 5.322 bit on 2 layers of 4 (conv1, conv2)',
          detail: 'detail',
          evidence: { probeSize: 40, suggestedProbeSize: 160 },
          view: { view: 'information', estimator: 'binned', epoch: 1 },
        },
      ],
      thresholds: {},
      skipped: [],
    };
    try {
      api.runFindings.ask = async () => ({ answer, cached: false, ms: 0 });
      api.runFindings.forget();
      api.findingsDiagnostics.updateAll();
      assert.ok(!shown(uri), `${FILE} is not shown`);
      assert.deepEqual(ours(uri), [], 'no findings of a file that is not open yet');
      await api.findingsDiagnostics.publishRecordedModels();
      const got = await waitFor('the findings of the file no editor shows', () => (ours(uri).length ? ours(uri) : undefined), 30_000);
      assert.equal(
        got[0].message,
        'the binning estimator is saturated at log2 40 = 5.322 bit on 2 layers of 4 (conv1, conv2): ' +
          'set cnnSlicer.probeSize to 160 and record again to resolve it',
      );
      assert.equal(got[0].code, 'measurement-ceiling');
      assert.ok(!shown(uri), 'published without showing the file');
    } finally {
      api.runFindings.ask = realAsk;
      api.runFindings.forget();
    }
  });
});
