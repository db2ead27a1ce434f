/**
 * The analysis engine: answers any slice query `dCNN(x, l, c, t)` (docs/queries.md) about a run
 * folder. Summaries come from the recorded metrics; everything else from a forward pass of the
 * epoch's checkpoint on the probe inputs, measured by `src/analysis` on the compute pool (two
 * workers). Expensive answers are cached in the run folder. The same engine serves the service
 * process (serviceProcess.ts, shared by all panels) and the CLI (`cli query`).
 *
 * The parts: runs.ts (which runs may be opened, and each opened run), models.ts (checkpoints
 * loaded as models), activations.ts (activations kept across queries), splitForward.ts (forward
 * passes on two threads), queryContext.ts (what a handler works with), handlers/ (one per kind).
 */
import { DEFAULT_BINS } from '../analysis';
import { ComputePool } from '../compute/pool';
import { CancelledError } from '../analysis/errors';
import type { Backend } from '../contract/recordSettings';
import { initBackend, InitializedBackend } from '../tfjs/backend';
import { Activations, layerOutputShapes, loadChannelsLastTwin, loadCheckpoint } from '../tfjs/forward';
import { checkLayerShapes } from '../contract/runFormat';
import { ActivationCache } from './activations';
import { LayerCodesCache, SharedResults } from './layerCodes';
import { QueryQueue } from './queryQueue';
import { Handler, HANDLERS } from './handlers';
import { CheckpointModels } from './models';
import { nativeCheckpoints } from './nativeModels';
import type { ExecutionProvider } from '../contract/recordSettings';
import { answerKey } from './answerKey';
import { answeredFromRecord, AnswerOf, isCachedKind, isQuickSlice, Query, QueryKind, QueryOf } from '../contract/queries';
import { EngineParts, QueryContext, QueryControl } from './queryContext';
import { threadPacer } from '../rpc/sharedBuffers';
import { asQueryError } from './queryErrors';
import { RunRegistry, RunState } from './runs';
import { SplitForward } from './splitForward';
import { SubsetPasses } from './subsetPasses';
import { warmUpLayer } from './warmUp';
import { selfCapacityBytes } from './selfCapacity';
import type { ScreenedSelfCapacity } from '../analysis/nearDuplicates';
import { DeconvolutionForward, deconvolutionForwardBytes } from '../tfjs/deconvolution';

export interface EngineOptions {
  /**
   * Folders whose direct children are the runs this engine may read. Nothing else is opened, except
   * the run's own dataset for `inputDiversity` with `source: "dataset"`.
   */
  roots: string[];
  backend?: Backend;
  /** Where the native engine runs PyTorch runs' checkpoints (default: `CNN_SLICER_PROVIDER`, else the CPU). */
  provider?: ExecutionProvider;
  /**
   * Whether the native engine runs PyTorch runs' forward passes (default true, where it loads; the
   * environment's `CNN_SLICER_ENGINE=wasm` turns it off too): false runs them on TensorFlow.js, as a
   * test's second engine does.
   */
  nativeEngine?: boolean;
  /** Compute workers (default 2: both cores of the target machines). */
  workers?: number;
  /** Cap of each run's answer cache (bytes). */
  cacheBytes?: number;
  /** Budget of activations kept in memory across queries (bytes). */
  memoryBytes?: number;
  /** Run forward passes of many inputs on two threads (default true). */
  splitForward?: boolean;
  /** Fewest inputs for which a forward pass is split (default 64). */
  minSplitInputs?: number;
  /** Most bytes of layers one split forward pass allocates at once, and its segments' beyond that (splitForward.ts). */
  maxSplitBytes?: number;
  segmentBytes?: number;
  /** Queries computed at once; the others wait, by priority (default 2). */
  concurrentQueries?: number;
  /**
   * More queries computed at once if they are quick slices (default 1; queryQueue.ts), so a slice
   * of a few inputs never waits for long measures to finish.
   */
  quickQueries?: number;
  /** Budget of capacity codes kept in memory across queries (bytes, default 256 MiB). */
  codesBytes?: number;
  /**
   * Most bytes of layers a native probe pass holds at once (the segments' budget of
   * src/native/nativeForward.ts `forwardLayers`; default its own, NATIVE_BUDGET_BYTES).
   */
  nativePassBytes?: number;
  /** How long the compute pool keeps a layer buffer for the next layer's codes (ms; default: for good; ComputePool). */
  keptLayerIdleMs?: number;
}

export interface EngineResult<K extends QueryKind = QueryKind> {
  answer: AnswerOf[K];
  cached: boolean;
  ms: number;
}

/** Budget of the activations of small input subsets kept across queries (bytes). */
const SUBSET_ACTIVATION_BYTES = 64 * 1024 ** 2;

/** Budget of the deconvolutions' forward halves kept across queries (bytes; a layer's output for the few inputs a view projects). */
const DECONVOLUTION_FORWARD_BYTES = 32 * 1024 ** 2;

/** Budget of the channels' label information kept across queries (bytes; 8 a channel: every layer and epoch of a deep model in a few hundred KB). */
const LABEL_BITS_BYTES = 4 * 1024 ** 2;

/** Budget of the layers' screened capacities with themselves kept across queries (bytes; a few hundred KB per wide layer). */
const SELF_CAPACITY_BYTES = 32 * 1024 ** 2;

export class AnalysisEngine {
  private readonly runs: RunRegistry;
  private readonly activations: ActivationCache;
  private readonly layerCodes: LayerCodesCache;
  private readonly subsetActivations = new SharedResults<Activations>(SUBSET_ACTIVATION_BYTES, (a) => a.data.byteLength);
  private readonly subsetPasses = new SubsetPasses();
  private readonly selfCapacities = new SharedResults<ScreenedSelfCapacity>(SELF_CAPACITY_BYTES, selfCapacityBytes);
  private readonly deconvolutionForwards = new SharedResults<DeconvolutionForward>(DECONVOLUTION_FORWARD_BYTES, deconvolutionForwardBytes);
  private readonly labelBits = new SharedResults<(number | undefined)[]>(LABEL_BITS_BYTES, (bits) => 8 * bits.length + 64);
  private readonly queue: QueryQueue;
  private readonly splitForward: SplitForward;
  private readonly parts: EngineParts;
  private backend?: Promise<InitializedBackend>;
  private pool?: ComputePool;
  /** Runs the compute pool has been prepared for (`prepareFor`). */
  private readonly prepared = new Set<string>();
  /** Stops pacing this thread's garbage buffers (src/rpc/sharedBuffers.ts), when the engine closes. */
  private readonly stopPacing = threadPacer.open();

  constructor(private readonly options: EngineOptions) {
    this.activations = new ActivationCache(options.memoryBytes);
    this.layerCodes = new LayerCodesCache(options.codesBytes);
    this.queue = new QueryQueue(options.concurrentQueries ?? 2, options.quickQueries ?? 1);
    this.splitForward = new SplitForward({
      enabled: options.splitForward,
      minSplitInputs: options.minSplitInputs,
      maxSplitBytes: options.maxSplitBytes,
      segmentBytes: options.segmentBytes,
    });
    this.runs = new RunRegistry({
      roots: options.roots,
      cacheBytes: options.cacheBytes,
      models: (folder, manifest) =>
        new CheckpointModels(folder, async (dir) => {
          const model = await loadCheckpoint((await this.tf()).tf, dir, manifest.layers);
          // A manifest that lies about a layer's shape would make the slicing code read past its arrays.
          try {
            checkLayerShapes(manifest, layerOutputShapes(model, manifest.layers), dir);
          } catch (e) {
            model.dispose();
            throw e;
          }
          return model;
        }),
      natives: (folder, manifest) => (options.nativeEngine === false ? undefined : nativeCheckpoints(folder, manifest, options.provider)),
      // One epoch's twin at a time: the deconvolutions of a layer's channels, and of the next layer, share it.
      twins: (folder, manifest) =>
        manifest.checkpoint?.format === 'onnx'
          ? new CheckpointModels(
              folder,
              async (dir) => {
                const model = await loadChannelsLastTwin((await this.tf()).tf, dir, manifest.layers);
                return { model, dispose: () => model?.dispose() };
              },
              1,
            )
          : undefined,
      onReplaced: (old) => {
        this.dropLayersOf(old.folder);
        this.selfCapacities.dropRun(old.folder);
        this.labelBits.dropRun(old.folder);
      },
    });
    this.parts = {
      tf: () => this.tf(),
      computePool: () => this.computePool(),
      activations: this.activations,
      layerCodes: this.layerCodes,
      subsetActivations: this.subsetActivations,
      subsetPasses: this.subsetPasses,
      splitForward: this.splitForward,
      selfCapacities: this.selfCapacities,
      deconvolutionForwards: this.deconvolutionForwards,
      labelBits: this.labelBits,
      nativePassBytes: this.options.nativePassBytes,
    };
  }

  /** Answers one query about the run in `runFolder` (which must be a direct child of a root). */
  async answer<Q extends Query>(runFolder: string, query: Q, control: QueryControl = {}): Promise<EngineResult<Q['kind']>> {
    const started = performance.now();
    const run = this.runs.open(runFolder);
    // What the recorder wrote is read at once; only computed answers wait their turn and are cached.
    const computed = !answeredFromRecord(query, run.record.manifest);
    const key = isCachedKind(query.kind) ? answerKey(run, query) : undefined;
    if (key) {
      const hit = run.cache.get<AnswerOf[Q['kind']]>(key);
      if (hit) return { answer: hit, cached: true, ms: performance.now() - started };
    }
    let answer: AnswerOf[Q['kind']];
    const context = new QueryContext(run, control, this.parts);
    let release: (() => void) | undefined;
    try {
      // Only computing waits its turn: summaries and cached answers come at once.
      if (computed) {
        const quick = isQuickSlice(query);
        if (this.queue.wouldWait(quick)) control.onProgress?.(0, `waiting for other queries (${this.queue.pending} already waiting)`);
        this.prepareFor(run);
        release = await this.queue.acquire(control.priority, control.signal, quick, control.asker);
        control.onProgress?.(0, 'computing');
      }
      answer = (await dispatch(query, context)) as AnswerOf[Q['kind']];
      // Some steps run to the end once started: a cancelled query still never answers.
      if (control.signal?.aborted) throw new CancelledError();
    } catch (e) {
      throw asQueryError(e);
    } finally {
      release?.();
      // The models this query used may be disposed from now on (models.ts).
      await context.release();
    }
    // Answers read from the summaries are cheap: only computed ones go to the disk cache.
    if (key && computed) run.cache.set(key, answer);
    return { answer, cached: false, ms: performance.now() - started };
  }

  /** Puts the queries of `asker` (a panel) behind every other asker's, or back (queryQueue.ts, `standBehind`). */
  standBehind(asker: string, behind: boolean): void {
    this.queue.standBehind(asker, behind);
  }

  /**
   * Whether `query` would be answered without computing: from the run's answer cache, or (a
   * channel's label information) from values kept in memory, which the findings' evidence keeps for
   * every layer it measured (a report past its deadline answers these: 66 layers of a ResNet-18).
   */
  isCached(runFolder: string, query: Query): boolean {
    if (!isCachedKind(query.kind)) return false;
    const run = this.runs.open(runFolder);
    if (run.cache.has(answerKey(run, query))) return true;
    if (query.kind !== 'channelLabelInformation') return false;
    try {
      return new QueryContext(run, {}, this.parts).labelBitsKept(query);
    } catch {
      return false; // a query its checks refuse: answering it says why
    }
  }

  /** Frees models, activations and workers. */
  /**
   * Lets go of what the engine keeps of a run's layers for later queries (activations, capacity
   * codes, paused subset passes, deconvolutions' forward halves); the small results (each layer's
   * screened self-capacity, its channels' label information, the small layers over the probe set
   * such as the class scores: activations.ts SMALL_ACTIVATION_BYTES) stay. A report calls it after a
   * query that read every layer over the probe set (the findings, the network graph): the layers
   * it leaves in memory are not what its next answers read, and they would add up with theirs.
   */
  dropLayers(runFolder: string): void {
    const run = this.runs.open(runFolder);
    this.dropLayersOf(run.folder, { keepSmall: true });
    // The native checkpoints' own models (the deconvolution's session and its flipped kernels).
    for (const checkpoint of run.natives?.loaded() ?? []) checkpoint.dropDerived();
  }

  /** {@link dropLayers} of an opened run's folder (as RunState `folder` names it); every layer unless `keepSmall`. */
  private dropLayersOf(folder: string, o: { keepSmall?: boolean } = {}): void {
    this.activations.dropRun(folder, o);
    this.layerCodes.dropRun(folder);
    this.subsetActivations.dropRun(folder);
    this.subsetPasses.dropRun(folder);
    this.deconvolutionForwards.dropRun(folder);
  }

  close(): void {
    // The paused passes first: they pin models the registry disposes.
    this.subsetPasses.clear();
    this.runs.close();
    this.activations.clear();
    this.layerCodes.clear();
    this.subsetActivations.clear();
    this.selfCapacities.clear();
    this.deconvolutionForwards.clear();
    this.labelBits.clear();
    this.pool?.close();
    this.pool = undefined;
    this.splitForward.close();
    this.stopPacing();
  }

  private tf(): Promise<InitializedBackend> {
    if (!this.backend) {
      this.backend = initBackend(this.options.backend ?? 'auto');
      this.warmComputePool();
    }
    return this.backend;
  }

  /**
   * Starts the compute workers while the backend loads, with a capacity matrix of the warm-up
   * layer (warmUp.ts; its result is of no use): the query that first needs the workers (a capacity
   * matrix, an inter-sample entropy) then finds them started, their kernels compiled and run hot —
   * WebAssembly and JavaScript alike start on baseline code and are optimised once they have run a
   * while, on the branches they have taken — as in a service that has answered queries before.
   * Costs the workers about 0.3 s of CPU, while the first query runs its forward pass.
   */
  private warmComputePool(): void {
    const pool = this.computePool();
    const layer = warmUpLayer();
    const warm = async () => {
      // The distance codes twice: in one pass a worker screens a few channels, too few calls for
      // V8 to optimise the screening's functions for good (they were compiled on the first real
      // query's time).
      await pool.layerCodes(layer, DEFAULT_BINS);
      const codes = await pool.layerCodes(layer, DEFAULT_BINS);
      // The matrix twice: what a worker runs on the first call for each matrix (loading the rows'
      // codes) runs before V8 keeps type feedback, so only a second matrix (a few rows are
      // enough) gives it some.
      await pool.capacityFromCodes(codes, codes);
      await pool.capacityFromCodes(codes, codes.slice(0, 8));
    };
    warm().catch(() => undefined);
  }

  /**
   * Prepares the compute pool for the layers of `run`, once per run, while its first computing
   * query runs: the buffer a layer is shared with the workers in, for its distance codes, is
   * allocated at the size of the run's largest layer and its pages mapped by a worker now, rather
   * than on this thread when the first capacity matrix waits for it (ComputePool.reserveLayerBuffer:
   * at most 64 MiB, kept for the pool's life).
   */
  private prepareFor(run: RunState): void {
    if (this.prepared.has(run.folder)) return;
    this.prepared.add(run.folder);
    const { layers, probe } = run.record.manifest;
    const largest = Math.max(0, ...layers.map((l) => l.outputShape.reduce((a, b) => a * Math.max(0, b), 1)));
    this.computePool()
      .reserveLayerBuffer(probe.size * largest * 4)
      .catch(() => undefined);
  }

  private computePool(): ComputePool {
    this.pool ??= new ComputePool({ workers: this.options.workers ?? 2, keptLayerIdleMs: this.options.keptLayerIdleMs });
    return this.pool;
  }
}

/** The handler of the query's kind, typed by that kind. */
async function dispatch<K extends QueryKind>(query: QueryOf<K>, ctx: QueryContext): Promise<AnswerOf[K]> {
  const handler: Handler<K> = HANDLERS[query.kind];
  return handler(query, ctx);
}
