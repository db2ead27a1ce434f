import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import { recordRun } from '../../../src/recorder/record';
import { readRun } from '../../../src/run/store';
import { initBackend } from '../../../src/tfjs/backend';
import { TINY_MODEL } from '../../support/tinyRun';

/** Where tfjs-node resolves from here, or why it does not (its install downloads libtensorflow, so it is often absent). */
function tfjsNodeInstalled(): { installed: true } | { installed: false; reason: string } {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return { installed: true };
  } catch (e) {
    return { installed: false, reason: `@tensorflow/tfjs-node is not installed (${String((e as Error).message).split('\n')[0]})` };
  }
}

describe('backend order (src/tfjs/backend.ts): tfjs-node, then wasm, then cpu', function () {
  this.timeout(120000);
  let previous: string;
  before(() => {
    previous = tfjs.getBackend();
  });
  after(async () => {
    if (previous) await tfjs.setBackend(previous);
  });

  it('tries tfjs-node first: "auto" gives tfjs-node where it is installed, else wasm with tfjs-node as the first reason', async () => {
    const r = await initBackend('auto');
    if (tfjsNodeInstalled().installed) {
      assert.equal(r.backend, 'tensorflow', r.fallbackReasons.join('; '));
      assert.deepEqual(r.fallbackReasons, []);
    } else {
      assert.equal(r.backend, 'wasm');
      assert.match(r.fallbackReasons.find((reason) => !reason.startsWith('tfjs-node-gpu: ')) ?? '', /^tfjs-node: /);
    }
  });

  it('records a run on tfjs-node when it is installed: the manifest names it and the epoch is trained', async function () {
    const found = tfjsNodeInstalled();
    if (!found.installed) {
      // Mocha's skip takes no reason: the title carries it into the report.
      this.test!.title += ` — skipped: ${found.reason}`;
      this.skip();
    }
    const runs = mkdtempSync(join(tmpdir(), 'cnn-slicer-tfjs-node-'));
    try {
      const r = await recordRun({
        modelFile: TINY_MODEL,
        dataset: 'synthetic:300',
        epochs: 1,
        batchSize: 16,
        probeSize: 60,
        runsFolder: runs,
        k: 20,
        backend: 'auto',
      });
      assert.equal(r.manifest.backend.name, 'tensorflow', r.manifest.backend.fallbackReasons.join('; '));
      assert.deepEqual(r.manifest.epochs, [0, 1]);
      const trained = readRun(r.folder).metrics[1];
      assert.ok(typeof trained.trainLoss === 'number' && Number.isFinite(trained.trainLoss), `a training loss, got ${trained.trainLoss}`);
      assert.equal(
        trained.confusion.flat().reduce((a, b) => a + b, 0),
        60,
        'every probe input was predicted',
      );
      assert.equal(trained.layers.length, r.manifest.layers.length);
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  });
});
