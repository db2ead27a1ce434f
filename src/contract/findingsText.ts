// What the Findings list says and where a finding leads, as pure functions of a finding: the measured
// ablation in one line, and the view (with its layer, channel, epoch and layer pair) that shows the evidence.
import type { Finding } from './queries';
import { probeToResolve } from './queries';
import type { RunManifest } from './runFormat';
import { formatNumber, formatPercent } from './format';
import type { Focus } from './webviewProtocol';
import { VIEWS, viewNames } from './views';
import type { FindingView, ViewId } from './views';

/** The proof line of a finding that names removable-looking channels ("zeroing these 5 channels: probe accuracy 95.6% → 95.4%, loss +0.010"). */
export function ablationLine(f: Finding): string | undefined {
  const a = f.ablation;
  if (!a) return undefined;
  const which = a.channels.length === 1 ? `channel ${a.channels[0]}` : `these ${a.channels.length} channels`;
  const verb = a.mode === 'zero' ? `zeroing ${which}` : `replacing ${which} by ${a.channels.length === 1 ? 'its' : 'their'} mean`;
  const lossDelta = a.lossAfter === null || a.lossBefore === null ? null : a.lossAfter - a.lossBefore;
  return `${verb}: probe accuracy ${formatPercent(a.accuracyBefore)} → ${formatPercent(a.accuracyAfter)}, loss ${formatNumber(lossDelta, { sign: true })}`;
}

/**
 * A finding's one line as the command line and a report or the run panel show it: its message, then
 * what to do where the finding suggests it, worded for where it is read. A ceiling a larger probe
 * resolves says "record with --probe 2000 to resolve it" (the CLI's flag) outside VS Code, and names
 * the setting inside ("set cnnSlicer.probeSize to 2000 and record again to resolve it"); VS Code's
 * Problems panel words it the same (src/extension/editor/findingsText.ts).
 */
export function findingLine(f: Finding, where: 'vscode' | 'cli'): string {
  const size = probeToResolve(f);
  if (size === undefined) return f.message;
  return where === 'vscode'
    ? `${f.message}: set cnnSlicer.probeSize to ${size} and record again to resolve it`
    : `${f.message}: record with --probe ${size} to resolve it`;
}

/** The views' names as a sentence says them (and the comparison, which a run panel does not hold): src/contract/views.ts. */
export const VIEW_TITLES: Record<FindingView, string> = viewNames(VIEWS);

/**
 * Where a finding's evidence is shown, as a focus request the app applies (state.tsx `applyFocus`),
 * with the epoch to show; undefined for a comparison with another run, which is another panel (a control
 * run's panel opens the comparison with its source run through the host: FindingsCard.tsx).
 * The Layer view gets a pair: the layer against the multi-channel layer before it (else after it).
 */
export function evidenceFocus(f: Finding, manifest: RunManifest): { focus: Focus; epoch?: number } | undefined {
  const target = f.view;
  if (target.view === 'compare') return undefined;
  const view: ViewId = target.view;
  const layer = target.layer ?? f.layer;
  const channel = target.channel ?? (f.channels?.length === 1 ? f.channels[0] : undefined);
  const epoch = target.epoch ?? f.epoch;
  const focus: Focus = {
    view,
    ...(layer !== undefined ? { layer } : {}),
    ...(channel !== undefined ? { channel } : {}),
    ...(target.estimator ? { estimator: target.estimator } : {}),
  };
  if (view === 'layer' && layer !== undefined) {
    const multi = manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
    const before = multi.filter((l) => l < layer).pop();
    const after = multi.find((l) => l > layer);
    if (before !== undefined) focus.pair = [before, layer];
    else if (after !== undefined) focus.pair = [layer, after];
  }
  return { focus, ...(manifest.epochs.includes(epoch) ? { epoch } : {}) };
}

/** An evidence number as the detail lists it: a list of numbers joined, a value with three decimals, "—" when undefined. */
export function evidenceText(value: Finding['evidence'][string]): string {
  if (Array.isArray(value)) return value.length > 12 ? `${value.slice(0, 12).join(', ')}, … (${value.length})` : value.join(', ');
  return Number.isInteger(value) ? String(value) : formatNumber(value);
}

/**
 * How a near-duplicate finding's pairs were compared, for its detail: the pairs the screen kept
 * (estimators.md "Screening the near-duplicate pairs"), or every pair (no screen: a layer where the
 * screen would not save work).
 */
export function nearDuplicateScreenText(
  screen: { r: number; energyR: number; lowBits: number } | undefined,
  kept: number,
  pairs: number,
): string {
  if (!screen) return `Every one of the ${pairs} channel pairs was compared exactly.`;
  return (
    `Pairs with |Pearson r| ≥ ${screen.r} over every probe input and position, or ≥ ${screen.energyR} between their per-input energies, ` +
    `or with a channel of own capacity below ${screen.lowBits} bit${screen.lowBits === 1 ? '' : 's'} were compared exactly (${kept} of ${pairs}); the others count as not near-duplicate. ` +
    `The screen kept every near-duplicate pair on the test models and the example zoo.`
  );
}
