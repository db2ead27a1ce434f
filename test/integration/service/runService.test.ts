import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hasErrorCode, serializeNpy } from '../../../src/analysis';
import { AnalysisEngine } from '../../../src/service/engine';
import { Query } from '../../../src/contract/queries';
import { copyFixtureRun } from '../../support/fixtureRuns';

/**
 * The analysis service over damaged and hostile run folders: every problem src/run finds reaches a
 * query as a `run-format` error (never `internal`, never a read outside the run).
 */
describe('run folders through the analysis service: damage is a run-format error, nothing is read outside the run', function () {
  this.timeout(180000);
  let root: string;
  let runs: string;
  let recorded: string;
  let engine: AnalysisEngine;

  before(() => {
    // The tiny model, 1 epoch on synthetic:120, batch 16, probe 24, k 5, wasm: test/fixtures/runs/tiny-damaged.
    const r = copyFixtureRun('tiny-damaged', 'cnn-slicer-runservice-');
    runs = r.runs;
    root = dirname(runs);
    mkdirSync(join(root, 'outside'));
    recorded = r.folder;
    engine = new AnalysisEngine({ roots: [runs], backend: 'wasm', splitForward: false });
  });
  after(() => {
    engine?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A copy of the recorded run, damaged by `damage`. */
  function damaged(name: string, damage: (folder: string) => void): string {
    const folder = join(runs, name);
    cpSync(recorded, folder, { recursive: true });
    damage(folder);
    return folder;
  }
  function editManifest(folder: string, edit: (m: Record<string, any>) => void): void {
    const path = join(folder, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    edit(m);
    writeFileSync(path, JSON.stringify(m));
  }
  const rejects = (folder: string, q: Query, code: string, text: RegExp) =>
    assert.rejects(engine.answer(folder, q), (e: Error) => hasErrorCode(e, code) && text.test(e.message));

  it('the intact copy answers (the damage below is what fails)', async () => {
    const folder = damaged('intact', () => undefined);
    assert.equal((await engine.answer(folder, { kind: 'inputs', x: { kind: 'all' } })).answer.inputs.length, 24);
    assert.equal(
      (await engine.answer(folder, { kind: 'featureMaps', layer: 1, channels: [0], epoch: 1, x: { kind: 'indices', indices: [0] } })).answer
        .layer,
      1,
    );
  });

  it('a probe file named outside the run (../../…) is not read', async () => {
    writeFileSync(join(root, 'stolen.npy'), readFileSync(join(recorded, 'probe', 'inputs.npy')));
    const folder = damaged('escape', (f) => editManifest(f, (m) => (m.probe.inputsFile = '../../stolen.npy')));
    await rejects(folder, { kind: 'inputs', x: { kind: 'all' } }, 'run-format', /outside the run folder/);
  });

  it('a probe file that is a link to a file outside the run is not followed', async () => {
    const folder = damaged('linked-probe', (f) => {
      cpSync(join(f, 'probe', 'inputs.npy'), join(root, 'outside', 'inputs.npy'));
      unlinkSync(join(f, 'probe', 'inputs.npy'));
      symlinkSync(join(root, 'outside', 'inputs.npy'), join(f, 'probe', 'inputs.npy'));
    });
    await rejects(folder, { kind: 'inputs', x: { kind: 'all' } }, 'run-format', /symbolic link/);
  });

  it('a probe label outside the classes is a run-format error, not an internal one', async () => {
    const folder = damaged('bad-label', (f) => {
      const labels = Int32Array.from({ length: 24 }, (_, i) => i % 3);
      labels[5] = 7;
      writeFileSync(join(f, 'probe', 'labels.npy'), serializeNpy({ dtype: 'int32', shape: [24], data: labels }));
    });
    await rejects(folder, { kind: 'confusion', epoch: 1, inputs: true }, 'run-format', /label 5 is 7, not a class of the run/);
  });

  it('probe inputs of another shape than the model takes are a run-format error', async () => {
    const folder = damaged('bad-shape', (f) => {
      writeFileSync(
        join(f, 'probe', 'inputs.npy'),
        serializeNpy({ dtype: 'float32', shape: [24, 6, 24, 1], data: new Float32Array(24 * 144) }),
      );
    });
    await rejects(
      folder,
      { kind: 'featureMaps', layer: 1, channels: [0], epoch: 1, x: { kind: 'all' } },
      'run-format',
      /has shape \(24, 6, 24, 1\)/,
    );
  });

  it('a layer without outputShape is a run-format error when the run is opened', async () => {
    const folder = damaged('no-shape', (f) => editManifest(f, (m) => delete m.layers[2].outputShape));
    await rejects(folder, { kind: 'run' }, 'run-format', /layers\[2\]\.outputShape/);
  });

  it('a manifest lying about a layer output shape is a run-format error naming the layer', async () => {
    const folder = damaged('lying-shape', (f) =>
      editManifest(f, (m) => {
        const shape = m.layers[1].outputShape as number[];
        m.layers[1].outputShape = [shape[0] - 2, shape[1] - 2, shape[2]];
      }),
    );
    await rejects(
      folder,
      { kind: 'featureMaps', layer: 1, channels: [0], epoch: 1, x: { kind: 'all' } },
      'run-format',
      /layer 1 \(.+\) outputs \[10, 10, 4\] but manifest\.json says \[8, 8, 4\]/,
    );
  });

  it('a damaged metrics line costs only its epoch: the run answers for the others and names the line', async () => {
    const folder = damaged('bad-metrics', (f) => {
      const lines = readFileSync(join(f, 'metrics.jsonl'), 'utf8').split('\n');
      const first = JSON.parse(lines[0]);
      first.layers[3].channelBits = 'lots';
      lines[0] = JSON.stringify(first);
      writeFileSync(join(f, 'metrics.jsonl'), lines.join('\n'));
    });
    const run = (await engine.answer(folder, { kind: 'run' })).answer;
    assert.deepEqual(run.manifest.epochs, [1]);
    assert.ok(
      run.notes.some((n) => /line 1: layers\[3\]\.channelBits is missing or not an array/.test(n)),
      run.notes.join(' | '),
    );
    await rejects(folder, { kind: 'interSample', layer: 3, epoch: 0 }, 'epoch-not-recorded', /epoch 0 is not recorded/);
    assert.equal(typeof (await engine.answer(folder, { kind: 'interSample', layer: 3, epoch: 1 })).answer.inputCount, 'number');
  });

  it('a manifest linked to a file outside the run is refused without echoing its content', async () => {
    writeFileSync(join(root, 'outside', 'secret.json'), JSON.stringify({ formatVersion: 1, id: 'x', status: 'TOKEN=hunter2' }));
    const folder = damaged('linked-manifest', (f) => {
      unlinkSync(join(f, 'manifest.json'));
      symlinkSync(join(root, 'outside', 'secret.json'), join(f, 'manifest.json'));
    });
    await assert.rejects(
      engine.answer(folder, { kind: 'run' }),
      (e: Error) => hasErrorCode(e, 'run-format') && !/hunter2|TOKEN/.test(e.message),
    );
  });
});
