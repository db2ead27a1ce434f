/**
 * Recording settings: where each unset setting comes from (the caller, then the model file's
 * `training` export, then the editor's fallbacks, then the default), and the checks that turn a bad
 * value into a message naming it before any training starts. What each setting is, its default and
 * its range: src/contract/recordSettings.ts.
 */
import { checkPairwiseSize } from '../analysis';
import {
  DEFAULT_RECORD_SETTINGS,
  EDITOR_FALLBACK_NAMES,
  type EditorFallbackName,
  EXPORTED_SETTING_NAMES,
  type ExportedSettingName,
  RECORD_SETTINGS,
  type RecordSettingName,
  RUN_SETTING_NAMES,
  type RunSettingName,
  settingProblem,
} from '../contract/recordSettings';
import type { SameType } from '../contract/messages';
import type { RunSettings } from '../contract/runFormat';
import type { RecordOptions } from '../contract/protocols/recorder';

export type { RecordOptions } from '../contract/protocols/recorder';

/** The settings a model file may export (`export const training = {...}`) that a recording uses. */
export type TrainingExport = Partial<Pick<RunSettings, ExportedSettingName>>;

// The table's run settings are the manifest's (but `trainThreads`, which records what ran).
const runSettingsMatch: SameType<RunSettingName, Exclude<keyof RunSettings, 'trainThreads'>> = true;
void runSettingsMatch;

/** The seed of a recording: it is needed before the model loads (it seeds the initialisers). */
export function recordSeed(options: Pick<RecordOptions, 'seed'>): number {
  return options.seed ?? DEFAULT_RECORD_SETTINGS.seed;
}

/** The dataset spec to record on: the caller's, else the model file's `dataset` export, else MNIST. */
export function recordDatasetSpec(options: Pick<RecordOptions, 'dataset'>, modelDataset: unknown): string {
  return options.dataset ?? (typeof modelDataset === 'string' ? modelDataset : 'mnist');
}

/** One setting from the first source that sets it: the caller, the model file's export, the editor's fallback, the default. */
function resolved(name: RunSettingName, options: RecordOptions, fromFile: TrainingExport): unknown {
  const fromExport = (EXPORTED_SETTING_NAMES as RecordSettingName[]).includes(name) ? fromFile[name as ExportedSettingName] : undefined;
  const fallback = (EDITOR_FALLBACK_NAMES as RecordSettingName[]).includes(name)
    ? options.defaults?.[name as EditorFallbackName]
    : undefined;
  return options[name] ?? fromExport ?? fallback ?? (DEFAULT_RECORD_SETTINGS as Partial<Record<RecordSettingName, unknown>>)[name];
}

/**
 * The settings of a run, each from the first source that sets it, checked.
 * @throws RangeError naming the first setting that is out of range.
 */
export function resolveSettings(options: RecordOptions, fromFile: TrainingExport = {}): RunSettings {
  const settings = Object.fromEntries(RUN_SETTING_NAMES.map((name) => [name, resolved(name, options, fromFile)])) as unknown as RunSettings;
  validateSettings(settings);
  return settings;
}

/** @throws RangeError naming the first setting that is out of range and the range it must be in (src/contract/recordSettings.ts). */
export function validateSettings(s: RunSettings): void {
  for (const name of RUN_SETTING_NAMES) {
    const setting = RECORD_SETTINGS[name];
    // An unset setting without a default (the probe per class) is not asked for.
    if (s[name] === undefined && !('default' in setting)) continue;
    const problem = settingProblem(setting, s[name]);
    if (problem !== undefined) throw new RangeError(`${setting.words} ${problem}, got ${s[name]}`);
  }
}

/** The epochs whose state is recorded: every `recordEvery`-th from 0, and always the last. */
export function recordedEpochs(settings: Pick<RunSettings, 'epochs' | 'recordEvery'>): number[] {
  return Array.from({ length: settings.epochs + 1 }, (_, e) => e).filter((e) => e % settings.recordEvery === 0 || e === settings.epochs);
}

/**
 * Refuses, before anything is written, a probe set too large for the pairwise measures taken at
 * every epoch: inter-sample entropy, and the label information's codes (the input's, the layer's
 * and the same-label flags held at once).
 */
export function checkProbeMemory(n: number, k: number): void {
  const remedy = (most: string) => `record with a probe of at most ${most} inputs`;
  checkPairwiseSize({ kind: 'inter', n, k }, 'measuring the probe set', remedy);
  checkPairwiseSize({ kind: 'codes', n, streams: 3 }, 'measuring the probe set', remedy);
}
