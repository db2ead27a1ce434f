/**
 * Recording settings: what a caller may ask for, where each unset setting comes from (the caller,
 * then the model file's `training` export, then the editor's defaults, then ours), and the checks
 * that turn a bad value into a message naming it before any training starts.
 */
import { checkPairwiseSize, DEFAULT_BINS, DEFAULT_K, MAX_BINS } from '../analysis';
import type { RunSettings } from '../contract/runFormat';
import type { RecordOptions } from './protocol';

export type { RecordOptions } from './protocol';

/** The settings a model file may export (`export const training = {...}`) that a recording uses. */
export type TrainingExport = Partial<Pick<RunSettings, 'epochs' | 'batchSize' | 'optimizer' | 'learningRate' | 'recordEvery'>>;

/** Our defaults, used when neither the caller, the model file nor the editor sets a value. */
export const DEFAULT_RECORD_SETTINGS = {
  epochs: 5,
  batchSize: 64,
  optimizer: 'adam',
  learningRate: 0.001,
  seed: 1,
  recordEvery: 1,
  probeSize: 500,
} as const;

const OPTIMIZERS: readonly string[] = ['sgd', 'adam', 'rmsprop'];

/** The seed of a recording: it is needed before the model loads (it seeds the initialisers). */
export function recordSeed(options: Pick<RecordOptions, 'seed'>): number {
  return options.seed ?? DEFAULT_RECORD_SETTINGS.seed;
}

/** The dataset spec to record on: the caller's, else the model file's `dataset` export, else MNIST. */
export function recordDatasetSpec(options: Pick<RecordOptions, 'dataset'>, modelDataset: unknown): string {
  return options.dataset ?? (typeof modelDataset === 'string' ? modelDataset : 'mnist');
}

/**
 * The settings of a run, each from the first source that sets it, checked.
 * @throws RangeError naming the first setting that is out of range.
 */
export function resolveSettings(options: RecordOptions, fromFile: TrainingExport = {}): RunSettings {
  const settings: RunSettings = {
    epochs: options.epochs ?? fromFile.epochs ?? options.defaults?.epochs ?? DEFAULT_RECORD_SETTINGS.epochs,
    batchSize: options.batchSize ?? fromFile.batchSize ?? options.defaults?.batchSize ?? DEFAULT_RECORD_SETTINGS.batchSize,
    optimizer: options.optimizer ?? fromFile.optimizer ?? DEFAULT_RECORD_SETTINGS.optimizer,
    learningRate: options.learningRate ?? fromFile.learningRate ?? DEFAULT_RECORD_SETTINGS.learningRate,
    seed: recordSeed(options),
    recordEvery: options.recordEvery ?? fromFile.recordEvery ?? DEFAULT_RECORD_SETTINGS.recordEvery,
    probeSize: options.probeSize ?? DEFAULT_RECORD_SETTINGS.probeSize,
    probePerClass: options.probePerClass,
    bins: options.bins ?? DEFAULT_BINS,
    k: options.k ?? DEFAULT_K,
  };
  validateSettings(settings);
  return settings;
}

/**
 * The largest value of each setting that has one. Each is checked before anything is loaded or
 * written, so a value beyond it fails at once instead of after a run folder was made:
 * - epochs: 10,000, as the editor's setting; every epoch is a checkpoint and a metrics line.
 * - bins: the estimators' own limit (MAX_BINS, 4,096).
 * - k: 1,000,000; the estimator uses min(k, probe size − 1) anyway, so a larger k changes nothing.
 * - probe size and probe per class: 100,000 inputs, whose activations are held in memory per layer.
 * - batch size and record every: 1,000,000.
 */
export const SETTING_LIMITS = {
  epochs: 10_000,
  bins: MAX_BINS,
  k: 1_000_000,
  probeSize: 100_000,
  batchSize: 1_000_000,
  recordEvery: 1_000_000,
} as const;

/** @throws RangeError naming the first setting that is out of range and the range it must be in. */
export function validateSettings(s: RunSettings): void {
  integerIn('epochs', s.epochs, 0, SETTING_LIMITS.epochs);
  integerIn('batch size', s.batchSize, 1, SETTING_LIMITS.batchSize);
  integerIn('record every', s.recordEvery, 1, SETTING_LIMITS.recordEvery);
  integerIn('probe size', s.probeSize, 3, SETTING_LIMITS.probeSize);
  if (s.probePerClass !== undefined) integerIn('probe per class', s.probePerClass, 1, SETTING_LIMITS.probeSize);
  integerIn('bins', s.bins, 2, SETTING_LIMITS.bins);
  integerIn('k', s.k, 2, SETTING_LIMITS.k);
  if (!(s.learningRate > 0) || !Number.isFinite(s.learningRate))
    throw new RangeError(`learning rate must be a positive number, got ${s.learningRate}`);
  if (!OPTIMIZERS.includes(s.optimizer)) throw new RangeError(`optimizer must be sgd, adam or rmsprop, got ${s.optimizer}`);
}

function integerIn(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
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
