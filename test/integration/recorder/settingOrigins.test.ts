// The log names where each setting of a recording came from: the caller (as it names itself: the
// command line, a VS Code setting, the Analyze CNN choices, the run being recorded again), a control
// run's source, the model file's exports, the editor's fallbacks, or the recorder's default.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordRun } from '../../../src/recorder/record';
import { describeRecording, describeSettings, settingOrigin } from '../../../src/recorder/settingOrigins';
import { resolveSettings } from '../../../src/recorder/settings';

describe('where each recording setting came from', function () {
  this.timeout(120_000);
  const fromFile = { epochs: 7, batchSize: 32, learningRate: 0.05 };

  it('names the caller as it names itself, per setting or for all its options, then the file, the editor, the default', () => {
    const asked = {
      modelFile: 'm.ts',
      seed: 3,
      bins: 16,
      learningRate: 0.01,
      defaults: { epochs: 9, batchSize: 8 },
      origins: {
        options: 'run R being recorded again',
        bins: 'the VS Code setting cnnSlicer.bins',
        'defaults.batchSize': 'the VS Code setting cnnSlicer.batchSize',
      },
    };
    const sources = { asked, options: asked, fromFile };
    assert.equal(settingOrigin('seed', sources), 'run R being recorded again');
    assert.equal(settingOrigin('learningRate', sources), 'run R being recorded again', 'over the training export');
    assert.equal(settingOrigin('bins', sources), 'the VS Code setting cnnSlicer.bins');
    assert.equal(settingOrigin('epochs', sources), "the model file's `training` export");
    assert.equal(settingOrigin('optimizer', sources), 'the default');
    assert.equal(settingOrigin('k', sources), 'the default');
    const noExport = { asked, options: asked };
    assert.equal(settingOrigin('batchSize', noExport), 'the VS Code setting cnnSlicer.batchSize');
    assert.equal(settingOrigin('epochs', noExport), "the caller's defaults");
    assert.equal(settingOrigin('dataset', { ...noExport, datasetExport: 'synthetic' }), "the model file's `dataset` export");
    // A control run: what its caller left unset comes from the source run.
    const control = { asked: { modelFile: 'm.ts' }, options: { modelFile: 'm.ts', seed: 4, recordEvery: 2 }, controlSource: 'S', fromFile };
    assert.equal(settingOrigin('seed', control), "the control's source run S");
    assert.equal(settingOrigin('epochs', control), "the model file's `training` export");
  });

  it('writes one line, grouped by origin, with probe per class in place of the probe size', () => {
    const asked = { modelFile: 'm.ts', seed: 3, probePerClass: 5, recordEvery: 2, origins: { options: 'run R being recorded again' } };
    const settings = resolveSettings(asked, fromFile);
    assert.equal(
      describeSettings(settings, 'synthetic', { asked, options: asked, fromFile, datasetExport: 'synthetic' }),
      "settings: dataset synthetic from the model file's `dataset` export; epochs 7, batch size 32 from the model file's `training` export; " +
        'seed 3, record every 2, probe per class 5 from run R being recorded again; bins 32, k 1000 from the default',
    );
  });

  it("says a learning rate set by the caller is the caller's, not the model file's, and names the model's own optimizer", () => {
    const options = { modelFile: 'm.ts', learningRate: 0.02, origins: { options: 'the Analyze CNN choices' } };
    const [, training] = describeRecording({
      options,
      loaded: { training: {} },
      settings: resolveSettings(options),
      datasetSpec: 'mnist',
      plan: {
        training: { compiledBy: 'settings', optimizer: 'sgd', loss: 'categoricalCrossentropy' },
        optimizer: 'sgd',
        learningRate: 0.02,
      },
      compiledByFile: true,
    });
    assert.equal(
      training,
      "training: sgd (learning rate 0.02), optimizer from the model's own compile(), learning rate from the Analyze CNN choices, loss categoricalCrossentropy",
    );
  });

  it('logs each setting with its origin when recording (the run recorded again, the model file, the default)', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-origins-'));
    const lines: string[] = [];
    try {
      await recordRun(
        {
          modelFile: resolve(__dirname, '../../vscode/fixture/tiny-model.ts'),
          backend: 'cpu',
          epochs: 1,
          seed: 3,
          recordEvery: 1,
          probePerClass: 4,
          learningRate: 0.02,
          runsFolder: runs,
          origins: { options: 'run R being recorded again' },
        },
        { log: (line) => lines.push(line) },
      );
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
    const settings = lines.find((l) => l.startsWith('settings: '));
    assert.ok(settings, lines.join('\n'));
    assert.match(settings, /epochs 1, seed 3, record every 1, probe per class 4 from run R being recorded again/);
    assert.match(settings, /batch size 32 from the model file's `training` export/);
    const training = lines.find((l) => l.startsWith('training: '));
    assert.match(training ?? '', /optimizer from the model file's `training` export, learning rate from run R being recorded again/);
    assert.ok(!lines.some((l) => l.includes('from the settings')), 'no "from the settings" that names no source');
  });
});
