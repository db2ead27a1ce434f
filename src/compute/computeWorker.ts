/**
 * Worker thread of the compute pool (bundled to dist/computeWorker.js): runs stages of the
 * analysis core on its share of the work. Everything heavy is in src/analysis; this file only
 * maps shared buffers to typed arrays and back. The requests and their checks are in protocol.ts.
 */
import { parentPort } from 'node:worker_threads';
import {
  BLOCK_ROWS,
  capacityMatrixFromCodes,
  conditionalRows,
  distanceCodes,
  DistanceCodes,
  DistanceKernel,
  mirrorBlock,
  NeighbourSelector,
  SampleArray,
  squareBlocks,
} from '../analysis';
import { describeError, RpcChannel } from '../rpc/channel';
import { MessagePortLike, threadPort } from '../rpc/ports';
import { capacityCodes, capacityRows, distanceTiles, interSampleRows, RANGE_ERROR_CODE, SharedCodes, SharedSamples } from './protocol';

function samplesOf(s: SharedSamples): SampleArray {
  return s.type === 'float32' ? new Float32Array(s.data) : new Float64Array(s.data);
}

/** A kernel within the default memory budget: larger samples are processed in chunks of coordinates. */
function kernelFor(s: SharedSamples): DistanceKernel {
  return new DistanceKernel(samplesOf(s), s.n, s.d);
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

/**
 * Serves the pool on `port`: every request is checked against its schema by the channel first, so
 * a handler sees only buffers of the declared sizes.
 */
export function serveComputeRequests(port: MessagePortLike): RpcChannel {
  const channel = new RpcChannel(port, {
    peer: 'the compute pool',
    // Keep RangeError a RangeError: callers tell bad parameters from bugs by it.
    describeError: (e) => (e instanceof RangeError ? { code: RANGE_ERROR_CODE, message: e.message } : describeError(e)),
  });
  channel.onRequest(distanceTiles, (req) => {
    const { n } = req.samples;
    const kernel = kernelFor(req.samples);
    const matrix = new Float64Array(req.matrix);
    kernel.tiles(squareBlocks(req.tiles, n), (block, i0, i1, j0, j1) => mirrorBlock(block, BLOCK_ROWS, matrix, n, i0, i1, j0, j1));
    kernel.dispose();
    return {};
  });
  channel.onRequest(interSampleRows, (req) => {
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
    return {};
  });
  channel.onRequest(capacityCodes, (req) => {
    const { count, units, channels, type, data } = req.layer;
    const values = type === 'float32' ? new Float32Array(data) : new Float64Array(data);
    // The share's channels gathered in one sequential pass over the layer, channel after channel:
    // a strided copy per channel would read the whole layer once per channel. Same values, so the
    // same codes as channelMatrix gives (float32 widens exactly in the distance kernel).
    const { c0, c1 } = req;
    const rows = count * units;
    const block = type === 'float32' ? new Float32Array((c1 - c0) * rows) : new Float64Array((c1 - c0) * rows);
    for (let i = 0, src = c0; i < rows; i++, src += channels) for (let c = 0; c < c1 - c0; c++) block[c * rows + i] = values[src + c];
    const codes: SharedCodes[] = [];
    for (let c = 0; c < c1 - c0; c++) codes.push(toShared(distanceCodes(block.subarray(c * rows, (c + 1) * rows), count, units, req.bins)));
    return { codes };
  });
  channel.onRequest(capacityRows, (req) => {
    const columns = req.columns.map(fromShared);
    const rows = req.rows.map(fromShared);
    const share = capacityMatrixFromCodes(columns, rows, [req.r0, req.r1]);
    new Float64Array(req.out).set(share.values, req.r0 * columns.length);
    return {};
  });
  return channel;
}

if (parentPort) serveComputeRequests(threadPort(parentPort));
