/**
 * A workspace with many recorded runs, for the run listing's test and
 * `npm run bench`: one complete fixture run copied `count` times, each with its own manifest (id,
 * time, one of four model files). Runs are written in a shuffled order of their times, so a
 * listing must sort them.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunManifest } from '../../src/contract/runFormat';
import { fixtureManifest, writeFixtureRun } from './runFixture';

export interface ManyRuns {
  /** The runs folder (`<root>/.cnnslicer/runs`). */
  runsFolder: string;
  /** The model files, absolute, each recorded by a quarter of the runs. */
  models: string[];
}

/** The manifest of the `index`-th generated run. */
export function manyRunsManifest(root: string, index: number, count: number): RunManifest {
  const id = `run-${String(index).padStart(4, '0')}`;
  const minute = (index * 7919) % Math.max(count, 1);
  const name = `model${index % 4}.ts`;
  const model = join(root, name);
  return {
    ...fixtureManifest(id, [0, 1]),
    createdAt: new Date(Date.UTC(2026, 10, 1) + minute * 60_000).toISOString(),
    model: { file: model, relativeFile: `../../../${name}`, fingerprint: 'f', name, sourceFiles: [model] },
  };
}

/** Writes `count` runs of four model files under `root`. */
export function writeManyRuns(root: string, count: number): ManyRuns {
  const models = [0, 1, 2, 3].map((i) => join(root, `model${i}.ts`));
  for (const m of models) writeFileSync(m, '// a model\n');
  const runsFolder = join(root, '.cnnslicer', 'runs');
  const template = join(root, 'template');
  writeFixtureRun(template, [0, 1]);
  mkdirSync(runsFolder, { recursive: true });
  for (let i = 0; i < count; i++) addManyRun(root, runsFolder, template, i, count);
  return { runsFolder, models };
}

/** Adds the `index`-th run (a copy of `template` with its own manifest); returns its folder. */
export function addManyRun(root: string, runsFolder: string, template: string, index: number, count: number): string {
  const manifest = manyRunsManifest(root, index, count);
  const folder = join(runsFolder, manifest.id);
  cpSync(template, folder, { recursive: true });
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return folder;
}

/** Removes the template the runs were copied from (kept for `addManyRun` until then). */
export function removeManyRunsTemplate(root: string): void {
  rmSync(join(root, 'template'), { recursive: true, force: true });
}
