/**
 * A forward pass over many inputs on two threads: the second half goes to the forward worker
 * (forwardHelper.ts) while this thread runs the first; the layers come out joined, in order. Both
 * halves write into one shared buffer per layer, all allocated up front, so a pass whose layers
 * together exceed {@link MAX_SPLIT_BYTES} (a deep graph model such as a ResNet) runs as split passes
 * of one segment of layers after another, each starting from the layer the one before ended at.
 */
import type * as tfType from '@tensorflow/tfjs';
import { CancelledError } from '../analysis/errors';
import type { RunLayer } from '../contract/runFormat';
import { type Backend, backendOfTfjsName } from '../contract/recordSettings';
import { Activations, forwardLayers } from '../tfjs/forward';
import { ForwardHelper, resolveForwardScript, shareFloat32 } from '../tfjs/forwardHelper';
import { runTailChunks, TailPlan } from '../tfjs/graphTail';
import { type ForwardTaylorRequest, taylorWidth } from '../contract/protocols/forward';
import type { TaylorElsewhere } from '../tfjs/taylor';
import { gateAxis } from '../contract/runFormat';
import { paceBeforeAllocating } from '../rpc/sharedBuffers';
import { layerInputs } from './networkTopology';

/** Inputs below which a forward pass stays on one thread (the hand-over costs more than it saves). */
export const MIN_SPLIT_INPUTS = 64;

/** Most bytes of layer activations a split pass allocates at once (its layers' shared buffers). */
export const MAX_SPLIT_BYTES = 512 * 1024 ** 2;

/** Wanted layers' bytes per segment of a pass beyond {@link MAX_SPLIT_BYTES} (SplitForward `inSegments`). */
export const SEGMENT_BYTES = 128 * 1024 ** 2;

export interface SplitForwardOptions {
  /** Run forward passes of many inputs on two threads (default true). */
  enabled?: boolean;
  /** Fewest inputs for which a forward pass is split (default 64). */
  minSplitInputs?: number;
  /** Most bytes of layers one split pass allocates (default {@link MAX_SPLIT_BYTES}); more go in segments. */
  maxSplitBytes?: number;
  /** Wanted layers' bytes per segment (default {@link SEGMENT_BYTES}). */
  segmentBytes?: number;
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

/** The backend to ask the worker for: the one this thread runs (tfjs names tfjs-node-gpu's `tensorflow` too), else cpu. */
function backendPreference(name: string): Backend {
  return backendOfTfjsName(name) ?? 'cpu';
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
    if (!script || !knownShapes || this.options.enabled === false) {
      yield* forwardLayers({ tf, model, layers, inputs, count: n, last, from, keep, signal });
      return;
    }
    if (bytes > (this.options.maxSplitBytes ?? MAX_SPLIT_BYTES)) yield* this.inSegments(p, script);
    else yield* this.split(p, script);
  }

  /**
   * A pass whose layers exceed {@link MAX_SPLIT_BYTES}, as split passes one segment of layers after
   * another: each segment ends at a layer through which every later layer reads the ones before (a
   * cut: every layer of a sequential model, a residual block's output), so the next segment starts
   * from it (`from`) and recomputes nothing; a segment holds about {@link SEGMENT_BYTES} of wanted
   * layers. Each segment's layers are handed out once it is computed; the next one runs when they
   * have been taken. A
   * stretch without a cut that exceeds the cap (`maxSplitBytes`, default MAX_SPLIT_BYTES) runs on this thread alone, layer by layer.
   */
  private async *inSegments(p: SplitPass, script: string): AsyncGenerator<{ index: number; out: Activations }> {
    const { layers, count: n, last } = p;
    const keep = p.keep && new Set(p.keep);
    const wanted = (l: number) => !keep || keep.has(l);
    const bytesOf = (l: number) => n * layers[l].outputShape.reduce((a, b) => a * b, 1) * 4;
    const start = p.from?.index ?? 0;
    const cuts = cutLayers(layerInputs(p.model, layers), start, last);
    let from = p.from;
    let segmentStart = start;
    let segmentBytes = 0;
    for (let l = start + 1; l <= last; l++) {
      if (wanted(l)) segmentBytes += bytesOf(l);
      if (l < last && !(cuts.has(l) && segmentBytes + (wanted(l) ? 0 : bytesOf(l)) >= (this.options.segmentBytes ?? SEGMENT_BYTES)))
        continue;
      const segmentKeep = [];
      for (let k = segmentStart + 1; k <= l; k++) if (wanted(k) || k === l) segmentKeep.push(k);
      const segment = { ...p, last: l, from, keep: segmentKeep };
      const total = segmentKeep.reduce((sum, k) => sum + bytesOf(k), 0);
      const pass =
        total > (this.options.maxSplitBytes ?? MAX_SPLIT_BYTES)
          ? forwardLayers({ ...segment, keep: new Set(segmentKeep) })
          : this.split(segment, script);
      for await (const step of pass) {
        if (step.index === l) from = { index: l, activations: step.out };
        if (wanted(step.index)) yield step;
      }
      segmentStart = l;
      segmentBytes = 0;
    }
  }

  /** The pass on two threads: the second half of the inputs on the forward worker, every kept layer in one shared buffer. */
  private async *split(p: SplitPass, script: string): AsyncGenerator<{ index: number; out: Activations }> {
    // Computed in a function of its own: a suspended generator's frame keeps its temporaries (the
    // worker's request, views of every layer), and with them every layer, until it ends.
    const { full, shapes } = await this.computeSplit(p, script);
    // Each layer handed out is the consumer's: kept here, every layer of the pass would stay in
    // memory until its last was taken, whatever the activation cache let go of.
    for (const [index, shape] of shapes) {
      const data = full.get(index)!;
      full.delete(index);
      yield { index, out: { shape: [p.count, ...shape.slice(1)], data } };
    }
  }

  private async computeSplit(p: SplitPass, script: string): Promise<{ full: Map<number, Float32Array>; shapes: [number, number[]][] }> {
    const { tf, model, layers, inputs, count: n, last, from, signal } = p;
    const keep = p.keep && new Set(p.keep);
    this.helper ??= new ForwardHelper(script);
    const h = Math.ceil(n / 2);
    const inPer = inputs.length / n;
    const fromPer = from ? from.activations.data.length / n : 0;
    // Both threads write their half of every layer straight into one shared buffer per layer.
    const first = (from?.index ?? 0) + 1;
    paceBeforeAllocating();
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
    return { full, shapes };
  }

  /**
   * Runs a graph model's tail (graphTail.ts) after `layer` on blocks of its values, the first half of
   * the inputs on this thread and the second on the forward worker (below {@link MIN_SPLIT_INPUTS}
   * inputs, or without the worker, all here). The side layers' second halves are shared once, for
   * every call of the runner. Each input's output depends on its own values only, so the halves
   * join into what one thread gives.
   */
  tailRunner(p: {
    tf: typeof tfType;
    backend: string;
    checkpoint: string;
    layers: RunLayer[];
    plan: TailPlan;
    layer: number;
    count: number;
    sides: ReadonlyMap<number, Float32Array>;
    signal?: AbortSignal;
  }): (blocks: readonly Float32Array[]) => Promise<Float32Array[]> {
    const { tf, layers, plan, layer, count: n, sides, signal } = p;
    const per = (l: number) => layers[l].outputShape.reduce((a, b) => a * b, 1);
    const outPer = per(plan.outLayer);
    const script = n >= (this.options.minSplitInputs ?? MIN_SPLIT_INPUTS) ? resolveForwardScript() : undefined;
    if (!script || this.options.enabled === false)
      return async (blocks) => {
        const outs = blocks.map(() => new Float32Array(n * outPer));
        await runTailChunks(tf, plan, layers, { fromLayer: layer, blocks, sides, count: n, outs, signal });
        return outs;
      };
    const h = Math.ceil(n / 2);
    const sharedSides = [...sides].map(([index, data]) => ({ index, data: shareFloat32(data.subarray(h * per(index))) }));
    const firstSides = new Map([...sides].map(([index, data]) => [index, data.subarray(0, h * per(index))]));
    const fromPer = per(layer);
    return async (blocks) => {
      this.helper ??= new ForwardHelper(script);
      paceBeforeAllocating();
      const outs = blocks.map(() => new Float32Array(new SharedArrayBuffer(n * outPer * 4)));
      const second = this.helper.tail({
        backend: backendPreference(p.backend),
        checkpoint: p.checkpoint,
        layers,
        layer,
        output: plan.outLayer,
        count: n - h,
        blocks: blocks.map((b) => shareFloat32(b.subarray(h * fromPer))),
        sides: sharedSides,
        outs: outs.map((o) => ({ buffer: o.buffer, offset: h * outPer * 4 })),
      });
      second.catch(() => undefined); // awaited below
      await runTailChunks(tf, plan, layers, {
        fromLayer: layer,
        blocks: blocks.map((b) => b.subarray(0, h * fromPer)),
        sides: firstSides,
        count: h,
        outs: outs.map((o) => o.subarray(0, h * outPer)),
        signal,
      });
      await second;
      if (signal?.aborted) throw new CancelledError();
      return outs;
    };
  }

  /**
   * Where the second half of a Taylor pass's chunks runs (taylor.ts `TaylorElsewhere`): on the
   * forward worker, with the rows of its chunks and their labels shared once. Undefined below
   * {@link MIN_SPLIT_INPUTS} inputs or without the worker: the pass stays on this thread.
   */
  taylorRunner(p: {
    backend: string;
    checkpoint: string;
    layers: RunLayer[];
    inputs: Float32Array;
    labels: ArrayLike<number>;
    count: number;
    output: ForwardTaylorRequest['output'];
  }): TaylorElsewhere | undefined {
    const script = p.count >= (this.options.minSplitInputs ?? MIN_SPLIT_INPUTS) ? resolveForwardScript() : undefined;
    if (!script || this.options.enabled === false) return undefined;
    const inPer = p.layers[0].outputShape.reduce((a, b) => a * b, 1);
    return async (chunks, targets) => {
      this.helper ??= new ForwardHelper(script);
      const first = chunks[0].start;
      const last = chunks[chunks.length - 1].end;
      const width = taylorWidth(p.layers, targets);
      const out = new Float32Array(new SharedArrayBuffer(chunks.length * width * 4));
      await this.helper.taylor({
        backend: backendPreference(p.backend),
        checkpoint: p.checkpoint,
        layers: p.layers,
        inputs: shareFloat32(p.inputs.subarray(first * inPer, last * inPer)),
        labels: Array.from({ length: last - first }, (_, i) => p.labels[first + i]),
        output: p.output,
        targets: [...targets],
        chunks: chunks.map((c) => ({ start: c.start - first, end: c.end - first })),
        out: out.buffer,
      });
      return chunks.map((_, k) => {
        let at = k * width;
        return targets.map((t) => {
          const channels = gateAxis(p.layers[t]).channels;
          at += channels;
          return out.slice(at - channels, at);
        });
      });
    };
  }

  close(): void {
    this.helper?.close();
    this.helper = undefined;
  }
}

/**
 * The cuts among the layers in `(start, last]`: layer k is one when no layer j in (k, last] reads a
 * layer below k (`inputs`: for each run layer, the run layers it reads), so every later layer reads
 * the earlier ones only through k. Every layer of a sequential model is one, as is `last`.
 */
export function cutLayers(inputs: readonly (readonly number[])[], start: number, last: number): Set<number> {
  const cuts = new Set<number>();
  let lowest = Infinity; // the lowest layer read by any layer after k
  for (let k = last; k > start; k--) {
    if (lowest >= k) cuts.add(k);
    for (const i of inputs[k]) lowest = Math.min(lowest, i);
  }
  return cuts;
}

/**
 * Where a forward pass to `last` that needs `layer` first starts (activationSource.ts `resumeFrom`): the
 * deepest layer below `layer` in memory that is a cut up to `last` ({@link cutLayers}), else the
 * deepest in memory (a graph pass from a layer inside a block runs the block's other branches from
 * the input), else undefined (from the input). `inputs`: each run layer's inputs (networkTopology.ts).
 */
export function resumePoint(
  inputs: readonly (readonly number[])[],
  layer: number,
  last: number,
  inMemory: (l: number) => boolean,
): number | undefined {
  const cuts = cutLayers(inputs, 0, last);
  let deepest: number | undefined;
  for (let l = layer - 1; l >= 1; l--) {
    if (!inMemory(l)) continue;
    deepest ??= l;
    if (cuts.has(l)) return l;
  }
  return deepest;
}
