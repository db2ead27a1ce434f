// Where a run's files are now (src/run/location.ts): the training script of a workspace copied or
// moved as a whole is found where its path relative to the run folder names it.
import assert from 'node:assert/strict';
import { relocateRun } from '../../../src/run/location';
import type { RunRecord } from '../../../src/run/store';
import { fixtureManifest } from '../../support/runFixture';

function record(folder: string, model: string, script: RunRecord['manifest']['trainingScript']): RunRecord {
  const manifest = fixtureManifest('r', [0]);
  return {
    folder,
    manifest: {
      ...manifest,
      model: { ...manifest.model, file: model, relativeFile: '../../../models/resnet.py', sourceFiles: [model] },
      trainingScript: script,
    },
    metrics: [],
    notes: [],
  };
}

describe('run location: the training script', () => {
  const script = { file: '/old/cifar/main.py', relativeFile: '../../../main.py', kind: 'script' as const };

  it('moves the training script with a copied workspace, beside the model', () => {
    const copied = record('/new/cifar/.cnnslicer/runs/r', '/old/cifar/models/resnet.py', script);
    const exists = (p: string) => ['/new/cifar/main.py', '/new/cifar/models/resnet.py'].includes(p);
    const run = relocateRun(copied, exists);
    assert.equal(run.manifest.trainingScript?.file, '/new/cifar/main.py');
    assert.equal(run.manifest.trainingScript?.kind, 'script');
    assert.equal(run.manifest.model.file, '/new/cifar/models/resnet.py');
  });

  it('keeps the absolute path where the relative one names no file, and a run without a script as it is', () => {
    const alone = record('/elsewhere/r', '/old/cifar/models/resnet.py', script);
    assert.equal(relocateRun(alone, () => false).manifest.trainingScript?.file, '/old/cifar/main.py');
    const none = record('/new/cifar/.cnnslicer/runs/r', '/old/cifar/models/resnet.py', undefined);
    assert.equal(relocateRun(none, () => true).manifest.trainingScript, undefined);
    const absoluteOnly = record('/new/cifar/.cnnslicer/runs/r', '/old/cifar/models/resnet.py', {
      file: '/old/cifar/main.py',
      kind: 'script',
    });
    assert.equal(relocateRun(absoluteOnly, () => true).manifest.trainingScript?.file, '/old/cifar/main.py');
  });
});
