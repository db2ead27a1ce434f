/**
 * Channel ablation (docs/estimators.md "Ablation"): the model's predictions with some channels of
 * one layer replaced by zero, or by each channel's mean over the probe inputs, against the same
 * model unablated. Only the layers after the ablated one run again, from its activations (kept in
 * memory across queries): every ablation of one layer is a forward pass of the network's tail, and
 * several ablations share one pass, each a block of rows.
 */
import {
  channelsFirstCopy,
  classScores,
  InputSubset,
  predictionMeasures,
  PredictionMeasures,
  removableAxisOf,
  ScoreKind,
} from '../analysis';
import { scoredOutputLayer } from '../contract/runFormat';
import type { RunLayer, RunManifest } from '../contract/runFormat';
import { layerKind } from '../contract/layerKinds';
import { CancelledError } from '../analysis/errors';
import { paceBeforeAllocating } from '../rpc/sharedBuffers';
import type * as tfType from '@tensorflow/tfjs';
import type { Activations } from '../tfjs/forward';
import { graphTail } from './ablationTail';
import type { AblationShortcut } from './ablationTail';
import { linearMixing } from '../tfjs/mixingLayer';
import { AblationAnswer, AblationMode, QueryError } from '../contract/queries';
import { inputsKey } from './layerCodes';
import type { QueryContext } from './queryContext';
import { orNull } from './handlers/handler';

export interface AblationRequest {
  epoch: number;
  layer: number;
  channels: readonly number[];
  mode?: AblationMode;
  x?: InputSubset;
}

/** Inputs the mixing-layer shortcut computes at a time (every ablation of them in turn). */
const SHORTCUT_CHUNK = 64;

/** Layers whose shortcut inputs (D and M's pre-activation) stay in memory for the next ablation of them. */
const PREPARED_SHORTCUTS = 2;
const preparedShortcuts = new Map<string, { d: Float32Array; pre: Float32Array }>();

/**
 * Which way a graph model's ablations run: through `graphTail` (ablationTail.ts, the default), or through
 * `forwardFrom` as before it — a switch for the test that checks both give the same numbers.
 */
export const ABLATION_PATHS = { graphTail: true };

/** Most bytes of ablated activations one forward pass takes (its blocks of rows); an object so a test can make passes small. */
export const ABLATION_PASS = { bytes: 192 * 1024 ** 2 };

/**
 * How many ablations one pass takes: each holds a block of `blockBytes` (the ablated layer's
 * values, or the output's after a shortcut) and what the shortcut holds per group besides
 * (`shortcutBytes`: the graph tail's copies of the ablated layer — without them counted, a
 * MobileNetV2 layer of 72 channels at 32 × 32 took all 73 ablations in one pass and 6 GB).
 */
export function groupsPerPass(blockBytes: number, shortcutBytes: number, passBytes = ABLATION_PASS.bytes): number {
  return Math.max(1, Math.floor(passBytes / Math.max(1, blockBytes + shortcutBytes)));
}

/** The output the label measures read: its run layer and how its values give class scores. */
export function scoredOutput(m: RunManifest): { layer: number; kind: ScoreKind } {
  const kind = m.output?.kind ?? 'softmax';
  if (kind === 'none')
    throw new QueryError(
      'unsupported',
      `the model predicts no class (${m.output?.labelMeasuresAbsent ?? 'its output is not class scores'}); an ablation measures what the predictions lose`,
    );
  return { layer: scoredOutputLayer(m), kind };
}

/**
 * What can be ablated in a layer: its channels (a convolution's; a dense layer's units, each a
 * "channel" of one value), `per` values per input. The session holds the layer's values channels
 * last, as `layerOutput` gives every layer, element (n, p, c) at `n·per + p·channels + c`; `first`
 * says the layer's own layout is channels first (a PyTorch layer, a Keras `channels_first` one:
 * docs/run-format.md), so the ablated values are moved back to `[n, C, p]` for the model.
 */
export interface AblationAxis {
  channels: number;
  per: number;
  first: boolean;
}

/** The ablation axis of a run layer. */
export function ablationAxis(layer: RunLayer): AblationAxis {
  const per = layer.outputShape.reduce((a, b) => a * b, 1);
  // A vector's units are its channels here, each of one value.
  return { ...removableAxisOf(layer.outputShape, layer.dataFormat), per };
}

/** Each channel's mean over every input and position of `data` (`count` inputs of `per` values, channels last). */
export function channelMeans(data: Float32Array, count: number, axis: AblationAxis): Float64Array {
  const { channels, per } = axis;
  const sums = new Float64Array(channels);
  for (let i = 0; i < count * per; i += channels) for (let c = 0; c < channels; c++) sums[c] += data[i + c];
  const positions = count * (per / channels);
  return sums.map((s) => (positions ? s / positions : 0));
}

/**
 * One block per group: a copy of `base` (`count` inputs, channels last) with the group's channels
 * replaced by 0 or their mean, in the layer's own layout (moved channels first where it is).
 */
export function ablatedBlocks(
  base: Float32Array,
  axis: AblationAxis,
  groups: readonly (readonly number[])[],
  replacement: (channel: number) => number,
): Float32Array {
  paceBeforeAllocating();
  const out = new Float32Array(base.length * groups.length);
  groups.forEach((group, g) => {
    const block = out.subarray(g * base.length, (g + 1) * base.length);
    block.set(base);
    for (const c of group) {
      const value = replacement(c);
      for (let i = c; i < block.length; i += axis.channels) block[i] = value;
    }
    if (axis.first) block.set(channelsFirstCopy(block, block.length / axis.per, axis.per / axis.channels, axis.channels));
  });
  return out;
}

/** A layer at an epoch, ready to be ablated: its activations on the inputs, their baseline predictions. */
export class AblationSession {
  private constructor(
    private readonly ctx: QueryContext,
    readonly epoch: number,
    readonly layer: number,
    readonly mode: AblationMode,
    readonly indices: number[],
    private readonly base: Float32Array,
    private readonly means: Float64Array | undefined,
    readonly axis: AblationAxis,
    readonly output: { layer: number; kind: ScoreKind },
    readonly labels: Int32Array,
    private readonly baselineOnly = false,
  ) {}

  /** Checks the request: what a session of it ablates and measures, without reading the layer's activations. */
  static plan(
    ctx: QueryContext,
    r: Omit<AblationRequest, 'channels'>,
  ): {
    output: { layer: number; kind: ScoreKind };
    axis: AblationAxis;
    all: number[];
    indices: number[];
    mode: AblationMode;
    labels: Int32Array;
  } {
    ctx.metricsAt(r.epoch);
    ctx.checkLayer(r.layer);
    const m = ctx.manifest;
    if (r.layer === 0)
      throw new QueryError('unsupported', 'layer 0 is the input: ablate the channels of a layer of the model (1 or above)');
    const output = scoredOutput(m);
    const axis = ablationAxis(m.layers[r.layer]);
    const probe = ctx.probe();
    const all = Array.from(probe.labels, (_, i) => i);
    const indices = ctx.subset(r.x);
    const labels = Int32Array.from(indices, (i) => probe.labels[i]);
    return { output, axis, all, indices, mode: r.mode ?? 'zero', labels };
  }

  /**
   * The model's own prediction measures on `indices` (whose true labels are `labels`): its output's
   * activations, one forward pass per epoch at most. Every session's baseline, whatever its layer.
   */
  static async baseline(
    ctx: QueryContext,
    epoch: number,
    output: { layer: number; kind: ScoreKind },
    indices: number[],
    labels: Int32Array,
  ): Promise<PredictionMeasures> {
    const classes = ctx.classes();
    const out = await ctx.layerOutput(epoch, output.layer, indices);
    return predictionMeasures(classScores(output.kind, out.data as Float32Array, classes), labels, classes);
  }

  /**
   * Checks the request and reads the layer's activations (from memory, or one forward pass).
   * `baselineOnly`: a session that measures the baseline alone (an empty group), which needs no
   * activations of the layer (channel importance's estimates alone): none are read, and asking it to
   * ablate a channel is an internal error.
   */
  static async open(ctx: QueryContext, r: Omit<AblationRequest, 'channels'>, o: { baselineOnly?: boolean } = {}): Promise<AblationSession> {
    const { output, axis, all, indices, mode, labels } = AblationSession.plan(ctx, r);
    if (o.baselineOnly)
      return new AblationSession(ctx, r.epoch, r.layer, mode, indices, new Float32Array(0), undefined, axis, output, labels, true);
    const full = await ctx.layerOutput(r.epoch, r.layer, all);
    const data = full.data as Float32Array;
    const means = mode === 'mean' ? channelMeans(data, all.length, axis) : undefined;
    const base = indices.length === all.length ? data : gather(data, axis.per, indices);
    return new AblationSession(ctx, r.epoch, r.layer, mode, indices, base, means, axis, output, labels);
  }

  /** What an ablated channel's values become: 0, or the channel's mean. */
  readonly replacement = (c: number): number => (this.means ? this.means[c] : 0);

  /** The activations the ablations start from, and how (one lookup per session). */
  private shortcut?: Promise<AblationShortcut | undefined>;

  /** Every value of the layer at the ablated layer's inputs, unablated (rows of `indices`). */
  get activations(): Float32Array {
    return this.base;
  }

  checkChannels(channels: readonly number[]): void {
    for (const c of channels)
      if (c >= this.axis.channels) {
        const l = this.ctx.manifest.layers[this.layer];
        throw new QueryError(
          'out-of-range',
          `channel ${c} is out of range: layer ${this.layer} (${l.name}) has channels 0..${this.axis.channels - 1}`,
        );
      }
  }

  /** Per channel: whether every one of its values on the inputs already is its replacement, bit for bit. */
  private readonly alreadyReplaced = new Map<number, boolean>();

  /**
   * Whether ablating `group` changes no value of the layer: each of its channels is its replacement
   * already on every input (a dead channel ablated to zero; an empty group), so the ablated model
   * is the model itself.
   */
  changesNothing(group: readonly number[]): boolean {
    return group.every((c) => {
      let known = this.alreadyReplaced.get(c);
      if (known === undefined) {
        known = holdsOnly(this.base, c, this.axis.channels, this.replacement(c));
        this.alreadyReplaced.set(c, known);
      }
      return known;
    });
  }

  /**
   * The prediction measures with each group's channels ablated, as few forward passes of the tail
   * as fit {@link ABLATION_PASS}. A group that changes no value (`changesNothing`: an empty
   * group, the baseline, or a dead channel ablated to zero) gets the model's own output on the
   * inputs, which no ablation pass needs to compute again (the output layer's activations, one
   * forward pass per epoch at most): the same model on the same values.
   */
  async measure(groups: readonly (readonly number[])[], onGroup?: (done: number) => void): Promise<PredictionMeasures[]> {
    for (const g of groups) this.checkChannels(g);
    if (this.baselineOnly && groups.some((g) => g.length > 0))
      throw new Error('a baseline-only ablation session was asked to ablate channels');
    const classes = this.ctx.classes();
    const same = groups.map((g) => this.changesNothing(g));
    const baseline = same.some(Boolean)
      ? await AblationSession.baseline(this.ctx, this.epoch, this.output, this.indices, this.labels)
      : undefined;
    const ablated = groups.filter((_, k) => !same[k]);
    const unchanged = groups.length - ablated.length;
    const measured = ablated.length ? await this.measureAblated(ablated, classes, onGroup && ((done) => onGroup(unchanged + done))) : [];
    let next = 0;
    return groups.map((_, k) => (same[k] ? baseline! : measured[next++]));
  }

  /** `measure` of groups that each ablate at least one channel. */
  private async measureAblated(
    groups: readonly (readonly number[])[],
    classes: number,
    onGroup?: (done: number) => void,
  ): Promise<PredictionMeasures[]> {
    const n = this.indices.length;
    // A run the native engine serves has neither shortcut (both run TensorFlow.js, which would set
    // its values against the native baseline): its `forwardFrom` cuts the checkpoint at the layer,
    // and computes the values the tail reads beside it once (QueryContext `nativeFrom`).
    this.shortcut ??= (this.ctx.isNative ? Promise.resolve(undefined) : mixingShortcut(this.ctx, this)).then(
      (m) =>
        m ??
        (ABLATION_PATHS.graphTail && !this.ctx.isNative
          ? graphTail(this.ctx, this, (base, group) => ablatedBlocks(base, this.axis, [group], this.replacement))
          : undefined),
    );
    const shortcut = await this.shortcut;
    // The layer whose activations each block holds: the ablated one, or the first layer mixing its channels.
    const from = shortcut?.layer ?? this.layer;
    const per = this.ctx.manifest.layers[from].outputShape.reduce((a, b) => a * b, 1);
    const perPass = groupsPerPass(n * per * 4, shortcut?.bytesPerGroup ?? 0);
    const results: PredictionMeasures[] = [];
    for (let start = 0; start < groups.length; start += perPass) {
      const batch = groups.slice(start, start + perPass);
      const blocks = shortcut
        ? await shortcut.blocks(batch, (share) => onGroup?.(start + Math.floor(share * batch.length)))
        : ablatedBlocks(this.base, this.axis, batch, this.replacement);
      const acts: Activations = { shape: [n * batch.length, ...this.ctx.manifest.layers[from].outputShape], data: blocks };
      const out = await this.ctx.forwardFrom(this.epoch, from, acts, this.indices, this.output.layer, batch.length);
      const width = out.data.length / (n * batch.length);
      for (let g = 0; g < batch.length; g++) {
        const values = out.data.subarray(g * n * width, (g + 1) * n * width);
        results.push(predictionMeasures(classScores(this.output.kind, values, classes), this.labels, classes));
      }
      onGroup?.(start + batch.length);
    }
    return results;
  }
}

/** Whether channel `c` of channels-last `data` (`channels` per position) holds `value` (as float32) everywhere, bit for bit (so -0 is not 0). */
export function holdsOnly(data: Float32Array, c: number, channels: number, value: number): boolean {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const want = new Uint32Array(Float32Array.of(value).buffer)[0];
  for (let i = c; i < bits.length; i += channels) if (bits[i] !== want) return false;
  return true;
}

function gather(data: Float32Array, per: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * per);
  indices.forEach((i, k) => out.set(data.subarray(i * per, (i + 1) * per), k * per));
  return out;
}

/** Prediction measures as an answer carries them (undefined → null). */
export function measuresAnswer(p: PredictionMeasures): AblationAnswer['baseline'] {
  return {
    accuracy: p.accuracy,
    loss: orNull(p.loss),
    perClassAccuracy: p.perClassAccuracy.map(orNull),
    hLabelGivenPred: p.hLabelGivenPred.map(orNull),
    hPredGivenLabel: p.hPredGivenLabel.map(orNull),
    confusion: p.confusion,
  };
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

/** ablated − baseline, field by field. */
export function deltaOf(ablated: AblationAnswer['baseline'], baseline: AblationAnswer['baseline']): AblationAnswer['delta'] {
  return {
    accuracy: ablated.accuracy - baseline.accuracy,
    loss: minus(ablated.loss, baseline.loss),
    perClassAccuracy: ablated.perClassAccuracy.map((v, c) => minus(v, baseline.perClassAccuracy[c])),
    hLabelGivenPred: ablated.hLabelGivenPred.map((v, c) => minus(v, baseline.hLabelGivenPred[c])),
    hPredGivenLabel: ablated.hPredGivenLabel.map((v, c) => minus(v, baseline.hPredGivenLabel[c])),
  };
}

/** The `ablation` answer of `r`: baseline (the model's own output) and ablated prediction measures on the inputs of `r.x`. */
export async function measureAblation(ctx: QueryContext, r: AblationRequest): Promise<AblationAnswer> {
  return (await measureAblationInputs(ctx, r)).answer;
}

/**
 * The `ablation` answer of `r`, with the measures it was made of: each input's loss and correctness
 * before and after (the findings' paired bootstrap of the change, findings/ablationCheck.ts).
 */
export async function measureAblationInputs(
  ctx: QueryContext,
  r: AblationRequest,
): Promise<{ answer: AblationAnswer; baseline: PredictionMeasures; ablated: PredictionMeasures }> {
  const session = await AblationSession.open(ctx, r);
  const channels = [...new Set(r.channels)].sort((a, b) => a - b);
  if (!channels.length) throw new QueryError('bad-query', '"channels" must name at least one channel');
  session.checkChannels(channels);
  ctx.control.onProgress?.(0.5, `ablating ${channels.length} channel${channels.length === 1 ? '' : 's'}`);
  const measured = await session.measure([[], channels]);
  const [baseline, ablated] = measured.map(measuresAnswer);
  const answer: AblationAnswer = {
    epoch: r.epoch,
    layer: r.layer,
    channels,
    mode: session.mode,
    inputCount: session.indices.length,
    classNames: ctx.manifest.dataset.classNames,
    baseline,
    ablated,
    delta: deltaOf(ablated, baseline),
  };
  return { answer, baseline: measured[0], ablated: measured[1] };
}

/** Whether a layer of the run mixes the channels of what it reads (a convolution, a dense layer, a merge, …). */
export function mixesChannels(layer: RunLayer): boolean {
  return layerKind(layer.className).channels === 'mixes';
}

/**
 * In a sequential model whose layers between the ablated layer L and the first layer M that mixes
 * channels act on each channel alone, ablating channels S changes M's input only in S's entries,
 * to the values they take with every channel ablated (one pass of those layers). M's pre-activation
 * then changes by M's linear map of that change in S's entries alone — a product with S's slice of
 * M's weights instead of all of M (src/tfjs/mixingLayer.ts). Undefined where this does not hold:
 * the ablations then run every layer after L.
 */
async function mixingShortcut(ctx: QueryContext, s: AblationSession): Promise<AblationShortcut | undefined> {
  const layers = ctx.manifest.layers;
  let m = s.layer + 1;
  // The linear maps index the channels last (src/tfjs/mixingLayer.ts).
  if (s.axis.first) return undefined;
  while (m <= s.output.layer && layerKind(layers[m].className).channels === 'perChannel') m++;
  if (m > s.output.layer) return undefined;
  const { tf } = await ctx.tf();
  const { model } = await ctx.model(s.epoch);
  if (!layerKind(model.getClassName()).sequential) return undefined;
  const lin = linearMixing(tf, model.getLayer(layers[m].name));
  if (!lin) return undefined;
  const n = s.indices.length;
  const channels = s.axis.channels;
  // M's input unablated (A) and with every channel ablated (Z): their difference D, channel by channel.
  const all = [Array.from({ length: channels }, (_, c) => c)];
  const ablatedAll = ablatedBlocks(s.activations, s.axis, all, s.replacement);
  const before = m - 1;
  const a = before === s.layer ? s.activations : ((await ctx.layerOutput(s.epoch, before, s.indices)).data as Float32Array);
  const z =
    before === s.layer
      ? ablatedAll
      : (await ctx.forwardFrom(s.epoch, s.layer, { shape: [n, ...layers[s.layer].outputShape], data: ablatedAll }, s.indices, before)).data;
  const inShape = [n, ...layers[before].outputShape];
  const inPer = a.length / n;
  // D = Z − A and M's pre-activation on A: the same for every ablation of this layer on these inputs, kept for the next query.
  const key = `${ctx.run.folder}|${s.epoch}|${s.layer}|${s.mode}|${inputsKey(s.indices, ctx.probe().labels.length)}`;
  let prepared = preparedShortcuts.get(key);
  if (!prepared) {
    const d = new Float32Array(a.length);
    for (let k = 0; k < d.length; k++) d[k] = z[k] - a[k];
    const preParts: Float32Array[] = [];
    for (let start = 0; start < n; start += SHORTCUT_CHUNK) {
      const end = Math.min(n, start + SHORTCUT_CHUNK);
      const y = tf.tidy(() => lin.pre(tf.tensor(a.subarray(start * inPer, end * inPer), [end - start, ...inShape.slice(1)])));
      preParts.push((await y.data()) as Float32Array);
      y.dispose();
    }
    const pre = new Float32Array(preParts.reduce((t, p) => t + p.length, 0));
    preParts.reduce((at, p) => (pre.set(p, at), at + p.length), 0);
    prepared = { d, pre };
    preparedShortcuts.set(key, prepared);
    for (const old of preparedShortcuts.keys()) if (preparedShortcuts.size > PREPARED_SHORTCUTS) preparedShortcuts.delete(old);
  }
  const { d: dAll, pre: preAll } = prepared;
  const prePer = preAll.length / n;
  // The layers after M run here, on the backend's own tensors: only the model's output leaves it.
  const rest = layers.slice(m + 1, s.output.layer + 1).map((l) => model.getLayer(l.name));
  const outPer = layers[s.output.layer].outputShape.reduce((x, y) => x * y, 1);
  return {
    layer: s.output.layer,
    // The difference and pre-activation are held once, not per group.
    bytesPerGroup: 0,
    blocks: async (groups, onShare) => {
      const out = new Float32Array(groups.length * n * outPer);
      // A few inputs at a time, every group over them: their tensors stay small enough to stay in cache.
      for (let start = 0; start < n; start += SHORTCUT_CHUNK) {
        const end = Math.min(n, start + SHORTCUT_CHUNK);
        const d = tf.tensor(dAll.subarray(start * inPer, end * inPer), [end - start, ...inShape.slice(1)]);
        const pre = tf.tensor(preAll.subarray(start * prePer, end * prePer), [end - start, ...layers[m].outputShape]);
        try {
          for (let g = 0; g < groups.length; g++) {
            if (ctx.control.signal?.aborted) throw new CancelledError();
            const y = tf.tidy(() => {
              let t = lin.activate(groups[g].length ? pre.add(lin.delta(d, groups[g], channels)) : pre);
              for (const layer of rest) t = layer.apply(t, { training: false }) as tfType.Tensor;
              return t;
            });
            try {
              out.set(await y.data(), (g * n + start) * outPer);
            } finally {
              y.dispose();
            }
          }
        } finally {
          tf.dispose([d, pre]);
        }
        onShare?.(end / n);
      }
      return out;
    },
  };
}
