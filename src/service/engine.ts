/**
 * The analysis engine: answers any slice query `dCNN(x, l, c, t)` (docs/queries.md) about a run
 * folder. Summaries come from the recorded metrics; everything else from a forward pass of the
 * epoch's checkpoint on the probe inputs, measured by `src/analysis` on the compute pool (two
 * workers). Expensive answers are cached in the run folder. The same engine serves the service
 * process (serviceProcess.ts, shared by all panels) and the CLI (`cli query`).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { argmaxRows, capacityBits, channelEntropies, channelMatrix, confusionMatrix, distanceCodes, gatherRows, hasErrorCode, indicesByClass, InputSubset, layerActivations, LayerActivations, layerCapacity, neighbourCount, npyToFloat64, parseNpy, resolveSubset, sampleWithoutReplacement, sortMatrix } from '../analysis';
import { AnswerOf, Bits, canonicalQuery, encodeFloat32, Query, QUERY_VERSION, QueryError, QueryKind } from './queries';
import { RunFormatError } from '../run/format';
import { CancelledError, ComputePool } from '../compute/pool';
import { loadDataset, parseDatasetSpec } from '../data/datasets';
import { BackendPreference, initBackend, InitializedBackend } from '../tfjs/backend';
import { Activations, forwardLayer, forwardLayers, loadCheckpoint } from '../tfjs/forward';
import { epochFolder } from '../run/paths';
import { readRun, RunRecord } from '../run/store';
import { AnswerCache, DEFAULT_CACHE_BYTES } from '../run/cache';
import { ForwardHelper, resolveForwardScript, shareFloat32 } from './forwardHelper';
import { deconvolve } from './deconvolution';

export interface EngineOptions {
  /**
   * Folders whose direct children are the runs this engine may read. Nothing else is opened, except
   * the run's own dataset for `inputDiversity` with `source: "dataset"`.
   */
  roots: string[];
  backend?: BackendPreference;
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
}

/** Inputs below which a forward pass stays on one thread (the hand-over costs more than it saves). */
const MIN_SPLIT_INPUTS = 64;

function backendPreference(name: string): BackendPreference {
  return name === 'tensorflow' ? 'tfjs-node' : name === 'wasm' ? 'wasm' : 'cpu';
}

export interface QueryControl {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface EngineResult<K extends QueryKind = QueryKind> {
  answer: AnswerOf[K];
  cached: boolean;
  ms: number;
}

/** Run folder names the engine accepts: what the recorder makes, never `..` or a path. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Query kinds whose answers are worth caching on disk (the rest are cheap reads of the summaries). */
const CACHED: ReadonlySet<QueryKind> = new Set(['confusion', 'featureMaps', 'channelEntropies', 'interSample', 'inputDiversity', 'capacityMatrix', 'layerCapacity', 'channelPair', 'deconvolution']);

/** Below this share of the probe set, a slice runs the forward pass on its own inputs only. */
const SUBSET_FORWARD_SHARE = 0.25;

interface RunState {
  folder: string;
  stamp: string;
  record: RunRecord;
  fingerprint: string;
  cache: AnswerCache;
  probe?: { inputs: Float32Array; labels: Int32Array; shape: number[] };
  models: Map<number, tfType.LayersModel>;
  extractors: Map<number, Map<number, tfType.LayersModel>>;
}

export class AnalysisEngine {
  private readonly roots: string[];
  private readonly runs = new Map<string, RunState>();
  private readonly activations = new Map<string, Activations>();
  private activationBytes = 0;
  private backend?: Promise<InitializedBackend>;
  private forwardHelper?: ForwardHelper;
  private pool?: ComputePool;

  constructor(private readonly options: EngineOptions) {
    this.roots = options.roots.map((r) => (existsSync(r) ? realpathSync(r) : resolve(r)));
  }

  /** Answers one query about the run in `runFolder` (which must be a direct child of a root). */
  async answer<Q extends Query>(runFolder: string, query: Q, control: QueryControl = {}): Promise<EngineResult<Q['kind']>> {
    const started = performance.now();
    const run = this.open(runFolder);
    const key = CACHED.has(query.kind) ? AnswerCache.key([String(QUERY_VERSION), run.fingerprint, canonicalQuery(this.withDefaults(run, query))]) : undefined;
    if (key) {
      const hit = run.cache.get<AnswerOf[Q['kind']]>(key);
      if (hit) return { answer: hit, cached: true, ms: performance.now() - started };
    }
    let answer: AnswerOf[Q['kind']];
    try {
      answer = (await this.compute(run, query, control)) as AnswerOf[Q['kind']];
      // Some steps run to the end once started: a cancelled query still never answers.
      if (control.signal?.aborted) throw new CancelledError();
    } catch (e) {
      throw asQueryError(e);
    }
    // Answers read from the summaries are cheap: only computed ones go to the disk cache.
    const fromSummary = (answer as { source?: string }).source === 'summary' || (query.kind === 'confusion' && !query.inputs);
    if (key && !fromSummary) run.cache.set(key, answer);
    return { answer, cached: false, ms: performance.now() - started };
  }

  /** Frees models, activations and workers. */
  close(): void {
    for (const run of this.runs.values()) this.dropModels(run);
    this.runs.clear();
    this.activations.clear();
    this.activationBytes = 0;
    this.pool?.close();
    this.pool = undefined;
    this.forwardHelper?.close();
    this.forwardHelper = undefined;
  }

  // ---- runs -------------------------------------------------------------------------------

  /** Validates the run path against the roots and (re)reads its manifest and metrics when they changed. */
  private open(runFolder: string): RunState {
    if (typeof runFolder !== 'string' || runFolder.length === 0 || runFolder.includes('\0')) throw new QueryError('unknown-run', 'no run folder given');
    const id = basename(resolve(runFolder));
    if (!RUN_ID.test(id)) throw new QueryError('unknown-run', `"${id}" is not a run id (letters, digits, ".", "_" and "-" only)`);
    const parent = dirname(resolve(runFolder));
    const real = existsSync(parent) ? realpathSync(parent) : parent;
    if (!this.roots.includes(real)) throw new QueryError('unknown-run', `${resolve(runFolder)} is not inside a runs folder this service may read (${this.roots.join(', ') || 'none'})`);
    const folder = join(real, id);
    if (!existsSync(join(folder, 'manifest.json'))) throw new QueryError('unknown-run', `there is no run "${id}" in ${real}`);
    // A run folder that is a link elsewhere is refused too.
    if (dirname(realpathSync(folder)) !== real) throw new QueryError('unknown-run', `${folder} points outside its runs folder`);
    const stamp = fileStamp(join(folder, 'manifest.json')) + ':' + fileStamp(join(folder, 'metrics.jsonl'));
    const known = this.runs.get(folder);
    if (known && known.stamp === stamp) return known;
    let record: RunRecord;
    try {
      record = readRun(folder, { repair: false });
    } catch (e) {
      throw asQueryError(e);
    }
    const m = record.manifest;
    const fingerprint = [m.id, m.createdAt, m.model.fingerprint, m.dataset.fingerprint, JSON.stringify(m.probe), JSON.stringify(m.settings)].join('|');
    if (known && known.fingerprint !== fingerprint) {
      this.dropModels(known);
      this.dropActivations(folder);
    }
    const state: RunState =
      known && known.fingerprint === fingerprint
        ? { ...known, stamp, record }
        : { folder, stamp, record, fingerprint, cache: new AnswerCache(join(folder, 'cache'), this.options.cacheBytes ?? DEFAULT_CACHE_BYTES), models: new Map(), extractors: new Map() };
    this.runs.set(folder, state);
    return state;
  }

  private dropModels(run: RunState): void {
    for (const m of run.models.values()) m.dispose();
    run.models.clear();
    run.extractors.clear();
  }

  private dropActivations(folder: string): void {
    for (const [k, a] of this.activations) {
      if (k.startsWith(folder + '|')) {
        this.activations.delete(k);
        this.activationBytes -= a.data.byteLength;
      }
    }
  }

  private probe(run: RunState): NonNullable<RunState['probe']> {
    if (run.probe) return run.probe;
    const m = run.record.manifest;
    const read = (file: string) => {
      const path = join(run.folder, file);
      if (!existsSync(path)) throw new QueryError('run-format', `${path} is missing; the run cannot be sliced — record it again`);
      try {
        return parseNpy(new Uint8Array(readFileSync(path)));
      } catch (e) {
        throw new QueryError('run-format', `${path} is damaged (${(e as Error).message}); record the run again`);
      }
    };
    const inputs = read(m.probe.inputsFile);
    const labels = read(m.probe.labelsFile);
    const data = inputs.data instanceof Float32Array ? inputs.data : Float32Array.from(npyToFloat64(inputs));
    run.probe = { inputs: data, labels: Int32Array.from(npyToFloat64(labels)), shape: inputs.shape };
    if (run.probe.labels.length !== inputs.shape[0]) throw new QueryError('run-format', `the probe set has ${inputs.shape[0]} inputs but ${run.probe.labels.length} labels; record the run again`);
    return run.probe;
  }

  private classes(run: RunState): number {
    return run.record.manifest.dataset.classNames.length;
  }

  private metricsAt(run: RunState, epoch: number) {
    const m = run.record.metrics.find((e) => e.epoch === epoch);
    if (!m) {
      const recorded = run.record.manifest.epochs;
      throw new QueryError('epoch-not-recorded', `epoch ${epoch} is not recorded in run ${run.record.manifest.id}; recorded epochs: ${recorded.length ? recorded.join(', ') : 'none yet'}`);
    }
    return m;
  }

  private checkLayer(run: RunState, layer: number, what = 'layer'): void {
    const count = run.record.manifest.layers.length;
    if (layer >= count) throw new QueryError('out-of-range', `${what} ${layer} is out of range: the model has layers 0..${count - 1} (0 = input)`);
  }

  private checkChannel(run: RunState, layer: number, channel: number): void {
    const l = run.record.manifest.layers[layer];
    if (channel >= l.channels) throw new QueryError('out-of-range', `channel ${channel} is out of range: layer ${layer} (${l.name}) has channels 0..${l.channels - 1}`);
  }

  private subset(run: RunState, x: InputSubset | undefined): number[] {
    const probe = this.probe(run);
    return resolveSubset(x ?? { kind: 'all' }, probe.labels, this.classes(run));
  }

  private withDefaults(run: RunState, q: Query): Query {
    const bins = run.record.manifest.settings.bins;
    if ('bins' in q || q.kind === 'capacityMatrix' || q.kind === 'layerCapacity' || q.kind === 'channelPair') return { ...q, bins: (q as { bins?: number }).bins ?? bins } as Query;
    return q;
  }

  // ---- tfjs and activations ---------------------------------------------------------------

  private tf(): Promise<InitializedBackend> {
    this.backend ??= initBackend(this.options.backend ?? 'auto');
    return this.backend;
  }

  private computePool(): ComputePool {
    this.pool ??= new ComputePool({ workers: this.options.workers ?? 2 });
    return this.pool;
  }

  private async model(run: RunState, epoch: number): Promise<tfType.LayersModel> {
    const known = run.models.get(epoch);
    if (known) {
      run.models.delete(epoch);
      run.models.set(epoch, known); // most recently used last
      return known;
    }
    const { tf } = await this.tf();
    const dir = join(run.folder, 'checkpoints', epochFolder(epoch));
    let model: tfType.LayersModel;
    try {
      model = await loadCheckpoint(tf, dir, run.record.manifest.layers);
    } catch (e) {
      throw new QueryError('run-format', `the checkpoint of epoch ${epoch} (${dir}) cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
    }
    run.models.set(epoch, model);
    // Two epochs stay loaded per run (a view usually compares neighbouring epochs).
    while (run.models.size > 2) {
      const [oldest, m] = run.models.entries().next().value as [number, tfType.LayersModel];
      m.dispose();
      run.models.delete(oldest);
      run.extractors.delete(oldest);
    }
    return model;
  }

  /** Activations of `layer` at `epoch` for the probe inputs `indices` (ascending). */
  private async layerOutput(run: RunState, epoch: number, layer: number, indices: number[], control: QueryControl): Promise<LayerActivations> {
    const probe = this.probe(run);
    const n = probe.labels.length;
    const layers = run.record.manifest.layers;
    const per = layers[layer].outputShape.reduce((a, b) => a * b, 1);
    const all = indices.length === n;
    const shapeOf = (count: number) => [count, ...layers[layer].outputShape];
    if (layer === 0) return layerActivations(shapeOf(indices.length), all ? probe.inputs : Float32Array.from(gatherRows(probe.inputs, per, indices)));
    const cacheKey = `${run.folder}|${epoch}|${layer}`;
    const cached = this.activations.get(cacheKey);
    if (cached) {
      this.activations.delete(cacheKey);
      this.activations.set(cacheKey, cached);
      return layerActivations(shapeOf(indices.length), all ? cached.data : Float32Array.from(gatherRows(cached.data, per, indices)));
    }
    const { tf } = await this.tf();
    const model = await this.model(run, epoch);
    if (!run.extractors.has(epoch)) run.extractors.set(epoch, new Map());
    const extractors = run.extractors.get(epoch)!;
    const inputPer = probe.inputs.length / n;
    if (indices.length < SUBSET_FORWARD_SHARE * n) {
      const inputs = Float32Array.from(gatherRows(probe.inputs, inputPer, indices));
      const out = await forwardLayer({ tf, model, layers, inputs, count: indices.length, layer, extractors, signal: control.signal });
      return layerActivations(out.shape, out.data);
    }
    // The whole probe set: every layer on the way is kept too (the next query often wants one).
    let result: Activations | undefined;
    if (model.getClassName() === 'Sequential') {
      // Start from the deepest layer below this one that is still in memory.
      let from: { index: number; activations: Activations } | undefined;
      for (let l = layer - 1; l >= 1 && !from; l--) {
        const known = this.activations.get(`${run.folder}|${epoch}|${l}`);
        if (known) from = { index: l, activations: known };
      }
      for await (const { index, out } of this.splitForward(run, epoch, model, probe.inputs, n, layer, from, control)) {
        control.onProgress?.((index / layer) * 0.5, `forward pass: layer ${index} of ${layer}`);
        this.remember(`${run.folder}|${epoch}|${index}`, out);
        result = out;
      }
    } else {
      result = await forwardLayer({ tf, model, layers, inputs: probe.inputs, count: n, layer, extractors, signal: control.signal });
      this.remember(cacheKey, result);
    }
    return layerActivations(shapeOf(indices.length), all ? result!.data : Float32Array.from(gatherRows(result!.data, per, indices)));
  }

  /** The common part of the layer-pair queries: checks, the input subset, bins and both layers' activations. */
  private async layerPair(
    run: RunState,
    q: { layerI: number; layerJ: number; epoch: number; x?: InputSubset; bins?: number },
    control: QueryControl,
  ): Promise<{ indices: number[]; bins: number; a: LayerActivations; b: LayerActivations }> {
    this.metricsAt(run, q.epoch);
    this.checkLayer(run, q.layerI, 'layerI');
    this.checkLayer(run, q.layerJ, 'layerJ');
    const indices = this.subset(run, q.x);
    const [a, b] = await this.twoLayers(run, q.epoch, q.layerI, q.layerJ, indices, control);
    return { indices, bins: q.bins ?? run.record.manifest.settings.bins, a, b };
  }

  /** Two layers' activations, the shallower first so the deeper pass continues from it. */
  private async twoLayers(run: RunState, epoch: number, i: number, j: number, indices: number[], control: QueryControl): Promise<[LayerActivations, LayerActivations]> {
    if (i === j) {
      const a = await this.layerOutput(run, epoch, i, indices, control);
      return [a, a];
    }
    const [lo, hi] = i < j ? [i, j] : [j, i];
    const first = await this.layerOutput(run, epoch, lo, indices, control);
    const second = await this.layerOutput(run, epoch, hi, indices, control);
    return i < j ? [first, second] : [second, first];
  }

  /**
   * A sequential forward pass over many inputs on two threads: the second half goes to the forward
   * worker while this thread runs the first; the layers come out joined, in order.
   */
  private async *splitForward(
    run: RunState,
    epoch: number,
    model: tfType.LayersModel,
    inputs: Float32Array,
    n: number,
    last: number,
    from: { index: number; activations: Activations } | undefined,
    control: QueryControl,
  ): AsyncGenerator<{ index: number; out: Activations }> {
    const { tf, backend } = await this.tf();
    const layers = run.record.manifest.layers;
    const script = n >= (this.options.minSplitInputs ?? MIN_SPLIT_INPUTS) ? resolveForwardScript() : undefined;
    const knownShapes = layers.slice(1, last + 1).every((l) => l.outputShape.every((v) => v > 0));
    if (!script || !knownShapes || this.options.splitForward === false) {
      yield* forwardLayers({ tf, model, layers, inputs, count: n, last, from, signal: control.signal });
      return;
    }
    this.forwardHelper ??= new ForwardHelper(script);
    const h = Math.ceil(n / 2);
    const inPer = inputs.length / n;
    const fromPer = from ? from.activations.data.length / n : 0;
    // Both threads write their half of every layer straight into one shared buffer per layer.
    const first = (from?.index ?? 0) + 1;
    const full = new Map<number, Float32Array>();
    for (let l = first; l <= last; l++) full.set(l, new Float32Array(new SharedArrayBuffer(n * layers[l].outputShape.reduce((a, b) => a * b, 1) * 4)));
    const per = (l: number) => full.get(l)!.length / n;
    const second = this.forwardHelper.run({
      backend: backendPreference(backend),
      checkpoint: join(run.folder, 'checkpoints', epochFolder(epoch)),
      layers,
      inputs: shareFloat32(inputs.subarray(h * inPer)),
      count: n - h,
      last,
      from: from && { index: from.index, shape: [n - h, ...from.activations.shape.slice(1)], data: shareFloat32(from.activations.data.subarray(h * fromPer)) },
      destinations: [...full].map(([index, a]) => ({ index, buffer: a.buffer as SharedArrayBuffer, offset: h * per(index) * 4, length: (n - h) * per(index) })),
    });
    second.catch(() => undefined); // awaited below
    const mine = new Map([...full].map(([index, a]) => [index, a.subarray(0, h * per(index))]));
    const firstFrom = from && { index: from.index, activations: { shape: [h, ...from.activations.shape.slice(1)], data: from.activations.data.subarray(0, h * fromPer) } };
    const shapes: [number, number[]][] = [];
    for await (const { index, out } of forwardLayers({ tf, model, layers, inputs: inputs.subarray(0, h * inPer), count: h, last, from: firstFrom, destinations: mine, signal: control.signal })) {
      shapes.push([index, out.shape]);
    }
    await second;
    if (control.signal?.aborted) throw new CancelledError();
    for (const [index, shape] of shapes) yield { index, out: { shape: [n, ...shape.slice(1)], data: full.get(index)! } };
  }

  private remember(key: string, acts: Activations): void {
    const budget = this.options.memoryBytes ?? 1024 ** 3;
    if (acts.data.byteLength > budget) return;
    const old = this.activations.get(key);
    if (old) this.activationBytes -= old.data.byteLength;
    this.activations.delete(key);
    this.activations.set(key, acts);
    this.activationBytes += acts.data.byteLength;
    for (const [k, a] of this.activations) {
      if (this.activationBytes <= budget) break;
      this.activations.delete(k);
      this.activationBytes -= a.data.byteLength;
    }
  }

  // ---- queries ----------------------------------------------------------------------------

  private async compute(run: RunState, q: Query, control: QueryControl): Promise<AnswerOf[QueryKind]> {
    const m = run.record.manifest;
    const settings = m.settings;
    switch (q.kind) {
      case 'run':
        return { manifest: m, notes: run.record.notes };
      case 'training': {
        const metrics = run.record.metrics;
        const classes = this.classes(run);
        return {
          epochs: metrics.map((e) => e.epoch),
          classNames: m.dataset.classNames,
          trainLoss: metrics.map((e) => e.trainLoss),
          trainAccuracy: metrics.map((e) => e.trainAccuracy),
          probeLoss: metrics.map((e) => e.probeLoss),
          probeAccuracy: metrics.map((e) => e.probeAccuracy),
          hLabelGivenPred: Array.from({ length: classes }, (_, c) => metrics.map((e) => e.hLabelGivenPred[c] ?? null)),
          hPredGivenLabel: Array.from({ length: classes }, (_, c) => metrics.map((e) => e.hPredGivenLabel[c] ?? null)),
        };
      }
      case 'confusion': {
        const metrics = this.metricsAt(run, q.epoch);
        if (!q.inputs) return { epoch: q.epoch, classNames: m.dataset.classNames, matrix: metrics.confusion };
        const probe = this.probe(run);
        const n = probe.labels.length;
        const classes = this.classes(run);
        const out = await this.layerOutput(run, q.epoch, m.layers.length - 1, this.subset(run, undefined), control);
        const predicted = argmaxRows(out.data, n, out.data.length / n);
        const cells: number[][][] = Array.from({ length: classes }, () => Array.from({ length: classes }, () => []));
        for (let i = 0; i < n; i++) cells[probe.labels[i]][predicted[i]]?.push(i);
        return { epoch: q.epoch, classNames: m.dataset.classNames, matrix: confusionMatrix(probe.labels, predicted, classes), cells };
      }
      case 'inputs': {
        const probe = this.probe(run);
        const indices = this.subset(run, q.x);
        const per = probe.inputs.length / probe.labels.length;
        const images = Float32Array.from(gatherRows(probe.inputs, per, indices));
        const [min, max] = range(images);
        return { inputs: indices, labels: indices.map((i) => probe.labels[i]), images: encodeFloat32([indices.length, ...probe.shape.slice(1)], images), min, max };
      }
      case 'featureMaps': {
        this.metricsAt(run, q.epoch);
        this.checkLayer(run, q.layer);
        for (const c of q.channels) this.checkChannel(run, q.layer, c);
        const indices = this.subset(run, q.x);
        const acts = await this.layerOutput(run, q.epoch, q.layer, indices, control);
        const shape = m.layers[q.layer].outputShape;
        const [h, w] = shape.length >= 3 ? [shape[0], shape.slice(1, -1).reduce((a, b) => a * b, 1)] : [1, acts.units];
        const maps = new Float32Array(indices.length * q.channels.length * acts.units);
        const channelRanges: [number, number][] = q.channels.map(() => [Infinity, -Infinity]);
        for (let i = 0, o = 0; i < indices.length; i++) {
          q.channels.forEach((c, k) => {
            const r = channelRanges[k];
            for (let p = 0; p < acts.units; p++, o++) {
              const v = acts.data[(i * acts.units + p) * acts.channels + c];
              maps[o] = v;
              if (v < r[0]) r[0] = v;
              if (v > r[1]) r[1] = v;
            }
          });
        }
        const [min, max] = range(maps);
        return {
          layer: q.layer,
          epoch: q.epoch,
          inputs: indices,
          labels: indices.map((i) => this.probe(run).labels[i]),
          channels: q.channels,
          maps: encodeFloat32([indices.length, q.channels.length, h, w], maps),
          min,
          max,
          channelRanges: channelRanges.map(([a, b]) => (a > b ? [0, 0] : [a, b])),
        };
      }
      case 'channelEntropies': {
        const metrics = this.metricsAt(run, q.epoch);
        this.checkLayer(run, q.layer);
        const classes = this.classes(run);
        if (!q.x || q.x.kind === 'all') {
          const lm = metrics.layers[q.layer];
          return { layer: q.layer, epoch: q.epoch, inputCount: m.probe.size, all: lm.channelBits, perClass: lm.channelBitsPerClass, classCounts: m.probe.classCounts, source: 'summary' };
        }
        const probe = this.probe(run);
        const indices = this.subset(run, q.x);
        const acts = await this.layerOutput(run, q.epoch, q.layer, indices, control);
        const labels = indices.map((i) => probe.labels[i]);
        const s = channelEntropies(acts, { bins: settings.bins, labels, classes });
        return { layer: q.layer, epoch: q.epoch, inputCount: indices.length, all: s.all.map(orNull), perClass: (s.perClass ?? []).map((r) => r.map(orNull)), classCounts: s.classCounts ?? [], source: 'computed' };
      }
      case 'smallMultiples': {
        this.checkLayer(run, q.layer);
        const metrics = run.record.metrics;
        const channels = m.layers[q.layer].channels;
        const classes = this.classes(run);
        return {
          layer: q.layer,
          epochs: metrics.map((e) => e.epoch),
          channels,
          all: Array.from({ length: channels }, (_, c) => metrics.map((e) => e.layers[q.layer]?.channelBits[c] ?? null)),
          perClass: Array.from({ length: classes }, (_, k) => Array.from({ length: channels }, (_, c) => metrics.map((e) => e.layers[q.layer]?.channelBitsPerClass[k]?.[c] ?? null))),
          deadChannels: metrics.map((e) => e.layers[q.layer]?.deadChannels ?? []),
        };
      }
      case 'interSample': {
        const metrics = this.metricsAt(run, q.epoch);
        this.checkLayer(run, q.layer);
        const lm = metrics.layers[q.layer];
        const K = (count: number) => (count >= 2 ? neighbourCount(count, settings.k) : 0);
        // All inputs and one class are in the summaries (no probe file needed).
        if (!q.x || q.x.kind === 'all') return { layer: q.layer, epoch: q.epoch, inputCount: m.probe.size, K: K(m.probe.size), bits: lm.interSampleBits, source: 'summary' };
        if (q.x.kind === 'classes' && q.x.classes.length === 1 && q.x.classes[0] < m.probe.classCounts.length) {
          const count = m.probe.classCounts[q.x.classes[0]];
          return { layer: q.layer, epoch: q.epoch, inputCount: count, K: K(count), bits: lm.interSampleBitsPerClass[q.x.classes[0]] ?? null, source: 'summary' };
        }
        const indices = this.subset(run, q.x);
        const acts = await this.layerOutput(run, q.epoch, q.layer, indices, control);
        control.onProgress?.(0.5, 'inter-sample entropy');
        const r = await this.computePool().interSampleEntropy(acts.data, acts.count, acts.units * acts.channels, { k: settings.k, signal: control.signal });
        return { layer: q.layer, epoch: q.epoch, inputCount: indices.length, K: K(indices.length), bits: orNull(r.entropyBits), source: 'computed' };
      }
      case 'inputDiversity':
        return this.inputDiversity(run, q, control);
      case 'capacityMatrix': {
        const { indices, bins, a, b } = await this.layerPair(run, q, control);
        control.onProgress?.(0.6, 'capacity matrix');
        const cm = await this.computePool().capacityMatrix(a, b, { bins, signal: control.signal });
        const rowMax = sortMatrix(cm.values, cm.rows, cm.columns, 'max');
        const rowMean = sortMatrix(cm.values, cm.rows, cm.columns, 'mean');
        return {
          layerI: q.layerI,
          layerJ: q.layerJ,
          epoch: q.epoch,
          inputCount: indices.length,
          bins,
          rows: cm.rows,
          columns: cm.columns,
          values: Array.from(cm.values, orNull),
          orders: { rowMax: rowMax.rowOrder, rowMean: rowMean.rowOrder, columnMax: rowMax.columnOrder, columnMean: rowMean.columnOrder },
        };
      }
      case 'layerCapacity': {
        const { indices, bins, a, b } = await this.layerPair(run, q, control);
        return { layerI: q.layerI, layerJ: q.layerJ, epoch: q.epoch, inputCount: indices.length, bins, bits: orNull(layerCapacity(a, b, bins)) };
      }
      case 'channelPair': {
        // Epoch and layers first: a channel is only checked against a layer that exists.
        this.metricsAt(run, q.epoch);
        this.checkLayer(run, q.layerI, 'layerI');
        this.checkLayer(run, q.layerJ, 'layerJ');
        this.checkChannel(run, q.layerI, q.channelI);
        this.checkChannel(run, q.layerJ, q.channelJ);
        const { indices, bins, a, b } = await this.layerPair(run, q, control);
        const codesI = distanceCodes(channelMatrix(a, q.channelI), a.count, a.units, bins);
        const codesJ = distanceCodes(channelMatrix(b, q.channelJ), b.count, b.units, bins);
        // The matrix's orientation (column channel first), so a pair equals its cell to the bit.
        const jointIJ = new Float64Array(bins * bins);
        const bits = capacityBits(codesI, codesJ, jointIJ);
        const joint = new Float64Array(bins * bins);
        for (let a = 0; a < bins; a++) for (let b = 0; b < bins; b++) joint[b * bins + a] = jointIJ[a * bins + b];
        return {
          layerI: q.layerI,
          channelI: q.channelI,
          layerJ: q.layerJ,
          channelJ: q.channelJ,
          epoch: q.epoch,
          inputCount: indices.length,
          bins,
          bits: orNull(bits),
          entropyIBits: orNull(codesI.entropyBits),
          entropyJBits: orNull(codesJ.entropyBits),
          joint: Array.from(joint),
        };
      }
      case 'deconvolution': {
        this.metricsAt(run, q.epoch);
        this.checkLayer(run, q.layer);
        if (q.layer === 0) throw new QueryError('unsupported', 'deconvolution projects a layer back to the input; layer 0 is the input itself');
        this.checkChannel(run, q.layer, q.channel);
        const probe = this.probe(run);
        const indices = this.subset(run, q.x);
        if (indices.length > 256) throw new QueryError('bad-query', `deconvolution of ${indices.length} inputs at once is too many; choose at most 256`);
        const { tf } = await this.tf();
        const model = await this.model(run, q.epoch);
        const per = probe.inputs.length / probe.labels.length;
        const x = tf.tensor4d(Float32Array.from(gatherRows(probe.inputs, per, indices)), [indices.length, ...m.layers[0].outputShape] as [number, number, number, number]);
        try {
          const d = await deconvolve(tf, model, m.layers[q.layer].name, q.channel, x);
          return { layer: q.layer, channel: q.channel, epoch: q.epoch, inputs: indices, labels: indices.map((i) => probe.labels[i]), projections: encodeFloat32(d.shape, d.data), min: d.min ?? 0, max: d.max ?? 0 };
        } finally {
          x.dispose();
        }
      }
    }
  }

  /** Paper Fig. 5(B): inter-sample entropy of the inputs for subsets of several sizes, per class and mixed. */
  private async inputDiversity(run: RunState, q: Extract<Query, { kind: 'inputDiversity' }>, control: QueryControl): Promise<AnswerOf['inputDiversity']> {
    const m = run.record.manifest;
    const source = q.source ?? 'probe';
    const seed = q.seed ?? m.settings.seed;
    const classes = this.classes(run);
    let inputs: ArrayLike<number>;
    let labels: ArrayLike<number>;
    if (source === 'probe') {
      const probe = this.probe(run);
      inputs = probe.inputs;
      labels = probe.labels;
    } else {
      try {
        const ds = await loadDataset(parseDatasetSpec(m.dataset.spec), { signal: control.signal, cwd: dirname(m.model.file) });
        if (ds.identity && ds.identity.fingerprint !== m.dataset.fingerprint) throw new Error(`the dataset at ${m.dataset.spec} has changed since the run was recorded`);
        inputs = ds.inputs;
        labels = ds.labels;
      } catch (e) {
        if (CancelledError.is(e)) throw e;
        throw new QueryError('unsupported', `the run's dataset (${m.dataset.spec}) cannot be read: ${(e as Error).message.split('\n')[0]}; use "source": "probe"`);
      }
    }
    const d = m.dataset.inputShape.reduce((a, b) => a * b, 1);
    const byClass = indicesByClass(labels, classes);
    const everyone = Array.from({ length: labels.length }, (_, i) => i);
    const groups: { cls: number | 'all'; members: number[] }[] = [{ cls: 'all', members: everyone }, ...byClass.map((members, c) => ({ cls: c, members }))];
    const pool = this.computePool();
    const rows: AnswerOf['inputDiversity']['rows'] = [];
    let done = 0;
    for (const g of groups) {
      const bits: Bits[] = [];
      const counts: number[] = [];
      for (const size of q.sizes) {
        control.onProgress?.(done++ / (groups.length * q.sizes.length), `input diversity: ${g.cls === 'all' ? 'all classes' : m.dataset.classNames[g.cls]}, ${size} inputs`);
        const picked = sampleWithoutReplacement(g.members, size, seed * 7919 + (g.cls === 'all' ? classes : g.cls));
        counts.push(picked.length);
        if (picked.length < size) {
          bits.push(null); // fewer inputs than asked: no number rather than a smaller subset's
          continue;
        }
        const r = await pool.interSampleEntropy(gatherRows(inputs, d, picked), picked.length, d, { k: m.settings.k, signal: control.signal });
        bits.push(orNull(r.entropyBits));
      }
      rows.push({ class: g.cls, available: g.members.length, bits, counts });
    }
    return { source, sizes: q.sizes, classNames: m.dataset.classNames, rows };
  }
}

function orNull(v: number | undefined): number | null {
  return v === undefined || Number.isNaN(v) ? null : v;
}

function range(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > hi ? [0, 0] : [lo, hi];
}

function fileStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}-${st.size}`;
  } catch {
    return 'none';
  }
}

/** Every failure a query can meet, as a QueryError with a readable message. */
export function asQueryError(e: unknown): QueryError {
  if (e instanceof QueryError) return e;
  if (CancelledError.is(e)) return new QueryError('cancelled', 'the query was cancelled');
  if (hasErrorCode(e, 'run-format') || e instanceof RunFormatError) return new QueryError('run-format', (e as Error).message);
  if (hasErrorCode(e, 'deconvolution-unsupported')) return new QueryError('unsupported', (e as Error).message);
  if (hasErrorCode(e, 'out-of-range') || e instanceof RangeError) return new QueryError('out-of-range', (e as Error).message);
  if (hasErrorCode(e, 'bad-query')) return new QueryError('bad-query', (e as Error).message);
  return new QueryError('internal', `internal error: ${(e as Error)?.message ?? String(e)}`);
}
