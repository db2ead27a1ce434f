import assert from 'node:assert/strict';
import {
  CancelOnAbort,
  EtaClock,
  EventLoopYielder,
  ProgressReporter,
  PROGRESS_INTERVAL_MS,
  RecordCallback,
  RecordCallbackList,
  TrainedModel,
} from '../../../src/recorder/callbacks';
import type { RecordProgress } from '../../../src/contract/protocols/recorder';

/** A clock the test moves by hand. */
function manualClock(startMs = 0) {
  let nowMs = startMs;
  return { now: () => nowMs, set: (ms: number) => (nowMs = ms) };
}

/** What the callbacks touch of a tfjs model. */
function fakeModel(): TrainedModel {
  return { stopTraining: false };
}

describe('recording callbacks (progress, ETA, cancel, yielding: tfjs-layers callback style)', () => {
  describe('ProgressReporter', () => {
    function reporter(clock: ReturnType<typeof manualClock>) {
      const reports: RecordProgress[] = [];
      const eta = new EtaClock(clock.now);
      const progress = new ProgressReporter((p) => reports.push(p), eta, clock.now);
      const list = new RecordCallbackList([eta, progress]);
      list.setParams({ epochs: 4, batches: 10 });
      return { reports, progress, list };
    }

    it(`reports training at most every ${PROGRESS_INTERVAL_MS} ms of its clock, and always the last batch of an epoch`, async () => {
      const clock = manualClock(1000);
      const { reports, list } = reporter(clock);
      await list.onEpochBegin(1);
      for (let batch = 0; batch < 10; batch++) {
        clock.set(1000 + batch * 50);
        await list.onBatchEnd(batch, { loss: 2 - batch / 10 });
      }
      // Batches end at 0, 50, …, 450 ms: reports at 0, 150, 300, 450 ms (batch 10 is the last).
      assert.deepEqual(
        reports.map((r) => r.batch),
        [1, 4, 7, 10],
      );
      assert.ok(reports.every((r) => r.phase === 'training' && r.epoch === 1 && r.epochs === 4 && r.batches === 10));
      assert.equal(reports[1].loss, 2 - 3 / 10);
    });

    it('gives the fraction of the whole run and an ETA measured from the first training epoch', async () => {
      const clock = manualClock(0);
      const { reports, progress, list } = reporter(clock);
      progress.recording(0);
      clock.set(5000); // epoch 0's measurement took 5 s: not training, not in the ETA
      await list.onEpochBegin(1);
      // A steady batch every 200 ms: the estimate is given once it has held for a second of training.
      for (let batch = 0; batch < 10; batch++) {
        clock.set(5000 + 200 * (batch + 1));
        await list.onBatchEnd(batch, { loss: 1 });
      }
      assert.deepEqual(
        reports.filter((r) => r.phase === 'training').map((r) => r.etaMs !== undefined),
        [false, false, false, false, true, true, true, true, true, true],
      );
      const last = reports[reports.length - 1];
      assert.equal(last.fraction, 1 / 4);
      // One epoch of four in 2 s: three more take 6 s.
      assert.equal(last.etaMs, 6000);
      await list.onEpochBegin(2);
      clock.set(9000);
      await list.onBatchEnd(4, { loss: 1 });
      assert.equal(reports[reports.length - 1].fraction, 1.5 / 4);
      assert.equal(reports[reports.length - 1].etaMs, (4000 / 1.5) * 2.5);
    });

    it('reports loading steps and the recording of an epoch as they happen', () => {
      const { reports, progress } = reporter(manualClock());
      progress.loading('loading the model');
      progress.recording(2);
      assert.deepEqual(reports, [
        { phase: 'loading', epoch: 0, epochs: 0, batch: 0, batches: 0, fraction: 0, message: 'loading the model' },
        { phase: 'recording', epoch: 2, epochs: 4, batch: 10, batches: 10, fraction: 0.5, message: 'recording epoch 2' },
      ]);
    });
  });

  describe('EtaClock', () => {
    it('has no estimate before anything is done', async () => {
      const clock = manualClock(100);
      const eta = new EtaClock(clock.now);
      assert.equal(eta.remainingMs(0, 200), undefined);
      await eta.onEpochBegin(0);
      await eta.onEpochBegin(1);
      assert.equal(eta.remainingMs(0, 300), undefined);
    });

    it('gives no estimate while the first ones jump about (warm-up), then every one once three agree within 20 %', async () => {
      const clock = manualClock(0);
      const eta = new EtaClock(clock.now);
      await eta.onEpochBegin(1);
      // A slow first batch: 5 % done after 3 s reads as 57 s left, then the pace settles at 1 % per 100 ms.
      const estimates = [
        eta.remainingMs(0.05, 3000), // 57 s
        eta.remainingMs(0.2, 3500), // 14 s: off by far
        eta.remainingMs(0.3, 4500), // 10.5 s
        eta.remainingMs(0.32, 4700), // ≈ 9.99 s: within 20 %
        eta.remainingMs(0.34, 4900), // ≈ 9.51 s: within 20 %, the third in a row
        eta.remainingMs(0.9, 9000), // stable: given whatever it is
      ];
      assert.deepEqual(estimates.slice(0, 4), [undefined, undefined, undefined, undefined]);
      assert.ok(Math.abs(estimates[4]! - (4900 / 0.34) * 0.66) < 1e-6, String(estimates[4]));
      assert.ok(Math.abs(estimates[5]! - 1000) < 1e-6, String(estimates[5]));
    });

    it('waits for a second of training even when the first estimates agree', async () => {
      const clock = manualClock(0);
      const eta = new EtaClock(clock.now);
      await eta.onEpochBegin(1);
      // 1 % per 10 ms: every estimate is exact, but after 40 ms of training it is not trusted yet.
      assert.deepEqual(
        [1, 2, 3, 4].map((i) => eta.remainingMs(i / 100, i * 10)),
        [undefined, undefined, undefined, undefined],
      );
      assert.equal(eta.remainingMs(0.5, 1000), 1000);
    });
  });

  describe('CancelOnAbort', () => {
    it('stops training after the batch during which the signal was aborted, not before', async () => {
      const controller = new AbortController();
      const cancel = new CancelOnAbort(controller.signal);
      const model = fakeModel();
      cancel.setModel(model);
      await cancel.onBatchEnd();
      assert.equal(model.stopTraining, false);
      assert.equal(cancel.requested, false);
      controller.abort();
      assert.equal(cancel.requested, true);
      await cancel.onBatchEnd();
      assert.equal(model.stopTraining, true);
    });

    it('never stops a recording without a signal', async () => {
      const cancel = new CancelOnAbort(undefined);
      const model = fakeModel();
      cancel.setModel(model);
      await cancel.onBatchEnd();
      assert.equal(cancel.requested, false);
      assert.equal(model.stopTraining, false);
    });
  });

  describe('EventLoopYielder', () => {
    it('lets a waiting macrotask (the IPC message carrying a cancel) run before an epoch starts', async () => {
      let delivered = false;
      setImmediate(() => (delivered = true));
      await new EventLoopYielder().onEpochBegin();
      assert.equal(delivered, true);
    });
  });

  describe('RecordCallbackList', () => {
    it('calls every callback in order, each hook finished before the next callback starts', async () => {
      const calls: string[] = [];
      class Slow extends RecordCallback {
        constructor(private readonly name: string) {
          super();
        }
        override async onEpochBegin(epoch: number) {
          await new Promise((done) => setTimeout(done, 5));
          calls.push(`${this.name} begin ${epoch}`);
        }
        override async onBatchEnd(batch: number) {
          calls.push(`${this.name} batch ${batch} of ${this.params.batches}`);
        }
        override async onEpochEnd(epoch: number) {
          calls.push(`${this.name} end ${epoch}`);
        }
      }
      const list = new RecordCallbackList([new Slow('a'), new Slow('b')]);
      list.setParams({ epochs: 1, batches: 3 });
      await list.onEpochBegin(1);
      await list.onBatchEnd(0);
      await list.onEpochEnd(1, { loss: 1, accuracy: null });
      assert.deepEqual(calls, ['a begin 1', 'b begin 1', 'a batch 0 of 3', 'b batch 0 of 3', 'a end 1', 'b end 1']);
    });
  });
});
