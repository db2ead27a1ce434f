/**
 * Where a ResNet-18 training step goes, per kernel, and what its first batch does to memory, with
 * the fused BatchNormalization (src/tfjs/wasmBatchNorm.ts) or without it (`--stock`: tfjs-layers'
 * own `moments` + `batchNorm` path, the fused kernel unregistered).
 *
 *   npx tsx bench/resnetProfile.ts [--width 64|16] [--batch 64] [--steps 3] [--stock]
 *
 * Run each variant in its own process: the WASM heap never shrinks, so the memory figures are the
 * process's own. Reported: RSS and WASM heap before and after the first training batch (its growth
 * is what every later batch reuses), tfjs's peak bytes during one profiled step, then `--steps`
 * profiled steps' time per kernel name (CPU time is the steadier figure on a shared machine), the
 * share of the kernels only batch normalisation runs, and of the residual adds.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { createResNet18 } from '../examples/resnet18';
import { seededRandom } from '../src/analysis';
import { initBackend } from '../src/tfjs/backend';
import { BATCH_NORM_TRAIN } from '../src/tfjs/wasmBatchNorm';
import { forwardFlops } from './flops';

/** Kernels that, in a ResNet's training step, only batch normalisation (stock or fused) runs. */
const BATCH_NORM_KERNELS = new Set([
  'FusedBatchNorm',
  'Mean',
  'SquaredDifference',
  'Square',
  'Rsqrt',
  'Tile',
  'Reciprocal',
  'Neg',
  'Pow',
  BATCH_NORM_TRAIN,
  'CnnSlicerBatchNormTrainGrad',
]);

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

async function main(): Promise<void> {
  const width = option('--width', 64);
  const batch = option('--batch', 64);
  const steps = option('--steps', 3);
  const stock = process.argv.includes('--stock');
  const { tf, backend } = await initBackend('wasm');
  if (backend !== 'wasm') throw new Error('the WASM backend is unavailable');
  if (stock) tf.unregisterKernel(BATCH_NORM_TRAIN, 'wasm');
  const heapBytes = () => ((tf.backend() as BackendWasm).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer.byteLength;
  const random = seededRandom(3);
  const x = tf.tensor4d(
    Float32Array.from({ length: batch * 32 * 32 * 3 }, () => random()),
    [batch, 32, 32, 3],
  );
  const y = tf.tidy(() =>
    tf.oneHot(
      tf.tensor1d(
        Int32Array.from({ length: batch }, (_, i) => i % 10),
        'int32',
      ),
      10,
    ),
  );
  const model = createResNet18({ baseFilters: width });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const flops = forwardFlops(model);
  const before = { rss: process.memoryUsage().rss, heap: heapBytes() };
  let start = performance.now();
  await model.trainOnBatch(x, y);
  const firstMs = performance.now() - start;
  const after = { rss: process.memoryUsage().rss, heap: heapBytes() };
  console.log(
    `ResNet-18 at width ${width} (${(flops / 1e6).toFixed(0)} MFLOP/input forward), batch ${batch}, ${stock ? 'stock' : 'fused'} BatchNormalization, load average ${loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `  first batch ${(firstMs / 1000).toFixed(1)} s: RSS ${mb(before.rss)} → ${mb(after.rss)} MB (+${mb(after.rss - before.rss)}, ${(
      (after.rss - before.rss) /
      2 ** 20 /
      batch
    ).toFixed(1)} MB per input), WASM heap ${mb(before.heap)} → ${mb(after.heap)} MB`,
  );
  const byName = new Map<string, { ms: number; calls: number }>();
  let peakBytes = 0;
  const startCpu = process.cpuUsage();
  start = performance.now();
  for (let step = 0; step < steps; step++) {
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
      return [];
    });
    peakBytes = Math.max(peakBytes, info.peakBytes);
    for (const kernel of info.kernels) {
      const entry = byName.get(kernel.name) ?? { ms: 0, calls: 0 };
      entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
      entry.calls++;
      byName.set(kernel.name, entry);
    }
  }
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(startCpu);
  const cpuMs = (used.user + used.system) / 1000;
  // tf.profile also lists the scopes that wrap kernels (an op's `…__op`, a custom gradient's
  // "unnamed scope"), whose time is their kernels' again: they are left out.
  const rows = [...byName.entries()]
    .filter(([name]) => !name.endsWith('__op') && name !== 'unnamed scope')
    .sort((a, b) => b[1].ms - a[1].ms);
  const total = rows.reduce((sum, [, e]) => sum + e.ms, 0);
  const share = (names: (name: string) => boolean) => rows.filter(([n]) => names(n)).reduce((sum, [, e]) => sum + e.ms, 0);
  console.log(
    `  ${steps} profiled steps: ${(wallMs / steps / 1000).toFixed(2)} s per step (${(cpuMs / steps / 1000).toFixed(2)} s CPU; ` +
      `${((3 * flops * batch) / (cpuMs / steps / 1000) / 1e9).toFixed(1)} GFLOP/s per CPU second), ${((100 * total) / wallMs).toFixed(0)}% inside kernels; ` +
      `tfjs peak ${mb(peakBytes)} MB in a step; RSS now ${mb(process.memoryUsage().rss)} MB, peak ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
  );
  console.log(
    `  batch normalisation's kernels ${((100 * share((n) => BATCH_NORM_KERNELS.has(n))) / total).toFixed(1)}% of kernel time; ` +
      `Add/AddN (residual adds, also gradient sums) ${((100 * share((n) => n === 'Add' || n === 'AddN')) / total).toFixed(1)}%`,
  );
  for (const [name, e] of rows.slice(0, 18)) {
    console.log(
      `    ${name.padEnd(30)} ${(e.ms / steps).toFixed(0).padStart(7)} ms/step ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${e.calls / steps} calls/step`,
    );
  }
  model.dispose();
  tf.dispose([x, y]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
