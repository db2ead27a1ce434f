// What the editor says about a run's findings (src/contract/queries/findings.ts): the Problems-panel
// entry of each finding placed at its layer's line, and the short summary the CodeLens above a
// layer appends ("3 dead · 2 near-duplicate"). Pure (the `L10n` stand-in in tests), tested in
// test/unit/extension/editor/findingsText.test.ts; editor/findingsDiagnostics.ts and modelFeatures.ts use it.
import type { Finding, FindingKind, FindingSeverity } from '../../contract/queries/findings';
import { FINDING_KINDS, probeToResolve } from '../../contract/queries/findings';
import type { L10n } from '../l10n';
import { layerNameRange } from '../../contract/layerLabel';

/** The word a lens summary counts a kind with; kinds about channels are counted by channel. */
function shortLabel(kind: FindingKind, l10n: L10n): string {
  switch (kind) {
    case 'dead-channels':
      return l10n.t('dead');
    case 'near-duplicate-channels':
      return l10n.t('near-duplicate');
    case 'uninformative-channels':
      return l10n.t('uninformative');
    case 'label-information-drop':
      return l10n.t('label information drop');
    case 'inert-layer':
      return l10n.t('inert');
    case 'measurement-ceiling':
      return l10n.t('at measurement ceiling');
    case 'class-never-predicted':
      return l10n.t('class never predicted');
    case 'probe-loss-rising':
      return l10n.t('probe loss rising');
    case 'control-above-chance':
      return l10n.t('control above chance');
    case 'memorisation-baseline':
      return l10n.t('memorisation baseline');
    case 'control-near-chance':
      return l10n.t('control near chance');
  }
}

/** A percentage with one decimal ("95.6%"). */
function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** A signed change with two decimals ("+0.01", "−0.30"). */
function signed(x: number): string {
  const s = Math.abs(x).toFixed(2);
  return x < 0 ? `−${s}` : `+${s}`;
}

/**
 * The measured ablation a finding carries, as one clause: "zeroing these 5 channels: probe
 * accuracy 95.6% → 95.4%, loss +0.01". Undefined when the finding has none.
 */
export function ablationProof(finding: Finding, l10n: L10n): string | undefined {
  const a = finding.ablation;
  if (!a) return undefined;
  const n = a.channels.length;
  const what =
    a.mode === 'mean'
      ? n === 1
        ? l10n.t('replacing this channel by its mean')
        : l10n.t('replacing these {0} channels by their means', n)
      : n === 1
        ? l10n.t('zeroing this channel')
        : l10n.t('zeroing these {0} channels', n);
  const accuracy = `${percent(a.accuracyBefore)} → ${percent(a.accuracyAfter)}`;
  // A loss that is undefined (null) before or after has no change to show.
  const loss = a.lossBefore === null || a.lossAfter === null ? undefined : signed(a.lossAfter - a.lossBefore);
  return loss === undefined
    ? l10n.t('{0}: probe accuracy {1}', what, accuracy)
    : l10n.t('{0}: probe accuracy {1}, loss {2}', what, accuracy, loss);
}

/**
 * A finding's one line in VS Code: its message, then what to do where the finding suggests it, with
 * VS Code's setting rather than the CLI's flag ("set cnnSlicer.probeSize to 2000 and record again to
 * resolve it", not "--probe 2000"; the Findings list in the panel says the same, src/contract/findingsText.ts).
 */
export function findingMessage(finding: Finding, l10n: L10n): string {
  const size = probeToResolve(finding);
  return size === undefined
    ? finding.message
    : l10n.t('{0}: set cnnSlicer.probeSize to {1} and record again to resolve it', finding.message, size);
}

const withStale = (text: string, l10n: L10n, stale: boolean) =>
  stale ? `${text} ${l10n.t('(run recorded before your last edit)')}` : text;

/** The Problems-panel text of a finding: its one-line message (findingMessage), then the measured ablation when present. */
export function diagnosticMessage(finding: Finding, l10n: L10n, stale = false): string {
  const proof = ablationProof(finding, l10n);
  const message = findingMessage(finding, l10n);
  const text = proof ? `${message} — ${proof}` : message;
  return withStale(text, l10n, stale);
}

/** How many a finding counts in a lens summary: its channels for a channel kind, else one. */
function countOf(finding: Finding): number {
  return finding.channels?.length ? finding.channels.length : 1;
}

/**
 * The short summary of one layer's findings for its CodeLens: each kind once, in FINDING_KINDS
 * order, channel kinds with their channel count ("3 dead · 2 near-duplicate"), other kinds by name
 * ("inert"). Undefined when the layer has none.
 */
export function layerSummary(findings: readonly Finding[], layer: number, l10n: L10n): string | undefined {
  const counts = new Map<FindingKind, number>();
  for (const f of findings) if (f.layer === layer) counts.set(f.kind, (counts.get(f.kind) ?? 0) + countOf(f));
  if (!counts.size) return undefined;
  const parts: string[] = [];
  for (const kind of FINDING_KINDS) {
    const n = counts.get(kind);
    if (n === undefined) continue;
    const channelKind = kind === 'dead-channels' || kind === 'near-duplicate-channels' || kind === 'uninformative-channels';
    parts.push(channelKind ? `${n} ${shortLabel(kind, l10n)}` : shortLabel(kind, l10n));
  }
  return parts.join(' · ');
}

/** A finding placed in a document: 0-based position, what the diagnostic shows. */
export interface PlacedFinding {
  line: number;
  column: number;
  severity: FindingSeverity;
  message: string;
  /** The diagnostic's `code`: the finding's kind. */
  code: FindingKind;
  finding: Finding;
}

/**
 * Places findings in a document. A finding about a layer goes where `positionOf` puts that layer
 * (the lenses' matcher); one whose layer it does not find in the text (deleted or changed beyond
 * recognition since the run) is left out. A finding without a layer (training, control, the whole
 * model) goes at `modelLine` (the model's definition) when given, else is left out.
 */
export function placeFindings(
  findings: readonly Finding[],
  positionOf: (layer: number) => { line: number; column: number } | undefined,
  modelLine: number | undefined,
  l10n: L10n,
  stale = false,
): PlacedFinding[] {
  const out: PlacedFinding[] = [];
  for (const finding of findings) {
    const at =
      finding.layer === undefined ? (modelLine === undefined ? undefined : { line: modelLine, column: 0 }) : positionOf(finding.layer);
    if (!at) continue;
    out.push({
      line: at.line,
      column: at.column,
      severity: finding.severity,
      message: diagnosticMessage(finding, l10n, stale),
      code: finding.kind,
      finding,
    });
  }
  return out;
}

/** One Problems entry: a finding alone, or the findings of one kind on one definition line that stands for several layers. */
export interface GroupedFinding {
  line: number;
  column: number;
  severity: FindingSeverity;
  message: string;
  code: FindingKind;
  /** The findings it stands for, by layer. */
  findings: Finding[];
  /** Each layer's own entry (its name and message): the diagnostic's related information, one click away. */
  related: { line: number; column: number; message: string }[];
}

/** "channel" or "channels" for a count. */
const channelWord =
  (l10n: L10n) =>
  (n: number): string =>
    n === 1 ? l10n.t('channel') : l10n.t('channels');

/** What a group's layers found, and how much each ("2–62 pairs each"): the kind's words and each finding's count. */
function groupWords(kind: FindingKind, l10n: L10n): { what: string; count?: (f: Finding) => number; unit?: (n: number) => string } {
  switch (kind) {
    case 'near-duplicate-channels':
      return {
        what: l10n.t('near-duplicate pairs'),
        count: (f) => (typeof f.evidence.nearDuplicatePairs === 'number' ? f.evidence.nearDuplicatePairs : 0),
        unit: (n) => (n === 1 ? l10n.t('pair') : l10n.t('pairs')),
      };
    case 'dead-channels':
      return { what: l10n.t('dead channels'), count: countOf, unit: channelWord(l10n) };
    case 'uninformative-channels':
      return { what: l10n.t('uninformative channels'), count: countOf, unit: channelWord(l10n) };
    default:
      return { what: shortLabel(kind, l10n) };
  }
}

/**
 * The Problems entries of placed findings: on a line that stands for several layers of the run
 * (`instancesAt`: a BasicBlock's `self.conv1 = …` is layer1.0.conv1 … layer4.1.conv1), one entry
 * per kind naming its layers by range ("layer1.0–layer4.1 conv1: near-duplicate pairs in 6 of 8
 * layers, 2–62 pairs each"), warning if any is, with each layer's own message (its name first) as
 * related information; a finding alone on such a line names its layer; elsewhere a finding is its
 * own entry, as placed. In the order the findings came (the first of each group's).
 */
export function groupFindings(
  placed: readonly PlacedFinding[],
  instancesAt: (p: PlacedFinding) => number,
  l10n: L10n,
  stale = false,
): GroupedFinding[] {
  const groups = new Map<string, PlacedFinding[]>();
  for (const p of placed) {
    const key = p.finding.layer === undefined ? `single:${groups.size}` : `${p.code}:${p.line}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((members) => {
    const [first] = members;
    const total = first.finding.layer === undefined ? 1 : Math.max(instancesAt(first), members.length);
    // Each layer's message with its name first, unless the message starts with it already ("layer1.1.conv1 (576 parameters) changes …").
    const named = (p: PlacedFinding) =>
      p.finding.layerName && !p.message.startsWith(p.finding.layerName) ? `${p.finding.layerName}: ${p.message}` : p.message;
    if (total <= 1) return { ...first, findings: [first.finding], related: [], message: first.message };
    const sorted = [...members].sort((a, b) => (a.finding.layer ?? 0) - (b.finding.layer ?? 0));
    const related = sorted.map((p) => ({ line: p.line, column: p.column, message: named(p) }));
    if (members.length === 1) return { ...first, message: named(first), findings: [first.finding], related: [] };
    const words = groupWords(first.code, l10n);
    const range = layerNameRange(sorted.map((p) => p.finding.layerName ?? String(p.finding.layer)));
    let each = '';
    if (words.count) {
      const counts = sorted.map((p) => words.count!(p.finding));
      const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
      each = l10n.t(', {0} {1} each', lo === hi ? String(lo) : `${lo}–${hi}`, words.unit?.(hi) ?? '');
    }
    return {
      line: first.line,
      column: first.column,
      severity: members.some((p) => p.severity === 'warning') ? 'warning' : 'information',
      code: first.code,
      message: withStale(l10n.t('{0}: {1} in {2} of {3} layers{4}', range, words.what, members.length, total, each), l10n, stale),
      findings: sorted.map((p) => p.finding),
      related,
    };
  });
}

/**
 * The 0-based line where a model module defines its model: the export of `createModel` (or of
 * `model`, a default export, `module.exports`), else the first line. For a model.json, the first
 * line. For a Python file, the last top-level class that subclasses something (the model is
 * defined after the blocks it is built of, as public PyTorch code writes it), else the first line.
 */
export function modelDefinitionLine(text: string, fileName: string): number {
  if (/\.json$/i.test(fileName)) return 0;
  const lines = text.split('\n');
  if (/\.py$/i.test(fileName)) {
    let last = 0;
    lines.forEach((l, i) => {
      if (/^class\s+\w+\s*\(\s*[\w.]/.test(l)) last = i;
    });
    return last;
  }
  const patterns = [
    /\bexport\s+(?:async\s+)?function\s*\*?\s*createModel\b/,
    /\bexport\s+(?:const|let|var)\s+createModel\b/,
    /\bexport\s+(?:async\s+)?function\s*\*?\s*model\b|\bexport\s+(?:const|let|var)\s+model\b/,
    /\bexport\s+default\b/,
    /\bmodule\.exports\b|\bexports\.createModel\b/,
  ];
  for (const pattern of patterns) {
    const i = lines.findIndex((l) => pattern.test(l));
    if (i >= 0) return i;
  }
  return 0;
}
