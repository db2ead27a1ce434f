/**
 * A recording checks that its model can be trained before it writes a run folder
 * (src/tfjs/trainingCheck.ts, called from src/recorder/record.ts): a layer that cannot be trained
 * stops it with one line naming the layer and leaves nothing behind, where it used to fail inside
 * `model.fit` after epoch 0 was written, with an internal error and a stack.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ModelError } from '../../../src/recorder/modelLoader';
import { recordRun } from '../../../src/recorder/record';
import { AnalysisEngine } from '../../../src/service/engine';

const fixtures = resolve(__dirname, '../../fixtures/models');

describe('the training check of a recording', function () {
  this.timeout(120_000);
  let runs: string;
  beforeEach(() => {
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-check-'));
  });
  afterEach(() => rmSync(runs, { recursive: true, force: true }));

  it('refuses a model with layers tfjs cannot train before writing a run folder, in one line naming each layer, as a model error', async function () {
    await assert.rejects(
      recordRun({
        modelFile: join(fixtures, 'untrainableLayers.ts'),
        dataset: 'synthetic:120',
        epochs: 1,
        probeSize: 30,
        runsFolder: runs,
        backend: 'wasm',
      }),
      (e: unknown) => {
        // The CLI and the recorder process print model errors as one line, without a stack.
        assert.ok(ModelError.is(e), String(e));
        assert.match(
          e.message,
          /^2 layers cannot be trained on the wasm backend: layer 'causal2d' \(Conv2D\): .*forward pass.*; layer 'gate' \(ThresholdedReLU\): .*no gradient/,
        );
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
    assert.deepEqual(readdirSync(runs), []);
  });

  it('records a dilated Conv2D, and a causal, dilated Conv1D network with two softmax heads (1 epoch)', async function () {
    const dilated = await recordRun({
      modelFile: join(fixtures, 'dilated.ts'),
      dataset: 'synthetic:120',
      epochs: 1,
      probeSize: 30,
      runsFolder: runs,
      backend: 'wasm',
      k: 10,
    });
    assert.equal(dilated.manifest.status, 'completed');
    const tcn = await recordRun({
      modelFile: join(fixtures, 'tcnTwoHeads.ts'),
      dataset: 'synthetic:120',
      epochs: 1,
      probeSize: 30,
      runsFolder: runs,
      backend: 'wasm',
      k: 10,
    });
    assert.equal(tcn.manifest.status, 'completed');
    assert.deepEqual(tcn.manifest.epochs, [0, 1]);
    const causal = tcn.manifest.layers.filter((l) => l.name.startsWith('causal_d'));
    assert.deepEqual(
      causal.map((l) => [l.name, l.outputShape.join('x'), l.channels]),
      [
        ['causal_d1', '12x8', 8],
        ['causal_d2', '12x8', 8],
        ['causal_d4', '12x8', 8],
      ],
    );
    // The service runs the causal layers of the checkpoint forward too.
    const engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', cacheBytes: 0 });
    try {
      const answer = (await engine.answer(tcn.folder, { kind: 'channelEntropies', layer: causal[2].index, epoch: 1 })).answer as {
        all: unknown[];
      };
      assert.equal(answer.all.length, 8);
    } finally {
      engine.close();
    }
  });

  it('records depthwise and separable convolutions on the WASM backend (they failed after epoch 0)', async function () {
    const logged: string[] = [];
    const result = await recordRun(
      {
        modelFile: join(fixtures, 'separable.ts'),
        dataset: 'synthetic:120',
        epochs: 1,
        probeSize: 30,
        runsFolder: runs,
        backend: 'wasm',
        k: 10,
      },
      { log: (line) => logged.push(line) },
    );
    assert.equal(result.manifest.status, 'completed');
    assert.deepEqual(result.manifest.epochs, [0, 1]);
    assert.ok(!logged.some((line) => line.includes('CPU backend')), logged.join('\n'));
  });
});
