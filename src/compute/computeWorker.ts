/**
 * Worker thread of the compute pool (bundled to dist/computeWorker.js): runs stages of the
 * analysis core on its share of the work. Everything heavy is in src/analysis; this file only
 * maps shared buffers to typed arrays and back. The requests and their checks are in src/contract/protocols/compute.ts.
 */
import { setFlagsFromString } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import {
  BLOCK_ROWS,
  channelMatrix,
  conditionalRows,
  distanceCodes,
  DistanceCodes,
  fillCapacityCells,
  DistanceKernel,
  featureMapSums as featureMapSumsOf,
  JointHistograms,
  mirrorBlock,
  MatrixNeighbours,
  SampleArray,
  triangleBlocks,
} from '../analysis';
import { fusedScreeningNeedsFlag } from '../analysis/distanceCodes';
import { describeError, RpcChannel } from '../rpc/channel';
import type { ParamsIn, ResultOut } from '../contract/messages';
import { MessagePortLike, threadPort } from '../rpc/ports';
import {
  capacityCellList,
  capacityCodes,
  capacityRows,
  distanceTiles,
  featureMapSums,
  forEachClaimedChunk,
  interSampleRows,
  RANGE_ERROR_CODE,
  SharedCodes,
  SharedSamples,
  touchPages,
} from '../contract/protocols/compute';
import { collectingPort } from '../rpc/sharedBuffers';
import { gatherChannels32 } from './sharedLayer';

// The capacity's screening kernel has fused multiply-adds (src/analysis/wasm/gram32Fma.wat):
// relaxed SIMD, which Node 20's V8 compiles only behind this flag. It enables those instructions
// and changes nothing else; the codes are the same with or without them.
if (fusedScreeningNeedsFlag()) setFlagsFromString('--experimental-wasm-relaxed-simd');

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
  const { buffer: own, byteOffset, byteLength } = c.codes;
  const whole = own instanceof SharedArrayBuffer && byteOffset === 0 && byteLength === own.byteLength;
  const buffer = whole ? own : new SharedArrayBuffer(byteLength);
  if (!whole) (c.bins <= 255 ? new Uint8Array(buffer) : new Uint16Array(buffer)).set(c.codes);
  return { n: c.n, bins: c.bins, codes: buffer, entropyBits: c.entropyBits ?? null, nonFiniteCount: c.nonFiniteCount };
}

/** Room for one channel's codes in shared memory, which distanceCodes fills and the pool reads without a copy. */
function sharedCodes(n: number, bins: number): Uint8Array | Uint16Array {
  const pairs = (n * (n - 1)) / 2;
  return bins <= 255 ? new Uint8Array(new SharedArrayBuffer(pairs)) : new Uint16Array(new SharedArrayBuffer(2 * pairs));
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
    const { tiles } = req;
    try {
      forEachClaimedChunk(tiles.length / 2, req.claims, (a, b) =>
        kernel.tiles(triangleBlocks(tiles.slice(2 * a, 2 * b), n), (block, i0, i1, j0, j1) =>
          mirrorBlock(block, BLOCK_ROWS, matrix, n, i0, i1, j0, j1),
        ),
      );
    } finally {
      kernel.dispose();
    }
    return {};
  });
  channel.onRequest(interSampleRows, (req) => {
    const { K, r0, r1, claims } = req;
    const { n } = req.samples;
    // Row i's neighbours go to entries [i·K, (i + 1)·K) whichever chunk it falls in.
    const indices = new Int32Array(req.indices, 0, r1 * K);
    const weights = new Float64Array(req.weights, 0, r1 * K);
    if (req.matrix) {
      // The rows read the full matrix, or a subset's sub-block of it.
      const neighbours = new MatrixNeighbours(new Float64Array(req.matrix), n, req.subset, K);
      forEachClaimedChunk(r1 - r0, claims, (a, b) => neighbours.select(a, b, indices, weights), r0);
    } else {
      const kernel = kernelFor(req.samples);
      try {
        forEachClaimedChunk(
          r1 - r0,
          claims,
          (a, b) => conditionalRows(kernel, a, b, K, indices.subarray(a * K, b * K), weights.subarray(a * K, b * K)),
          r0,
        );
      } finally {
        kernel.dispose();
      }
    }
    return {};
  });
  channel.onRequest(capacityCodes, (req) => {
    const { count, units, channels, type, data, channelsFirst, gather } = req.layer;
    const per = count * units;
    let matrixOf: (c: number) => SampleArray;
    // Per chunk of channels: a layer left where it is has this worker gather the chunk's channels first.
    let takeChunk: ((a: number, b: number) => void) | undefined;
    if (gather) {
      const whole = new Float32Array(data, gather.offset * 4, gather.inputs * units * gather.channels);
      let first = 0;
      takeChunk = (a, b) => {
        if (gatherScratch.length < (b - a) * per) gatherScratch = new Float32Array((b - a) * per);
        gatherChannels32(whole, units, gather.channels, gather.rows, gather.picked, a, b, gatherScratch);
        first = a;
      };
      matrixOf = (c) => gatherScratch.subarray((c - first) * per, (c - first + 1) * per);
    } else {
      // The buffer may be longer than the layer (the pool reuses a larger one): only the layer's values.
      const length = per * channels;
      const values = type === 'float32' ? new Float32Array(data, 0, length) : new Float64Array(data, 0, length);
      const layer = { count, units, channels, data: values };
      // Channels first, a channel's matrix is a slice (float32 widens exactly: the same distances).
      matrixOf = (c) => (channelsFirst ? values.subarray(c * per, (c + 1) * per) : channelMatrix(layer, c));
    }
    const codes: SharedCodes[] = [];
    const taken: number[] = [];
    forEachClaimedChunk(
      req.c1 - req.c0,
      req.claims,
      (a, b) => {
        takeChunk?.(a, b);
        for (let c = a; c < b; c++) {
          codes.push(toShared(distanceCodes(matrixOf(c), count, units, req.bins, undefined, sharedCodes(count, req.bins))));
          taken.push(c);
        }
      },
      req.c0,
    );
    return req.claims ? { codes, channels: taken } : { codes };
  });
  channel.onRequest(capacityRows, (req) => {
    const columns = req.columns.map(fromShared);
    const rows = req.rows.map(fromShared);
    const out = new Float64Array(req.out);
    const { r0, r1 } = req;
    // The rows' codes are loaded once; the columns are taken in chunks (each cell is computed on
    // its own, so a chunk's cells are the whole matrix's) and written straight into the matrix.
    const joint = new JointHistograms(rows, [r0, r1], undefined, req.symmetric);
    const total = columns.length;
    // Symmetric, column c takes the rows up to it: the chunks go from the last columns, the largest, down.
    forEachClaimedChunk(total, req.claims, (c0, c1) =>
      req.symmetric ? joint.fill(columns, total - c1, total - c0, out, total) : joint.fill(columns, c0, c1, out, total, r0 * total),
    );
    return {};
  });
  channel.onRequest(capacityCellList, (req) => {
    const codes = req.codes.map(fromShared);
    const out = new Float64Array(req.out);
    const transposed = req.transposed ? new Float64Array(req.transposed) : undefined;
    const list = { rows: req.rows, starts: req.starts, columns: req.columns };
    forEachClaimedChunk(req.rows.length, req.claims, (k0, k1) => fillCapacityCells(codes, list, out, k0, k1, transposed));
    return {};
  });
  channel.onRequest(featureMapSums, mapSums);
  channel.onRequest(touchPages, (req) => {
    const bytes = new Uint8Array(req.buffer);
    for (let at = 0; at < bytes.length; at += PAGE_BYTES) bytes[at] = 0;
    return {};
  });
  return channel;
}

/** The channel-entropy sums of the feature maps this worker takes, read where they lie (`featureMapSums`). */
function mapSums(req: ParamsIn<typeof featureMapSums>): ResultOut<typeof featureMapSums> {
  const { units, bins } = req;
  const out = new Float64Array(req.out, 0, req.maps * 2);
  let nonFiniteCount = 0;
  let lo = Infinity;
  let hi = -Infinity;
  forEachClaimedChunk(req.maps, req.claims, (a, b) => {
    const maps = new Float32Array(req.data, (req.offset + a * units) * 4, (b - a) * units);
    const sums = featureMapSumsOf(maps, b - a, units, bins);
    if (!sums) throw new Error('the channel entropies need WebAssembly SIMD, which this worker lacks');
    out.set(sums.sums, a * 2);
    nonFiniteCount += sums.nonFiniteCount;
    if (sums.lo < lo) lo = sums.lo;
    if (sums.hi > hi) hi = sums.hi;
  });
  return { nonFiniteCount, lo, hi };
}

/** This worker's channels gathered out of a layer left where it is (`capacityCodes` with `gather`), kept for the next chunk. */
let gatherScratch = new Float32Array(0);

/** The smallest page size of the machines the service runs on (a write per page maps it). */
const PAGE_BYTES = 4096;

if (parentPort) serveComputeRequests(collectingPort(threadPort(parentPort)));
