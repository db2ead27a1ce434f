/**
 * A forward pass over many inputs on two threads: the second half goes to the forward worker
 * (forwardHelper.ts) while this thread runs the first; the layers come out joined, in order. Both
 * halves write into one shared buffer per layer, all allocated up front, so a pass whose layers
 * together exceed {@link MAX_SPLIT_BYTES} (a deep graph model such as a ResNet) runs on this thread
 * alone, handing out each layer as soon as it is computed instead.
 */
import type * as tfType from '@tensorflow/tfjs';
import { CancelledError } from '../compute/pool';
import type { RunLayer } from '../run/format';
import type { BackendPreference } from '../tfjs/backend';
import { Activations, forwardLayers } from '../tfjs/forward';
import { ForwardHelper, resolveForwardScript, shareFloat32 } from '../tfjs/forwardHelper';

/** Inputs below which a forward pass stays on one thread (the hand-over costs more than it saves). */
export const MIN_SPLIT_INPUTS = 64;

/** Most bytes of layer activations a split pass allocates at once (its layers' shared buffers). */
export const MAX_SPLIT_BYTES = 512 * 1024 ** 2;

export interface SplitForwardOptions {
  /** Run forward passes of many inputs on two threads (default true). */
  enabled?: boolean;
  /** Fewest inputs for which a forward pass is split (default 64). */
  minSplitInputs?: number;
}

export interface SplitPass {
  tf: typeof tfType;
  /** The backend this thread runs (`tf.getBackend()`); the worker runs the same. */
  backend: string;
  model: tfType.LayersModel;
  /** The checkpoint folder `model` was loaded from: the worker loads its own copy. */
  checkpoint: string;
  layers: RunLayer[];
  inputs: Float32Array;
  count: number;
  last: number;
  /** Already known activations of a layer below `last` for the same inputs: the pass starts after it. */
  from?: { index: number; activations: Activations };
  /** Only these layers are wanted (`last` among them; forward.ts `keep`); every layer on the way when absent. */
  keep?: readonly number[];
  signal?: AbortSignal;
}

function backendPreference(name: string): BackendPreference {
  return name === 'tensorflow' ? 'tfjs-node' : name === 'wasm' ? 'wasm' : 'cpu';
}

/** Owns the forward worker, started on the first split pass. */
export class SplitForward {
  private helper?: ForwardHelper;

  constructor(private readonly options: SplitForwardOptions = {}) {}

  /** The activations of layers `from.index + 1 ..= last` (from layer 1 without `from`; only `keep` with it), in order. */
  async *layers(p: SplitPass): AsyncGenerator<{ index: number; out: Activations }> {
    const { tf, model, layers, inputs, count: n, last, from, signal } = p;
    const keep = p.keep && new Set(p.keep);
    const script = n >= (this.options.minSplitInputs ?? MIN_SPLIT_INPUTS) ? resolveForwardScript() : undefined;
    const wanted = layers.slice((from?.index ?? 0) + 1, last + 1).filter((l) => !keep || keep.has(l.index));
    const knownShapes = wanted.every((l) => l.outputShape.every((v) => v > 0));
    const bytes = wanted.reduce((sum, l) => sum + n * l.outputShape.reduce((a, b) => a * b, 1) * 4, 0);
    if (!script || !knownShapes || bytes > MAX_SPLIT_BYTES || this.options.enabled === false) {
      yield* forwardLayers({ tf, model, layers, inputs, count: n, last, from, keep, signal });
      return;
    }
    this.helper ??= new ForwardHelper(script);
    const h = Math.ceil(n / 2);
    const inPer = inputs.length / n;
    const fromPer = from ? from.activations.data.length / n : 0;
    // Both threads write their half of every layer straight into one shared buffer per layer.
    const first = (from?.index ?? 0) + 1;
    const full = new Map<number, Float32Array>();
    for (let l = first; l <= last; l++)
      if (!keep || keep.has(l))
        full.set(l, new Float32Array(new SharedArrayBuffer(n * layers[l].outputShape.reduce((a, b) => a * b, 1) * 4)));
    const per = (l: number) => full.get(l)!.length / n;
    const second = this.helper.run({
      backend: backendPreference(p.backend),
      checkpoint: p.checkpoint,
      layers,
      inputs: shareFloat32(inputs.subarray(h * inPer)),
      count: n - h,
      last,
      keep: p.keep && [...p.keep],
      from: from && {
        index: from.index,
        shape: [n - h, ...from.activations.shape.slice(1)],
        data: shareFloat32(from.activations.data.subarray(h * fromPer)),
      },
      destinations: [...full].map(([index, a]) => ({
        index,
        buffer: a.buffer as SharedArrayBuffer,
        offset: h * per(index) * 4,
        length: (n - h) * per(index),
      })),
    });
    second.catch(() => undefined); // awaited below
    const mine = new Map([...full].map(([index, a]) => [index, a.subarray(0, h * per(index))]));
    const firstFrom = from && {
      index: from.index,
      activations: { shape: [h, ...from.activations.shape.slice(1)], data: from.activations.data.subarray(0, h * fromPer) },
    };
    const shapes: [number, number[]][] = [];
    for await (const { index, out } of forwardLayers({
      tf,
      model,
      layers,
      inputs: inputs.subarray(0, h * inPer),
      count: h,
      last,
      from: firstFrom,
      destinations: mine,
      keep,
      signal,
    })) {
      shapes.push([index, out.shape]);
    }
    await second;
    if (signal?.aborted) throw new CancelledError();
    for (const [index, shape] of shapes) yield { index, out: { shape: [n, ...shape.slice(1)], data: full.get(index)! } };
  }

  close(): void {
    this.helper?.close();
    this.helper = undefined;
  }
}
