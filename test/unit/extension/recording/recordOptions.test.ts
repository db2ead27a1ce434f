// What a recording started in VS Code asks the recorder for, and where each value came from
// (src/extension/recording/recordOptions.ts): Record Again passes every setting of the run it
// records again, named as that run's; the Analyze CNN flow's values are named as the VS Code
// setting they equal, or as the Analyze CNN choices. And what the flow remembers for a model.
import assert from 'node:assert/strict';
import { rememberedAnswers } from '../../../../src/extension/recording/flowItems';
import { recordOptionsOf } from '../../../../src/extension/recording/recordOptions';
import type { RecordingSettings } from '../../../../src/extension/settings';

const config = { epochs: 5, batchSize: 64, defaultDataset: '', probeSize: 500, bins: 32, k: 1000 };

describe('the recorder options of a recording started in VS Code', () => {
  it("passes a re-recorded run's seed, probe per class and record every, all named as that run's", () => {
    const s: RecordingSettings = {
      dataset: 'synthetic',
      epochs: 3,
      batchSize: 16,
      optimizer: 'sgd',
      learningRate: 0.05,
      probeSize: 40,
      bins: 16,
      k: 10,
      backend: 'wasm',
      seed: 7,
      probePerClass: 4,
      recordEvery: 2,
      trainLimit: 900,
    };
    const o = recordOptionsOf('/ws/m.ts', '/ws/runs', s, config, 'run R being recorded again');
    assert.equal(o.trainLimit, 900, 'the same training inputs');
    assert.deepEqual(
      [o.seed, o.probePerClass, o.recordEvery, o.optimizer, o.learningRate, o.epochs, o.batchSize, o.probeSize, o.bins, o.k],
      [7, 4, 2, 'sgd', 0.05, 3, 16, 40, 16, 10],
    );
    assert.equal(o.origins?.options, 'run R being recorded again');
    assert.equal(o.origins?.bins, undefined, 'not named as the VS Code setting');
  });

  it('names a value equal to its VS Code setting as that setting, the seed as the default, any other as the Analyze CNN choices', () => {
    const s: RecordingSettings = { dataset: '', probeSize: 500, bins: 8, k: 1000, backend: 'auto', learningRate: 0.01, seed: 1 };
    const o = recordOptionsOf('/ws/m.ts', '/ws/runs', s, config);
    assert.equal(o.origins?.probeSize, 'the VS Code setting cnnSlicer.probeSize');
    assert.equal(o.origins?.k, 'the VS Code setting cnnSlicer.k');
    assert.equal(o.origins?.bins, undefined);
    assert.equal(o.origins?.options, 'the Analyze CNN choices');
    assert.equal(o.origins?.['defaults.epochs'], 'the VS Code setting cnnSlicer.epochs');
    assert.deepEqual(o.defaults, { epochs: 5, batchSize: 64 });
    assert.equal(o.dataset, undefined, "the model's own dataset");
    assert.equal(o.seed, 1, 'the seed is passed, named as the default');
    assert.equal(o.origins?.seed, 'the default');
  });

  it('does not remember a learning rate or optimizer for the next recording of the model, nor a run’s seed', () => {
    const chosen: RecordingSettings = {
      dataset: 'synthetic',
      epochs: 2,
      optimizer: 'sgd',
      learningRate: 0.005,
      probeSize: 40,
      bins: 32,
      k: 10,
      backend: 'wasm',
      seed: 3,
      recordEvery: 2,
    };
    assert.deepEqual(rememberedAnswers(chosen), { dataset: 'synthetic', epochs: 2, probeSize: 40, bins: 32, k: 10, backend: 'wasm' });
    assert.deepEqual(rememberedAnswers(undefined), {});
  });
});
