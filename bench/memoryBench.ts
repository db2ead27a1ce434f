/**
 * Memory of a deep model's recording (issue 29): the ResNet-50 of test/fixtures/models/resnet50.ts
 * (174 recorded layers, 23.6 million weights, 32×32×3 inputs), one epoch on 300 CIFAR-format
 * inputs, probe 100, every other setting the default, in a fresh child process; its peak resident
 * memory against the goal of 2 GB. The reference, in the same run: the same recording with two
 * training threads and the measurement worker asked for (`--train-threads 2`, overlapped
 * measurement: three WebAssembly heaps), which is what a model this size got before the recorder
 * planned its memory (twoCoreTraining.ts `memoryBound`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFakeCifar } from './fakeCifar';

/** Goal for the ResNet-50 recording's peak memory, MB. */
export const RESNET50_GOAL_MB = 2048;

export interface MemoryFigures {
  seconds: number;
  /** The recorder's log lines that say how it trains and measures. */
  plan: string[];
}

/** One recording of the ResNet-50 in this process (the bench's child); `asked` forces two threads and overlapped measurement. */
export async function recordResnet50(asked: boolean): Promise<MemoryFigures> {
  const { recordRun } = await import('../src/recorder/record');
  const dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-bench-memory-'));
  const plan: string[] = [];
  try {
    const t0 = performance.now();
    await recordRun(
      {
        modelFile: resolve(__dirname, '../test/fixtures/models/resnet50.ts'),
        dataset: `cifar10:${writeFakeCifar(dir, 1000, { structured: true })}`,
        epochs: 1,
        trainLimit: 300,
        probeSize: 100,
        runsFolder: join(dir, 'runs'),
        ...(asked ? { trainThreads: 2 as const, overlapMeasurement: true } : {}),
      },
      { log: (line) => /thread|parts|measur/.test(line) && plan.push(line) },
    );
    return { seconds: (performance.now() - t0) / 1000, plan };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
