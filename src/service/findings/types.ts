/**
 * What the findings' rules read and return (docs/estimators.md "Findings"). The rules are pure:
 * the handler gathers the evidence that costs a forward pass (capacity matrices, per-channel label
 * information, ablations) and passes it in.
 */
import type { ScreenedSelfCapacity } from '../../analysis/nearDuplicates';
import type { SelfCapacity } from '../../analysis/redundancy';
import type { EpochMetrics, RunManifest } from '../../contract/runFormat';
import type { Finding, FindingKind } from '../../contract/queries';

/** Evidence of one layer at the findings' epoch, computed by the handler. */
export interface LayerEvidence {
  /**
   * The layer's capacity with itself: where the pairs were screened (the handler's evidence), the
   * diagonal and the pairs compared exactly; or a full matrix (the `capacityMatrix` answer of layer
   * L with L), which the rules read the same way.
   */
  selfCapacity?: SelfCapacity | ScreenedSelfCapacity;
  /** `[channel]`: `I_pair(T_c; Y)` over all probe inputs, bits, null where undefined. */
  channelLabelBits?: readonly (number | null)[];
}

export interface FindingsInput {
  manifest: RunManifest;
  /** Every recorded epoch's metrics, ascending. */
  metrics: readonly EpochMetrics[];
  /** The epoch the findings are about (recorded). */
  epoch: number;
  /** Per layer index, when the handler computed it. */
  evidence?: ReadonlyMap<number, LayerEvidence>;
  /** Why evidence of a kind was not gathered (a model without layers of several channels, …). */
  evidenceSkipped?: readonly Skipped[];
  /**
   * Per epoch: each probe input's loss at that epoch's checkpoint (the same inputs, in probe order),
   * computed by the handler for the epochs `probeLossEpochs` names.
   */
  probeLosses?: ReadonlyMap<number, Float64Array>;
  /** `[layer]`: the layers each layer reads (from the model's topology); absent: the layer before it in manifest order. */
  inputsOf?: readonly (readonly number[])[];
}

export interface Skipped {
  kind: FindingKind;
  reason: string;
}

export interface RuleResult {
  findings: Finding[];
  skipped: Skipped[];
}

/** A rule: the findings it makes of the input, and the kinds it could not check with why. */
export type FindingRule = (input: FindingsInput) => RuleResult;
