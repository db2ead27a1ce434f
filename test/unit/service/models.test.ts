import assert from 'node:assert/strict';
import type * as tfType from '@tensorflow/tfjs';
import { CheckpointModels } from '../../../src/service/models';
import { QueryError } from '../../../src/contract/queries';

/** A stand-in for a loaded model that records its disposal. */
interface FakeModel {
  dir: string;
  disposed: boolean;
  dispose(): void;
}

/** A loader whose loads finish when the test says so, counting the loads of each folder. */
function loader() {
  const loads = new Map<string, number>();
  const waiting: { dir: string; finish: () => void; fail: (e: Error) => void }[] = [];
  const models: FakeModel[] = [];
  const load = (dir: string) => {
    loads.set(dir, (loads.get(dir) ?? 0) + 1);
    return new Promise<tfType.LayersModel>((resolvePromise, reject) => {
      const model: FakeModel = {
        dir,
        disposed: false,
        dispose() {
          assert.equal(this.disposed, false, `${dir} disposed twice`);
          this.disposed = true;
        },
      };
      waiting.push({
        dir,
        finish: () => {
          models.push(model);
          resolvePromise(model as unknown as tfType.LayersModel);
        },
        fail: reject,
      });
    });
  };
  /** Lets every pending load finish (or fail) and the awaiting code run. */
  const settle = async (error?: Error) => {
    for (const w of waiting.splice(0))
      if (error) w.fail(error);
      else w.finish();
    await new Promise((r) => setImmediate(r));
  };
  return { load, loads, models, settle, live: () => models.filter((m) => !m.disposed).length };
}

const fake = (m: tfType.LayersModel) => m as unknown as FakeModel;

describe('checkpoint models of a run: pinned while a query uses them, one load per epoch', () => {
  it('a model a query holds is not disposed when more epochs than the budget load; it goes when its last pin is released', async () => {
    const l = loader();
    const store = new CheckpointModels('/runs/r', l.load, 2);
    const pending = [0, 1, 2].map((e) => store.acquire(e));
    await l.settle();
    const leases = await Promise.all(pending);
    assert.equal(l.live(), 3, 'all three are in use: none is disposed');
    leases[1].release();
    assert.equal(l.live(), 2);
    assert.equal(fake(leases[1].model).disposed, true, 'the released one was beyond the budget');
    leases[0].release();
    leases[2].release();
    assert.equal(l.live(), 2, 'within the budget, unpinned models stay loaded');
    assert.equal(store.loadedCount, 2);
  });

  it('beyond the budget the least recently used unpinned model is disposed first', async () => {
    const l = loader();
    const store = new CheckpointModels('/runs/r', l.load, 2);
    for (const e of [0, 1]) {
      const p = store.acquire(e);
      await l.settle();
      (await p).release();
    }
    (await store.acquire(0)).release(); // epoch 0 is now the most recently used
    const p = store.acquire(2);
    await l.settle();
    (await p).release();
    const disposed = (epoch: number) => l.models.find((m) => m.dir === store.checkpoint(epoch))!.disposed;
    assert.deepEqual([0, 1, 2].map(disposed), [false, true, false]);
  });

  it('queries asking for the same epoch at once share one load and one model', async () => {
    const l = loader();
    const store = new CheckpointModels('/runs/r', l.load, 2);
    const pending = Array.from({ length: 5 }, () => store.acquire(3));
    await l.settle();
    const leases = await Promise.all(pending);
    assert.equal(l.loads.get(store.checkpoint(3)), 1);
    assert.ok(leases.every((x) => x.model === leases[0].model));
    for (const x of leases) x.release();
    assert.equal(l.live(), 1);
  });

  it('a failed load rejects with a run-format error naming the epoch, and the next query loads again', async () => {
    const l = loader();
    const store = new CheckpointModels('/runs/r', l.load, 2);
    const both = Promise.allSettled([store.acquire(1), store.acquire(1)]);
    await l.settle(new Error('weights.bin is truncated\nmore detail'));
    for (const r of await both) {
      assert.equal(r.status, 'rejected');
      const e = r.reason as QueryError;
      assert.ok(e.code === 'run-format' && e.message.includes('epoch 1') && e.message.endsWith('weights.bin is truncated'), e.message);
    }
    const again = store.acquire(1);
    await l.settle();
    (await again).release();
    assert.equal(l.loads.get(store.checkpoint(1)), 2);
    assert.equal(store.loadedCount, 1);
  });

  it('releasing a lease twice counts once', async () => {
    const l = loader();
    const store = new CheckpointModels('/runs/r', l.load, 0);
    const pa = store.acquire(0);
    const pb = store.acquire(0);
    await l.settle();
    const [a, b] = await Promise.all([pa, pb]);
    a.release();
    a.release();
    assert.equal(fake(b.model).disposed, false, 'the other query still holds it');
    b.release();
    assert.equal(fake(b.model).disposed, true);
  });

  it('dispose frees unpinned models now and pinned ones at their release; nothing is acquired after', async () => {
    const l = loader();
    const store = new CheckpointModels('/runs/r', l.load, 2);
    const pa = store.acquire(0);
    const pb = store.acquire(1);
    await l.settle();
    const [a, b] = await Promise.all([pa, pb]);
    a.release();
    const loading = store.acquire(2);
    store.dispose();
    assert.equal(fake(a.model).disposed, true);
    assert.equal(fake(b.model).disposed, false);
    b.release();
    assert.equal(fake(b.model).disposed, true);
    await l.settle();
    const c = await loading; // a load under way when the run was closed still answers its query
    assert.equal(fake(c.model).disposed, false);
    c.release();
    assert.equal(l.live(), 0);
    await assert.rejects(store.acquire(0), QueryError);
  });
});
