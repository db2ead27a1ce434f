/**
 * Where a query's activations come from (queryContext.ts): the models it pins (TensorFlow.js or
 * native), and the activations of a layer at an epoch — from memory, from a forward pass of the
 * subset alone, or from a (split) forward pass of the whole probe set — and the runs of a model's
 * tail from a layer (ablations) and of the second half of a Taylor pass.
 */
import { channelsLast, gatherFloat32, InputSubset, LayerActivations, layerValues, LayerValues, type ScoreKind } from '../analysis';
import type { ComputePool } from '../compute/pool';
import type { InitializedBackend } from '../tfjs/backend';
import type { DeconvolutionForward } from '../tfjs/deconvolution';
import { Activations, forwardLayers } from '../tfjs/forward';
import type { TailPlan } from '../tfjs/graphTail';
import type { TaylorElsewhere } from '../tfjs/taylor';
import type { NativeCheckpoint } from '../native/nativeForward';
import { ActivationCache } from './activations';
import { inputsKey, type SharedResults } from './layerCodes';
import type { ModelLease } from './models';
import { layerInputs } from './networkTopology';
import type { EngineParts, QueryControl } from './queryParts';
import { RunChecks } from './runChecks';
import type { RunState } from './runs';
import { resumePoint, type SplitPass } from './splitForward';
import type { PassSource } from './subsetPasses';

/** Below this share of the probe set, a slice runs the forward pass on its own inputs only. */
export const SUBSET_FORWARD_SHARE = 0.25; // src/contract/plan.ts standInPerClass keeps a report's stand-in samples under it

/** The native cuts' sides (`forwardFrom`) a query keeps for its next ablation of the same layer and inputs. */
const KEPT_CUT_SIDES = 2;
export class ActivationSource extends RunChecks {
  private readonly leases = new Map<number, Promise<ModelLease>>();
  private readonly nativeLeases = new Map<number, Promise<ModelLease<NativeCheckpoint>>>();
  /** The sides of the native cuts `forwardFrom` ran last (by epoch, layer, last and inputs), least recently used first. */
  private readonly cutSides = new Map<string, Promise<Map<number, Float32Array>>>();

  constructor(
    run: RunState,
    readonly control: QueryControl,
    protected readonly parts: EngineParts,
  ) {
    super(run);
  }

  /** The kept forward halves of deconvolutions (handlers/deconvolution.ts), and the key of a layer's at `epoch` for the inputs `indices`. */
  deconvolutionHalves(
    epoch: number,
    indices: readonly number[],
  ): { kept: SharedResults<DeconvolutionForward>; key: (layer: number) => string } {
    const inputs = inputsKey(indices, this.probe().labels.length);
    return { kept: this.parts.deconvolutionForwards, key: (layer) => `${this.run.folder}|${epoch}|${layer}|${inputs}` };
  }

  tf(): Promise<InitializedBackend> {
    return this.parts.tf();
  }

  computePool(): ComputePool {
    return this.parts.computePool();
  }

  /** The model of the checkpoint of `epoch`, pinned (never disposed) until the query ends. */
  async model(epoch: number): Promise<ModelLease> {
    let lease = this.leases.get(epoch);
    if (!lease) {
      lease = this.run.models.acquire(epoch);
      this.leases.set(epoch, lease);
      // A failed load pins nothing: the next call tries again.
      lease.catch(() => this.leases.get(epoch) === lease && this.leases.delete(epoch));
    }
    return lease;
  }

  /**
   * The checkpoint of `epoch` on the native engine (ONNX Runtime, src/native/), pinned until the
   * query ends; undefined where the native engine does not serve the run (runs.ts
   * `RunState.natives`), and `model`'s TensorFlow.js model runs it. For a run it serves, every
   * forward pass of the service runs on it — the baseline of an ablation and the ablated passes
   * alike — so that no answer compares the two engines' values (their ~1e-6 differences would read
   * as an effect).
   */
  async native(epoch: number): Promise<ModelLease<NativeCheckpoint> | undefined> {
    const natives = this.run.natives;
    if (!natives) return undefined;
    let lease = this.nativeLeases.get(epoch);
    if (!lease) {
      lease = natives.acquire(epoch);
      this.nativeLeases.set(epoch, lease);
      lease.catch(() => this.nativeLeases.get(epoch) === lease && this.nativeLeases.delete(epoch));
    }
    return lease;
  }

  /** Whether the native engine runs this run's forward passes (see {@link native}). */
  get isNative(): boolean {
    return this.run.natives !== undefined;
  }

  /** Releases every model this query pinned; the engine calls it once the query has ended. */
  async release(): Promise<void> {
    const leases: Promise<{ release(): void }>[] = [...this.leases.values(), ...this.nativeLeases.values()];
    this.leases.clear();
    this.nativeLeases.clear();
    this.cutSides.clear();
    for (const settled of await Promise.allSettled(leases)) if (settled.status === 'fulfilled') settled.value.release();
  }

  /** Activations of `layer` at `epoch` for the probe inputs `indices` (ascending), channels last (a channels-first layer copied). */
  async layerOutput(epoch: number, layer: number, indices: number[]): Promise<LayerActivations> {
    return channelsLast(await this.layerValues(epoch, layer, indices));
  }
  /** `layerOutput` in the layer's own layout, not copied (a PyTorch layer channels first). */
  async layerValues(epoch: number, layer: number, indices: number[]): Promise<LayerValues> {
    const { run, control } = this;
    const [activations, probe, layers] = [this.parts.activations, this.probe(), this.manifest.layers];
    const n = probe.labels.length;
    const per = layers[layer].outputShape.reduce((a, b) => a * b, 1);
    const all = indices.length === n;
    const shapeOf = (count: number) => [count, ...layers[layer].outputShape];
    const format = layers[layer].dataFormat;
    if (layer === 0) return layerValues(shapeOf(indices.length), all ? probe.inputs : gatherFloat32(probe.inputs, per, indices), format);
    const cacheKey = ActivationCache.key(run.folder, epoch, layer);
    const cached = activations.get(cacheKey);
    if (cached) return layerValues(shapeOf(indices.length), all ? cached.data : gatherFloat32(cached.data, per, indices), format);
    if (indices.length < SUBSET_FORWARD_SHARE * n) {
      // The views ask many channels of the same few inputs at once, and a subset's layers one
      // query at a time: one pass serves them all, paused between queries (subsetPasses.ts).
      const inputs = inputsKey(indices, n);
      const keyOf = (l: number) => `${ActivationCache.key(run.folder, epoch, l)}|${inputs}`;
      const subsetActivations = this.parts.subsetActivations;
      const out = await subsetActivations.get(
        keyOf(layer),
        (signal) =>
          this.parts.subsetPasses.layer(
            `${run.folder}|${epoch}|${inputs}`,
            layer,
            (passSignal) => this.subsetPass(epoch, indices, passSignal),
            (index, passed) => subsetActivations.put(keyOf(index), passed),
            signal,
          ),
        control.signal,
      );
      return layerValues(out.shape, out.data, format);
    }
    // The whole probe set: every layer on the way is kept too (the next query often wants one),
    // starting where `resumeFrom` says (the deepest cut below this one still in memory).
    let result: Activations | undefined;
    for await (const { index, out } of this.forwardPass(epoch, { last: layer, from: await this.resumeFrom(epoch, layer, layer) })) {
      control.onProgress?.((index / layer) * 0.5, `forward pass: layer ${index} of ${layer}`);
      activations.remember(ActivationCache.key(run.folder, epoch, index), out);
      result = out;
    }
    return layerValues(shapeOf(indices.length), all ? result!.data : gatherFloat32(result!.data, per, indices), format);
  }

  /** A forward pass over the probe inputs `indices` through every layer, for SubsetPasses; it pins the model of `epoch` until closed. */
  private async subsetPass(epoch: number, indices: number[], signal: AbortSignal): Promise<PassSource> {
    const probe = this.probe();
    const inputs = gatherFloat32(probe.inputs, probe.inputs.length / probe.labels.length, indices);
    const layers = this.manifest.layers;
    const natives = this.run.natives;
    let lease: { release(): void };
    let steps: AsyncGenerator<{ index: number; out: Activations }>;
    if (natives) {
      const native = await natives.acquire(epoch);
      lease = native;
      steps = native.model.forwardLayers({ layers, inputs, count: indices.length, signal });
    } else {
      const { tf } = await this.tf();
      const model = await this.run.models.acquire(epoch);
      lease = model;
      steps = forwardLayers({ tf, model: model.model, layers, inputs, count: indices.length, signal });
    }
    return {
      steps,
      close: () => {
        // Paused at a yield, it ends at once; it holds no tensor (forward.ts keeps values as arrays).
        steps.return(undefined).catch(() => undefined);
        lease.release();
      },
    };
  }

  /**
   * `layerValues` of the inputs `indices` without copying them out of the probe set's: the values, and
   * `rows`, which of them (undefined: all). The whole probe set's layer where `layerValues` reads or
   * computes it anyway (in memory, or at least {@link SUBSET_FORWARD_SHARE} of it), else the subset's pass.
   */
  async layerRows(epoch: number, layer: number, indices: number[]): Promise<{ layer: LayerValues; rows?: number[] }> {
    const n = this.probe().labels.length;
    const whole =
      indices.length < n &&
      (layer === 0 ||
        indices.length >= SUBSET_FORWARD_SHARE * n ||
        this.parts.activations.peek(ActivationCache.key(this.run.folder, epoch, layer)) !== undefined);
    if (!whole) return { layer: await this.layerValues(epoch, layer, indices) };
    const all = Array.from({ length: n }, (_, i) => i);
    return { layer: await this.layerValues(epoch, layer, all), rows: indices };
  }

  /**
   * A forward pass of the model at `epoch` (splitForward.ts `layers`): over the probe inputs unless
   * `inputs` and their `count` are given; the model is loaded when the pass starts.
   */
  private async *forwardPass(
    epoch: number,
    p: Pick<SplitPass, 'last' | 'from' | 'keep'> & { inputs?: Float32Array; count?: number },
  ): AsyncGenerator<{ index: number; out: Activations }> {
    const probe = this.probe();
    const native = await this.native(epoch);
    if (native) {
      // Every core already: no second thread. `from` (layers in memory) is not needed at native
      // speed: the pass starts at the inputs. Values replaced in a layer never come here: they go
      // through the native cut (`forwardFrom`).
      if (p.inputs) throw new Error('a native forward pass over other inputs than the probe set goes through forwardFrom');
      const layers = this.manifest.layers;
      const last = p.last ?? layers.length - 1;
      // Every layer on the way unless asked for some: those not in memory already (the pass computes
      // them all the same, but copies out only these), and the last.
      const inMemory = (l: number) => this.parts.activations.peek(ActivationCache.key(this.run.folder, epoch, l)) !== undefined;
      const keep = p.keep ?? layers.slice(1, last).flatMap((_, k) => (inMemory(k + 1) ? [] : [k + 1]));
      yield* native.model.forwardLayers({
        layers,
        inputs: probe.inputs,
        count: probe.labels.length,
        last,
        keep: new Set([...keep, last]),
        signal: this.control.signal,
        ...(this.parts.nativePassBytes ? { budgetBytes: this.parts.nativePassBytes } : {}),
      });
      return;
    }
    const { tf, backend } = await this.tf();
    const { model } = await this.model(epoch);
    yield* this.parts.splitForward.layers({
      tf,
      backend,
      model,
      checkpoint: this.run.models.checkpoint(epoch),
      layers: this.manifest.layers,
      inputs: p.inputs ?? probe.inputs,
      count: p.count ?? probe.labels.length,
      last: p.last,
      from: p.from,
      keep: p.keep,
      signal: this.control.signal,
    });
  }

  /**
   * Runs the tail of the model at `epoch` after run layer `layer` (src/tfjs/graphTail.ts) on blocks of
   * that layer's values for `count` inputs, on both threads (SplitForward `tailRunner`).
   */
  async tailRunner(
    epoch: number,
    o: { plan: TailPlan; layer: number; count: number; sides: ReadonlyMap<number, Float32Array> },
  ): Promise<(blocks: readonly Float32Array[]) => Promise<Float32Array[]>> {
    const { tf, backend } = await this.tf();
    return this.parts.splitForward.tailRunner({
      tf,
      backend,
      checkpoint: this.run.models.checkpoint(epoch),
      layers: this.manifest.layers,
      ...o,
      signal: this.control.signal,
    });
  }

  /**
   * Where the second half of a Taylor pass over the probe set at `epoch` runs: the forward worker
   * (SplitForward `taylorRunner`), or undefined (this thread alone).
   */
  async taylorRunner(epoch: number, output: { layer: number; kind: ScoreKind }): Promise<TaylorElsewhere | undefined> {
    const { backend } = await this.tf();
    const probe = this.probe();
    return this.parts.splitForward.taylorRunner({
      backend,
      checkpoint: this.run.models.checkpoint(epoch),
      layers: this.manifest.layers,
      inputs: probe.inputs,
      labels: probe.labels,
      count: probe.labels.length,
      output,
    });
  }

  /**
   * Where a forward pass to `last` that needs `layer` first can start: the deepest layer below
   * `layer` whose activations at `epoch` are in memory (`held` first) and through which every layer
   * up to `last` reads the ones before it (a cut: any layer of a sequential model, a residual
   * block's output). From a layer inside a block, the pass would run the block's other branch (its
   * shortcut) from the input again: on the quarter-width ResNet-18, 2–4 s a layer where a block's
   * output in memory gives the same values in a tenth of it. Without a cut in memory, the deepest
   * layer in memory. Undefined: from the input.
   */
  private async resumeFrom(
    epoch: number,
    layer: number,
    last: number,
    held?: ReadonlyMap<number, Activations>,
  ): Promise<{ index: number; activations: Activations } | undefined> {
    // A native pass starts at the inputs (forwardPass): no TensorFlow.js model to read the topology of.
    if (this.isNative) return undefined;
    const inMemory = (l: number) => held?.get(l) ?? this.parts.activations.peek(ActivationCache.key(this.run.folder, epoch, l));
    let any = false;
    for (let l = layer - 1; l >= 1 && !any; l--) any = inMemory(l) !== undefined;
    if (!any) return undefined;
    const { model } = await this.model(epoch);
    const index = resumePoint(layerInputs(model, this.manifest.layers), layer, last, (l) => inMemory(l) !== undefined);
    return index === undefined ? undefined : { index, activations: inMemory(index)! };
  }

  /**
   * The activations of the `wanted` layers at `epoch` for the whole probe set, ascending, each handed
   * out as soon as one forward pass has computed it (and kept for `layerOutput`, as far as the
   * activation budget goes); layers in memory already are handed out from there. For a query that
   * reads every layer of a model in turn: asked layer by layer, a graph model's pass would continue
   * from the layer before only and run every branch that does not read it (a residual block's
   * shortcut) again from the input — a ResNet-18 ran a dozen passes' worth of convolutions.
   */
  async *probeLayers(epoch: number, wanted: readonly number[]): AsyncGenerator<{ layer: number; acts: LayerValues }> {
    const { run } = this;
    const activations = this.parts.activations;
    const layers = this.manifest.layers;
    const all = this.subset(undefined);
    const order = [...new Set(wanted)].sort((a, b) => a - b);
    // Held from the start, so that the pass cannot push them out of memory before their turn.
    const held = new Map<number, Activations>();
    for (const l of order) {
      const known = l > 0 ? activations.peek(ActivationCache.key(run.folder, epoch, l)) : undefined;
      if (known) held.set(l, known);
    }
    const missing = order.filter((l) => l > 0 && !held.has(l));
    const asLayer = (l: number, a: Activations) => layerValues([all.length, ...layers[l].outputShape], a.data, layers[l].dataFormat);
    let pass: AsyncGenerator<{ index: number; out: Activations }> | undefined;
    if (missing.length)
      pass = this.forwardPass(epoch, {
        last: missing[missing.length - 1],
        from: await this.resumeFrom(epoch, missing[0], missing[missing.length - 1], held),
        keep: missing,
      });
    try {
      for (const l of order) {
        if (l === 0) yield { layer: l, acts: await this.layerValues(epoch, 0, all) };
        else if (held.has(l)) {
          const a = held.get(l)!;
          held.delete(l);
          // Handed out now, so used now: the most recently used again, not the first to leave memory.
          activations.remember(ActivationCache.key(run.folder, epoch, l), a);
          yield { layer: l, acts: asLayer(l, a) };
        } else {
          const step = await pass!.next();
          if (step.done || step.value.index !== l) throw new Error(`the forward pass handed out no activations of layer ${l}`);
          activations.remember(ActivationCache.key(run.folder, epoch, l), step.value.out);
          yield { layer: l, acts: asLayer(l, step.value.out) };
        }
      }
    } finally {
      await pass?.return(undefined);
    }
  }

  /**
   * Computes the activations of `wanted` layers at `epoch` for the whole probe set in one forward
   * pass, copying out only those layers (not every layer on the way, which costs as much as a
   * convolution on the wide early layers), and keeps them for `layerOutput`. Layers already in
   * memory are skipped; the pass starts where `resumeFrom` says.
   */
  async keepLayers(epoch: number, wanted: number[]): Promise<void> {
    const { run, control } = this;
    const activations = this.parts.activations;
    const missing = [...new Set(wanted)]
      .filter((l) => l > 0 && !activations.peek(ActivationCache.key(run.folder, epoch, l)))
      .sort((a, b) => a - b);
    if (!missing.length) return;
    const last = missing[missing.length - 1];
    for await (const { index, out } of this.forwardPass(epoch, {
      last,
      from: await this.resumeFrom(epoch, missing[0], last),
      keep: missing,
    })) {
      control.onProgress?.((index / last) * 0.5, `forward pass: layer ${index} of ${last}`);
      activations.remember(ActivationCache.key(run.folder, epoch, index), out);
    }
  }

  /**
   * The activations of layer `last` at `epoch` when layer `layer`'s activations for the probe
   * inputs `indices` (each repeated `repeat` times, in blocks) are `acts`: only the layers after
   * `layer` run, on two threads for many inputs; a graph model's branches that do not read `layer`
   * run from the inputs themselves. For ablations: `acts` is the layer with channels replaced.
   */
  async forwardFrom(epoch: number, layer: number, acts: Activations, indices: number[], last: number, repeat = 1): Promise<Activations> {
    const probe = this.probe();
    const n = probe.labels.length;
    const count = indices.length * repeat;
    if (layer === last) return acts;
    const native = await this.native(epoch);
    if (native) return this.nativeFrom(native.model, epoch, layer, acts, indices, last, repeat);
    const inputPer = probe.inputs.length / n;
    const own = indices.length === n ? probe.inputs : gatherFloat32(probe.inputs, inputPer, indices);
    let inputs = own;
    if (repeat > 1) {
      inputs = new Float32Array(own.length * repeat);
      for (let k = 0; k < repeat; k++) inputs.set(own, k * own.length);
    }
    let result: Activations | undefined;
    const from = { index: layer, activations: { shape: [count, ...acts.shape.slice(1)], data: acts.data } };
    for await (const { index, out } of this.forwardPass(epoch, { inputs, count, last, from, keep: [last] }))
      if (index === last) result = out;
    return result!;
  }

  /**
   * `forwardFrom` on the native engine: the checkpoint cut at `layer` (src/onnx/segments.ts `cutAt`)
   * runs on `acts` and on the values it reads beside them (a residual block's shortcut, the inputs),
   * computed once per layer and inputs from the real inputs — or read from the activations in memory,
   * the same bits — and shared by every block of ablated rows.
   */
  private async nativeFrom(
    checkpoint: NativeCheckpoint,
    epoch: number,
    layer: number,
    acts: Activations,
    indices: number[],
    last: number,
    repeat: number,
  ): Promise<Activations> {
    const key = `${epoch}|${layer}|${last}|${inputsKey(indices, this.probe().labels.length)}`;
    let sides = this.cutSides.get(key);
    if (sides) this.cutSides.delete(key);
    else {
      sides = this.nativeSides(checkpoint, epoch, checkpoint.cutSides(layer, last), indices);
      sides.catch(() => this.cutSides.get(key) === sides && this.cutSides.delete(key));
    }
    this.cutSides.set(key, sides);
    for (const old of this.cutSides.keys()) if (this.cutSides.size > KEPT_CUT_SIDES) this.cutSides.delete(old);
    return checkpoint.forwardFrom({
      layers: this.manifest.layers,
      layer,
      values: acts.data,
      sides: await sides,
      count: indices.length,
      repeat,
      last,
      signal: this.control.signal,
    });
  }

  /** The values of the run layers `wanted` (0 = the inputs) for the probe inputs `indices`: from memory, else one native pass over those inputs. */
  private async nativeSides(
    checkpoint: NativeCheckpoint,
    epoch: number,
    wanted: readonly number[],
    indices: number[],
  ): Promise<Map<number, Float32Array>> {
    const probe = this.probe();
    const n = probe.labels.length;
    const layers = this.manifest.layers;
    const per = (l: number) => layers[l].outputShape.reduce((a, b) => a * b, 1);
    const rowsOf = (data: Float32Array, l: number) => (indices.length === n ? data : gatherFloat32(data, per(l), indices));
    const sides = new Map<number, Float32Array>();
    const missing: number[] = [];
    for (const l of wanted) {
      const known = l === 0 ? probe.inputs : this.parts.activations.peek(ActivationCache.key(this.run.folder, epoch, l))?.data;
      if (known) sides.set(l, rowsOf(known, l));
      else missing.push(l);
    }
    if (missing.length)
      for await (const { index, out } of checkpoint.forwardLayers({
        layers,
        inputs: rowsOf(probe.inputs, 0),
        count: indices.length,
        last: Math.max(...missing),
        keep: new Set(missing),
        signal: this.control.signal,
        ...(this.parts.nativePassBytes ? { budgetBytes: this.parts.nativePassBytes } : {}),
      }))
        sides.set(index, out.data);
    return sides;
  }

  /** The common part of the layer-pair queries: checks, the input subset, bins and both layers' activations. */
  async layerPair(q: {
    layerI: number;
    layerJ: number;
    epoch: number;
    x?: InputSubset;
    bins?: number;
  }): Promise<{ indices: number[]; bins: number; a: LayerActivations; b: LayerActivations }> {
    this.metricsAt(q.epoch);
    this.checkLayer(q.layerI, 'layerI');
    this.checkLayer(q.layerJ, 'layerJ');
    const indices = this.subset(q.x);
    const [a, b] = await this.twoLayers(q.epoch, q.layerI, q.layerJ, indices);
    return { indices, bins: q.bins ?? this.manifest.settings.bins, a, b };
  }

  /** Two layers' activations, the shallower first so the deeper pass continues from it. */
  private async twoLayers(epoch: number, i: number, j: number, indices: number[]): Promise<[LayerActivations, LayerActivations]> {
    if (i === j) {
      const a = await this.layerOutput(epoch, i, indices);
      return [a, a];
    }
    const [lo, hi] = i < j ? [i, j] : [j, i];
    const first = await this.layerOutput(epoch, lo, indices);
    const second = await this.layerOutput(epoch, hi, indices);
    return i < j ? [first, second] : [second, first];
  }
}
