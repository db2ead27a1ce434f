/** What the rules share: a finding's layer fields, the metrics at an epoch, number formatting. */
import type { EpochMetrics, LayerEpochMetrics, RunManifest } from '../../contract/runFormat';
import type { Finding, FindingKind } from '../../contract/queries';
import { shortLayerName } from '../../contract/layerLabel';
import type { FindingsInput, LayerEvidence, Skipped } from './types';

/** Layer `l` as the views name it: the user's name, else its short label ("conv2", src/contract/layerLabel.ts), never tfjs's `conv2d_Conv2D1`. */
export function labelOf(manifest: RunManifest, l: number): string {
  return shortLayerName(manifest.layers[l], manifest.layers);
}

/** The `layer`, `layerName` (its short label) and `source` of a finding about layer `l`. */
export function layerFields(manifest: RunManifest, l: number): Pick<Finding, 'layer' | 'layerName' | 'source'> {
  const layer = manifest.layers[l];
  return { layer: l, layerName: labelOf(manifest, l), ...(layer.source ? { source: { ...layer.source } } : {}) };
}

/** The metrics of the findings' epoch (the handler checked it is recorded). */
export function metricsAt(input: FindingsInput): EpochMetrics {
  const m = input.metrics.find((e) => e.epoch === input.epoch);
  if (!m) throw new RangeError(`epoch ${input.epoch} is not among the metrics given`);
  return m;
}

/** The layers `l` reads: the topology's when given, else the one before it. */
export function inputsOf(input: FindingsInput, l: number): number[] {
  const given = input.inputsOf?.[l];
  return given ? [...given] : l > 0 ? [l - 1] : [];
}

export const bits = (v: number, digits = 3): string => `${v.toFixed(digits)} bit`;
export const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** A count with thousands separated ("4,495"), the same on every machine. */
export const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** "2, 5, 7" or, past `max`, the first few and the count: "2, 5, 7, 9, 11, … (512 in all)". */
export function channelList(channels: readonly number[], max = 5): string {
  return channels.length <= max ? channels.join(', ') : `${channels.slice(0, max).join(', ')}, … (${count(channels.length)} in all)`;
}

export const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

/** Layers after the input, with their metrics at the epoch. */
export function layersAfterInput(input: FindingsInput): { l: number; m: LayerEpochMetrics }[] {
  const at = metricsAt(input);
  return input.manifest.layers.slice(1).map((layer) => ({ l: layer.index, m: at.layers[layer.index] }));
}

export const skip = (kind: FindingKind, reason: string): Skipped => ({ kind, reason });

/** The layers with evidence, ascending. */
export function evidenceByLayer(input: FindingsInput): [number, LayerEvidence][] {
  return [...(input.evidence ?? new Map<number, LayerEvidence>())].sort((a, b) => a[0] - b[0]);
}
