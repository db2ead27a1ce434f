/**
 * Names and places in a runs folder: where runs live by default, run ids, the atomic claim of a new
 * run folder, and the checkpoint folder of an epoch.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Default folder for runs: `.cnnslicer/runs` in the folder of the model file. */
export function defaultRunsFolder(modelFile: string): string {
  return join(dirname(resolve(modelFile)), '.cnnslicer', 'runs');
}

/** A run id that sorts by time and names the model: `20261122-104501-mnist-lenet`. */
export function makeRunId(modelFile: string, date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const name = basename(modelFile).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'model';
  return `${stamp}-${name}`;
}

/**
 * Creates the run folder atomically, so two recordings of one model started in the same second
 * (ids have one-second resolution) get two folders (`…-2`, `…-3`) instead of sharing one.
 */
export function claimRunFolder(runsFolder: string, base: string): { id: string; folder: string } {
  mkdirSync(runsFolder, { recursive: true });
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

/** The checkpoint folder name of an epoch: `epoch-0007`. */
export function epochFolder(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, '0')}`;
}
