// Where a run's model file is now. A manifest holds the model's absolute path as recorded and the
// same file relative to the run folder; a workspace copied or moved as a whole keeps the relative
// path, so the run is matched to the model file beside it instead of to a path that is gone.
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { RunManifest } from '../contract/runFormat';
import type { RunRecord } from './store';

/** The model file the manifest's relative path names from the run folder, if it has one. */
export function relocatedModelFile(manifest: RunManifest, runFolder: string): string | undefined {
  const relativeFile = manifest.model.relativeFile;
  return relativeFile === undefined ? undefined : resolve(runFolder, relativeFile);
}

/**
 * The run as it reads where it is now: when its relative model path names another file than the
 * absolute one and that file exists, the model file, its source files and the layers' absolute
 * source files move with it (each kept at its place relative to the model file's folder).
 * Otherwise the record is returned unchanged: the absolute path is the fallback.
 */
export function relocateRun(record: RunRecord, exists: (path: string) => boolean): RunRecord {
  const relocated = relocateTrainingScript(record, exists);
  const model = relocated.manifest.model;
  const moved = relocatedModelFile(relocated.manifest, relocated.folder);
  if (moved === undefined || moved === resolve(model.file) || !exists(moved)) return relocated;
  const oldBase = dirname(resolve(model.file));
  const newBase = dirname(moved);
  const rebase = (path: string) => (isAbsolute(path) ? resolve(newBase, relative(oldBase, path)) : path);
  const manifest: RunManifest = {
    ...relocated.manifest,
    model: { ...model, file: moved, sourceFiles: model.sourceFiles.map(rebase) },
    layers: relocated.manifest.layers.map((l) => (l.source ? { ...l, source: { ...l.source, file: rebase(l.source.file) } } : l)),
  };
  return { ...relocated, manifest };
}

/** The run with its training script where its relative path names it now, when that file exists and is another (as the model's, above). */
function relocateTrainingScript(record: RunRecord, exists: (path: string) => boolean): RunRecord {
  const script = record.manifest.trainingScript;
  if (script?.relativeFile === undefined) return record;
  const moved = resolve(record.folder, script.relativeFile);
  if (moved === resolve(script.file) || !exists(moved)) return record;
  return { ...record, manifest: { ...record.manifest, trainingScript: { ...script, file: moved } } };
}

/** Whether the run recorded `modelFile`: its model file or one of the model's source files. */
export function isRunOfModel(record: RunRecord, modelFile: string): boolean {
  const target = resolve(modelFile);
  const model = record.manifest.model;
  return resolve(model.file) === target || model.sourceFiles.some((f) => resolve(f) === target);
}

/** Where a run's exported charts are offered first: `exports/` in the run folder, beside what they show. */
export function exportsFolderOf(runFolder: string): string {
  return join(runFolder, 'exports');
}
