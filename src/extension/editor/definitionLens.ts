// The CodeLens of one layer definition, and which classes of a file the run's model never built.
// A definition stands for every layer the run made from it: one line `self.conv1 = nn.Conv2d(…)` in
// a ResNet block is `layer1.0.conv1` … `layer4.1.conv1`. It gets one lens: with one layer, its mean
// channel entropy; with several, their count and range ("8 layers · 3.90–4.40 bits"), the tooltip
// naming the range of names, the epoch and each entropy's share of its ceiling.
//
// Pure (no `vscode` import): modelFeatures.ts passes `vscode.l10n` and makes the CodeLens.
import { unitsPerChannelOf } from '../../analysis/layout';
import { formatBits, formatBitsOfCeiling, intraSampleCeiling } from '../../contract/format';
import type { RunLayer } from '../../contract/runFormat';
import type { LayerSite } from '../detection/layerMatching';
import { englishL10n, type L10n } from '../l10n';
import { EDITOR_BITS } from './hoverContent';

/** Opens the Layer view of a run on several layers (the instances of one definition) in a small-multiples row (modelFeatures.ts). */
export const SHOW_LAYERS_COMMAND = 'cnnSlicer.showLayers';

/** One layer a definition stands for, with its mean channel entropy at the lens's epoch (undefined: not measured). */
export interface DefinitionInstance {
  layer: RunLayer;
  mean: number | undefined;
}

/**
 * The most intra-sample entropy a channel of `layer` can reach with `bins` bins: log2 of its values
 * per channel (its channel axis read from its `dataFormat`), at most log2 of the bins.
 */
export function layerCeiling(layer: Pick<RunLayer, 'outputShape' | 'dataFormat'>, bins: number): number {
  return intraSampleCeiling(unitsPerChannelOf(layer.outputShape, layer.dataFormat), bins);
}

/** The lens's words; `layers` are what a click opens (one: its channel view, several: the Layer view on all). */
export interface DefinitionLensText {
  title: string;
  tooltip: string;
}

const range = (values: readonly number[], format: (v: number) => string): string => {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return format(min) === format(max) ? format(min) : `${format(min)}–${format(max)}`;
};

/**
 * The lens of a definition standing for `instances` (in run order, at least one) at `epoch` of run
 * `runName`. A layer of one value per channel (a 1×1 map, a vector of 1) has no spatial entropy: it
 * says so rather than "0.00 bits", and it is left out of a range.
 */
export function definitionLens(
  instances: readonly DefinitionInstance[],
  o: { epoch: number; runName: string; bins: number },
  l10n: L10n = englishL10n,
): DefinitionLensText {
  const bits = (v: number) => formatBits(v, EDITOR_BITS);
  if (instances.length === 1) {
    const { layer, mean } = instances[0];
    const ceiling = layerCeiling(layer, o.bins);
    const value = !(ceiling > 0)
      ? l10n.t('1 value per channel: no spatial entropy')
      : mean === undefined
        ? undefined
        : l10n.t('{0} bits', bits(mean));
    return {
      title: value === undefined ? l10n.t('show entropy') : `${l10n.t('show entropy')} · ${value}`,
      tooltip: l10n.t(
        'Mean channel entropy of {0} ({1}, {2} channels) at epoch {3} of run {4}: {5}; click for its channel view',
        layer.name,
        layer.className,
        layer.channels,
        o.epoch,
        o.runName,
        ceilingText(mean, ceiling, l10n),
      ),
    };
  }
  const first = instances[0].layer.name;
  const last = instances[instances.length - 1].layer.name;
  const measured = instances.filter((i) => i.mean !== undefined && layerCeiling(i.layer, o.bins) > 0);
  const means = measured.map((i) => i.mean as number);
  const shares = measured.map((i) => Math.round((100 * Math.max(0, i.mean as number)) / layerCeiling(i.layer, o.bins)));
  const count = l10n.t('{0} layers', instances.length);
  const flat = instances.every((i) => !(layerCeiling(i.layer, o.bins) > 0));
  const value = flat
    ? l10n.t('1 value per channel: no spatial entropy')
    : means.length
      ? l10n.t('{0} bits', range(means, bits))
      : undefined;
  const classes = [...new Set(instances.map((i) => i.layer.className))].join(', ');
  const what = means.length
    ? l10n.t(
        "mean channel entropy {0} bits, {1}% of each layer's ceiling (log2 of its values per channel, at most log2 of the bins)",
        range(means, bits),
        range(shares, String),
      )
    : flat
      ? l10n.t('1 value per channel: no spatial entropy')
      : l10n.t('no entropy measured');
  return {
    title: value === undefined ? count : `${count} · ${value}`,
    tooltip: l10n.t(
      '{0} layers from this definition, {1} … {2} ({3}), at epoch {4} of run {5}: {6}; click to open the Layer view on all of them',
      instances.length,
      first,
      last,
      classes,
      o.epoch,
      o.runName,
      what,
    ),
  };
}

/** A mean entropy with its share of the ceiling, for a tooltip or a hover line. */
export function ceilingText(mean: number | undefined, ceiling: number, l10n: L10n = englishL10n): string {
  if (!(ceiling > 0)) return l10n.t('1 value per channel: no spatial entropy');
  if (mean === undefined) return l10n.t('not measured');
  return formatBitsOfCeiling(mean, ceiling, EDITOR_BITS);
}

/**
 * The classes of a file from which the run's model built no layer: every definition a class holds
 * has no layer of the run. Only when the run has layers from this file at all (else the run is of
 * another model, or the file changed beyond matching), and never for a class one of whose
 * definitions is ambiguous (it may be the run's). Definitions outside a class are never "unused".
 */
export function unusedClasses(sites: readonly LayerSite[]): Set<string> {
  const unused = new Set<string>();
  if (!sites.some((s) => s.layers.length > 0)) return unused;
  const used = new Set<string>();
  for (const s of sites) {
    const owner = s.detected?.python?.owner;
    if (owner === undefined) continue;
    if (s.layers.length > 0 || s.ambiguous) used.add(owner);
  }
  for (const s of sites) {
    const owner = s.detected?.python?.owner;
    if (owner !== undefined && !used.has(owner)) unused.add(owner);
  }
  return unused;
}
