// The `findings` handler's probe-loss rule on a recorded run: where the recorded losses make a rise a
// candidate, the handler computes each probe input's loss at the epochs the rule compares (forward
// passes of the checkpoints), and the rule's bootstrap reads them. The run's metrics are edited so
// that the probe loss "rises"; the per-input losses stay the checkpoints' own, so the rise the
// bootstrap measures is the one the original metrics recorded.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EpochMetrics } from '../../../src/contract/runFormat';
import { AnalysisEngine } from '../../../src/service/engine';
import { copyFixtureRun } from '../../support/fixtureRuns';

describe('findings: the probe-loss rule reads each probe input’s loss from the checkpoints', function () {
  this.timeout(240000);
  let root: string;
  let folder: string;
  let engine: AnalysisEngine;
  let recorded: EpochMetrics[];

  before(() => {
    // The tiny model, 3 epochs on synthetic:120, batch 16, probe 40, k 5, wasm: test/fixtures/runs/tiny-probe-loss.
    const run = copyFixtureRun('tiny-probe-loss', 'cnn-slicer-findings-probe-loss-');
    root = run.runs;
    folder = run.folder;
    const file = join(folder, 'metrics.jsonl');
    recorded = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EpochMetrics);
    // Probe loss lowest at epoch 1, then 20 % and 22 % above it while training loss falls: a candidate.
    const edited = recorded.map((m) =>
      m.epoch === 0 ? m : { ...m, trainLoss: [0, 0.6, 0.5, 0.4][m.epoch], probeLoss: [0, 0.5, 0.6, 0.61][m.epoch] },
    );
    writeFileSync(file, edited.map((m) => JSON.stringify(m)).join('\n') + '\n');
    engine = new AnalysisEngine({ roots: [root], backend: 'wasm', splitForward: false });
  });
  after(() => {
    engine?.close();
    rmSync(dirname(root), { recursive: true, force: true });
  });

  it('bootstraps the checkpoints’ per-input losses: the rise it measures is the recorded one, with its interval', async () => {
    const { answer } = await engine.answer(folder, { kind: 'findings' });
    assert.equal(answer.epoch, 3);
    assert.ok(!answer.skipped.some((s) => s.kind === 'probe-loss-rising'), JSON.stringify(answer.skipped));
    const f = answer.findings.find((x) => x.kind === 'probe-loss-rising');
    assert.ok(f, 'the candidate rise gives a finding, a warning or "no evidence"');
    assert.equal(f.evidence.bestEpoch, 1);
    assert.equal(f.evidence.previousEpoch, 2);
    assert.equal(f.evidence.probeInputs, 40);
    // The mean of the paired differences is the checkpoints' own probe-loss change, as the recorder measured it.
    const loss = (epoch: number) => recorded.find((m) => m.epoch === epoch)!.probeLoss!;
    const e = f.evidence as Record<string, number>;
    assert.ok(Math.abs(e.riseMean - (loss(3) - loss(1))) < 1e-4, `${e.riseMean} vs ${loss(3) - loss(1)}`);
    assert.ok(Math.abs(e.risePreviousMean - (loss(2) - loss(1))) < 1e-4, `${e.risePreviousMean} vs ${loss(2) - loss(1)}`);
    assert.ok(e.riseLow <= e.riseMean && e.riseMean <= e.riseHigh && e.riseStandardError > 0, JSON.stringify(e));
    const clear =
      e.riseMean > e.riseStandardError && e.riseLow > 0 && e.risePreviousMean > e.risePreviousStandardError && e.risePreviousLow > 0;
    assert.equal(f.severity, clear ? 'warning' : 'information');
  });
});
