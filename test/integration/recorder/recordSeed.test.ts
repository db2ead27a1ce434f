import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { recordRun } from '../../../src/recorder/record';

// Unseeded initialisers, Gaussian noise and a dropout mask: every random draw tfjs makes while it
// builds and trains a model.
const model = resolve(__dirname, '../../fixtures/models/blockDropout.ts');

describe('a recording is reproducible from its seed', function () {
  this.timeout(240000);
  let runs: string;
  before(() => (runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-seed-'))));
  after(() => rmSync(runs, { recursive: true, force: true }));

  /** The weights after the last epoch and the training losses of a recording with `seed`. */
  async function record(seed: number): Promise<{ weights: Buffer; losses: unknown[] }> {
    const { folder } = await recordRun({
      modelFile: model,
      dataset: 'synthetic:96',
      epochs: 2,
      batchSize: 16,
      probeSize: 24,
      k: 10,
      seed,
      backend: 'cpu',
      overlapMeasurement: false,
      runsFolder: runs,
    });
    const metrics = readFileSync(join(folder, 'metrics.jsonl'), 'utf8').trim().split('\n');
    return {
      weights: readFileSync(join(folder, 'checkpoints', 'epoch-0002', 'weights.bin')),
      losses: metrics.map((line) => (JSON.parse(line) as { loss?: unknown }).loss),
    };
  }

  it("draws tfjs's initial weights, noise and dropout masks from the seed, and leaves Math.random as it was", async function () {
    const native = Math.random;
    const first = await record(3);
    assert.equal(Math.random, native, 'the recording left its generator in Math.random');
    const again = await record(3);
    assert.ok(first.weights.equals(again.weights), 'the same seed trained other weights');
    assert.deepEqual(again.losses, first.losses);
    const other = await record(4);
    assert.ok(!other.weights.equals(first.weights), 'another seed trained the same weights');
  });
});
