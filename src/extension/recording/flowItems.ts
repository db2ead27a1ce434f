// What the Analyze CNN quick input shows on its items, without VS Code so it is
// tested in plain Node (test/unit/extension/recording/flowItems.test.ts): the number an unset epochs or batch size will
// be and where it comes from, which dataset is marked "last used" or "default", what the flow
// remembers for a model, and the settings it starts from.
import type { L10n } from '../l10n';
import { DEFAULT_RECORD_SETTINGS, isOptimizer } from '../../contract/recordSettings';
import type { RecordingSettings, Settings } from '../settings';

/** The number a recording uses when the flow leaves a field empty, and where it comes from. */
export interface EffectiveDefault {
  value: number;
  from: 'model' | 'setting';
}

/** The model's `training` export's number when it sets one, else the setting's. */
export function effectiveDefault(fromModel: number | undefined, setting: number): EffectiveDefault {
  return fromModel === undefined ? { value: setting, from: 'setting' } : { value: fromModel, from: 'model' };
}

/** A field's value as the settings list shows it: the number it will use, and where an unset one comes from. */
export function describeValue(value: string | number | undefined, effective: EffectiveDefault | undefined, l10n: L10n): string {
  if (value !== undefined) return String(value);
  if (!effective) return '';
  return effective.from === 'model'
    ? l10n.t("{0} (the model's training export)", effective.value)
    : l10n.t('{0} (the setting)', effective.value);
}

/**
 * The mark on a dataset item: "last used" only on the dataset this model was last recorded with
 * (`lastDataset`); a model never recorded here has no "last used" item, and its starting dataset
 * (`initialDataset`, the workspace default) is marked "default" instead.
 */
export function datasetMark(
  isItemOf: (dataset: string) => boolean,
  lastDataset: string | undefined,
  initialDataset: string,
  l10n: L10n,
): string | undefined {
  if (lastDataset !== undefined) return isItemOf(lastDataset) ? l10n.t('last used') : undefined;
  return isItemOf(initialDataset) ? l10n.t('default') : undefined;
}

/**
 * The detail of the "model's own dataset" item: which dataset applies. A model.json (JSON has no
 * exports) always trains on the MNIST digits; a model file on its `dataset` export when it has one
 * (`datasetExport`, its value when known), else on MNIST.
 */
export function ownDatasetDetail(modelFile: string, l10n: L10n, datasetExport?: string): string {
  if (/\.json$/i.test(modelFile)) return l10n.t('the MNIST digits (a model.json names no dataset)');
  if (datasetExport) return l10n.t("{0}, the model file's `dataset` export", datasetExport);
  return l10n.t("the model file's `dataset` export if it has one, else the MNIST digits");
}

/**
 * The optimizer or learning-rate row of the settings list: the value chosen, else what the recording
 * will use and where it comes from — the model's own compile() or training_config (`ownTraining`,
 * which wins over its export, as in the recorder), its `training` export, else the default.
 */
export function describeTrainingValue(
  value: string | number | undefined,
  fromExport: string | number | undefined,
  ownTraining: boolean,
  fallback: string | number,
  l10n: L10n,
): string {
  if (value !== undefined) return String(value);
  if (ownTraining) return l10n.t("the model's own (see Training)");
  if (fromExport !== undefined) return l10n.t("{0} (the model's training export)", fromExport);
  return l10n.t('{0} (the default)', fallback);
}

/** A learning rate typed in the quick input: a positive finite number, or empty for the model's own; else undefined. */
export function parseLearningRate(text: string): { value: number | undefined } | undefined {
  const t = text.trim();
  if (t === '') return { value: undefined };
  if (!/^(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(t)) return undefined;
  const value = Number(t);
  return value > 0 && Number.isFinite(value) ? { value } : undefined;
}

/**
 * What the Analyze CNN flow remembers for a model, to start from next time: the dataset, epochs,
 * batch size, probe size, bins, k and backend. Not the optimizer and learning rate: an override of
 * the model file's own training for one recording would otherwise outlive every later edit of its
 * `training` export. Nor a recorded run's seed, probe per class or record every.
 */
export function rememberedAnswers(s: Partial<RecordingSettings> | undefined): Partial<RecordingSettings> {
  if (!s) return {};
  const { optimizer, learningRate, seed, probePerClass, recordEvery, ...kept } = s;
  void [optimizer, learningRate, seed, probePerClass, recordEvery];
  return kept;
}

/**
 * The settings the flow starts from: those given (a recorded run's, for Record Again) or remembered
 * for the model, else the workspace settings `c` (the model file's), else the descriptors' defaults.
 */
export function initialSettings(c: Settings, saved: Partial<RecordingSettings>): RecordingSettings {
  return {
    dataset: saved.dataset ?? c.defaultDataset,
    epochs: saved.epochs,
    batchSize: saved.batchSize,
    ...(isOptimizer(saved.optimizer) ? { optimizer: saved.optimizer } : {}),
    ...(parseLearningRate(String(saved.learningRate ?? ''))?.value !== undefined ? { learningRate: saved.learningRate } : {}),
    probeSize: saved.probeSize ?? c.probeSize,
    bins: saved.bins ?? c.bins,
    k: saved.k ?? c.k,
    backend: saved.backend ?? c.backend,
    // The flow does not ask these: a recorded run's own (Record Again), else the default seed.
    seed: saved.seed ?? DEFAULT_RECORD_SETTINGS.seed,
    ...(saved.probePerClass !== undefined ? { probePerClass: saved.probePerClass } : {}),
    ...(saved.recordEvery !== undefined ? { recordEvery: saved.recordEvery } : {}),
    ...(saved.trainLimit !== undefined ? { trainLimit: saved.trainLimit } : {}),
  };
}
