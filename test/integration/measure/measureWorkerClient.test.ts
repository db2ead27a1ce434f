import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MeasureWorkerClient } from '../../../src/measure/measureWorkerClient';
import { RecordOptions, recordRun } from '../../../src/recorder/record';
import type { RunLayer, RunSettings } from '../../../src/contract/runFormat';
import { epochFolder } from '../../../src/run/paths';
import { readRun } from '../../../src/run/store';
import { TINY_MODEL } from '../../support/tinyRun';

const measureScript = resolve(__dirname, '../../../dist/measureWorker.js');

function layer(index: number, outputShape: number[]): RunLayer {
  return { index, name: `l${index}`, className: 'Dense', outputShape, channels: outputShape.at(-1)!, parameters: 0 };
}

describe('measuring epoch t on the measurement worker while epoch t + 1 trains (measureWorkerClient)', function () {
  this.timeout(240000);
  let runs: string;
  before(() => {
    assert.ok(existsSync(measureScript), 'run npm run build first');
    runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-overlap-'));
  });
  after(() => rmSync(runs, { recursive: true, force: true }));

  async function record(overlapMeasurement: boolean, extra: Partial<RecordOptions> = {}) {
    const log: string[] = [];
    const r = await recordRun(
      {
        modelFile: TINY_MODEL,
        dataset: 'synthetic:300',
        epochs: 3,
        batchSize: 16,
        probeSize: 60,
        runsFolder: runs,
        k: 20,
        backend: 'wasm',
        overlapMeasurement,
        ...extra,
      },
      { log: (line) => log.push(line) },
    );
    return { ...r, log, run: readRun(r.folder) };
  }

  it('records every metrics field and checkpoint exactly as measuring each epoch before the next one trains', async () => {
    const before = await record(false);
    const overlapped = await record(true);
    assert.ok(before.log.includes('measuring each epoch before the next one trains (switched off)'), before.log.join('\n'));
    assert.ok(overlapped.log.includes('measuring each epoch on a second thread while the next one trains'), overlapped.log.join('\n'));
    assert.ok(!overlapped.log.some((line) => /could not run the model/.test(line)), overlapped.log.join('\n'));
    assert.deepEqual(overlapped.manifest.epochs, [0, 1, 2, 3]);
    assert.equal(overlapped.manifest.status, 'completed');
    // Timings are the only fields that may differ: they are wall-clock times.
    const withoutTimings = (run: typeof before.run) => run.metrics.map(({ timingsMs, ...rest }) => (void timingsMs, rest));
    assert.deepEqual(withoutTimings(overlapped.run), withoutTimings(before.run));
    assert.equal(before.run.metrics.length, 4);
    for (const epoch of before.manifest.epochs) {
      const weights = (folder: string) => readFileSync(join(folder, 'checkpoints', epochFolder(epoch), 'weights.bin'));
      assert.ok(weights(overlapped.folder).equals(weights(before.folder)), `the weights of epoch ${epoch} are the same`);
    }
  });

  it('starts no measurement worker when only the untrained model is recorded (nothing trains beside it)', async () => {
    const untrained = await record(true, { epochs: 0 });
    assert.ok(
      untrained.log.includes('measuring each epoch before the next one trains (nothing trains after epoch 0)'),
      untrained.log.join('\n'),
    );
    assert.deepEqual(untrained.manifest.epochs, [0]);
    assert.equal(untrained.run.metrics.length, 1);
  });

  it('appends the epoch measured during a cancelled epoch, and no partial one', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const r = await recordRun(
      {
        modelFile: TINY_MODEL,
        dataset: 'synthetic:300',
        epochs: 5,
        batchSize: 8,
        probeSize: 30,
        runsFolder: runs,
        k: 10,
        backend: 'wasm',
        signal: controller.signal,
      },
      { onProgress: (p) => p.phase === 'training' && p.epoch === 3 && controller.abort(), log: (line) => log.push(line) },
    );
    assert.ok(log.includes('measuring each epoch on a second thread while the next one trains'), log.join('\n'));
    assert.equal(r.manifest.status, 'cancelled');
    assert.deepEqual(r.manifest.epochs, [0, 1, 2]);
    assert.deepEqual(
      readRun(r.folder).metrics.map((m) => m.epoch),
      [0, 1, 2],
    );
  });

  it('measures on the recording thread when the worker cannot load the model (a custom layer the worker does not know), and keeps the epochs', async () => {
    const log: string[] = [];
    const failed = await recordRun(
      {
        modelFile: resolve(__dirname, '../../fixtures/models/failsInTraining.ts'),
        epochs: 2,
        probeSize: 20,
        runsFolder: runs,
        backend: 'wasm',
      },
      { log: (line) => log.push(line) },
    ).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.match(String(failed?.message), /gradient kernel missing for FailsWhenTraining/);
    assert.ok(
      log.some((line) =>
        /^measuring each epoch before the next one trains \(the measurement worker could not measure epoch 0: .*FailsWhenTraining/.test(
          line,
        ),
      ),
      log.join('\n'),
    );
    const folder = log.find((line) => line.startsWith('run folder: '))!.slice('run folder: '.length);
    const run = readRun(folder);
    assert.equal(run.manifest.status, 'failed');
    assert.deepEqual(run.manifest.epochs, [0]);
    assert.equal(run.metrics[0].layers.length, run.manifest.layers.length);
  });

  function setup(backend: 'tensorflow' | 'wasm', layers: RunLayer[]) {
    return {
      backend,
      layers,
      inputs: new Float32Array(8),
      labels: Int32Array.from([0, 1]),
      byClass: [[0], [1]],
      classes: 2,
      output: { kind: 'softmax' as const, units: 2 },
      settings: { bins: 32, k: 10 } as RunSettings,
    };
  }

  it('rejects the measurement with the reason when the checkpoint cannot be loaded', async () => {
    const made = MeasureWorkerClient.create(setup('wasm', [layer(0, [4]), layer(1, [3])]));
    assert.ok('client' in made);
    try {
      await assert.rejects(
        made.client.measure(0, { modelJson: '{"modelTopology": {}, "weightsManifest": []}', weights: new Uint8Array(0) }, undefined),
      );
    } finally {
      made.client.close();
    }
  });

  it('starts before the probe set is known and refuses to measure until it is set up', async () => {
    const made = MeasureWorkerClient.start('wasm');
    assert.ok('client' in made);
    try {
      await assert.rejects(made.client.measure(0, { modelJson: '{}', weights: new Uint8Array(0) }, undefined), /before it was set up/);
      made.client.setUp(setup('wasm', [layer(0, [4]), layer(1, [3])]));
      // Set up now: the worker gets as far as loading the (broken) checkpoint.
      await assert.rejects(
        made.client.measure(0, { modelJson: '{"modelTopology": {}, "weightsManifest": []}', weights: new Uint8Array(0) }, undefined),
        (e: Error) => !/before it was set up/.test(e.message),
      );
    } finally {
      made.client.close();
      made.client.close(); // a second close is harmless (the recorder closes on several paths)
    }
  });

  it('gives way to training: on Linux the measurement worker runs at nice 10 while this thread keeps its own priority', async function () {
    if (!existsSync('/proc/thread-self')) this.skip(); // per-thread priorities are a Linux feature; elsewhere the worker keeps the process's
    /** The nice value of every thread of this process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
    const niceByThread = () =>
      new Map(
        readdirSync('/proc/self/task').map((tid) => [
          tid,
          Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]),
        ]),
      );
    const before = niceByThread();
    const made = MeasureWorkerClient.start('wasm');
    assert.ok('client' in made);
    try {
      // Once the worker answers a request, its start-up (which sets the priority) has run.
      made.client.setUp(setup('wasm', [layer(0, [4]), layer(1, [3])]));
      await assert.rejects(
        made.client.measure(0, { modelJson: '{"modelTopology": {}, "weightsManifest": []}', weights: new Uint8Array(0) }, undefined),
      );
      const after = niceByThread();
      const lowered = [...after].filter(([tid, nice]) => !before.has(tid) && nice === 10);
      assert.equal(
        lowered.length,
        1,
        `threads started by the worker and their nice values: ${JSON.stringify([...after].filter(([tid]) => !before.has(tid)))}`,
      );
      assert.equal(after.get(String(process.pid)), before.get(String(process.pid)), 'the recording thread keeps its priority');
    } finally {
      made.client.close();
    }
  });

  it('says why it measures on the recording thread with tfjs-node, and uses the worker otherwise', () => {
    const reason = (backend: 'tensorflow' | 'wasm') => {
      const made = MeasureWorkerClient.create(setup(backend, [layer(0, [4]), layer(1, [3])]));
      if ('client' in made) made.client.close();
      return 'reason' in made ? made.reason : 'none';
    };
    assert.match(reason('tensorflow'), /tfjs-node/);
    assert.equal(reason('wasm'), 'none');
  });
});
