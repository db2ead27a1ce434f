// The text of the hover over a layer definition and of its CodeLens: a layer's channel
// entropies at the latest recorded epoch, read from the run's metrics (metrics.jsonl holds
// every channel's mean intra-sample entropy per epoch, overall and per class, and the layer's
// inter-sample entropy), so the hover is instant and needs no analysis service.
//
// Pure (no `vscode` import): callers pass `vscode.l10n` for the strings and wrap the result in a
// `MarkdownString` whose trusted commands are exactly `HOVER_COMMANDS`.
import type { InterSampleUndefined } from '../../analysis/interSampleReasons';
import type { LayerEpochMetrics, RunLayer, RunStatus } from '../../contract/runFormat';
import { recordedInterSample } from '../../contract/queries/interSample';
import { type BitsFormat, formatBits, formatBitsOfCeiling, formatShape, intraSampleCeiling } from '../../contract/format';
import { layerKind } from '../../contract/layerKinds';
import { unitsPerChannelOf } from '../../analysis/layout';
import { englishL10n, type L10n } from '../l10n';
import { escapeMarkdown } from '../markdown';

/** Records the model of a run again from the editor, saving its unsaved changes first (modelFeatures.ts). */
export const RECORD_AGAIN_COMMAND = 'cnnSlicer.recordAgainFromEditor';
/** Opens the Layer view of a run on a layer's pair with its epoch strip (modelFeatures.ts). */
export const EPOCH_STRIP_COMMAND = 'cnnSlicer.epochStrip';

/** The commands the hover links to; the only ones its MarkdownString may run. */
export const HOVER_COMMANDS: readonly string[] = [
  'cnnSlicer.showEntropy',
  'cnnSlicer.compareEpochs',
  RECORD_AGAIN_COMMAND,
  EPOCH_STRIP_COMMAND,
];

/** At most this many channel rows; the rest are counted ("… 12 more"). */
export const MAX_CHANNEL_ROWS = 32;

/** What the hover shows for one layer of one run. */
export interface LayerHoverData {
  runFolder: string;
  runName: string;
  status: RunStatus;
  /** The latest recorded epoch (the metrics shown). */
  epoch: number;
  /** The epochs the run was set to train. */
  /** Undefined for a PyTorch run whose training loop did not say how many epochs it trains. */
  plannedEpochs: number | undefined;
  layer: RunLayer;
  /** The layer's metrics at `epoch`, when recorded. */
  metrics?: LayerEpochMetrics;
  /** Its `[class][channel]` entropies at `epoch` (the line's, or its per-class file's block), when read. */
  perClass?: (number | null)[][];
  /** Histogram bins of the run: intra-sample entropy lies in [0, log2 bins]. */
  bins: number;
  probeSize: number;
  /** The run was recorded from an older version of the file (sourcePosition.ts `recordedBeforeEdit`). */
  stale?: boolean;
  /** The layer recorded just before it: the one a pass-through layer (BatchNorm) keeps the entropies of. */
  before?: RunLayer;
}

/** Mean of a layer's channel entropies, over the channels where it is defined; undefined if none is. */
export function meanChannelBits(metrics: LayerEpochMetrics | undefined): number | undefined {
  if (!metrics) return undefined;
  let sum = 0;
  let count = 0;
  for (const v of metrics.channelBits) {
    if (v === null || !Number.isFinite(v)) continue;
    sum += v;
    count++;
  }
  return count ? sum / count : undefined;
}

/**
 * Bits in the hover and on the CodeLens: two decimals, one fewer than the views, to keep the channel
 * table narrow; the unit is in the column header or the translated sentence.
 */
export const EDITOR_BITS: BitsFormat = { digits: 2, unit: false };

/** The range over classes of one channel's per-class entropy; undefined when no class has a value (or none was read). */
export function classSpread(perClassRows: (number | null)[][] | undefined, channel: number): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const perClass of perClassRows ?? []) {
    const v = perClass?.[channel];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : undefined;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * A horizontal bar of `width` characters for `value` in [0, max], in eighths of a character.
 * The scale is the estimator's own maximum (log2 of the bins), not the layer's largest value, so
 * bars compare across layers and hovers.
 */
export function entropyBar(value: number, max: number, width = 10): string {
  if (!(max > 0) || !Number.isFinite(value)) return '';
  const eighths = Math.round(Math.min(1, Math.max(0, value / max)) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** A `command:` URI with JSON arguments, as VS Code's Markdown links expect. */
export function commandUri(command: string, args: unknown[]): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

/** A Markdown link title (the tooltip between quotes), which may not hold a double quote. */
function linkTitle(text: string): string {
  return text.replace(/"/g, "'");
}

/** The line that marks a run recorded from an older version of the file, with its Record Again link. */
export function staleNotice(runFolder: string, runName: string, l10n: L10n = englishL10n): string {
  const again = commandUri(RECORD_AGAIN_COMMAND, [runFolder]);
  return (
    `$(warning) ${escapeMarkdown(l10n.t('Run {0} was recorded before your last edit', runName))} — ` +
    `[${escapeMarkdown(l10n.t('Record Again'))}](${again} "${linkTitle(l10n.t('Record the model again with the settings of run {0}', runName))}")`
  );
}

/**
 * The Markdown of the hover for the layers defined at one place: one layer's section, or for several
 * (a block's line standing for each block's layer, a helper called more than once) a compact table
 * of every one of them, never cut (VS Code scrolls a tall hover).
 */
export function hoverMarkdown(layers: readonly LayerHoverData[], l10n: L10n = englishL10n): string {
  const stale = layers.find((d) => d.stale);
  const body = layers.length === 1 ? layerSection(layers[0], l10n) : instancesTable(layers, l10n);
  return stale ? `${staleNotice(stale.runFolder, stale.runName, l10n)}\n\n${body}` : body;
}

/** The ceiling of a layer's intra-sample entropy with `bins` bins: log2 of its values per channel, at most log2 bins. */
function ceilingOf(layer: RunLayer, bins: number): number {
  return intraSampleCeiling(unitsPerChannelOf(layer.outputShape, layer.dataFormat), bins);
}

/**
 * The line of a layer that only passes each channel on by a per-channel affine map (BatchNorm: its
 * layer kind passes channels on and rescales), so its entropies are those of the layer before it:
 * intra-sample entropy is binned between each map's own minimum and maximum, which an affine map
 * of the channel moves together. Undefined for any other layer (ReLU passes channels on but clips them).
 */
export function passesOnNote(layer: RunLayer, before: RunLayer | undefined, l10n: L10n = englishL10n): string | undefined {
  const kind = layerKind(layer.className);
  if (!kind.passesOn || !kind.rescales || !before) return undefined;
  return l10n.t("{0} keeps each channel's entropy of {1}: per-channel affine map, not new evidence", layer.className, before.name);
}

/** Every layer of one definition, a row each: its shape, mean channel entropy and share of the ceiling, and its link. */
function instancesTable(layers: readonly LayerHoverData[], l10n: L10n): string {
  const d0 = layers[0];
  const epoch =
    d0.status === 'recording' && d0.plannedEpochs !== undefined
      ? l10n.t('epoch {0} of {1}, recording', d0.epoch, d0.plannedEpochs)
      : l10n.t('epoch {0}', d0.epoch);
  const classes = [...new Set(layers.map((d) => d.layer.className))].join(', ');
  const out: string[] = [];
  out.push(
    `**${escapeMarkdown(l10n.t('{0} layers', layers.length))}** · ${escapeMarkdown(classes)} · ${escapeMarkdown(epoch)} · ` +
      escapeMarkdown(l10n.t('run {0}', d0.runName)),
  );
  out.push('');
  out.push(`| ${l10n.t('layer')} | ${l10n.t('shape')} | ${l10n.t('mean entropy')} | ${l10n.t('share of ceiling')} |`);
  out.push('|:--|:--|--:|:--|');
  const notes: string[] = [];
  for (const d of layers) {
    const { layer } = d;
    const open = commandUri('cnnSlicer.showEntropy', [d.runFolder, layer.index]);
    const name = `[${escapeMarkdown(layer.name)}](${open} "${linkTitle(l10n.t('The channel view of this layer in run {0}', d.runName))}")`;
    const ceiling = ceilingOf(layer, d.bins);
    const mean = meanChannelBits(d.metrics);
    const value = !(ceiling > 0) || mean === undefined ? '—' : formatBits(mean, EDITOR_BITS);
    const share = !(ceiling > 0)
      ? escapeMarkdown(l10n.t('1 value per channel: no spatial entropy'))
      : mean === undefined
        ? escapeMarkdown(l10n.t('not measured'))
        : `${Math.round((100 * Math.max(0, mean)) / ceiling)}% ${escapeMarkdown(l10n.t('of {0}', ceiling.toFixed(1)))}`;
    out.push(`| ${name} | ${escapeMarkdown(formatShape(layer.outputShape, layer.dataFormat))} | ${value} | ${share} |`);
    const note = passesOnNote(layer, d.before, l10n);
    if (note) notes.push(note);
  }
  out.push('');
  out.push(
    escapeMarkdown(
      l10n.t(
        "Mean channel entropy in bits; a channel of n values has at most log2 n bits (and at most log2 {0}, the bins), so a smaller map's lower entropy is not lost information.",
        d0.bins,
      ),
    ),
  );
  for (const note of notes) {
    out.push('');
    out.push(escapeMarkdown(note));
  }
  return out.join('\n');
}

/**
 * The line over the hover of a PyTorch module that forward() calls more than once (`self.relu`
 * applied after two convolutions): one module with one set of weights, but each call is a layer of
 * the run (python/cnn_slicer names the calls `relu`, `relu-2`, …) with its own activations and so
 * its own entropies. Undefined when no module of `names` is called twice.
 */
export function repeatedCallsNotice(names: readonly string[], l10n: L10n = englishL10n): string | undefined {
  const calls = new Map<string, string[]>();
  for (const name of names) {
    const module = name.replace(/-\d+$/, '');
    calls.set(module, [...(calls.get(module) ?? []), name]);
  }
  const repeated = [...calls.entries()].filter(([, c]) => c.length > 1);
  if (!repeated.length) return undefined;
  return repeated
    .map(([module, c]) =>
      escapeMarkdown(
        l10n.t(
          '{0} is one module (one set of weights) that forward() calls {1} times: each call is a layer of the run ({2}) with its own entropies.',
          module,
          c.length,
          c.join(', '),
        ),
      ),
    )
    .join('\n\n');
}

/**
 * The hover over a layer definition the newest run has no layer for (added since it was
 * recorded): what the layer is and the link that records it.
 */
export function notRecordedMarkdown(kind: string, runFolder: string, runName: string, l10n: L10n = englishL10n): string {
  const again = commandUri(RECORD_AGAIN_COMMAND, [runFolder]);
  return (
    `**${escapeMarkdown(kind)}** · ${escapeMarkdown(l10n.t('not recorded yet'))}\n\n` +
    `${escapeMarkdown(l10n.t('The newest run ({0}) has no layer for this definition: it was added or changed since.', runName))} ` +
    `[${escapeMarkdown(l10n.t('Record Again'))}](${again} "${linkTitle(l10n.t('Record the model again with the settings of run {0}', runName))}")`
  );
}

/**
 * The hover over a definition in a class the run's model never built (ResNet18 builds no
 * `Bottleneck`): nothing was added or changed, the run simply has no layer of it.
 */
export function notUsedMarkdown(kind: string, className: string, runName: string, l10n: L10n = englishL10n): string {
  return (
    `**${escapeMarkdown(kind)}** · ${escapeMarkdown(l10n.t("not used by this run's model"))}\n\n` +
    escapeMarkdown(l10n.t('No layer of run {0} came from class {1}: the model it recorded does not build one.', runName, className))
  );
}

/**
 * The layer's recorded I(T;Y) (the pairwise estimator over all probe inputs, docs/estimators.md) as
 * one line, or undefined when the run recorded none (older runs did not record it).
 */
export function labelInformationLine(metrics: LayerEpochMetrics, epoch: number, l10n: L10n = englishL10n): string | undefined {
  const bits = metrics.labelInformationBits;
  if (bits === undefined) return undefined;
  return bits === null || !Number.isFinite(bits)
    ? l10n.t('I(T;Y) with the labels at epoch {0}: undefined (fewer than 2 probe inputs, or one class)', epoch)
    : l10n.t('I(T;Y) with the labels at epoch {0}: {1} bits (pairwise estimator, at most H(S))', epoch, formatBits(bits, EDITOR_BITS));
}

function layerSection(d: LayerHoverData, l10n: L10n): string {
  const { layer, metrics } = d;
  const out: string[] = [];
  const shape = formatShape(layer.outputShape, layer.dataFormat);
  const epoch =
    d.status === 'recording' && d.plannedEpochs !== undefined
      ? l10n.t('epoch {0} of {1}, recording', d.epoch, d.plannedEpochs)
      : l10n.t('epoch {0}', d.epoch);
  out.push(`**${escapeMarkdown(layer.name)}** · ${escapeMarkdown(layer.className)} · ${escapeMarkdown(shape)} · ${escapeMarkdown(epoch)}`);
  out.push('');
  // The links come before the channel table, which for a wide layer runs below the hover's fold.
  const open = commandUri('cnnSlicer.showEntropy', [d.runFolder, layer.index]);
  const compare = commandUri('cnnSlicer.compareEpochs', [d.runFolder, layer.index]);
  const links = [
    `[${escapeMarkdown(l10n.t('Open in CNN Slicer'))}](${open} "${linkTitle(l10n.t('The channel view of this layer in run {0}', d.runName))}")`,
    `[${escapeMarkdown(l10n.t('Compare'))}](${compare} "${linkTitle(l10n.t("Each channel's entropy over the epochs of run {0}", d.runName))}")`,
  ];
  // The epoch strip is of a pair of layers: this one and the one before it, so not for the first.
  if (layer.index >= 2) {
    const strip = commandUri(EPOCH_STRIP_COMMAND, [d.runFolder, layer.index]);
    links.push(
      `[${escapeMarkdown(l10n.t('Epoch strip'))}](${strip} "${linkTitle(l10n.t('The Layer view of run {0} on this layer and the one before it, over the epochs', d.runName))}")`,
    );
  }
  out.push(links.join(' · '));
  out.push('');
  const note = passesOnNote(layer, d.before, l10n);
  if (note) {
    out.push(escapeMarkdown(note));
    out.push('');
  }
  const ceiling = ceilingOf(layer, d.bins);
  if (metrics && !(ceiling > 0)) {
    // One value per channel (a 1×1 map, a vector of 1): every channel's intra-sample entropy is 0 by
    // construction, which says nothing about the channel; a table of zeros would read as "constant".
    out.push(escapeMarkdown(l10n.t('1 value per channel: no spatial entropy (intra-sample entropy is 0 for any channel of one value).')));
    out.push('');
  } else if (metrics) {
    out.push(
      escapeMarkdown(
        l10n.t(
          'Mean channel entropy: {0} (the ceiling: log2 of {1} values per channel, at most log2 {2} bins)',
          formatBitsOfCeiling(meanChannelBits(metrics), ceiling, EDITOR_BITS),
          unitsPerChannelOf(layer.outputShape, layer.dataFormat),
          d.bins,
        ),
      ),
    );
    out.push('');
  }
  if (!metrics) {
    out.push(escapeMarkdown(l10n.t('No entropies of this layer were recorded at epoch {0}.', d.epoch)));
  } else {
    const channels = metrics.channelBits.length;
    const dead = new Set(metrics.deadChannels);
    const maxBits = Math.log2(Math.max(2, d.bins));
    if (ceiling > 0) {
      out.push(`| ${l10n.t('channel')} | ${l10n.t('entropy (bits)')} | | ${l10n.t('class spread')} |`);
      out.push('|--:|--:|:--|:--|');
    }
    // A layer of one value per channel has no table: its zeros are not the channels' (the line above says so).
    const rows = ceiling > 0 ? Math.min(channels, MAX_CHANNEL_ROWS) : 0;
    for (let c = 0; c < rows; c++) {
      const v = metrics.channelBits[c];
      const value = v === null || !Number.isFinite(v) ? '—' : formatBits(v, EDITOR_BITS);
      const bar = dead.has(c) ? `*${escapeMarkdown(l10n.t('dead'))}*` : v === null ? '' : entropyBar(v, maxBits);
      const spread = classSpread(d.perClass ?? metrics.channelBitsPerClass, c);
      const spreadText = spread ? `${formatBits(spread.min, EDITOR_BITS)}–${formatBits(spread.max, EDITOR_BITS)}` : '—';
      out.push(`| ${c} | ${value} | ${bar} | ${spreadText} |`);
    }
    out.push('');
    const notes: string[] = [];
    if (ceiling > 0 && channels > rows) notes.push(l10n.t('… {0} more channels', channels - rows));
    if (dead.size) notes.push(l10n.t('{0} of {1} channels dead (0 for every probe input)', dead.size, channels));
    if (metrics.nonFiniteCount > 0) notes.push(l10n.t('{0} non-finite activations ignored', metrics.nonFiniteCount));
    if (notes.length) {
      out.push(escapeMarkdown(notes.join(' · ')));
      out.push('');
    }
    const inter = recordedInterSample(metrics, layer.channels, d.probeSize);
    out.push(
      escapeMarkdown(
        inter.bits === null || !Number.isFinite(inter.bits)
          ? interSampleUndefined(inter.why, l10n)
          : l10n.t('Inter-sample entropy: {0} bits over {1} probe inputs', formatBits(inter.bits, EDITOR_BITS), d.probeSize),
      ),
    );
    const information = labelInformationLine(metrics, d.epoch, l10n);
    if (information !== undefined) {
      out.push('');
      out.push(escapeMarkdown(information));
    }
  }
  return out.join('\n');
}

/**
 * The hover over a definition the matcher cannot tell from another one for a layer of the run (a
 * copy of it, with the same options): neither gets the layer's values, which would be a guess.
 */
export function ambiguousMarkdown(kind: string, runFolder: string, runName: string, l10n: L10n = englishL10n): string {
  const again = commandUri(RECORD_AGAIN_COMMAND, [runFolder]);
  return (
    `**${escapeMarkdown(kind)}** · ${escapeMarkdown(l10n.t('stale'))}\n\n` +
    `${escapeMarkdown(l10n.t('Another definition with the same options could also be the layer of run {0}: no value is shown rather than a guess.', runName))} ` +
    `[${escapeMarkdown(l10n.t('Record Again'))}](${again} "${linkTitle(l10n.t('Record the model again with the settings of run {0}', runName))}")`
  );
}

/** The hover's line for an undefined inter-sample entropy, with why (src/analysis/interSampleReasons.ts). */
function interSampleUndefined(why: InterSampleUndefined | undefined, l10n: L10n): string {
  switch (why) {
    case 'identical-samples':
      return l10n.t('Inter-sample entropy: undefined (all probe inputs are identical here)');
    case 'tied-neighbours':
      return l10n.t('Inter-sample entropy: undefined (some probe input has all its k nearest neighbours identical to it)');
    case 'too-few-samples':
      return l10n.t('Inter-sample entropy: undefined (too few probe inputs)');
    case undefined:
      return l10n.t('Inter-sample entropy: undefined');
  }
}
