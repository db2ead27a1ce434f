// The findings of a graph model under a small activation budget (what a report's engine keeps,
// src/cli/engineMemory.ts COMMAND_ENGINE_MEMORY): the same answer as under the service's default budget,
// without a forward pass for each value an ablation's tail reads from beside the ablated layer (a
// residual block's shortcut): the findings' pass hands those out too, and a layer handed out from
// memory becomes the most recently used, so the budget does not let it go before its tail reads it.
import { strict as assert } from 'node:assert';
import { cpSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { readRun } from '../../../src/run/store';
import { AnalysisEngine } from '../../../src/service/engine';
import type { FindingsAnswer } from '../../../src/contract/queries';
import { SplitForward } from '../../../src/service/splitForward';
import { copyFixtureRun } from '../../support/fixtureRuns';

describe('findings under a small activation budget', function () {
  this.timeout(240_000);
  let runs = '';
  let folder = '';

  before(() => {
    // residualDuplicates.ts untrained (synthetic:300, probe 120, k 20, wasm): test/fixtures/runs/residual-duplicates.
    ({ runs, folder } = copyFixtureRun('residual-duplicates', 'cnn-slicer-findings-memory-'));
  });
  after(() => rmSync(dirname(runs), { recursive: true, force: true }));

  /** The findings answer on a fresh copy of the run (no answer cache shared), and the forward passes it ran. */
  async function findings(memoryBytes: number | undefined, copy: string): Promise<{ answer: FindingsAnswer; passes: number }> {
    const run = `${folder}-${copy}`;
    cpSync(folder, run, { recursive: true });
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', ...(memoryBytes ? { memoryBytes } : {}) });
    // Counting every pass of the engine's SplitForward: the original method is called back on its own object.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = SplitForward.prototype.layers;
    let passes = 0;
    SplitForward.prototype.layers = function (this: SplitForward, ...args: Parameters<typeof original>) {
      passes++;
      return original.apply(this, args);
    };
    try {
      const answer = (await engine.answer(run, { kind: 'findings' })).answer;
      return { answer, passes };
    } finally {
      SplitForward.prototype.layers = original;
      engine.close();
    }
  }

  it('gives the default budget’s answer, ablations included, without a forward pass per value a tail reads from beside its layer', async () => {
    const layers = readRun(folder).manifest.layers;
    const layerBytes = 120 * layers[1].outputShape.reduce((a, b) => a * b, 1) * 4;
    const roomy = await findings(undefined, 'roomy');
    const ablated = roomy.answer.findings.filter((f) => f.ablation);
    assert.ok(ablated.length > 0, `the fixture's findings measure ablations (${roomy.answer.findings.map((f) => f.kind).join(', ')})`);
    // Room for four of the model's widest layers, of the eight the findings read.
    const small = await findings(4 * layerBytes + 1, 'small');
    assert.deepEqual(small.answer, roomy.answer);
    // One pass more at most: the ablated layers' own, once the budget has let them go. Not one per
    // value a tail reads from beside its layer (before the fix: 4 and 5 passes against 2).
    assert.ok(small.passes <= roomy.passes + 1, `${small.passes} forward passes under the small budget, ${roomy.passes} under the default`);
  });
});
