/**
 * What a query computes once and the engine keeps across queries (queryContext.ts): each layer's
 * capacity codes (layerCodes.ts), each channel's label information kept after the codes have gone,
 * and each layer's screened capacity with itself (selfCapacity.ts), each computed by a pass of its
 * own that every query waiting for it shares.
 */
import { InputSubset, LayerValues, pairwiseInformationFromCodes, sameLabelPairs } from '../analysis';
import type { ScreenedSelfCapacity } from '../analysis/nearDuplicates';
import { distanceCodesOf } from '../compute/capacityStages';
import type { SharedCodes } from '../contract/protocols/compute';
import { ActivationSource, SUBSET_FORWARD_SHARE } from './activationSource';
import { LayerCodesCache } from './layerCodes';
import { screenedSelfCapacity } from './selfCapacity';

export class MeasureCache extends ActivationSource {
  /**
   * The common part of `capacityMatrix`: checks, the input subset, bins, and the capacity codes of
   * both layers (`columns` of layerI, `rows` of layerJ). Each layer's distance pass is shared with
   * every other query that needs it (layerCodes.ts); the shallower layer goes first, so the deeper
   * forward pass continues from its activations.
   */
  async layerPairCodes(
    q: {
      layerI: number;
      layerJ: number;
      epoch: number;
      x?: InputSubset;
      bins?: number;
    },
    /** The activations of a layer of the pair on the inputs of `x`, when the caller holds them already (not read again). */
    held?: { layer: number; acts: LayerValues },
  ): Promise<{ indices: number[]; bins: number; columns: SharedCodes[]; rows: SharedCodes[] }> {
    this.metricsAt(q.epoch);
    this.checkLayer(q.layerI, 'layerI');
    this.checkLayer(q.layerJ, 'layerJ');
    const indices = this.subset(q.x);
    const bins = q.bins ?? this.manifest.settings.bins;
    const n = this.probe().labels.length;
    const keyOf = (layer: number) => this.codesKey(q.epoch, layer, bins, indices);
    // Both layers from one forward pass that copies out only them, when neither's codes are known
    // yet and the pass is over the whole probe set (layerOutput's rule).
    const layersNeeded = [q.layerI, q.layerJ].filter((l) => l > 0 && l !== held?.layer && !this.parts.layerCodes.has(keyOf(l)));
    if (layersNeeded.length && indices.length >= SUBSET_FORWARD_SHARE * n) await this.keepLayers(q.epoch, layersNeeded);
    const codesOf = (layer: number) => this.wholeLayerCodes(q.epoch, layer, indices, bins, layer === held?.layer ? held.acts : undefined);
    const first = await codesOf(Math.min(q.layerI, q.layerJ));
    const second = q.layerI === q.layerJ ? first : await codesOf(Math.max(q.layerI, q.layerJ));
    const [columns, rows] = q.layerI <= q.layerJ ? [first, second] : [second, first];
    return { indices, bins, columns, rows };
  }

  /**
   * The capacity codes of the `channels` of `layer` at `epoch` for the inputs of `x` (what
   * `layerPairCodes` gives for whole layers, channel for channel): read from the whole layer's
   * codes when they are kept or being computed, else computed for these channels alone — each
   * channel's codes come from its own feature maps only, so they are the same either way.
   */
  async channelCodes(
    q: { layer: number; epoch: number; x?: InputSubset; bins?: number },
    channels: readonly number[],
  ): Promise<SharedCodes[]> {
    this.metricsAt(q.epoch);
    this.checkLayer(q.layer);
    const indices = this.subset(q.x);
    const bins = q.bins ?? this.manifest.settings.bins;
    if (this.parts.layerCodes.has(this.codesKey(q.epoch, q.layer, bins, indices))) {
      const whole = await this.wholeLayerCodes(q.epoch, q.layer, indices, bins);
      return channels.map((c) => whole[c]);
    }
    const { layer, rows } = await this.layerRows(q.epoch, q.layer, indices);
    return this.computePool().layerCodes(layer, bins, this.control.signal, { rows, channels });
  }

  /**
   * The capacity of `layer` with itself where the near-duplicate screen keeps a pair (selfCapacity.ts),
   * from the layer's shared codes (`layerPairCodes`), kept across queries: the findings and
   * `channelImportance` of a layer compare its pairs once. `acts`: the layer's activations on the
   * same inputs, when the caller holds them already (the screen's correlations read them).
   */
  async selfCapacity(q: { layer: number; epoch: number; x?: InputSubset }, acts?: LayerValues): Promise<ScreenedSelfCapacity> {
    this.metricsAt(q.epoch);
    this.checkLayer(q.layer);
    const indices = this.subset(q.x);
    const bins = this.manifest.settings.bins;
    const key = this.codesKey(q.epoch, q.layer, bins, indices);
    return this.parts.selfCapacities.get(
      key,
      async (signal) => {
        const pass = new MeasureCache(this.run, { signal, onProgress: this.control.onProgress }, this.parts);
        try {
          // The codes from `acts` where the caller holds them: reading the layer again would copy it
          // into the layout of `LayerActivations` a second time (CIFAR ResNet-18 findings: 1.6 s).
          const { columns } = await pass.layerPairCodes(
            { layerI: q.layer, layerJ: q.layer, epoch: q.epoch, ...(q.x ? { x: q.x } : {}) },
            acts && { layer: q.layer, acts },
          );
          const layer = acts ?? (await pass.layerValues(q.epoch, q.layer, indices));
          return await screenedSelfCapacity(this.computePool(), layer, columns, { signal });
        } finally {
          await pass.release();
        }
      },
      this.control.signal,
    );
  }

  /** Whether `channelLabelBits` of `layer` at each of `epochs` (default: every recorded one) is kept: its query computes nothing. */
  labelBitsKept(q: { layer: number; epochs?: number[]; x?: InputSubset; bins?: number }): boolean {
    const indices = this.subset(q.x);
    const key = (epoch: number) => this.codesKey(epoch, q.layer, q.bins ?? this.manifest.settings.bins, indices);
    const epochs = q.epochs ?? this.run.record.metrics.map((m) => m.epoch);
    return epochs.length > 0 && epochs.every((epoch) => this.parts.labelBits.has(key(epoch)));
  }

  /**
   * `I_pair(T_c; Y)` of every channel `c` of `layer` at `epoch` on the inputs of `x` with `bins` (estimators.md "Pairwise
   * estimator" step 4; undefined where a channel has no defined value), from the layer's shared codes (`layerPairCodes`), and kept
   * across queries on their own: the findings' evidence, `channelImportance` and `channelLabelInformation` ask for the same layers,
   * minutes apart in a deep model's report, when the codes are gone (MobileNetV2 example: 118 layers' codes computed again for this).
   */
  channelLabelBits(q: { layer: number; epoch: number; x?: InputSubset; bins?: number }): Promise<(number | undefined)[]> {
    this.metricsAt(q.epoch);
    this.checkLayer(q.layer);
    const indices = this.subset(q.x);
    const bins = q.bins ?? this.manifest.settings.bins;
    return this.parts.labelBits.get(
      this.codesKey(q.epoch, q.layer, bins, indices),
      async (signal) => {
        const pass = new MeasureCache(this.run, { signal, onProgress: this.control.onProgress }, this.parts);
        try {
          const { columns } = await pass.layerPairCodes({
            layerI: q.layer,
            layerJ: q.layer,
            epoch: q.epoch,
            bins,
            ...(q.x ? { x: q.x } : {}),
          });
          return this.labelBitsOf(columns, indices);
        } finally {
          await pass.release();
        }
      },
      this.control.signal,
    );
  }

  /** Each channel's `I_pair(T_c; Y)` from its codes over the pairs of the inputs `indices` (channelLabelBits). */
  private labelBitsOf(codes: readonly SharedCodes[], indices: readonly number[]): (number | undefined)[] {
    const labels = this.probe().labels;
    const same = sameLabelPairs(indices.map((i) => labels[i]));
    return codes.map((c) => pairwiseInformationFromCodes(distanceCodesOf(c), same));
  }

  /** Whether the codes of every channel of `layer` at `epoch` (on `x`, with `bins`) are kept or being computed. */
  layerCodesKnown(q: { layer: number; epoch: number; x?: InputSubset; bins?: number }): boolean {
    const indices = this.subset(q.x);
    const bins = q.bins ?? this.manifest.settings.bins;
    return this.parts.layerCodes.has(this.codesKey(q.epoch, q.layer, bins, indices));
  }

  /**
   * The key of a layer's codes, and of what is kept from them (label information, self-capacity):
   * this run, epoch, layer, bins and inputs (LayerCodesCache.key).
   */
  private codesKey(epoch: number, layer: number, bins: number, indices: readonly number[]): string {
    return LayerCodesCache.key(this.run.folder, epoch, layer, bins, indices, this.probe().labels.length);
  }

  /**
   * The codes of every channel of `layer` (layerCodes.ts: kept, joined while being computed, or
   * computed); `held`: the layer's activations on `indices`, when the caller holds them.
   */
  private wholeLayerCodes(epoch: number, layer: number, indices: number[], bins: number, held?: LayerValues): Promise<SharedCodes[]> {
    const key = this.codesKey(epoch, layer, bins, indices);
    return this.parts.layerCodes.get(
      key,
      // The pass belongs to every query waiting for it: its forward pass and models are its own,
      // under a signal that aborts only when none waits any more.
      async (signal) => {
        const pass = new MeasureCache(this.run, { signal, onProgress: this.control.onProgress }, this.parts);
        try {
          const { layer: acts, rows } = held ? { layer: held, rows: undefined } : await pass.layerRows(epoch, layer, indices);
          this.control.onProgress?.(0.6, `distances of layer ${layer}`);
          const codes = await this.computePool().layerCodes(acts, bins, signal, { rows });
          // Each channel's label information too (channelLabelBits), while the codes are at hand: a
          // few milliseconds a layer, where computing the codes again later takes a forward pass
          // (the complete MobileNetV2 report did so for 23 layers, whose capacity matrices came
          // long before their label information). On this thread once the waiting query has sent
          // its next stage to the compute workers (a macrotask: after its continuations), so it
          // adds nothing to that query's path. The same values as channelLabelBits computes.
          setImmediate(() => {
            if (signal.aborted || this.parts.labelBits.has(key)) return;
            try {
              this.parts.labelBits.put(key, this.labelBitsOf(codes, indices));
            } catch {
              // Only a head start: channelLabelBits computes the values when they are asked.
            }
          });
          return codes;
        } finally {
          await pass.release();
        }
      },
      this.control.signal,
    );
  }
}
