/**
 * What the measures mean for the model: the speed of the ablation queries and of the findings.
 * - `channelImportance` of a 64-channel layer of examples/cifar-cnn.ts over 500 probe inputs, cold
 *   (a warmed service: backend, workers and kernels ready; the epoch's model not loaded, no
 *   activation in memory, no answer cached): goal < 5 s. Both 64-channel convolutions are timed:
 *   the first one's tail holds the second convolution (65 passes of it), the costlier case.
 * - one `ablation` answer, warm (the layer's activations in memory, the model loaded): < 300 ms.
 * - `findings` on a recorded LeNet run, nothing cached: < 3 s.
 * CIFAR-10 itself is not on these machines: random images in its binary format (bench/fakeCifar.ts).
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { recordRun } from '../src/recorder/record';
import { AnalysisEngine } from '../src/service/engine';
import type { Query } from '../src/contract/queries';
import type { ServiceBenchLine } from './serviceBench';

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000, value };
}

export async function benchAblation(workDir: string, cifarFolder: string): Promise<ServiceBenchLine[]> {
  const runs = join(workDir, 'ablation-runs');
  const lines: ServiceBenchLine[] = [];
  const cifar = await recordRun({
    modelFile: resolve(__dirname, '../examples/cifar-cnn.ts'),
    dataset: `cifar10:${cifarFolder}`,
    epochs: 1,
    probeSize: 500,
    trainLimit: 500,
    runsFolder: runs,
  });
  const wide = cifar.manifest.layers.filter((l) => l.channels === 64 && l.outputShape.length === 3 && l.className === 'Conv2D');
  if (wide.length < 2) throw new Error('examples/cifar-cnn.ts no longer has two 64-channel convolutions');
  const warm: Query = { kind: 'featureMaps', layer: wide[1].index, channels: [0], epoch: 0, x: { kind: 'all' } };
  for (const layer of wide) {
    const engine = new AnalysisEngine({ roots: [runs] });
    try {
      await engine.answer(cifar.folder, warm);
      const cold = await timed(() => engine.answer(cifar.folder, { kind: 'channelImportance', layer: layer.index, epoch: 1 }));
      lines.push({
        label: `channelImportance of ${layer.name} (64 channels, 500 inputs, ${cifar.manifest.layers.length - 1 - layer.index} layers after it), cold (CPU ${(cold.cpuMs / 1000).toFixed(1)} s on all threads)`,
        ms: cold.ms,
        goalMs: 5000,
      });
      const warmAblation = await timed(() =>
        engine.answer(cifar.folder, { kind: 'ablation', layer: layer.index, epoch: 1, channels: [3, 17, 40] }),
      );
      lines.push({ label: `  one ablation of 3 channels of ${layer.name}, warm`, ms: warmAblation.ms, goalMs: 300 });
    } finally {
      engine.close();
    }
  }
  const lenet = await recordRun({
    modelFile: resolve(__dirname, '../examples/mnist-lenet.ts'),
    dataset: 'mnist',
    epochs: 3,
    trainLimit: 5000,
    probeSize: 500,
    runsFolder: runs,
  });
  const engine = new AnalysisEngine({ roots: [runs] });
  try {
    await engine.answer(lenet.folder, { kind: 'featureMaps', layer: 1, channels: [0], epoch: 0, x: { kind: 'all' } });
    const findings = await timed(() => engine.answer(lenet.folder, { kind: 'findings' }));
    lines.push({
      label: `findings of a LeNet run (3 epochs, probe 500), nothing cached: ${findings.value.answer.findings.length} findings (CPU ${(findings.cpuMs / 1000).toFixed(1)} s)`,
      ms: findings.ms,
      goalMs: 3000,
    });
  } finally {
    engine.close();
    rmSync(runs, { recursive: true, force: true });
  }
  return lines;
}
