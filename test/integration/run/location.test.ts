import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportsFolderOf, isRunOfModel, relocateRun } from '../../../src/run/location';
import { recordRun } from '../../../src/recorder/record';
import { readRun } from '../../../src/run/store';

const FIXTURES = resolve(__dirname, '../../fixtures/models');

describe('runLocation', function () {
  this.timeout(180000);
  let root: string;
  let original: string;
  let runFolder: string;

  before(async () => {
    // A workspace as a user has it: the model (two files) in examples/, runs in the workspace's runs folder.
    root = mkdtempSync(join(tmpdir(), 'cnnslicer-location-'));
    original = join(root, 'original');
    mkdirSync(join(original, 'examples'), { recursive: true });
    for (const f of ['multiFile.ts', 'blocks.ts']) cpSync(join(FIXTURES, f), join(original, 'examples', f));
    const r = await recordRun({
      modelFile: join(original, 'examples', 'multiFile.ts'),
      dataset: 'synthetic:120',
      epochs: 1,
      batchSize: 16,
      probeSize: 30,
      runsFolder: join(original, '.cnnslicer', 'runs'),
      k: 20,
      backend: 'wasm',
    });
    runFolder = r.folder;
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('records the model file relative to the run folder', () => {
    const run = readRun(runFolder);
    assert.equal(run.manifest.model.relativeFile, '../../../examples/multiFile.ts');
    assert.equal(resolve(runFolder, run.manifest.model.relativeFile), run.manifest.model.file);
  });

  it('matches a run of a copied workspace to the copied model file, with its source files and layer sources', () => {
    const copy = join(root, 'copy');
    cpSync(original, copy, { recursive: true });
    const copiedRunFolder = join(copy, '.cnnslicer', 'runs', runFolder.split(/[\\/]/).pop()!);
    const copiedModel = join(copy, 'examples', 'multiFile.ts');
    const run = relocateRun(readRun(copiedRunFolder), existsSync);
    assert.ok(isRunOfModel(run, copiedModel), `the run names ${run.manifest.model.file}`);
    assert.ok(isRunOfModel(run, join(copy, 'examples', 'blocks.ts')), 'a source file of the model matches too');
    assert.ok(!isRunOfModel(run, join(original, 'examples', 'multiFile.ts')), 'the original model is another file now');
    const sources = run.manifest.layers.flatMap((l) => (l.source ? [l.source.file] : []));
    assert.ok(sources.length > 0);
    for (const file of sources) assert.ok(file.startsWith(copy), `${file} lies in the copy`);
  });

  it('falls back to the absolute model path when the relative one names no file (the run folder moved alone)', () => {
    const elsewhere = join(root, 'elsewhere', 'a', 'b');
    mkdirSync(elsewhere, { recursive: true });
    const moved = join(elsewhere, 'run');
    cpSync(runFolder, moved, { recursive: true });
    const run = relocateRun(readRun(moved), existsSync);
    assert.ok(isRunOfModel(run, join(original, 'examples', 'multiFile.ts')));
  });

  it("offers exports in the run folder's exports/ folder", () => {
    assert.equal(exportsFolderOf(runFolder), join(runFolder, 'exports'));
  });
});
