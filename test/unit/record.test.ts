import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseNpy } from '../../src/analysis';
import { validateManifest } from '../../src/run/format';
import { RECORDER_PROTOCOL_VERSION, RecordFailureData, recordEpoch, recorderHello, recordRunFolder, recordStart } from '../../src/recorder/protocol';
import { RpcChannel } from '../../src/rpc/channel';
import type { RpcError } from '../../src/rpc/messages';
import { childProcessPort } from '../../src/rpc/ports';
import { recordRun } from '../../src/recorder/record';
import { claimRunFolder, epochFolder } from '../../src/run/paths';
import { readRun } from '../../src/run/store';

const model = resolve(__dirname, '../fixtures/models/multiFile.ts');
const recorderScript = resolve(__dirname, '../../dist/recorder.js');

describe('recording a run (the dCNN hypercube on disk)', function () {
  this.timeout(120000);
  let runs: string;
  before(() => {
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-runs-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  it('trains a tiny model on synthetic data and writes every epoch: checkpoint, metrics, manifest', async () => {
    const progress: string[] = [];
    const r = await recordRun(
      { modelFile: model, dataset: 'synthetic:300', epochs: 2, batchSize: 16, probeSize: 60, runsFolder: runs, k: 20 },
      { onProgress: (p) => progress.push(p.phase) },
    );
    const m = validateManifest(JSON.parse(readFileSync(join(r.folder, 'manifest.json'), 'utf8')));
    assert.equal(m.status, 'completed');
    assert.deepEqual(m.epochs, [0, 1, 2]);
    assert.equal(m.pid, undefined);
    assert.deepEqual(m.layers.map((l) => l.name)[0], 'input');
    assert.equal(m.layers.length, 6);
    assert.ok(m.layers.slice(1).every((l) => l.source && l.source.line > 0), 'every model layer has a source location');
    assert.equal(m.probe.size, 60);
    assert.ok(['wasm', 'cpu', 'tensorflow'].includes(m.backend.name));
    for (const e of m.epochs) assert.ok(existsSync(join(r.folder, 'checkpoints', epochFolder(e), 'weights.bin')));
    const probe = parseNpy(readFileSync(join(r.folder, m.probe.inputsFile)));
    assert.deepEqual(probe.shape, [60, 12, 12, 1]);
    const run = readRun(r.folder);
    assert.equal(run.metrics.length, 3);
    const last = run.metrics[2];
    assert.equal(last.layers.length, m.layers.length);
    assert.equal(last.confusion.length, 3);
    assert.equal(last.confusion.flat().reduce((a, b) => a + b, 0), 60);
    assert.ok(last.layers.every((l) => l.channelBits.length === m.layers[l.layer].channels));
    assert.ok(last.layers.every((l) => l.channelBitsPerClass.length === 3 && l.interSampleBitsPerClass.length === 3));
    assert.ok(typeof last.layers[1].interSampleBits === 'number');
    assert.equal(run.metrics[0].trainLoss, null, 'epoch 0 is before training');
    assert.ok(typeof last.trainLoss === 'number');
    assert.ok(progress.includes('training') && progress.includes('recording'));
  });

  it('cancels after the current batch and leaves a complete run marked cancelled', async () => {
    const controller = new AbortController();
    const r = await recordRun(
      { modelFile: model, dataset: 'synthetic:300', epochs: 5, batchSize: 8, probeSize: 30, runsFolder: runs, k: 10, signal: controller.signal },
      { onProgress: (p) => p.phase === 'training' && p.epoch === 2 && controller.abort() },
    );
    assert.equal(r.manifest.status, 'cancelled');
    assert.deepEqual(r.manifest.epochs, [0, 1]);
    assert.equal(readRun(r.folder).metrics.length, 2);
  });

  it("names both shapes when the model's input does not fit the dataset", async () => {
    await assert.rejects(
      recordRun({ modelFile: model, dataset: 'mnist', epochs: 1, runsFolder: runs }),
      /input shape \[12, 12, 1\] does not fit the mnist inputs \[28, 28, 1\]/,
    );
  });

  it('gives two recordings started in the same second two folders', () => {
    const a = claimRunFolder(runs, '20261122-120000-same');
    const b = claimRunFolder(runs, '20261122-120000-same');
    assert.deepEqual([a.id, b.id], ['20261122-120000-same', '20261122-120000-same-2']);
    assert.ok(existsSync(a.folder) && existsSync(b.folder));
  });

  it('survives kill -9 of the recorder process: completed epochs intact, run marked interrupted', async () => {
    assert.ok(existsSync(recorderScript), 'run npm run build first');
    const child = fork(recorderScript, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const channel = new RpcChannel(childProcessPort(child), { peer: 'the recorder', log: () => undefined });
    let folder = '';
    await new Promise<void>((done, fail) => {
      channel.onNotification(recorderHello, () => {
        channel.request(recordStart, { protocolVersion: RECORDER_PROTOCOL_VERSION, options: { modelFile: model, dataset: 'synthetic:600', epochs: 200, batchSize: 8, probeSize: 30, runsFolder: runs, k: 10 } }).catch(fail);
      });
      channel.onNotification(recordRunFolder, (m) => void (folder = m.folder));
      channel.onNotification(recordEpoch, (m) => {
        if (m.epoch < 2) return;
        child.kill('SIGKILL');
        done();
      });
    });
    await new Promise((r) => child.once('exit', r));
    channel.close();
    const run = readRun(folder);
    assert.equal(run.manifest.status, 'interrupted');
    assert.ok(run.manifest.epochs.length >= 3, `epochs ${run.manifest.epochs}`);
    assert.deepEqual(run.metrics.map((m) => m.epoch), run.manifest.epochs);
    assert.match(run.manifest.error!.message, /stopped unexpectedly/);
    // The repair was written back.
    assert.equal(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')).status, 'interrupted');
  });

  it('reports a model error from the recorder process as a located message', async () => {
    const child = fork(recorderScript, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const channel = new RpcChannel(childProcessPort(child), { peer: 'the recorder', log: () => undefined });
    const error = await new Promise<RpcError<RecordFailureData>>((done) => {
      channel.onNotification(recorderHello, () => {
        child.send({ type: 'not a message' });
        channel.request(recordStart, { protocolVersion: RECORDER_PROTOCOL_VERSION, options: { modelFile: resolve(__dirname, '../fixtures/models/throws.ts'), runsFolder: runs } }).catch(done);
      });
    });
    assert.match(error.message, /out of coffee/);
    assert.equal(error.data?.location?.line, 4);
    assert.equal(await new Promise((r) => child.once('exit', r)), 1);
  });
});
