/**
 * Writing one run folder, from its claim to its final status, in an order that leaves a readable
 * run at every moment: the probe files before the manifest that names them, and for each epoch
 * the checkpoint folder, then its metrics line, then the manifest that lists it. The manifest only
 * ever lists epochs whose checkpoint and metrics are both on disk, so when a write fails (a full
 * disk, an I/O error) or the process dies, every epoch the manifest lists stays readable.
 *
 * Every failure leaves as a RunWriteError whose message says what could not be written, which
 * epochs are safe, and what to do; a full disk's message starts with "disk full".
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { hasErrorCode } from '../analysis/errors';
import { appendLineDurable, RunWriteError, writeFileAtomic, writeFolderAtomic } from './files';
import { EpochMetrics, RUN_FORMAT_VERSION, RunManifest } from '../contract/runFormat';
import { CHECKPOINTS_FOLDER, checkpointFolder, claimRunFolder } from './paths';
import { currentProcessIdentity } from './process';
import { writePerClass } from './perClass';

/** The file operations a RunWriter uses (tests replace them to fail on demand). */
export interface RunFileOperations {
  writeFileAtomic(path: string, data: string | Uint8Array): void;
  appendLineDurable(path: string, line: string): void;
  writeFolderAtomic(path: string, files: Record<string, Uint8Array | string>): void;
}

/** The crash-safe operations of src/run/files.ts. */
export const RUN_FILE_OPERATIONS: RunFileOperations = { writeFileAtomic, appendLineDurable, writeFolderAtomic };

/** A checkpoint as bytes: the tfjs layers-format model.json and the weights it names (weights.bin). */
export interface CheckpointFiles {
  modelJson: string;
  weights: Uint8Array;
}

/** The probe set as bytes: inputs and labels as .npy files, and the dataset rows they came from. */
export interface ProbeFiles {
  inputsNpy: Uint8Array;
  labelsNpy: Uint8Array;
  indices: readonly number[];
}

/** Where the probe files go, relative to the run folder (the manifest names them). */
export const PROBE_FILES = { inputs: 'probe/inputs.npy', labels: 'probe/labels.npy', indices: 'probe/indices.json' } as const;

/** What the recorder says about a run; the writer adds the fields that follow the recording's course. */
export type RunDescription = Omit<
  RunManifest,
  'formatVersion' | 'id' | 'status' | 'createdAt' | 'updatedAt' | 'epochs' | 'error' | 'pid' | 'pidStartTime'
>;

/** How a recording ended. */
export type RunOutcome = { status: 'completed' | 'cancelled' } | { status: 'failed'; error: NonNullable<RunManifest['error']> };

const NO_ROOM_CODES = ['ENOSPC', 'EDQUOT', 'EFBIG'];

/** Whether `e` says the disk (or a quota, or the file-size limit) has no room for what was written. */
export function isDiskFull(e: unknown): boolean {
  if (RunWriteError.is(e)) return e.reason === 'disk-full';
  return NO_ROOM_CODES.some((code) => hasErrorCode(e, code));
}

export class RunWriter {
  private current: RunManifest | undefined;

  private constructor(
    readonly id: string,
    readonly folder: string,
    private readonly files: RunFileOperations,
  ) {}

  /**
   * Claims a new run folder in `runsFolder` (`baseId`, or `baseId-2`, … when taken).
   * @throws RunWriteError when the folder cannot be created.
   */
  static claim(runsFolder: string, baseId: string, files: RunFileOperations = RUN_FILE_OPERATIONS): RunWriter {
    let claimed: { id: string; folder: string };
    try {
      claimed = claimRunFolder(runsFolder, baseId);
      mkdirSync(join(claimed.folder, CHECKPOINTS_FOLDER));
    } catch (e) {
      throw describeFailure(e, {
        failed: `the run folder could not be created in ${runsFolder}`,
        folder: runsFolder,
        next: 'free space on that disk (or choose another runs folder) and record again',
      });
    }
    return new RunWriter(claimed.id, claimed.folder, files);
  }

  /** The manifest as last written to disk. */
  get manifest(): RunManifest {
    if (!this.current) throw new Error('RunWriter: begin() has not written a manifest yet');
    return this.current;
  }

  /** Writes the probe set; returns the paths the manifest names it by. */
  writeProbe(probe: ProbeFiles): { inputsFile: string; labelsFile: string } {
    this.attempt('the probe inputs', () => this.files.writeFileAtomic(join(this.folder, PROBE_FILES.inputs), probe.inputsNpy));
    this.attempt('the probe labels', () => this.files.writeFileAtomic(join(this.folder, PROBE_FILES.labels), probe.labelsNpy));
    this.attempt('the probe indices', () =>
      this.files.writeFileAtomic(join(this.folder, PROBE_FILES.indices), JSON.stringify(probe.indices)),
    );
    return { inputsFile: PROBE_FILES.inputs, labelsFile: PROBE_FILES.labels };
  }

  /** Writes the first manifest: status recording, no epoch yet, and this process as the recorder. */
  begin(description: RunDescription): void {
    const now = new Date().toISOString();
    const identity = currentProcessIdentity();
    this.writeManifest('the manifest', {
      formatVersion: RUN_FORMAT_VERSION,
      id: this.id,
      status: 'recording',
      createdAt: now,
      updatedAt: now,
      ...description,
      model: withRelativeFile(description.model, this.folder),
      epochs: [],
      // The pid and its start time tell a reader whether the recorder still runs (a reused pid has another start time).
      pid: identity.pid,
      ...(identity.startTime !== undefined ? { pidStartTime: identity.startTime } : {}),
    });
  }

  /**
   * Adds a recorded epoch: its checkpoint folder, then its per-class entropies' file and its metrics
   * line, then the manifest listing it. When one of them fails the manifest on disk still lists only the epochs before.
   * @throws RunWriteError naming the file that could not be written.
   */
  appendEpoch(epoch: number, checkpoint: CheckpointFiles, metrics: EpochMetrics): void {
    const manifest = this.manifest;
    this.attempt(`the checkpoint of epoch ${epoch}`, () =>
      this.files.writeFolderAtomic(checkpointFolder(this.folder, epoch), {
        'model.json': checkpoint.modelJson,
        'weights.bin': checkpoint.weights,
      }),
    );
    // The per-class entropies go to their own file, before the line that names it (perClass.ts).
    const line = writePerClass(this.folder, metrics, (path, bytes) =>
      this.attempt(`the per-class entropies of epoch ${epoch}`, () => this.files.writeFileAtomic(path, bytes)),
    );
    this.attempt(`the metrics of epoch ${epoch}`, () =>
      this.files.appendLineDurable(join(this.folder, 'metrics.jsonl'), JSON.stringify(line)),
    );
    this.writeManifest(`the manifest listing epoch ${epoch}`, { ...manifest, epochs: [...manifest.epochs, epoch] });
  }

  /**
   * Writes the final status; the recorder is no longer running. If this write fails the previous
   * manifest stays on disk, whole.
   * @throws RunWriteError when the manifest could not be written.
   */
  finish(outcome: RunOutcome): void {
    const next: RunManifest = { ...this.manifest, ...outcome };
    delete next.pid;
    delete next.pidStartTime;
    if (outcome.status !== 'failed') delete next.error;
    this.writeManifest(`the ${outcome.status} status`, next);
  }

  /**
   * The RunWriteError that reports `e`, a failure while writing `what` to this run: a full disk's
   * message starts with "disk full"; either message says which epochs stay readable.
   */
  writeFailure(what: string, e: unknown): RunWriteError {
    return describeFailure(e, {
      failed: `${what} of run ${this.id} could not be written`,
      kept: keptEpochs(this.current?.epochs ?? []),
      folder: this.folder,
      next: `free space on the disk that holds ${this.folder} and record again`,
    });
  }

  private writeManifest(what: string, manifest: RunManifest): void {
    const next = { ...manifest, updatedAt: new Date().toISOString() };
    this.attempt(what, () => this.files.writeFileAtomic(join(this.folder, 'manifest.json'), JSON.stringify(next, null, 2) + '\n'));
    this.current = next;
  }

  private attempt(what: string, write: () => void): void {
    try {
      write();
    } catch (e) {
      throw this.writeFailure(what, e);
    }
  }
}

/**
 * A disk-full error says so first, then what failed, what is safe and what to do; any other failure
 * carries its cause's message. The cause itself stays on the error as `cause`.
 */
function describeFailure(e: unknown, what: { failed: string; kept?: string; folder: string; next: string }): RunWriteError {
  const kept = what.kept ? `; ${what.kept}` : '';
  const error = isDiskFull(e)
    ? new RunWriteError(`disk full: ${what.failed}${kept}. To continue, ${what.next}.`, 'disk-full')
    : new RunWriteError(
        `${what.failed} (${(e as Error)?.message ?? String(e)})${kept}. Check that ${what.folder} is writable and has room, then record again.`,
        'io',
      );
  Object.defineProperty(error, 'cause', { value: e, enumerable: false, configurable: true, writable: true });
  return error;
}

/** Which recorded epochs a failed write leaves readable, as a clause. */
function keptEpochs(epochs: readonly number[]): string {
  if (epochs.length === 0) return 'no epoch had been recorded yet';
  if (epochs.length === 1) return `epoch ${epochs[0]} is recorded and stays readable`;
  if (epochs.length <= 4) return `epochs ${epochs.slice(0, -1).join(', ')} and ${epochs[epochs.length - 1]} are recorded and stay readable`;
  return `the ${epochs.length} recorded epochs (${epochs[0]} to ${epochs[epochs.length - 1]}) stay readable`;
}

/**
 * The model with its file also relative to the run folder (`/`-separated): a workspace copied or
 * moved as a whole keeps the path from its run folders to its model files.
 */
function withRelativeFile(model: RunManifest['model'], runFolder: string): RunManifest['model'] {
  if (!isAbsolute(model.file)) return model;
  return { ...model, relativeFile: relative(runFolder, model.file).split(sep).join('/') };
}
