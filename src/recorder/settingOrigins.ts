/**
 * Where each setting of a recording came from, for the log: the caller (the command line, VS Code's
 * settings or the Analyze CNN answers, the run being recorded again — as the caller names it in
 * `origins`), a control run's source run, the model file's `training` export, the editor's
 * fallbacks (`defaults`), or the recorder's default (settings.ts).
 */
import {
  EDITOR_FALLBACK_NAMES,
  type EditorFallbackName,
  EXPORTED_SETTING_NAMES,
  RECORD_SETTINGS,
  RUN_SETTING_NAMES,
  type RunSettingName,
} from '../contract/recordSettings';
import type { RunSettings } from '../contract/runFormat';
import type { LoadedModel } from './modelLoader';
import type { RecordOptions } from '../contract/protocols/recorder';
import type { TrainingExport } from './settings';
import type { TrainingPlan } from './training';
import { describeTrainingSource } from './trainingSource';

/** The settings whose origin the log names: the dataset and the run's settings. */
export type SettingName = 'dataset' | RunSettingName;

/** The keys of `RecordOptions.origins` besides the setting names: every setting the caller set, and the caller's `defaults`. */
export const ALL_OPTIONS_ORIGIN = 'options';
export const DEFAULTS_ORIGIN = 'defaults';

/** What decides a setting's origin. */
export interface OriginSources {
  /** What the caller asked for, before a control run's source filled in what it left unset. */
  asked: RecordOptions;
  /** The options recorded with: `asked`, and for a control run what its source run gave. */
  options: RecordOptions;
  /** A control run's source run id. */
  controlSource?: string;
  /** The model file's `training` export. */
  fromFile?: TrainingExport;
  /** The model file's `dataset` export, when it is a spec. */
  datasetExport?: string;
}

/** Where `name` came from, in words ("the command line", "the model file's `training` export", "the default"). */
export function settingOrigin(name: SettingName, s: OriginSources): string {
  const origins = s.asked.origins ?? {};
  if (s.asked[name] !== undefined) return origins[name] ?? origins[ALL_OPTIONS_ORIGIN] ?? "the caller's options";
  if (s.options[name] !== undefined) return `the control's source run ${s.controlSource ?? ''}`.trimEnd();
  if (name === 'dataset' && s.datasetExport !== undefined) return "the model file's `dataset` export";
  if ((EXPORTED_SETTING_NAMES as SettingName[]).includes(name) && s.fromFile?.[name as keyof TrainingExport] !== undefined)
    return "the model file's `training` export";
  if ((EDITOR_FALLBACK_NAMES as SettingName[]).includes(name) && s.options.defaults?.[name as EditorFallbackName] !== undefined)
    return origins[`${DEFAULTS_ORIGIN}.${name}`] ?? origins[DEFAULTS_ORIGIN] ?? "the caller's defaults";
  return 'the default';
}

/** The settings of the log line, in the table's order; the optimizer and learning rate have their own line. */
const LOGGED = (['dataset', ...RUN_SETTING_NAMES] as const).filter((n) => n !== 'optimizer' && n !== 'learningRate');

/**
 * The log line of a run's settings, each with where it came from, grouped by origin in the order
 * they first appear: "settings: dataset synthetic, epochs 2 from the model file's …; seed 1 from the
 * default". The optimizer and learning rate have their own line (trainingSource.ts).
 */
export function describeSettings(settings: RunSettings, dataset: string, s: OriginSources): string {
  const groups = new Map<string, string[]>();
  for (const name of LOGGED) {
    if (name === 'probeSize' && settings.probePerClass !== undefined) continue;
    const value = name === 'dataset' ? dataset : settings[name];
    if (value === undefined) continue;
    const origin = settingOrigin(name, s);
    groups.set(origin, [...(groups.get(origin) ?? []), `${RECORD_SETTINGS[name].words} ${value}`]);
  }
  return `settings: ${[...groups].map(([origin, items]) => `${items.join(', ')} from ${origin}`).join('; ')}`;
}

/** What {@link describeRecording} reads. */
export interface RecordingDescription {
  /** What the caller asked for (undefined: `options`), and the options after a control run's source filled in the rest. */
  asked?: RecordOptions;
  options: RecordOptions;
  /** A control run's source run id. */
  control?: string;
  loaded: Pick<LoadedModel, 'training' | 'dataset' | 'modelCompile'>;
  settings: RunSettings;
  datasetSpec: string;
  plan: Pick<TrainingPlan, 'training' | 'optimizer' | 'learningRate'>;
  /** Whether the model file compiled the model itself. */
  compiledByFile: boolean;
}

/** The log lines of a recording's settings and of what trains the model, each value with where it came from. */
export function describeRecording(r: RecordingDescription): string[] {
  const sources: OriginSources = {
    asked: r.asked ?? r.options,
    options: r.options,
    controlSource: r.control,
    fromFile: r.loaded.training,
    datasetExport: typeof r.loaded.dataset === 'string' ? r.loaded.dataset : undefined,
  };
  // Only the learning rate set: the model's own compile() still names the optimizer kind (training.ts planTraining).
  const ownOptimizer = r.compiledByFile && r.options.optimizer === undefined && !r.loaded.training?.optimizer;
  const ownCompile = r.loaded.modelCompile ? "the model file's training_config" : "the model's own compile()";
  return [
    describeSettings(r.settings, r.datasetSpec, sources),
    describeTrainingSource({
      compiledByModel: r.plan.training.compiledBy === 'model',
      modelSource: r.plan.training.source,
      optimizer: r.plan.optimizer,
      learningRate: r.plan.learningRate,
      loss: r.plan.training.loss,
      origins: {
        optimizer: ownOptimizer ? ownCompile : settingOrigin('optimizer', sources),
        learningRate: settingOrigin('learningRate', sources),
      },
    }),
  ];
}
