/** Messages between the analysis service and its forward-pass worker (forwardWorker.ts). */
import type { RunLayer } from '../run/format';

export interface ForwardRequest {
  id: number;
  /** Backend preference; the worker must use the service's backend so both halves agree. */
  backend: string;
  /** Checkpoint folder (already validated by the engine). */
  checkpoint: string;
  layers: RunLayer[];
  /** Float32 inputs `[count, ...inputShape]`. */
  inputs: SharedArrayBuffer;
  count: number;
  last: number;
  from?: { index: number; shape: number[]; data: SharedArrayBuffer };
  /** Per layer: the shared buffer of the whole probe's activations and the byte offset of this half. */
  destinations: { index: number; buffer: SharedArrayBuffer; offset: number; length: number }[];
}

export type ForwardResponse =
  /** The activations are in the request's destinations. */
  | { id: number; type: 'done'; outputs: { index: number; shape: number[] }[] }
  | { id: number; type: 'error'; message: string };
