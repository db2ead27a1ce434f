// A synthetic report shaped like examples/cifar-cnn.ts (conv 32, conv 32, pool, conv 64, conv 64,
// pool, flatten, dense, dense) holding capacity matrices of deterministic pseudo-random values for
// the pairs a Layer view asks: every consecutive multi-channel pair and conv1 against every later
// multi-channel layer, at every epoch. Each matrix's values are scaled by its own factor, so the
// maxima differ between pairs and epochs, as they do in a real run.
import { join } from 'node:path';
import { canonicalQuery } from '../../src/contract/queries';
import type { CapacityMatrixAnswer } from '../../src/contract/queries';
import type { RunManifest } from '../../src/contract/runFormat';
import type { ReportData } from '../../src/contract/reportCodec';
import { capacityPairs, depthPairs, queries } from '../../src/contract/plan';
import { tempDir, writePage } from './harness';

const ALL = { kind: 'all' } as const;

function order(a: Pick<CapacityMatrixAnswer, 'rows' | 'columns' | 'values'>, axis: 'row' | 'column', by: 'max' | 'mean'): number[] {
  const n = axis === 'row' ? a.rows : a.columns;
  const m = axis === 'row' ? a.columns : a.rows;
  const key = Array.from({ length: n }, (_, i) => {
    const vs: number[] = [];
    for (let k = 0; k < m; k++) {
      const v = axis === 'row' ? a.values[i * a.columns + k] : a.values[k * a.columns + i];
      if (v !== null) vs.push(v);
    }
    if (!vs.length) return -Infinity;
    return by === 'max' ? Math.max(...vs) : vs.reduce((s, v) => s + v, 0) / vs.length;
  });
  return Array.from({ length: n }, (_, i) => i).sort((x, y) => key[y] - key[x] || x - y);
}

export interface CifarShapeReport {
  file: string;
  manifest: RunManifest;
  /** Every capacity matrix the report holds, by "i:j@epoch". */
  answers: Map<string, CapacityMatrixAnswer>;
}

/** Writes the synthetic report (light or dark theme) and returns it with its answers. */
export function cifarShapeReport(base: RunManifest, o: { theme?: 'light' | 'dark'; name: string }): CifarShapeReport {
  const conv = (index: number, name: string, side: number, channels: number) => ({
    index,
    name,
    className: 'Conv2D',
    outputShape: [side, side, channels],
    channels,
    parameters: channels * 9,
  });
  const manifest: RunManifest = {
    ...base,
    id: `synthetic-cifar-${o.name}`,
    epochs: [0, 1, 2],
    layers: [
      { index: 0, name: 'input', className: 'InputLayer', outputShape: [32, 32, 3], channels: 3, parameters: 0 },
      conv(1, 'conv2d_Conv2D1', 32, 32),
      conv(2, 'conv2d_Conv2D2', 32, 32),
      { ...conv(3, 'max_pooling2d_MaxPooling2D1', 16, 32), className: 'MaxPooling2D', parameters: 0 },
      conv(4, 'conv2d_Conv2D3', 16, 64),
      conv(5, 'conv2d_Conv2D4', 16, 64),
      { ...conv(6, 'max_pooling2d_MaxPooling2D2', 8, 64), className: 'MaxPooling2D', parameters: 0 },
      { index: 7, name: 'flatten_Flatten1', className: 'Flatten', outputShape: [4096], channels: 1, parameters: 0 },
      { index: 8, name: 'dense_Dense1', className: 'Dense', outputShape: [128], channels: 1, parameters: 4096 * 128 },
      { index: 9, name: 'dense_Dense2', className: 'Dense', outputShape: [10], channels: 1, parameters: 1290 },
    ],
  };
  const pairs = [...capacityPairs(manifest), ...depthPairs(manifest)];
  const answers = new Map<string, CapacityMatrixAnswer>();
  const entries: ReportData['answers'] = {};
  let seed = 4242;
  for (const [i, j] of pairs)
    for (const epoch of manifest.epochs) {
      const key = `${i}:${j}@${epoch}`;
      if (answers.has(key)) continue;
      const rows = manifest.layers[j].channels;
      const columns = manifest.layers[i].channels;
      // A top that differs for every pair and epoch: 1.6 to 2.6 bits.
      const top = 1.6 + ((i * 7 + j * 3 + epoch * 5) % 11) / 10;
      const values: (number | null)[] = [];
      for (let k = 0; k < rows * columns; k++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        values.push(k % 211 === 7 ? null : (seed / 2 ** 32) * top);
      }
      const m = { rows, columns, values };
      const answer: CapacityMatrixAnswer = {
        layerI: i,
        layerJ: j,
        epoch,
        inputCount: 300,
        bins: 32,
        ...m,
        orders: {
          rowMax: order(m, 'row', 'max'),
          rowMean: order(m, 'row', 'mean'),
          columnMax: order(m, 'column', 'max'),
          columnMean: order(m, 'column', 'mean'),
        },
      };
      answers.set(key, answer);
      entries[canonicalQuery(queries.capacityMatrix(i, j, epoch, ALL))] = { answer };
    }
  const data: ReportData = {
    formatVersion: 1,
    runId: manifest.id,
    createdAt: new Date().toISOString(),
    manifest,
    answers: entries,
    coverage: 'synthetic capacity matrices of a CIFAR-shaped model',
  };
  const file = writePage(join(tempDir('cnn-slicer-cifar-shape-'), `${o.name}.html`), { data, theme: o.theme ?? 'light', title: o.name });
  return { file, manifest, answers };
}
