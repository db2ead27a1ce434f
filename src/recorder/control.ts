/**
 * A control experiment for shortcuts (docs/control.md): the recording options of a control run —
 * the source run's settings, read from its manifest, under whatever the caller set explicitly — and
 * the transform of the recording's training and probe sets (src/data/control.ts). The split happens
 * before the transform, with the source run's seed and probe size, so the probe is the same inputs
 * as the source run's; only their pixels (or the training labels) differ.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { keptContent } from '../analysis/borderContent';
import {
  applyControlToInputs,
  checkControlFits,
  ControlSpec,
  imageShape,
  keptPixels,
  majorityClassRate,
  parseControlSpec,
  shuffledLabels,
} from '../data/control';
import { replayedSettings } from '../contract/recordSettings';
import { DatasetError } from '../data/dataset';
import type { RunControl, RunControlKept } from '../contract/controlFormat';
import type { RunManifest } from '../contract/runFormat';
import { readRun } from '../run/store';
import type { RecordOptions } from '../contract/protocols/recorder';

/** The run a control experiment controls. */
export interface ControlSource {
  control: ControlSpec;
  /** The source run folder, absolute. */
  folder: string;
  manifest: RunManifest;
  /** What the control kept of the probe's content, measured before the transform ({@link applyControl}). */
  kept?: RunControlKept;
}

/**
 * Reads the source run of a control experiment without changing it (no repair is written).
 * @throws RunFormatError when the folder is not a readable run.
 */
export function readControlSource(folder: string): RunManifest {
  return readRun(resolve(folder), { repair: false }).manifest;
}

/**
 * The model file a source run was recorded from: the file relative to the run folder when it is
 * there (a moved workspace), else the absolute path the manifest recorded.
 */
export function sourceModelFile(manifest: RunManifest, folder: string): string {
  const relativeFile = manifest.model.relativeFile;
  const moved = relativeFile === undefined ? undefined : resolve(folder, relativeFile);
  return moved !== undefined && existsSync(moved) ? moved : manifest.model.file;
}

/**
 * The options of a control run: every setting the caller left unset comes from the source run, as
 * recording it again replays them (src/contract/recordSettings.ts `replayedSettings`: dataset spec,
 * every run setting, the training inputs per epoch), and the run goes beside the source run unless a
 * runs folder is named.
 */
export function controlOptions(options: RecordOptions, manifest: RunManifest, folder: string): RecordOptions {
  const fromSource: Partial<RecordOptions> = {
    ...replayedSettings(manifest),
    runsFolder: dirname(resolve(folder)),
  };
  const merged: Record<string, unknown> = { ...options };
  for (const [key, value] of Object.entries(fromSource)) if (merged[key] === undefined && value !== undefined) merged[key] = value;
  return merged as unknown as RecordOptions;
}

/**
 * The options and source of a recording: unchanged without `control`; with it, the spec checked,
 * the source run read and its settings filled in ({@link controlOptions}).
 * @throws RangeError for a bad spec (one line naming the accepted forms); RunFormatError for a source that is not a run.
 */
export function resolveControl(options: RecordOptions): { options: RecordOptions; source?: ControlSource } {
  if (!options.control) return { options };
  const control = parseControlSpec(options.control.spec);
  const folder = resolve(options.control.sourceRun);
  const manifest = readControlSource(folder);
  return { options: controlOptions(options, manifest, folder), source: { control, folder, manifest } };
}

/**
 * Checks that the loaded dataset is the source run's (by fingerprint) unless the caller named
 * another, and that the control fits its inputs (`shape`: one input's shape as loaded).
 * @throws DatasetError when the dataset changed since the source run; RangeError when the control does not fit.
 */
export function checkControlDataset(
  source: ControlSource,
  fingerprint: string | undefined,
  shape: readonly number[],
  datasetNamed: boolean,
): void {
  const recorded = source.manifest.dataset.fingerprint;
  if (!datasetNamed && recorded && fingerprint !== undefined && fingerprint !== recorded)
    throw new DatasetError(
      `the dataset ${source.manifest.dataset.spec} is not the one run ${source.manifest.id} was recorded on (its fingerprint changed): ` +
        'a control needs the same probe inputs; record the source run again first',
    );
  checkControlFits(source.control, shape);
}

/** The sets a control transforms, as the recorder holds them (changed in place). */
export interface ControlledSets {
  probe: { inputs: Float32Array; labels: Int32Array };
  train: { inputs: Float32Array; labels: Int32Array };
}

/**
 * Applies the control to the recording's sets in place: a pixel control to the training and probe
 * inputs (`shape`: one input's shape as loaded, `[H, W, C]` or `[H, W]`); `shuffle-labels` to the
 * training labels only, so the probe keeps its true labels. Returns what a pixel control kept of
 * the probe's content, measured on the probe before the transform (src/analysis/borderContent.ts
 * `keptContent`; `shuffle-pixels` keeps every pixel); undefined for `shuffle-labels`.
 */
export function applyControl(
  control: ControlSpec,
  sets: ControlledSets,
  shape: readonly number[],
  seed: number,
): RunControlKept | undefined {
  if (control.kind === 'shuffle-labels') {
    sets.train.labels = shuffledLabels(sets.train.labels, seed);
    return undefined;
  }
  checkControlFits(control, shape);
  const { height, width, channels } = imageShape(shape)!;
  const kept =
    control.kind === 'shuffle-pixels'
      ? new Uint8Array(height * width).fill(1)
      : keptPixels(control.kind, control.parameter!, height, width);
  const content = keptContent(sets.probe.inputs, height, width, channels, kept);
  applyControlToInputs(control, sets.train.inputs, shape, seed);
  applyControlToInputs(control, sets.probe.inputs, shape, seed);
  return { inputShare: content.inputShare, contentShare: content.contentShare ?? null };
}

/** The manifest's `control` field of a control run whose folder is `runFolder`. */
export function controlManifestField(source: ControlSource, runFolder: string, probeLabels: Int32Array, classes: number): RunControl {
  const chance = majorityClassRate(probeLabels, classes);
  if (chance === undefined) throw new DatasetError('a control experiment needs probe inputs, and the probe set is empty');
  return {
    spec: source.control.spec,
    kind: source.control.kind,
    ...(source.control.parameter !== undefined ? { parameter: source.control.parameter } : {}),
    sourceRun: { id: source.manifest.id, folder: relative(runFolder, source.folder).split(sep).join('/') },
    chanceAccuracy: chance,
    ...(source.kept ? { kept: source.kept } : {}),
  };
}
