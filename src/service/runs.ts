/**
 * The runs the engine has opened: which paths it may open (the run-path policy), each run's record
 * re-read when its files change, its answer cache, its probe set and its loaded checkpoints.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AnswerCache, DEFAULT_CACHE_BYTES } from '../run/cache';
import { RunManifest } from '../contract/runFormat';
import { realRunsFolders, resolveRunFolder, RunPathError } from '../run/paths';
import { Probe, readProbe as readProbeFiles } from '../run/probe';
import { readRun, RunRecord } from '../run/store';
import type { CheckpointModels } from './models';
import type * as tfType from '@tensorflow/tfjs';
import type { NativeCheckpoint } from '../native/nativeForward';
import { asQueryError } from './queryErrors';
import { QueryError } from '../contract/queries';

/** The probe set of a run: inputs `[n, ...inputShape]` row-major, one label per input (checked against the manifest). */

export interface RunState {
  folder: string;
  /** Modification times and sizes of manifest.json and metrics.jsonl when they were read. */
  stamp: string;
  record: RunRecord;
  /** What identifies the recorded run; answers cached under another fingerprint are never reused. */
  fingerprint: string;
  cache: AnswerCache;
  probe?: Probe;
  models: CheckpointModels;
  /**
   * The same checkpoints on the native engine (ONNX Runtime, src/native/), which runs their forward
   * passes: a PyTorch run's, where the runtime loads; undefined otherwise (`models` runs them).
   */
  natives?: CheckpointModels<NativeCheckpoint>;
  /**
   * A PyTorch run's channels-last twins (src/tfjs/forward.ts `loadChannelsLastTwin`), which the
   * deconvolution walks: loaded once per epoch and shared by its queries (one per channel), not once
   * per query. Undefined for a TensorFlow.js run (its `models` are walked).
   */
  twins?: CheckpointModels<Twin>;
}

/** A loaded twin (undefined where the checkpoint has none), disposable as a checkpoint model. */
export interface Twin {
  readonly model: tfType.LayersModel | undefined;
  dispose(): void;
}

/**
 * The run-path policy (src/run/paths.ts): `runFolder` may be opened only when it is a direct child
 * of one of `roots` holding a manifest, and not a link elsewhere. Returns the run's folder.
 */
export function allowedRunFolder(roots: readonly string[], runFolder: string): string {
  try {
    return resolveRunFolder(roots, runFolder);
  } catch (e) {
    throw RunPathError.is(e) ? new QueryError('unknown-run', e.message) : e;
  }
}

export interface RunRegistryOptions {
  /** Folders whose direct children are the runs that may be opened. */
  roots: string[];
  /** Cap of each run's answer cache (bytes). */
  cacheBytes?: number;
  /** Loads a checkpoint folder into a model (the engine's TensorFlow.js, started on first use). */
  models: (folder: string, manifest: RunManifest) => CheckpointModels;
  /** The run's checkpoints on the native engine, where it serves the run (see `RunState.natives`). */
  natives?: (folder: string, manifest: RunManifest) => CheckpointModels<NativeCheckpoint> | undefined;
  /** The run's channels-last twins, where it has them (see `RunState.twins`). */
  twins?: (folder: string, manifest: RunManifest) => CheckpointModels<Twin> | undefined;
  /** Called when a run folder now holds another recording: its activations are stale. */
  onReplaced?: (old: RunState) => void;
}

export class RunRegistry {
  private readonly roots: string[];
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly options: RunRegistryOptions) {
    this.roots = realRunsFolders(options.roots);
  }

  /** Validates the run path against the roots and (re)reads its manifest and metrics when they changed. */
  open(runFolder: string): RunState {
    const folder = allowedRunFolder(this.roots, runFolder);
    const stamp = fileStamp(join(folder, 'manifest.json')) + ':' + fileStamp(join(folder, 'metrics.jsonl'));
    const known = this.runs.get(folder);
    if (known && known.stamp === stamp) return known;
    let record: RunRecord;
    try {
      record = readRun(folder, { repair: false });
    } catch (e) {
      throw asQueryError(e);
    }
    const m = record.manifest;
    const fingerprint = [
      m.id,
      m.createdAt,
      m.model.fingerprint,
      m.dataset.fingerprint,
      JSON.stringify(m.probe),
      JSON.stringify(m.settings),
    ].join('|');
    if (known && known.fingerprint !== fingerprint) {
      known.models.dispose();
      known.natives?.dispose();
      known.twins?.dispose();
      this.options.onReplaced?.(known);
    }
    const state: RunState =
      known && known.fingerprint === fingerprint
        ? { ...known, stamp, record }
        : {
            folder,
            stamp,
            record,
            fingerprint,
            cache: new AnswerCache(join(folder, 'cache'), this.options.cacheBytes ?? DEFAULT_CACHE_BYTES),
            models: this.options.models(folder, m),
            natives: this.options.natives?.(folder, m),
            twins: this.options.twins?.(folder, m),
          };
    this.runs.set(folder, state);
    return state;
  }

  /** Frees every run's models and forgets the runs. */
  close(): void {
    for (const run of this.runs.values()) {
      run.models.dispose();
      run.natives?.dispose();
      run.twins?.dispose();
    }
    this.runs.clear();
  }
}

/** The run's probe set, read and checked against the manifest once. */
export function readProbe(run: RunState): Probe {
  if (run.probe) return run.probe;
  try {
    run.probe = readProbeFiles(run.record);
  } catch (e) {
    throw asQueryError(e);
  }
  return run.probe;
}

function fileStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}-${st.size}`;
  } catch {
    return 'none';
  }
}
