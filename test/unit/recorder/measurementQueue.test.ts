import assert from 'node:assert/strict';
import type { EpochMetrics, LayerEpochMetrics } from '../../../src/contract/runFormat';
import type { CheckpointFiles } from '../../../src/run/writer';
import type { EpochWorker } from '../../../src/measure/measureWorkerClient';
import { MEASURE_QUEUE, MeasurementQueue, MeasurementQueueParts, RecordedEpoch } from '../../../src/recorder/measurementQueue';

/** A measurement that says where it was made, standing in for an epoch's summaries. */
function metrics(epoch: number, where: string): EpochMetrics {
  return { epoch, where } as unknown as EpochMetrics;
}

function recorded(epoch: number, trainMs = 100): RecordedEpoch {
  const checkpoint: CheckpointFiles = { modelJson: `{"epoch": ${epoch}}`, weights: new Uint8Array([epoch]) };
  return { epoch, checkpoint, logs: { loss: null, accuracy: null }, timing: { trainMs, recordStart: 0 } };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

/** A fake worker: each epoch's measurement waits `delayMs[epoch]` and fails for the epochs in `fails`. */
class FakeWorker implements EpochWorker {
  started: number[] = [];
  closed = 0;
  constructor(
    private readonly delayMs: Record<number, number> = {},
    private readonly fails: number[] = [],
  ) {}
  async measure(epoch: number): Promise<EpochMetrics> {
    this.started.push(epoch);
    await new Promise((r) => setTimeout(r, this.delayMs[epoch] ?? 0));
    if (this.fails.includes(epoch)) throw new Error(`cannot load epoch ${epoch}`);
    return metrics(epoch, 'worker');
  }
  close(): void {
    this.closed++;
  }
}

/** The queue's parts recording what happened, in order; the clock advances by hand. */
function fakeParts(options: { appendFails?: number } = {}) {
  const appended: { epoch: number; where: string }[] = [];
  const events: string[] = [];
  let clock = 0;
  let failures = 0;
  const parts: MeasurementQueueParts = {
    measureHere: async (epoch) => metrics(epoch, 'here'),
    measureCopy: async (epoch) => metrics(epoch, 'copy'),
    measureInTwo: async (_worker, epoch) => metrics(epoch, 'in two'),
    append: (r, measured) => {
      if (r.epoch === options.appendFails) throw new Error(`disk full at epoch ${r.epoch}`);
      appended.push({ epoch: r.epoch, where: (measured as unknown as { where: string }).where });
    },
    inputMetrics: () => (appended.length ? ({ layer: 0 } as unknown as LayerEpochMetrics) : undefined),
    onFailure: () => failures++,
    recording: (epoch) => events.push(`recording ${epoch}`),
    log: (line) => events.push(line),
    now: () => clock,
  };
  return {
    parts,
    appended,
    events,
    failures: () => failures,
    advance: (ms: number) => (clock += ms),
  };
}

describe('the measurement queue', () => {
  it('appends epochs in order when a later epoch measures faster than an earlier one', async () => {
    const f = fakeParts();
    const worker = new FakeWorker({ 0: 30, 1: 0 });
    const queue = new MeasurementQueue(f.parts, worker);
    await queue.add(recorded(0), false);
    await queue.add(recorded(1), false);
    await queue.add(recorded(2), true);
    await queue.settleAll();
    assert.deepEqual(f.appended, [
      { epoch: 0, where: 'worker' },
      { epoch: 1, where: 'worker' },
      { epoch: 2, where: 'in two' },
    ]);
    // The worker measures one epoch at a time, in order, and is stopped after the last.
    assert.deepEqual(worker.started, [0, 1]);
    assert.equal(worker.closed, 1);
    assert.equal(queue.usesWorker, false);
  });

  it('measures every epoch here, before returning, without a worker', async () => {
    const f = fakeParts();
    const queue = new MeasurementQueue(f.parts);
    await queue.add(recorded(0), false);
    assert.deepEqual(f.appended, [{ epoch: 0, where: 'here' }]);
    await queue.add(recorded(1), true);
    assert.deepEqual(
      f.appended.map((a) => a.where),
      ['here', 'here'],
    );
  });

  it('measures an epoch the worker gave up on, and the ones queued after it, here from their checkpoints, in order', async () => {
    const f = fakeParts();
    const worker = new FakeWorker({ 0: 10 }, [0]);
    const queue = new MeasurementQueue(f.parts, worker);
    await queue.add(recorded(0), false);
    await queue.add(recorded(1), false);
    await queue.add(recorded(2), false);
    await queue.add(recorded(3), true);
    await queue.settleAll();
    assert.deepEqual(f.appended, [
      { epoch: 0, where: 'copy' },
      { epoch: 1, where: 'copy' },
      { epoch: 2, where: 'here' },
      { epoch: 3, where: 'here' },
    ]);
    // Epoch 1 waited behind epoch 0 and was never sent to the worker, which is not used again.
    assert.deepEqual(worker.started, [0]);
    assert.equal(worker.closed, 1);
    assert.ok(f.events.some((e) => /measurement worker could not measure epoch 0: cannot load epoch 0/.test(e)));
    assert.equal(f.failures(), 0);
  });

  it(`holds at most ${MEASURE_QUEUE} epochs on the worker: the next waits until the oldest is appended`, async () => {
    const f = fakeParts();
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    const worker: EpochWorker = {
      measure: async (epoch) => {
        if (epoch === 0) await slow;
        return metrics(epoch, 'worker');
      },
      close: () => undefined,
    };
    const queue = new MeasurementQueue(f.parts, worker);
    await queue.add(recorded(0), false);
    await queue.add(recorded(1), false);
    assert.equal(queue.pending, MEASURE_QUEUE);
    let thirdAdded = false;
    const third = queue.add(recorded(2), false).then(() => (thirdAdded = true));
    await tick();
    await tick();
    assert.equal(thirdAdded, false, 'a third epoch is queued only once the oldest settles');
    assert.equal(f.appended.length, 0);
    release();
    await third;
    assert.equal(f.appended[0].epoch, 0);
    assert.ok(queue.pending <= MEASURE_QUEUE);
    await queue.settleAll();
    assert.deepEqual(
      f.appended.map((a) => a.epoch),
      [0, 1, 2],
    );
  });

  it('measures here from then on once the worker took more than twice as long as training', async () => {
    const f = fakeParts();
    const worker: EpochWorker = {
      measure: async (epoch) => {
        f.advance(500);
        return metrics(epoch, 'worker');
      },
      close: () => undefined,
    };
    const queue = new MeasurementQueue(f.parts, worker);
    await queue.add(recorded(0, 1000), false);
    await queue.add(recorded(1, 1000), false);
    // 500 ms of measuring beside 200 ms of training: every core measures faster.
    await queue.add(recorded(2, 200), false);
    assert.equal(queue.usesWorker, false);
    await queue.add(recorded(3, 200), true);
    assert.deepEqual(
      f.appended.map((a) => a.where),
      ['worker', 'worker', 'here', 'here'],
    );
    assert.ok(f.events.some((e) => /last measurement took 0\.5 s, more than twice the 0\.2 s of training/.test(e)));
  });

  it('stops training on a failed append, says so, and rethrows that failure when settled', async () => {
    const f = fakeParts({ appendFails: 1 });
    const queue = new MeasurementQueue(f.parts, new FakeWorker());
    await queue.add(recorded(0), false);
    await queue.add(recorded(1), false);
    await tick();
    await tick();
    assert.equal(queue.failed, true);
    assert.equal(f.failures(), 1);
    await assert.rejects(queue.settleAll(), /disk full at epoch 1/);
    assert.deepEqual(
      f.appended.map((a) => a.epoch),
      [0],
    );
    assert.equal(f.events.at(-1), 'recording 1', 'the progress says last which epoch the recording stopped at');
  });

  it('lets the epochs in flight finish and append on a cancel, then closes the worker once however often it is closed', async () => {
    const f = fakeParts();
    const worker = new FakeWorker({ 0: 5, 1: 5 });
    const queue = new MeasurementQueue(f.parts, worker);
    await queue.add(recorded(0), false);
    await queue.add(recorded(1), false);
    // The loop stops training here (a cancel) and settles what is in flight.
    await queue.settleAll();
    assert.deepEqual(
      f.appended.map((a) => a.epoch),
      [0, 1],
    );
    queue.close();
    queue.close();
    assert.equal(worker.closed, 1);
    assert.equal(queue.usesWorker, false);
    // After close, an epoch is measured here.
    await queue.add(recorded(2), false);
    assert.deepEqual(f.appended.at(-1), { epoch: 2, where: 'here' });
  });
});
