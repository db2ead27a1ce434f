import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseRecordArgs } from '../../../src/cli/record';
import { recordRun } from '../../../src/recorder/record';
import { validateManifest } from '../../../src/contract/runFormat';

const cli = resolve(__dirname, '../../../dist/cli.js');
const model = resolve(__dirname, '../../fixtures/models/multiFile.ts');
const pythonModel = resolve(__dirname, '../../../python/tests/models.py');
const pytorchRun = resolve(__dirname, '../../fixtures/pytorch-run/20261125-222759-tiny-lenet');

describe('cnn-slicer record <run-folder> --control SPEC', function () {
  this.timeout(240000);
  let runs: string;
  let source: string;
  before(async () => {
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-cli-control-'));
    source = (
      await recordRun({ modelFile: model, dataset: 'synthetic:120', epochs: 1, batchSize: 16, probeSize: 30, runsFolder: runs, k: 10 })
    ).folder;
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('parses to the source run and the model file it was recorded from', () => {
    const options = parseRecordArgs([source, '--control', 'shuffle-pixels', '--epochs', '2'])!;
    assert.equal(options.modelFile, model);
    assert.deepEqual(options.control, { spec: 'shuffle-pixels', sourceRun: source });
    assert.equal(options.epochs, 2);
  });

  it('refuses a bad spec, a model file instead of a run folder, and a folder that is no run, each with one line, exit 2', () => {
    for (const [args, message] of [
      [[source, '--control', 'border:x'], /is not a control.*border:N.*mask-centre:F.*shuffle-pixels.*shuffle-labels/],
      [[model, '--control', 'border:2'], /needs the run folder to control/],
      [[runs + '/nothing-here', '--control', 'border:2'], /needs the run folder to control/],
      [[runs, '--control', 'border:2'], /not a CNN Slicer run/],
      [
        [pytorchRun, '--control', 'mask-center:0.5'],
        /run 20261125-222759-tiny-lenet was trained by a PyTorch script, which records its control itself \(docs\/pytorch.md\): rec = Recorder\(model, probe=\(x, y\), name="tiny-lenet", control="mask-centre:0.5", source_run=".*20261125-222759-tiny-lenet"\); train_set = rec.control.dataset\(train_set\)$/m,
      ],
      [
        [pythonModel, '--epochs', '1'],
        /models.py is a Python file: a PyTorch model is recorded by its own training script with the cnn_slicer Recorder/,
      ],
    ] as const) {
      const r = spawnSync(process.execPath, [cli, 'record', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('records a control run beside the source, linked to it, and prints its folder', () => {
    const r = spawnSync(process.execPath, [cli, 'record', source, '--control', 'shuffle-pixels'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const folder = r.stdout.trim();
    assert.equal(resolve(folder, '..'), resolve(runs));
    const manifest = validateManifest(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')));
    assert.equal(manifest.control?.kind, 'shuffle-pixels');
    assert.equal(manifest.control?.sourceRun.id, source.split(/[\\/]/).pop());
    assert.equal(manifest.status, 'completed');
  });
});
