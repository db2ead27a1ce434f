// Where Record Again goes (src/extension/recording/trainingScript.ts): the training script a
// PyTorch run names, never the model file that only defines the model; the model file where no
// script is known or it is gone.
import assert from 'node:assert/strict';
import { knownTrainingScripts, recordAgainTarget } from '../../../../src/extension/recording/trainingScript';
import type { RunManifest } from '../../../../src/contract/runFormat';

type Named = Pick<RunManifest, 'model' | 'trainingScript'>;

const model = (file: string, sourceFiles = [file]): RunManifest['model'] => ({ file, fingerprint: 'f', name: 'ResNet18', sourceFiles });
const run = (modelFile: string, script?: RunManifest['trainingScript']): Named => ({ model: model(modelFile), trainingScript: script });
const existing =
  (...paths: string[]) =>
  (p: string) =>
    paths.includes(p);

describe('Record Again target', () => {
  it('runs the training script of a kuangliu-style run, not models/resnet.py', () => {
    const m = run('/w/cifar/models/resnet.py', { file: '/w/cifar/main.py', relativeFile: '../../../main.py', kind: 'script' });
    assert.deepEqual(recordAgainTarget(m, existing('/w/cifar/main.py', '/w/cifar/models/resnet.py')), {
      kind: 'script',
      file: '/w/cifar/main.py',
    });
    const notebook = run('/w/cifar/models/resnet.py', { file: '/w/cifar/train.ipynb', kind: 'notebook' });
    assert.deepEqual(recordAgainTarget(notebook, existing('/w/cifar/train.ipynb')), { kind: 'notebook', file: '/w/cifar/train.ipynb' });
    // A script that defines its own model (a root nn.Sequential) is its model file too: it runs again all the same.
    const itself = run('/w/train.py', { file: '/w/train.py', kind: 'script' });
    assert.deepEqual(recordAgainTarget(itself, existing('/w/train.py')), { kind: 'script', file: '/w/train.py' });
  });

  it('runs the script with the Python that trained the run, where it still exists', () => {
    const m = run('/w/models/resnet.py', { file: '/w/main.py', kind: 'script', python: '/venv/bin/python' });
    assert.deepEqual(recordAgainTarget(m, existing('/w/main.py', '/venv/bin/python')), {
      kind: 'script',
      file: '/w/main.py',
      python: '/venv/bin/python',
    });
    assert.deepEqual(
      recordAgainTarget(m, existing('/w/main.py')),
      { kind: 'script', file: '/w/main.py' },
      'a venv deleted since: the workspace’s Python',
    );
  });

  it('falls back to the model file: no script named (older runs, TF.js runs), or the script gone', () => {
    assert.deepEqual(recordAgainTarget(run('/w/m.ts'), existing('/w/m.ts')), { kind: 'model', file: '/w/m.ts' });
    const gone = run('/w/models/resnet.py', { file: '/w/main.py', kind: 'script' });
    assert.deepEqual(recordAgainTarget(gone, existing('/w/models/resnet.py')), { kind: 'model', file: '/w/models/resnet.py' });
  });

  it("lists the scripts known from a model file's runs, newest first, each once, by model or source file", () => {
    const runs: Named[] = [
      run('/w/models/resnet.py', { file: '/w/main.py', kind: 'script' }),
      run('/w/models/vgg.py', { file: '/w/vgg_main.py', kind: 'script' }),
      {
        model: model('/w/models/resnet.py', ['/w/models/resnet.py', '/w/models/blocks.py']),
        trainingScript: { file: '/w/nb.ipynb', kind: 'notebook' },
      },
      run('/w/models/resnet.py', { file: '/w/main.py', kind: 'script' }),
      run('/w/models/resnet.py', { file: '/w/old.py', kind: 'script' }), // deleted since
      run('/w/models/resnet.py'),
    ];
    const exists = existing('/w/main.py', '/w/vgg_main.py', '/w/nb.ipynb');
    assert.deepEqual(knownTrainingScripts(runs, '/w/models/resnet.py', exists), [
      { kind: 'script', file: '/w/main.py' },
      { kind: 'notebook', file: '/w/nb.ipynb' },
    ]);
    assert.deepEqual(knownTrainingScripts(runs, '/w/models/blocks.py', exists), [{ kind: 'notebook', file: '/w/nb.ipynb' }]);
    assert.deepEqual(knownTrainingScripts(runs, '/w/models/other.py', exists), []);
  });
});
