/**
 * Two recorded runs several test files need, each written once here: the LeNet demo model on the
 * MNIST digits (its dense1 has 64 units, more than the two tiers of `channelImportance` measure) and
 * test/fixtures/models/wideConv.ts (80 × 80 channels: wider than the exact network-graph cells and
 * the two tiers). Both on the WebAssembly backend; the caller owns `runsFolder`.
 */
import { resolve } from 'node:path';
import { recordRun, RecordResult } from '../../src/recorder/record';

/** examples/mnist-lenet.ts: one epoch on 1,000 digits, a probe of 150. */
export function recordLenet(runsFolder: string): Promise<RecordResult> {
  return recordRun({
    modelFile: resolve(__dirname, '../../examples/mnist-lenet.ts'),
    dataset: 'mnist',
    epochs: 1,
    trainLimit: 1000,
    probeSize: 150,
    runsFolder,
    backend: 'wasm',
    k: 20,
  });
}

/** test/fixtures/models/wideConv.ts: one epoch on 150 synthetic inputs, a probe of 60. */
export function recordWideConv(runsFolder: string): Promise<RecordResult> {
  return recordRun({
    modelFile: resolve(__dirname, '../fixtures/models/wideConv.ts'),
    dataset: 'synthetic:150',
    epochs: 1,
    batchSize: 25,
    probeSize: 60,
    runsFolder,
    k: 10,
    backend: 'wasm',
  });
}
