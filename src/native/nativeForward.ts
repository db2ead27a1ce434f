/**
 * Forward passes of a PyTorch run's checkpoint (its ONNX file) on ONNX Runtime, natively: the same
 * contract as src/tfjs/forward.ts `forwardLayers` (run layers in ascending order, each once,
 * `[n, ...outputShape]` channels first as PyTorch's), 4–7× faster than the WebAssembly engine on the
 * same cores (docs/native-engine.md).
 *
 * The model runs in segments (src/onnx/segments.ts) so that only a budget of layers' activations is
 * held at once: each segment is its own session, fed the frontier of the one before, and the inputs
 * run through it in chunks (a session's run blocks the thread it is called on). Within the budget the
 * whole model is one session, made from the file's own bytes.
 */
import type * as Ort from 'onnxruntime-node';
import type { RunLayer } from '../contract/runFormat';
import { CancelledError } from '../analysis/errors';
import { paceBeforeAllocating } from '../rpc/sharedBuffers';
import { CodedError, hasErrorCode } from '../analysis/errors';
import { cutAt, encodeSegment, planSegments, segmentable, type Cut, type Segment, type SegmentableModel } from '../onnx/segments';
import type { LayerBuffers } from './layerBuffers';
import { blockedLayoutPays } from '../onnx/stableLayout';
import { createSession, firstLine, nativeRuntime, type OrtModule, type RuntimeSession, type SessionLayout } from './ortRuntime';
import type { ExecutionProvider } from '../contract/recordSettings';

/** A layer's activations: `shape` is `[n, ...outputShape]`, `data` row-major (as src/tfjs/forward.ts `Activations`). */
export interface NativeActivations {
  shape: number[];
  data: Float32Array;
}

/** The default budget of layers' activations held at once by a pass (the frontier and the layers it hands out): 512 MB. */
export const NATIVE_BUDGET_BYTES = 512 * 1024 * 1024;

/**
 * Bytes of the largest layer's output per chunk of inputs: a session's working memory stays near
 * it, and one run (which holds the thread) stays short.
 */
export const NATIVE_CHUNK_BYTES = 64 * 1024 * 1024;

/** Most inputs per chunk, however narrow the layers. */
export const NATIVE_CHUNK = 256;

/**
 * Bytes of the layers a run computes but the pass does not fetch, per chunk (the outputs of a pass
 * to one layer, or of an ablation's cut, which are graph outputs all the same: nothing is fused, so
 * that a layer's bits do not depend on what a pass fetches). ONNX Runtime keeps each of them to the
 * end of the run, in fresh pages; so such a pass runs in chunks whose unfetched layers fit in this
 * many bytes (at least one input per chunk), written into arrays reused from chunk to chunk where the
 * runtime writes in place (the direct runner).
 */
export const NATIVE_SCRATCH_BYTES = 64 * 1024 * 1024;

/**
 * The sessions kept (the whole model, a plan's segments, the prefixes that single layers run) hold
 * their models' weights: idle ones are released, least recently used first, while their models add
 * up to more than this many times the checkpoint. A plan's segments add up to about one checkpoint,
 * so a deep model's segments stay open from one pass to the next.
 */
const KEPT_MODELS = 2;

/** What a pass computes. */
export interface NativeForwardOptions {
  /** The run's layer axis (0 = the input): the layers the checkpoint was opened with. */
  layers: readonly RunLayer[];
  /** Row-major `[count, ...layers[0].outputShape]`. */
  inputs: Float32Array;
  count: number;
  /** Last layer wanted (default: the last layer). */
  last?: number;
  /** Only these layers (of 1..last) are fetched and yielded; without it, every layer 1..last. */
  keep?: ReadonlySet<number>;
  /** Checked between chunks: an aborted pass throws the engine's CancelledError. */
  signal?: AbortSignal;
  /** Most bytes of activations held at once (default {@link NATIVE_BUDGET_BYTES}). */
  budgetBytes?: number;
  /**
   * Where the pass takes its layers' arrays, and where the caller gives back those it is done with
   * (layerBuffers.ts): a pass then writes later layers into the memory of earlier ones rather than
   * into fresh pages. Without it, every layer gets a new array.
   */
  buffers?: LayerBuffers;
  /**
   * Whether the sessions this pass makes stay open for later passes (the default, up to a few
   * checkpoints' worth). A pass that is the checkpoint's only one (an epoch's measures) releases
   * each segment's session once it has run, so that their weights do not add up beside the layers.
   */
  keepSessions?: boolean;
  /** Bytes of the largest layer's output per chunk of inputs (default {@link NATIVE_CHUNK_BYTES}): the runtime's working memory follows it. */
  chunkBytes?: number;
  /** Bytes of the layers a run makes but does not fetch, per chunk (default {@link NATIVE_SCRATCH_BYTES}). */
  scratchBytes?: number;
}

/** Something a checkpoint makes of itself and keeps (NativeCheckpoint `useDerived`). */
interface Disposable {
  dispose(): Promise<void>;
}

interface DerivedEntry {
  made: Promise<Disposable>;
  /** Leases not released. */
  users: number;
  /** Let go: disposed when its last lease is released. */
  dropped: boolean;
}

/** Why the native engine cannot run a checkpoint: one line (the runtime unavailable, a session it cannot create or run). */
export class NativeEngineError extends CodedError {
  constructor(message: string) {
    super('native-engine', message, 'NativeEngineError');
  }
  static is(e: unknown): e is NativeEngineError {
    return hasErrorCode(e, 'native-engine');
  }
}

/** The inputs per chunk for a model with `layers`: {@link NATIVE_CHUNK}, fewer where a layer is wide (`chunkBytes` of its output, {@link NATIVE_CHUNK_BYTES} by default). */
export function nativeChunk(layers: readonly Pick<RunLayer, 'outputShape'>[], chunkBytes = NATIVE_CHUNK_BYTES): number {
  const largest = Math.max(1, ...layers.map((l) => l.outputShape.reduce((a, b) => a * b, 1)));
  return Math.max(1, Math.min(NATIVE_CHUNK, Math.floor(chunkBytes / (4 * largest))));
}

interface SessionEntry {
  opened: Promise<RuntimeSession>;
  /** Its model's size in bytes. */
  bytes: number;
  users: number;
  used: number;
}

/**
 * A checkpoint open on ONNX Runtime: its sessions are made on first use, one per segment a plan
 * needs, and kept for later passes (up to a few; the idle ones past that are released). `dispose()`
 * releases them all.
 */
export class NativeCheckpoint {
  private readonly sessions = new Map<string, SessionEntry>();
  private clock = 0;
  private disposed = false;
  private effective: ExecutionProvider | undefined;
  private reason: string | undefined;
  private byName: Map<string, RunLayer> | undefined;

  private constructor(
    private readonly ort: OrtModule,
    /** The checkpoint's .onnx bytes (the native pass worker opens its own sessions of them). */
    readonly bytes: Uint8Array,
    private readonly model: SegmentableModel,
    readonly layers: readonly RunLayer[],
    /** The provider asked for. */
    readonly requested: ExecutionProvider,
    /** How every session of the checkpoint lays out its convolutions (ortRuntime.ts `SessionLayout`). */
    readonly layout: SessionLayout,
  ) {}

  /**
   * Opens a checkpoint: `bytes` is its .onnx file (read by src/run's bounded reader), `layers` the
   * run's layer table (each layer 1..L a value of the graph, named as the layer), `provider` where
   * its sessions run (a GPU provider the installation lacks falls back to the CPU: {@link providerReason}),
   * `layout` the sessions' layout (default: blocked where src/onnx/stableLayout.ts `blockedLayoutPays`
   * says so for the layers' maps; tests choose).
   * @throws NativeEngineError when the native runtime cannot load (its one-line reason);
   * OnnxError (src/onnx/graph.ts) when the bytes are no ONNX model the engine reads, or lack a layer.
   */
  static open(
    bytes: Uint8Array,
    layers: readonly RunLayer[],
    provider: ExecutionProvider = 'cpu',
    layout: SessionLayout = blockedLayoutPays(layers) ? 'blocked' : 'plain',
  ): NativeCheckpoint {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new NativeEngineError(`the native engine (ONNX Runtime) cannot load: ${runtime.reason}`);
    return new NativeCheckpoint(runtime.ort, bytes, segmentable(bytes, layers, layout === 'blocked'), layers, provider, layout);
  }

  /** The provider the sessions run on: the one asked for, or the CPU once a session fell back (known after the first pass). */
  get provider(): ExecutionProvider {
    return this.effective ?? this.requested;
  }

  /** One line: why the provider asked for is not the one in use, once a session fell back; else undefined. */
  get providerReason(): string | undefined {
    return this.reason;
  }

  /**
   * The activations of layers 1..last (or only `keep`'s), in ascending order, each computed once:
   * the segments run one after the other over every input, in chunks, each fetching its wanted
   * layers and the frontier the next one reads. What a later segment no longer reads is dropped as
   * the pass goes, so a pass holds about the budget, whatever the model's depth. `inUse` says that
   * a later segment still reads the layer's array (it crosses a cut): the caller must leave it as
   * it is (not transfer or change it) until the pass goes on.
   * @throws CancelledError when `signal` aborts (checked before each chunk); NativeEngineError when a
   * session cannot be made or run (one line naming the nodes).
   */
  async *forwardLayers(o: NativeForwardOptions): AsyncGenerator<{ index: number; out: NativeActivations; inUse: boolean }> {
    this.check(o);
    const last = o.last ?? this.layers.length - 1;
    const targets = range(1, last).filter((l) => !o.keep || o.keep.has(l));
    if (!targets.length) return;
    const wanted = new Set(targets);
    const segments = planSegments(this.model, { budgetBytes: o.budgetBytes ?? NATIVE_BUDGET_BYTES, count: o.count, wanted });
    const n = o.count;
    const values = new Map<string, Float32Array>([[this.model.input, o.inputs]]);
    const ready = new Map<number, NativeActivations>();
    let next = 0;
    const fetchedBy = (segment: Segment) => segment.layers.filter((l) => wanted.has(l) || segment.frontier.includes(this.layers[l].name));
    const lengths = (segment: Segment | undefined) =>
      segment ? fetchedBy(segment).map((l) => n * this.layers[l].outputShape.reduce((a, b) => a * b, 1)) : [];
    o.buffers?.expect(lengths(segments[0]));
    for (const [k, segment] of segments.entries()) {
      const fetched = fetchedBy(segment);
      const outs = await this.runSegment(segment, fetched, values, o);
      // Arrays given back from now on are kept only where the next segment can write into them.
      o.buffers?.expect(lengths(segments[k + 1]));
      // What is live after the segment is its frontier and the earlier ones it passed on.
      const live = new Set(this.model.frontiers[segment.last]);
      for (const [name, data] of [...values]) {
        if (live.has(name)) continue;
        values.delete(name);
        o.buffers?.release(data);
      }
      fetched.forEach((l, k) => {
        const name = this.layers[l].name;
        if (live.has(name)) {
          values.set(name, outs[k]);
          // The pass reads it again: a give waits until the pass lets it go.
          o.buffers?.hold(outs[k]);
        }
        if (wanted.has(l)) ready.set(l, { shape: [n, ...this.layers[l].outputShape], data: outs[k] });
        // A layer fetched for the frontier alone has no reader but the pass.
        else o.buffers?.give(outs[k]);
      });
      while (next < targets.length && ready.has(targets[next])) {
        const index = targets[next++];
        const out = ready.get(index)!;
        ready.delete(index);
        // A layer live across the next cut is read by the segments after it: its array must stay as it is.
        const inUse = [...values.values()].includes(out.data);
        yield { index, out, inUse };
      }
    }
  }

  /** The activations of one layer (0 = the inputs themselves): the nodes up to it run, that layer alone is fetched. */
  async forwardLayer(o: Omit<NativeForwardOptions, 'last' | 'keep'> & { layer: number }): Promise<NativeActivations> {
    if (o.layer === 0) return { shape: [o.count, ...this.layers[0].outputShape], data: o.inputs };
    let result: NativeActivations | undefined;
    for await (const { out } of this.forwardLayers({ ...o, last: o.layer, keep: new Set([o.layer]) })) result = out;
    return result!;
  }

  /**
   * The run layers (0 = the input) a pass cut at `layer` reads besides `layer`'s values to make
   * `last` (src/onnx/segments.ts `cutAt`): a residual block's shortcut, the input. Compute them from
   * the inputs once (`forwardLayers` with `keep`) and hand them to every {@link forwardFrom} of the
   * same inputs.
   * @throws OnnxError where the checkpoint cannot be cut there (one line).
   */
  cutSides(layer: number, last: number): readonly number[] {
    return this.cut(layer, last).sides;
  }

  /**
   * The activations of layer `last` when layer `layer`'s values are `values` (`repeat` blocks of
   * `count` inputs, in the model's own layout: an ablation's replaced values): the checkpoint cut at
   * `layer` runs on them and on `sides` (the values of {@link cutSides} for the `count` inputs,
   * unreplaced, shared by every block). For values equal to the layer's own, the bits of
   * `forwardLayers`' `last`.
   */
  async forwardFrom(o: {
    layers: readonly RunLayer[];
    layer: number;
    values: Float32Array;
    sides: ReadonlyMap<number, Float32Array>;
    count: number;
    repeat?: number;
    last: number;
    signal?: AbortSignal;
  }): Promise<NativeActivations> {
    if (this.disposed) throw new NativeEngineError('the checkpoint was disposed: open it again');
    if (o.layers.length !== this.layers.length)
      throw new NativeEngineError(`the pass names ${o.layers.length} layers, the checkpoint was opened with ${this.layers.length}`);
    const repeat = o.repeat ?? 1;
    const n = o.count;
    const size = (l: number) => this.layers[l].outputShape.reduce((a, b) => a * b, 1);
    if (o.values.length !== n * repeat * size(o.layer))
      throw new NativeEngineError(
        `layer ${o.layer}'s values hold ${o.values.length} numbers, ${repeat} × ${n} inputs need ${n * repeat * size(o.layer)}`,
      );
    const { segment, sides, readsLayer } = this.cut(o.layer, o.last);
    const values = new Map<string, Float32Array>();
    for (const l of sides) {
      const side = o.sides.get(l);
      if (!side || side.length !== n * size(l))
        throw new NativeEngineError(`the cut at layer ${o.layer} reads layer ${l}'s values for ${n} inputs, not given`);
      values.set(l === 0 ? this.model.input : this.layers[l].name, side);
    }
    const name = this.layers[o.layer].name;
    const per = n * size(o.layer);
    const out = new Float32Array(n * repeat * size(o.last));
    const key = `cut ${o.layer}-${o.last}`;
    const options = { count: n, signal: o.signal };
    for (let g = 0; g < repeat; g++) {
      if (o.signal?.aborted) throw new CancelledError();
      if (readsLayer) values.set(name, o.values.subarray(g * per, (g + 1) * per));
      const [result] = await this.runSegment(segment, [o.last], values, options, key, false);
      out.set(result, g * n * size(o.last));
      // A cut that does not read the layer gives every block the same values.
      if (!readsLayer) {
        for (let k = g + 1; k < repeat; k++) out.set(result, k * n * size(o.last));
        break;
      }
    }
    return { shape: [n * repeat, ...this.layers[o.last].outputShape], data: out };
  }

  /**
   * A session of another model made from this checkpoint (the Taylor estimate's, src/native/nativeTaylor.ts)
   * on the provider in use, and the runtime to make its tensors with; the caller releases it.
   * @throws NativeEngineError when the runtime cannot load it (one line, naming `what`).
   */
  async auxiliarySession(bytes: Uint8Array, what: string): Promise<{ session: RuntimeSession; ort: OrtModule }> {
    if (this.disposed) throw new NativeEngineError('the checkpoint was disposed: open it again');
    try {
      return { session: (await createSession(this.ort, bytes, this.provider)).session, ort: this.ort };
    } catch (e) {
      throw new NativeEngineError(`ONNX Runtime cannot load ${what}: ${firstLine(String((e as Error)?.message ?? e))}`);
    }
  }

  private readonly derivedObjects = new Map<string, DerivedEntry>();

  /**
   * An object made once from this checkpoint (the deconvolution's model: src/native/nativeDeconvolution.ts),
   * in use until the lease is released, and kept for the next use until {@link dropDerived} or
   * {@link dispose}. A failed `make` is not kept: the next call tries again.
   */
  async useDerived<T extends Disposable>(key: string, make: () => Promise<T>): Promise<{ value: T; release(): void }> {
    if (this.disposed) throw new NativeEngineError('the checkpoint was disposed: open it again');
    let entry = this.derivedObjects.get(key);
    if (!entry) {
      const made = make();
      const created: DerivedEntry = { made, users: 0, dropped: false };
      entry = created;
      this.derivedObjects.set(key, created);
      made.catch(() => this.derivedObjects.get(key) === created && this.derivedObjects.delete(key));
    }
    const used = entry;
    used.users++;
    let value: T;
    try {
      value = (await used.made) as T;
    } catch (e) {
      used.users--;
      throw e;
    }
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        if (--used.users === 0 && used.dropped) void value.dispose().catch(() => undefined);
      },
    };
  }

  /**
   * Lets the derived objects go: each is disposed now, or when its last lease is released; the next
   * use makes it again. A report lets them go around the queries that read every layer
   * (src/service/engine.ts `dropLayers`), as it lets the layers go.
   */
  dropDerived(): void {
    const entries = [...this.derivedObjects.values()];
    this.derivedObjects.clear();
    for (const entry of entries) {
      entry.dropped = true;
      if (entry.users === 0) void entry.made.then((o) => o.dispose()).catch(() => undefined);
    }
  }

  private readonly cuts = new Map<string, Cut>();

  private cut(layer: number, last: number): Cut {
    const key = `${layer}-${last}`;
    let cut = this.cuts.get(key);
    if (!cut) {
      cut = cutAt(this.model, layer, last);
      this.cuts.set(key, cut);
    }
    return cut;
  }

  /** Releases every session; the checkpoint cannot run after. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const entries = [...this.sessions.values()];
    this.sessions.clear();
    const derived = [...this.derivedObjects.values()];
    this.derivedObjects.clear();
    await Promise.all([
      ...entries.map((e) => e.opened.then((s) => s.release()).catch(() => undefined)),
      ...derived.map((d) => d.made.then((o) => o.dispose()).catch(() => undefined)),
    ]);
  }

  private check(o: NativeForwardOptions): void {
    if (this.disposed) throw new NativeEngineError('the checkpoint was disposed: open it again');
    if (o.layers.length !== this.layers.length)
      throw new NativeEngineError(`the pass names ${o.layers.length} layers, the checkpoint was opened with ${this.layers.length}`);
    const per = this.layers[0].outputShape.reduce((a, b) => a * b, 1);
    if (o.inputs.length !== o.count * per)
      throw new NativeEngineError(
        `the inputs hold ${o.inputs.length} values, ${o.count} inputs of [${this.layers[0].outputShape.join(', ')}] need ${o.count * per}`,
      );
    const last = o.last ?? this.layers.length - 1;
    if (!Number.isInteger(last) || last < 0 || last >= this.layers.length)
      throw new NativeEngineError(`layer ${last} is not one of the run's layers 0..${this.layers.length - 1}`);
  }

  /** Runs one segment over every input, chunk by chunk; returns the `fetched` layers' values, each `count × per-input`. */
  private async runSegment(
    segment: Segment,
    fetched: readonly number[],
    values: ReadonlyMap<string, Float32Array>,
    o: Pick<NativeForwardOptions, 'count' | 'signal' | 'buffers' | 'keepSessions' | 'chunkBytes' | 'scratchBytes'>,
    key = `${segment.first}-${segment.last}`,
    mayBeWhole = true,
  ): Promise<Float32Array[]> {
    const n = o.count;
    if (n === 0) return fetched.map(() => new Float32Array(0));
    const names = fetched.map((l) => this.layers[l].name);
    const sizeOf = (l: number) => this.layers[l].outputShape.reduce((a, b) => a * b, 1);
    const sizes = fetched.map(sizeOf);
    const shapeOf = (name: string) => (name === this.model.input ? this.layers[0].outputShape : this.layerNamed(name).outputShape);
    const feedsOf = segment.inputs.map((name) => ({ name, data: values.get(name)!, shape: shapeOf(name) }));
    const session = await this.acquire(key, segment, mayBeWhole);
    // The session's other outputs (every run layer it makes is one) run in chunks small enough for
    // them, and are written into scratch arrays where the runtime writes in place (the binding
    // would copy each one out again: there the runtime holds them, in the same small chunks).
    const others = segment.layers.filter((l) => !fetched.includes(l));
    const othersSizes = others.map(sizeOf);
    const chunk = scratchChunk(nativeChunk(this.layers, o.chunkBytes), 4 * othersSizes.reduce((a, b) => a + b, 0), o.scratchBytes);
    const unfetched = session.writesInPlace ? others : [];
    const unfetchedSizes = session.writesInPlace ? othersSizes : [];
    // Each chunk's outputs are written by the runtime straight into their place in the pass's
    // arrays (preallocated fetches): no copy of the layers out of the runtime's own buffers.
    paceBeforeAllocating();
    const results = sizes.map((size) => o.buffers?.take(n * size) ?? new Float32Array(n * size));
    const rows = Math.min(chunk, n);
    const scratchMemory = unfetchedSizes.length ? this.takeScratch(rows * unfetchedSizes.reduce((a, b) => a + b, 0)) : undefined;
    let offset = 0;
    const scratch = unfetchedSizes.map((size) => {
      const view = scratchMemory!.subarray(offset, offset + rows * size);
      offset += view.length;
      return view;
    });
    try {
      for (let s = 0; s < n; s += chunk) {
        if (o.signal?.aborted) throw new CancelledError();
        const e = Math.min(n, s + chunk);
        const feeds: Record<string, Ort.Tensor> = {};
        for (const f of feedsOf) {
          const per = f.shape.reduce((a, b) => a * b, 1);
          feeds[f.name] = new this.ort.Tensor('float32', f.data.subarray(s * per, e * per), [e - s, ...f.shape]);
        }
        const fetches: Record<string, Ort.Tensor> = {};
        names.forEach((name, k) => {
          const shape = [e - s, ...this.layers[fetched[k]].outputShape];
          fetches[name] = new this.ort.Tensor('float32', results[k].subarray(s * sizes[k], e * sizes[k]), shape);
        });
        unfetched.forEach((l, k) => {
          const shape = [e - s, ...this.layers[l].outputShape];
          fetches[this.layers[l].name] = new this.ort.Tensor('float32', scratch[k].subarray(0, (e - s) * unfetchedSizes[k]), shape);
        });
        try {
          await session.run(feeds, fetches);
        } catch (err) {
          // Run again without the preallocated outputs to say which layer disagrees with the manifest, if one does.
          await this.checkOutputs(session, feeds, names, fetched, e - s, sizes);
          throw new NativeEngineError(
            `ONNX Runtime failed on nodes ${segment.first}..${segment.last} of the checkpoint: ${firstLine(String((err as Error)?.message ?? err))}`,
          );
        }
      }
    } finally {
      this.releaseUse(key, o.keepSessions === false);
      if (scratchMemory) this.giveScratch(scratchMemory);
    }
    return results;
  }

  /** The scratch memory given back by the last pass, kept for the next ({@link takeScratch}). */
  private spareScratch: Float32Array | undefined;

  /**
   * Memory for `length` float32 values of unfetched layers (written by the runtime, never read): the
   * last pass's, where it holds them, else new. Fresh memory is zeroed page by page as the runtime
   * first writes it: 64 MB of it cost a small model's pass to its output about as much as its
   * convolutions (docs/native-engine.md, "The blocked layout").
   */
  private takeScratch(length: number): Float32Array {
    const spare = this.spareScratch;
    if (spare && spare.length >= length) {
      this.spareScratch = undefined;
      return spare.subarray(0, length);
    }
    return new Float32Array(length);
  }

  /** Keeps `memory` for the next pass when it is within the scratch budget ({@link NATIVE_SCRATCH_BYTES}) and larger than the one kept. */
  private giveScratch(memory: Float32Array): void {
    const whole = new Float32Array(memory.buffer);
    if (whole.byteLength > NATIVE_SCRATCH_BYTES) return;
    if (!this.spareScratch || whole.length > this.spareScratch.length) this.spareScratch = whole;
  }

  /**
   * Throws the NativeEngineError naming the first fetched layer whose value is not the float32
   * `[count, ...outputShape]` the run's manifest says; returns when every one is (or the runtime
   * fails again: the caller says how).
   */
  private async checkOutputs(
    session: RuntimeSession,
    feeds: Record<string, Ort.Tensor>,
    names: readonly string[],
    fetched: readonly number[],
    count: number,
    sizes: readonly number[],
  ): Promise<void> {
    let out: Ort.InferenceSession.ReturnType;
    try {
      out = await session.run(feeds, names);
    } catch {
      return;
    }
    names.forEach((name, k) => {
      const tensor = out[name];
      if (!(tensor?.data instanceof Float32Array) || tensor.data.length !== count * sizes[k])
        throw new NativeEngineError(
          `layer ${fetched[k]} (${name}): the checkpoint gives ${tensor ? `a ${tensor.type} [${tensor.dims.join(', ')}]` : 'nothing'}, the run's manifest says [${count}, ${this.layers[fetched[k]].outputShape.join(', ')}]`,
        );
    });
  }

  private layerNamed(name: string): RunLayer {
    this.byName ??= new Map(this.layers.map((l) => [l.name, l]));
    const layer = this.byName.get(name);
    if (!layer) throw new NativeEngineError(`${name} crosses a segment cut but is no run layer`);
    return layer;
  }

  /** The session of a segment (made on first use), counted as in use until {@link releaseUse}. */
  private async acquire(key: string, segment: Segment, mayBeWhole: boolean): Promise<RuntimeSession> {
    let entry = this.sessions.get(key);
    if (entry) entry.users++;
    else {
      const { bytes, whole } = this.modelOf(segment, mayBeWhole);
      entry = { opened: this.openSession(segment, bytes, whole), bytes: bytes.length, users: 1, used: 0 };
      this.sessions.set(key, entry);
      this.evict();
    }
    entry.used = ++this.clock;
    try {
      return await entry.opened;
    } catch (e) {
      entry.users--;
      this.sessions.delete(key);
      throw e;
    }
  }

  /** One user less of `key`'s session; with `close`, the session is released once no pass uses it. */
  private releaseUse(key: string, close = false): void {
    const entry = this.sessions.get(key);
    if (entry) entry.users--;
    if (entry && close && entry.users === 0) {
      this.sessions.delete(key);
      void entry.opened.then((s) => s.release()).catch(() => undefined);
    }
    this.evict();
  }

  /** Releases the least recently used idle sessions while the sessions' models add up to more than {@link KEPT_MODELS} checkpoints. */
  private evict(): void {
    const idle = [...this.sessions.entries()].filter(([, e]) => e.users === 0).sort((a, b) => a[1].used - b[1].used);
    let total = [...this.sessions.values()].reduce((sum, e) => sum + e.bytes, 0);
    while (total > KEPT_MODELS * this.bytes.length && idle.length) {
      const [key, entry] = idle.shift()!;
      this.sessions.delete(key);
      total -= entry.bytes;
      void entry.opened.then((s) => s.release()).catch(() => undefined);
    }
  }

  /**
   * The segment's model: the file's own bytes for the whole graph whose outputs already name every
   * layer and which has no node to rewrite (src/onnx/stableLayout.ts), else the segment encoded.
   */
  private modelOf(segment: Segment, mayBeWhole: boolean): { bytes: Uint8Array; whole: boolean } {
    const graph = this.model.raw.graph;
    const outputs = new Set(graph.output.map((v) => v.name));
    const whole =
      mayBeWhole &&
      this.model.rewrites.size === 0 &&
      segment.first === 0 &&
      segment.last === graph.node.length - 1 &&
      segment.layers.every((l) => outputs.has(this.layers[l].name));
    return { bytes: whole ? this.bytes : encodeSegment(this.model, segment), whole };
  }

  private async openSession(segment: Segment, bytes: Uint8Array, whole: boolean): Promise<RuntimeSession> {
    try {
      const opened = await createSession(this.ort, bytes, this.provider, this.layout);
      if (opened.provider !== this.provider) {
        this.effective = opened.provider;
        this.reason = opened.reason;
      } else this.effective ??= opened.provider;
      return opened.session;
    } catch (e) {
      throw new NativeEngineError(
        `ONNX Runtime cannot load ${whole ? 'the checkpoint' : `nodes ${segment.first}..${segment.last} of the checkpoint`}: ${firstLine(String((e as Error)?.message ?? e))}`,
      );
    }
  }
}

/**
 * The inputs per chunk of a run that also writes `perInput` bytes of layers not fetched for each
 * input: `chunk`, fewer where they would take more than `budget`, at least one.
 */
function scratchChunk(chunk: number, perInput: number, budget = NATIVE_SCRATCH_BYTES): number {
  return perInput > 0 ? Math.max(1, Math.min(chunk, Math.floor(budget / perInput))) : chunk;
}

function range(first: number, last: number): number[] {
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => first + k);
}
