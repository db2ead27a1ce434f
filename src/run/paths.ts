/**
 * Names and places in a runs folder: where runs live by default, run ids, the atomic claim of a new
 * run folder, the checkpoint folder of an epoch, and the policy of which paths may be opened as runs
 * and which files a run may name.
 */
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { CodedError, hasErrorCode } from '../analysis/errors';
import { RunFormatError } from '../contract/runFormat';

/** Default folder for runs: `.cnnslicer/runs` in the folder of the model file. */
export function defaultRunsFolder(modelFile: string): string {
  return join(dirname(resolve(modelFile)), '.cnnslicer', 'runs');
}

/** Text fit for a run id: letters, digits, `_` and `-`, at most 40 characters. */
function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
}

/**
 * A run id that sorts by time and names the model: `20261122-104501-mnist-lenet`. A converted
 * `model.json` is named by its folder (`…/lenet-keras/model.json` → `…-lenet-keras`), else by the
 * model's own name, as every converter calls the file `model.json`.
 */
export function makeRunId(modelFile: string, date = new Date(), modelName?: string): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const stem = basename(modelFile).replace(/\.[^.]+$/, '');
  const generic = basename(modelFile).toLowerCase() === 'model.json';
  const name = (generic ? idPart(basename(dirname(resolve(modelFile)))) || idPart(modelName ?? '') : '') || idPart(stem) || 'model';
  return `${stamp}-${name}`;
}

/**
 * The model's name as runs show it: the file's name, or for a `model.json` (which every converter
 * calls so) the name of its folder, as the run id uses; runs recorded before this was written
 * keep `model.json` in their manifest and are shown by their folder too.
 */
export function modelDisplayName(modelFile: string, recordedName = basename(modelFile)): string {
  if (recordedName.toLowerCase() !== 'model.json' || basename(modelFile).toLowerCase() !== 'model.json') return recordedName;
  return basename(dirname(resolve(modelFile))) || recordedName;
}

/**
 * Creates the run folder atomically, so two recordings of one model started in the same second
 * (ids have one-second resolution) get two folders (`…-2`, `…-3`) instead of sharing one.
 */
export function claimRunFolder(runsFolder: string, base: string): { id: string; folder: string } {
  if (mkdirSync(runsFolder, { recursive: true }) !== undefined) ignoreInGit(runsFolder);
  for (let n = 1; ; n++) {
    const id = n === 1 ? base : `${base}-${n}`;
    const folder = join(runsFolder, id);
    try {
      mkdirSync(folder);
      return { id, folder };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw e;
    }
  }
}

/** The `.gitignore` a runs folder gets when a recording creates it. */
export const RUNS_FOLDER_GITIGNORE = [
  '# Written by CNN Slicer when it created this runs folder: recorded runs (checkpoints, activations,',
  "# hundreds of MB) stay out of Git, and so out of VS Code's Quick Open and search in a Git workspace.",
  '# Delete this file to keep runs in Git: it is written only when the folder is created.',
  '*',
  '',
].join('\n');

/** Writes `RUNS_FOLDER_GITIGNORE` into a runs folder just created; a failure to write it fails nothing. */
function ignoreInGit(runsFolder: string): void {
  try {
    writeFileSync(join(runsFolder, '.gitignore'), RUNS_FOLDER_GITIGNORE, { flag: 'wx' });
  } catch {
    // Best effort: the runs are recorded all the same.
  }
}

/**
 * The measuring lock of a run folder: the one `cnn-slicer measure` process measuring its epochs
 * (src/run/measureLock.ts; its schema is src/contract/measureLockFormat.ts).
 */
export const MEASURE_LOCK_FILE = 'measuring.lock';

/** The checkpoint folder name of an epoch: `epoch-0007`. */
export function epochFolder(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}

/** The folder of a run that holds its checkpoints, one folder per recorded epoch. */
export const CHECKPOINTS_FOLDER = 'checkpoints';

/** The checkpoint folder of `epoch` in a run: `<run>/checkpoints/epoch-0007` (model.json + weights.bin). */
export function checkpointFolder(runFolder: string, epoch: number): string {
  return join(runFolder, CHECKPOINTS_FOLDER, epochFolder(epoch));
}

/** Whether `file` is a checkpoint's model.json inside one of `runsFolders` (`<runs>/<run id>/checkpoints/epoch-NNNN/model.json`). */
export function isCheckpointFile(runsFolders: readonly string[], file: string): boolean {
  const target = resolve(file);
  return runsFolders.some((folder) => {
    const parts = relative(resolve(folder), target).split(sep);
    return (
      parts.length === 4 &&
      RUN_ID.test(parts[0]) &&
      parts[1] === CHECKPOINTS_FOLDER &&
      /^epoch-\d{4,}$/.test(parts[2]) &&
      parts[3] === 'model.json'
    );
  });
}

/** A path that is not a run this process may open (code `unknown-run`, like the service's error). */
export class RunPathError extends CodedError {
  constructor(message: string) {
    super('unknown-run', message, 'RunPathError');
  }
  static is(e: unknown): e is RunPathError {
    return hasErrorCode(e, 'unknown-run');
  }
}

/** Run folder names that may be opened: what the recorder makes, never `..` or a path. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** The real paths of runs folders (a folder that does not exist yet keeps its absolute path). */
export function realRunsFolders(roots: readonly string[]): string[] {
  return roots.map((r) => (existsSync(r) ? realpathSync(r) : resolve(r)));
}

/**
 * The run-path policy: `path` may be opened as a run only when, after resolving links, it is a
 * direct child of one of the runs folders `roots`, is named like a run, and holds a manifest.json.
 * Returns the run folder in its runs folder's real path.
 * @throws RunPathError saying which rule the path breaks.
 */
export function resolveRunFolder(roots: readonly string[], path: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) throw new RunPathError('no run folder given');
  const allowed = realRunsFolders(roots);
  const id = basename(resolve(path));
  if (!RUN_ID.test(id)) throw new RunPathError(`"${id}" is not a run id (letters, digits, ".", "_" and "-" only)`);
  const parent = dirname(resolve(path));
  const realParent = existsSync(parent) ? realpathSync(parent) : parent;
  if (!allowed.includes(realParent)) {
    throw new RunPathError(`${resolve(path)} is not inside a runs folder that may be read (${allowed.join(', ') || 'none'})`);
  }
  const folder = join(realParent, id);
  if (!existsSync(join(folder, 'manifest.json'))) throw new RunPathError(`there is no run "${id}" in ${realParent}`);
  // A run folder that is a link elsewhere is refused too.
  if (dirname(realpathSync(folder)) !== realParent) throw new RunPathError(`${folder} points outside its runs folder`);
  return folder;
}

/**
 * The path of a file a run names (`probe.inputsFile`, …): relative, and inside the run folder.
 * (Links inside the folder are refused when the file is read; see read.ts.)
 * @throws RunFormatError for an absolute path or one that climbs out of the folder.
 */
export function runFilePath(runFolder: string, relativePath: unknown, field: string): string {
  if (typeof relativePath !== 'string' || relativePath.length === 0 || relativePath.includes('\0')) {
    throw new RunFormatError(
      `${join(runFolder, 'manifest.json')}: ${field} is not a file name; the run folder is damaged — record the run again`,
    );
  }
  const normal = normalize(relativePath);
  if (isAbsolute(relativePath) || normal === '..' || normal.startsWith('..' + sep) || normal.startsWith('../')) {
    throw new RunFormatError(
      `${join(runFolder, 'manifest.json')}: ${field} names a file outside the run folder; it is not read — record the run again`,
    );
  }
  return join(runFolder, normal);
}
