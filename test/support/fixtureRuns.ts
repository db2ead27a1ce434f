/**
 * The recorded run folders checked in under test/fixtures/runs/ (recorded by scripts/test-fixtures.mjs
 * from test/fixtures/runs/fixtures.json): tests read a copy instead of training a model.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { RunManifest } from '../../src/contract/runFormat';
import { readRun } from '../../src/run/store';

export const FIXTURE_RUNS = resolve(__dirname, '../fixtures/runs');
const ROOT = resolve(__dirname, '../..');
/** What scripts/test-fixtures.mjs writes for the repository's path in a checked-in manifest. */
const REPOSITORY_PLACEHOLDER = '/cnn-slicer-repository';

/** The fixtures of fixtures.json. */
export type FixtureRunName =
  | 'mnist-lenet'
  | 'graph-branches'
  | 'tiny'
  | 'dead-layer'
  | 'residual-duplicates'
  | 'tiny-probe-loss'
  | 'tiny-training-subset'
  | 'tiny-damaged'
  | 'tiny-cli-query'
  | 'graph-segments'
  | 'graph-edges'
  | 'graph-untrained'
  | 'label-carrier'
  | 'tiny-seed2'
  | 'untrained-seed2'
  | 'one-conv-block-seed2';

/** The run folder of a fixture where it is checked in: read it, never write into it. */
export function fixtureRunFolder(name: FixtureRunName): string {
  const runs = join(FIXTURE_RUNS, name);
  const [run] = readdirSync(runs, { withFileTypes: true }).filter((e) => e.isDirectory());
  if (!run) throw new Error(`${runs} holds no run: record it with node scripts/test-fixtures.mjs ${name}`);
  return join(runs, run.name);
}

/**
 * A copy of a fixture's runs folder under a new temporary folder named with `prefix` (the caller
 * removes `runs`): `folder` is the run in it, for tests that write into a run or its runs folder.
 * Its manifest names this checkout's files, as a run recorded here does (see copyFixtureRunInto).
 */
export function copyFixtureRun(name: FixtureRunName, prefix: string): { runs: string; folder: string; manifest: RunManifest } {
  return copyFixtureRunInto(name, join(mkdtempSync(join(tmpdir(), prefix)), 'runs'));
}

/**
 * A copy of a fixture's run in the runs folder `runs` (made if missing), beside whatever runs it
 * holds. Its manifest names this checkout's files, as a run recorded here does: the model file and
 * the layers' source lines at their absolute paths, the model file also relative to the copy.
 */
export function copyFixtureRunInto(name: FixtureRunName, runs: string): { runs: string; folder: string; manifest: RunManifest } {
  const source = fixtureRunFolder(name);
  const folder = join(runs, source.split(/[\\/]/).pop()!);
  cpSync(source, folder, { recursive: true });
  const file = join(folder, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8').split(`${REPOSITORY_PLACEHOLDER}/`).join(`${ROOT}/`)) as RunManifest;
  manifest.model.relativeFile = relative(folder, manifest.model.file).split(sep).join('/');
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
  return { runs, folder, manifest: readRun(folder).manifest };
}

/**
 * Rolls the run in `folder` (a copy) back to its first `epochs` epochs, as it stood before the
 * later epochs' measures landed: the manifest lists only those, metrics.jsonl holds only their
 * lines. Returns what lands the rest as the measurer writes it: the metrics lines, then the manifest.
 */
export function holdBackEpochs(folder: string, epochs: number): () => void {
  const manifestFile = join(folder, 'manifest.json');
  const metricsFile = join(folder, 'metrics.jsonl');
  const manifestText = readFileSync(manifestFile, 'utf8');
  const metricsText = readFileSync(metricsFile, 'utf8');
  const manifest = JSON.parse(manifestText) as RunManifest;
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, epochs: manifest.epochs.slice(0, epochs) }, null, 2) + '\n');
  writeFileSync(metricsFile, metricsText.split('\n').slice(0, epochs).join('\n') + '\n');
  // Each file is replaced whole (written beside it, then renamed over it), as the recorder and the
  // measurer write them: a reader meanwhile sees the file before or after, never one cut short (a
  // write in place truncates it first: the analysis service once read no epoch at all).
  const replace = (file: string, text: string) => {
    writeFileSync(`${file}.landing`, text);
    renameSync(`${file}.landing`, file);
  };
  return () => {
    replace(metricsFile, metricsText);
    replace(manifestFile, manifestText);
  };
}

/** The runs folder the Python recorder wrote for the tiny LeNet (scripts/onnx-fixtures.py): one run, its epochs pending. */
export const PYTORCH_RUNS = resolve(__dirname, '../fixtures/pytorch-run');

/** A copy of the PyTorch runs folder in a new folder under `parent`: the copy and its run. */
export function copyPytorchRun(parent: string): { runs: string; folder: string } {
  const runs = mkdtempSync(join(parent, 'pytorch-'));
  cpSync(PYTORCH_RUNS, runs, { recursive: true });
  const [run] = readdirSync(runs, { withFileTypes: true }).filter((e) => e.isDirectory());
  return { runs, folder: join(runs, run.name) };
}
