// How a recorded run is shown: labels, status, descriptions, tooltips, the settings a re-run
// reuses, the webview theme and the export filters. Pure functions (no `vscode` at run time), so
// they are unit-tested in plain Node (test/unit/extension/runs/runDisplay.test.ts); the runs tree and the
// panels turn their results into TreeItems, MarkdownStrings and dialogs.
//
// User-visible strings go through an `l10n` argument (VS Code's `vscode.l10n` in the extension),
// written as `l10n.t('…')` so the string extractor of @vscode/l10n-dev still finds them.
import { isAbsolute, relative, resolve } from 'node:path';
import type { RunLayer, RunManifest, RunStatus } from '../../contract/runFormat';
import type { RunRecord } from '../../run/store';
import { formatShape, labelMeasuresAbsent } from '../../contract/format';
import type { ExportFormat, WebviewTheme } from '../../contract/webviewProtocol';
import type { L10n } from '../l10n';
import { escapeMarkdown } from '../markdown';
import { backendOfTfjsName, replayedSettings } from '../../contract/recordSettings';
import type { RecordingSettings } from '../settings';

/** Where dates are shown: the UI language and, for tests, a fixed time zone. */
export interface DateStyle {
  locale?: string;
  timeZone?: string;
}

export function statusText(status: RunStatus, l10n: L10n): string {
  switch (status) {
    case 'recording':
      return l10n.t('recording');
    case 'completed':
      return l10n.t('completed');
    case 'cancelled':
      return l10n.t('cancelled');
    case 'failed':
      return l10n.t('failed');
    case 'interrupted':
      return l10n.t('interrupted');
  }
}

/**
 * The codicon and theme colour of a status. Recording spins; the colours are the ones VS Code's
 * own test explorer uses for the same meanings, so every theme already defines them.
 */
export function statusIcon(status: RunStatus): { id: string; color?: string } {
  switch (status) {
    case 'recording':
      return { id: 'loading~spin' };
    case 'completed':
      return { id: 'pass', color: 'testing.iconPassed' };
    case 'cancelled':
      return { id: 'circle-slash', color: 'disabledForeground' };
    case 'failed':
      return { id: 'error', color: 'testing.iconFailed' };
    case 'interrupted':
      return { id: 'warning', color: 'list.warningForeground' };
  }
}

/**
 * The status to show: `recording` while this window's recorder still has the folder (its manifest
 * may lag a moment behind the recorder), else what the manifest says (the reader has already
 * turned a dead recorder's `recording` into `interrupted`).
 */
export function shownStatus(record: RunRecord, activeFolders: readonly string[]): RunStatus {
  const folder = resolve(record.folder);
  return activeFolders.some((f) => resolve(f) === folder) ? 'recording' : record.manifest.status;
}

/**
 * The default label of each run: its number among the runs of the same model file, oldest first
 * ("#1", "#2", …), so runs of one model are told apart at a glance; ties (same second) go by id.
 */
export function runOrdinals(runs: readonly RunRecord[]): Map<string, number> {
  const byModel = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = resolve(r.manifest.model.file);
    const list = byModel.get(key) ?? [];
    list.push(r);
    byModel.set(key, list);
  }
  const ordinals = new Map<string, number>();
  for (const list of byModel.values()) {
    list.sort((a, b) => a.manifest.createdAt.localeCompare(b.manifest.createdAt) || a.manifest.id.localeCompare(b.manifest.id));
    list.forEach((r, i) => ordinals.set(resolve(r.folder), i + 1));
  }
  return ordinals;
}

/** A run's own label: the name the user gave it, else its number among the runs of its model. */
export function runLabel(ordinal: number | undefined, customName?: string): string {
  const name = customName?.trim();
  if (name) return name;
  return ordinal === undefined ? '#?' : `#${ordinal}`;
}

/** The tree item label: model name and run label. */
export function runItemLabel(manifest: RunManifest, label: string): string {
  return `${manifest.model.name} · ${label}`;
}

export function panelTitle(manifest: RunManifest, label: string, l10n: L10n, recordedBeforeEdit = false): string {
  // A run recorded from an older version of its file may no longer match the code (sourcePosition.ts
  // `recordedBeforeEdit`, the lenses' rule): the title says so, as the lens does.
  return recordedBeforeEdit
    ? l10n.t('CNN Slicer: {0} ({1}) (recorded before your last edit)', manifest.model.name, label)
    : l10n.t('CNN Slicer: {0} ({1})', manifest.model.name, label);
}

/** A run's date in the UI language; the raw text when it does not parse. */
export function formatDate(iso: string, style: DateStyle = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(style.timeZone ? { timeZone: style.timeZone } : {}),
  };
  try {
    return new Intl.DateTimeFormat(style.locale, options).format(date);
  } catch {
    // An unknown locale tag (VS Code's language is user-configurable) is not worth an error.
    return new Intl.DateTimeFormat('en', options).format(date);
  }
}

/**
 * Trained epochs recorded so far and those asked for: `done` is the last recorded epoch (epoch 0
 * is the untrained model, so a run with epochs [0, 1, 2] of 5 has done 2 of 5), those awaiting their
 * measures included. `total` is undefined
 * for a PyTorch run whose training loop did not say how many epochs it trains.
 */
export function epochProgress(
  manifest: RunManifest,
  pending: readonly { epoch: number }[] = [],
): { done: number; total: number | undefined } {
  // A PyTorch run's epochs awaiting their measures are recorded (trained, checkpointed) too.
  const recorded = [...manifest.epochs, ...pending.map((p) => p.epoch)];
  const last = recorded.length ? Math.max(...recorded) : 0;
  return { done: last, total: manifest.settings.epochs };
}

/** Epochs recorded so far as "2/5" ("2" when the run does not say how many it trains). */
function progressText({ done, total }: { done: number; total: number | undefined }): string {
  return total === undefined ? String(done) : `${done}/${total}`;
}

/** How many of a run's epochs await their measures (a PyTorch run, docs/pytorch.md), or undefined when none. */
function awaitingText(record: Pick<RunRecord, 'pending'>, l10n: L10n): string | undefined {
  const n = record.pending?.length ?? 0;
  if (n === 0) return undefined;
  return n === 1 ? l10n.t('1 epoch awaiting measures') : l10n.t('{0} epochs awaiting measures', n);
}

/**
 * The tree item description: status · dataset · date; a run recording says which epoch it is at
 * ("recording 2/5"), and a run whose epochs await their measures says how many.
 */
export function runDescription(
  record: Pick<RunRecord, 'manifest' | 'pending'>,
  status: RunStatus,
  l10n: L10n,
  style: DateStyle = {},
): string {
  const manifest = record.manifest;
  // A control run says so first: its numbers are the control's, not the model's (docs/control.md).
  const control = manifest.control ? [l10n.t('control {0}', manifest.control.spec)] : [];
  const state =
    status === 'recording'
      ? `${statusText(status, l10n)} ${progressText(epochProgress(manifest, record.pending))}`
      : statusText(status, l10n);
  const awaiting = awaitingText(record, l10n);
  return [...control, state, ...(awaiting ? [awaiting] : []), manifest.dataset.name, formatDate(manifest.createdAt, style)].join(' · ');
}

export function layerDescription(layer: RunLayer): string {
  // The class is in the item's short label ("pool1 · MaxPooling2D"), so the description is the shape.
  return formatShape(layer.outputShape, layer.dataFormat);
}

/** The backend a run used, with why the preferred one was not available. */
export function backendText(manifest: RunManifest, l10n: L10n): string {
  const name = backendName(manifest.backend.name);
  // A fallback is no fault: say which faster backend was not available (each reason reads
  // "<backend>: <why>"; the tooltip lists them in full).
  const skipped = [...new Set(manifest.backend.fallbackReasons.map((r) => backendName(r.split(':')[0].trim())))];
  return skipped.length ? l10n.t('{0} ({1} not available)', name, skipped.join(', ')) : name;
}

/**
 * Why a faster backend was skipped, in a user's words: a missing tfjs-node package (the usual case,
 * "Cannot find module '@tensorflow/tfjs-node'") reads "native TensorFlow not installed, using
 * WebAssembly"; other reasons are kept as the recorder wrote them.
 */
export function fallbackReasonText(reason: string, ran: string, l10n: L10n): string {
  if (/^tfjs-node:/.test(reason) && /Cannot find module|MODULE_NOT_FOUND|not installed/i.test(reason))
    return l10n.t('native TensorFlow not installed, using {0}', backendName(ran));
  return reason;
}

/** A backend as people know it: tfjs-node by its package name, wasm as WebAssembly. */
function backendName(name: string): string {
  return name === 'wasm' ? 'WebAssembly' : (backendOfTfjsName(name) ?? name);
}

/** The rows of a run's details group (also the lines of its tooltip). */
export function detailRows(
  record: RunRecord,
  l10n: L10n,
  style: DisplayStyle = {},
): {
  key: 'control' | 'model' | 'dataset' | 'date' | 'epochs' | 'backend' | 'probe' | 'output' | 'folder';
  label: string;
  value: string;
}[] {
  const m = record.manifest;
  const awaiting = awaitingText(record, l10n);
  // A model that predicts no class (a regression, an embedding) has no accuracy to show: said once, here.
  const noClasses = labelMeasuresAbsent(m)
    ? [{ key: 'output' as const, label: l10n.t('Output'), value: l10n.t('no class predictions, so no accuracy or label measures') }]
    : [];
  const control = m.control
    ? [{ key: 'control' as const, label: l10n.t('Control'), value: l10n.t('{0} of run {1}', m.control.spec, m.control.sourceRun.id) }]
    : [];
  return [
    ...control,
    { key: 'model', label: l10n.t('Model'), value: displayPath(m.model.file, style.roots) },
    {
      key: 'dataset',
      label: l10n.t('Dataset'),
      value: m.dataset.spec === m.dataset.name ? m.dataset.name : `${m.dataset.name} (${m.dataset.spec})`,
    },
    { key: 'date', label: l10n.t('Date'), value: formatDate(m.createdAt, style) },
    {
      key: 'epochs',
      label: l10n.t('Epochs'),
      value: awaiting ? `${progressText(epochProgress(m, record.pending))} (${awaiting})` : progressText(epochProgress(m, record.pending)),
    },
    { key: 'backend', label: l10n.t('Backend'), value: backendText(m, l10n) },
    { key: 'probe', label: l10n.t('Probe'), value: l10n.t('{0} inputs', m.probe.size) },
    ...noClasses,
    { key: 'folder', label: l10n.t('Folder'), value: displayPath(record.folder, style.roots) },
  ];
}

/** How run details are shown: the date's locale and zone, and the workspace folders paths are shown relative to. */
export interface DisplayStyle extends DateStyle {
  /** Workspace folders: a path inside one is shown relative to it (with the folder's name when there are several). */
  roots?: readonly string[];
}

/**
 * A path as the details show it: relative to the workspace folder that holds it ("models/lenet.ts",
 * or "shop/models/lenet.ts" in a multi-root workspace), absolute outside every workspace folder.
 */
export function displayPath(path: string, roots: readonly string[] = []): string {
  for (const root of roots) {
    const rel = relative(root, path);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return roots.length > 1 ? `${root.split(/[\\/]/).pop()}/${rel}` : rel;
  }
  return path;
}

/** The run item's tooltip, as Markdown: what it is, every detail, and what went wrong if anything did. */
export function runTooltip(record: RunRecord, label: string, status: RunStatus, l10n: L10n, style: DisplayStyle = {}): string {
  const m = record.manifest;
  const icon = statusIcon(status).id.replace('~spin', '');
  const lines = [`**${escapeMarkdown(runItemLabel(m, label))}** — $(${icon}) ${escapeMarkdown(statusText(status, l10n))}`, ''];
  for (const row of detailRows(record, l10n, style)) lines.push(`${escapeMarkdown(row.label)}: ${escapeMarkdown(row.value)}  `);
  if (m.backend.fallbackReasons.length)
    lines.push('', ...m.backend.fallbackReasons.map((r) => `- ${escapeMarkdown(fallbackReasonText(r, m.backend.name, l10n))}`));
  const absent = labelMeasuresAbsent(m);
  if (absent) lines.push('', `$(info) ${escapeMarkdown(absent)}`);
  if (m.error) lines.push('', `$(error) ${escapeMarkdown(m.error.message)}`);
  if (record.notes.length) lines.push('', ...record.notes.map((n) => `- ${escapeMarkdown(n)}`));
  return lines.join('\n');
}

/**
 * The log line of an epoch the recorder has written: its probe accuracy, unless the run has no
 * label measures (`labelMeasuresAbsent`), when a 0 % accuracy would read as a model that learnt nothing.
 */
export function epochRecordedText(
  model: string,
  e: { epoch: number; probeAccuracy: number; recordMs: number },
  manifest: Pick<RunManifest, 'output'> | undefined,
): string {
  const measuring = `${Math.round(e.recordMs)} ms of measuring`;
  if (manifest && labelMeasuresAbsent(manifest))
    return `${model}: epoch ${e.epoch} recorded (no probe accuracy: the model predicts no class; ${measuring})`;
  return `${model}: epoch ${e.epoch} recorded (probe accuracy ${(e.probeAccuracy * 100).toFixed(1)} %, ${measuring})`;
}

export function layerTooltip(layer: RunLayer, l10n: L10n): string {
  const lines = [
    `**${escapeMarkdown(layer.name)}** (${escapeMarkdown(layer.className)})`,
    '',
    `${escapeMarkdown(l10n.t('Output shape'))}: ${escapeMarkdown(formatShape(layer.outputShape, layer.dataFormat))}  `,
    `${escapeMarkdown(l10n.t('Channels'))}: ${layer.channels}  `,
    `${escapeMarkdown(l10n.t('Parameters'))}: ${layer.parameters}  `,
  ];
  if (layer.source)
    lines.push(
      `${escapeMarkdown(l10n.t('Defined at'))}: ${escapeMarkdown(`${layer.source.file}:${layer.source.line}:${layer.source.column}`)}`,
    );
  return lines.join('\n');
}

/**
 * What "Record Again" reuses of a run: what recording a run again replays (src/contract/recordSettings.ts
 * `replayedSettings`: its dataset, every setting its manifest recorded — the seed, the probe size or
 * per class and record every included — and its number of training inputs; its optimizer and
 * learning rate unless the model's own compile() chose them, which it does again). The manifest
 * records the backend that ran, not the one asked for: a run that fell back was asked for a better
 * one ("auto" or tfjs-node), so it is asked for "auto" again rather than pinned to the fallback.
 */
export function rerunSettings(manifest: RunManifest): RecordingSettings {
  const replayed = replayedSettings(manifest);
  const s = manifest.settings;
  const backend = (!manifest.backend.fallbackReasons.length && backendOfTfjsName(manifest.backend.name)) || 'auto';
  return {
    ...replayed,
    dataset: manifest.dataset.spec,
    probeSize: s.probeSize,
    bins: s.bins,
    k: s.k,
    seed: s.seed,
    backend,
  };
}

/**
 * The webview theme of a `vscode.ColorThemeKind` (1 Light, 2 Dark, 3 HighContrast,
 * 4 HighContrastLight): both high-contrast kinds use the high-contrast palette.
 */
export function themeOfKind(kind: number): WebviewTheme {
  switch (kind) {
    case 1:
      return 'light';
    case 3:
    case 4:
      return 'high-contrast';
    default:
      return 'dark';
  }
}

/** The save dialog's filter of an export format. */
export function saveFilters(format: ExportFormat, l10n: L10n): Record<string, string[]> {
  switch (format) {
    case 'csv':
      return { [l10n.t('CSV table')]: ['csv'] };
    case 'json':
      return { [l10n.t('JSON data')]: ['json'] };
    case 'svg':
      return { [l10n.t('SVG image')]: ['svg'] };
    case 'png':
      return { [l10n.t('PNG image')]: ['png'] };
  }
}

/** The small store `RunNames` keeps its map in (`vscode.Memento`, e.g. context.workspaceState). */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/**
 * The names users give runs ("Rename…"), per workspace and keyed by run id. They live in the
 * extension's workspace state, not in the run folder: the recorder and the service own that
 * folder, and a name is a matter of this user's view of it.
 */
export class RunNames {
  static readonly KEY = 'cnnSlicer.runNames';
  private readonly listeners = new Set<() => void>();

  constructor(private readonly store: KeyValueStore) {}

  get(runId: string): string | undefined {
    const names = this.store.get<Record<string, unknown>>(RunNames.KEY);
    const name = names && Object.prototype.hasOwnProperty.call(names, runId) ? names[runId] : undefined;
    return typeof name === 'string' && name.trim() ? name : undefined;
  }

  /** Sets a run's name; an empty or missing name goes back to the default label. */
  async set(runId: string, name: string | undefined): Promise<void> {
    const names = { ...(this.store.get<Record<string, string>>(RunNames.KEY) ?? {}) };
    const trimmed = name?.trim();
    if (trimmed) names[runId] = trimmed;
    else delete names[runId];
    await this.store.update(RunNames.KEY, names);
    for (const l of this.listeners) l();
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

/** Checks a new run name: undefined if fine, else what is wrong (the input box shows it). */
export function validateRunName(name: string, l10n: L10n): string | undefined {
  if (name.length > 80) return l10n.t('A run name has at most 80 characters.');
  if (/[\r\n]/.test(name)) return l10n.t('A run name is one line.');
  return undefined;
}
