/**
 * Worker thread of the compute pool (bundled to dist/computeWorker.js): runs stages of the
 * analysis core on its share of the work. Everything heavy is in src/analysis; this file only
 * maps shared buffers to typed arrays and back.
 */
import { parentPort } from 'node:worker_threads';
import {
  BLOCK_ROWS,
  capacityBits,
  conditionalRows,
  distanceCodes,
  DistanceCodes,
  DistanceKernel,
  mirrorBlock,
  NeighbourSelector,
} from '../analysis';
import type { SharedCodes, SharedSamples, WorkerRequest, WorkerResponse } from './protocol';

function kernelFor(s: SharedSamples): DistanceKernel {
  return new DistanceKernel(new Float64Array(s.data), s.n, s.d);
}

function fromShared(c: SharedCodes): DistanceCodes {
  const codes = c.bins <= 255 ? new Uint8Array(c.codes) : new Uint16Array(c.codes);
  return { n: c.n, bins: c.bins, codes, entropyBits: c.entropyBits ?? undefined, nonFiniteCount: c.nonFiniteCount };
}

function toShared(c: DistanceCodes): SharedCodes {
  const buffer = new SharedArrayBuffer(c.codes.byteLength);
  (c.bins <= 255 ? new Uint8Array(buffer) : new Uint16Array(buffer)).set(c.codes);
  return { n: c.n, bins: c.bins, codes: buffer, entropyBits: c.entropyBits ?? null, nonFiniteCount: c.nonFiniteCount };
}

function handle(req: WorkerRequest): WorkerResponse {
  switch (req.type) {
    case 'distances/tiles': {
      const { n } = req.samples;
      const kernel = kernelFor(req.samples);
      const matrix = new Float64Array(req.matrix);
      const block = new Float64Array(BLOCK_ROWS * BLOCK_ROWS);
      for (let t = 0; t < req.tiles.length; t += 2) {
        const i0 = req.tiles[t];
        const j0 = req.tiles[t + 1];
        const i1 = Math.min(n, i0 + BLOCK_ROWS);
        const j1 = Math.min(n, j0 + BLOCK_ROWS);
        kernel.distances(i0, i1, j0, j1, block, 0, BLOCK_ROWS);
        mirrorBlock(block, BLOCK_ROWS, matrix, n, i0, i1, j0, j1);
      }
      kernel.dispose();
      return { type: 'done', id: req.id };
    }
    case 'interSample/rows': {
      const { K, r0, r1 } = req;
      const { n } = req.samples;
      const indices = new Int32Array(req.indices, r0 * K * 4, (r1 - r0) * K);
      const weights = new Float64Array(req.weights, r0 * K * 8, (r1 - r0) * K);
      if (req.matrix && req.subset) {
        // A subset's distances are a sub-block of the full matrix: gather each row, then select.
        const matrix = new Float64Array(req.matrix);
        const subset = req.subset;
        const m = subset.length;
        const row = new Float64Array(m);
        const selector = new NeighbourSelector(m, K);
        for (let i = r0; i < r1; i++) {
          const base = subset[i] * n;
          for (let j = 0; j < m; j++) row[j] = matrix[base + subset[j]];
          selector.select(row, 0, i, indices, weights, (i - r0) * K);
        }
      } else if (req.matrix) {
        const matrix = new Float64Array(req.matrix);
        const selector = new NeighbourSelector(n, K);
        for (let i = r0; i < r1; i++) selector.select(matrix, i * n, i, indices, weights, (i - r0) * K);
      } else {
        const kernel = kernelFor(req.samples);
        conditionalRows(kernel, r0, r1, K, indices, weights);
        kernel.dispose();
      }
      return { type: 'done', id: req.id };
    }
    case 'capacity/codes': {
      const codes = req.channels.map((s) => toShared(distanceCodes(new Float64Array(s.data), s.n, s.d, req.bins)));
      return { type: 'done', id: req.id, codes };
    }
    case 'capacity/rows': {
      const columns = req.columns.map(fromShared);
      const rows = req.rows.map(fromShared);
      const out = new Float64Array(req.out);
      const joint = new Float64Array((columns[0]?.bins ?? 2) * (rows[0]?.bins ?? 2));
      for (let r = req.r0; r < req.r1; r++) {
        for (let c = 0; c < columns.length; c++) out[r * columns.length + c] = capacityBits(columns[c], rows[r], joint) ?? NaN;
      }
      return { type: 'done', id: req.id };
    }
    default: {
      const never: never = req;
      throw new Error(`unknown request ${(never as { type: string }).type}`);
    }
  }
}

parentPort?.on('message', (req: WorkerRequest) => {
  let res: WorkerResponse;
  try {
    res = handle(req);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    res = { type: 'error', id: req.id, message: err.message, name: err.name };
  }
  parentPort!.postMessage(res);
});
