/**
 * The run folder format, version 1: the dCNN hypercube on disk (paper 4.2; docs/run-format.md).
 * A run stores what regenerates every slice exactly (weights checkpoints, the probe inputs) plus
 * cheap per-epoch summaries. These are the schema types and the validation of what a reader
 * finds on disk; writing lives in the recorder.
 */
import { CodedError, hasErrorCode } from '../analysis/errors';

/** Format version written by this code; readers refuse newer majors with a clear message. */
export const RUN_FORMAT_VERSION = 1;

export type RunStatus = 'recording' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

export interface RunLayer {
  index: number;
  name: string;
  className: string;
  outputShape: number[];
  channels: number;
  parameters: number;
  source?: { file: string; line: number; column: number };
}

export interface RunSettings {
  epochs: number;
  batchSize: number;
  optimizer: string;
  learningRate: number;
  seed: number;
  recordEvery: number;
  probeSize: number;
  probePerClass?: number;
  bins: number;
  k: number;
}

export interface RunManifest {
  formatVersion: number;
  id: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  model: { file: string; fingerprint: string; name: string; sourceFiles: string[] };
  layers: RunLayer[];
  dataset: { spec: string; name: string; fingerprint: string; classNames: string[]; inputShape: number[]; trainSize: number };
  probe: { size: number; inputsFile: string; labelsFile: string; classCounts: number[] };
  settings: RunSettings;
  backend: { name: string; fallbackReasons: string[] };
  /** Recorded epochs, ascending; epoch 0 is the model before training. */
  epochs: number[];
  /** Present when status is failed or interrupted. */
  error?: { message: string; location?: { file: string; line: number; column: number } };
  /** Process id of the recorder while status is recording (to tell a live run from a dead one). */
  pid?: number;
}

/** Summaries of one layer at one epoch (null = undefined measure). */
export interface LayerEpochMetrics {
  layer: number;
  /** Inter-sample entropy of the layer output over all probe inputs, bits. */
  interSampleBits: number | null;
  /** Per class. */
  interSampleBitsPerClass: (number | null)[];
  /** Mean intra-sample entropy per channel over all probe inputs, bits. */
  channelBits: (number | null)[];
  /** `[class][channel]`. */
  channelBitsPerClass: (number | null)[][];
  /** Channels whose every activation was 0 for every probe input. */
  deadChannels: number[];
  nonFiniteCount: number;
}

/** One line of metrics.jsonl: everything measured at one recorded epoch. */
export interface EpochMetrics {
  epoch: number;
  /** Mean training loss of the epoch (null at epoch 0). */
  trainLoss: number | null;
  trainAccuracy: number | null;
  probeLoss: number | null;
  probeAccuracy: number;
  confusion: number[][];
  hLabelGivenPred: (number | null)[];
  hPredGivenLabel: (number | null)[];
  layers: LayerEpochMetrics[];
  /**
   * Wall-clock milliseconds: training the epoch, recording it, and (since they overlap, not parts
   * of `record` that add up) the time spent in probe forward passes, channel entropies and
   * inter-sample entropies.
   */
  timingsMs: { train: number; record: number; forward?: number; channels?: number; inter?: number };
}

/** A run folder that cannot be read, with what to do about it. */
export class RunFormatError extends CodedError {
  constructor(message: string) {
    super('run-format', message, 'RunFormatError');
  }
  static is(e: unknown): e is RunFormatError {
    return hasErrorCode(e, 'run-format');
  }
}

const STATUSES: RunStatus[] = ['recording', 'completed', 'cancelled', 'failed', 'interrupted'];

/** Checks the parsed manifest.json of a run; throws RunFormatError naming the first problem. */
export function validateManifest(value: unknown, where = 'manifest.json'): RunManifest {
  const fail = (what: string): never => {
    throw new RunFormatError(`${where}: ${what}`);
  };
  if (!value || typeof value !== 'object') fail('not a JSON object');
  const m = value as Record<string, unknown>;
  if (typeof m.formatVersion !== 'number') fail('no formatVersion');
  if ((m.formatVersion as number) > RUN_FORMAT_VERSION) {
    fail(`written by a newer CNN Slicer (format ${m.formatVersion}, this version reads up to ${RUN_FORMAT_VERSION}); update CNN Slicer to open it`);
  }
  if (typeof m.id !== 'string') fail('no run id');
  if (!STATUSES.includes(m.status as RunStatus)) fail(`unknown status ${JSON.stringify(m.status)}`);
  if (!Array.isArray(m.layers)) fail('no layer table');
  if (!Array.isArray(m.epochs) || !(m.epochs as unknown[]).every((e) => Number.isInteger(e))) fail('no list of recorded epochs');
  for (const key of ['model', 'dataset', 'probe', 'settings', 'backend']) if (!m[key] || typeof m[key] !== 'object') fail(`no ${key} section`);
  return m as unknown as RunManifest;
}

/**
 * Parses metrics.jsonl: one JSON object per line. A last line without its newline, or that does
 * not parse, is the trace of a crash mid-write and is dropped (reported in `droppedTail`); a bad
 * line before the last is corruption and throws.
 */
export function parseMetricsLines(text: string, where = 'metrics.jsonl'): { epochs: EpochMetrics[]; droppedTail: boolean } {
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines.slice(0, -1) : lines.slice(0, -1);
  let droppedTail = !text.endsWith('\n') && lines[lines.length - 1] !== '';
  const epochs: EpochMetrics[] = [];
  complete.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      epochs.push(JSON.parse(line) as EpochMetrics);
    } catch {
      if (i === complete.length - 1) droppedTail = true;
      else throw new RunFormatError(`${where}: line ${i + 1} is not valid JSON; the run folder is damaged`);
    }
  });
  return { epochs, droppedTail };
}
