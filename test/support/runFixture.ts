/**
 * A small, hand-made run folder for the tests of src/run: what the recorder writes, without
 * TensorFlow.js, so a test can damage exactly one thing and see what the reader makes of it.
 * Three layers (input [2, 2, 1], conv [2, 2, 3], dense [2]), two classes, four probe inputs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeNpy } from '../../src/analysis';
import type { EpochMetrics, RunManifest } from '../../src/contract/runFormat';
import { epochFolder } from '../../src/run/paths';

export function fixtureManifest(id: string, epochs: number[]): RunManifest {
  return {
    formatVersion: 1,
    id,
    status: 'completed',
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:01:00.000Z',
    model: { file: '/models/tiny.ts', fingerprint: '0123456789abcdef', name: 'tiny.ts', sourceFiles: ['/models/tiny.ts'] },
    layers: [
      { index: 0, name: 'input', className: 'Input', outputShape: [2, 2, 1], channels: 1, parameters: 0 },
      {
        index: 1,
        name: 'conv',
        className: 'Conv2D',
        outputShape: [2, 2, 3],
        channels: 3,
        parameters: 12,
        source: { file: '/models/tiny.ts', line: 3, column: 5 },
      },
      { index: 2, name: 'dense', className: 'Dense', outputShape: [2], channels: 1, parameters: 26 },
    ],
    dataset: { spec: 'synthetic:8', name: 'synthetic', fingerprint: 'abc', classNames: ['a', 'b'], inputShape: [2, 2, 1], trainSize: 4 },
    probe: { size: 4, inputsFile: 'probe/inputs.npy', labelsFile: 'probe/labels.npy', classCounts: [2, 2] },
    settings: { epochs: 2, batchSize: 2, optimizer: 'adam', learningRate: 0.001, seed: 1, recordEvery: 1, probeSize: 4, bins: 8, k: 2 },
    backend: { name: 'cpu', fallbackReasons: [] },
    epochs,
  };
}

export function fixtureMetrics(epoch: number): EpochMetrics {
  const layer = (index: number, channels: number) => ({
    layer: index,
    interSampleBits: 1.5,
    interSampleBitsPerClass: [0.5, null],
    channelBits: Array.from({ length: channels }, () => 0.25),
    channelBitsPerClass: [Array.from({ length: channels }, () => 0.5), Array.from({ length: channels }, () => null)],
    deadChannels: [],
    nonFiniteCount: 0,
  });
  return {
    epoch,
    trainLoss: epoch === 0 ? null : 0.7,
    trainAccuracy: epoch === 0 ? null : 0.5,
    probeLoss: 0.69,
    probeAccuracy: 0.5,
    confusion: [
      [1, 1],
      [1, 1],
    ],
    hLabelGivenPred: [1, 1],
    hPredGivenLabel: [1, null],
    layers: [layer(0, 1), layer(1, 3), layer(2, 1)],
    timingsMs: { train: 1, record: 2 },
  };
}

/** Writes a complete run with `epochs` recorded into `folder`; returns its manifest. */
export function writeFixtureRun(folder: string, epochs = [0, 1, 2]): RunManifest {
  const manifest = fixtureManifest(folder.split(/[\\/]/).pop()!, epochs);
  mkdirSync(join(folder, 'probe'), { recursive: true });
  writeFileSync(
    join(folder, 'probe', 'inputs.npy'),
    serializeNpy({ dtype: 'float32', shape: [4, 2, 2, 1], data: Float32Array.from({ length: 16 }, (_, i) => i / 16) }),
  );
  writeFileSync(join(folder, 'probe', 'labels.npy'), serializeNpy({ dtype: 'int32', shape: [4], data: Int32Array.from([0, 1, 0, 1]) }));
  for (const e of epochs) {
    const dir = join(folder, 'checkpoints', epochFolder(e));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'model.json'),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }),
    );
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc((12 + 26) * 4));
  }
  writeFileSync(join(folder, 'metrics.jsonl'), epochs.map((e) => JSON.stringify(fixtureMetrics(e)) + '\n').join(''));
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
