/**
 * The typed protocol between the compute pool (main thread) and its worker threads. Bulk data
 * travels in SharedArrayBuffers, so messages carry only buffers and ranges.
 */
import type { SortKey } from '../analysis';

export const COMPUTE_PROTOCOL_VERSION = 1;

/** Row-major samples `[n, d]` shared by every worker. */
export interface SharedSamples {
  n: number;
  d: number;
  /** Element type of `data`. */
  type: 'float32' | 'float64';
  data: SharedArrayBuffer;
}

/** Layer activations `[count, units, channels]` (channels last) shared by every worker. */
export interface SharedLayer {
  count: number;
  units: number;
  channels: number;
  type: 'float32' | 'float64';
  data: SharedArrayBuffer;
}

export type WorkerRequest =
  | {
      /** Fill tiles of a shared symmetric `n × n` distance matrix. */
      type: 'distances/tiles';
      id: number;
      samples: SharedSamples;
      matrix: SharedArrayBuffer;
      /** Flat list of tile origins `[i0, j0, i0, j0, ...]` (tiles of BLOCK_ROWS). */
      tiles: number[];
    }
  | {
      /** Neighbours and weights of rows `[r0, r1)` (inter-sample entropy stage 2). */
      type: 'interSample/rows';
      id: number;
      /** Read distances from this shared matrix when given, else compute them from `samples`. */
      matrix?: SharedArrayBuffer;
      samples: SharedSamples;
      K: number;
      r0: number;
      r1: number;
      indices: SharedArrayBuffer;
      weights: SharedArrayBuffer;
      /** Work on this subset of the samples only (rows r0..r1 index the subset); needs `matrix`. */
      subset?: number[];
    }
  | {
      /** Binned pair-distance codes of channels `[c0, c1)` of a shared layer (capacity stage 1). */
      type: 'capacity/codes';
      id: number;
      layer: SharedLayer;
      c0: number;
      c1: number;
      bins: number;
    }
  | {
      /** Rows `[r0, r1)` of a capacity matrix from shared codes. */
      type: 'capacity/rows';
      id: number;
      columns: SharedCodes[];
      rows: SharedCodes[];
      r0: number;
      r1: number;
      out: SharedArrayBuffer;
    };

/** Distance codes as shared memory. */
export interface SharedCodes {
  n: number;
  bins: number;
  codes: SharedArrayBuffer;
  entropyBits: number | null;
  nonFiniteCount: number;
}

export type WorkerResponse =
  | { type: 'done'; id: number; codes?: SharedCodes[] }
  | { type: 'error'; id: number; message: string; name: string };

/** Re-export so callers of the pool name sort keys without importing the analysis core twice. */
export type { SortKey };

/** A request before the pool gives it an id (Omit distributed over the union's members). */
export type WorkerRequestBody = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
