/**
 * A recording trains on the threads it is asked for and says so: `settings.trainThreads` in the
 * manifest, a log line, the same epoch losses (to 1e-5) on one thread and two; a model the second
 * thread cannot rebuild (a custom layer class) falls back to one thread with a log line saying why;
 * batch normalisation trained on two threads is marked per half-batch.
 * Needs dist/halfBatchWorker.js (npm run build).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { chooseTrainer } from '../../../src/recorder/twoCoreTraining';
import { initBackend } from '../../../src/tfjs/backend';
import { recordTinyRun } from '../../support/tinyRun';

type Tf = typeof tfjs;

async function record(threads: 1 | 2): Promise<{ manifest: Record<string, any>; losses: number[]; logged: string[] }> {
  const logged: string[] = [];
  const r = await recordTinyRun('cnn-slicer-threads-', { trainThreads: threads }, (line) => logged.push(line));
  try {
    const metrics = readFileSync(join(r.folder, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { trainLoss?: number | null });
    return { manifest: r.manifest as unknown as Record<string, any>, losses: metrics.map((m) => m.trainLoss ?? NaN), logged };
  } finally {
    rmSync(r.runs, { recursive: true, force: true });
  }
}

describe('recording on one or two training threads', function () {
  this.timeout(240_000);

  it('records the threads used and gives the same epoch losses on one thread and two', async () => {
    const one = await record(1);
    const two = await record(2);
    assert.equal(one.manifest.settings.trainThreads, 1);
    assert.equal(two.manifest.settings.trainThreads, 2);
    assert.ok(
      two.logged.some((l) => l.startsWith('training on two threads')),
      two.logged.join('\n'),
    );
    assert.equal(one.losses.length, two.losses.length);
    one.losses.forEach((l, i) => {
      if (Number.isNaN(l)) assert.ok(Number.isNaN(two.losses[i]));
      else assert.ok(Math.abs(l - two.losses[i]) <= 1e-5, `epoch ${i}: ${l} vs ${two.losses[i]}`);
    });
    assert.ok(
      one.losses.some((l) => Number.isFinite(l)),
      'no epoch loss was recorded',
    );
  });

  describe('chooseTrainer', () => {
    let tf: Tf;
    before(async () => {
      tf = (await initBackend('wasm')).tf;
    });
    const data = { inputs: new Float32Array(8 * 16), labels: new Int32Array(8), count: 8, shape: [4, 4, 1], classes: 2 };
    const plan = (m: tfjs.LayersModel) => ({
      fitModel: m,
      training: { compiledBy: 'settings' as const, optimizer: 'adam', loss: 'categoricalCrossentropy' },
    });

    it('falls back to one thread, saying why, when the second thread cannot rebuild the model', async () => {
      class Doubler extends tf.layers.Layer {
        static className = 'TestOnlyDoubler';
        override call(x: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
          return tf.mul(Array.isArray(x) ? x[0] : x, 2);
        }
      }
      tf.serialization.registerClass(Doubler);
      const model = tf.sequential({
        layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), new Doubler({}), tf.layers.dense({ units: 2, activation: 'softmax' })],
      });
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const logged: string[] = [];
      const settings: { epochs: number; batchSize: number; trainThreads?: 1 | 2 } = { epochs: 1, batchSize: 4 };
      const trainer = await chooseTrainer(tf, 'wasm', plan(model), data, settings, 2, (l) => logged.push(l));
      trainer.close();
      assert.equal(trainer.threads, 1);
      assert.equal(settings.trainThreads, 1);
      assert.match(logged.join('\n'), /training on one thread: the second thread could not take the model \(.*TestOnlyDoubler/);
    });

    it('marks batch normalisation trained on two threads as per half-batch', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.flatten({ inputShape: [4, 4, 1] }),
          tf.layers.batchNormalization(),
          tf.layers.dense({ units: 2, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const logged: string[] = [];
      const p = plan(model);
      const settings: { epochs: number; batchSize: number; trainThreads?: 1 | 2 } = { epochs: 1, batchSize: 4 };
      const trainer = await chooseTrainer(tf, 'wasm', p, data, settings, 2, (l) => logged.push(l));
      trainer.close();
      assert.equal(trainer.threads, 2);
      assert.equal(settings.trainThreads, 2);
      assert.equal((p.training as { batchStatistics?: string }).batchStatistics, 'half-batch');
      assert.ok(
        logged.some((l) => /batch normalisation normalises each half-batch/.test(l)),
        logged.join('\n'),
      );
    });
  });
});
