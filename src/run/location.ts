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
  const model = record.manifest.model;
  const moved = relocatedModelFile(record.manifest, record.folder);
  if (moved === undefined || moved === resolve(model.file) || !exists(moved)) return record;
  const oldBase = dirname(resolve(model.file));
  const newBase = dirname(moved);
  const rebase = (path: string) => (isAbsolute(path) ? resolve(newBase, relative(oldBase, path)) : path);
  const manifest: RunManifest = {
    ...record.manifest,
    model: { ...model, file: moved, sourceFiles: model.sourceFiles.map(rebase) },
    layers: record.manifest.layers.map((l) => (l.source ? { ...l, source: { ...l.source, file: rebase(l.source.file) } } : l)),
  };
  return { ...record, manifest };
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
