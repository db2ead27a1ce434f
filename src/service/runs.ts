/**
 * The runs the engine has opened: which paths it may open (the run-path policy), each run's record
 * re-read when its files change, its answer cache, its probe set and its loaded checkpoints.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { npyToFloat64, parseNpy } from '../analysis';
import { AnswerCache, DEFAULT_CACHE_BYTES } from '../run/cache';
import { readRun, RunRecord } from '../run/store';
import type { CheckpointModels } from './models';
import { asQueryError } from './queryErrors';
import { QueryError } from './queries';

/** The probe set of a run: inputs `[n, ...inputShape]` row-major, one label per input. */
export interface Probe {
  inputs: Float32Array;
  labels: Int32Array;
  shape: number[];
}

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
}

/** Run folder names the engine accepts: what the recorder makes, never `..` or a path. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * The run-path policy: `runFolder` may be opened only when it is a direct child of one of `roots`
 * (real paths) holding a manifest, and not a link elsewhere. Returns the run's real folder.
 */
export function allowedRunFolder(roots: readonly string[], runFolder: string): string {
  if (typeof runFolder !== 'string' || runFolder.length === 0 || runFolder.includes('\0'))
    throw new QueryError('unknown-run', 'no run folder given');
  const id = basename(resolve(runFolder));
  if (!RUN_ID.test(id)) throw new QueryError('unknown-run', `"${id}" is not a run id (letters, digits, ".", "_" and "-" only)`);
  const parent = dirname(resolve(runFolder));
  const real = existsSync(parent) ? realpathSync(parent) : parent;
  if (!roots.includes(real))
    throw new QueryError(
      'unknown-run',
      `${resolve(runFolder)} is not inside a runs folder this service may read (${roots.join(', ') || 'none'})`,
    );
  const folder = join(real, id);
  if (!existsSync(join(folder, 'manifest.json'))) throw new QueryError('unknown-run', `there is no run "${id}" in ${real}`);
  // A run folder that is a link elsewhere is refused too.
  if (dirname(realpathSync(folder)) !== real) throw new QueryError('unknown-run', `${folder} points outside its runs folder`);
  return folder;
}

export interface RunRegistryOptions {
  /** Folders whose direct children are the runs that may be opened. */
  roots: string[];
  /** Cap of each run's answer cache (bytes). */
  cacheBytes?: number;
  /** Loads a checkpoint folder into a model (the engine's TensorFlow.js, started on first use). */
  models: (folder: string) => CheckpointModels;
  /** Called when a run folder now holds another recording: its activations are stale. */
  onReplaced?: (old: RunState) => void;
}

export class RunRegistry {
  private readonly roots: string[];
  private readonly runs = new Map<string, RunState>();

  constructor(private readonly options: RunRegistryOptions) {
    this.roots = options.roots.map((r) => (existsSync(r) ? realpathSync(r) : resolve(r)));
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
            models: this.options.models(folder),
          };
    this.runs.set(folder, state);
    return state;
  }

  /** Frees every run's models and forgets the runs. */
  close(): void {
    for (const run of this.runs.values()) run.models.dispose();
    this.runs.clear();
  }
}

/** The run's probe set, read once. */
export function readProbe(run: RunState): Probe {
  if (run.probe) return run.probe;
  const m = run.record.manifest;
  const read = (file: string) => {
    const path = join(run.folder, file);
    if (!existsSync(path)) throw new QueryError('run-format', `${path} is missing; the run cannot be sliced — record it again`);
    try {
      return parseNpy(new Uint8Array(readFileSync(path)));
    } catch (e) {
      throw new QueryError('run-format', `${path} is damaged (${(e as Error).message}); record the run again`);
    }
  };
  const inputs = read(m.probe.inputsFile);
  const labels = read(m.probe.labelsFile);
  const data = inputs.data instanceof Float32Array ? inputs.data : Float32Array.from(npyToFloat64(inputs));
  run.probe = { inputs: data, labels: Int32Array.from(npyToFloat64(labels)), shape: inputs.shape };
  if (run.probe.labels.length !== inputs.shape[0])
    throw new QueryError(
      'run-format',
      `the probe set has ${inputs.shape[0]} inputs but ${run.probe.labels.length} labels; record the run again`,
    );
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
