/**
 * `npm run demo`: the paper's input-diversity measurement (Fig. 5(B)) on the built-in MNIST
 * digits: the inter-sample entropy of 100, 500 and all inputs of each class.
 */
import { gatherRows, indicesByClass, sampleWithoutReplacement } from '../analysis';
import { ComputePool } from '../compute/pool';
import { loadMnist } from '../data/mnist';

export async function runDemo(options: { k: number; seed: number }): Promise<void> {
  const started = performance.now();
  const data = loadMnist();
  const [, h, w, c] = data.shape;
  const d = h * w * c;
  const byClass = indicesByClass(data.labels, data.classNames.length);
  const sizes: (number | 'all')[] = [100, 500, 'all'];
  const out = process.stdout;
  out.write(`CNN Slicer demo: input diversity of the built-in MNIST digits (paper Fig. 5(B))\n`);
  out.write(`${data.inputs.length / d} digits of ${h}×${w}; inter-sample entropy in bits, k = ${options.k}, subsets drawn with seed ${options.seed}\n\n`);
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
  out.write(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
}
