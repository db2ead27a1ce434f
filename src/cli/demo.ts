/**
 * `npm run demo`, the main job on the built-in default: (1) the input diversity of the MNIST
 * digits as in the paper's Fig. 5(B); (2) record examples/mnist-lenet.ts on MNIST for a few epochs
 * and print, per layer, the inter-sample entropy, mean channel entropy and dead channels at the
 * first and last recorded epoch; (3) write the four views over that run as a standalone HTML
 * report and print its path.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gatherRows, indicesByClass, sampleWithoutReplacement } from '../analysis';
import { ComputePool } from '../compute/pool';
import { loadMnist } from '../data/mnist';
import { recordRun } from '../recorder/record';
import { readRun } from '../run/store';
import { writeReport } from './report';

export async function runDemo(options: { k: number; seed: number; epochs?: number; out?: string }): Promise<void> {
  const started = performance.now();
  const out = process.stdout;
  await inputDiversity(options);
  const model = resolve(__dirname, '../examples/mnist-lenet.ts');
  const modelFile = existsSync(model) ? model : resolve(process.cwd(), 'examples/mnist-lenet.ts');
  const epochs = options.epochs ?? 3;
  out.write(`\nRecording examples/mnist-lenet.ts on the MNIST digits for ${epochs} epochs (probe of 500 inputs)…\n`);
  let last = '';
  const result = await recordRun(
    {
      modelFile,
      dataset: 'mnist',
      epochs,
      probeSize: 500,
      seed: options.seed,
      k: options.k,
      runsFolder: options.out ?? resolve(process.cwd(), '.cnnslicer/runs'),
    },
    {
      onProgress: (p) => {
        const line =
          p.phase === 'training' ? `  epoch ${p.epoch}/${p.epochs}: ${Math.round(p.fraction * 100)}%` : `  ${p.message ?? p.phase}`;
        if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(last.length)}`);
        last = line;
      },
      log: (line) => {
        if (line.startsWith('epoch') || line.startsWith('backend')) out.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}  ${line}\n`);
      },
    },
  );
  const run = readRun(result.folder);
  const first = run.metrics[0];
  const lastEpoch = run.metrics[run.metrics.length - 1];
  out.write(
    `\nPer layer at epoch ${first.epoch} → epoch ${lastEpoch.epoch} (inter-sample entropy over the ${run.manifest.probe.size} probe inputs, bits; k = ${options.k})\n`,
  );
  const header = ['layer', 'type', 'output', 'inter-sample', 'mean channel H', 'dead channels'];
  const widths = [9, 14, 12, 20, 20, 14];
  out.write(header.map((h, i) => h.padEnd(widths[i])).join('') + '\n');
  const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));
  const mean = (xs: (number | null)[]) => {
    const d = xs.filter((x): x is number => x !== null);
    return d.length ? d.reduce((a, b) => a + b, 0) / d.length : null;
  };
  for (const layer of run.manifest.layers) {
    const a = first.layers[layer.index];
    const b = lastEpoch.layers[layer.index];
    const cells = [
      layer.name,
      layer.className,
      layer.outputShape.join('×'),
      `${fmt(a.interSampleBits)} → ${fmt(b.interSampleBits)}`,
      `${fmt(mean(a.channelBits))} → ${fmt(mean(b.channelBits))}`,
      `${a.deadChannels.length} → ${b.deadChannels.length}`,
    ];
    out.write(cells.map((c, i) => c.padEnd(widths[i])).join('') + '\n');
  }
  out.write(
    `\nProbe accuracy ${(first.probeAccuracy * 100).toFixed(1)}% → ${(lastEpoch.probeAccuracy * 100).toFixed(1)}% on ${run.manifest.backend.name}.\n`,
  );
  out.write(`Run folder: ${result.folder}\n`);
  // 3. The four views over this run, as one self-contained page (no VS Code needed).
  out.write(`\nWriting the views as a standalone report…\n`);
  const report = await writeReport({
    runFolder: result.folder,
    out: join(result.folder, 'report.html'),
    maxEpochs: 6,
    deconvolutionChannels: 16,
    datasetDiversity: true,
    theme: 'light',
  });
  out.write(
    `Report: ${report.out} (${(report.bytes / 1e6).toFixed(1)} MB, ${report.answers} answers, ${(report.ms / 1000).toFixed(1)} s) — open it in a browser.\n`,
  );
  out.write(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
}

/** Paper Fig. 5(B): inter-sample entropy of 100, 500 and all inputs of each digit class. */
async function inputDiversity(options: { k: number; seed: number }): Promise<void> {
  const data = loadMnist();
  const [, h, w, c] = data.shape;
  const d = h * w * c;
  const byClass = indicesByClass(data.labels, data.classNames.length);
  const sizes: (number | 'all')[] = [100, 500, 'all'];
  const out = process.stdout;
  out.write(`CNN Slicer demo\n\n1. Input diversity of the built-in MNIST digits (paper Fig. 5(B))\n`);
  out.write(
    `${data.inputs.length / d} digits of ${h}×${w}; inter-sample entropy in bits, k = ${options.k}, subsets drawn with seed ${options.seed}\n\n`,
  );
  const pool = new ComputePool();
  try {
    const header = ['class', ...sizes.map((s) => (s === 'all' ? 'all inputs' : `${s} inputs`))];
    out.write(header.map((s, i) => (i === 0 ? s.padEnd(6) : s.padStart(18))).join('') + '\n');
    for (let k = 0; k < byClass.length; k++) {
      const cells: string[] = [];
      for (const size of sizes) {
        const rows = size === 'all' ? byClass[k] : sampleWithoutReplacement(byClass[k], size, options.seed + k);
        const r = await pool.interSampleEntropy(gatherRows(data.inputs, d, rows), rows.length, d, { k: options.k });
        cells.push(`${r.entropyBits === undefined ? 'undefined' : r.entropyBits.toFixed(3)} (n=${rows.length})`);
      }
      out.write(data.classNames[k].padEnd(6) + cells.map((s) => s.padStart(18)).join('') + '\n');
    }
  } finally {
    pool.close();
  }
  out.write(`\nThe entropy grows like log2(N·K): compare classes within a column, not across columns.\n`);
}
