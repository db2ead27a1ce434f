import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs, { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseNpy } from '../../../src/analysis';
import { RunManifest, validateManifest } from '../../../src/contract/runFormat';
import {
  RECORDER_PROTOCOL_VERSION,
  RecordFailureData,
  recordEpoch,
  recorderHello,
  recordRunFolder,
  recordStart,
} from '../../../src/contract/protocols/recorder';
import { RpcChannel } from '../../../src/rpc/channel';
import type { RpcError } from '../../../src/contract/messages';
import { childProcessPort } from '../../../src/rpc/ports';
import { RecordOptions, recordRun } from '../../../src/recorder/record';
import { RunWriteError } from '../../../src/run/files';
import { claimRunFolder, epochFolder } from '../../../src/run/paths';
import { layerPerClass } from '../../../src/run/perClass';
import { readRun } from '../../../src/run/store';

const model = resolve(__dirname, '../../fixtures/models/multiFile.ts');
const recorderScript = resolve(__dirname, '../../../dist/recorder.js');

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
    assert.ok(
      m.layers.slice(1).every((l) => l.source && l.source.line > 0),
      'every model layer has a source location',
    );
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
    assert.equal(
      last.confusion.flat().reduce((a, b) => a + b, 0),
      60,
    );
    assert.ok(last.layers.every((l) => l.channelBits.length === m.layers[l.layer].channels));
    // The per-class entropies are in the epoch's per-class file, which the line names; the line holds none.
    assert.equal(last.perClassFile, 'per-class/epoch-2.f64');
    assert.ok(last.layers.every((l) => l.channelBitsPerClass === undefined && l.interSampleBitsPerClass.length === 3));
    assert.ok(
      last.layers.every((l) => {
        const rows = layerPerClass(r.folder, last, 3, l.layer);
        return rows.length === 3 && rows.every((row) => row.length === l.channelBits.length);
      }),
    );
    assert.ok(typeof last.layers[1].interSampleBits === 'number');
    assert.equal(run.metrics[0].trainLoss, null, 'epoch 0 is before training');
    assert.ok(typeof last.trainLoss === 'number');
    assert.ok(progress.includes('training') && progress.includes('recording'));
  });

  it('cancels after the current batch and leaves a complete run marked cancelled', async () => {
    const controller = new AbortController();
    const r = await recordRun(
      {
        modelFile: model,
        dataset: 'synthetic:300',
        epochs: 5,
        batchSize: 8,
        probeSize: 30,
        runsFolder: runs,
        k: 10,
        signal: controller.signal,
      },
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
        channel
          .request(recordStart, {
            protocolVersion: RECORDER_PROTOCOL_VERSION,
            options: { modelFile: model, dataset: 'synthetic:600', epochs: 200, batchSize: 8, probeSize: 30, runsFolder: runs, k: 10 },
          })
          .catch(fail);
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
    assert.deepEqual(
      run.metrics.map((m) => m.epoch),
      run.manifest.epochs,
    );
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
        channel
          .request(recordStart, {
            protocolVersion: RECORDER_PROTOCOL_VERSION,
            options: { modelFile: resolve(__dirname, '../../fixtures/models/throws.ts'), runsFolder: runs },
          })
          .catch(done);
      });
    });
    assert.match(error.message, /out of coffee/);
    assert.equal(error.data?.location?.line, 4);
    assert.equal(await new Promise((r) => child.once('exit', r)), 1);
  });

  it('reports a runs folder it cannot write from the recorder process as what failed and what to do, not an internal error', async () => {
    const file = join(runs, 'a-file');
    fs.writeFileSync(file, '');
    const child = fork(recorderScript, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const channel = new RpcChannel(childProcessPort(child), { peer: 'the recorder', log: () => undefined });
    const error = await new Promise<RpcError<RecordFailureData>>((done) => {
      channel.onNotification(recorderHello, () => {
        channel
          .request(recordStart, {
            protocolVersion: RECORDER_PROTOCOL_VERSION,
            options: { modelFile: model, dataset: 'synthetic:300', epochs: 1, probeSize: 30, runsFolder: join(file, 'runs') },
          })
          .catch(done);
      });
    });
    assert.match(error.message, /^the run folder could not be created in .*a-file.runs \(ENOTDIR.*\)\. Check that .* is writable/);
    assert.equal(await new Promise((r) => child.once('exit', r)), 1);
    channel.close();
  });

  describe('a full disk (defect 1: the run is marked failed, completed epochs stay readable)', () => {
    // Three epochs after epoch 0; the disk fills while epoch 2 is written.
    const options = (runsFolder: string): RecordOptions => ({
      modelFile: model,
      dataset: 'synthetic:300',
      epochs: 3,
      batchSize: 16,
      probeSize: 30,
      runsFolder,
      k: 10,
    });
    let restore: (() => void) | undefined;
    afterEach(() => restore?.());

    /** Records with `fail` deciding, for every file opened, whether its writes fail and with which errno code. */
    async function recordFailing(fail: (path: string) => string | undefined) {
      const runsFolder = mkdtempSync(join(runs, 'disk-'));
      let folder = '';
      const logged: string[] = [];
      restore = failWrites(fail);
      const outcome = await recordRun(options(runsFolder), { onRunFolder: (f) => (folder = f), log: (line) => logged.push(line) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      restore();
      restore = undefined;
      const onDisk = validateManifest(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')));
      return { error: outcome as Error | undefined, folder, onDisk, logged };
    }

    function assertDiskFullError(error: Error | undefined) {
      assert.ok(RunWriteError.is(error), `a RunWriteError, got ${error?.stack ?? error}`);
      assert.equal(error.reason, 'disk-full');
      assert.match(error.message, /^disk full: .*epochs 0 and 1 are recorded and stay readable.*free space .* and record again/);
    }

    function assertFailedWithEpochs01(folder: string, onDisk: RunManifest) {
      assert.equal(onDisk.status, 'failed');
      assert.match(onDisk.error!.message, /^disk full/);
      assert.deepEqual(onDisk.epochs, [0, 1]);
      assert.equal(onDisk.pid, undefined);
      const run = readRun(folder);
      assert.deepEqual(run.manifest.epochs, [0, 1]);
      assert.deepEqual(
        run.metrics.map((m) => m.epoch),
        [0, 1],
      );
    }

    it('at the checkpoint of epoch 2: rejects with "disk full", the manifest says failed and lists epochs 0 and 1', async () => {
      const { error, folder, onDisk } = await recordFailing((path) => (path.includes(epochFolder(2)) ? 'ENOSPC' : undefined));
      assertDiskFullError(error);
      assert.match(error!.message, /checkpoint of epoch 2/);
      assertFailedWithEpochs01(folder, onDisk);
    });

    it('at the metrics line of epoch 2: rejects with "disk full", the manifest says failed and lists epochs 0 and 1', async () => {
      let metricsWrites = 0;
      const { error, folder, onDisk } = await recordFailing((path) =>
        path.endsWith('metrics.jsonl') && ++metricsWrites === 3 ? 'ENOSPC' : undefined,
      );
      assertDiskFullError(error);
      assert.match(error!.message, /metrics of epoch 2/);
      assertFailedWithEpochs01(folder, onDisk);
    });

    it('from the manifest listing epoch 2 on: rejects with "disk full" and the previous manifest stays whole on disk', async () => {
      // Manifest writes: the first one, then one per epoch (0, 1, 2): the fourth and every later one fail.
      let manifestWrites = 0;
      const { error, folder, onDisk, logged } = await recordFailing((path) =>
        path.includes('manifest.json') && ++manifestWrites >= 4 ? 'ENOSPC' : undefined,
      );
      assertDiskFullError(error);
      assert.match(error!.message, /manifest listing epoch 2/);
      assert.equal(onDisk.status, 'recording', 'the manifest written after epoch 1');
      assert.deepEqual(onDisk.epochs, [0, 1]);
      assert.ok(
        logged.some((line) => /could not be marked failed: disk full/.test(line)),
        logged.join('\n'),
      );
      const run = readRun(folder, { repair: false });
      assert.deepEqual(
        run.metrics.map((m) => m.epoch),
        [0, 1],
      );
    });

    it('an error while saving the final status does not replace the first error', async () => {
      let full = false;
      const { error, onDisk } = await recordFailing((path) => {
        if (path.includes(epochFolder(2))) {
          full = true;
          return 'ENOSPC';
        }
        return full && path.includes('manifest.json') ? 'EIO' : undefined;
      });
      assertDiskFullError(error);
      assert.deepEqual(onDisk.epochs, [0, 1]);
      assert.equal(onDisk.status, 'recording');
    });
  });
});

/**
 * Makes the writes to files opened from now on fail where `fail` names an errno code for the path
 * (ENOSPC: a full disk), as the system would report it; returns the function that restores them.
 * A real full disk cannot be made on demand on every machine (filling one is slow and disturbs
 * everything else on it, and mounting a small one needs privileges); its symptom at the write call
 * can.
 */
function failWrites(fail: (path: string) => string | undefined): () => void {
  const { openSync, writeSync } = fs;
  const failing = new Map<number, string>();
  fs.openSync = (path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (path: fs.PathLike, ...rest: unknown[]) => number)(path, ...rest);
    const code = fail(String(path));
    if (code) failing.set(fd, code);
    else failing.delete(fd);
    return fd;
  };
  fs.writeSync = (fd: number, ...rest: unknown[]) => {
    const code = failing.get(fd);
    if (code)
      throw Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'i/o error'}, write`), {
        code,
        syscall: 'write',
      });
    return (writeSync as (fd: number, ...rest: unknown[]) => number)(fd, ...rest);
  };
  return () => {
    fs.openSync = openSync;
    fs.writeSync = writeSync;
  };
}
