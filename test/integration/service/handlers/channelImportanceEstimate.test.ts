/**
 * The `channelImportanceEstimate` query (src/service/handlers/channelImportanceEstimate.ts): on a
 * recorded run of the label-carrier model, the answer holds taylorEstimates' numbers for every layer
 * up to the output, ranks the carrier first, takes a subset of layers, is cached, and refuses a
 * layer the loss does not read.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readProbe } from '../../../../src/run/probe';
import { readRun } from '../../../../src/run/store';
import { AnalysisEngine } from '../../../../src/service/engine';
import { initBackend } from '../../../../src/tfjs/backend';
import { loadCheckpoint } from '../../../../src/tfjs/forward';
import { taylorEstimates } from '../../../../src/tfjs/taylor';
import { checkpointFolder } from '../../../../src/run/paths';
import { copyFixtureRun } from '../../../support/fixtureRuns';

describe('channelImportanceEstimate: the Taylor estimate as a query', function () {
  this.timeout(240_000);
  let runs: string;
  let carrier: string;
  let engine: AnalysisEngine;

  before(() => {
    // labelCarrier.ts untrained on 2×2 grey inputs, every pixel +1 for label 1 and −1 for label 0 (the ablation
    // tests' carrier dataset, test/fixtures/datasets/labelCarrier), probe 50 per class, k 20, wasm:
    // test/fixtures/runs/label-carrier.
    ({ runs, folder: carrier } = copyFixtureRun('label-carrier', 'cnnslicer-taylor-'));
    engine = new AnalysisEngine({ roots: [runs], backend: 'wasm' });
  });
  after(() => {
    engine?.close();
    rmSync(dirname(runs), { recursive: true, force: true });
  });

  it('answers taylorEstimates for every layer up to the output, the carrier ranked first', async () => {
    const { answer } = await engine.answer(carrier, { kind: 'channelImportanceEstimate', epoch: 0 });
    assert.equal(answer.outputLayer, 3);
    assert.equal(answer.inputCount, 100);
    assert.deepEqual(
      answer.layers.map((l) => l.layer),
      [1, 2, 3],
    );
    assert.deepEqual(answer.layers[0].ranking, [0, 1, 2]);
    assert.equal(Math.abs(answer.layers[0].estimates[2]!), 0);
    // The same numbers as the module computes from the checkpoint and the probe.
    await initBackend('wasm');
    const run = readRun(carrier);
    const probe = readProbe({ folder: carrier, manifest: run.manifest });
    const model = await loadCheckpoint(tf, checkpointFolder(carrier, 0), run.manifest.layers);
    const direct = await taylorEstimates({
      tf,
      model,
      layers: run.manifest.layers,
      inputs: probe.inputs,
      labels: probe.labels,
      count: probe.labels.length,
      output: { layer: 3, kind: 'softmax' },
    });
    for (const l of answer.layers)
      assert.deepEqual(
        l.estimates,
        Array.from(direct.get(l.layer)!, (e) => e + 0),
        '−0 answers as 0',
      );
    assert.equal(engine.isCached(carrier, { kind: 'channelImportanceEstimate', epoch: 0 }), true);
  });

  it('estimates the layers asked, and refuses the input layer and a layer the loss does not read', async () => {
    const { answer } = await engine.answer(carrier, { kind: 'channelImportanceEstimate', epoch: 0, layers: [3, 1, 1] });
    assert.deepEqual(
      answer.layers.map((l) => l.layer),
      [1, 3],
    );
    await assert.rejects(engine.answer(carrier, { kind: 'channelImportanceEstimate', epoch: 0, layers: [0] }), /no Taylor estimate/);
    await assert.rejects(engine.answer(carrier, { kind: 'channelImportanceEstimate', epoch: 0, layers: [9] }), /out of range/);
  });
});
