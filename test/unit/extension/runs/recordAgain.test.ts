// "Record Again" reproduces the run's own settings: the run's manifest → rerunSettings
// (src/extension/runs/runDisplay.ts) → the flow's starting settings (flowItems.ts initialSettings,
// with VS Code settings that differ from the run's) → the recorder's options (recordOptions.ts) →
// the settings the recorder resolves (src/recorder/settings.ts) equal the run's recorded settings,
// the seed included. And a recording started from the Analyze CNN flow passes the default seed.
import assert from 'node:assert/strict';
import { DEFAULT_RECORD_SETTINGS } from '../../../../src/contract/recordSettings';
import { initialSettings } from '../../../../src/extension/recording/flowItems';
import { recordOptionsOf } from '../../../../src/extension/recording/recordOptions';
import { rerunSettings } from '../../../../src/extension/runs/runDisplay';
import type { Settings } from '../../../../src/extension/settings';
import { resolveSettings } from '../../../../src/recorder/settings';
import type { RunManifest, RunSettings } from '../../../../src/contract/runFormat';

/** The window's settings: every recording value differs from the run's below. */
const config: Settings = {
  runsFolder: '.cnnslicer/runs',
  defaultDataset: 'mnist',
  epochs: 5,
  batchSize: 64,
  probeSize: 500,
  bins: 32,
  k: 1000,
  backend: 'auto',
  nodeExecutable: '',
  executionProvider: 'cpu',
  followNewestRun: false,
  openWhenRecorded: true,
  diagnostics: true,
};

/** A run whose every setting differs from its default and from the VS Code settings. */
function manifest(settings: RunSettings, training?: RunManifest['training']): RunManifest {
  return {
    dataset: { spec: 'synthetic:300', name: 'synthetic', fingerprint: 'd', classNames: ['a', 'b'], inputShape: [8, 8, 1], trainSize: 240 },
    settings,
    backend: { name: 'cpu', fallbackReasons: [] },
    ...(training ? { training } : {}),
  } as unknown as RunManifest;
}

const recorded: RunSettings = {
  epochs: 3,
  batchSize: 16,
  optimizer: 'sgd',
  learningRate: 0.05,
  seed: 7,
  recordEvery: 2,
  probeSize: 40,
  probePerClass: 4,
  bins: 16,
  k: 10,
  trainThreads: 1,
};

/** What the recorder records when the run is recorded again. */
function recordAgain(m: RunManifest) {
  const options = recordOptionsOf('/ws/m.ts', '/ws/runs', initialSettings(config, rerunSettings(m)), config, 'run R being recorded again');
  return { options, settings: resolveSettings(options) };
}

describe('Record Again', () => {
  it("records with the run's own settings, the seed, probe per class and record every included", () => {
    const { options, settings } = recordAgain(manifest(recorded));
    const { trainThreads, ...own } = recorded;
    void trainThreads; // what ran, the machine's choice: not replayed
    assert.deepEqual(settings, own);
    assert.equal(options.seed, 7);
    assert.equal(options.dataset, 'synthetic:300');
    assert.equal(options.trainLimit, 240, 'the same training inputs');
    assert.equal(options.backend, 'cpu');
    assert.equal(options.trainThreads, undefined);
  });

  it("records with the run's probe size when it had no probe per class", () => {
    const { probePerClass, ...bySize } = recorded;
    void probePerClass;
    const { settings } = recordAgain(manifest(bySize));
    assert.equal(settings.probePerClass, undefined);
    assert.equal(settings.probeSize, 40);
  });

  it("leaves the optimizer and learning rate to the model's own compile() when it chose them, and keeps the rest", () => {
    const { options, settings } = recordAgain(manifest(recorded, { compiledBy: 'model', optimizer: 'rmsprop', loss: 'mse' }));
    assert.equal(options.optimizer, undefined);
    assert.equal(options.learningRate, undefined);
    assert.deepEqual([settings.seed, settings.recordEvery, settings.probePerClass, settings.epochs], [7, 2, 4, 3]);
  });
});

describe('a recording started from the Analyze CNN flow', () => {
  it('passes the default seed, named as the default', () => {
    const options = recordOptionsOf('/ws/m.ts', '/ws/runs', initialSettings(config, {}), config);
    assert.equal(options.seed, DEFAULT_RECORD_SETTINGS.seed);
    assert.equal(options.origins?.seed, 'the default');
    assert.equal(options.trainLimit, undefined);
  });
});
